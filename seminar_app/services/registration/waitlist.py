"""Places and the waiting list: locking an event, counting places, deciding a new
registration's status, promotion. The one place for "is there room" and "who moves up".

Rules:
- A new registration's status (``decide_status``, for single registrations, delegations and
  approvals alike): PENDING when it needs an organizer's approval (``needs_approval``: online
  registrations of an event with moderation, and registrations through a forwarded
  invitation); otherwise CONFIRMED when every delegate fits the capacity and their
  countries' quotas, else WAITLISTED.
- Only CONFIRMED registrations take a place. ``Event.capacity`` and ``Event.country_quota``
  count CONFIRMED registrations only; PENDING ones (moderation) hold no place.
- The waiting list is served in ``waitlisted_at`` order, skipping delegates whose country is at
  its quota; promoted delegates are CONFIRMED directly (moderation does not apply again) and
  emailed a new personal link.
- A delegation (services.registration.delegations) waits as one entry, at the place of its
  first member, and is promoted whole: only when every one of its waiting members fits the
  free places and their countries' quotas. Until then, smaller entries behind it that do fit
  may pass it (a free place never stays empty while someone who fits is waiting, as with the
  country quota);
  the delegation keeps its place and goes first as soon as enough places are free.
- Whenever room appears (a cancellation, a rejection or cancellation of a waiting member
  whose delegation then fits, an erasure, a higher capacity or quota, a delegate moving to a
  country with room, a promotion not confirmed in time), ``promote_waitlisted`` runs under
  the event lock. A substitution keeps the seat and promotes nobody.
- Staff may promote one waiting delegate (with the waiting members of their delegation) out
  of order (``promote_registration``), only when ``room_refusal`` finds room for all of them;
  "Move the waiting list now" (``move_waiting_list``) runs ``promote_waitlisted``.
- With ``Event.promotion_confirm_days``, a promoted delegate is CONFIRMED (holds the place)
  with ``promotion_expires_at`` set N days ahead (at the latest the event's start; once it
  has started, promotions are final at once); they confirm (or give the place up) from
  their personal link, and a periodic task cancels the promotions not confirmed in time and
  promotes the next in line (services.registration.promotions).
- Every service that can change the number of confirmed registrations calls ``lock_event``
  before it counts, so simultaneous requests never overbook: ``SELECT ... FOR NO KEY UPDATE``
  on the event row on PostgreSQL (rows that only point at the event can still be written
  meanwhile, so a new registration is written first and the event locked last, for a count
  and a commit); on SQLite the writing transaction already holds the database's write lock
  (``BEGIN IMMEDIATE``, see seminar_app/database.py).

services.registration.registrations uses these for registering, cancelling and moderating.
"""

import logging
from collections import Counter
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from ...database import is_postgresql, use_case
from ...extensions import db
from ...i18n import country_name
from ...models import Event, Registration, RegistrationSource, RegistrationStatus, utcnow
from .. import notifications
from ..audit import record_action
from ..errors import Conflict
from .registration_codes import new_manage_token

log = logging.getLogger(__name__)


def lock_event(event_id: int) -> Event | None:
    """Serialize changes to the event's confirmed places; returns the event, freshly loaded.

    PostgreSQL: ``SELECT ... FOR NO KEY UPDATE`` on the event row: lockers wait for each other,
    while rows that merely point at the event (a registration, an email, an audit entry: they
    take a KEY SHARE lock) can still be written meanwhile, so a transaction may write its rows
    first and lock the event last. SQLite: the transaction already runs in ``BEGIN IMMEDIATE``
    (requests that write, CLI, worker), so this only reloads.
    """
    query = select(Event).where(Event.id == event_id).execution_options(populate_existing=True)
    if is_postgresql():
        query = query.with_for_update(key_share=True)
    return db.session.scalar(query)


def confirmed_count(event_id: int, country: str | None = None, *,
                    exclude_id: int | None = None) -> int:
    """How many CONFIRMED registrations ``event_id`` has (of ``country`` when given; without
    registration ``exclude_id``)."""
    query = select(func.count(Registration.id)).where(
        Registration.event_id == event_id, Registration.status == RegistrationStatus.CONFIRMED)
    if country is not None:
        query = query.where(Registration.country == country)
    if exclude_id is not None:
        query = query.where(Registration.id != exclude_id)
    return db.session.scalar(query) or 0


