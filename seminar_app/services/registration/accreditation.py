"""Accreditation: staff decide on the delegations missions nominate (models.nominations).

Rules:
- The queue (``queue``) shows every nomination staff may see (not the focal point's drafts):
  SUBMITTED first, oldest submission first, then RETURNED, DECIDED and WITHDRAWN; with the
  number in each status (the tab's badge counts the SUBMITTED ones: ``waiting_count``).
- Only the event's organizers (the manage right, ``can_accredit``) see nominations, their
  letters and photos, and decide. Reading a nomination letter is audited
  (``nomination.letter_read``).
- ``accredit`` turns the chosen PROPOSED members of a SUBMITTED nomination into registrations
  (source INVITATION) of the nomination's delegation, created at the first accreditation
  ("Delegation of <country>", the mission's organisation and country); members accredited
  later join the same delegation. The one room-and-status rule decides
  (services.registration.waitlist.decide_status): the members accredited together are all
  CONFIRMED when they all fit the places and their country's quota, else all WAITLISTED as
  one entry, promoted whole, exactly as a delegation; while members of the delegation wait,
  new ones wait with them. Staff accreditation is the approval: moderation does not apply.
  Each member gets their own email (confirmed or waiting) with their own personal link;
  their photo rows go to the registration; a member who needs a visa gets
  ``needs_visa_letter`` with empty passport fields, which they fill in through their link.
  At a hybrid event accredited members attend in person until they or staff say otherwise.
  Nobody becomes the delegation's managing head (``Delegation.head_registration_id`` stays
  empty): the mission's focal point manages the members through the nomination, and no
  member's personal link adds or replaces members past accreditation; protocol order still
  lists the head of delegation first (by role). A member whose address already has an
  active registration for the event is refused (409, nothing changed); a cancelled one is
  taken over, as registering does.
- The organisation's invitation is answered (ACCEPTED) at the first accreditation and points
  at the head of delegation accredited then (else the first member accredited): the
  invitation funnel then counts the mission as registered and checked in.
- A nomination from a forwarded focal-point link (``Nomination.forwarded``) is flagged in the
  queue and cannot be accredited until staff confirm the focal point
  (``confirm_focal_point``, audited; the flag is then cleared).
- ``not_accredit`` refuses one PROPOSED member with a reason told to the focal point.
  ``return_nomination`` sends a SUBMITTED nomination back to the focal point with a reason
  (required), emailed in the focal point's language with their invitation link; accredited
  members stay accredited. When no member is PROPOSED any more the nomination is DECIDED.
- After an accreditation (and after the decision that completes a nomination) the focal point
  is emailed each member's status ("3 of 4 members accredited").
- Each decision is one use case, under the event lock (``lock_event``), audited.
"""

import logging
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ...database import use_case
from ...extensions import db
from ...i18n import country_name
from ...links import external_url
from ...models import (
    AttendanceMode,
    Delegation,
    DelegationRole,
    Event,
    Invitee,
    InviteeKind,
    Nomination,
    NominationMember,
    NominationMemberStatus,
    NominationStatus,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    Upload,
    utcnow,
)
from .. import notifications
from ..access import Permission, has_permission
from ..audit import record_action
from ..errors import Conflict, NotFound, PermissionDenied, ServiceError
from ..events.attendance import is_hybrid
from ..invitations.invitation_link import active_registration, bind_registration
from ..invitations.invitations import invitee_token
from ..invitations.mailing_audiences import cancel_queued_invitations_to
from ..policies import registration_refusal
from .delegations import clean_member, write_members
from .photos import drop_photo_rows
from .registrations import _REFUSAL_ERRORS
from .waitlist import decide_status, lock_event, waitlist_position

log = logging.getLogger(__name__)

#: the order of the queue: what waits for staff first
QUEUE_ORDER = (NominationStatus.SUBMITTED, NominationStatus.RETURNED, NominationStatus.DECIDED,
               NominationStatus.WITHDRAWN)
REASON_MAX = 2000
PROPOSED = NominationMemberStatus.PROPOSED.value
ACCREDITED = NominationMemberStatus.ACCREDITED.value
NOT_ACCREDITED = NominationMemberStatus.NOT_ACCREDITED.value
WITHDRAWN = NominationMemberStatus.WITHDRAWN.value

