"""Automatic emails of an event, each on or off with its number of days N.

- ``event_reminder``: N days before the event starts, to confirmed delegates, with the event
  as a calendar file (.ics) and where to find their badge (their personal page);
- ``deadline_reminder``: N days before registration closes, the event's reminder to invitees
  who have not answered (MailingKind.REMINDER, its default audience);
- ``certificate`` and ``survey``: N days after the event ends, the certificate mailing and the
  feedback survey mailing.

Rules:
- Each is made through ``mailings.create_mailing`` (the same checks, audit and outbox as a
  mailing made by hand) with the kind's default audience and the event's saved wording of
  that kind (the event reminder: its own wording saved on the page, ``EVENT_REMINDER_WORDING``
  until then, with ``BADGE_HELP`` added), marked with
  ``Mailing.automatic``.
- Each is made at most ONCE per event: its ``send_key`` is ``automatic-<event id>-<what>``,
  unique in the database, so running the periodic task twice (or on two workers) makes one.
- It is made only while its window is open: from N days before until the moment itself for
  the reminders, from N days after the end for ``AFTER_EVENT_WINDOW_DAYS`` days for the
  others; only for events not cancelled; only when the kind can be sent (it has audiences,
  mailing_audiences.AUDIENCES) and its prerequisites hold (``certificates_ready``,
  ``survey_ready``). A window with nobody to write to yet is tried again next minute.
"""

import logging
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...database import use_case
from ...extensions import db
from ...models import Event, EventAutomation, EventStatus, Mailing, MailingKind, User, utcnow
from ..audit import record_action
from ..errors import ServiceError
from ..mail.compose import external_url
from ..registration.certificates import certificates_open
from ..surveys.surveys import find_survey
from . import mailings
from . import message_templates as wording
from .mailing_audiences import AUDIENCES

log = logging.getLogger(__name__)

#: what each automatic email is, in the order the page shows them
AUTOMATIC = ("event_reminder", "deadline_reminder", "certificate", "survey")
KIND_OF = {"event_reminder": MailingKind.ANNOUNCEMENT,
           "deadline_reminder": MailingKind.REMINDER,
           "certificate": MailingKind.CERTIFICATE, "survey": MailingKind.SURVEY}
LABELS = {"event_reminder": _l("Reminder before the event"),
          "deadline_reminder": _l("Reminder before the registration deadline"),
          "certificate": _l("Certificates after the event"),
          "survey": _l("Feedback survey after the event")}
#: the limits of N
DAYS_MIN, DAYS_MAX = 0, 60
#: the certificate and survey mailings are made at most this many days after their moment
AFTER_EVENT_WINDOW_DAYS = 30

#: the reminder before the event until the organizers write their own (placeholders as in
#: announcements); the paragraph on the badge (BADGE_HELP) is added below it in every email
EVENT_REMINDER_WORDING = {
    "en": {"subject": "Reminder: {event}, {date}",
           "body": ("Dear {honorific} {name},\n\n"
                    "We look forward to welcoming you to **{event}** on {date} at {time}, "
                    "at {venue}. The event is attached as a calendar file.\n\n"
                    "With our highest consideration,\n\nThe organizers")},
    "id": {"subject": "Pengingat: {event}, {date}",
           "body": ("Yth. {honorific} {name},\n\n"
                    "Kami menantikan kehadiran Anda di **{event}** pada {date} pukul {time}, "
                    "di {venue}. Acara ini terlampir sebagai berkas kalender.\n\n"
                    "Hormat kami,\n\nPanitia")},
}
#: where delegates find their badge: their personal page (a new link would revoke theirs)
BADGE_HELP = {
    "en": ("Your badge is on your personal page (the link in the email confirming your "
           "registration): choose \"Download my badge (PDF)\". If you no longer have that "
           "email, ask for a new link on the registration page: {registration_page}"),
    "id": ("Tanda pengenal Anda ada di halaman pribadi Anda (tautan di email konfirmasi "
           "pendaftaran): pilih \"Unduh tanda pengenal saya (PDF)\". Jika email itu sudah "
           "tidak ada, mintalah tautan baru di halaman pendaftaran: {registration_page}"),
}


def reminder_wording(row: EventAutomation) -> dict:
    """The event's wording of its reminder before the event (the default until saved)."""
    saved = row.event_reminder_wording or {}
    return {language: saved.get(language) or EVENT_REMINDER_WORDING[language]
            for language in wording.LANGUAGES}


def _checked_wording(given: dict) -> dict:
    result = {}
    for language in wording.LANGUAGES:
        item = given.get(language) or {}
        values, errors = wording.check_template_values(
            MailingKind.ANNOUNCEMENT, language, str(item.get("subject") or ""),
            str(item.get("body") or ""))
        for key, message in errors.items():
            raise ServiceError(message, field=key)
        result[language] = values
    return result


def get_automation(event: Event) -> EventAutomation:
    """The event's automatic emails (all off, default N, when never saved; not added)."""
    row = db.session.get(EventAutomation, event.id)
    if row is None:
        row = EventAutomation(event_id=event.id, event_reminder=False, event_reminder_days=3,
                              deadline_reminder=False, deadline_reminder_days=3,
                              certificate=False, certificate_days=1, survey=False,
                              survey_days=0, event_reminder_wording={})
    return row


def sendable(what: str) -> bool:
    """True when the kind of ``what`` can be sent at all (it has audiences)."""
    return KIND_OF[what] in AUDIENCES


