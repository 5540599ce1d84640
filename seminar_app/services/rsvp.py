"""Answering an invitation through its personal link /i/<token>: accept (register) or decline.

Rules:
- The link works while the event is published and has not ended; a cancelled event's
  invitations can no longer be answered (``answerable``).
- Accepting means registering (source INVITATION): allowed on invitation-only events, no
  moderation, capacity, quota and waiting list as usual, while the registration window is open
  (no window set: until the event ends). It runs inside ``services.registrations.register``
  (``invitee=``), so the registration and the invitee's answer are one transaction.
- The invitation is bound to its invitee's email: a registration with another email is
  flagged ``forwarded_invitation`` and waits (PENDING) for an organizer's approval, whatever
  the event's moderation setting.
- One invitation gives at most one active registration (``Invitee.registration_id`` is
  unique). After that registration is cancelled, the link may register again.
- When the invitee's own email already has a registration for the event (they registered
  publicly before), the invitation is linked to that registration instead; its status is kept.
- Declining is refused while the invitation's registration is active: the delegate cancels
  the registration instead (its page says how).
"""

import logging
import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import (
    Event,
    EventStatus,
    InvitationResponse,
    Invitee,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    ResponseChannel,
    utcnow,
)
from . import notifications
from .audit import record_action
from .errors import Conflict, NotFound, ServiceError
from .invitations import link_is_expired
from .registration_codes import new_manage_token
from .waitlist import lock_event, waitlist_position

log = logging.getLogger(__name__)