NOMINATION_STATUS_LABELS = {
    NominationStatus.DRAFT.value: _l("Draft"),
    NominationStatus.SUBMITTED.value: _l("Waiting for a decision"),
    NominationStatus.RETURNED.value: _l("Returned to the focal point"),
    NominationStatus.DECIDED.value: _l("Decided"),
    NominationStatus.WITHDRAWN.value: _l("Withdrawn"),
}
MEMBER_STATUS_LABELS = {
    PROPOSED: _l("Waiting for a decision"),
    ACCREDITED: _l("Accredited"),
    NOT_ACCREDITED: _l("Not accredited"),
    WITHDRAWN: _l("Withdrawn by the focal point"),
}


class AccreditationError(ServiceError):
    """A decision was refused because of its input (422)."""

    status_code = 422


# --- who may ---------------------------------------------------------------------------------

def can_accredit(user, event: Event) -> bool:
    """True when ``user`` may see ``event``'s nominations (letters, photos) and decide on them:
    the event's organizers (the manage right)."""
    return user is not None and has_permission(user, event, Permission.MANAGE)


def _check_actor(actor, event: Event) -> None:
    if not can_accredit(actor, event):
        raise PermissionDenied(_("Only the event's organizers can accredit delegations."))


# --- reading -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueRow:
    """One nomination in the queue."""

    nomination: Nomination
    #: members taking part (not withdrawn)
    members: int
    #: members still waiting for a decision
    proposed: int
    accredited: int


@dataclass(frozen=True)
class AccreditationQueue:
    rows: list[QueueRow]
    #: NominationStatus value -> number (every status of QUEUE_ORDER present)
    counts: dict[str, int]

    @property
    def waiting(self) -> int:
        return self.counts[NominationStatus.SUBMITTED.value]


def _visible():
    return Nomination.status.in_([status.value for status in QUEUE_ORDER])


def queue(event: Event, *, status: str | None = None) -> AccreditationQueue:
    """The event's nominations in queue order (``status``: only those), with the counts."""
    counts = dict.fromkeys((status.value for status in QUEUE_ORDER), 0)
    counts.update(dict(db.session.execute(
        select(Nomination.status, func.count(Nomination.id))
        .where(Nomination.event_id == event.id, _visible()).group_by(Nomination.status)).all()))
    query = select(Nomination).where(Nomination.event_id == event.id, _visible()).options(
        selectinload(Nomination.members), selectinload(Nomination.invitee))
    if status in counts:
        query = query.where(Nomination.status == status)
    nominations = db.session.scalars(query).all()
    rank = {status.value: index for index, status in enumerate(QUEUE_ORDER)}
    nominations = sorted(nominations, key=lambda n: (
        rank[n.status], n.submitted_at is None, n.submitted_at or n.created_at, n.id))
    rows = []
    for nomination in nominations:
        taking_part = [m for m in nomination.members if m.status != WITHDRAWN]
        rows.append(QueueRow(
            nomination=nomination, members=len(taking_part),
            proposed=sum(m.status == PROPOSED for m in taking_part),
            accredited=sum(m.status == ACCREDITED for m in taking_part)))
    return AccreditationQueue(rows=rows, counts=counts)


def waiting_count(event: Event) -> int:
    """How many nominations wait for staff (SUBMITTED): the tab's badge."""
    return db.session.scalar(select(func.count(Nomination.id)).where(
        Nomination.event_id == event.id,
        Nomination.status == NominationStatus.SUBMITTED.value)) or 0


def has_nominations(event: Event) -> bool:
    """True when a mission is invited to ``event`` or a nomination reached staff."""
    return db.session.scalar(select(
        select(Invitee.id).where(Invitee.event_id == event.id,
                                 Invitee.kind == InviteeKind.ORGANISATION.value).exists()
        | select(Nomination.id).where(Nomination.event_id == event.id, _visible()).exists()))


