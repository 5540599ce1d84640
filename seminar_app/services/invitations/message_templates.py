"""Message templates: an event's wording of invitations, reminders and announcements.

Staff write a subject (one line) and a body (plain paragraphs or Markdown) per kind and
language, with placeholders such as ``{name}`` or ``{rsvp_link}``. No template engine ever
runs on staff text: placeholders are a whitelist substituted by a regular expression, every
other ``{...}`` is refused when saving (and left as it is, inert, if it reaches rendering some
other way). Values are HTML-escaped in the HTML part and inserted after the Markdown has been
rendered and sanitized, so a name can neither add markup nor be read as Markdown.

A placeholder is never part of a link's address: a value a delegate typed (an organisation of
``javascript:alert(1)`` or ``https://phishing.example``) must not become a link in the
ministry's email. Saving refuses it; only LINK_PLACEHOLDERS (URLs this app makes) may be a
link's whole address. Rendering drops such a link's address anyway (for wording stored some
other way), and the finished HTML keeps only http, https and mailto links.

When an event has no wording of its own, the built-in defaults below are used (English and
Bahasa Indonesia, written out here rather than through the catalog: they are content in a
given language, not interface text).
"""

import html
import logging
import re
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...database import use_case
from ...extensions import db
from ...i18n import country_name, local_date, local_datetime, local_time, zone_abbreviation
from ...markdown import HREF, drop_unsafe_links, render_markdown
from ...models import Event, Honorific, Invitee, MailingKind, MessageTemplate, Registration
from ..audit import record_action
from ..errors import ServiceError
from ..events.content_language import localized_text
from ..registration.registration_labels import HONORIFIC_LABELS

log = logging.getLogger(__name__)

LANGUAGES = ("en", "id")
SUBJECT_MAX = 300
BODY_MAX = 20_000

#: placeholder -> what it stands for (shown to staff next to the editor)
PLACEHOLDER_HELP = {
    "honorific": _l("form of address, e.g. H.E."),
    "name": _l("the recipient's name"),
    "event": _l("the event's title"),
    "date": _l("the event's date(s)"),
    "time": _l("the starting time, with the time zone"),
    "venue": _l("the venue and city"),
    "deadline": _l("the registration deadline"),
    "organisation": _l("the recipient's organisation"),
    "position": _l("the recipient's position"),
    "country": _l("the recipient's country"),
    "rsvp_link": _l("the recipient's personal invitation link"),
    "survey_link": _l("the recipient's personal link to the feedback survey"),
    "certificate_link": _l("the recipient's personal link to download their certificate"),
}
_COMMON = ("honorific", "name", "event", "date", "time", "venue", "deadline", "organisation",
           "position", "country")
#: the placeholders each kind may use. Announcements go to registered delegates, who have no
#: invitation link; their registration link is not offered ({manage_link}) because those
#: tokens are stored hashed only and making new ones for a bulk send would add links unasked.
ALLOWED = {
    MailingKind.INVITATION: (*_COMMON, "rsvp_link"),
    MailingKind.REMINDER: (*_COMMON, "rsvp_link"),
    MailingKind.ANNOUNCEMENT: _COMMON,
    MailingKind.SURVEY: (*_COMMON, "survey_link"),
    MailingKind.CERTIFICATE: (*_COMMON, "certificate_link"),
}

#: the placeholders whose value is a URL this app makes: allowed as a link's whole address
LINK_PLACEHOLDERS = ("rsvp_link", "survey_link", "certificate_link")

#: a placeholder: a word between single braces
PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: anything between braces, to refuse what is not a known placeholder
_BRACED = re.compile(r"\{[^{}\n]*\}|\{\{|\}\}|\{%|%\}")
_LINE_BREAK = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]")


