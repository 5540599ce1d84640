"""Retention and erasure of delegates' personal data, and subject access requests.

Rules:
- Each event says how long personal data is kept after it ends: passport data (number,
  nationality, birth date and place, passport expiry) ``passport_retention_days`` days
  (default 30); everything else that names a person ``anonymise_after_months`` months
  (default 24; NULL: until an organizer erases it).
- ``purge_personal_data`` applies both to every ended event, one transaction per event:
  passport fields are emptied (``needs_visa_letter`` stays, so visa counts survive); past the
  second delay every registration and invitee of the event is anonymised. A second run
  changes nothing and counts 0. ``dry_run`` counts, then rolls back.
- Anonymising a registration empties its names, organisation, position, phone, needs,
  decision reason and passport data, replaces its email with ``erased-<id>@invalid`` (unique,
  so the (event, email) constraint holds; .invalid is reserved, never an address), deletes
  its answers, personal links, photo and pending substitution requests (which hold the new
  person's details), anonymises its invitee (and the invitee's nomination: its members'
  names, emails and positions; its letter and photos are deleted), scrubs its emails in the outbox
  (recipient, name, bodies, attachments, headers, what the worker was still to render with
  its personal link's token; queued ones are failed; other people's
  emails of the event lose the person's address and name) and the personal details of the
  audit entries about it (services.privacy.erasure_scrub).
- What survives, so the dashboard and the post-event report count the same: country, role,
  status, organisation type, language, source, delegation, reference, badge code, dates and
  check-in time; an invitee's country, group, answer and dates; an email's template, status,
  dates and mailing; an audit entry's action, author, date and non-personal details.
- An organizer (``policies.can_see_passport``) erases one registration now
  (``erase_registration``): the same anonymisation. An active registration (pending,
  confirmed, waitlisted) of an event that has not ended is first cancelled as
  ``registrations.cancel_registration`` does (the place is freed, the waiting list served),
  but without the cancellation email: its address is what is being erased. After the event
  the status stays, so the attendance figures do not move. The audit keeps one
  "registration.erase" entry: who erased which registration (id and reference) only.
- A delegate asks for erasure through their personal link (``request_erasure``): the time is
  recorded once and the event's organizers are emailed; an organizer confirms by erasing.
- ``export_subject_data`` is everything held on one delegate (subject access request),
  their photo included (``photo``: content type, size and the JPEG in base64; the check-in
  desk's thumbnail is a smaller copy of it), or None without one.
"""

import base64
import calendar
import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ...database import transaction, use_case
from ...extensions import db
from ...models import (
    AuditEntry,
    Event,
    Invitee,
    Registration,
    RegistrationStatus,
    utcnow,
)
from .. import notifications
from ..audit import record_action
from ..errors import Conflict, PermissionDenied, ServiceError
from ..policies import PASSPORT_FIELDS, can_see_passport
from ..registration.waitlist import lock_event, promote_waitlisted, set_status
from . import erasure_scrub as scrub

log = logging.getLogger(__name__)

#: accepted values of the two settings (days; months, or None for never)
PASSPORT_DAYS_MAX = 3650
ANONYMISE_MONTHS_MAX = 1200
DEFAULT_PASSPORT_DAYS = 30
DEFAULT_ANONYMISE_MONTHS = 24
_ACTIVE = (RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED,
           RegistrationStatus.WAITLISTED)


@dataclass
class PurgeCounts:
    """What a purge (or one erasure) changed for one event."""

    event_id: int
    slug: str
    passports: int = 0
    registrations: int = 0
    invitees: int = 0
    emails: int = 0
    audit_entries: int = 0

    @property
    def total(self) -> int:
        """Rows changed, all kinds together."""
        return (self.passports + self.registrations + self.invitees + self.emails
                + self.audit_entries)

    def as_dict(self) -> dict:
        """The counts as a dict (for the audit, the API and the command line)."""
        return asdict(self)


# --- the settings ----------------------------------------------------------------------------

def check_retention_settings(values: dict) -> None:
    """Check the two settings in ``values`` (when present; no passport delay: the default);
    ServiceError names the field."""
    if "passport_retention_days" in values:
        if values["passport_retention_days"] is None:
            values["passport_retention_days"] = DEFAULT_PASSPORT_DAYS
        days = values["passport_retention_days"]
        if not isinstance(days, int) or not 0 <= days <= PASSPORT_DAYS_MAX:
            raise ServiceError(_("Enter a number of days from 0 to %(max)d.",
                                 max=PASSPORT_DAYS_MAX), field="passport_retention_days")
    if "anonymise_after_months" in values:
        months = values["anonymise_after_months"]
        if months is not None and (not isinstance(months, int)
                                   or not 1 <= months <= ANONYMISE_MONTHS_MAX):
            raise ServiceError(_("Enter a number of months from 1 to %(max)d, or leave empty "
                                 "to keep registrations.", max=ANONYMISE_MONTHS_MAX),
                               field="anonymise_after_months")


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus ``months`` calendar months (31 January + 1 month: end of February)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month,
                          day=min(moment.day, calendar.monthrange(year, month)[1]))


