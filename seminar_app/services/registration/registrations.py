"""Registrations: registering, changing, cancelling, moderating; capacity, quotas, waiting list.

Rules:
- Only CONFIRMED registrations take a place. ``Event.capacity`` and ``Event.country_quota``
  count CONFIRMED registrations only; PENDING ones (moderation) hold no place.
- A new online registration of an event with moderation is PENDING; otherwise it is CONFIRMED
  when there is room (capacity and the delegate's country quota), else WAITLISTED.
  Registrations added by staff or through an invitation skip moderation.
- Approving a PENDING registration checks the room at that moment: full -> WAITLISTED.
  Approving one PENDING member of a delegation approves all its PENDING members together:
  all CONFIRMED when all fit, else all WAITLISTED (services.registration.delegations). Cancelling
  one
  member frees one place, like any cancellation; rejecting concerns one person only. When a
  waiting member is cancelled or rejected, the rest of their delegation may fit: the waiting
  list moves then too.
- Cancelling a CONFIRMED registration frees a place: the waiting list is served in
  ``waitlisted_at`` order, skipping delegates whose country is at its quota, and promoted
  delegates are CONFIRMED directly (moderation does not apply again) and emailed.
- Every service that can change the number of confirmed registrations calls ``lock_event``
  first and counts after it, so simultaneous requests never overbook (places, locking and
  the waiting list: services.registration.waitlist).
- Personal links carry a random token; only its SHA-256 is stored. Emails that need the link
  again (resend, promotion, approval) rotate the token: the newest link replaces older ones.
  What a link may show and when it stops working: services.policies.
- A change made through a personal link is emailed to the registration's own address.
- What a valid registration is, and how its values are normalised, is decided once in
  services.registration.registration_input; every entry point (web forms, API, delegations,
  invitations)
  reaches it through ``_clean``.
"""

import logging
import re

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ...database import keep_values, use_case
from ...extensions import db
from ...models import (
    Event,
    ExtraQuestion,
    Registration,
    RegistrationAnswer,
    RegistrationLink,
    RegistrationSource,
    RegistrationStatus,
    utcnow,
)
from .. import notifications
from ..audit import record_action
from ..errors import Conflict, NotFound, PermissionDenied, ServiceError
from ..invitations.mailing_audiences import cancel_queued_invitations_to
from ..policies import RefusalKind, personal_link_refusal, registration_refusal
from .registration_codes import hash_token, new_codes, new_manage_token
from .registration_input import INPUT_FIELDS, PHONE, TEXT, VISA_FIELDS, clean_registration
from .registration_input import REGISTRATION_FIELDS as REGISTRATION_FIELDS  # asked by others
from .waitlist import (
    confirmed_count,
    decide_status,
    lock_event,
    needs_approval,
    promote_waitlisted,
    set_status,
    waitlist_position,
)

log = logging.getLogger(__name__)

#: the passport's fields (required with a visa letter, emptied without one)
PASSPORT_FIELDS = VISA_FIELDS
_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


class AlreadyRegistered(Conflict):
    """The email already has an active registration for this event."""


class LinkNoLongerWorks(ServiceError):
    """A personal link that existed but has ended (cancelled, expired, long after the event)."""

    status_code = 410


def get_registration_by_token(token: str) -> Registration:
    """The registration whose personal link carries ``token``; NotFound for an unknown link,
    LinkNoLongerWorks for one that has ended (services.policies.personal_link_refusal)."""
    link = None
    if token and _TOKEN_PATTERN.match(token):
        link = db.session.scalar(
            select(RegistrationLink).where(RegistrationLink.token_hash == hash_token(token)))
    if link is None:
        raise NotFound(_("This link is not valid. Please use the latest link we sent you."))
    refusal = personal_link_refusal(link.registration, link)
    if refusal is not None:
        raise LinkNoLongerWorks(refusal)
    return link.registration


# --- counting ------------------------------------------------------------------------------

