"""Names in every script on badges and visa letters: each glyph drawn exists in its font.

The PDF is read back as a viewer would: pypdf walks the page content (Tf, Tj, TJ) and fontTools
reads the embedded font subset, so a character drawn as the missing-glyph box (glyph 0,
.notdef) is caught whatever the code that drew it.
"""

import io
from collections import Counter
from datetime import date

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import ArrayObject, ContentStream

from seminar_app.models import Honorific
from seminar_app.services.documents import pdf_fonts
from seminar_app.services.documents.badges import render_badges_pdf
from seminar_app.services.documents.letters import render_visa_letter_pdf
from seminar_app.services.documents.pdf_paragraph import wrap_text
from tests.factories import add_registration
from tests.public_factories import create_event, utc

#: common names of the countries we invite: (script, font family, [(given, family), ...])
NAMES = [
    ("arabic", "NotoSansArabic", [("محمد", "عبد الله"), ("فاطمة", "الزهراء"),
                                  ("عبد الرحمن", "بن سلمان"), ("أحمد", "العلي"),
                                  ("عائشة", "يوسف")]),
    ("persian", "NotoSansArabic", [("محمدرضا", "حسینی"), ("زهرا", "احمدی"), ("پریسا", "مهرابی"),
                                   ("ژاله", "گلزار"), ("علی\u200cاکبر", "هاشمی\u200cرفسنجانی")]),
    ("urdu", "NotoSansArabic", [("عمران", "خان"), ("بینظیر", "بھٹو"), ("مریم", "چوہدری"),
                                ("نواز", "شریف"), ("عائشہ", "صدیقی")]),
    ("cyrillic", "DejaVuSans", [("Александр", "Иванов"), ("Наталья", "Кузнецова"),
                                ("Андрій", "Шевченко"), ("Нұрсұлтан", "Назарбаев"),
                                ("Ђорђе", "Љубичић")]),
    ("greek", "DejaVuSans", [("Γιώργος", "Παπαδόπουλος"), ("Αικατερίνη", "Σακελλαροπούλου"),
                             ("Δημήτρης", "Οικονόμου")]),
    ("thai", "NotoSansThai", [("สมชาย", "ใจดี"), ("ประยุทธ์", "จันทร์โอชา"),
                              ("สมศักดิ์", "ปิ่นทอง"), ("ศรีสุดา", "น้ำใจ")]),
    ("devanagari", "NotoSansDevanagari", [("नरेन्द्र", "मोदी"), ("प्रिया", "शर्मा"),
                                          ("लक्ष्मी", "श्रीनिवासन"), ("कृष्ण", "द्विवेदी")]),
    ("ethiopic", "NotoSansEthiopic", [("አበበ", "ቢቂላ"), ("ኃይለ", "ሥላሴ"), ("ትዕግስት", "ዓለማየሁ"),
                                      ("መስፍን", "ወልደ ማርያም")]),
    ("chinese", "DroidSansFallback", [("伟", "王"), ("娜", "李"), ("美玲", "陳"), ("洋", "刘"),
                                      ("喆", "张")]),
    ("japanese", "DroidSansFallback", [("太郎", "山田"), ("花子", "佐藤"), ("一郎", "鈴木"),
                                       ("ゆうこ", "たなか"), ("ケン", "渡邊")]),
    ("korean", "DroidSansFallback", [("민준", "김"), ("서연", "이"), ("지훈", "박"),
                                     ("수아", "최")]),
]
SCRIPTS = [script for script, _, _ in NAMES]


@pytest.fixture
def event(make_user):
    return create_event(make_user("organizer"), title="Jakarta Forum",
                        start_at=utc(2026, 3, 17, 2), end_at=utc(2026, 3, 18, 10),
                        letter_signatory_name="Siti Nugraha Maulidiah",
                        letter_signatory_title="Director of Technical Cooperation")


def _raw(value) -> bytes:
    return getattr(value, "original_bytes", None) or bytes(value)


