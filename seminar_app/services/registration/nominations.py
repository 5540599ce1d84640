"""The focal point's side of nominations: a mission invited as an organisation nominates its
delegation through its focal point's invitation link (models.nominations).

Rules (the one place for each):
- Only an organisation invitee (``Invitee.kind == "organisation"``) has a nomination, one per
  invitee. It is started when the focal point first gives their email address on the page
  (``get_or_start_nomination``): when that address is not the invitee's, the link was
  forwarded and the nomination is flagged (``Nomination.forwarded``) for staff to confirm,
  as forwarded invitations are. The mission's country, organisation and type come from the
  invitee.
- Nominations are open (``nomination_refusal``) while the event is published, not cancelled,
  not over, and before its deadline: ``Event.nomination_deadline``, else
  ``Event.registration_closes_at`` (none: until the event ends). After it the page is
  read-only and every change is refused with the message (409), nothing stored. A declined
  invitation, and a withdrawn nomination, take no more changes either.
- Members: honorific, given and family name, role, email, position, language, visa needs,
  checked by the registration input definition (services.registration.registration_input):
  the same name and email rules as registrations. An email may appear once among a
  nomination's members (withdrawn members aside) and must not already have a registration
  for the event (a cancelled one does not count: accreditation takes it over). Only
  PROPOSED members can be changed or withdrawn; ACCREDITED ones are replaced
  (``replace_member``: services.registration.substitution, the seat is kept) or cancel
  through their own personal link.
- A photo per member (services.registration.photos: the same checks, crop and re-encoding as
  delegates' photos), and one nomination letter / note verbale (PDF,
  services.registration.nomination_letters), private to the event's organizers.
- ``submit``: DRAFT or RETURNED -> SUBMITTED; it needs a letter and at least one proposed
  member, and the country quota: the proposed and accredited members of this nomination and
  of the event's submitted or decided nominations for that country (drafts do not count),
  plus the country's other confirmed registrations, may not exceed ``Event.country_quota``.
  Capacity is NOT checked here: it is decided at accreditation (accredited members beyond
  the capacity join the waiting list). A member added to a SUBMITTED or DECIDED nomination
  goes straight to the queue (the quota is checked then too); adding to a DECIDED
  nomination sets it back to SUBMITTED.
- ``withdraw_nomination``: the whole nomination; its proposed members are withdrawn,
  accredited members keep their registrations (they cancel through their own links).
- Every change is audited (``nomination.*``). On submit the focal point gets a confirmation
  in the invitee's language and the event's organizers one email each.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from ...database import use_case
from ...extensions import db
from ...models import (
    EventStatus,
    InvitationResponse,
    Invitee,
    InviteeKind,
    Nomination,
    NominationMember,
    NominationMemberStatus,
    NominationStatus,
    Registration,
    RegistrationStatus,
    utcnow,
)
from .. import notifications
from ..audit import record_action
from ..errors import Conflict, NotFound
from . import photos
from .nomination_letters import check_letter, letter_upload
from .registration_input import InvalidInput, check_email, clean_registration
from .substitution import SubstitutionSource, _organizers, substitute
from .waitlist import lock_event

log = logging.getLogger(__name__)

#: the member fields the focal point gives
MEMBER_FIELDS = ("honorific", "honorific_other", "given_name", "family_name", "email",
                 "position", "role", "language", "needs_visa")
#: members that count for the quota and whose emails are taken within a nomination
COUNTED = (NominationMemberStatus.PROPOSED.value, NominationMemberStatus.ACCREDITED.value)
#: nominations of other missions that count for the quota (drafts do not)
_QUEUED = (NominationStatus.SUBMITTED.value, NominationStatus.DECIDED.value)
_OPEN_FOR_SUBMIT = (NominationStatus.DRAFT.value, NominationStatus.RETURNED.value)


class NominationClosed(Conflict):
    """Nominations are closed for this event (or this nomination takes no more changes)."""


@dataclass(frozen=True)
class NominationRefusal:
    """Why nominations are closed: ``kind`` (cancelled, over, closed, unpublished), ``message``
    (translated, shown to the focal point)."""

    kind: str
    message: str


# --- the rules -------------------------------------------------------------------------------

def nomination_deadline(event) -> datetime | None:
    """When nominations close: the event's nomination deadline, else its registration's
    closing time (None: until the event ends)."""
    return event.nomination_deadline or event.registration_closes_at


def nomination_refusal(event, now: datetime | None = None) -> NominationRefusal | None:
    """Why a focal point cannot change a nomination for ``event`` now, or None."""
    now = now or utcnow()
    if event.status == EventStatus.CANCELLED:
        return NominationRefusal("cancelled", _("This event has been cancelled: nominations "
                                                "are closed."))
    if event.status != EventStatus.PUBLISHED:
        return NominationRefusal("unpublished", _("Nominations are not open for this event."))
    if now >= event.end_at:
        return NominationRefusal("over", _("The event is over: nominations are closed."))
    deadline = nomination_deadline(event)
    if deadline is not None and now >= deadline:
        return NominationRefusal("closed", _("The nomination deadline has passed: the "
                                             "nomination can no longer be changed. Please "
                                             "contact the organizers."))
    return None


def is_organisation(invitee: Invitee) -> bool:
    return invitee.kind == InviteeKind.ORGANISATION.value


def change_refusal(nomination: Nomination | None, invitee: Invitee) -> str | None:
    """Why the focal point of ``invitee`` cannot change its nomination now, or None."""
    refusal = nomination_refusal(invitee.event)
    if refusal is not None:
        return refusal.message
    if invitee.response == InvitationResponse.DECLINED:
        return _("The invitation was declined, so no delegation can be nominated. Please "
                 "contact the organizers if the mission will attend after all.")
    if nomination is not None and nomination.status == NominationStatus.WITHDRAWN.value:
        return _("This nomination was withdrawn. Please contact the organizers to nominate "
                 "again.")
    return None


def _check_open(nomination: Nomination) -> None:
    refusal = change_refusal(nomination, nomination.invitee)
    if refusal is not None:
        raise NominationClosed(refusal)


def get_nomination(invitee: Invitee) -> Nomination | None:
    """The invitee's nomination, if one was started."""
    return db.session.scalar(select(Nomination).where(Nomination.invitee_id == invitee.id))


