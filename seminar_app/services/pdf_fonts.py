"""Fonts for PDF documents (badges, letters): vendored TTFs, registered once, chosen per text.

Names come in any script. DejaVu Sans covers Latin (with diacritics), Cyrillic, Greek and the
Arabic letters (with their presentation forms); Noto Sans Thai covers Thai. Text is split into
runs, each drawn with the first font of the fallback chain that has all of its characters, so a
name never prints as empty boxes in a script we ship a font for. Not covered: CJK, Devanagari
and other scripts that need a font we do not vendor (their characters print as missing glyphs).

reportlab neither joins Arabic letters nor reorders right-to-left text: ``visual_text`` does both
with arabic-reshaper and python-bidi before drawing.
"""

import logging
import threading
import unicodedata
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parent.parent.parent / "static" / "fonts"
#: (regular name, bold name, regular file, bold file), in fallback order
FONT_CHAIN = (
    ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("NotoSansThai", "NotoSansThai-Bold", "NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf"),
)
REGULAR = FONT_CHAIN[0][0]
BOLD = FONT_CHAIN[0][1]

_lock = threading.Lock()
_coverage: dict[str, frozenset[int]] = {}


def register_fonts() -> None:
    """Register the vendored fonts with reportlab (once per process; thread-safe)."""
    if _coverage:
        return
    with _lock:
        if _coverage:
            return
        coverage = {}
        for regular, bold, regular_file, bold_file in FONT_CHAIN:
            for name, filename in ((regular, regular_file), (bold, bold_file)):
                font = TTFont(name, str(FONT_DIR / filename))
                pdfmetrics.registerFont(font)
                coverage[name] = frozenset(font.face.charToGlyph)
            pdfmetrics.registerFontFamily(regular, normal=regular, bold=bold,
                                          italic=regular, boldItalic=bold)
        _coverage.update(coverage)
        log.debug("registered PDF fonts: %s", ", ".join(coverage))


def _needs_no_glyph(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")


def text_runs(text: str, *, bold: bool = False) -> list[tuple[str, str]]:
    """``text`` as (font name, chunk) runs, each chunk drawn by the first font that covers it."""
    register_fonts()
    names = [chain[1] if bold else chain[0] for chain in FONT_CHAIN]
    runs: list[tuple[str, str]] = []
    for char in text:
        if _needs_no_glyph(char):
            continue
        current = runs[-1][0] if runs else None
        if current and (char.isspace() or ord(char) in _coverage[current]):
            font = current  # spaces and shared punctuation stay in the current run
        else:
            font = next((n for n in names if ord(char) in _coverage[n]), names[0])
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + char)
        else:
            runs.append((font, char))
    return runs


def font_for(text: str, *, bold: bool = False) -> str:
    """The first font of the chain that covers every character of ``text`` (else the first)."""
    register_fonts()
    names = [chain[1] if bold else chain[0] for chain in FONT_CHAIN]
    needed = {ord(c) for c in text if not c.isspace() and not _needs_no_glyph(c)}
    return next((n for n in names if needed <= _coverage[n]), names[0])


def _is_right_to_left(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def visual_text(text: str) -> str:
    """``text`` in drawing order: Arabic letters joined and right-to-left runs reversed."""
    if not text or not _is_right_to_left(text):
        return text
    import arabic_reshaper
    from bidi import get_display

    return get_display(arabic_reshaper.reshape(text))


def runs_width(runs: list[tuple[str, str]], size: float) -> float:
    """The width in points of ``runs`` set at ``size``."""
    return sum(pdfmetrics.stringWidth(chunk, font, size) for font, chunk in runs)


def draw_runs(canvas, x: float, y: float, runs: list[tuple[str, str]], size: float,
              *, align: str = "left") -> None:
    """Draw ``runs`` at baseline ``y``; ``x`` is the left edge, centre or right edge."""
    width = runs_width(runs, size)
    if align == "center":
        x -= width / 2
    elif align == "right":
        x -= width
    for font, chunk in runs:
        canvas.setFont(font, size)
        canvas.drawString(x, y, chunk)
        x += pdfmetrics.stringWidth(chunk, font, size)


def paragraph_markup(text: str, *, bold: bool = False) -> str:
    """``text`` escaped for a reportlab Paragraph, with a <font> tag for every run."""
    return "".join(
        f'<font name="{font}">{escape(chunk)}</font>'
        for font, chunk in text_runs(visual_text(text), bold=bold)
    )
