"""Certificates of attendance as PDF (A4 landscape), in the delegate's language.

A certificate shows the event's letterhead (or its host's name), the delegate's honorific and
name, the event's title, dates and place, the organizer's optional line, the signatory, and a
QR code that opens the public verification page (services.registration.certificates decides
who gets one; the view checks it before calling this). Names in any script render through
pdf_fonts; nothing else about the delegate (address, country, position) is printed.
"""

import io
import logging
from zoneinfo import ZoneInfo

import segno
from babel.dates import format_date
from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Flowable,
    Image,
    KeepInFrame,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ...branding import event_host, site_name
from ...i18n import country_name, formatting_locale
from ...links import external_url
from ...models import Registration
from ..events.content_language import localized_text
from ..registration import certificates as rules
from ..registration.registration_labels import honorific_text
from .pdf_fonts import REGULAR, layout_line, register_fonts
from .pdf_paragraph import TextParagraph

log = logging.getLogger(__name__)

PAGE = landscape(A4)
MARGIN = 18 * mm
LETTERHEAD_MAX_HEIGHT = 26 * mm
QR_SIDE = 28 * mm
INK = HexColor("#1d2733")
MUTED = HexColor("#5b6570")
ACCENT = HexColor("#0b3d66")


def certificate_filename(registration: Registration) -> str:
    """The download name, e.g. certificate-K7M2-Q9PX.pdf."""
    return f"certificate-{registration.reference}.pdf"


def verification_url(registration: Registration) -> str:
    """The public page the certificate's QR code opens."""
    return external_url("documents.certificate_verify",
                        code=rules.verification_code(registration))


def render_certificate_pdf(registration: Registration, *, language: str | None = None,
                           compress: bool = True) -> bytes:
    """The certificate of attendance of ``registration`` as PDF bytes, in ``language`` (by
    default the delegate's own)."""
    register_fonts()
    event = registration.event
    language = language if language in rules.LANGUAGES else (
        registration.language if registration.language in rules.LANGUAGES else "en")
    settings = rules.certificate_settings(event)
    out = io.BytesIO()
    with force_locale(language):
        title = localized_text(event, "title", language)
        doc = SimpleDocTemplate(
            out, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=14 * mm,
            bottomMargin=14 * mm,
            title=_("Certificate of attendance — %(title)s", title=title),
            author=rules.signatory(event, settings)[0], creator=site_name(), invariant=1,
            pageCompression=int(compress))
        story = (_letterhead(event, doc.width)
                 + _body(registration, language, settings, title, doc.width)
                 + [_signature_and_qr(registration, settings, doc.width)])
        # one page whatever the lengths: long texts shrink the whole rather than flow over
        page = KeepInFrame(doc.width, doc.height, story, mode="shrink", hAlign="CENTER")
        doc.build([page], onFirstPage=_border, onLaterPages=_border)
    log.info("rendered the certificate of registration %s (%s)", registration.id, language)
    return out.getvalue()


# --- pieces ----------------------------------------------------------------------------------

def _style(name: str, size: float, *, colour=INK, space_after: float = 0,
           leading: float | None = None) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=REGULAR, fontSize=size, leading=leading or size * 1.3,
                          alignment=TA_CENTER, textColor=colour, spaceAfter=space_after)


def _letterhead(event, width: float) -> list:
    """The letterhead image (height capped), or the host's name, centred."""
    if event.letterhead is None:
        host = event_host(event)
        return [TextParagraph(host, _style("host", 13, colour=MUTED), bold=True),
                Spacer(1, 6 * mm)] if host else [Spacer(1, 10 * mm)]
    pixel_w, pixel_h = ImageReader(io.BytesIO(event.letterhead.data)).getSize()
    img_w, img_h = width, width * pixel_h / pixel_w
    if img_h > LETTERHEAD_MAX_HEIGHT:
        img_w, img_h = LETTERHEAD_MAX_HEIGHT * pixel_w / pixel_h, LETTERHEAD_MAX_HEIGHT
    return [Image(io.BytesIO(event.letterhead.data), width=img_w, height=img_h),
            Spacer(1, 5 * mm)]


def _long_date(value, language: str) -> str:
    return format_date(value, "long", locale=formatting_locale(language))


def event_dates(event, language: str) -> str:
    """The event's local dates, long, e.g. "17 March 2026 – 18 March 2026"."""
    zone = ZoneInfo(event.timezone)
    start, end = event.start_at.astimezone(zone).date(), event.end_at.astimezone(zone).date()
    if start == end:
        return _long_date(start, language)
    return f"{_long_date(start, language)} – {_long_date(end, language)}"