def get_member(nomination: Nomination, member_id: int) -> NominationMember:
    """Member ``member_id`` of ``nomination``; NotFound for any other id."""
    member = db.session.get(NominationMember, member_id)
    if member is None or member.nomination_id != nomination.id:
        raise NotFound(_("This member does not exist."))
    return member


def _focal_point(invitee: Invitee) -> str:
    return f"{invitee.name} <{invitee.email}>"[:300]


# --- starting --------------------------------------------------------------------------------

@use_case
def get_or_start_nomination(invitee: Invitee, *, email: str | None = None) -> Nomination:
    """The invitee's nomination, started when there is none. ``email``: the address the
    focal point gave on the page; another than the invitee's flags the nomination as
    forwarded (staff confirm it). Only organisation invitees nominate."""
    if not is_organisation(invitee):
        raise Conflict(_("This invitation is addressed to a person: it does not nominate a "
                         "delegation."))
    nomination = get_nomination(invitee)
    if nomination is not None:
        return nomination
    refusal = change_refusal(None, invitee)
    if refusal is not None:
        raise NominationClosed(refusal)
    given = invitee.email
    if email is not None:
        try:
            given = check_email(email.strip()).lower()
        except InvalidInput as error:
            raise InvalidInput(error.message, field="email") from None
    forwarded = given != invitee.email
    nomination = Nomination(event_id=invitee.event_id, invitee_id=invitee.id,
                            status=NominationStatus.DRAFT.value, country=invitee.country or "",
                            organisation=(invitee.organisation or invitee.name)[:200],
                            forwarded=forwarded)
    db.session.add(nomination)
    db.session.flush()
    record_action("nomination.started", nomination, user=None, invitee_id=invitee.id,
                  by=_focal_point(invitee), forwarded=forwarded,
                  **({"used_by": given} if forwarded else {}))
    log.info("nomination %s started for invitee %s (forwarded=%s)", nomination.id, invitee.id,
             forwarded)
    return nomination


# --- members ---------------------------------------------------------------------------------

def clean_member(nomination: Nomination, data: dict) -> dict:
    """The member's fields of ``data`` checked by the registration input definition (the
    mission's country and organisation stand for the registration's); InvalidInput naming
    the field."""
    if not nomination.country:
        raise Conflict(_("The mission's country is not recorded. Please ask the organizers to "
                         "complete the invitation."))
    given = {
        "honorific": data.get("honorific") or "",
        "honorific_other": data.get("honorific_other") or "",
        "given_name": data.get("given_name") or "",
        "family_name": data.get("family_name") or "",
        "email": data.get("email") or "",
        "position": data.get("position") or "",
        "delegation_role": data.get("role") or "",
        "language": data.get("language") or nomination.invitee.language or "en",
        "country": nomination.country,
        "organisation": nomination.organisation or nomination.invitee.name,
    }
    try:
        values = clean_registration(given, event=nomination.event)
    except InvalidInput as error:
        field = "role" if error.field == "delegation_role" else error.field
        raise InvalidInput(error.message, field=field) from None
    return {
        "honorific": values["honorific"], "honorific_other": values["honorific_other"],
        "given_name": values["given_name"], "family_name": values["family_name"],
        "email": values["email"], "position": values["position"],
        "role": values["delegation_role"], "language": values["language"] or "en",
        "needs_visa": bool(data.get("needs_visa")),
    }


