"""Name badges as PDF: A4 sheets of 2x4 badges with crop marks, or one badge per A6 page.

A badge shows the event, the delegate's honorific, names, organisation and country, a colour
band with the delegation role written on it (so it reads in greyscale too) and a QR code whose
payload is exactly the registration's badge code: random, no personal data. Passport data is
never read here. When the registration has a photo (services.registration.photos, already a
35x45 JPEG without metadata) the badge takes the layout with photo: the photo left of the
names on the A4 sheet, beside the QR code on a single badge. Badges without photo read no
photo at all (the registration's ``photo_id`` is NULL, so nothing is loaded).
"""

import functools
import io
import logging
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from zoneinfo import ZoneInfo

import segno
from babel.dates import format_date, format_interval
from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from segno import consts
from segno import encoder as qr_encoder

from ...i18n import country_name, formatting_locale
from ...models import DelegationRole, Registration
from ..events.attendance import attendance_label, attends_online
from ..registration.registration_labels import honorific_text, role_label
from .pdf_canvas import PageCompressingCanvas
from .pdf_fonts import draw_line, layout_line, register_fonts

log = logging.getLogger(__name__)

LAYOUTS = ("a4", "single")
#: the A4 sheet: columns x rows of badges, each BADGE_W x BADGE_H (Avery L7165-like cells)
SHEET_COLUMNS, SHEET_ROWS = 2, 4
BADGE_W, BADGE_H = 95 * mm, 68 * mm
QR_SIDE_A4, QR_SIDE_SINGLE = 26 * mm, 36 * mm
#: the photo on a badge, passport proportions (35:45)
PHOTO_H_A4, PHOTO_H_SINGLE = 27 * mm, 36 * mm
PHOTO_RATIO = 35 / 45
INK = HexColor("#1d2733")
QR_INK = HexColor("#000000")
MUTED = HexColor("#5b6570")

#: band colours, distinct in colour and in lightness; white text reads on every one
ROLE_COLOURS = {
    DelegationRole.HEAD: HexColor("#8e1b1b"),
    DelegationRole.DELEGATE: HexColor("#1f4e99"),
    DelegationRole.OBSERVER: HexColor("#2f7d32"),
    DelegationRole.MEDIA: HexColor("#c45a00"),
    DelegationRole.SPEAKER: HexColor("#5e2d8a"),
}


@dataclass(frozen=True)
class BadgeContent:
    """Everything printed on one badge (and nothing else)."""

    event_title: str
    event_dates: str
    honorific: str
    given_name: str
    family_name: str
    organisation: str
    country: str
    role: DelegationRole
    role_label: str
    badge_code: str
    #: the photo's JPEG bytes, or None for the layout without photo
    photo: bytes | None = None


def event_dates(event, language: str) -> str:
    """The event's local dates, short, e.g. "17–18 Mar 2026"."""
    return _local_dates(event.timezone, event.start_at, event.end_at,
                        formatting_locale(language))


@functools.lru_cache(maxsize=64)
def _local_dates(timezone: str, start_at, end_at, locale: str) -> str:
    """event_dates, formatted once for all the badges of an event instead of once a badge
    (Babel's interval formatting was a few percent of a badge's time)."""
    zone = ZoneInfo(timezone)
    start, end = start_at.astimezone(zone).date(), end_at.astimezone(zone).date()
    if start == end:
        return format_date(start, "medium", locale=locale)
    return format_interval(start, end, "yMMMd", locale=locale)


def badge_content(registration: Registration, *, language: str) -> BadgeContent:
    """What goes on ``registration``'s badge, in ``language`` (call inside force_locale)."""
    event = registration.event
    return BadgeContent(
        event_title=event.title,
        event_dates=event_dates(event, language),
        honorific=honorific_text(registration),
        given_name=registration.given_name,
        family_name=registration.family_name,
        organisation=registration.organisation,
        country=country_name(registration.country, language),
        role=registration.delegation_role,
        # every delegate gets a badge; one attending online is marked so on the band
        role_label=role_label(registration.delegation_role) + (
            f" · {attendance_label(registration)}" if attends_online(registration) else ""),
        badge_code=registration.badge_code,
        photo=_photo_bytes(registration),
    )