def _place(event, language: str) -> str:
    place = ", ".join(part for part in (event.venue_name, event.venue_city,
                                        country_name(event.venue_country, language)
                                        if event.venue_country else "") if part)
    return place or (_("online") if event.online_url else "")


def _fitted(text: str, size: float, width: float, minimum: float) -> float:
    """The largest font size up to ``size`` (not under ``minimum``) at which ``text`` fits
    ``width`` on one line (bold)."""
    natural = layout_line(text, bold=True).width(size)
    return size if natural <= width else max(minimum, size * width / natural)


def _body(registration: Registration, language: str, settings, title: str,
          width: float) -> list:
    event = registration.event
    name = " ".join(part for part in (honorific_text(registration), registration.full_name)
                    if part)
    dates, place = event_dates(event, language), _place(event, language)
    held = (_("held on %(dates)s at %(place)s", dates=dates, place=place) if place
            else _("held on %(dates)s", dates=dates))
    story = [
        TextParagraph(_("Certificate of attendance").upper(),
                      _style("heading", 26, colour=ACCENT, space_after=8 * mm), bold=True),
        TextParagraph(_("This is to certify that"), _style("lead", 13, space_after=4 * mm)),
        TextParagraph(name, _style("name", _fitted(name, 24, width, 16), space_after=4 * mm),
                      bold=True),
        TextParagraph(_("attended"), _style("lead2", 13, space_after=3 * mm)),
        TextParagraph(title, _style("event", _fitted(title, 18, width, 14), space_after=3 * mm),
                      bold=True),
        TextParagraph(held, _style("held", 12, space_after=3 * mm)),
    ]
    line = rules.wording_line(settings, language)
    if line:
        story.append(TextParagraph(line, _style("wording", 11, colour=MUTED)))
    story.append(Spacer(1, 8 * mm))
    return story


class QRFlowable(Flowable):
    """A QR code drawn as vector squares, ``side`` wide (quiet zone included)."""

    def __init__(self, payload: str, side: float):
        super().__init__()
        self.matrix = segno.make_qr(payload, error="m").matrix
        self.side = side

    def wrap(self, avail_width, avail_height):  # reportlab's names
        return self.side, self.side

    def draw(self):
        count = len(self.matrix) + 8  # four modules of quiet zone on each side
        unit = self.side / count
        self.canv.setFillColor(HexColor("#000000"))
        for row_index, row in enumerate(self.matrix):
            for column, dark in enumerate(row):
                if dark:
                    self.canv.rect((column + 4) * unit, self.side - (row_index + 5) * unit,
                                   unit, unit, stroke=0, fill=1)


def _signature_and_qr(registration: Registration, settings, width: float) -> Table:
    name, title = rules.signatory(registration.event, settings)
    url = verification_url(registration)
    signature = [Spacer(1, 12 * mm), _Rule(70 * mm),
                 TextParagraph(name or " ", _style("sig", 11), bold=True),
                 TextParagraph(title or " ", _style("sigt", 10, colour=MUTED))]
    small = _style("small", 7.5, colour=MUTED)
    verify = [QRFlowable(url, QR_SIDE),
              TextParagraph(_("Verify this certificate:"), small),
              TextParagraph(url, small)]
    table = Table([[signature, "", verify]], colWidths=[90 * mm, None, 70 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                               ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
    return table


class _Rule(Flowable):
    """A short horizontal line, centred: where the signature goes."""

    def __init__(self, length: float):
        super().__init__()
        self.length = length

    def wrap(self, avail_width, avail_height):  # reportlab's names
        self.avail = avail_width
        return avail_width, 2 * mm

    def draw(self):
        self.canv.setStrokeColor(MUTED)
        self.canv.setLineWidth(0.6)
        start = (self.avail - self.length) / 2
        self.canv.line(start, 1 * mm, start + self.length, 1 * mm)


def _border(canvas, doc) -> None:
    """A double frame around the page."""
    canvas.saveState()
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(1.6)
    canvas.rect(8 * mm, 8 * mm, PAGE[0] - 16 * mm, PAGE[1] - 16 * mm)
    canvas.setLineWidth(0.5)
    canvas.rect(10 * mm, 10 * mm, PAGE[0] - 20 * mm, PAGE[1] - 20 * mm)
    canvas.restoreState()