def _check_email_free(nomination: Nomination, email: str, *, member_id: int | None = None):
    for other in nomination.members:
        if other.id != member_id and other.status in COUNTED and other.email == email:
            raise InvalidInput(_("This email address is already given for another member of "
                                 "this nomination: each member needs their own address."),
                               field="email")
    taken = db.session.scalar(select(Registration.id).where(
        Registration.event_id == nomination.event_id, Registration.email == email,
        Registration.status != RegistrationStatus.CANCELLED))  # a cancelled one is taken over
    if taken is not None:
        raise InvalidInput(_("This email address already has a registration for this event: "
                             "a person can be registered only once. Please give another "
                             "address."), field="email")


def _counted_for_country(nomination: Nomination) -> int:
    """Proposed and accredited members of this nomination and of the event's submitted or
    decided nominations for the country, plus the country's other confirmed registrations
    (accredited members are counted once, as members)."""
    members = db.session.scalar(
        select(func.count(NominationMember.id)).join(Nomination)
        .where(Nomination.event_id == nomination.event_id,
               Nomination.country == nomination.country,
               or_(Nomination.id == nomination.id, Nomination.status.in_(_QUEUED)),
               NominationMember.status.in_(COUNTED))) or 0
    accredited = select(NominationMember.registration_id).where(
        NominationMember.registration_id.is_not(None))
    others = db.session.scalar(
        select(func.count(Registration.id))
        .where(Registration.event_id == nomination.event_id,
               Registration.country == nomination.country,
               Registration.status == RegistrationStatus.CONFIRMED,
               Registration.id.not_in(accredited))) or 0
    return members + others


def _check_quota(nomination: Nomination) -> None:
    """Under the event lock (services.registration.waitlist.lock_event), so that two
    missions of one country submitting at once are counted one after the other."""
    quota = lock_event(nomination.event_id).country_quota
    if quota is None:
        return
    db.session.flush()
    if _counted_for_country(nomination) > quota:
        raise Conflict(_("The quota for this country is %(quota)d delegates, and this "
                         "nomination would exceed it. Please withdraw a member.", quota=quota))


def _in_queue(nomination: Nomination) -> bool:
    return nomination.status in (NominationStatus.SUBMITTED.value,
                                 NominationStatus.DECIDED.value)


@use_case
def add_member(nomination: Nomination, data: dict) -> NominationMember:
    """Add a proposed member; see the module's rules."""
    _check_open(nomination)
    values = clean_member(nomination, data)
    _check_email_free(nomination, values["email"])
    member = NominationMember(status=NominationMemberStatus.PROPOSED.value, **values)
    nomination.members.append(member)
    resubmitted = nomination.status == NominationStatus.DECIDED.value
    if resubmitted:
        nomination.status = NominationStatus.SUBMITTED.value
        nomination.submitted_at = utcnow()
    if _in_queue(nomination):
        _check_quota(nomination)
    db.session.flush()
    record_action("nomination.member_added", nomination, user=None, member_id=member.id,
                  name=member.full_name, email=member.email, role=member.role,
                  by=_focal_point(nomination.invitee), resubmitted=resubmitted)
    return member


def _proposed(nomination: Nomination, member_id: int) -> NominationMember:
    member = get_member(nomination, member_id)
    if member.status != NominationMemberStatus.PROPOSED.value:
        raise Conflict(_("Only members waiting for accreditation can be changed or withdrawn "
                         "here."))
    return member


@use_case
def update_member(nomination: Nomination, member_id: int, data: dict) -> NominationMember:
    """Change a proposed member's details."""
    _check_open(nomination)
    member = _proposed(nomination, member_id)
    values = clean_member(nomination, data)
    _check_email_free(nomination, values["email"], member_id=member.id)
    changed = sorted(name for name, value in values.items() if getattr(member, name) != value)
    for name, value in values.items():
        setattr(member, name, value)
    record_action("nomination.member_changed", nomination, user=None, member_id=member.id,
                  fields=changed, by=_focal_point(nomination.invitee))
    return member


@use_case
def withdraw_member(nomination: Nomination, member_id: int) -> NominationMember:
    """Withdraw a proposed member (their photo is deleted)."""
    _check_open(nomination)
    member = _proposed(nomination, member_id)
    member.status = NominationMemberStatus.WITHDRAWN.value
    photos.drop_photo_rows(member)
    record_action("nomination.member_withdrawn", nomination, user=None, member_id=member.id,
                  name=member.full_name, by=_focal_point(nomination.invitee))
    return member


