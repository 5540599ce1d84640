"""Substitution: another person takes over a registration, and its place, without freeing it.

Rules:
- A substitution keeps the same ``Registration`` row, its status and its place (confirmed,
  pending or on the waiting list): the place is never free, so no waiting-list promotion can
  happen in between, even under a rush. It runs under the event lock
  (services.registration.waitlist.lock_event), like every change of places, and re-reads the
  registration after it: a registration cancelled meanwhile is not substituted.
- The person's fields are replaced as a whole by the new person's (form of address, names,
  email, position, organisation and its type, role, phone, language, dietary and
  accessibility needs, visa letter and passport data: emptied unless the new person gives
  theirs), checked by the one registration input definition
  (services.registration.registration_input.clean_registration). The country stays: the place
  belongs to that country's delegation (and its quota). The old person's answers to the extra
  questions are removed; the new person answers through their own link.
- The new person's email must not have a registration for the event already (the (event,
  email) constraint: a clear error on the email field).
- A NEW reference and a NEW badge code are issued, and every earlier personal link is revoked
  (services.registration.registration_codes). The reference is renewed, not kept, because the
  check-in desk accepts a reference as well as a badge code (services.registration.checkin) and
  the old person has their reference in every email we sent them: keeping it would let them
  still be checked in. The old reference stays in the audit entry.
- The new person is emailed their confirmation and personal link in their language; the old
  person is told at their old address, in their language, that they were replaced.
- The audit entry ``registration.substituted`` names who replaced whom (old and new names and
  emails, old and new references) and who did it (the staff account, or ``by`` for a head of
  delegation or a focal point acting through their own link).
- Not substituted: a cancelled or rejected registration, one already checked in (the person
  has arrived), one whose delegate asked for their data to be erased (an organizer decides
  that first), and any after the event's end.
- An invitation addressed to the replaced person stops leading to the registration (it no
  longer holds their registration); an invitation addressed to someone else (a focal point
  who registered the member) keeps it.
- From the delegate's own link a substitution WAITS for an organizer: a
  ``SubstitutionRequest`` holds the new person's cleaned details, encrypted, until an
  organizer approves (the substitution is applied then, checked again) or refuses (the
  requester is emailed, with the reason). One pending request per registration: asking again
  replaces it (the earlier one is closed as refused, without an email, and a decision sent
  for it is refused as already decided). A decision, and any direct substitution, closes the
  pending requests and empties their stored details.
"""

import logging
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import select

from ...database import use_case
from ...extensions import db
from ...models import (
    Invitee,
    Registration,
    RegistrationStatus,
    SubstitutionRequest,
    SubstitutionStatus,
    TeamMember,
    User,
    utcnow,
)
from .. import notifications
from ..audit import record_action
from ..errors import Conflict, NotFound
from ..invitations.mailing_audiences import cancel_queued_invitations_to
from .registration_codes import new_codes, new_manage_token
from .registration_input import DATE, INPUT_FIELDS, InvalidInput, clean_registration
from .registration_labels import display_name
from .registrations import AlreadyRegistered, _flush_or_conflict
from .waitlist import lock_event, waitlist_position

log = logging.getLogger(__name__)


class SubstitutionSource(StrEnum):
    """Who made a substitution (recorded in the audit entry)."""

    STAFF = "staff"
    HEAD = "head"
    FOCAL_POINT = "focal_point"
    #: the delegate asked through their own link and an organizer approved
    DELEGATE_REQUEST = "delegate_request"


#: the registration's fields a substitution replaces: every field of a registration's input
#: but the country (the place belongs to that country's delegation)
PERSON_FIELDS = tuple(spec.name for spec in INPUT_FIELDS if spec.name != "country")
_DATE_FIELDS = tuple(spec.name for spec in INPUT_FIELDS if spec.kind == DATE)
#: what a field not given becomes: empty (nothing of the old person stays), English emails
_NOT_GIVEN = {**{spec.name: spec.clean(None) for spec in INPUT_FIELDS}, "language": "en"}
_SUBSTITUTABLE = (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING,
                  RegistrationStatus.WAITLISTED)


@dataclass(frozen=True)
class Person:
    """Who held a registration before a substitution (for the audit and the email)."""

    name: str
    display: str
    email: str
    language: str
    reference: str


# --- the rule --------------------------------------------------------------------------------

