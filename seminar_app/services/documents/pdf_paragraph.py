"""A reportlab flowable for plain text in any script: wrapped, shaped and ordered by pdf_fonts.

reportlab's Paragraph draws one glyph per character, so it cannot keep HarfBuzz's glyphs and
positions (Arabic ligatures, Devanagari conjuncts, Thai marks). ``TextParagraph`` takes plain
text (no markup), wraps it at spaces (a word longer than the line is cut between characters,
never inside a character and its marks), lays every line out with ``pdf_fonts.layout_line`` in
the paragraph's own direction, and draws it. From its ParagraphStyle it reads fontSize, leading,
alignment, textColor, spaceBefore and spaceAfter; bold takes the bold faces.
"""

import unicodedata

from bidi.algorithm import get_base_level
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable

from .pdf_fonts import BOLD, ZWJ, ZWNJ, draw_line, layout_line


def _clusters(word: str) -> list[str]:
    """``word`` as characters with their following marks and joiners (never split apart)."""
    clusters: list[str] = []
    for char in word:
        joins = unicodedata.category(char)[0] == "M" or char in (ZWJ, ZWNJ)
        if clusters and (joins or clusters[-1][-1] in (ZWJ, ZWNJ)):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def wrap_text(text: str, width: float, size: float, *, bold: bool = False,
              rtl: bool | None = None) -> list[str]:
    """``text`` cut into lines (logical order) that each fit ``width`` at font size ``size``."""
    def fits(candidate: str) -> bool:
        return layout_line(candidate, bold=bold, rtl=rtl).width(size) <= width

    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for cluster in _clusters(word):
            if current and not fits(current + cluster):
                lines.append(current)
                current = ""
            current += cluster
    if current:
        lines.append(current)
    return lines


class TextParagraph(Flowable):
    """A paragraph of plain text in any script, drawn with shaped glyphs."""

    def __init__(self, text: str, style: ParagraphStyle, *, bold: bool = False,
                 lines: list[str] | None = None, rtl: bool | None = None):
        super().__init__()
        self.text, self.style = text, style
        self.bold = bold or style.fontName == BOLD
        self.rtl = get_base_level(text) == 1 if rtl is None and text.strip() else bool(rtl)
        self._fixed_lines = lines
        self.lines: list[str] = lines or []

    def __repr__(self) -> str:
        return f"TextParagraph({self.text[:40]!r})"

    def _wrap_lines(self, width: float) -> list[str]:
        if self._fixed_lines is not None:
            return self._fixed_lines
        return wrap_text(self.text, width, self.style.fontSize, bold=self.bold, rtl=self.rtl)

    def wrap(self, avail_width, avail_height):  # reportlab's names
        """Lay the text out for ``avail_width``; return the size it takes."""
        self.width = avail_width
        self.lines = self._wrap_lines(avail_width)
        self.height = len(self.lines) * self.style.leading
        return self.width, self.height

    def minWidth(self):  # noqa: N802 - reportlab's name
        """The widest word: what a table column needs at least."""
        size = self.style.fontSize
        return max((layout_line(word, bold=self.bold).width(size) for word in self.text.split()),
                   default=0)

    def split(self, avail_width, avail_height):
        """Two paragraphs: the lines that fit ``avail_height`` and the rest (or [] if none fit)."""
        lines = self._wrap_lines(avail_width)
        fit = int(avail_height // self.style.leading)
        if not 0 < fit < len(lines):
            return []
        return [TextParagraph(self.text, self.style, bold=self.bold, lines=part, rtl=self.rtl)
                for part in (lines[:fit], lines[fit:])]

    def draw(self):
        """Draw the lines, first baseline one font size below the top."""
        style, size = self.style, self.style.fontSize
        align, x = {TA_CENTER: ("center", self.width / 2),
                    TA_RIGHT: ("right", self.width)}.get(style.alignment, ("left", 0))
        self.canv.setFillColor(style.textColor)
        y = self.height - size
        for text in self.lines:
            draw_line(self.canv, x, y, layout_line(text, bold=self.bold, rtl=self.rtl), size,
                      align=align)
            y -= style.leading
