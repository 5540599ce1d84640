"""Scheduled mailings: a mailing made now that the worker starts at a chosen time.

Use cases: check a scheduled time, change a scheduled mailing (time, audience, wording,
calendar file), cancel it, and start the mailings that are due (the worker's periodic task
``start_scheduled_mailings``, every minute).

Rules:
- A time is given in the event's time zone (a naive date and time) or with its offset; it is
  stored in UTC. It must be in the future and at most ``MAX_AHEAD_DAYS`` days away.
- A mailing is scheduled while ``scheduled_at`` is set and ``started_at`` and ``cancelled_at``
  are empty. Only then can it be changed or cancelled.
- Starting, changing and cancelling each claim the row with ONE conditional UPDATE
  (``WHERE started_at IS NULL AND cancelled_at IS NULL``): of two workers (or a worker and a
  member of staff) racing for the same mailing, exactly one wins; the others change nothing.
  The periodic task itself also runs once per minute across workers (services.tasks).
- Due = the scheduled time has passed, not started, not cancelled. A worker that was down at
  the scheduled time starts it when it runs again; a cancelled mailing never starts.
- The audience is evaluated when the mailing starts: ``recipient_count`` is counted again
  then, and the outbox rows are made from the audience at that moment (prepare_mailing).
- A mailing that could not be made now is cancelled when it is due instead of starting (a
  feedback survey mailing whose survey was closed, or never opened: its links would lead
  nowhere); the audit log says why.
"""

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select, update

from ...database import transaction, use_case
from ...extensions import db
from ...models import AuditEntry, Event, Mailing, User, utcnow
from ..audit import record_action
from ..errors import Conflict, ServiceError
from ..tasks import run_task_after_commit
from . import message_templates as wording
from .mailing_audiences import check_audience, count_audience

log = logging.getLogger(__name__)

#: how far ahead a mailing may be scheduled
MAX_AHEAD_DAYS = 366


class NotScheduled(Conflict):
    """The mailing has started or was cancelled: it can no longer be changed."""


def is_scheduled(mailing: Mailing) -> bool:
    """True while the mailing waits for its time (it can be changed or cancelled)."""
    return (mailing.scheduled_at is not None and mailing.started_at is None
            and mailing.cancelled_at is None)


def mailing_state(mailing: Mailing) -> str:
    """"scheduled", "cancelled" or "started": what staff pages and the API show."""
    if mailing.cancelled_at is not None:
        return "cancelled"
    return "started" if mailing.started_at is not None else "scheduled"


def cancelled_at_its_time(mailing: Mailing) -> bool:
    """True when the worker cancelled the mailing at its time because it could not be made
    then (no one of staff did): its page says so."""
    if mailing.cancelled_at is None:
        return False
    return db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "mailing.cancel", AuditEntry.object_type == "mailings",
        AuditEntry.object_id == mailing.id, AuditEntry.user_id.is_(None)).limit(1)) is not None


def to_utc(value: datetime, event: Event) -> datetime:
    """``value`` in UTC; a naive value is read in the event's time zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(event.timezone))
    return value.astimezone(UTC)


def check_schedule(event: Event, value: datetime, *, now: datetime | None = None) -> datetime:
    """The scheduled time in UTC, or a ServiceError on "scheduled_at" (past, too far)."""
    now = now or utcnow()
    try:
        when = to_utc(value, event)
    except (OverflowError, ValueError):  # e.g. the year 1 or 9999 moved across an offset
        raise ServiceError(_("Choose a time within a year from now."),
                           field="scheduled_at") from None
    if when <= now:
        raise ServiceError(_("Choose a time in the future: this one has passed."),
                           field="scheduled_at")
    if when > now + timedelta(days=MAX_AHEAD_DAYS):
        raise ServiceError(_("Choose a time at most %(num)d days from now.",
                             num=MAX_AHEAD_DAYS), field="scheduled_at")
    return when


def _check_content(mailing: Mailing, content: dict) -> dict:
    """The wording in each language, checked as the event's templates are."""
    result = {}
    for language in wording.LANGUAGES:
        item = content.get(language) or {}
        values, errors = wording.check_template_values(
            mailing.kind, language, str(item.get("subject") or ""), str(item.get("body") or ""))
        for key, message in errors.items():
            raise ServiceError(message, field=key)
        result[language] = values
    return result