DEFAULTS = {
    MailingKind.INVITATION: {
        "en": {
            "subject": "Invitation: {event}",
            "body": (
                "Dear {honorific} {name},\n\n"
                "We have the honour to invite you to **{event}**, on {date} at {time}, "
                "at {venue}.\n\n"
                "Please let us know whether you will attend by {deadline}, using your personal "
                "link:\n\n{rsvp_link}\n\n"
                "The link is for you alone; please do not forward it.\n\n"
                "With our highest consideration,\n\nThe organizers"
            ),
        },
        "id": {
            "subject": "Undangan: {event}",
            "body": (
                "Yth. {honorific} {name},\n\n"
                "Dengan hormat, kami mengundang Anda untuk menghadiri **{event}** pada {date} "
                "pukul {time}, di {venue}.\n\n"
                "Mohon konfirmasi kehadiran Anda sebelum {deadline} melalui tautan pribadi "
                "berikut:\n\n{rsvp_link}\n\n"
                "Tautan ini khusus untuk Anda; mohon tidak diteruskan.\n\n"
                "Hormat kami,\n\nPanitia"
            ),
        },
    },
    MailingKind.REMINDER: {
        "en": {
            "subject": "Reminder: invitation to {event}",
            "body": (
                "Dear {honorific} {name},\n\n"
                "We have not yet received your answer to our invitation to **{event}** "
                "({date}, {time}, {venue}).\n\n"
                "Please let us know by {deadline} whether you will attend:\n\n{rsvp_link}\n\n"
                "With our highest consideration,\n\nThe organizers"
            ),
        },
        "id": {
            "subject": "Pengingat: undangan {event}",
            "body": (
                "Yth. {honorific} {name},\n\n"
                "Kami belum menerima jawaban Anda atas undangan ke **{event}** "
                "({date}, {time}, {venue}).\n\n"
                "Mohon konfirmasi kehadiran Anda sebelum {deadline}:\n\n{rsvp_link}\n\n"
                "Hormat kami,\n\nPanitia"
            ),
        },
    },
    MailingKind.ANNOUNCEMENT: {
        "en": {
            "subject": "News about {event}",
            "body": (
                "Dear {honorific} {name},\n\n"
                "We would like to inform you about **{event}** ({date}, {time}, {venue}).\n\n"
                "(Write the announcement here.)\n\n"
                "With our highest consideration,\n\nThe organizers"
            ),
        },
        "id": {
            "subject": "Informasi tentang {event}",
            "body": (
                "Yth. {honorific} {name},\n\n"
                "Kami ingin menyampaikan informasi mengenai **{event}** ({date}, {time}, "
                "{venue}).\n\n"
                "(Tulis pengumuman di sini.)\n\n"
                "Hormat kami,\n\nPanitia"
            ),
        },
    },
    MailingKind.SURVEY: {
        "en": {
            "subject": "Your feedback on {event}",
            "body": (
                "Dear {honorific} {name},\n\n"
                "Thank you for taking part in **{event}** ({date}, {venue}).\n\n"
                "We would be grateful for your feedback: the short survey takes a few "
                "minutes, and you can answer it once through your personal link:\n\n"
                "{survey_link}\n\n"
                "With our highest consideration,\n\nThe organizers"
            ),
        },
        "id": {
            "subject": "Masukan Anda tentang {event}",
            "body": (
                "Yth. {honorific} {name},\n\n"
                "Terima kasih atas partisipasi Anda dalam **{event}** ({date}, {venue}).\n\n"
                "Kami mengharapkan masukan Anda: survei singkat ini hanya memerlukan beberapa "
                "menit dan dapat diisi satu kali melalui tautan pribadi Anda:\n\n"
                "{survey_link}\n\n"
                "Hormat kami,\n\nPanitia"
            ),
        },
    },
    MailingKind.CERTIFICATE: {
        "en": {
            "subject": "Your certificate of attendance: {event}",
            "body": (
                "Dear {honorific} {name},\n\n"
                "Thank you for attending **{event}** ({date}, {venue}).\n\n"
                "Your certificate of attendance is ready. You can download it (PDF) through "
                "your personal link:\n\n{certificate_link}\n\n"
                "The certificate carries a QR code with which anyone can check that it is "
                "genuine.\n\n"
                "With our highest consideration,\n\nThe organizers"
            ),
        },
        "id": {
            "subject": "Sertifikat kehadiran Anda: {event}",
            "body": (
                "Yth. {honorific} {name},\n\n"
                "Terima kasih atas kehadiran Anda dalam **{event}** ({date}, {venue}).\n\n"
                "Sertifikat kehadiran Anda telah tersedia dan dapat diunduh (PDF) melalui "
                "tautan pribadi Anda:\n\n{certificate_link}\n\n"
                "Sertifikat ini memuat kode QR yang dapat digunakan siapa pun untuk memeriksa "
                "keasliannya.\n\n"
                "Hormat kami,\n\nPanitia"
            ),
        },
    },
}


# --- the event's wording ---------------------------------------------------------------------

def saved_templates(event: Event, kind: MailingKind) -> dict[str, MessageTemplate]:
    """The event's own templates of ``kind``, by language."""
    rows = db.session.scalars(select(MessageTemplate).where(
        MessageTemplate.event_id == event.id, MessageTemplate.kind == kind))
    return {row.language: row for row in rows}


def template_content(event: Event, kind: MailingKind) -> dict[str, dict[str, str]]:
    """{language: {"subject", "body"}}: the event's wording, or the defaults where it has none."""
    saved = saved_templates(event, kind)
    content = {}
    for language in LANGUAGES:
        row = saved.get(language)
        content[language] = ({"subject": row.subject, "body": row.body} if row is not None
                             else dict(DEFAULTS[kind][language]))
    return content


