"""The arrivals (or departures) board as a printable PDF for liaison officers.

The same content as the print view of templates/travel/board.html: the title, the time zone,
the count and when the board was last handed out; then each day under its full date, each
hour as a band ("14:00 · 3 delegates · 2 pick-ups"), and a row per delegate: time, name (marked
head of delegation or pending, the delegation under it), country, mode and number, place (a
flight's airport by name), pick-up (departures: transport), hotel and a "changed" mark.

Rules:
- A4 landscape, drawn straight on a reportlab canvas, page by page (no platypus): 2,000 rows
  take well under two seconds. A first pass measures every row and cuts the pages, a second
  draws them knowing their number ("Page 2 of 9" in the footer).
- As in the print view, each day starts on a new page and an hour's rows stay on one page when
  they fit on one. A page that continues a day repeats the day's heading and the table header,
  and the hour's band when the hour continues.
- Text in any script goes through services.documents.pdf_fonts (one font per run, bidi order,
  HarfBuzz shaping). A cell wraps at spaces (a word wider than the column is cut between
  characters, never between a character and its marks) on at most MAX_LINES lines, the last
  one cut with "…": a row never outgrows a page, whatever a delegate typed.
- Every fixed text is translated once per document, in ``language``, with the template's own
  msgids; countries are named in ``language`` (``countries`` when given: code -> name).
- Marks are outlined, black on white, like the print view's badges: they read in greyscale.
"""

import logging
import unicodedata
from dataclasses import dataclass

from babel.dates import format_date
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from ...i18n import country_name, formatting_locale, local_datetime
from ..documents.pdf_canvas import PageCompressingCanvas
from ..documents.pdf_fonts import Line, draw_line, layout_line, register_fonts
from .airports import airport_label
from .boards import Board, BoardDay, BoardRow, BoardSlot
from .plans import MODE_LABELS

log = logging.getLogger(__name__)

PAGE = landscape(A4)
MARGIN_X = 12 * mm
MARGIN_TOP = 12 * mm
#: the footer sits in the bottom margin
MARGIN_BOTTOM = 15 * mm
FOOTER_Y = 8 * mm
#: the most lines a cell (or the title) takes
MAX_LINES = 3
ELLIPSIS = "…"

TITLE_SIZE, TITLE_LEADING = 15, 18
INFO_SIZE, INFO_LEADING = 8.5, 11
DAY_SIZE, DAY_LEADING = 12, 15
HEAD_SIZE, HEAD_LEADING = 7.5, 9
BAND_SIZE = 8.5
CELL_SIZE, CELL_LEADING = 8.5, 10
SMALL_SIZE, SMALL_LEADING = 7.5, 9
#: a mark on its own line: its baseline under the name's
MARK_SIZE, MARK_LEADING, MARK_GAP = 6.5, 10.5, 3
FOOTER_SIZE = 7.5
#: space above and below a row's text, between columns, around a mark's text
PAD_Y, PAD_X, MARK_PAD = 2.2, 1.6 * mm, 1.5
BAND_H = 14
DAY_GAP = 5  # under the day's heading

INK = HexColor("#1d2733")
MUTED = HexColor("#5b6570")
RULE = HexColor("#ced4da")
HEADER_FILL = HexColor("#e9ecef")
BAND_FILL = HexColor("#f4f5f7")
CHANGED = HexColor("#dc3545")

#: the columns: key and share of the table's width (each header word fits its column in
#: English and Indonesian: "Penjemputan", "Penerbangan")
COLUMNS = (("time", 0.05), ("name", 0.22), ("country", 0.10), ("mode", 0.11),
           ("place", 0.20), ("pickup", 0.09), ("hotel", 0.165), ("changed", 0.065))


def _mode_labels() -> dict[str, str]:
    """The travel modes' labels in the current language (as the board template shows them)."""
    return {mode: str(label) for mode, label in MODE_LABELS.items()}


@dataclass(frozen=True)
class _Texts:
    """The fixed texts of one document, translated once."""

    title: str
    info: str
    headers: tuple[str, ...]
    yes: str
    no: str
    head: str
    pending: str
    changed: str
    empty: str
    modes: dict[str, str]