def _photo_bytes(registration: Registration) -> bytes | None:
    """The photo's JPEG bytes; None (nothing loaded) when the registration has none."""
    if registration.photo_id is None:
        return None
    upload = registration.photo
    return upload.data if upload is not None else None


#: the QR code's mask pattern, fixed: choosing the best of eight (segno's default) costs six
#: times the rest of the encoding, and any mask reads (the payload is random anyway)
QR_MASK = 0


def badge_qr(badge_code: str) -> segno.QRCode:
    """The badge's QR code: payload exactly ``badge_code``, error correction level Q."""
    return segno.make_qr(badge_code, error="q", boost_error=False, mask=QR_MASK)


def badge_qr_matrix(badge_code: str) -> list[bytearray]:
    """The modules of ``badge_qr(badge_code)`` (1 dark), made in a third of segno's time.

    segno builds each code's matrix from nothing: finder and alignment patterns, the codewords
    placed module by module, the mask applied module by module (two thirds of its time, 0.2 ms
    a badge). All of that depends only on the version (the mask is fixed): here the matrix of
    a version with every data bit 0 and the places of the data bits are made once by segno
    itself (``_qr_layout``), and a code only flips the places of its 1 bits (a mask is an
    exclusive or). The codewords are segno's own (its encoder's steps, as ``segno.make_qr``
    takes them); tests compare the result with ``badge_qr`` module for module."""
    error = consts.ERROR_LEVEL_Q
    segments = qr_encoder.prepare_data(badge_code, None, None)
    version = qr_encoder.find_version(segments, error, eci=False, micro=False)
    bits = qr_encoder.Buffer()
    for segment in segments:
        qr_encoder.write_segment(bits, segment, None, qr_encoder.version_range(version))
    capacity = consts.SYMBOL_CAPACITY[version][error]
    qr_encoder.write_terminator(bits, capacity, None, len(bits))
    qr_encoder.write_padding_bits(bits, version, len(bits))
    qr_encoder.write_pad_codewords(bits, version, capacity, len(bits))
    bits = qr_encoder.make_final_message(version, error, bits)
    empty, places = _qr_layout(version, len(bits))
    matrix = [bytearray(row) for row in empty]
    for bit, (row, column) in zip(bits, places, strict=True):
        if bit:
            matrix[row][column] ^= 1
    return matrix


@functools.lru_cache(maxsize=8)
def _qr_layout(version: int, bit_count: int) -> tuple[tuple[bytes, ...],
                                                      tuple[tuple[int, int], ...]]:
    """The matrix of a version-``version`` code (error level Q, mask QR_MASK) whose
    ``bit_count`` data bits are all 0, made by segno's own steps, and the places of the data
    bits in the order segno places them."""
    width = qr_encoder.calc_matrix_size(version)

    def patterns(matrix):
        qr_encoder.add_finder_patterns(matrix, width, width)
        qr_encoder.add_alignment_patterns(matrix, width, width)
        return matrix

    # each data bit placed as its own number (3, 4, ...: 0 to 2 are patterns and free modules)
    numbered = patterns([list(row) for row in qr_encoder.make_matrix(width, width)])
    qr_encoder.add_codewords(numbered, range(3, 3 + bit_count), version)
    places = sorted((value, row, column) for row, line in enumerate(numbered)
                    for column, value in enumerate(line) if value >= 3)
    empty = patterns(qr_encoder.make_matrix(width, width))
    qr_encoder.add_codewords(empty, bytes(bit_count), version)
    _mask, empty = qr_encoder.find_and_apply_best_mask(empty, width, width, QR_MASK)
    qr_encoder.add_format_info(empty, version, consts.ERROR_LEVEL_Q, QR_MASK)
    qr_encoder.add_version_info(empty, version)
    return (tuple(bytes(row) for row in empty),
            tuple((row, column) for _value, row, column in places))


def _qr_operators(matrix) -> str:
    """The dark modules of ``matrix`` as PDF path operators, one rectangle per horizontal run,
    in module units (row 0 at the top: the caller flips the y axis), then a fill."""
    operators = []
    for row_index, row in enumerate(matrix):
        column, count = 0, len(row)
        while column < count:
            if row[column]:
                start = column
                while column < count and row[column]:
                    column += 1
                operators.append(f"{start} {row_index} {column - start} 1 re")
            column += 1
    operators.append("f")
    return "\n".join(operators)


