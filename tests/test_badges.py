"""Badge PDFs: pages, fonts for every script, the QR payload, no passport data, speed."""

import io
import random
import re
from datetime import date

import pytest
from pypdf import PdfReader

from seminar_app.models import DelegationRole, Honorific, RegistrationStatus
from seminar_app.services.documents import pdf_fonts
from seminar_app.services.documents.badges import (
    BADGE_W,
    badge_content,
    badge_qr,
    badge_qr_matrix,
    render_badges_pdf,
)
from seminar_app.services.events.document_settings import badge_registrations
from tests.factories import add_registration
from tests.public_factories import create_event

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


@pytest.fixture
def event(make_user):
    return create_event(make_user("organizer"), title="Jakarta Forum on Cooperation")


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _font_names(pdf: bytes) -> set[str]:
    """Base names of the fonts embedded in ``pdf`` (subset prefixes removed)."""
    return {name.decode().split("+")[-1] for name in re.findall(rb"/BaseFont /([\w+-]+)", pdf)}


def _pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


# --- pages and layouts -----------------------------------------------------------------------

def test_render_badges_pdf_a4_puts_eight_badges_on_a_page(event):
    registrations = [add_registration(event) for _ in range(9)]
    pdf = render_badges_pdf(registrations, layout="a4", language="en")
    assert pdf.startswith(b"%PDF")
    assert _pages(pdf) == 2
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 2


def test_render_badges_pdf_single_puts_one_badge_on_each_page(event):
    registrations = [add_registration(event) for _ in range(3)]
    pdf = render_badges_pdf(registrations, layout="single", language="id")
    assert _pages(pdf) == 3
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert round(float(page.mediabox.width)) == 298  # A6: 105 mm


def test_render_badges_pdf_refuses_an_unknown_layout(event):
    with pytest.raises(ValueError):
        render_badges_pdf([add_registration(event)], layout="poster", language="en")


def test_render_badges_pdf_shows_names_country_and_role(event):
    registration = add_registration(event, honorific=Honorific.HE, given_name="Retno",
                                     family_name="Marsudi", country="ID",
                                     organisation="Kementerian Luar Negeri",
                                     delegation_role=DelegationRole.HEAD)
    text = _text(render_badges_pdf([registration], layout="single", language="en"))
    for expected in ("H.E.", "Retno", "Marsudi", "Indonesia", "Kementerian Luar Negeri",
                     "HEAD OF DELEGATION", "Jakarta Forum on Cooperation",
                     registration.badge_code):
        assert expected in text


# --- scripts and fonts -----------------------------------------------------------------------

@pytest.mark.parametrize(("given", "family"), [
    ("Александр", "Кузнецов"),
    ("Ελένη", "Παπαδοπούλου"),
    ("François-Xavier", "Łukasiewicz-Ñúñez"),
])
def test_render_badges_pdf_embeds_dejavu_for_names_in_any_script(event, given, family):
    registration = add_registration(event, given_name=given, family_name=family)
    pdf = render_badges_pdf([registration], layout="a4", language="en")
    assert "DejaVuSans-Bold" in _font_names(pdf)
    text = _text(pdf)
    assert given in text
    assert family in text


def test_render_badges_pdf_uses_the_thai_font_for_thai_names(event):
    registration = add_registration(event, given_name="สมชาย", family_name="ใจดี")
    pdf = render_badges_pdf([registration], layout="a4", language="en")
    assert "NotoSansThai-Bold" in _font_names(pdf)


def test_text_runs_takes_each_character_from_a_font_that_has_it():
    runs = pdf_fonts.text_runs("Somchai สมชาย")
    assert [font for font, _ in runs] == ["DejaVuSans", "NotoSansThai"]
    assert "".join(chunk for _, chunk in runs) == "Somchai สมชาย"
    assert pdf_fonts.font_for("Ωμέγα Дмитрий Łódź", bold=True) == "DejaVuSans-Bold"


def test_layout_line_joins_arabic_letters_and_orders_them_for_drawing():
    (run,) = pdf_fonts.layout_line("محمد").runs
    assert run.font == "NotoSansArabic"
    drawn = str(run.text)
    assert all(0xFE70 <= ord(char) <= 0xFEFF for char in drawn)  # joined forms
    assert drawn[-1] == "\ufee3"  # the initial meem is drawn last: right-to-left
    assert [str(r.text) for r in pdf_fonts.layout_line("Budi Santoso").runs] == ["Budi Santoso"]


def test_fit_shrinks_a_long_name_so_that_it_never_overflows():
    from seminar_app.services.documents.badges import _fit

    width = BADGE_W / 2
    line, size = _fit("Wolfeschlegelsteinhausenbergerdorff-Hohenzollern", width, 17, bold=True,
                      minimum=7)
    assert 7 <= size < 17
    assert line.width(size) <= width


# --- the QR code -----------------------------------------------------------------------------

def _function_module(row: int, col: int, size: int, version: int) -> bool:
    if row == 6 or col == 6:  # timing patterns
        return True
    if (row <= 8 and col <= 8) or (row <= 8 and col >= size - 8) or (row >= size - 8 and col <= 8):
        return True  # finders, separators, format information, dark module
    return version == 2 and 16 <= row <= 20 and 16 <= col <= 20  # alignment pattern


