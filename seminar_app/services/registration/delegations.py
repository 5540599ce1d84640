"""Delegations: a head (or staff on their behalf) registers several delegates at once.

Rules:
- The head's full details plus 1 to ``MAX_MEMBERS`` members; each member gets their own
  registration (reference, badge code, personal link, emails in their own language, the
  head's when not given). Members take the head's country and organisation unless given.
- Emails are unique per event: a member whose email is already registered (or appears twice
  in the submission) refuses the whole submission, with the error on that member's row. A
  CANCELLED registration with the same email is taken over, as ``register`` does.
- Capacity and the country quota count every member. The whole delegation is PENDING
  (moderation, online only), CONFIRMED (all fit) or WAITLISTED (as one entry, promoted whole:
  services.registration.waitlist) together, never half: one transaction after ``lock_event``.
- Extra questions are answered by the head for their own registration; members answer
  theirs through their personal link. A member row may carry the member's dietary and
  accessibility needs and a visa letter (with the passport details it needs, judged as for
  any registration); the member may also give or change them through their own link.
- The head manages the delegation through their own personal link (who may, and what they
  see of members: services.policies.manages_delegation, delegation_member_view):
  ``add_member`` registers one more member under the same input rules, capacity and country
  quota (PENDING while the head or the event waits for approval, WAITLISTED while the head
  waits or when the member does not fit, else CONFIRMED; emailed their own link);
  ``remove_member`` cancels a member's registration with the cancellation use case (the
  place returns and the waiting list moves); ``resend_member_link`` is the resend use case
  (older links stop working). Each is audited as ``delegation.member_add``,
  ``delegation.member_remove`` and ``delegation.member_resend_link`` naming the head.
"""

import logging

from flask_babel import gettext as _
from sqlalchemy import select

from ...database import use_case
from ...extensions import db
from ...i18n import country_name
from ...models import (
    Delegation,
    Event,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    utcnow,
)
from .. import notifications
from ..audit import record_action
from ..errors import Conflict, NotFound, PermissionDenied, ServiceError
from ..policies import manages_delegation, member_addition_refusal
from .participant_list import protocol_key
from .registration_codes import new_codes, new_manage_token
from .registration_input import VISA_FIELDS
from .registrations import (
    _REFUSAL_ERRORS,
    AlreadyRegistered,
    _check_can_register,
    _clean,
    _flush_or_conflict,
    _save_answers,
    cancel_registration,
    resend_manage_link,
)
from .waitlist import (
    decide_status,
    lock_event,
    needs_approval,
    set_status,
    waitlist_position,
)

log = logging.getLogger(__name__)

MAX_MEMBERS = 20
ONLINE, STAFF = RegistrationSource.ONLINE, RegistrationSource.STAFF
#: what a member row may give; the rest comes from the head
MEMBER_FIELDS = ("honorific", "honorific_other", "given_name", "family_name", "email",
                 "delegation_role", "position", "language", "country", "organisation",
                 "dietary", "accessibility", "needs_visa_letter", *VISA_FIELDS,
                 "attendance")
#: registrations that no longer take part (their links no longer open)
_ENDED = (RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED)
NAME_MAX = 200


class MemberError(ServiceError):
    """A member row was refused; ``row`` is its index in ``members_data``, ``field`` its field.

    ``conflict`` tells a clash with existing data (409) from invalid input (422).
    """

    def __init__(self, message: str, *, row: int, field: str | None, conflict: bool = False):
        super().__init__(message, field=field)
        self.row = row
        self.conflict = conflict


def _member_values(event: Event, head: dict, data: dict, row: int) -> dict:
    """A member row's values, what it leaves blank taken from the head, cleaned and checked
    as any registration (services.registration.registration_input)."""
    values = {key: data[key] for key in MEMBER_FIELDS if str(data.get(key) or "").strip()}
    values.setdefault("country", head["country"])
    values.setdefault("organisation", head["organisation"])
    values.setdefault("language", head.get("language") or "en")
    values.setdefault("delegation_role", "delegate")
    if head.get("attendance"):  # a member row left blank attends as the head does
        values.setdefault("attendance", head["attendance"])
    if "organisation_type" in head and values["organisation"] == head["organisation"]:
        values["organisation_type"] = head["organisation_type"]
    values["needs_visa_letter"] = bool(data.get("needs_visa_letter"))
    try:
        return _clean(event, values)
    except ServiceError as error:
        raise MemberError(error.message, row=row, field=error.field) from None


