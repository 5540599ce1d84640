"""Visa invitation letters as PDF, on the event's letterhead, in English or Indonesian.

Only confirmed registrations whose delegate asked for a letter get one; the letter carries the
passport details the delegate gave, so only the event's organizers (Permission.MANAGE) may
download it (checked by the view). The wording stays generic: it invites, asks the embassy to
facilitate a visa, and makes no promise about costs.
"""

import io
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Image,
    KeepTogether,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ...branding import event_host, site_name
from ...i18n import country_name, formatting_locale
from ...models import Honorific, Registration, RegistrationStatus
from ..errors import Conflict
from ..events.content_language import localized_text
from ..registration.registration_labels import honorific_text
from .pdf_fonts import BOLD, REGULAR, register_fonts
from .pdf_paragraph import TextParagraph

log = logging.getLogger(__name__)

MARGIN = 22 * mm
#: the letterhead is scaled to the text width, but never taller than this
LETTERHEAD_MAX_HEIGHT = 45 * mm
GREY = HexColor("#5b6570")


def check_visa_letter(registration: Registration) -> None:
    """Raise Conflict unless ``registration`` may get a visa letter (asked for, confirmed)."""
    if not registration.needs_visa_letter:
        raise Conflict(_("This delegate did not ask for a visa invitation letter."))
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Conflict(_("Visa invitation letters are only issued for confirmed registrations."))
    if not registration.event.letter_signatory_name.strip():
        raise Conflict(_("Enter the name of the letters' signatory on the Documents page first."))


def render_visa_letter_pdf(registration: Registration, *, language: str = "en",
                           today=None, compress: bool = True) -> bytes:
    """The visa invitation letter of ``registration`` in ``language`` as PDF bytes."""
    check_visa_letter(registration)
    register_fonts()
    event = registration.event
    today = today or datetime.now(ZoneInfo(event.timezone)).date()
    out = io.BytesIO()
    with force_locale(language):
        doc = SimpleDocTemplate(
            out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=14 * mm,
            bottomMargin=21 * mm,
            title=_("Visa invitation letter — %(title)s", title=_title(event, language)),
            author=event.letter_signatory_name, creator=site_name(), invariant=1,
            pageCompression=int(compress),
        )
        story = _letterhead(event, doc.width) + _story(registration, language, today)
        footer = _footer(registration.reference)
        doc.build(story, onFirstPage=footer, onLaterPages=footer)
    log.info("rendered the visa letter of registration %s", registration.id)
    return out.getvalue()


# --- pieces of the letter --------------------------------------------------------------------

def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=10, leading=14, spaceAfter=7)
    return {
        "body": body,
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT, spaceAfter=2),
        "address": ParagraphStyle("address", parent=body, spaceAfter=0),
        "subject": ParagraphStyle("subject", parent=body, fontName=BOLD, spaceBefore=10,
                                  spaceAfter=12),
        "cell": ParagraphStyle("cell", parent=body, spaceAfter=0, leading=13),
    }


def _p(text: str, style: ParagraphStyle, *, bold: bool = False) -> TextParagraph:
    return TextParagraph(text, style, bold=bold)


def _letterhead(event, width: float) -> list:
    """The letterhead image scaled to ``width`` (height capped), or the host's name."""
    if event.letterhead is None:
        host = event_host(event)
        return [_p(host, _styles()["subject"], bold=True)] if host else []
    pixel_w, pixel_h = ImageReader(io.BytesIO(event.letterhead.data)).getSize()
    height = width * pixel_h / pixel_w
    if height > LETTERHEAD_MAX_HEIGHT:
        width, height = LETTERHEAD_MAX_HEIGHT * pixel_w / pixel_h, LETTERHEAD_MAX_HEIGHT
    return [Image(io.BytesIO(event.letterhead.data), width=width, height=height), Spacer(1, 4 * mm)]


def _title(event, language: str) -> str:
    """The event's title in the letter's language (its other language when not translated)."""
    return localized_text(event, "title", language)


def _long_date(value, language: str) -> str:
    return format_date(value, "long", locale=formatting_locale(language)) if value else "—"


def _event_dates(event, language: str) -> str:
    zone = ZoneInfo(event.timezone)
    start, end = event.start_at.astimezone(zone).date(), event.end_at.astimezone(zone).date()
    if start == end:
        return _long_date(start, language)
    return f"{_long_date(start, language)} – {_long_date(end, language)}"


