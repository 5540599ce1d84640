"""Answering an invitation through its personal link /i/<token>: accept (register) or decline.

Rules:
- The link works while the event is published and has not ended; a cancelled event's
  invitations can no longer be answered (``answerable``).
- Accepting means registering (source INVITATION): allowed on invitation-only events, no
  moderation, capacity, quota and waiting list as usual, while the registration window is open
  (no window set: until the event ends). ``accept_invitation`` is one transaction: it locks
  the event, checks the invitation, registers (``services.registration.registrations.register``,
  which joins the transaction) and binds the invitation, so the registration and the
  invitee's answer are kept or lost together.
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
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from ...database import transaction, use_case
from ...extensions import db
from ...models import (
    InvitationResponse,
    Invitee,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    ResponseChannel,
    utcnow,
)
from .. import notifications
from ..audit import record_action
from ..errors import Conflict, NotFound, ServiceError
from ..registration.registration_codes import new_manage_token
from ..registration.registrations import AlreadyRegistered, register
from ..registration.waitlist import lock_event, waitlist_position
from .invitation_link import (
    active_registration,
    bind_registration,
    check_answerable,
    check_invitation_can_register,
)
from .mailing_audiences import cancel_queued_invitations

log = logging.getLogger(__name__)

#: the longest decline reason kept
DECLINE_REASON_MAX = 1000
_MARKUP = re.compile(r"[<>]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: how long the link an invitation's page opens its registration with keeps working
OPENED_LINK_LIFETIME = timedelta(hours=2)


@dataclass
class Acceptance:
    """What accepting produced: the registration, and how the invitee reaches it."""

    registration: Registration
    #: a personal-link token of the registration (new registrations only)
    token: str | None = None
    #: True when the invitation was linked to a registration that existed already
    linked_existing: bool = False


# --- reading -----------------------------------------------------------------------------

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

@use_case
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
    cancel_queued_invitations(invitee)
    log.info("invitee %s declined event %s", invitee.id, invitee.event_id)
    return invitee


# --- accepting ---------------------------------------------------------------------------

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
    try:
        with transaction():
            event = lock_event(invitee.event_id)  # before the invitee's row, as others do
            forwarded = check_invitation_can_register(
                event, invitee, _normalized_email(data.get("email")))
            registration, token = register(event, data=data, answers=answers,
                                           source=RegistrationSource.INVITATION,
                                           forwarded=forwarded)
            bind_registration(invitee, registration)
    except AlreadyRegistered:  # the transaction was rolled back
        if _normalized_email(data.get("email")) != invitee.email:
            raise
        return Acceptance(_link_existing(invitee), linked_existing=True)
    return Acceptance(registration, token)


@use_case
def _link_existing(invitee: Invitee) -> Registration:
    """Bind the invitation to the registration its own email already has; commit."""
    event = lock_event(invitee.event_id)
    registration = db.session.scalar(select(Registration).where(
        Registration.event_id == event.id, Registration.email == invitee.email))
    if registration is None or registration.status == RegistrationStatus.CANCELLED:
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
    log.info("invitee %s linked to existing registration %s", invitee.id, registration.id)
    return registration


# --- the registration of an accepted invitation ------------------------------------------

def opens_directly(invitee: Invitee, registration: Registration) -> bool:
    """May the invitation's page open ``registration`` itself? Only the registration made
    through this invitation with the invitee's own address; any other (registered before,
    linked by staff, made by whoever the invitation was forwarded to) gets its link by email
    at its own address."""
    return registration.source == RegistrationSource.INVITATION \
        and registration.email == invitee.email


@use_case
def issue_registration_link(invitee: Invitee) -> str | None:
    """Open the invitation's registration: a short-lived personal-link token when the page may
    open it directly (``opens_directly``), else None after emailing a new link to the
    registration's own address (older links stop working); commit."""
    registration = invitee.registration
    if registration is None:
        raise NotFound(_("No registration has been made through this invitation yet."))
    direct = opens_directly(invitee, registration)
    if direct:
        token = new_manage_token(registration, lifetime=OPENED_LINK_LIFETIME)
    else:
        notifications.notify_registration_link(
            registration, new_manage_token(registration),
            position=waitlist_position(registration))
    record_action("registration.open_from_invitation", registration, user=None,
                  invitee_id=invitee.id, emailed=not direct)
    return token if direct else None