def _embedded_cmap(font) -> tuple[str, dict[int, int] | None]:
    """(base font name, code -> glyph id) of an embedded TrueType subset, read with fontTools.

    None for a font that is not embedded (reportlab lists Helvetica, its default, on each page).
    """
    name = str(font["/BaseFont"]).split("+")[-1].lstrip("/").removesuffix("-Regular")
    if "/FontDescriptor" not in font:
        return name, None
    ttf = TTFont(io.BytesIO(font["/FontDescriptor"]["/FontFile2"].get_data()))
    cmap = ttf["cmap"].getcmap(1, 0) or ttf["cmap"].tables[0]
    return name, {code: ttf.getGlyphID(glyph) for code, glyph in cmap.cmap.items()}


def drawn_glyphs(pdf: bytes) -> Counter:
    """(font name, glyph id in the embedded font or None) -> how often drawn, over all pages."""
    reader, drawn = PdfReader(io.BytesIO(pdf)), Counter()
    for page in reader.pages:
        fonts = {key: _embedded_cmap(ref.get_object())
                 for key, ref in page["/Resources"]["/Font"].items()}
        current = None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                current = fonts[operands[0]]
            elif operator in (b"Tj", b"TJ"):
                parts = operands[0] if isinstance(operands[0], ArrayObject) else operands[:1]
                for part in parts:
                    if isinstance(part, (int, float)):
                        continue
                    for code in _raw(part):
                        glyph = None if current[1] is None else current[1].get(code, 0)
                        drawn[current[0], glyph] += 1
    return drawn


def missing_glyphs(pdf: bytes) -> list[str]:
    """The fonts in which ``pdf`` draws the missing-glyph box (glyph 0), once per box."""
    return [font for (font, glyph), count in drawn_glyphs(pdf).items() if glyph == 0
            for _ in range(count)]


def _fonts_drawn(pdf: bytes) -> set[str]:
    return {font for font, _ in drawn_glyphs(pdf)}


# --- the layout: every glyph the shaper picks exists, in the font made for the script ----------

@pytest.mark.parametrize(("script", "family", "names"), NAMES, ids=SCRIPTS)
@pytest.mark.parametrize("bold", [False, True], ids=["regular", "bold"])
def test_layout_line_finds_every_glyph_of_common_names(script, family, names, bold):
    for given, family_name in names:
        for text in (given, family_name, f"{given} {family_name}", f"Dr. {given} {family_name}"):
            line = pdf_fonts.layout_line(text, bold=bold)
            assert line.missing == 0, (text, line)
            assert all(0 not in run.glyphs for run in line.runs)
            name_fonts = {run.font.removesuffix("-Bold") for run in line.runs
                          if not run.font.startswith("DejaVuSans")}
            assert name_fonts <= {family}, (text, name_fonts)
            assert line.width(10) > 0


def test_layout_line_joins_allah_from_glyphs_of_the_arabic_font():
    line = pdf_fonts.layout_line("محمد عبد الله")
    assert [run.font for run in line.runs] == ["NotoSansArabic"]
    assert line.missing == 0
    # joined forms, not the isolated letters (which is what reportlab alone would draw)
    isolated = pdf_fonts.layout_line("م ح م د").runs[0].glyphs
    assert not set(line.runs[0].glyphs[-4:]) <= set(isolated)


def test_layout_line_puts_right_to_left_runs_in_visual_order():
    line = pdf_fonts.layout_line("Dr. محمد 12")
    assert [run.font for run in line.runs][0] == "DejaVuSans"
    assert str(line.runs[0].text).startswith("Dr.")
    rtl_line = pdf_fonts.layout_line("شارع 12")  # a right-to-left line: the number on the left
    assert str(rtl_line.runs[0].text) == "12"


def test_layout_line_draws_cjk_bold_with_an_outline():
    line = pdf_fonts.layout_line("王伟", bold=True)
    assert [(run.font, run.outline_bold) for run in line.runs] == [("DroidSansFallback", True)]