def get_nomination(event: Event, nomination_id: int) -> Nomination:
    """Nomination ``nomination_id`` of ``event`` as staff see it; NotFound for another event's
    and for a draft (the focal point has not submitted it)."""
    nomination = db.session.get(Nomination, nomination_id)
    if nomination is None or nomination.event_id != event.id \
            or nomination.status == NominationStatus.DRAFT.value:
        raise NotFound(_("This nomination does not exist."))
    return nomination


def get_member(nomination: Nomination, member_id: int) -> NominationMember:
    member = db.session.get(NominationMember, member_id)
    if member is None or member.nomination_id != nomination.id:
        raise NotFound(_("This person is not a member of this nomination."))
    return member


def members_in_order(nomination: Nomination) -> list[NominationMember]:
    """The members as staff read them: waiting for a decision first, then by id."""
    order = {PROPOSED: 0, ACCREDITED: 1, NOT_ACCREDITED: 2, WITHDRAWN: 3}
    return sorted(nomination.members, key=lambda m: (order.get(m.status, 4), m.id))


@use_case
def read_letter(nomination: Nomination, *, actor) -> Upload:
    """The nomination letter for an organizer, audited; NotFound when there is none."""
    _check_actor(actor, nomination.event)
    letter = nomination.letter
    if letter is None:
        raise NotFound(_("This nomination has no letter."))
    record_action("nomination.letter_read", nomination, user=actor, letter_id=letter.id)
    return letter


# --- deciding ----------------------------------------------------------------------------------

def _locked(nomination: Nomination, actor) -> tuple[Event, Nomination]:
    """Lock the nomination's event and reload the nomination and its members."""
    event = lock_event(nomination.event_id)
    _check_actor(actor, event)
    # the nomination's row too (PostgreSQL; SQLite's writer already holds the database), so
    # that a focal point's change and a decision never interleave
    nomination = db.session.scalar(
        select(Nomination).where(Nomination.id == nomination.id).with_for_update()
        .execution_options(populate_existing=True))
    db.session.expire(nomination, ["members"])
    db.session.scalars(
        select(NominationMember).where(NominationMember.nomination_id == nomination.id)
        .execution_options(populate_existing=True)).all()
    return event, nomination


def _check_submitted(nomination: Nomination) -> None:
    if nomination.status != NominationStatus.SUBMITTED.value:
        raise Conflict(_("This nomination is not waiting for a decision (it may have been "
                         "returned to the focal point or decided meanwhile)."))


def _reason(reason: str | None, field: str = "reason") -> str:
    text = (reason or "").strip()[:REASON_MAX]
    if not text:
        raise AccreditationError(_("Please give a reason."), field=field)
    return text


def _decided_if_complete(nomination: Nomination, actor) -> bool:
    """DECIDED when no member is PROPOSED any more; True when it just became so."""
    if any(member.status == PROPOSED for member in nomination.members):
        return False
    nomination.status = NominationStatus.DECIDED.value
    record_action("nomination.decided", nomination, user=actor)
    return True


def focal_point_link(nomination: Nomination) -> str:
    """The focal point's invitation link (/i/<token>, derived, never stored)."""
    return external_url("rsvp.show", token=invitee_token(nomination.invitee))


@use_case
def confirm_focal_point(nomination: Nomination, *, actor) -> Nomination:
    """Staff confirm that the focal point who used a forwarded link speaks for the mission:
    the nomination may then be accredited."""
    _event, nomination = _locked(nomination, actor)
    if not nomination.forwarded:
        raise Conflict(_("The focal point of this nomination needs no confirmation."))
    nomination.forwarded = False
    record_action("nomination.confirm_focal_point", nomination, user=actor,
                  invitee_id=nomination.invitee_id)
    return nomination


def _delegation(event: Event, nomination: Nomination, actor) -> Delegation:
    delegation = nomination.delegation
    if delegation is None:
        language = nomination.invitee.language if nomination.invitee else None
        delegation = Delegation(
            event_id=event.id, country=nomination.country,
            organisation=nomination.organisation or nomination.invitee.organisation,
            name=_("Delegation of %(country)s",
                   country=country_name(nomination.country, language)),
            created_by_id=actor.id, created_at=utcnow())
        db.session.add(delegation)
        nomination.delegation = delegation
        db.session.flush()
        record_action("delegation.create", delegation, user=actor, nomination_id=nomination.id,
                      source=RegistrationSource.INVITATION)
    return delegation


