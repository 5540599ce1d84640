"""Confirming a place won from the waiting list within N days (Event.promotion_confirm_days).

Rules (the places themselves: services.registration.waitlist):
- A delegate promoted while the event asks for a confirmation is CONFIRMED (holds the place)
  with ``Registration.promotion_expires_at`` set N days ahead; the promotion email says the
  date in the event's time zone and carries their new personal link.
- On their personal page they answer "Yes, I will attend" (``confirm_attendance``: the
  deadline is cleared, the place is theirs like any other) or "I can no longer attend"
  (``decline_promotion``: cancelled like any cancellation, the next in line is promoted).
  Until the deadline has been processed the place is still theirs, so a late "yes" that
  arrives before the periodic task counts.
- A periodic task (services.jobs ``expire_promotions``) cancels the promotions whose deadline
  has passed: CANCELLED with the reason ``EXPIRED_REASON``, an email in the delegate's
  language, and the waiting list moves (the next promoted delegate gets N days too).
- Exactly once across workers and against a simultaneous answer: every change runs under the
  event lock (``lock_event``) and re-reads the registrations after taking it, so a second
  worker (or a delegate's answer) finds nothing left to do.
- A day before the deadline the delegate is reminded once (``remind_promotions``); the
  reminder's time is kept in ``promotion_reminded_at``, set under the same lock.
"""

import logging
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ...database import use_case
from ...extensions import db
from ...models import Registration, RegistrationStatus, utcnow
from .. import notifications
from ..audit import record_action
from ..errors import Conflict
from .registration_codes import new_manage_token
from .registrations import cancel_registration
from .waitlist import lock_event, promote_waitlisted, set_status

log = logging.getLogger(__name__)

#: the decision_reason of a promotion not confirmed in time (the delegate's page and emails
#: explain it in their language)
EXPIRED_REASON = "not confirmed in time"
#: how long before the deadline the reminder goes out
REMINDER_BEFORE = timedelta(days=1)


def awaiting_confirmation(registration: Registration) -> bool:
    """True when ``registration`` holds a place it must still confirm."""
    return registration.status == RegistrationStatus.CONFIRMED \
        and registration.promotion_expires_at is not None


def _locked_awaiting(registration: Registration) -> Registration:
    lock_event(registration.event_id)
    db.session.refresh(registration)
    if not awaiting_confirmation(registration):
        raise Conflict(_("Your place is not awaiting a confirmation (any more)."))
    return registration


@use_case
def confirm_attendance(registration: Registration) -> Registration:
    """The promoted delegate confirms they will attend: the place is theirs for good."""
    _locked_awaiting(registration)
    deadline = registration.promotion_expires_at
    registration.promotion_expires_at = None
    record_action("registration.promotion_confirmed", registration, user=None,
                  deadline=deadline.isoformat())
    log.info("registration %s confirmed its promotion", registration.id)
    return registration


@use_case
def decline_promotion(registration: Registration) -> list[Registration]:
    """The promoted delegate can no longer attend: cancelled (emailed), the next in line is
    promoted. Returns who was promoted."""
    _locked_awaiting(registration)
    record_action("registration.promotion_declined", registration, user=None)
    return cancel_registration(registration)


def _overdue_event_ids(now: datetime) -> list[int]:
    return list(db.session.scalars(
        select(Registration.event_id).where(
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.promotion_expires_at.is_not(None),
            Registration.promotion_expires_at <= now).distinct()))


@use_case
def expire_event_promotions(event_id: int, now: datetime | None = None) -> list[Registration]:
    """Cancel the event's promotions not confirmed by ``now`` and move the waiting list, under
    the event lock (a second run finds nothing). Returns the registrations cancelled."""
    now = now or utcnow()
    event = lock_event(event_id)
    overdue = list(db.session.scalars(
        select(Registration).where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.promotion_expires_at.is_not(None),
            Registration.promotion_expires_at <= now)
        .order_by(Registration.promotion_expires_at, Registration.id)
        .execution_options(populate_existing=True)))
    for registration in overdue:
        deadline = registration.promotion_expires_at
        set_status(registration, RegistrationStatus.CANCELLED)
        registration.decision_reason = EXPIRED_REASON
        db.session.flush()
        record_action("registration.promotion_expired", registration, user=None,
                      deadline=deadline.isoformat(), reason=EXPIRED_REASON)
        notifications.notify_registration_promotion_expired(registration)
    promoted = promote_waitlisted(event) if overdue else []
    if overdue:
        log.info("event %s: %d promotion(s) not confirmed in time, %d promoted", event_id,
                 len(overdue), len(promoted))
    return overdue


def expire_promotions(now: datetime | None = None) -> int:
    """Every event's promotions not confirmed in time (the periodic task); one transaction
    per event. Returns how many were cancelled."""
    now = now or utcnow()
    event_ids = _overdue_event_ids(now)
    db.session.rollback()  # end the read: each event is handled in its own transaction
    return sum(len(expire_event_promotions(event_id, now)) for event_id in event_ids)


@use_case
def remind_event_promotions(event_id: int, now: datetime | None = None) -> list[Registration]:
    """Remind, once, the event's promoted delegates whose deadline is less than a day away
    (only when they were given more than a day). Returns who was reminded."""
    now = now or utcnow()
    lock_event(event_id)
    due = [registration for registration in db.session.scalars(
        select(Registration).where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.promotion_reminded_at.is_(None),
            Registration.promotion_expires_at > now,
            Registration.promotion_expires_at <= now + REMINDER_BEFORE)
        .order_by(Registration.promotion_expires_at, Registration.id)
        .execution_options(populate_existing=True))
        if registration.confirmed_at is None
        or registration.promotion_expires_at - registration.confirmed_at > REMINDER_BEFORE]
    for registration in due:
        registration.promotion_reminded_at = now
        record_action("registration.promotion_reminded", registration, user=None,
                      deadline=registration.promotion_expires_at.isoformat())
        notifications.notify_registration_promotion_reminder(
            registration, new_manage_token(registration))
    return due


def remind_promotions(now: datetime | None = None) -> int:
    """Every event's reminders due (the periodic task); one transaction per event."""
    now = now or utcnow()
    event_ids = list(db.session.scalars(
        select(Registration.event_id).where(
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.promotion_reminded_at.is_(None),
            Registration.promotion_expires_at > now,
            Registration.promotion_expires_at <= now + REMINDER_BEFORE).distinct()))
    db.session.rollback()  # end the read: each event is handled in its own transaction
    return sum(len(remind_event_promotions(event_id, now)) for event_id in event_ids)
