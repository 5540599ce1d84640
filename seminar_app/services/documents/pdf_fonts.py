"""Text on PDF pages in any script: vendored fonts, one font per run, bidi order, HarfBuzz shaping.

Names come in any script. The fonts in ``static/fonts`` (licences beside them): DejaVu Sans (Latin
with diacritics, Cyrillic, Greek: the default), Noto Sans Arabic (Arabic, Persian, Urdu), Noto
Sans Thai, Noto Sans Devanagari, Noto Sans Ethiopic (Amharic, Tigrinya) and Droid Sans Fallback
(Chinese, Japanese, Korean; it has no bold face, so bold text in it gets a thin outline).

reportlab alone draws one glyph per character from a font's cmap: it neither joins Arabic letters
(the "الله" of "عبد الله" is a ligature no cmap reaches), nor forms Devanagari conjuncts, nor
places Thai marks, nor orders right-to-left text. So a line is laid out here once and then drawn.

Rules:
- Every font is read once per process (thread-safe), never per document or per badge.
- Each letter or digit takes the font made for its script when that font has it, else the first
  font of the chain that has it; spaces, punctuation and marks stay in the font of the letters
  around them when it has them. A character no font has prints as the missing-glyph box and is
  logged.
- A line becomes runs of one font and one direction (Unicode bidi algorithm, python-bidi), put in
  visual order. A run with marks, joiners or right-to-left letters is shaped with HarfBuzz and
  drawn glyph by glyph at HarfBuzz's positions (ligatures and contextual forms come from the
  run's own font); other runs are drawn as plain text, one glyph per character.
- Laid-out lines are cached: the same event title on 2,000 badges is shaped once.
"""

import functools
import logging
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import uharfbuzz
from bidi import algorithm as uba
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import ShapeData, ShapedStr, TTFont

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parents[3] / "static" / "fonts"


@dataclass(frozen=True)
class FontFamily:
    """A vendored font: its reportlab names, files, and the scripts it is preferred for."""

    regular: str
    bold: str
    regular_file: str
    bold_file: str | None  # None: no bold face, bold is drawn with an outline
    scripts: tuple[tuple[int, int], ...] = ()  # code point ranges it is preferred for


ARABIC = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))
CJK = ((0x1100, 0x11FF), (0x2E80, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xF900, 0xFAFF),
       (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))
#: in fallback order; the first is the default
FONT_CHAIN = (
    FontFamily("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    FontFamily("NotoSansArabic", "NotoSansArabic-Bold", "NotoSansArabic-Regular.ttf",
               "NotoSansArabic-Bold.ttf", ARABIC),
    FontFamily("NotoSansThai", "NotoSansThai-Bold", "NotoSansThai-Regular.ttf",
               "NotoSansThai-Bold.ttf", ((0x0E00, 0x0E7F),)),
    FontFamily("NotoSansDevanagari", "NotoSansDevanagari-Bold", "NotoSansDevanagari-Regular.ttf",
               "NotoSansDevanagari-Bold.ttf", ((0x0900, 0x097F), (0xA8E0, 0xA8FF))),
    FontFamily("NotoSansEthiopic", "NotoSansEthiopic-Bold", "NotoSansEthiopic-Regular.ttf",
               "NotoSansEthiopic-Bold.ttf", ((0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F))),
    FontFamily("DroidSansFallback", "DroidSansFallback", "DroidSansFallback.ttf", None, CJK),
)
REGULAR = FONT_CHAIN[0].regular
BOLD = FONT_CHAIN[0].bold
ZWNJ, ZWJ = "\u200c", "\u200d"
PRIVATE_USE = range(0xE000, 0xF900)


@dataclass
class LoadedFont:
    """A registered font with what layout needs: coverage, HarfBuzz font, glyph-to-char map."""

    name: str
    ttfont: TTFont
    family: FontFamily
    coverage: frozenset[int]
    hb_font: uharfbuzz.Font
    scale: float  # font units -> thousandths of the font size
    private: dict[int, str]  # glyph id -> private-use character drawn for it