def test_wrap_text_never_cuts_a_letter_from_its_marks():
    lines = wrap_text("ประยุทธ์จันทร์โอชาสมศักดิ์", 40, 10)
    assert len(lines) > 1
    assert "".join(lines) == "ประยุทธ์จันทร์โอชาสมศักดิ์"
    assert not any(line[0] in "\u0e31\u0e34\u0e35\u0e38\u0e48\u0e49\u0e4c" for line in lines)


# --- the PDFs ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("script", "family", "names"), NAMES, ids=SCRIPTS)
def test_render_badges_pdf_prints_every_glyph_of_common_names(event, script, family, names):
    registrations = [add_registration(event, given_name=given, family_name=family_name,
                                      organisation=f"{given} {family_name}")
                     for given, family_name in names]
    for layout in ("a4", "single"):
        pdf = render_badges_pdf(registrations, layout=layout, language="en")
        assert missing_glyphs(pdf) == []
        assert {f"{family}-Bold" if family != "DroidSansFallback" else family,
                family} <= _fonts_drawn(pdf)


@pytest.mark.parametrize(("script", "family", "names"), NAMES, ids=SCRIPTS)
def test_render_visa_letter_pdf_prints_every_glyph_of_common_names(event, script, family, names):
    for given, family_name in names:
        registration = add_registration(
            event, needs_visa_letter=True, honorific=Honorific.DR, given_name=given,
            family_name=family_name, position="Counsellor", organisation=f"{given} {family_name}",
            passport_number="AE1234567", nationality="ID", birth_date=date(1980, 7, 14),
            birth_place=family_name, passport_expiry=date(2032, 1, 9))
        pdf = render_visa_letter_pdf(registration, language="en", today=date(2026, 1, 15))
        assert missing_glyphs(pdf) == []
        assert family in {font.removesuffix("-Bold") for font in _fonts_drawn(pdf)}


def test_render_badges_pdf_prints_allah_without_a_missing_glyph(event):
    registration = add_registration(event, given_name="محمد", family_name="عبد الله")
    pdf = render_badges_pdf([registration], layout="single", language="en")
    assert missing_glyphs(pdf) == []
    assert "NotoSansArabic-Bold" in _fonts_drawn(pdf)


def test_missing_glyphs_sees_a_box(event):
    """The checker itself: a character no font has is found as a box in the PDF."""
    registration = add_registration(event, given_name="\U00013000\U00013001", family_name="X")
    pdf = render_badges_pdf([registration], layout="single", language="en")
    assert len(missing_glyphs(pdf)) >= 2


def test_render_badges_pdf_reads_the_fonts_once_per_process(event):
    registrations = [add_registration(event, given_name=given, family_name=family_name)
                     for _, _, names in NAMES for given, family_name in names[:1]]
    render_badges_pdf(registrations, layout="a4", language="en")
    loaded = dict(pdf_fonts._fonts)
    hits = pdf_fonts.layout_line.cache_info().hits
    render_badges_pdf(registrations * 3, layout="a4", language="en")
    assert {name: font for name, font in pdf_fonts._fonts.items()} == loaded
    assert all(pdf_fonts._fonts[name] is font for name, font in loaded.items())
    assert pdf_fonts.layout_line.cache_info().hits > hits + 3 * len(registrations)


def test_paragraph_markup_gives_reportlab_paragraphs_the_shaped_glyphs():
    markup = pdf_fonts.paragraph_markup("Dear محمد عبد الله")
    assert markup.startswith('<font name="DejaVuSans">Dear </font><font name="NotoSansArabic">')
    assert "\ufdf2" not in markup  # no ligature character the font lacks


def test_text_paragraph_splits_a_long_text_across_pages():
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import SimpleDocTemplate

    from seminar_app.services.documents.pdf_paragraph import TextParagraph

    out = io.BytesIO()
    style = ParagraphStyle("body", fontSize=10, leading=14)
    SimpleDocTemplate(out).build([TextParagraph("محمد عبد الله Budi Santoso " * 600, style)])
    pdf = out.getvalue()
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 2
    assert missing_glyphs(pdf) == []