def _texts(board: Board, language: str) -> _Texts:
    """Call inside ``force_locale(language)``."""
    event, arrival = board.event, board.kind == "arrival"
    title = f"{_('Arrivals board') if arrival else _('Departures')} · {event.title}"
    info = [_("Times in the event's time zone (%(zone)s).", zone=event.timezone),
            ngettext("%(num)d delegate.", "%(num)d delegates.", board.count)]
    if board.exported_at:
        info.append(_("Last handed out: %(when)s; rows marked “changed” were changed after it.",
                      when=local_datetime(board.exported_at, event.timezone)))
    else:
        info.append(_("Not handed out yet: every row is new."))
    headers = (_("Time"), _("Name"), _("Country"), _("Flight or train"),
               _("Arrives at") if arrival else _("Leaves from"),
               _("Pick-up") if arrival else _("Transport"), _("Hotel"), _("Changed"))
    return _Texts(
        title=title, info=" ".join(info), headers=headers, yes=_("Yes"), no=_("No"),
        head=_("Head of delegation"), pending=_("pending"), changed=_("changed"),
        empty=_("No arrivals given yet.") if arrival else _("No departures given yet."),
        modes=_mode_labels())


# --- measuring text ----------------------------------------------------------------------------

def _fits(text: str, width: float, size: float, bold: bool) -> bool:
    return layout_line(text, bold=bold).width(size) <= width


def _clusters(text: str) -> list[str]:
    """``text`` as characters with their following marks and joiners (never cut apart)."""
    clusters: list[str] = []
    for char in text:
        joins = unicodedata.category(char)[0] == "M" or char in ("\u200c", "\u200d")
        if clusters and (joins or clusters[-1][-1] in ("\u200c", "\u200d")):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _longest_prefix(clusters: list[str], width: float, size: float, bold: bool,
                    suffix: str = "") -> int:
    """How many of ``clusters`` (at least one) fit ``width`` followed by ``suffix``
    (a binary search: a few layouts, not one per character)."""
    low, high = 1, len(clusters)
    while low < high:
        middle = (low + high + 1) // 2
        if _fits("".join(clusters[:middle]).rstrip() + suffix, width, size, bold):
            low = middle
        else:
            high = middle - 1
    return low


def _cut(text: str, width: float, size: float, bold: bool) -> str:
    """``text`` shortened to fit ``width`` with "…" at its end."""
    if _fits(text + ELLIPSIS, width, size, bold):
        return text + ELLIPSIS
    clusters = _clusters(text)
    count = _longest_prefix(clusters, width, size, bold, ELLIPSIS)
    return "".join(clusters[:count]).rstrip() + ELLIPSIS


def wrap(text: str, width: float, size: float, *, bold: bool = False,
         max_lines: int = MAX_LINES) -> list[str]:
    """``text`` on at most ``max_lines`` lines (logical order) that each fit ``width``,
    the last one cut with "…" when the text goes on."""
    text = " ".join(text.split())
    if not text:
        return []
    if _fits(text, width, size, bold):  # nearly every cell: one layout
        return [text]
    words, lines, current, index = text.split(" "), [], "", 0
    while index < len(words) and len(lines) < max_lines:
        word = words[index]
        candidate = f"{current} {word}" if current else word
        if _fits(candidate, width, size, bold):
            current, index = candidate, index + 1
        elif current:
            lines.append(current)
            current = ""
        else:  # a word wider than the column: cut between characters
            clusters = _clusters(word)
            count = _longest_prefix(clusters, width, size, bold)
            lines.append("".join(clusters[:count]))
            words[index] = "".join(clusters[count:])
            if not words[index]:
                index += 1
    if current:  # only when every word is placed (a full line empties ``current``)
        lines.append(current)
    if index < len(words):
        lines[-1] = _cut(lines[-1], width, size, bold)
    return lines


# --- the first pass: rows measured, pages cut --------------------------------------------------

@dataclass(slots=True)
class _Row:
    """A row ready to draw: its lines laid out, its height known."""

    source: BoardRow
    time: Line
    name: list[Line]
    marks_inline: bool
    delegation: list[Line]
    cells: dict[str, list[Line]]
    height: float