def substitution_refusal(registration: Registration) -> str | None:
    """Why ``registration`` cannot be substituted now (a translated sentence), or None."""
    if registration.status not in _SUBSTITUTABLE:
        return _("A cancelled or rejected registration cannot be handed to another person.")
    if registration.checked_in_at is not None:
        return _("This delegate has already checked in, so they can no longer be replaced.")
    if registration.erasure_requested_at is not None:
        return _("This delegate asked for their personal data to be erased: an organizer must "
                 "decide that before anyone replaces them.")
    if utcnow() >= registration.event.end_at:
        return _("The event is over: its delegates can no longer be replaced.")
    return None


def can_substitute(registration: Registration) -> bool:
    """True when ``registration`` may be handed to another person now."""
    return substitution_refusal(registration) is None


def _check_can_substitute(registration: Registration) -> None:
    refusal = substitution_refusal(registration)
    if refusal is not None:
        raise Conflict(refusal)


def _clean_person(registration: Registration, data: dict) -> dict:
    """The new person's details cleaned by the registration input definition; the country is
    the registration's. InvalidInput (naming the field) or AlreadyRegistered."""
    given = {key: value for key, value in data.items() if key in _NOT_GIVEN}
    # the place keeps how it is attended unless the new person's data says otherwise
    values = clean_registration({**_NOT_GIVEN, "attendance": registration.attendance, **given,
                                 "country": registration.country},
                                event=registration.event)
    if values["email"] == registration.email:
        raise InvalidInput(_("This is the current delegate's email address: enter the new "
                             "delegate's own address."), field="email")
    taken = db.session.scalar(select(Registration.id).where(
        Registration.event_id == registration.event_id, Registration.email == values["email"]))
    if taken is not None:
        raise AlreadyRegistered(_("This email address already has a registration for this "
                                  "event: a person can hold only one."), field="email")
    return values


# --- substituting ----------------------------------------------------------------------------

@use_case
def substitute(registration: Registration, new_person_data: dict, *, actor=None,
               source=SubstitutionSource.STAFF, by: str = "",
               request: SubstitutionRequest | None = None) -> tuple[Registration, str]:
    """Hand ``registration`` (and its place) to the person described by ``new_person_data``
    (the fields of a registration's input; the country is ignored); see the module's rules.

    ``actor``: the staff account doing it (None for a head of delegation or a focal point,
    named by ``by``, e.g. "Retno Marsudi <head@example.org>"). ``request``: the approved
    delegate's request this applies. Returns the registration and the new person's
    personal-link token (the only copy: it is emailed to them)."""
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    _check_can_substitute(registration)
    values = _clean_person(registration, new_person_data)
    old = Person(name=registration.full_name, display=display_name(registration),
                 email=registration.email, language=registration.language,
                 reference=registration.reference)
    _replace_person(registration, values)
    token = new_manage_token(registration)  # every earlier link stops working
    _flush_or_conflict()
    record_action(
        "registration.substituted", registration, user=actor, source=SubstitutionSource(source),
        old_name=old.name, old_email=old.email, new_name=registration.full_name,
        new_email=registration.email, old_reference=old.reference,
        reference=registration.reference, status=registration.status,
        **({"by": by[:300]} if by else {}),
        **({"request_id": request.id} if request is not None else {}))
    _close_requests(registration, actor, keep=request)
    _release_invitation(registration, old, actor)
    notifications.notify_registration_substituted(
        registration, token, position=waitlist_position(registration))
    notifications.notify_registration_replaced(
        event, email=old.email, name=old.display, language=old.language,
        reference=old.reference, replaced_by=display_name(registration))
    cancel_queued_invitations_to(event.id, registration.email, actor=actor)
    log.info("registration %s of event %s substituted (%s)", registration.id, event.id, source)
    return registration, token


def _replace_person(registration: Registration, values: dict) -> None:
    """Write the new person over the old one: no value of the old person stays on the row."""
    for name in PERSON_FIELDS:
        setattr(registration, name, values[name])
    registration.reference, registration.badge_code = new_codes()
    registration.answers.clear()
    registration.consent_at = utcnow()
    registration.unsubscribed_at = None
    registration.decision_reason = ""


def _close_requests(registration: Registration, actor, *, keep=None) -> None:
    """Refuse (silently, their details dropped) the other pending requests of
    ``registration``: the person who made them no longer holds it."""
    for pending in db.session.scalars(select(SubstitutionRequest).where(
            SubstitutionRequest.registration_id == registration.id,
            SubstitutionRequest.status == SubstitutionStatus.PENDING.value)):
        if keep is not None and pending.id == keep.id:
            continue
        _decide(pending, SubstitutionStatus.REFUSED, actor)


def _release_invitation(registration: Registration, old: Person, actor) -> None:
    """An invitation addressed to the replaced person no longer holds the registration."""
    invitee = db.session.scalar(select(Invitee).where(
        Invitee.registration_id == registration.id))
    if invitee is not None and invitee.email == old.email:
        invitee.registration_id = None
        record_action("invitee.registration_released", invitee, user=actor,
                      registration_id=registration.id)