def render_badges_pdf(registrations: Iterable[Registration], *, layout: str = "a4",
                      language: str = "en", compress: bool = True) -> bytes:
    """Badges of ``registrations`` as a PDF: an A4 sheet (2x4) or one A6 page per badge.

    For a few badges (in the request); the worker writes thousands with ``write_badges_pdf``."""
    canvas, count = _drawn_canvas(registrations, layout=layout, language=language,
                                  compress=compress)
    data = canvas.getpdfdata()
    log.info("rendered %d badges (%s)", count, layout)
    return data


def write_badges_pdf(registrations: Iterable[Registration], out, *, layout: str = "a4",
                     language: str = "en") -> int:
    """The badge PDF of ``render_badges_pdf`` written into the binary file ``out``; its size.

    Memory stays far below the size of the file, however many badges (the worker builds
    10,000 at a time): ``registrations`` may be a generator loading them in batches (as
    document_jobs does) and is read one page of badges at a time, never held as a whole; each
    page becomes bytes as soon as it is finished (``PageCompressingCanvas``: its compressed
    stream and its formatted dictionary, about 1.5 KB for a single badge) and the file is
    written object by object, each page let go once written (``write_to``)."""
    canvas, count = _drawn_canvas(registrations, layout=layout, language=language,
                                  compress=True)
    size = canvas.write_to(out)
    log.info("wrote %d badges (%s), %d bytes", count, layout, size)
    return size