def _check_emails(event: Event, head: dict, members: list[dict]) -> dict[str, Registration]:
    """Every email once in the submission and not actively registered; the CANCELLED
    registrations to take over, by email."""
    seen = {head["email"]}
    for row, member in enumerate(members):
        if member["email"] in seen:
            raise MemberError(_("This email address appears twice in the delegation."),
                              row=row, field="email")
        seen.add(member["email"])
    existing = {registration.email: registration for registration in db.session.scalars(
        select(Registration).where(Registration.event_id == event.id,
                                   Registration.email.in_(seen)))}
    taken = _("This email address is already registered for this event.")
    if head["email"] in existing and existing[head["email"]].status \
            != RegistrationStatus.CANCELLED:
        raise AlreadyRegistered(taken, field="email")
    for row, member in enumerate(members):
        found = existing.get(member["email"])
        if found is not None and found.status != RegistrationStatus.CANCELLED:
            raise MemberError(taken, row=row, field="email", conflict=True)
    return existing


def _registration(event: Event, values: dict, existing: Registration | None, *, source,
                  status, now) -> tuple[Registration, str]:
    registration = existing
    if registration is None:
        reference, badge_code = new_codes()
        registration = Registration(event_id=event.id, reference=reference,
                                    badge_code=badge_code, status=status)
        db.session.add(registration)
    else:  # a cancelled registration taken over: a fresh start, older links revoked
        registration.cancelled_at = registration.confirmed_at = None
        registration.waitlisted_at = registration.checked_in_at = None
        registration.decision_reason = ""
        registration.forwarded_invitation = False
    for key, value in values.items():
        setattr(registration, key, value)
    registration.source, registration.consent_at = source, now
    token = new_manage_token(registration)
    set_status(registration, status)
    if status == RegistrationStatus.WAITLISTED:
        registration.waitlisted_at = now  # the delegation waits as one entry
    return registration, token


@use_case
def register_delegation(event: Event, head_data: dict, members_data: list[dict], *,
                        source=RegistrationSource.ONLINE, actor=None,
                        answers: dict[int, str] | None = None,
                        name: str = "") -> tuple[Delegation, dict[int, str]]:
    """Register a head and their members together; returns the delegation and the personal
    link token of each registration by its id (the head's included)."""
    event = lock_event(event.id)
    _check_can_register(event, source)
    if not members_data:
        raise ServiceError(_("Add at least one member to the delegation."))
    if len(members_data) > MAX_MEMBERS:
        raise ServiceError(_("A delegation can have at most %(number)d members.",
                             number=MAX_MEMBERS))
    head = _clean(event, head_data)
    members = [_member_values(event, head, data, row) for row, data in enumerate(members_data)]
    existing = _check_emails(event, head, members)
    name = " ".join((name or "").split())[:NAME_MAX]
    if "<" in name or ">" in name:
        raise ServiceError(_("Please do not use angle brackets here."), field="name")
    everyone = [head, *members]
    status = decide_status(event, [values["country"] for values in everyone],
                           approval=needs_approval(event, source))
    now = utcnow()
    delegation = Delegation(
        event_id=event.id, country=head["country"], organisation=head["organisation"],
        name=name or _("Delegation of %(country)s",
                       country=country_name(head["country"], head.get("language"))),
        created_by_id=actor.id if actor is not None else None, created_at=now)
    db.session.add(delegation)
    registrations, tokens = [], []
    for values in everyone:
        registration, token = _registration(event, values, existing.get(values["email"]),
                                            source=source, status=status, now=now)
        registration.delegation = delegation
        registrations.append(registration)
        tokens.append(token)
    _save_answers(registrations[0], event, answers or {})
    _flush_or_conflict()
    delegation.head_registration_id = registrations[0].id
    record_action("delegation.create", delegation, user=actor, status=status, source=source,
                  members=len(registrations))
    for registration, token in zip(registrations, tokens, strict=True):
        record_action("registration.create", registration, user=actor, status=status,
                      source=source, delegation_id=delegation.id)
        notifications.notify_registration_created(
            registration, token, position=waitlist_position(registration))
    notifications.notify_delegation_registered(delegation, registrations)
    log.info("delegation %s for event %s: %d registrations %s", delegation.id, event.id,
             len(registrations), status)
    return delegation, {r.id: t for r, t in zip(registrations, tokens, strict=True)}


# --- members written into a delegation at once (services.registration.accreditation) --------

def clean_member(event: Event, defaults: dict, data: dict) -> dict:
    """A member row (``MEMBER_FIELDS``) cleaned and checked as any registration, what it leaves
    blank taken from ``defaults`` (country, organisation, organisation_type, language);
    MemberError (row 0) names a refused field."""
    return _member_values(event, defaults, data, 0)


def write_members(event: Event, delegation: Delegation, members: list[dict],
                  existing: dict[str, Registration], *, source,
                  status: RegistrationStatus) -> list[tuple[Registration, str]]:
    """Write ``members`` (cleaned values) into ``delegation``, all with ``status`` (WAITLISTED:
    one entry on the waiting list, as a delegation waits), taking over the CANCELLED
    registrations in ``existing`` (by email); flushed. Returns each registration with its
    personal-link token. The caller locked the event and decided ``status``."""
    now = utcnow()
    written = []
    for values in members:
        registration, token = _registration(event, values, existing.get(values["email"]),
                                            source=source, status=status, now=now)
        registration.delegation = delegation
        written.append((registration, token))
    _flush_or_conflict()
    return written