_lock = threading.RLock()
_fonts: dict[str, LoadedFont] = {}


def register_fonts() -> None:
    """Read and register the vendored fonts with reportlab (once per process; thread-safe)."""
    if _fonts:
        return
    with _lock:
        if _fonts:
            return
        loaded = {}
        for family in FONT_CHAIN:
            for name, filename in ((family.regular, family.regular_file),
                                   (family.bold, family.bold_file)):
                if filename is None or name in loaded:
                    continue
                font = TTFont(name, str(FONT_DIR / filename))
                pdfmetrics.registerFont(font)
                face = uharfbuzz.Face(uharfbuzz.Blob(font.face._ttf_data))
                loaded[name] = LoadedFont(name, font, family, frozenset(font.face.charToGlyph),
                                          uharfbuzz.Font(face), 1000 / face.upem, {})
            pdfmetrics.registerFontFamily(family.regular, normal=family.regular, bold=family.bold,
                                          italic=family.regular, boldItalic=family.bold)
        _fonts.update(loaded)
        log.debug("registered PDF fonts: %s", ", ".join(loaded))


def _font(name: str) -> LoadedFont:
    register_fonts()
    return _fonts[name]


# --- which font draws which character ----------------------------------------------------------

def _names(bold: bool) -> list[str]:
    return [family.bold if bold else family.regular for family in FONT_CHAIN]


def _claims(family: FontFamily, code: int) -> bool:
    return any(low <= code <= high for low, high in family.scripts)


@functools.lru_cache(maxsize=16384)
def _font_of_letter(char: str, bold: bool) -> str:
    code, names = ord(char), _names(bold)
    for family, name in zip(FONT_CHAIN, names, strict=True):
        if _claims(family, code) and code in _fonts[name].coverage:
            return name
    found = next((name for name in names if code in _fonts[name].coverage), None)
    if found is None:
        log.warning("no PDF font has U+%04X %s", code, unicodedata.name(char, "?"))
        return names[0]
    return found


def _is_letter(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN"


def choose_fonts(text: str, *, bold: bool = False) -> list[str]:
    """The font of each character of ``text``: letters by script, the rest from their neighbours."""
    register_fonts()
    fonts: list[str | None] = [_font_of_letter(c, bold) if _is_letter(c) else None for c in text]
    following: list[str | None] = [None] * len(text)
    for index in range(len(text) - 2, -1, -1):
        following[index] = fonts[index + 1] or following[index + 1]
    names, previous = _names(bold), None
    for index, char in enumerate(text):
        if fonts[index] is None:
            code = ord(char)
            candidates = [n for n in (previous, following[index]) if n] + names
            fonts[index] = next((n for n in candidates if code in _fonts[n].coverage),
                                previous or following[index] or names[0])
        previous = fonts[index]
    return fonts


def text_runs(text: str, *, bold: bool = False) -> list[tuple[str, str]]:
    """``text`` (logical order) as (font name, chunk) runs, each chunk in a font that has it."""
    runs: list[tuple[str, str]] = []
    drawable = _drawable(text)
    for font, char in zip(choose_fonts(drawable, bold=bold), drawable, strict=True):
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + char)
        else:
            runs.append((font, char))
    return runs


def font_for(text: str, *, bold: bool = False) -> str:
    """The first font of the chain that covers every character of ``text`` (else the first)."""
    register_fonts()
    needed = {ord(c) for c in _drawable(text) if not c.isspace()}
    return next((n for n in _names(bold) if needed <= _fonts[n].coverage), _names(bold)[0])


# --- a laid-out line ---------------------------------------------------------------------------

@dataclass(frozen=True)
class GlyphRun:
    """One run of a line, in one font: what reportlab draws and the glyphs it stands for."""

    font: str
    text: str  # a reportlab ShapedStr (glyphs with positions) or plain text
    advance: float  # width in thousandths of the font size
    glyphs: tuple[int, ...]  # glyph ids in the font; 0 is the missing-glyph box
    outline_bold: bool = False