def unknown_placeholders(text: str, kind: MailingKind) -> list[str]:
    """The ``{...}`` parts of ``text`` that are not placeholders of ``kind`` (in order, once)."""
    allowed = {f"{{{name}}}" for name in ALLOWED[kind]}
    found = []
    for match in _BRACED.finditer(text or ""):
        part = match.group(0)
        if part not in allowed and part not in found:
            found.append(part)
    return found


def check_template_values(kind: MailingKind, language: str, subject: str,
                          body: str) -> tuple[dict, dict[str, str]]:
    """(values, errors keyed "<field>_<language>") for one language's wording."""
    values = {"subject": (subject or "").strip(), "body": (body or "").replace("\r\n", "\n")
              .strip()}
    errors = {}
    subject_key, body_key = f"subject_{language}", f"body_{language}"
    if not values["subject"]:
        errors[subject_key] = _("This field is required.")
    elif _LINE_BREAK.search(values["subject"]):
        errors[subject_key] = _("The subject must be a single line.")
    elif len(values["subject"]) > SUBJECT_MAX:
        errors[subject_key] = _("Use at most %(max)d characters.", max=SUBJECT_MAX)
    if not values["body"]:
        errors[body_key] = _("This field is required.")
    elif len(values["body"]) > BODY_MAX:
        errors[body_key] = _("Use at most %(max)d characters.", max=BODY_MAX)
    allowed = ", ".join(f"{{{name}}}" for name in ALLOWED[kind])
    for key, text in ((subject_key, values["subject"]), (body_key, values["body"])):
        unknown = unknown_placeholders(text, kind)
        if unknown and key not in errors:
            errors[key] = _("Unknown placeholder(s): %(found)s. You can use: %(allowed)s.",
                            found=", ".join(unknown[:5]), allowed=allowed)
    in_subject = [name for name in LINK_PLACEHOLDERS if f"{{{name}}}" in values["subject"]]
    if in_subject and subject_key not in errors:  # a subject is stored and shown in clear
        errors[subject_key] = _("A personal link cannot be part of the subject: put %(found)s "
                                "in the message.", found=f"{{{in_subject[0]}}}")
    in_links = placeholders_in_links(values["body"], kind)
    if in_links and body_key not in errors:
        errors[body_key] = _link_error(kind, in_links)
    return values, errors


def _link_error(kind: MailingKind, found: list[str]) -> str:
    links = [f"{{{name}}}" for name in LINK_PLACEHOLDERS if name in ALLOWED[kind]]
    message = _("A placeholder cannot be part of a link's address: %(found)s. Write the "
                "address out in full.", found=", ".join(found[:5]))
    if links:
        message += " " + _("Only %(links)s may be a link's whole address.",
                           links=", ".join(links))
    return message


def _is_link_slot(url: str) -> bool:
    """Whether a link's address is exactly one placeholder of LINK_PLACEHOLDERS."""
    return any(url == slot(name) for name in LINK_PLACEHOLDERS)


def placeholders_in_links(body: str, kind: MailingKind) -> list[str]:
    """The placeholders of ``body`` that would be (part of) a link's address (once each)."""
    found = []
    for match in HREF.finditer(slotted_body(body, kind, keep_link_slots=True).html):
        url = match.group(1)
        if _is_link_slot(url):
            continue
        for number in SLOT_PATTERN.findall(url):
            name = f"{{{SLOT_NAMES[int(number)]}}}"
            if name not in found:
                found.append(name)
    return found


@use_case
def save_templates(event: Event, kind: MailingKind, wording: dict[str, dict], *,
                   actor=None) -> dict[str, MessageTemplate]:
    """Store the event's wording of ``kind`` in every language and commit.

    ``wording`` is {language: {"subject", "body"}}; the first problem found is raised with the
    form field it belongs to (``subject_en``, ``body_id``, ...).
    """
    checked = {}
    for language in LANGUAGES:
        item = wording.get(language) or {}
        values, errors = check_template_values(kind, language, item.get("subject", ""),
                                               item.get("body", ""))
        if errors:
            field, message = next(iter(errors.items()))
            raise ServiceError(message, field=field)
        checked[language] = values
    saved = saved_templates(event, kind)
    for language, values in checked.items():
        row = saved.get(language)
        if row is None:
            row = MessageTemplate(event_id=event.id, kind=kind, language=language)
            db.session.add(row)
            saved[language] = row
        row.subject, row.body = values["subject"], values["body"]
        row.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    record_action("message_template.save", event, user=actor, kind=kind.value)
    log.info("templates %s of event %s saved", kind.value, event.id)
    return saved