def _member_data(member: NominationMember) -> dict:
    return {"honorific": member.honorific, "honorific_other": member.honorific_other,
            "given_name": member.given_name, "family_name": member.family_name,
            "email": member.email, "position": member.position,
            "delegation_role": member.role, "language": member.language,
            "needs_visa_letter": False}  # passport data: from the member's own link


def _values(event: Event, nomination: Nomination, member: NominationMember) -> dict:
    defaults = {"country": nomination.country,
                "organisation": nomination.organisation or nomination.invitee.organisation,
                "organisation_type": nomination.organisation_type,
                "language": member.language or "en"}
    if is_hybrid(event):  # a nomination does not say; staff or the member change it later
        defaults["attendance"] = AttendanceMode.IN_PERSON.value
    try:
        return clean_member(event, defaults, _member_data(member))
    except ServiceError as error:
        raise AccreditationError(_("%(name)s cannot be accredited: %(reason)s",
                                   name=member.full_name, reason=error.message)) from None


def _existing(event: Event, members: list[NominationMember],
              values: list[dict]) -> dict[str, Registration]:
    """The CANCELLED registrations to take over, by email; Conflict for an address that is
    registered already or given twice."""
    emails = [v["email"] for v in values]
    found = {r.email: r for r in db.session.scalars(select(Registration).where(
        Registration.event_id == event.id, Registration.email.in_(emails)))}
    seen = set()
    for member, email in zip(members, emails, strict=True):
        if email in seen:
            raise Conflict(_("%(name)s has the same email address as another member.",
                             name=member.full_name))
        seen.add(email)
        registration = found.get(email)
        if registration is not None and registration.status != RegistrationStatus.CANCELLED:
            raise Conflict(_("%(name)s (%(email)s) is already registered for this event.",
                             name=member.full_name, email=email))
    return found


def _status(event: Event, delegation: Delegation, countries: list[str]) -> RegistrationStatus:
    """The one rule (waitlist.decide_status); while members of the delegation wait, new ones
    wait with them (one entry, promoted whole), as members a head adds do."""
    waiting = db.session.scalar(select(func.count(Registration.id)).where(
        Registration.delegation_id == delegation.id,
        Registration.status == RegistrationStatus.WAITLISTED)) if delegation.id else 0
    if waiting:
        return RegistrationStatus.WAITLISTED
    return decide_status(event, countries)


def _hand_photo(member: NominationMember, registration: Registration) -> None:
    """The member's photo rows become the registration's (a cancelled registration taken
    over loses the former person's photo first)."""
    if member.photo_id is None:
        if registration.photo_id is not None:
            drop_photo_rows(registration)
        return
    if registration.photo_id is not None:
        drop_photo_rows(registration)
    registration.photo, registration.photo_thumbnail = member.photo, member.photo_thumbnail
    member.photo = member.photo_thumbnail = None


def _bind_invitee(nomination: Nomination, registrations: list[Registration]) -> None:
    """The organisation's invitation is answered: it points at the head of delegation among
    ``registrations`` (else the first), unless it holds an active registration already."""
    invitee = nomination.invitee
    if invitee is None or active_registration(invitee) is not None:
        return
    heads = [r for r in registrations if r.delegation_role == DelegationRole.HEAD]
    bind_registration(invitee, (heads or registrations)[0])


@dataclass(frozen=True)
class Accredited:
    """What an accreditation did."""

    registrations: list[Registration]
    status: RegistrationStatus
    delegation: Delegation