@dataclass(frozen=True)
class Line:
    """A line of text in drawing order."""

    runs: tuple[GlyphRun, ...]

    def width(self, size: float) -> float:
        """The width in points at font size ``size``."""
        return sum(run.advance for run in self.runs) * size / 1000

    @property
    def missing(self) -> int:
        """How many glyphs print as the missing-glyph box."""
        return sum(run.glyphs.count(0) for run in self.runs)


def _drawable(text: str) -> str:
    """``text`` without the control and format characters that draw nothing (joiners stay)."""
    return "".join(c for c in text if c in (ZWNJ, ZWJ)
                   or unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))


def _levels(text: str, rtl: bool | None) -> list[int]:
    """Unicode bidi embedding level of each character (rules P2-I2); 0 everywhere for LTR text."""
    if not rtl and not any(unicodedata.bidirectional(c) in ("R", "AL") for c in text):
        return [0] * len(text)
    storage = uba.get_empty_storage()
    base = uba.get_base_level(text) if rtl is None else int(rtl)
    storage["base_level"], storage["base_dir"] = base, ("L", "R")[base]
    uba.get_embedding_levels(text, storage)
    for index, char in enumerate(storage["chars"]):
        char["index"] = index
    uba.explicit_embed_and_overrides(storage)
    uba.resolve_weak_types(storage)
    uba.resolve_neutral_types(storage, False)
    uba.resolve_implicit_levels(storage, False)
    levels: list[int] = [base] * len(text)
    resolved = {char["index"]: char["level"] for char in storage["chars"]}
    for index in range(len(text)):  # characters the algorithm drops (joiners) keep their place
        levels[index] = resolved.get(index, levels[index - 1] if index else base)
    return levels


def _visual_order(segments: list[tuple[int, int, str, int]]) -> list[tuple[int, int, str, int]]:
    """Rule L2: reverse every sequence at level >= k, for k from the highest to the lowest odd."""
    levels = [segment[3] for segment in segments]
    odd = [level for level in levels if level % 2]
    if not odd:
        return segments
    items = list(segments)
    for level in range(max(levels), min(odd) - 1, -1):
        index = 0
        while index < len(items):
            if items[index][3] < level:
                index += 1
                continue
            end = index
            while end < len(items) and items[end][3] >= level:
                end += 1
            items[index:end] = items[index:end][::-1]
            index = end
    return items


def _needs_shaping(text: str) -> bool:
    return any(unicodedata.category(c)[0] == "M" or c in (ZWNJ, ZWJ) for c in text)


def _char_for_glyph(font: LoadedFont, gid: int, source: str) -> str:
    """A character that reportlab maps to glyph ``gid`` (a private-use one for ligatures)."""
    face = font.ttfont.face
    if len(source) == 1 and face.charToGlyph.get(ord(source)) == gid:
        return source
    if gid in face.glyphToChar:
        return chr(face.glyphToChar[gid][0])
    with _lock:
        if gid not in font.private:
            code = next(c for c in PRIVATE_USE if c not in face.charToGlyph)
            face.charToGlyph[code] = gid
            face.charWidths[code] = face.hmetrics[gid][0] * font.scale
            font.private[gid] = chr(code)
        return font.private[gid]


def _shaped_run(text: str, font: LoadedFont, rtl: bool) -> GlyphRun:
    buffer = uharfbuzz.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    buffer.direction = "rtl" if rtl else "ltr"
    uharfbuzz.shape(font.hb_font, buffer, {})
    infos, positions = buffer.glyph_infos, buffer.glyph_positions
    bounds = sorted({info.cluster for info in infos} | {len(text)})
    chars, data = [], []
    for info, position in zip(infos, positions, strict=True):
        end = bounds[bounds.index(info.cluster) + 1]
        char = _char_for_glyph(font, info.codepoint, text[info.cluster:end])
        chars.append(char)
        data.append(ShapeData(info.cluster, position.x_advance * font.scale,
                              position.y_advance * font.scale, position.x_offset * font.scale,
                              position.y_offset * font.scale,
                              font.ttfont.face.charWidths[ord(char)]))
    return GlyphRun(font.name, ShapedStr("".join(chars), shapeData=data),
                    sum(d.x_advance for d in data), tuple(info.codepoint for info in infos))