def passport_deadline(event: Event) -> datetime:
    """When the passport data of ``event``'s delegates is deleted."""
    days = event.passport_retention_days
    return event.end_at + timedelta(days=DEFAULT_PASSPORT_DAYS if days is None else days)


def anonymise_deadline(event: Event) -> datetime | None:
    """When ``event``'s registrations and invitees are anonymised; None: never."""
    months = event.anonymise_after_months
    return None if months is None else add_months(event.end_at, months)


def is_erased(person: Registration | Invitee) -> bool:
    """True for a registration or invitee whose personal data was erased."""
    return scrub.is_erased_address(person.email)


# --- anonymising -----------------------------------------------------------------------------

def _clear_passport(registration: Registration) -> bool:
    """Empty the passport fields (through the model: they may be encrypted); True if any."""
    filled = any(getattr(registration, key) not in ("", None) for key in PASSPORT_FIELDS)
    for key in PASSPORT_FIELDS:
        setattr(registration, key, None if key in ("birth_date", "passport_expiry") else "")
    return filled


def _invitee_of(registration: Registration) -> Invitee | None:
    return db.session.scalar(select(Invitee).where(Invitee.registration_id == registration.id))


def _anonymise_invitee(invitee: Invitee, counts: PurgeCounts) -> None:
    old = scrub.PersonTraces(invitee.email, invitee.name)
    rows = scrub.emails_of(invitee.event_id, old.email, invitee_id=invitee.id)
    nominations = scrub.scrub_nomination(invitee)  # its members, letter and photos
    scrub.anonymise_invitee_row(invitee)
    counts.invitees += 1
    counts.emails += scrub.scrub_emails(invitee.event_id, rows, old, invitee_id=invitee.id)
    counts.audit_entries += scrub.scrub_audit(
        invitee.event_id, old, objects=[("invitees", [invitee.id]),
                                        ("nominations", nominations),
                                        ("outbox_emails", [row.id for row in rows])])


def _anonymise_registration(registration: Registration, counts: PurgeCounts) -> None:
    old = scrub.PersonTraces(registration.email, registration.full_name)
    invitee = _invitee_of(registration)
    rows = scrub.emails_of(registration.event_id, old.email,
                           invitee_id=invitee.id if invitee is not None else None)
    if _clear_passport(registration):
        counts.passports += 1
    scrub.anonymise_registration_row(registration)
    counts.registrations += 1
    db.session.flush()
    if invitee is not None and not is_erased(invitee):
        _anonymise_invitee(invitee, counts)
    counts.emails += scrub.scrub_emails(registration.event_id, rows, old)
    counts.audit_entries += scrub.scrub_audit(
        registration.event_id, old, objects=[("registrations", [registration.id]),
                                             ("outbox_emails", [row.id for row in rows])])


# --- the scheduled purge ---------------------------------------------------------------------

def _purge_event(event: Event, now: datetime) -> PurgeCounts:
    counts = PurgeCounts(event.id, event.slug)
    if now >= passport_deadline(event):
        holders = db.session.scalars(select(Registration).where(
            Registration.event_id == event.id, Registration.needs_visa_letter.is_(True)))
        counts.passports = sum(_clear_passport(registration) for registration in holders)
    deadline = anonymise_deadline(event)
    if deadline is not None and now >= deadline:
        for registration in db.session.scalars(select(Registration).where(
                Registration.event_id == event.id,
                Registration.email.not_like(scrub.ERASED_PATTERN))).all():
            _anonymise_registration(registration, counts)
        for invitee in db.session.scalars(select(Invitee).where(
                Invitee.event_id == event.id,
                Invitee.email.not_like(scrub.ERASED_PATTERN))).all():
            _anonymise_invitee(invitee, counts)
    if counts.total:
        record_action("personal_data.purge", event, user=None, **counts.as_dict())
    return counts


def purge_personal_data(now: datetime | None = None, dry_run: bool = False) -> list[PurgeCounts]:
    """Apply every ended event's retention settings (one commit per event; ``dry_run``:
    roll back). Returns the counts of the events whose passport delay has passed."""
    now = now or utcnow()
    event_ids = db.session.scalars(
        select(Event.id).where(Event.end_at <= now).order_by(Event.end_at, Event.id)).all()
    results = []
    for event_id in event_ids:
        with transaction(dry_run=dry_run):  # one event: committed, or rolled back (dry run)
            event = db.session.get(Event, event_id)
            if now < passport_deadline(event):
                continue
            counts = _purge_event(event, now)
        results.append(counts)
        if counts.total:
            log.info("personal data of event %s %s: %s", event_id,
                     "would be purged" if dry_run else "purged", counts.as_dict())
    return results


# --- one delegate ----------------------------------------------------------------------------