def status_counts(event: Event) -> dict[RegistrationStatus, int]:
    """How many registrations of ``event`` are in each status (every status present)."""
    rows = db.session.execute(
        select(Registration.status, func.count(Registration.id))
        .where(Registration.event_id == event.id).group_by(Registration.status))
    counts = dict.fromkeys(RegistrationStatus, 0)
    counts.update({RegistrationStatus(status): count for status, count in rows})
    return counts


def country_counts(event: Event) -> list[tuple[str, int]]:
    """(country, confirmed count) for ``event``, largest first."""
    count = func.count(Registration.id)
    rows = db.session.execute(
        select(Registration.country, count)
        .where(Registration.event_id == event.id,
               Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.country).order_by(count.desc(), Registration.country))
    return [(country, number) for country, number in rows]


# --- checks ----------------------------------------------------------------------------------

#: what a new registration's optional texts are when left out: empty (the columns are NOT
#: NULL), the same for every entry point (web forms, API, delegations, staff tools)
OPTIONAL_TEXT_DEFAULTS = {spec.name: "" for spec in INPUT_FIELDS
                          if spec.kind in (TEXT, PHONE) and spec.required is not True}


def _clean(event: Event, data: dict, *, registration: Registration | None = None) -> dict:
    """The known fields of ``data``, normalised and checked
    (services.registration.registration_input:
    the same for the web forms, the API and delegations); anything else is ignored. A new
    registration's optional texts left out are empty (``OPTIONAL_TEXT_DEFAULTS``). A change
    to ``registration`` keeps its email and is judged on what it changes."""
    if registration is None:
        return clean_registration({**OPTIONAL_TEXT_DEFAULTS, **data}, event=event)
    return clean_registration(data, event=event, keep_email=registration.email,
                              stored=registration)


#: the error each refusal (services.policies.registration_refusal) is raised as
_REFUSAL_ERRORS = {
    RefusalKind.CANCELLED: Conflict, RefusalKind.NOT_PUBLISHED: NotFound,
    RefusalKind.INVITATION_ONLY: PermissionDenied, RefusalKind.NOT_YET_OPEN: Conflict,
    RefusalKind.CLOSED: Conflict,
}


def _check_can_register(event: Event, source: RegistrationSource) -> None:
    refusal = registration_refusal(event, source)
    if refusal is not None:
        raise _REFUSAL_ERRORS[refusal.kind](refusal.message)


def _save_answers(registration: Registration, event: Event, answers: dict | None, *,
                  new: bool = False) -> None:
    """Store ``answers`` ({question id: text}) to the event's questions; others are ignored.
    ``new``: the registration has no answers yet (nothing to load)."""
    if not answers:
        return
    known = set(db.session.scalars(
        select(ExtraQuestion.id).where(ExtraQuestion.event_id == event.id)))
    current = {} if new else {answer.question_id: answer for answer in registration.answers}
    for question_id, value in answers.items():
        if int(question_id) not in known:
            continue
        value = str(value or "")[:1000]
        if int(question_id) in current:
            current[int(question_id)].value = value
        else:
            registration.answers.append(
                RegistrationAnswer(question_id=int(question_id), value=value))


# --- registering -----------------------------------------------------------------------------

def _initial_status(event: Event, country: str, source: RegistrationSource, *,
                    forwarded: bool = False, exclude_id: int | None = None,
                    count: bool = True) -> RegistrationStatus:
    """The status of one new registration (services.registration.waitlist.decide_status)."""
    return decide_status(event, [country],
                         approval=needs_approval(event, source, forwarded=forwarded),
                         exclude_id=exclude_id, count=count)