@use_case
def accredit(nomination: Nomination, member_ids, *, actor) -> Accredited:
    """Accredit the chosen PROPOSED members of a SUBMITTED nomination (see the module's
    rules). Conflict (409, nothing changed) when a chosen member is decided already."""
    event, nomination = _locked(nomination, actor)
    _check_submitted(nomination)
    if nomination.forwarded:
        raise Conflict(_("This nomination came through a forwarded invitation link: confirm "
                         "the focal point first."))
    refusal = registration_refusal(event, RegistrationSource.STAFF)
    if refusal is not None:
        raise _REFUSAL_ERRORS[refusal.kind](refusal.message)
    try:
        wanted = {int(member_id) for member_id in member_ids}
    except (TypeError, ValueError):
        raise AccreditationError(_("Choose the members to accredit."), field="members") \
            from None
    members = [m for m in nomination.members if m.id in wanted]
    if not wanted or len(members) != len(wanted):
        raise AccreditationError(_("Choose the members to accredit."), field="members")
    decided = [m for m in members if m.status != PROPOSED]
    if decided:
        raise Conflict(_("%(name)s has already been decided on; nothing was changed.",
                         name=decided[0].full_name))
    values = [_values(event, nomination, member) for member in members]
    existing = _existing(event, members, values)
    delegation = _delegation(event, nomination, actor)
    status = _status(event, delegation, [v["country"] for v in values])
    written = write_members(event, delegation, values, existing,
                            source=RegistrationSource.INVITATION, status=status)
    now = utcnow()
    registrations = []
    for member, (registration, token) in zip(members, written, strict=True):
        # no visa letter for who attends online (registration_input's rule)
        registration.needs_visa_letter = member.needs_visa \
            and registration.attendance != AttendanceMode.ONLINE.value
        _hand_photo(member, registration)
        member.status = ACCREDITED
        member.registration = registration
        member.decided_at, member.decided_by_id = now, actor.id
        member.decision_reason = ""
        registrations.append((registration, token))
    db.session.flush()
    _bind_invitee(nomination, [r for r, _t in registrations])
    complete = _decided_if_complete(nomination, actor)
    for member, (registration, token) in zip(members, registrations, strict=True):
        record_action("registration.create", registration, user=actor, status=status,
                      source=RegistrationSource.INVITATION, delegation_id=delegation.id,
                      nomination_id=nomination.id)
        record_action("nomination.member_accredit", nomination, user=actor,
                      member_id=member.id, registration_id=registration.id, status=status)
        notifications.notify_registration_created(
            registration, token, position=waitlist_position(registration))
        cancel_queued_invitations_to(event.id, registration.email, actor=actor)
    notifications.notify_nomination_decisions(nomination, link=focal_point_link(nomination),
                                              complete=complete)
    log.info("nomination %s: %d members accredited (%s) by user %s", nomination.id,
             len(registrations), status, actor.id)
    return Accredited(registrations=[r for r, _t in registrations], status=status,
                      delegation=delegation)


@use_case
def not_accredit(member: NominationMember, reason: str, *, actor) -> NominationMember:
    """Do not accredit one PROPOSED member of a SUBMITTED nomination; ``reason`` (required)
    is told to the focal point."""
    text = _reason(reason)
    _event, nomination = _locked(member.nomination, actor)
    _check_submitted(nomination)
    db.session.refresh(member)
    if member.status != PROPOSED:
        raise Conflict(_("%(name)s has already been decided on; nothing was changed.",
                         name=member.full_name))
    member.status = NOT_ACCREDITED
    member.decision_reason = text
    member.decided_at, member.decided_by_id = utcnow(), actor.id
    record_action("nomination.member_not_accredit", nomination, user=actor,
                  member_id=member.id, reason=text)
    if _decided_if_complete(nomination, actor):
        notifications.notify_nomination_decisions(
            nomination, link=focal_point_link(nomination), complete=True)
    return member


@use_case
def return_nomination(nomination: Nomination, reason: str, *, actor) -> Nomination:
    """Send a SUBMITTED nomination back to its focal point with ``reason`` (required),
    emailed in their language with their invitation link."""
    text = _reason(reason)
    _event, nomination = _locked(nomination, actor)
    _check_submitted(nomination)
    nomination.status = NominationStatus.RETURNED.value
    nomination.return_reason = text
    nomination.returned_at, nomination.returned_by_id = utcnow(), actor.id
    record_action("nomination.return", nomination, user=actor, reason=text)
    notifications.notify_nomination_returned(nomination, link=focal_point_link(nomination))
    log.info("nomination %s returned by user %s", nomination.id, actor.id)
    return nomination