class _Layout:
    """Column positions and the things every row shares, for one document."""

    def __init__(self, texts: _Texts, language: str, countries: dict[str, str] | None):
        self.texts, self.language, self.countries = texts, language, countries
        self.left, self.right = MARGIN_X, PAGE[0] - MARGIN_X
        width = self.right - self.left
        self.x, self.width, x = {}, {}, self.left
        for key, share in COLUMNS:
            self.x[key], self.width[key] = x, width * share
            x += width * share
        self.headers = [[layout_line(text, bold=True) for text in
                         wrap(header, self.inner(key), HEAD_SIZE, bold=True, max_lines=2)]
                        for header, (key, _share) in zip(texts.headers, COLUMNS, strict=True)]
        self.header_h = max(len(lines) for lines in self.headers) * HEAD_LEADING + 2 * PAD_Y
        self.marks = {key: layout_line(text, bold=True) for key, text in
                      (("head", texts.head), ("pending", texts.pending),
                       ("changed", texts.changed), ("yes", texts.yes))}
        self.no = layout_line(texts.no)
        self._country_names: dict[str, str] = {}

    def inner(self, key: str) -> float:
        """The width text may take in column ``key``."""
        return self.width[key] - 2 * PAD_X

    def country(self, code: str) -> str:
        if self.countries is not None and code in self.countries:
            return self.countries[code]
        if code not in self._country_names:
            self._country_names[code] = country_name(code, self.language)
        return self._country_names[code]

    def mark_width(self, key: str) -> float:
        return self.marks[key].width(MARK_SIZE) + 2 * MARK_PAD

    def row_marks(self, row: BoardRow) -> list[str]:
        return [key for key, shown in (("head", row.is_head), ("pending", row.status == "pending"))
                if shown]

    def row(self, row: BoardRow) -> _Row:
        def lines(text: str, key: str, *, size=CELL_SIZE) -> list[Line]:
            return [layout_line(line) for line in wrap(text, self.inner(key), size)]

        name_width = self.inner("name")
        name = lines(row.name, "name")
        marks = self.row_marks(row)
        marks_w = sum(MARK_GAP + self.mark_width(key) for key in marks)
        inline = bool(marks) and bool(name) and name[-1].width(CELL_SIZE) + marks_w <= name_width
        delegation = lines(row.delegation, "name", size=SMALL_SIZE)
        mode = f"{self.texts.modes.get(row.mode, '')} {row.number or ''}".strip()
        place = airport_label(row.place) if row.mode == "flight" else (row.place or "")
        cells = {"country": lines(self.country(row.country), "country"),
                 "mode": lines(mode, "mode"), "place": lines(place, "place"),
                 "hotel": lines(row.hotel, "hotel")}
        name_h = (max(len(name), 1) * CELL_LEADING + (MARK_LEADING if marks and not inline else 0)
                  + len(delegation) * SMALL_LEADING)
        tallest = max([name_h] + [len(cell) * CELL_LEADING for cell in cells.values()])
        return _Row(source=row, time=layout_line(row.local.strftime("%H:%M")), name=name,
                    marks_inline=inline, delegation=delegation, cells=cells,
                    height=tallest + 2 * PAD_Y)


def _band_text(slot: BoardSlot) -> str:
    text = " · ".join((slot.hour.strftime("%H:00"),
                       ngettext("%(num)d delegate", "%(num)d delegates", len(slot.rows))))
    if slot.pickups:
        text += " · " + ngettext("%(num)d pick-up", "%(num)d pick-ups", slot.pickups)
    return text


def _day_text(day: BoardDay, language: str) -> str:
    return (f"{format_date(day.day, 'full', locale=formatting_locale(language))} · "
            + ngettext("%(num)d delegate", "%(num)d delegates", day.count))


class _Pages:
    """The first pass: what goes on each page, and at which height."""

    def __init__(self, layout: _Layout):
        self.layout = layout
        self.pages: list[list[tuple[str, object, float]]] = []
        self.top, self.bottom = PAGE[1] - MARGIN_TOP, MARGIN_BOTTOM
        self.y = self.top
        self.rows_here = 0

    @property
    def room(self) -> float:
        return self.y - self.bottom

    def new_page(self) -> None:
        self.pages.append([])
        self.y, self.rows_here = self.top, 0

    def put(self, kind: str, payload, height: float) -> None:
        self.pages[-1].append((kind, payload, self.y))
        self.y -= height

    def day_start(self, heading: str) -> None:
        self.put("day", heading, DAY_LEADING + DAY_GAP)
        self.put("header", None, self.layout.header_h)

    def continue_day(self, heading: str, band: str | None) -> None:
        self.new_page()
        self.day_start(heading)
        if band is not None:
            self.put("band", band, BAND_H)

    def fresh_room(self) -> float:
        """The room for rows on a page that continues a day (under its headings)."""
        return self.top - self.bottom - DAY_LEADING - DAY_GAP - self.layout.header_h