def _run(text: str, font_name: str, rtl: bool, bold: bool) -> GlyphRun:
    font = _font(font_name)
    outline = bold and font.family.bold_file is None
    if rtl or _needs_shaping(text):
        run = _shaped_run(text, font, rtl)
        return GlyphRun(run.font, run.text, run.advance, run.glyphs, outline)
    glyphs = tuple(font.ttfont.face.charToGlyph.get(ord(c), 0) for c in text)
    return GlyphRun(font_name, text, pdfmetrics.stringWidth(text, font_name, 1000), glyphs,
                    outline)


#: 2,048 recent lines: the texts repeated on every badge (event title, dates, countries,
#: organisations, role labels) stay in it; names and badge codes are drawn once each, and 8,192
#: of them held about 8 MiB in the worker for nothing (a tenth of a 10,000-badge build's memory)
@functools.lru_cache(maxsize=2048)
def layout_line(text: str, *, bold: bool = False, rtl: bool | None = None) -> Line:
    """``text`` laid out for drawing; ``rtl`` forces the paragraph direction (else guessed)."""
    text = _drawable(text)
    if not text:
        return Line(())
    fonts, levels = choose_fonts(text, bold=bold), _levels(text, rtl)
    segments: list[tuple[int, int, str, int]] = []
    for index, (font, level) in enumerate(zip(fonts, levels, strict=True)):
        if segments and segments[-1][2:] == (font, level):
            segments[-1] = (segments[-1][0], index + 1, font, level)
        else:
            segments.append((index, index + 1, font, level))
    return Line(tuple(_run(text[start:end], font, level % 2 == 1, bold)
                      for start, end, font, level in _visual_order(segments)))


def draw_line(canvas, x: float, y: float, line: Line, size: float, *,
              align: str = "left") -> None:
    """Draw ``line`` at baseline ``y``; ``x`` is the left edge, centre or right edge."""
    width = line.width(size)
    if align == "center":
        x -= width / 2
    elif align == "right":
        x -= width
    for run in line.runs:
        canvas.setFont(run.font, size)
        if run.outline_bold:
            canvas.saveState()
            canvas.setStrokeColor(canvas._fillColorObj)  # the colour the text is filled with
            canvas.setLineWidth(size * 0.035)
            canvas.drawString(x, y, run.text, mode=2)  # fill and stroke: a synthetic bold
            canvas.restoreState()
        else:
            canvas.drawString(x, y, run.text)
        x += run.advance * size / 1000


# --- the older run-based interface (reports) ---------------------------------------------------

def _runs_line(runs: list[tuple[str, str]]) -> Line:
    bold = any(font == family.bold != family.regular for font, _ in runs for family in FONT_CHAIN)
    return layout_line("".join(chunk for _, chunk in runs), bold=bold)


def runs_width(runs: list[tuple[str, str]], size: float) -> float:
    """The width in points of the text of ``text_runs`` once laid out, at ``size``."""
    return _runs_line(runs).width(size)


def draw_runs(canvas, x: float, y: float, runs: list[tuple[str, str]], size: float,
              *, align: str = "left") -> None:
    """Draw the text of ``text_runs`` (laid out and shaped) at baseline ``y``."""
    draw_line(canvas, x, y, _runs_line(runs), size, align=align)


def paragraph_markup(text: str, *, bold: bool = False, font: str | None = None) -> str:
    """``text`` shaped, in visual order, as markup for a reportlab Paragraph (one <font> a run).

    The glyphs are right; marks keep the font's default place (pdf_paragraph.TextParagraph also
    keeps HarfBuzz's positions). A run in ``font``, the paragraph style's own, needs no <font>
    tag: the same paragraph, parsed in a third of the time (a report's 40,000 cells)."""
    return "".join(escape(str(run.text)) if run.font == font
                   else f'<font name="{run.font}">{escape(str(run.text))}</font>'
                   for run in layout_line(text, bold=bold).runs)