@use_case
def register(event: Event, *, data: dict, source=RegistrationSource.ONLINE, actor=None,
             answers: dict[int, str] | None = None,
             forwarded: bool = False) -> tuple[Registration, str]:
    """Register a delegate; returns the registration and its personal-link token.

    ``forwarded``: made through an invitation by another address than the invitee's; such a
    registration waits for an organizer's approval (services.invitations.rsvp decides it and
    binds the invitation in the same transaction). Registering an address that has invitations
    to this event cancels their invitation and reminder emails still waiting.

    A new registration is written first as confirmed (or pending, with moderation) and its
    email queued so; only then is the event locked, the places counted (without this
    registration) and the status decided. So the event stays locked for a count and a commit,
    not for the whole registration, and simultaneous registrations wait for each other only
    that long. When there is no room, the registration goes to the waiting list and its email
    is written again before the commit. The email is not rendered here: the outbox row records
    the status decided and the personal link's token, and the worker renders it after the
    commit (services.notifications, services.mail.deferred). Reactivating a cancelled
    registration and registering through an invitation (rows that others may lock while
    holding the event) lock the event first, as every other service does.
    """
    _check_can_register(event, source)
    values = _clean(event, data)
    existing = db.session.scalar(select(Registration).where(
        Registration.event_id == event.id, Registration.email == values["email"]))
    _refuse_active(existing)
    locked = existing is not None
    if locked:
        event = lock_event(event.id)
        _check_can_register(event, source)
        if existing is not None:  # another request may have reactivated it meanwhile
            db.session.refresh(existing)
            _refuse_active(existing)
    # unlocked: "confirmed if there is room", decided below (counting now would be wasted)
    guess = _initial_status(event, values["country"], source, forwarded=forwarded,
                            count=locked)
    registration, token = _write_registration(event, existing, values, source, guess,
                                              forwarded, answers)
    extra = {"forwarded": True} if forwarded else {}
    entry = record_action("registration.create", registration, user=actor, status=guess,
                          source=source, reactivated=existing is not None, **extra)
    # the worker renders it after the commit (services.mail.deferred): recorded here, not
    # rendered; rewritten below if the status changes
    email = notifications.notify_registration_created(
        registration, token, position=waitlist_position(registration), deferred=True)
    if not locked:
        event = lock_event(event.id)
        _check_can_register(event, source)
        status = _initial_status(event, values["country"], source, forwarded=forwarded,
                                 exclude_id=registration.id)
        if status != guess:  # full: the waiting list, in the order of the decisions
            set_status(registration, status)
            entry.details = {**entry.details, "status": status.value}
            db.session.flush()
            notifications.notify_registration_created(
                registration, token, position=waitlist_position(registration), replacing=email,
                deferred=True)
    # after the event lock, as every writer of invitees' emails does
    cancel_queued_invitations_to(event.id, registration.email, actor=actor)
    keep_values(registration, event)  # the commit keeps them loaded (database.py)
    log.info("registration %s for event %s: %s", registration.id, event.id, registration.status)
    return registration, token


def _refuse_active(registration: Registration | None) -> None:
    if registration is not None and registration.status != RegistrationStatus.CANCELLED:
        raise AlreadyRegistered(_("This email address is already registered for this event."),
                                field="email")


def _write_registration(event: Event, registration: Registration | None, values: dict, source,
                        status: RegistrationStatus, forwarded: bool,
                        answers) -> tuple[Registration, str]:
    """Add (or reactivate) the registration with ``status``; flushed. Returns it and its
    personal-link token."""
    reactivated = registration is not None
    if registration is None:
        reference, badge_code = new_codes()
        registration = Registration(event_id=event.id, reference=reference,
                                    badge_code=badge_code, status=status)
        db.session.add(registration)
    else:
        registration.cancelled_at = registration.confirmed_at = None
        registration.waitlisted_at = registration.checked_in_at = None
        registration.decision_reason = ""
    for key, value in values.items():
        setattr(registration, key, value)
    registration.source, registration.consent_at = source, utcnow()
    registration.forwarded_invitation = forwarded
    token = new_manage_token(registration)
    set_status(registration, status)
    _save_answers(registration, event, answers or {}, new=not reactivated)
    _flush_or_conflict()
    return registration, token


def _flush_or_conflict() -> None:
    try:
        db.session.flush()
    except IntegrityError as error:  # the use case rolls back
        log.warning("registration refused by a constraint: %s", error.orig)
        raise AlreadyRegistered(
            _("This email address is already registered for this event."), field="email"
        ) from error