@use_case
def set_member_photo(nomination: Nomination, member_id: int, data: bytes | None, *,
                     crop: photos.CropBox | None = None) -> NominationMember:
    """Check, crop and store a proposed member's photo (services.registration.photos)."""
    _check_open(nomination)
    member = _proposed(nomination, member_id)
    replaced = photos.store_photo(member, data, crop=crop,
                                  name=f"nomination-{nomination.id}-{member.id}")
    record_action("nomination.member_photo_set", nomination, user=None, member_id=member.id,
                  changed=replaced, by=_focal_point(nomination.invitee))
    return member


@use_case
def remove_member_photo(nomination: Nomination, member_id: int) -> bool:
    """Delete a proposed member's photo; False when there was none."""
    _check_open(nomination)
    member = _proposed(nomination, member_id)
    removed = photos.drop_photo_rows(member)
    if removed:
        record_action("nomination.member_photo_removed", nomination, user=None,
                      member_id=member.id, by=_focal_point(nomination.invitee))
    return removed


@use_case
def replace_member(nomination: Nomination, member_id: int, data: dict) -> NominationMember:
    """Hand an accredited member's registration, and its seat, to another person
    (services.registration.substitution, source FOCAL_POINT); the member row then names the
    new person."""
    _check_open(nomination)
    member = get_member(nomination, member_id)
    if member.status != NominationMemberStatus.ACCREDITED.value or member.registration is None:
        raise Conflict(_("Only accredited members can be replaced."))
    registration, _token = substitute(member.registration, data,
                                      source=SubstitutionSource.FOCAL_POINT,
                                      by=_focal_point(nomination.invitee))
    old_name = member.full_name
    member.honorific = str(registration.honorific)
    member.honorific_other = registration.honorific_other or ""
    member.given_name = registration.given_name
    member.family_name = registration.family_name
    member.email = registration.email
    member.position = registration.position or ""
    member.role = str(registration.delegation_role)
    member.language = registration.language
    member.needs_visa = bool(registration.needs_visa_letter)
    photos.drop_photo_rows(member)
    record_action("nomination.member_replaced", nomination, user=None, member_id=member.id,
                  old_name=old_name, new_name=member.full_name,
                  by=_focal_point(nomination.invitee))
    return member


# --- the letter, submitting, withdrawing ----------------------------------------------------

@use_case
def set_letter(nomination: Nomination, data: bytes | None, filename: str = "", *,
               reference: str = "") -> Nomination:
    """Check and store the nomination letter (note verbale), replacing an older one."""
    _check_open(nomination)
    checked = check_letter(data)
    old = nomination.letter
    nomination.letter = letter_upload(checked, filename)
    nomination.letter_reference = " ".join((reference or "").split())[:100]
    if old is not None:
        db.session.delete(old)
    db.session.flush()
    record_action("nomination.letter_set", nomination, user=None,
                  filename=nomination.letter.filename, size=nomination.letter.size,
                  pages=checked.pages, replaced=old is not None,
                  by=_focal_point(nomination.invitee))
    return nomination


def proposed_members(nomination: Nomination) -> list[NominationMember]:
    return [member for member in nomination.members
            if member.status == NominationMemberStatus.PROPOSED.value]


@use_case
def submit(nomination: Nomination) -> Nomination:
    """Send the nomination to the accreditation queue; see the module's rules (capacity is
    decided at accreditation: those beyond it join the waiting list)."""
    _check_open(nomination)
    if nomination.status not in _OPEN_FOR_SUBMIT:
        raise Conflict(_("This nomination has already been submitted."))
    if nomination.letter is None:
        raise Conflict(_("Please upload the nomination letter (note verbale) before "
                         "submitting."))
    if not proposed_members(nomination):
        raise Conflict(_("Please add at least one member before submitting."))
    nomination.status = NominationStatus.SUBMITTED.value
    nomination.submitted_at = utcnow()
    _check_quota(nomination)
    record_action("nomination.submitted", nomination, user=None,
                  members=len(proposed_members(nomination)),
                  by=_focal_point(nomination.invitee), forwarded=nomination.forwarded)
    notifications.notify_nomination_submitted(nomination)
    notifications.notify_nomination_submitted_to_organizers(
        nomination, _organizers(nomination.event))
    return nomination


@use_case
def withdraw_nomination(nomination: Nomination) -> Nomination:
    """Withdraw the whole nomination (proposed members withdrawn; accredited ones keep their
    registrations)."""
    _check_open(nomination)
    nomination.status = NominationStatus.WITHDRAWN.value
    withdrawn = 0
    for member in proposed_members(nomination):
        member.status = NominationMemberStatus.WITHDRAWN.value
        photos.drop_photo_rows(member)
        withdrawn += 1
    record_action("nomination.withdrawn", nomination, user=None, members=withdrawn,
                  by=_focal_point(nomination.invitee))
    return nomination