def delegation_members(delegation: Delegation) -> list[Registration]:
    """The delegation's registrations in protocol order: head first, then by rank, role, name."""
    return sorted(delegation.members, key=lambda r: protocol_key(r, delegation))


# --- the head manages the delegation through their personal link ----------------------------

def managed_delegation(head: Registration) -> Delegation:
    """The delegation ``head``'s link manages; PermissionDenied for anyone else's link."""
    if not manages_delegation(head):
        raise PermissionDenied(_("Only the head of the delegation can do this."))
    return head.delegation


def _managed_member(head: Registration, member_id: int) -> Registration:
    """Member ``member_id`` of the delegation ``head`` manages (NotFound for anyone else)."""
    managed_delegation(head)
    member = db.session.get(Registration, member_id, populate_existing=True)
    if member is None or not manages_delegation(head, member):
        raise NotFound(_("This person is not a member of your delegation."))
    return member


def _head_values(head: Registration) -> dict:
    """What a new member takes from the head when their row leaves it blank."""
    return {"country": head.country, "organisation": head.organisation,
            "organisation_type": head.organisation_type, "language": head.language,
            "attendance": head.attendance}


def _added_member_status(event: Event, delegation: Delegation,
                         country: str) -> RegistrationStatus:
    """PENDING while the delegation (its head) or the event waits for approval, WAITLISTED
    while the delegation (its head) waits, to be promoted with it as one entry; else as any
    registration: CONFIRMED when the member fits the places and their country's quota."""
    head_status = delegation.head.status if delegation.head is not None else None
    if head_status == RegistrationStatus.PENDING or needs_approval(event, ONLINE):
        return RegistrationStatus.PENDING
    if head_status == RegistrationStatus.WAITLISTED:
        return RegistrationStatus.WAITLISTED
    return decide_status(event, [country])


@use_case
def add_member(head: Registration, data: dict) -> tuple[Registration, str]:
    """The head adds one member to their delegation; returns it and its personal-link token.

    ``data``: a member row (``MEMBER_FIELDS``), cleaned and checked as any registration;
    MemberError (row 0) names a refused field."""
    event = lock_event(head.event_id)
    db.session.refresh(head)
    delegation = managed_delegation(head)
    refusal = member_addition_refusal(event)
    if refusal is not None:
        raise _REFUSAL_ERRORS[refusal.kind](refusal.message)
    taking_part = [member for member in delegation.members
                   if member.status not in _ENDED and member.id != head.id]
    if len(taking_part) >= MAX_MEMBERS:
        raise Conflict(_("A delegation can have at most %(number)d members.",
                         number=MAX_MEMBERS))
    values = _member_values(event, _head_values(head), data, 0)
    existing = db.session.scalar(select(Registration).where(
        Registration.event_id == event.id, Registration.email == values["email"]))
    if existing is not None and existing.status != RegistrationStatus.CANCELLED:
        raise MemberError(_("This email address is already registered for this event."),
                          row=0, field="email", conflict=True)
    status = _added_member_status(event, delegation, values["country"])
    member, token = _registration(event, values, existing, source=ONLINE, status=status,
                                  now=utcnow())
    member.delegation = delegation
    _flush_or_conflict()
    record_action("delegation.member_add", member, user=None, delegation_id=delegation.id,
                  by_head=head.reference, status=status)
    record_action("registration.create", member, user=None, status=status, source=ONLINE,
                  delegation_id=delegation.id, reactivated=existing is not None)
    notifications.notify_registration_created(member, token,
                                              position=waitlist_position(member))
    log.info("delegation %s: member %s added by its head, %s", delegation.id, member.id,
             status)
    return member, token


@use_case
def remove_member(head: Registration, member_id: int) -> list[Registration]:
    """The head removes a member: their registration is cancelled as any cancellation (the
    place returns, the waiting list moves). Returns who was promoted."""
    lock_event(head.event_id)
    db.session.refresh(head)
    member = _managed_member(head, member_id)
    if member.status in _ENDED:
        raise Conflict(_("This member's registration is already cancelled."))
    record_action("delegation.member_remove", member, user=None,
                  delegation_id=member.delegation_id, by_head=head.reference,
                  status=member.status)
    return cancel_registration(member, by_head=head)


@use_case
def resend_member_link(head: Registration, member_id: int) -> Registration:
    """The head has a member's personal link emailed to the member again (a new link: the
    older ones stop working). Returns the member."""
    db.session.refresh(head)
    member = _managed_member(head, member_id)
    if member.status in _ENDED:
        raise Conflict(_("This member's registration is cancelled; their link no longer "
                         "works."))
    record_action("delegation.member_resend_link", member, user=None,
                  delegation_id=member.delegation_id, by_head=head.reference)
    resend_manage_link(member.event, member.email)
    return member