def _addressee(registration: Registration) -> list[str]:
    name = " ".join(p for p in (honorific_text(registration), registration.full_name) if p)
    lines = [name, registration.position, registration.organisation,
             country_name(registration.country)]
    return [line for line in lines if line.strip()]


def _salutation(registration: Registration) -> str:
    if registration.honorific == Honorific.HE:
        return _("Your Excellency,")
    name = " ".join(p for p in (honorific_text(registration), registration.sort_name) if p)
    return _("Dear %(name)s,", name=name)


def _invitation(registration: Registration, language: str) -> str:
    event = registration.event
    place = ", ".join(part for part in (event.venue_name, event.venue_city,
                                        country_name(event.venue_country)) if part)
    dates = _event_dates(event, language)
    if place:
        return _("On behalf of the organizers, we have the honour to invite you to attend "
                 "%(event)s, to be held on %(dates)s at %(place)s.",
                 event=_title(event, language), dates=dates, place=place)
    return _("On behalf of the organizers, we have the honour to invite you to attend "
             "%(event)s, to be held on %(dates)s.", event=_title(event, language),
             dates=dates)


def _passport_table(registration: Registration, language: str, styles) -> Table:
    rows = [
        (_("Full name"), registration.full_name),
        (_("Nationality"), country_name(registration.nationality)),
        (_("Passport number"), registration.passport_number),
        (_("Date of birth"), _long_date(registration.birth_date, language)),
        (_("Place of birth"), registration.birth_place),
        (_("Passport expiry date"), _long_date(registration.passport_expiry, language)),
    ]
    data = [[_p(label, styles["cell"]), _p(value or "—", styles["cell"], bold=True)]
            for label, value in rows]
    table = Table(data, colWidths=[56 * mm, None], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, HexColor("#d5d9de")),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (0, -1), 0),
    ]))
    return table


def _story(registration: Registration, language: str, today) -> list:
    styles, event = _styles(), registration.event
    story = [_p(_long_date(today, language), styles["right"]),
             _p(_("Reference: %(reference)s", reference=registration.reference), styles["right"]),
             Spacer(1, 4 * mm)]
    story += [_p(line, styles["address"]) for line in _addressee(registration)]
    story.append(_p(_("Visa invitation letter — %(title)s", title=_title(event, language)),
                    styles["subject"], bold=True))
    story += [_p(_salutation(registration), styles["body"]),
              _p(_invitation(registration, language), styles["body"]),
              _p(_("Your registration has been confirmed under the reference %(reference)s. "
                   "The passport details you gave us are as follows:",
                   reference=registration.reference), styles["body"]),
              _passport_table(registration, language, styles), Spacer(1, 4 * mm),
              _p(_("This letter is issued at the participant's request, solely to support a visa "
                   "application. Unless the organizers have stated otherwise in writing, the "
                   "costs of travel, accommodation and stay are borne by the participant or "
                   "the sending institution."), styles["body"]),
              _p(_("We would be grateful if the Embassy or Consulate concerned could kindly "
                   "facilitate the issuance of the appropriate visa to the participant named "
                   "above."), styles["body"])]
    if event.contact_email:
        contact = " ".join(p for p in (event.contact_name, f"<{event.contact_email}>") if p)
        story.append(_p(_("For any question about this letter, please contact %(contact)s.",
                          contact=contact), styles["body"]))
    story.append(KeepTogether([
        Spacer(1, 2 * mm), _p(_("Yours sincerely,"), styles["body"]), Spacer(1, 14 * mm),
        _p(event.letter_signatory_name, styles["address"], bold=True),
        _p(event.letter_signatory_title, styles["address"])]))
    return story


def _footer(reference: str):
    label = _("Reference: %(reference)s", reference=reference)
    page_label = _("Page %(number)s", number="{number}")

    def draw(canvas, doc):
        canvas.saveState()
        canvas.setStrokeColor(HexColor("#d5d9de"))
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, 16 * mm, A4[0] - MARGIN, 16 * mm)
        canvas.setFillColor(GREY)
        canvas.setFont(REGULAR, 8)
        canvas.drawString(MARGIN, 11 * mm, label)
        canvas.drawRightString(A4[0] - MARGIN, 11 * mm,
                               page_label.replace("{number}", str(doc.page)))
        canvas.restoreState()

    return draw