def _drawn_canvas(registrations: Iterable[Registration], *, layout: str, language: str,
                  compress: bool) -> tuple[PageCompressingCanvas, int]:
    """A canvas with the badges of ``registrations`` drawn, and how many there are."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown badge layout {layout!r}")
    register_fonts()
    pagesize = A4 if layout == "a4" else A6
    canvas = PageCompressingCanvas(None, pagesize=pagesize, pageCompression=int(compress),
                                    invariant=1)
    with force_locale(language):
        canvas.setTitle(_("Badges"))
        contents = (badge_content(r, language=language) for r in registrations)
        if layout == "a4":
            count = _draw_sheets(canvas, contents)
        else:
            count = 0
            for content in contents:
                _draw_portrait(canvas, content, 0, 0, *A6)
                canvas.showPage()
                count += 1
    if not count:
        canvas.showPage()
    return canvas, count


# --- the A4 sheet ----------------------------------------------------------------------------

def _sheet_origin() -> tuple[float, float]:
    page_w, page_h = A4
    return (page_w - SHEET_COLUMNS * BADGE_W) / 2, (page_h - SHEET_ROWS * BADGE_H) / 2


def _draw_sheets(canvas: Canvas, contents: Iterator[BadgeContent]) -> int:
    """Draw the badges, SHEET_COLUMNS x SHEET_ROWS to a page, reading ``contents`` one page
    at a time; returns how many were drawn."""
    per_page = SHEET_COLUMNS * SHEET_ROWS
    left, bottom = _sheet_origin()
    count = 0
    while page := list(islice(contents, per_page)):
        _draw_crop_marks(canvas, left, bottom)
        for index, content in enumerate(page):
            row, column = divmod(index, SHEET_COLUMNS)
            x = left + column * BADGE_W
            y = bottom + (SHEET_ROWS - 1 - row) * BADGE_H
            _draw_landscape(canvas, content, x, y, BADGE_W, BADGE_H)
        canvas.showPage()
        count += len(page)
    return count


def _draw_crop_marks(canvas: Canvas, left: float, bottom: float) -> None:
    """Short lines in the margins along every cut, clear of the badges."""
    right, top = left + SHEET_COLUMNS * BADGE_W, bottom + SHEET_ROWS * BADGE_H
    gap, length = 2 * mm, 5 * mm
    canvas.saveState()
    canvas.setLineWidth(0.3)
    canvas.setStrokeColor(MUTED)
    for column in range(SHEET_COLUMNS + 1):
        x = left + column * BADGE_W
        canvas.line(x, top + gap, x, top + gap + length)
        canvas.line(x, bottom - gap, x, bottom - gap - length)
    for row in range(SHEET_ROWS + 1):
        y = bottom + row * BADGE_H
        canvas.line(left - gap, y, left - gap - length, y)
        canvas.line(right + gap, y, right + gap + length, y)
    canvas.restoreState()


# --- one badge -------------------------------------------------------------------------------

def _shorten(text: str) -> str:
    """``text`` one character shorter, with "…" (marks of the cut character go with it)."""
    text = text.removesuffix("…")[:-1]
    while text and unicodedata.category(text[-1])[0] in "MC":
        text = text[:-1]
    return text.rstrip() + "…"


def _fit(text: str, width: float, size: float, *, bold=False, minimum=6.0):
    """(line, size): ``text`` at ``size`` or smaller to fit ``width``, cut with … at ``minimum``."""
    line = layout_line(text, bold=bold)
    natural = line.width(size)
    if natural <= width:
        return line, size
    size = max(minimum, size * width / natural)
    while line.width(size) > width and len(text) > 1:
        text = _shorten(text)
        line = layout_line(text, bold=bold)
    return line, size


def _line(canvas, text, x, y, width, size, *, bold=False, colour=INK, align="left", minimum=6.0):
    """Draw one line of text fitted into ``width``; return the size used."""
    if not text:
        return 0
    line, used = _fit(text, width, size, bold=bold, minimum=minimum)
    canvas.setFillColor(colour)
    anchor = {"left": x, "center": x + width / 2, "right": x + width}[align]
    draw_line(canvas, anchor, y, line, used, align=align)
    return used


def _wrap_two_lines(text: str, width: float, size: float) -> list[str]:
    """``text`` split into at most two lines that each fit ``width`` at ``size`` (greedy)."""
    words, lines = text.split(), [""]
    for word in words:
        candidate = f"{lines[-1]} {word}".strip()
        if lines[-1] and layout_line(candidate).width(size) > width and len(lines) < 2:
            lines.append(word)
        else:
            lines[-1] = candidate
    return [line for line in lines if line]


def _draw_band(canvas, content: BadgeContent, x, y, w, height, size) -> None:
    canvas.setFillColor(ROLE_COLOURS[content.role])
    canvas.rect(x, y, w, height, stroke=0, fill=1)
    label = content.role_label.upper()
    _line(canvas, label, x + 3 * mm, y + (height - size * 0.72) / 2, w - 6 * mm, size,
          bold=True, colour=white, align="center")


def _draw_header(canvas, content: BadgeContent, x, top, w, sizes, align="left") -> float:
    """Event title and dates under ``top``; returns the y of the rule drawn below them."""
    title_size, dates_size = sizes
    _line(canvas, content.event_title, x, top - title_size, w, title_size, bold=True,
          align=align)
    dates_y = top - title_size - dates_size * 1.35
    _line(canvas, content.event_dates, x, dates_y, w, dates_size, colour=MUTED, align=align)
    rule_y = dates_y - 2.2 * mm
    canvas.setStrokeColor(ROLE_COLOURS[content.role])
    canvas.setLineWidth(0.8)
    canvas.line(x, rule_y, x + w, rule_y)
    return rule_y


def _draw_qr(canvas, badge_code: str, x, y, side) -> None:
    """The QR code as vector squares, ``side`` wide (without the quiet zone), caption below."""
    matrix = badge_qr_matrix(badge_code)
    count = len(matrix)
    canvas.saveState()
    canvas.translate(x, y + side)
    canvas.scale(side / count, -side / count)  # one unit per module, rows downwards
    canvas.setFillColor(QR_INK)
    # written as literal operators: whole numbers need none of reportlab's number formatting
    canvas.addLiteral(_qr_operators(matrix))
    canvas.restoreState()
    _line(canvas, badge_code, x - 2 * mm, y - 3.2 * mm, side + 4 * mm, 6, colour=MUTED,
          align="center")


def _draw_person(canvas, content: BadgeContent, x, top, w, sizes, align="left") -> None:
    """Honorific, names, organisation and country, from ``top`` down."""
    honorific_size, name_size, org_size, country_size = sizes
    y = top - honorific_size * 1.1
    if content.honorific:
        _line(canvas, content.honorific, x, y, w, honorific_size, colour=MUTED, align=align)
        y -= name_size * 1.05
    else:
        y -= name_size * 0.2
    used = _line(canvas, content.given_name, x, y, w, name_size, bold=True, align=align,
                 minimum=7)
    y -= max(used, name_size * 0.8) * 1.15
    _line(canvas, content.family_name, x, y, w, name_size, bold=True, align=align, minimum=7)
    y -= org_size * 2.3
    for line in _wrap_two_lines(content.organisation, w, org_size):
        _line(canvas, line, x, y, w, org_size, align=align)
        y -= org_size * 1.25
    _line(canvas, content.country, x, y - country_size * 0.35, w, country_size, bold=True,
          align=align)


def _frame(canvas, x, y, w, h) -> None:
    canvas.setStrokeColor(HexColor("#d5d9de"))
    canvas.setLineWidth(0.4)
    canvas.rect(x, y, w, h, stroke=1, fill=0)


def _draw_photo(canvas, photo: bytes, x, y, height) -> None:
    """The photo, ``height`` high in passport proportions, with a thin frame."""
    width = height * PHOTO_RATIO
    try:
        canvas.drawImage(ImageReader(io.BytesIO(photo)), x, y, width, height)
    except OSError:  # an unreadable image never costs the badge: the frame stays empty
        log.warning("a badge photo could not be read; printed without it")
    canvas.setStrokeColor(HexColor("#d5d9de"))
    canvas.setLineWidth(0.4)
    canvas.rect(x, y, width, height, stroke=1, fill=0)


def _draw_landscape(canvas, content: BadgeContent, x, y, w, h) -> None:
    """A sheet badge: text on the left (after the photo, if any), QR code on the right, role
    band at the bottom."""
    pad, band = 4 * mm, 10 * mm
    _frame(canvas, x, y, w, h)
    rule_y = _draw_header(canvas, content, x + pad, y + h - pad, w - 2 * pad, (8.5, 7))
    _draw_band(canvas, content, x, y, w, band, 10)
    qr_x = x + w - pad - QR_SIDE_A4
    qr_y = y + band + (rule_y - y - band - QR_SIDE_A4) / 2 + 1.5 * mm
    _draw_qr(canvas, content.badge_code, qr_x, qr_y, QR_SIDE_A4)
    text_x = x + pad
    if content.photo is not None:
        photo_y = y + band + (rule_y - y - band - PHOTO_H_A4) / 2
        _draw_photo(canvas, content.photo, text_x, photo_y, PHOTO_H_A4)
        text_x += PHOTO_H_A4 * PHOTO_RATIO + 3 * mm
    text_w = qr_x - text_x - 3 * mm
    _draw_person(canvas, content, text_x, rule_y - 2.5 * mm, text_w, (8.5, 17, 7.5, 9.5))


def _draw_portrait(canvas, content: BadgeContent, x, y, w, h) -> None:
    """A single badge (A6): everything centred, QR code (beside the photo, if any) above the
    role band."""
    pad, band = 7 * mm, 15 * mm
    rule_y = _draw_header(canvas, content, x + pad, y + h - pad, w - 2 * pad, (10, 9),
                          align="center")
    _draw_band(canvas, content, x, y, w, band, 14)
    if content.photo is None:
        _draw_qr(canvas, content.badge_code, x + (w - QR_SIDE_SINGLE) / 2, y + band + 7 * mm,
                 QR_SIDE_SINGLE)
    else:  # photo and QR code side by side
        gap = 6 * mm
        photo_w = PHOTO_H_SINGLE * PHOTO_RATIO
        left = x + (w - photo_w - gap - QR_SIDE_SINGLE) / 2
        _draw_photo(canvas, content.photo, left, y + band + 7 * mm, PHOTO_H_SINGLE)
        _draw_qr(canvas, content.badge_code, left + photo_w + gap, y + band + 7 * mm,
                 QR_SIDE_SINGLE)
    _draw_person(canvas, content, x + pad, rule_y - 9 * mm, w - 2 * pad, (12, 26, 11, 14),
                 align="center")