def room_refusal(event: Event, countries: list[str], *,
                 exclude_id: int | None = None) -> str | None:
    """None when delegates from ``countries`` (one entry each) all fit capacity and quotas
    (counting the confirmed others than registration ``exclude_id``); else why not, translated
    ("the event is full", "the quota for <country> is reached")."""
    if event.capacity is not None:
        taken = confirmed_count(event.id, exclude_id=exclude_id)
        if taken + len(countries) > event.capacity:
            return _("The event is full: %(taken)d of %(capacity)d places are taken and "
                     "%(needed)d would be needed.", taken=taken, capacity=event.capacity,
                     needed=len(countries))
    if event.country_quota is not None:
        for country, number in Counter(countries).items():
            if confirmed_count(event.id, country, exclude_id=exclude_id) + number \
                    > event.country_quota:
                return _("The quota for %(country)s is reached (at most %(quota)d per "
                         "country).", country=country_name(country), quota=event.country_quota)
    return None


def has_room_for(event: Event, countries: list[str], *,
                 exclude_id: int | None = None) -> bool:
    """True when delegates from ``countries`` (one entry each) all fit capacity and quotas
    (counting the confirmed others than registration ``exclude_id``): ``room_refusal``."""
    return room_refusal(event, countries, exclude_id=exclude_id) is None


def needs_approval(event: Event, source, *, forwarded: bool = False) -> bool:
    """True when a new registration waits for an organizer (see the module's rules)."""
    return forwarded or (event.requires_approval and source == RegistrationSource.ONLINE)


def decide_status(event: Event, countries: list[str], *, approval: bool = False,
                  exclude_id: int | None = None, count: bool = True) -> RegistrationStatus:
    """PENDING (``approval``), else CONFIRMED when ``countries`` all fit, else WAITLISTED.
    Without ``count``, CONFIRMED stands for "confirmed if there is room" (nothing counted)."""
    if approval:
        return RegistrationStatus.PENDING
    if not count or has_room_for(event, countries, exclude_id=exclude_id):
        return RegistrationStatus.CONFIRMED
    return RegistrationStatus.WAITLISTED


def waitlist_position(registration: Registration) -> int | None:
    """1-based place of a WAITLISTED registration on its event's waiting list; else None."""
    if registration.status != RegistrationStatus.WAITLISTED or registration.waitlisted_at is None:
        return None
    ahead = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            (Registration.waitlisted_at < registration.waitlisted_at)
            | ((Registration.waitlisted_at == registration.waitlisted_at)
               & (Registration.id < registration.id))))
    return (ahead or 0) + 1


def set_status(registration: Registration, status: RegistrationStatus) -> None:
    """Move ``registration`` to ``status``; sets confirmed_at, waitlisted_at or cancelled_at."""
    now = utcnow()
    registration.status = status
    # a promotion sets the deadline again (``_promote``; services.registration.promotions)
    registration.promotion_expires_at = registration.promotion_reminded_at = None
    if status == RegistrationStatus.CONFIRMED:
        registration.confirmed_at = now
    elif status == RegistrationStatus.WAITLISTED:
        registration.waitlisted_at = now
    elif status == RegistrationStatus.CANCELLED:
        registration.cancelled_at = now


def _waitlisted(event_id: int):
    return db.session.scalars(
        select(Registration).where(Registration.event_id == event_id,
                                   Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.waitlisted_at, Registration.id))


def _waiting_entries(event_id: int) -> list[list[Registration]]:
    """The waiting list as entries: one per single registration, one per delegation (its
    waiting members together, at the place of the first of them), in order."""
    entries, delegations = [], {}
    for registration in _waitlisted(event_id):
        if registration.delegation_id is None:
            entries.append([registration])
        elif registration.delegation_id in delegations:
            delegations[registration.delegation_id].append(registration)
        else:
            delegations[registration.delegation_id] = [registration]
            entries.append(delegations[registration.delegation_id])
    return entries