def _cancel_before_erasure(event: Event, registration: Registration, actor) -> list:
    """Cancel an active registration of an event not yet ended; serve the waiting list."""
    if registration.status not in _ACTIVE or utcnow() >= event.end_at:
        return []
    # a confirmed delegate frees a place; a waiting member may let the rest of a delegation fit
    room_may_appear = registration.status in (RegistrationStatus.CONFIRMED,
                                              RegistrationStatus.WAITLISTED)
    set_status(registration, RegistrationStatus.CANCELLED)
    db.session.flush()
    record_action("registration.cancel", registration, user=actor, by_staff=True)
    return promote_waitlisted(event) if room_may_appear else []


@use_case
def erase_registration(registration: Registration, *, actor) -> PurgeCounts:
    """Erase one delegate's personal data now (an organizer of the event) and commit."""
    if not can_see_passport(actor, registration.event):
        raise PermissionDenied(_("Only the event's organizers can erase a delegate's data."))
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    if is_erased(registration):
        raise Conflict(_("This delegate's personal data has already been erased."))
    promoted = _cancel_before_erasure(event, registration, actor)
    counts = PurgeCounts(event.id, event.slug)
    _anonymise_registration(registration, counts)
    record_action("registration.erase", registration, user=actor,
                  registration_id=registration.id, reference=registration.reference)
    log.info("registration %s erased by user %s; %d promoted", registration.id,
             getattr(actor, "id", None), len(promoted))
    return counts


@use_case
def request_erasure(registration: Registration) -> bool:
    """Record a delegate's request to erase their data and email the organizers; commit.

    False when it was already asked (nothing is sent again)."""
    if is_erased(registration):
        raise Conflict(_("Your personal data has already been erased."))
    if registration.erasure_requested_at is not None:
        return False
    registration.erasure_requested_at = utcnow()
    record_action("registration.erasure_request", registration, user=None)
    notifications.notify_erasure_requested(registration)
    log.info("registration %s: erasure requested", registration.id)
    return True


def scrub_invitee(invitee: Invitee) -> None:
    """Before an invitee is deleted: remove its address and name from the outbox rows and the
    audit details of its event (no commit; the audit entries keep their action and author)."""
    old = scrub.PersonTraces(invitee.email, invitee.name)
    db.session.flush()
    rows = scrub.emails_of(invitee.event_id, old.email, invitee_id=invitee.id,
                           by_address=not _registered(invitee.event_id, old.email))
    nominations = scrub.scrub_nomination(invitee)  # its letter and photos are deleted
    scrub.scrub_emails(invitee.event_id, rows, old, invitee_id=invitee.id)
    scrub.scrub_audit(invitee.event_id, old, objects=[
        ("invitees", [invitee.id]), ("nominations", nominations),
        ("outbox_emails", [row.id for row in rows])])


def _registered(event_id: int, email: str) -> bool:
    return db.session.scalar(select(Registration.id).where(
        Registration.event_id == event_id, Registration.email == email)) is not None


# --- subject access --------------------------------------------------------------------------

def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return getattr(value, "value", value)


def _columns(obj, *, without=()) -> dict:
    return {column.key: _plain(getattr(obj, column.key))
            for column in obj.__mapper__.column_attrs if column.key not in without}


def _photo(registration: Registration) -> dict | None:
    """The delegate's stored photo for a subject access export (the bytes in base64)."""
    upload = registration.photo
    if upload is None:
        return None
    return {"content_type": upload.content_type, "size": upload.size,
            "filename": f"photo-{registration.reference}.jpg",
            "uploaded_at": _plain(upload.created_at),
            "data_base64": base64.b64encode(upload.data).decode("ascii")}


def export_subject_data(registration: Registration) -> dict:
    """Everything held on the delegate of ``registration``, as JSON-ready data."""
    invitee = _invitee_of(registration)
    rows = scrub.emails_of(registration.event_id, registration.email,
                           invitee_id=invitee.id if invitee is not None else None,
                           with_bodies_naming=False)
    objects = [("registrations", [registration.id])]
    if invitee is not None:
        objects.append(("invitees", [invitee.id]))
    entries = db.session.scalars(
        select(AuditEntry).where(scrub.about(objects)).order_by(AuditEntry.created_at,
                                                                AuditEntry.id)).all()
    event = registration.event
    return {
        "generated_at": _plain(utcnow()),
        "event": {"id": event.id, "slug": event.slug, "title": event.title,
                  "start_at": _plain(event.start_at), "end_at": _plain(event.end_at)},
        "registration": _columns(registration, without=("badge_code",)),
        "answers": [{"question": answer.question.label, "answer": answer.value}
                    for answer in registration.answers],
        "invitee": _columns(invitee, without=("token_salt", "token_hash"))
        if invitee is not None else None,
        "photo": _photo(registration),
        "emails": [{"subject": row.subject, "template": row.template,
                    "recipient": row.recipient, "status": row.status.value,
                    "created_at": _plain(row.created_at), "sent_at": _plain(row.sent_at)}
                   for row in sorted(rows, key=lambda row: (row.created_at, row.id))],
        "audit": [{"action": entry.action, "at": _plain(entry.created_at),
                   "by": entry.user.name if entry.user is not None else None,
                   "details": entry.details} for entry in entries],
    }