def _paginate(board: Board, layout: _Layout, language: str) -> list[list]:
    pages, texts = _Pages(layout), layout.texts
    pages.new_page()
    title = wrap(texts.title, layout.right - layout.left, TITLE_SIZE, bold=True, max_lines=2)
    for line in title:
        pages.put("title", layout_line(line, bold=True), TITLE_LEADING)
    for line in wrap(texts.info, layout.right - layout.left, INFO_SIZE, max_lines=4):
        pages.put("info", layout_line(line), INFO_LEADING)
    pages.y -= 6
    if not board.days:
        pages.put("empty", layout_line(texts.empty), INFO_LEADING)
    for number, day in enumerate(board.days):
        if number:
            pages.new_page()  # each day on a new page, as printed from the browser
        heading = _day_text(day, language)
        pages.day_start(heading)
        for slot in day.slots:
            band = _band_text(slot)
            rows = [layout.row(row) for row in slot.rows]
            whole = BAND_H + sum(row.height for row in rows)
            first = BAND_H + rows[0].height
            # keep the hour on one page when it fits on one; never a band alone at the bottom
            if pages.rows_here and (first > pages.room
                                    or pages.room < whole <= pages.fresh_room()):
                pages.continue_day(heading, None)
            pages.put("band", band, BAND_H)
            for row in rows:
                if row.height > pages.room:
                    pages.continue_day(heading, band)
                pages.put("row", row, row.height)
                pages.rows_here += 1
    return pages.pages


# --- the second pass: drawing ------------------------------------------------------------------

def _draw_lines(canvas: Canvas, lines: list[Line], x: float, y: float, size: float,
                leading: float) -> float:
    """Draw ``lines`` from baseline ``y`` down; return the baseline after the last."""
    for line in lines:
        draw_line(canvas, x, y, line, size)
        y -= leading
    return y


def _draw_mark(canvas: Canvas, line: Line, x: float, baseline: float, *, colour=INK) -> float:
    """An outlined mark (black text, like the printed badges); return its width."""
    width = line.width(MARK_SIZE) + 2 * MARK_PAD
    canvas.setStrokeColor(colour)
    canvas.setLineWidth(0.6)
    canvas.rect(x, baseline - 2, width, MARK_SIZE + 3, stroke=1, fill=0)
    canvas.setFillColor(colour)
    draw_line(canvas, x + MARK_PAD, baseline, line, MARK_SIZE)
    canvas.setFillColor(INK)
    return width


def _draw_header(canvas: Canvas, layout: _Layout, top: float) -> None:
    height = layout.header_h
    canvas.setFillColor(HEADER_FILL)
    canvas.rect(layout.left, top - height, layout.right - layout.left, height, stroke=0, fill=1)
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(0.8)
    canvas.line(layout.left, top - height, layout.right, top - height)
    canvas.setFillColor(INK)
    for (key, _share), lines in zip(COLUMNS, layout.headers, strict=True):
        _draw_lines(canvas, lines, layout.x[key] + PAD_X, top - PAD_Y - HEAD_SIZE, HEAD_SIZE,
                    HEAD_LEADING)


def _draw_band(canvas: Canvas, layout: _Layout, text: str, top: float) -> None:
    canvas.setFillColor(BAND_FILL)
    canvas.rect(layout.left, top - BAND_H, layout.right - layout.left, BAND_H, stroke=0, fill=1)
    canvas.setFillColor(INK)
    draw_line(canvas, layout.left + PAD_X, top - BAND_H + 4, layout_line(text, bold=True),
              BAND_SIZE)