#: the longest decline reason kept
DECLINE_REASON_MAX = 1000
_MARKUP = re.compile(r"[<>]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: registrations that no longer hold the invitation: it may be used again
_ENDED = (RegistrationStatus.CANCELLED,)


@dataclass
class Acceptance:
    """What accepting produced: the registration, and how the invitee reaches it."""

    registration: Registration
    #: a personal-link token of the registration (new registrations only)
    token: str | None = None
    #: True when the invitation was linked to a registration that existed already
    linked_existing: bool = False


# --- reading -----------------------------------------------------------------------------

def active_registration(invitee: Invitee) -> Registration | None:
    """The registration made through the invitation, unless it was cancelled."""
    registration = invitee.registration
    if registration is None or registration.status in _ENDED:
        return None
    return registration


def answerable(invitee: Invitee) -> bool:
    """True while the invitation can be answered: event published, not cancelled, not over."""
    return invitee.event.status == EventStatus.PUBLISHED and not link_is_expired(invitee)


def can_register(invitee: Invitee) -> bool:
    """True when the link may register now (window open, no active registration)."""
    return answerable(invitee) and invitee.event.registration_is_open() \
        and active_registration(invitee) is None \
        and not _rejected(invitee)


def can_decline(invitee: Invitee) -> bool:
    """True when the invitee may decline now (not already declined, no active registration)."""
    return answerable(invitee) and invitee.response != InvitationResponse.DECLINED \
        and active_registration(invitee) is None


def _rejected(invitee: Invitee) -> bool:
    registration = invitee.registration
    return registration is not None and registration.status == RegistrationStatus.REJECTED


def check_answerable(invitee: Invitee) -> None:
    """Refuse answers to an invitation of an ended, cancelled or unpublished event."""
    event = invitee.event
    if event.status == EventStatus.CANCELLED:
        raise Conflict(_("This event has been cancelled; the invitation can no longer be "
                         "answered."))
    if event.status != EventStatus.PUBLISHED:
        raise NotFound(_("This invitation link is not valid. Please use the link in your "
                         "invitation email."))
    if link_is_expired(invitee):
        raise Conflict(_("This invitation has expired: the event has ended."))


# --- checking a decline reason -----------------------------------------------------------

def clean_decline_reason(reason: str | None) -> str:
    """The reason as stored: control characters removed, trimmed; ServiceError when bad."""
    text = _CONTROL.sub("", str(reason or "")).strip()
    if len(text) > DECLINE_REASON_MAX:
        raise ServiceError(_("Please use at most %(max)d characters.", max=DECLINE_REASON_MAX),
                           field="reason")
    if _MARKUP.search(text):
        raise ServiceError(_("Please do not use angle brackets here."), field="reason")
    return text


# --- declining ---------------------------------------------------------------------------

def decline_invitation(invitee: Invitee, *, reason: str = "") -> Invitee:
    """Record the invitee's "no" given through the link, with an optional reason; commit."""
    text = clean_decline_reason(reason)
    lock_event(invitee.event_id)
    db.session.refresh(invitee)
    check_answerable(invitee)
    if active_registration(invitee) is not None:
        raise Conflict(_("You have registered through this invitation. To decline, please "
                         "cancel your registration instead: open your registration and choose "
                         "\"Cancel my registration\"."))
    if invitee.response == InvitationResponse.DECLINED:
        raise Conflict(_("You have already declined this invitation."))
    previous = invitee.response
    invitee.response = InvitationResponse.DECLINED
    invitee.responded_at = utcnow()
    invitee.response_channel = ResponseChannel.ONLINE
    invitee.decline_reason = text
    invitee.response_note = ""
    invitee.response_recorded_by_id = None
    record_action("invitee.decline", invitee, user=None, channel=ResponseChannel.ONLINE,
                  previous=previous, reason=text)
    db.session.commit()
    log.info("invitee %s declined event %s", invitee.id, invitee.event_id)
    return invitee


# --- accepting ---------------------------------------------------------------------------

def check_invitation_can_register(event: Event, invitee: Invitee, email: str) -> bool:
    """Inside ``register`` after the event lock: may ``invitee``'s link register ``email``?

    Returns True when the registration is a forwarded one (another email than the invitee's).
    """
    db.session.refresh(invitee)
    if invitee.event_id != event.id:
        raise NotFound(_("This invitation link is not valid. Please use the link in your "
                         "invitation email."))
    check_answerable(invitee)
    if active_registration(invitee) is not None:
        raise Conflict(_("This invitation has already been used to register. Each invitation "
                         "gives one registration: open the existing registration from the "
                         "invitation page."))
    if _rejected(invitee):
        raise Conflict(_("The registration made through this invitation was not accepted by "
                         "the organizers. Please contact them."))
    return email != invitee.email


def bind_registration(invitee: Invitee, registration: Registration, *,
                      linked_existing: bool = False) -> None:
    """Record the acceptance on ``invitee`` and point it at ``registration`` (no commit)."""
    previous_holder = db.session.scalar(select(Invitee).where(
        Invitee.registration_id == registration.id, Invitee.id != invitee.id))
    if previous_holder is not None:
        # a cancelled registration taken over by a new one: the old invitation lets go of it
        previous_holder.registration_id = None
        record_action("invitee.unlink_registration", previous_holder, user=None,
                      registration_id=registration.id)
        db.session.flush()
    previous = invitee.response
    invitee.registration_id = registration.id
    invitee.response = InvitationResponse.ACCEPTED
    invitee.responded_at = utcnow()
    invitee.response_channel = ResponseChannel.ONLINE
    invitee.decline_reason = ""
    invitee.response_note = ""
    invitee.response_recorded_by_id = None
    record_action("invitee.accept", invitee, user=None, channel=ResponseChannel.ONLINE,
                  previous=previous, registration_id=registration.id,
                  forwarded=registration.forwarded_invitation, linked_existing=linked_existing)
    if registration.forwarded_invitation:
        notifications.notify_invitation_forwarded(invitee, registration)


def _normalized_email(email: str | None) -> str | None:
    try:
        return validate_email((email or "").strip(), check_deliverability=False,
                              allow_smtputf8=False).normalized.lower()
    except EmailNotValidError:
        return None


def accept_invitation(invitee: Invitee, *, data: dict,
                      answers: dict[int, str] | None = None) -> Acceptance:
    """Register through the invitation (see the module's rules) and commit.

    Raises ``registrations.AlreadyRegistered`` when another email than the invitee's is
    already registered (the caller answers neutrally, as the public form does).
    """
    from .registrations import AlreadyRegistered, register

    try:
        registration, token = register(invitee.event, data=data, answers=answers,
                                       source=RegistrationSource.INVITATION, invitee=invitee)
    except AlreadyRegistered:
        db.session.rollback()
        if _normalized_email(data.get("email")) != invitee.email:
            raise
        return Acceptance(_link_existing(invitee), linked_existing=True)
    return Acceptance(registration, token)


def _link_existing(invitee: Invitee) -> Registration:
    """Bind the invitation to the registration its own email already has; commit."""
    event = lock_event(invitee.event_id)
    registration = db.session.scalar(select(Registration).where(
        Registration.event_id == event.id, Registration.email == invitee.email))
    if registration is None or registration.status in _ENDED:
        raise Conflict(_("Your registration changed meanwhile. Please try again."))
    if registration.status == RegistrationStatus.REJECTED:
        raise Conflict(_("The registration of this email address was not accepted by the "
                         "organizers. Please contact them."))
    check_invitation_can_register(event, invitee, invitee.email)
    holder = db.session.scalar(select(Invitee.id).where(
        Invitee.registration_id == registration.id, Invitee.id != invitee.id))
    if holder is not None:
        raise Conflict(_("This registration is already linked to another invitation. Please "
                         "contact the organizers."))
    bind_registration(invitee, registration, linked_existing=True)
    token = new_manage_token(registration)
    notifications.notify_registration_link(registration, token,
                                           position=waitlist_position(registration))
    db.session.commit()
    log.info("invitee %s linked to existing registration %s", invitee.id, registration.id)
    return registration


# --- the registration of an accepted invitation ------------------------------------------

def issue_registration_link(invitee: Invitee) -> str:
    """A fresh personal-link token of the registration made through the invitation; commit."""
    registration = invitee.registration
    if registration is None:
        raise NotFound(_("No registration has been made through this invitation yet."))
    token = new_manage_token(registration)
    record_action("registration.open_from_invitation", registration, user=None,
                  invitee_id=invitee.id)
    db.session.commit()
    return token