_MASKS = [
    lambda i, j: (i + j) % 2 == 0, lambda i, j: i % 2 == 0, lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0, lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0, lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
]


def _decode_small_qr(matrix) -> tuple[str, int]:
    """Decode an alphanumeric QR code of version 1 or 2 (one block): (text, mask)."""
    size = len(matrix)
    version = (size - 17) // 4
    assert version in (1, 2), "the test decoder reads versions 1 and 2 only"
    format_bits = [matrix[8][c] for c in (0, 1, 2, 3, 4, 5, 7, 8)] + [
        matrix[r][8] for r in (7, 5, 4, 3, 2, 1, 0)]
    value = int("".join(map(str, format_bits)), 2) ^ 0b101010000010010
    mask = (value >> 10) & 0b111
    bits, upward, col = [], True, size - 1
    while col > 0:
        if col == 6:
            col -= 1
        rows = range(size - 1, -1, -1) if upward else range(size)
        for row in rows:
            for c in (col, col - 1):
                if not _function_module(row, c, size, version):
                    bits.append(matrix[row][c] ^ int(_MASKS[mask](row, c)))
        upward, col = not upward, col - 2
    stream = "".join(map(str, bits))
    assert stream[:4] == "0010", "not alphanumeric mode"
    count, pos, text = int(stream[4:13], 2), 13, ""
    for _ in range(count // 2):
        pair = int(stream[pos:pos + 11], 2)
        text, pos = text + ALNUM[pair // 45] + ALNUM[pair % 45], pos + 11
    if count % 2:
        text += ALNUM[int(stream[pos:pos + 6], 2)]
    return text, mask


def test_badge_qr_decodes_to_exactly_the_badge_code(event):
    registration = add_registration(event)
    qr = badge_qr(registration.badge_code)
    text, mask = _decode_small_qr([list(row) for row in qr.matrix])
    assert mask == qr.mask
    assert text == registration.badge_code
    assert badge_content(registration, language="en").badge_code == registration.badge_code


@pytest.mark.parametrize("layout", ["a4", "single"])
def test_the_qr_code_printed_in_the_pdf_decodes_to_the_badge_code(event, layout):
    """The modules drawn on the page (rectangles in module units), read back from the PDF's
    content stream, form the badge's QR code."""
    registration = add_registration(event)
    pdf = render_badges_pdf([registration], layout=layout, language="en", compress=False)
    content = PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data().decode("latin-1")
    runs = [tuple(map(int, match)) for match in
            re.findall(r"^(\d+) (\d+) (\d+) 1 re$", content, flags=re.MULTILINE)]
    size = max(row for _x, row, _w in runs) + 1
    matrix = [[0] * size for _ in range(size)]
    for start, row, width in runs:
        for column in range(start, start + width):
            matrix[row][column] = 1
    text, _mask = _decode_small_qr(matrix)
    assert text == registration.badge_code


def test_the_quick_qr_matrix_is_segnos_module_for_module():
    """badge_qr_matrix (segno's steps, patterns and data places made once a version) against
    segno.make_qr: codes of every kind and length, versions 1 to 10, badge codes included."""
    rng = random.Random(19)
    alphabets = (ALNUM, "0123456789", "abcdefghijklmnopqrstuvwxyz-_0123456789",
                 "ÄÖÜäöüßéèÇ日本語 ABC")
    codes = []
    for number in range(600):
        alphabet = alphabets[number % len(alphabets)]
        codes.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 90))))
    versions = set()
    for code in codes:
        expected = badge_qr(code)
        versions.add(expected.version)
        assert [bytes(row) for row in badge_qr_matrix(code)] == [
            bytes(row) for row in expected.matrix], code
    assert {1, 2, 5, 8} <= versions


def test_badge_qr_is_printed_at_least_25_mm_wide():
    from reportlab.lib.units import mm

    from seminar_app.services.documents.badges import QR_SIDE_A4, QR_SIDE_SINGLE

    assert min(QR_SIDE_A4, QR_SIDE_SINGLE) >= 25 * mm


# --- privacy and speed -----------------------------------------------------------------------

def test_render_badges_pdf_never_shows_passport_data(event):
    registration = add_registration(
        event, needs_visa_letter=True, passport_number="X98765432", nationality="FR",
        birth_date=date(1971, 2, 3), birth_place="Valparaiso", passport_expiry=date(2031, 5, 6),
        email="secret.person@example.org", phone="+6281234567890")
    content = badge_content(registration, language="en")
    pdf = render_badges_pdf([registration], layout="a4", language="en", compress=False)
    text = _text(pdf)
    for secret in ("X98765432", "Valparaiso", "1971", "2031", "secret.person", "+6281234567890"):
        assert secret not in text
        assert secret not in repr(content)
    # bare years may occur by chance in binary streams (QR images, fonts): check the rest
    for secret in ("X98765432", "Valparaiso", "secret.person", "+6281234567890"):
        assert secret.encode() not in pdf


def test_render_badges_pdf_for_300_delegates_fills_38_sheets(event):
    for number in range(300):
        add_registration(event, given_name=f"Delegate {number}")
    registrations = badge_registrations(event, RegistrationStatus.CONFIRMED)  # as the view does
    pdf = render_badges_pdf(registrations, layout="a4", language="en")
    assert _pages(pdf) == 38