def _draw_row(canvas: Canvas, layout: _Layout, row: _Row, top: float) -> None:
    source, x = row.source, layout.x
    bottom = top - row.height
    if source.changed:  # as on the page: a red bar before the row
        canvas.setFillColor(CHANGED)
        canvas.rect(layout.left - 3, bottom + 0.5, 2.5, row.height - 1, stroke=0, fill=1)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.25)
    canvas.line(layout.left, bottom, layout.right, bottom)
    canvas.setFillColor(INK)
    first = top - PAD_Y - CELL_SIZE
    draw_line(canvas, x["time"] + PAD_X, first, row.time, CELL_SIZE)
    left = x["name"] + PAD_X
    last = _draw_lines(canvas, row.name, left, first, CELL_SIZE, CELL_LEADING) + CELL_LEADING
    marks = layout.row_marks(source)
    if marks:
        if row.marks_inline:
            mark_x = left + row.name[-1].width(CELL_SIZE) + MARK_GAP
        else:
            mark_x, last = left, last - MARK_LEADING
        for key in marks:
            mark_x += _draw_mark(canvas, layout.marks[key], mark_x, last) + MARK_GAP
    if row.delegation:
        canvas.setFillColor(MUTED)
        _draw_lines(canvas, row.delegation, left, last - SMALL_LEADING, SMALL_SIZE,
                    SMALL_LEADING)
        canvas.setFillColor(INK)
    for key, lines in row.cells.items():
        _draw_lines(canvas, lines, x[key] + PAD_X, first, CELL_SIZE, CELL_LEADING)
    draw_line(canvas, x["pickup"] + PAD_X, first,
              layout.marks["yes"] if source.pickup else layout.no, CELL_SIZE)
    if source.changed:
        _draw_mark(canvas, layout.marks["changed"], x["changed"] + PAD_X, first, colour=CHANGED)


def _draw_footer(canvas: Canvas, layout: _Layout, footer: Line, number: int, total: int):
    canvas.setFillColor(MUTED)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.4)
    canvas.line(layout.left, FOOTER_Y + 9, layout.right, FOOTER_Y + 9)
    draw_line(canvas, layout.left, FOOTER_Y, footer, FOOTER_SIZE)
    page = layout_line(_("Page %(page)s of %(pages)s", page=number, pages=total))
    draw_line(canvas, layout.right, FOOTER_Y, page, FOOTER_SIZE, align="right")


def _draw(canvas: Canvas, layout: _Layout, pages: list[list]) -> None:
    footer_text = wrap(layout.texts.title, (layout.right - layout.left) * 0.7, FOOTER_SIZE,
                       max_lines=1)
    footer = layout_line(footer_text[0] if footer_text else "")
    for number, items in enumerate(pages, start=1):
        for kind, payload, top in items:
            if kind == "row":
                _draw_row(canvas, layout, payload, top)
            elif kind == "band":
                _draw_band(canvas, layout, payload, top)
            elif kind == "header":
                _draw_header(canvas, layout, top)
            elif kind == "day":
                canvas.setFillColor(INK)
                draw_line(canvas, layout.left, top - DAY_SIZE, layout_line(payload, bold=True),
                          DAY_SIZE)
            elif kind == "title":
                canvas.setFillColor(INK)
                draw_line(canvas, layout.left, top - TITLE_SIZE, payload, TITLE_SIZE)
            else:  # info, empty
                canvas.setFillColor(MUTED)
                draw_line(canvas, layout.left, top - INFO_SIZE, payload, INFO_SIZE)
        _draw_footer(canvas, layout, footer, number, len(pages))
        canvas.showPage()


def render_board_pdf(board: Board, *, language: str,
                     countries: dict[str, str] | None = None) -> bytes:
    """``board`` as an A4 (landscape) PDF in ``language``; ``countries`` (code -> name) names
    the countries, else they are named in ``language``."""
    register_fonts()
    canvas = PageCompressingCanvas(None, pagesize=PAGE, pageCompression=1, invariant=1)
    with force_locale(language):
        texts = _texts(board, language)
        canvas.setTitle(texts.title)
        layout = _Layout(texts, language, countries)
        pages = _paginate(board, layout, language)
        _draw(canvas, layout, pages)
    data = canvas.getpdfdata()
    log.info("rendered the %s board of event %s: %d rows, %d pages", board.kind,
             board.event.id, board.count, len(pages))
    return data