@use_case
def save_automation(event: Event, values: dict, *, actor: User | None) -> EventAutomation:
    """Turn each automatic email on or off with its N days; commits. ``values``: "<what>"
    (bool) and "<what>_days" (int) for each of AUTOMATIC; "event_reminder_wording"
    ({language: {subject, body}}) when given."""
    row = get_automation(event)
    for what in AUTOMATIC:
        days = values.get(f"{what}_days")
        if isinstance(days, bool) or not isinstance(days, int) \
                or not DAYS_MIN <= days <= DAYS_MAX:
            raise ServiceError(_("Give a number of days from %(min)d to %(max)d.",
                                 min=DAYS_MIN, max=DAYS_MAX), field=f"{what}_days")
        on = bool(values.get(what))
        if on and not sendable(what):
            raise ServiceError(_("This email cannot be sent yet in this version."), field=what)
        setattr(row, what, on)
        setattr(row, f"{what}_days", days)
    if values.get("event_reminder_wording") is not None:
        row.event_reminder_wording = _checked_wording(values["event_reminder_wording"])
    row.updated_by_id = getattr(actor, "id", None)
    db.session.add(row)
    record_action("event.automation", event, user=actor,
                  **{what: (getattr(row, what), getattr(row, f"{what}_days"))
                     for what in AUTOMATIC})
    return row


def send_key(event: Event, what: str) -> str:
    """The send key of an event's automatic email: the same every time, unique."""
    return f"automatic-{event.id}-{what}"


def moment(event: Event, row: EventAutomation, what: str) -> datetime | None:
    """When ``what`` is due for ``event`` (None: never, e.g. no registration deadline)."""
    days = timedelta(days=getattr(row, f"{what}_days"))
    if what == "event_reminder":
        return event.start_at - days
    if what == "deadline_reminder":
        return event.registration_closes_at - days if event.registration_closes_at else None
    return event.end_at + days


def window_open(event: Event, row: EventAutomation, what: str, now: datetime) -> bool:
    """True while ``what`` may be made: from its moment until its window closes."""
    when = moment(event, row, what)
    if when is None or now < when:
        return False
    if what == "event_reminder":
        return now < event.start_at
    if what == "deadline_reminder":
        return now < event.registration_closes_at
    return now < when + timedelta(days=AFTER_EVENT_WINDOW_DAYS)


def certificates_ready(event: Event) -> bool:
    """The event's certificates can be sent (services.registration.certificates)."""
    return certificates_open(event) is None


def survey_ready(event: Event) -> bool:
    """The event has a survey and it takes answers (services.surveys)."""
    survey = find_survey(event)
    return survey is not None and survey.state == "open"


PREREQUISITES = {"certificate": certificates_ready, "survey": survey_ready}


def _content(event: Event, row: EventAutomation, what: str) -> dict | None:
    if what != "event_reminder":
        return None  # the event's saved wording of the kind
    page = external_url("registration.register", slug=event.slug)
    return {language: {"subject": item["subject"],
                       "body": item["body"].rstrip() + "\n\n"
                       + BADGE_HELP[language].replace("{registration_page}", page)}
            for language, item in reminder_wording(row).items()}


def _audience(what: str) -> dict:
    if what == "event_reminder":
        return {"audience": "registered", "statuses": ["confirmed"]}
    return {"audience": AUDIENCES[KIND_OF[what]][0]}


def make_automatic_mailing(event: Event, what: str) -> Mailing | None:
    """Make the automatic mailing ``what`` of ``event`` (once: the same again returns the
    first); None when nobody would receive it yet or a rule refuses it now."""
    try:
        mailing, created = mailings.create_mailing(
            event, KIND_OF[what], _audience(what), send_key=send_key(event, what),
            attach_calendar=what == "event_reminder",
            content=_content(event, get_automation(event), what),
            automatic=what)
    except ServiceError as error:
        log.info("automatic %s of event %s not made now: %s", what, event.id, error.message)
        return None
    if created:
        log.info("automatic %s of event %s made: mailing %s", what, event.id, mailing.id)
    return mailing


def due_automatic_mailings(now: datetime | None = None) -> list[tuple[Event, str]]:
    """(event, what) of every automatic email on, due, not made yet, sendable and ready."""
    now = now or utcnow()
    rows = db.session.execute(
        select(EventAutomation, Event).join(Event, Event.id == EventAutomation.event_id)
        .where(Event.status != EventStatus.CANCELLED,
               EventAutomation.event_reminder | EventAutomation.deadline_reminder
               | EventAutomation.certificate | EventAutomation.survey)).all()
    made = set(db.session.scalars(select(Mailing.send_key).where(
        Mailing.event_id.in_([event.id for _row, event in rows]),
        Mailing.automatic != "")))
    due = []
    for row, event in rows:
        for what in AUTOMATIC:
            if (getattr(row, what) and sendable(what) and send_key(event, what) not in made
                    and window_open(event, row, what, now)
                    and (what not in PREREQUISITES or PREREQUISITES[what](event))):
                due.append((event, what))
    return due


def create_due_automatic_mailings(now: datetime | None = None) -> list[int]:
    """Make every automatic mailing due now (the worker's task, every minute); their ids."""
    made = []
    for event, what in due_automatic_mailings(now):
        mailing = make_automatic_mailing(event, what)
        if mailing is not None:
            made.append(mailing.id)
    return made


def automatic_mailings_of(event: Event) -> dict[str, Mailing]:
    """The event's automatic mailings made so far, by what they are."""
    rows = db.session.scalars(select(Mailing).where(Mailing.event_id == event.id,
                                                    Mailing.automatic != ""))
    return {mailing.automatic: mailing for mailing in rows}