# --- requests from the delegate's own link ---------------------------------------------------

def _to_json(values: dict) -> dict:
    return {key: value.isoformat() if isinstance(value, date) else value
            for key, value in values.items()}


def _from_json(data: dict) -> dict:
    values = dict(data)
    for name in _DATE_FIELDS:
        if values.get(name):
            values[name] = date.fromisoformat(values[name])
    return values


def pending_request(registration: Registration) -> SubstitutionRequest | None:
    """The substitution request of ``registration`` waiting for a decision, if any."""
    return db.session.scalar(select(SubstitutionRequest).where(
        SubstitutionRequest.registration_id == registration.id,
        SubstitutionRequest.status == SubstitutionStatus.PENDING.value)
        .order_by(SubstitutionRequest.id.desc()).limit(1))


def pending_requests(event) -> list[SubstitutionRequest]:
    """The event's substitution requests waiting for a decision, oldest first."""
    return list(db.session.scalars(
        select(SubstitutionRequest).join(Registration)
        .where(Registration.event_id == event.id,
               SubstitutionRequest.status == SubstitutionStatus.PENDING.value)
        .order_by(SubstitutionRequest.requested_at, SubstitutionRequest.id)))


def pending_request_count(event) -> int:
    """How many substitution requests of the event wait for a decision."""
    return len(pending_requests(event))


@use_case
def request_substitution(registration: Registration, new_person_data: dict) -> \
        SubstitutionRequest:
    """The delegate asks, through their own link, to be replaced by the person described in
    ``new_person_data``; stored for an organizer's decision (checked now, and again when
    approved). Asking again while a request waits replaces that request."""
    lock_event(registration.event_id)
    db.session.refresh(registration)
    _check_can_substitute(registration)
    values = _to_json(_clean_person(registration, new_person_data))
    _close_requests(registration, None)  # an earlier request is replaced by this one
    request = SubstitutionRequest(registration_id=registration.id, data=values,
                                  requested_by="delegate")
    db.session.add(request)
    db.session.flush()
    record_action("registration.substitution_requested", registration, user=None,
                  request_id=request.id)
    notifications.notify_substitution_requested(request, _organizers(registration.event))
    return request


def get_request(event, request_id: int) -> SubstitutionRequest:
    """Request ``request_id`` of a registration of ``event``; NotFound otherwise."""
    request = db.session.get(SubstitutionRequest, request_id)
    if request is None or request.registration.event_id != event.id:
        raise NotFound(_("This substitution request does not exist."))
    return request


def _load_pending(request: SubstitutionRequest) -> SubstitutionRequest:
    lock_event(request.registration.event_id)
    db.session.refresh(request)
    if not request.is_pending:
        raise Conflict(_("This substitution request has already been decided."))
    return request


def _decide(request: SubstitutionRequest, status: SubstitutionStatus, actor) -> None:
    request.status = status.value
    request.decided_by_id = actor.id if actor is not None else None
    request.decided_at = utcnow()
    request.data = None  # the new person's details are applied, or dropped


@use_case
def approve_request(request: SubstitutionRequest, *, actor) -> tuple[Registration, str]:
    """Apply a delegate's substitution request (checked again now); returns what
    ``substitute`` returns."""
    request = _load_pending(request)
    data = _from_json(request.data or {})
    result = substitute(request.registration, data, actor=actor,
                        source=SubstitutionSource.DELEGATE_REQUEST, request=request)
    _decide(request, SubstitutionStatus.APPROVED, actor)
    return result


@use_case
def refuse_request(request: SubstitutionRequest, *, actor, reason: str = "") -> \
        SubstitutionRequest:
    """Refuse a delegate's substitution request; the delegate is emailed, with ``reason``."""
    request = _load_pending(request)
    request.reason = (reason or "").strip()[:2000]
    _decide(request, SubstitutionStatus.REFUSED, actor)
    record_action("registration.substitution_refused", request.registration, user=actor,
                  request_id=request.id, reason=request.reason)
    notifications.notify_substitution_refused(request)
    return request


def _organizers(event) -> list[User]:
    """The event's owner and its team members with the manage right (active accounts)."""
    team = db.session.scalars(select(User).join(TeamMember, TeamMember.user_id == User.id)
                              .where(TeamMember.event_id == event.id,
                                     TeamMember.can_manage.is_(True)))
    found = {user.id: user for user in (event.owner, *team)
             if user is not None and user.active}
    return list(found.values())