def _claim(mailing_id: int, values: dict, *extra) -> bool:
    """Write ``values`` to the mailing if it is still scheduled; True when this call did."""
    result = db.session.execute(
        update(Mailing).where(Mailing.id == mailing_id, Mailing.started_at.is_(None),
                              Mailing.cancelled_at.is_(None), *extra)
        .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _not_scheduled(mailing: Mailing) -> NotScheduled:
    db.session.refresh(mailing)
    if mailing.cancelled_at is not None:
        return NotScheduled(_("This mailing was cancelled: it can no longer be changed."))
    return NotScheduled(_("This mailing has already started: it can no longer be changed "
                          "or cancelled."))


@use_case
def update_scheduled_mailing(mailing: Mailing, *, actor: User | None,
                             scheduled_at: datetime | None = None,
                             audience: dict | None = None, content: dict | None = None,
                             attach_calendar: bool | None = None) -> Mailing:
    """Change what is given of a scheduled mailing; NotScheduled once it started. Commits."""
    event = mailing.event
    values: dict = {"scheduled_at": mailing.scheduled_at}
    if scheduled_at is not None:
        values["scheduled_at"] = check_schedule(event, scheduled_at)
    if audience is not None:
        values["audience"] = check_audience(event, mailing.kind, audience)
        values["recipient_count"] = count_audience(event, mailing.kind,
                                                   values["audience"])["recipients"]
    if content is not None:
        values["content"] = _check_content(mailing, content)
    if attach_calendar is not None:
        values["attach_calendar"] = bool(attach_calendar)
    if not _claim(mailing.id, values, Mailing.scheduled_at.is_not(None)):
        raise _not_scheduled(mailing)
    db.session.refresh(mailing)
    record_action("mailing.reschedule", mailing, user=actor,
                  scheduled_at=mailing.scheduled_at.isoformat(),
                  changed=sorted(key for key in values if key != "recipient_count"))
    return mailing


@use_case
def cancel_scheduled_mailing(mailing: Mailing, *, actor: User | None) -> Mailing:
    """Cancel a scheduled mailing (again: nothing changes); NotScheduled once it started."""
    if mailing.cancelled_at is not None:
        return mailing
    if not _claim(mailing.id, {"cancelled_at": utcnow()}):
        error = _not_scheduled(mailing)
        if mailing.cancelled_at is not None:
            return mailing
        raise error
    db.session.refresh(mailing)
    record_action("mailing.cancel", mailing, user=actor)
    log.info("mailing %s cancelled before it started", mailing.id)
    return mailing


def due_mailing_ids(now: datetime | None = None) -> list[int]:
    """Scheduled mailings whose time has passed (not started, not cancelled), oldest first."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(Mailing.id).where(Mailing.started_at.is_(None), Mailing.cancelled_at.is_(None),
                                 Mailing.scheduled_at <= now)
        .order_by(Mailing.scheduled_at, Mailing.id)))


def start_mailing(mailing_id: int, *, now: datetime | None = None) -> bool:
    """Start a due mailing: claim it, count its audience now, queue its preparation after the
    commit. False when another worker started it, or it was cancelled or changed meanwhile."""
    now = now or utcnow()
    with transaction():
        mailing = db.session.get(Mailing, mailing_id)
        try:
            check_audience(mailing.event, mailing.kind, mailing.audience)
        except ServiceError as error:
            _cancel_unsendable(mailing, error, now)
            return False
        if not _claim(mailing_id, {"started_at": now}, Mailing.scheduled_at <= now):
            return False
        mailing = db.session.get(Mailing, mailing_id)
        db.session.refresh(mailing)
        mailing.recipient_count = count_audience(mailing.event, mailing.kind,
                                                 mailing.audience)["recipients"]
        record_action("mailing.start", mailing, user=None, recipients=mailing.recipient_count,
                      scheduled_at=mailing.scheduled_at.isoformat())
        run_task_after_commit("prepare_mailing", mailing.id)
    log.info("scheduled mailing %s started (%d recipients)", mailing_id,
             mailing.recipient_count)
    return True


def _cancel_unsendable(mailing: Mailing, error: ServiceError, now: datetime) -> None:
    if _claim(mailing.id, {"cancelled_at": now}, Mailing.scheduled_at <= now):
        record_action("mailing.cancel", mailing, user=None, reason=str(error.message))
        log.warning("scheduled mailing %s cancelled at its time: %s", mailing.id,
                    error.message)


def start_due_mailings(now: datetime | None = None) -> list[int]:
    """Start every due mailing; the ids this call started. One failing mailing does not stop
    the others (it stays due and is tried again a minute later)."""
    started = []
    ids = due_mailing_ids(now)
    db.session.rollback()  # end the read (nothing written); each start is its own transaction
    for mailing_id in ids:
        try:
            if start_mailing(mailing_id, now=now):
                started.append(mailing_id)
            else:
                log.info("scheduled mailing %s was started, changed or cancelled meanwhile",
                         mailing_id)
        except Exception:  # noqa: BLE001 - logged; the next minute tries again
            log.exception("could not start scheduled mailing %s", mailing_id)
    return started