@use_case
def reset_templates(event: Event, kind: MailingKind, *, actor=None) -> None:
    """Forget the event's own wording of ``kind``: the defaults apply again; commits."""
    for row in saved_templates(event, kind).values():
        db.session.delete(row)
    record_action("message_template.reset", event, user=actor, kind=kind.value)


# --- values and rendering --------------------------------------------------------------------

def _honorific(person) -> str:
    if person.honorific is None:
        return ""
    if person.honorific == Honorific.OTHER:
        return person.honorific_other or ""
    label = HONORIFIC_LABELS.get(person.honorific)
    return str(label) if label is not None else ""


def event_values(event: Event, language: str) -> dict[str, str]:
    """The event's placeholder values in ``language`` (the same for every recipient)."""
    zone = event.timezone
    with force_locale(language):
        start_date = local_date(event.start_at, zone, "long")
        end_date = local_date(event.end_at, zone, "long")
        date = start_date if start_date == end_date else f"{start_date} – {end_date}"
        time = f"{local_time(event.start_at, zone)} {zone_abbreviation(event.start_at, zone)}"
        venue = ", ".join(part for part in (event.venue_name, event.venue_city) if part)
        if not venue:
            venue = _("online") if event.online_url else ""
        deadline = (local_datetime(event.registration_closes_at, zone)
                    if event.registration_closes_at else "")
    return {"event": localized_text(event, "title", language), "date": date,
            "time": time.strip(), "venue": venue, "deadline": deadline}


def person_values(person: Invitee | Registration, language: str) -> dict[str, str]:
    """The recipient's placeholder values in ``language``."""
    with force_locale(language):
        honorific = _honorific(person)
    return {"honorific": honorific, "name": person.full_name,
            "organisation": person.organisation or "", "position": person.position or "",
            "country": country_name(person.country, language) if person.country else ""}


def substitute(text: str, values: dict[str, str], *, escape: bool = False) -> str:
    """``text`` with each known ``{placeholder}`` replaced; anything else left as written."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = str(values[name])
        return html.escape(value, quote=True) if escape else value

    return PLACEHOLDER.sub(replace, text or "")


@dataclass(frozen=True)
class Slotted:
    """A body rendered once, with numbered slots where the placeholders go."""

    text: str
    html: str


#: a slot marker: letters and digits only, so neither Markdown nor the sanitizer touches it
SLOT = "xslot7q{}q7x"
SLOT_PATTERN = re.compile(r"xslot7q(\d+)q7x")


#: every slot a rendered mailing has: the placeholders, then what only the layout uses
SLOT_NAMES = (*PLACEHOLDER_HELP, "unsubscribe_link")


def slot(name: str) -> str:
    """The slot marker of ``name``."""
    return SLOT.format(SLOT_NAMES.index(name))


def slotted_body(body: str, kind: MailingKind, *, keep_link_slots: bool = False) -> Slotted:
    """The body as text and as sanitized HTML, each placeholder of ``kind`` made a slot.

    A link whose address holds a placeholder loses its address (LINK_PLACEHOLDERS as the
    whole address excepted) unless ``keep_link_slots`` (to find them when saving).
    """
    index = {name: SLOT_NAMES.index(name) for name in ALLOWED[kind]}

    def to_slot(match: re.Match) -> str:
        name = match.group(1)
        return SLOT.format(index[name]) if name in index else match.group(0)

    source = PLACEHOLDER.sub(to_slot, body or "")
    html_part = str(render_markdown(source))
    return Slotted(text=source,
                   html=html_part if keep_link_slots else _drop_value_links(html_part))


def _drop_value_links(html_part: str) -> str:
    """``html_part`` without the link addresses that hold a slot (link placeholders excepted)."""

    def keep(match: re.Match) -> str:
        url = match.group(1)
        return match.group(0) if _is_link_slot(url) or not SLOT_PATTERN.search(url) else ""

    return HREF.sub(keep, html_part)


def fill_slots(text: str, values: dict[str, str], *, escape: bool) -> str:
    """Put the values into the slots of ``text``.

    With ``escape`` (HTML) values are escaped and the result keeps only safe links.
    """

    def replace(match: re.Match) -> str:
        number = int(match.group(1))
        name = SLOT_NAMES[number] if number < len(SLOT_NAMES) else ""
        value = str(values.get(name, ""))
        return html.escape(value, quote=True) if escape else value

    filled = SLOT_PATTERN.sub(replace, text)
    return drop_unsafe_links(filled) if escape else filled