@use_case
def update_registration(registration: Registration, *, data: dict, answers=None,
                        actor=None) -> Registration:
    """Change a registration's details (never its email or status); audited."""
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    if actor is None and registration.status in (RegistrationStatus.CANCELLED,
                                                 RegistrationStatus.REJECTED):
        raise Conflict(_("This registration can no longer be changed."))
    values = _clean(event, data, registration=registration)
    values.pop("email")
    if (registration.status == RegistrationStatus.CONFIRMED
            and values["country"] != registration.country and event.country_quota is not None
            and confirmed_count(event.id, values["country"]) >= event.country_quota):
        raise Conflict(_("The places for delegates of this country are all taken."),
                       field="country")
    changed = sorted(key for key, value in values.items() if getattr(registration, key) != value)
    # a confirmed delegate frees a place in the former country's quota; a waiting one may
    # now fit: the waiting list moves (services.registration.waitlist)
    moved = "country" in changed and event.country_quota is not None \
        and registration.status in (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
    for key in changed:
        setattr(registration, key, values[key])
    if moved:
        db.session.flush()
        promote_waitlisted(event)
    before = {answer.question_id: answer.value for answer in registration.answers}
    _save_answers(registration, event, answers)
    changed += [f"q_{a.question_id}" for a in registration.answers
                if before.get(a.question_id) != a.value]
    record_action("registration.update", registration, user=actor, fields=changed)
    if actor is None and changed:  # through the personal link: tell the address it belongs to
        notifications.notify_registration_changed(registration, fields=changed)
    return registration


# --- cancelling ----------------------------------------------------------------------------

@use_case
def cancel_registration(registration: Registration, *, actor=None, reason: str = "",
                        by_head: Registration | None = None) -> list:
    """Cancel a registration (by the delegate, by staff with ``actor``, or by the head of its
    delegation with ``by_head``, whose name the email gives); promotes others.

    Returns the registrations promoted from the waiting list.
    """
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status in (RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED):
        raise Conflict(_("This registration is already cancelled."))
    # a confirmed delegate frees a place; a waiting member of a delegation may let the rest
    # of it fit: either way the waiting list moves
    room_may_appear = registration.status in (RegistrationStatus.CONFIRMED,
                                              RegistrationStatus.WAITLISTED)
    set_status(registration, RegistrationStatus.CANCELLED)
    registration.decision_reason = (reason or "").strip()[:2000] if actor is not None else ""
    db.session.flush()
    record_action("registration.cancel", registration, user=actor,
                  by_staff=actor is not None, reason=registration.decision_reason,
                  **({"by_head": by_head.reference} if by_head is not None else {}))
    notifications.notify_registration_cancelled(registration, by_staff=actor is not None,
                                                by_head=by_head)
    promoted = promote_waitlisted(event) if room_may_appear else []
    log.info("registration %s cancelled; %d promoted", registration.id, len(promoted))
    return promoted


# --- moderation ------------------------------------------------------------------------------

def _approve(event: Event, registration: Registration, actor) -> RegistrationStatus:
    """Approve ``registration`` and, for a delegation member, its other PENDING members."""
    return _approve_together(event, registration, actor)[0].status


def _approve_together(event: Event, registration: Registration, actor) -> list[Registration]:
    """Approve a PENDING registration together with the PENDING members of its delegation;
    all CONFIRMED when they all fit, else all WAITLISTED. Returns them (``registration``
    first)."""
    if registration.status != RegistrationStatus.PENDING:
        raise Conflict(_("Only registrations waiting for approval can be approved."))
    group = [registration]
    if registration.delegation_id is not None:
        group += list(db.session.scalars(
            select(Registration).where(Registration.delegation_id == registration.delegation_id,
                                       Registration.id != registration.id,
                                       Registration.status == RegistrationStatus.PENDING)
            .order_by(Registration.id).execution_options(populate_existing=True)))
    status = decide_status(event, [member.country for member in group])
    fits = status == RegistrationStatus.CONFIRMED
    now = utcnow()
    for member in group:
        set_status(member, status)
        if not fits:
            member.waitlisted_at = now  # one entry on the waiting list
    db.session.flush()
    for member in group:
        if fits:
            notifications.notify_registration_approved(member, new_manage_token(member))
        else:
            notifications.notify_registration_waitlisted(
                member, position=waitlist_position(member))
        extra = {"delegation_id": member.delegation_id} \
            if member.delegation_id is not None else {}
        record_action("registration.approve", member, user=actor, status=member.status,
                      **extra)
    return group


def _reject(registration: Registration, actor, reason: str) -> None:
    if registration.status not in (RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED):
        raise Conflict(_("Only registrations waiting for approval or on the waiting list can "
                         "be rejected."))
    registration.status = RegistrationStatus.REJECTED
    registration.decision_reason = (reason or "").strip()[:2000]
    record_action("registration.reject", registration, user=actor,
                  reason=registration.decision_reason)
    notifications.notify_registration_rejected(registration)


@use_case
def approve_registration(registration: Registration, *, actor) -> Registration:
    """Approve a PENDING registration: CONFIRMED when there is room, else WAITLISTED."""
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    _approve(event, registration, actor)
    return registration


@use_case
def reject_registration(registration: Registration, *, actor, reason: str = "") -> Registration:
    """Reject a PENDING or WAITLISTED registration, with an optional reason told to them."""
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    waiting = registration.status == RegistrationStatus.WAITLISTED
    _reject(registration, actor, reason)
    if waiting:  # the rest of a waiting delegation may fit now
        db.session.flush()
        promote_waitlisted(event)
    return registration


def _registrations_of(event: Event, ids) -> list[Registration]:
    wanted = {int(i) for i in ids}
    if not wanted:
        return []
    return list(db.session.scalars(
        select(Registration).where(Registration.event_id == event.id,
                                   Registration.id.in_(wanted))
        .order_by(Registration.created_at, Registration.id)
        .execution_options(populate_existing=True)))


@use_case
def approve_registrations(event: Event, ids, *, actor) -> dict[str, int]:
    """Approve the PENDING registrations among ``ids`` (oldest first); counts per outcome."""
    event = lock_event(event.id)
    counts = {"confirmed": 0, "waitlisted": 0, "skipped": 0}
    done = set()
    for registration in _registrations_of(event, ids):
        if registration.id in done:
            continue  # approved with its delegation
        if registration.status != RegistrationStatus.PENDING:
            counts["skipped"] += 1
            continue
        for member in _approve_together(event, registration, actor):
            done.add(member.id)
            counts[member.status.value] += 1
    return counts


@use_case
def reject_registrations(event: Event, ids, *, actor, reason: str = "") -> dict[str, int]:
    """Reject the PENDING or WAITLISTED registrations among ``ids``; counts per outcome."""
    event = lock_event(event.id)
    counts = {"rejected": 0, "skipped": 0}
    waiting = False
    for registration in _registrations_of(event, ids):
        if registration.status not in (RegistrationStatus.PENDING,
                                       RegistrationStatus.WAITLISTED):
            counts["skipped"] += 1
            continue
        waiting = waiting or registration.status == RegistrationStatus.WAITLISTED
        _reject(registration, actor, reason)
        counts["rejected"] += 1
    if waiting:  # the rest of a waiting delegation may fit now
        db.session.flush()
        promote_waitlisted(event)
    return counts


# --- the personal link -----------------------------------------------------------------------

@use_case
def resend_manage_link(event: Event, email: str) -> bool:
    """Email a new personal link to ``email``'s registration, if there is one (silently)."""
    email = (email or "").strip().lower()
    registration = db.session.scalar(select(Registration).where(
        Registration.event_id == event.id, Registration.email == email)) if email else None
    if registration is None:
        log.info("manage link asked for an unknown email on event %s", event.id)
        return False
    token = new_manage_token(registration)
    record_action("registration.resend_link", registration, user=None)
    notifications.notify_registration_link(
        registration, token, position=waitlist_position(registration))
    return True