def promote_waitlisted(event: Event) -> list[Registration]:
    """Confirm waitlisted delegates, in order, while places are free; no commit.

    A delegation is promoted whole or not at all; entries behind one that does not fit may
    pass it (see the module's rules).
    """
    promoted = []
    for entry in _waiting_entries(event.id):
        if event.capacity is not None and confirmed_count(event.id) >= event.capacity:
            break
        if not has_room_for(event, [registration.country for registration in entry]):
            continue  # full for this entry (size or country quota): the next in line may fit
        promoted += _promote(event, entry)
    return promoted


def promotion_deadline(event: Event):
    """When a delegate promoted now must have confirmed: ``promotion_confirm_days`` ahead, but
    no later than the event's start; None when promoted delegates are confirmed at once (no
    such setting, or the event has started: nobody would have time to answer)."""
    if not event.promotion_confirm_days:
        return None
    now = utcnow()
    deadline = min(now + timedelta(days=event.promotion_confirm_days), event.start_at)
    return deadline if deadline > now else None


def _promote(event: Event, entry: list[Registration], *, actor=None,
             out_of_order: bool = False) -> list[Registration]:
    """CONFIRM the registrations of ``entry`` (one waiting-list entry): a new personal link,
    the promotion email (with the date to confirm by, when the event asks for it), audited."""
    deadline = promotion_deadline(event)
    for registration in entry:
        set_status(registration, RegistrationStatus.CONFIRMED)
        registration.promotion_expires_at = deadline
        db.session.flush()
        token = new_manage_token(registration)
        extra = {"delegation_id": registration.delegation_id} \
            if registration.delegation_id is not None else {}
        if out_of_order:
            extra["out_of_order"] = True
        if deadline is not None:
            extra["confirm_by"] = deadline.isoformat()
        record_action("registration.promote", registration, user=actor, **extra)
        if deadline is not None:
            notifications.notify_registration_promoted_to_confirm(registration, token)
        else:
            notifications.notify_registration_promoted(registration, token)
    return list(entry)


def waiting_entry_of(registration: Registration) -> list[Registration]:
    """The waiting-list entry ``registration`` belongs to: itself, or the WAITLISTED members
    of its delegation (promoted together)."""
    if registration.delegation_id is None:
        return [registration]
    return list(db.session.scalars(
        select(Registration).where(Registration.delegation_id == registration.delegation_id,
                                   Registration.event_id == registration.event_id,
                                   Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.waitlisted_at, Registration.id)
        .execution_options(populate_existing=True)))


@use_case
def promote_registration(registration: Registration, actor) -> list[Registration]:
    """Staff promote one waiting delegate out of order (with the waiting members of their
    delegation) when they fit the places and the country quotas; Conflict naming why not.
    Returns who was promoted."""
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status != RegistrationStatus.WAITLISTED:
        raise Conflict(_("Only a registration on the waiting list can be promoted."))
    entry = waiting_entry_of(registration)
    refusal = room_refusal(event, [member.country for member in entry])
    if refusal is not None:
        raise Conflict(_("This delegate cannot be promoted. %(reason)s", reason=refusal)
                       if len(entry) == 1 else
                       _("This delegation (%(number)d waiting members) cannot be promoted. "
                         "%(reason)s", number=len(entry), reason=refusal))
    promoted = _promote(event, entry, actor=actor, out_of_order=True)
    log.info("registration %s promoted out of order by user %s (%d in all)", registration.id,
             getattr(actor, "id", None), len(promoted))
    return promoted


@use_case
def move_waiting_list(event: Event, actor) -> list[Registration]:
    """Staff run the waiting list now (after changes of their own): ``promote_waitlisted``
    under the event lock, audited. Returns who was promoted."""
    event = lock_event(event.id)
    promoted = promote_waitlisted(event)
    record_action("event.waitlist_moved", event, user=actor, promoted=len(promoted))
    log.info("event %s: waiting list moved by user %s, %d promoted", event.id,
             getattr(actor, "id", None), len(promoted))
    return promoted
