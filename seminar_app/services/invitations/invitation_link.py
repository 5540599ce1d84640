"""The rules of an invitation's personal link /i/<token>: when it can be answered, whether it
may register someone, and binding the registration to it.

Rules:
- The link works while the event is published and has not ended (``answerable``).
- One invitation gives at most one active registration; after that registration is cancelled
  the link may register again; a registration rejected by the organizers ends it.
- A registration with another email than the invitee's is a forwarded one (it waits for an
  organizer, services.registration.registrations).
- Binding a registration records the acceptance, lets go of an older invitation that held a
  cancelled registration taken over, and cancels the invitee's queued invitation emails.

services.registration.registrations checks and binds through these while registering;
services.invitations.rsvp runs
the answers (accept, decline) on top of them.
"""

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import (
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
from .. import notifications
from ..audit import record_action
from ..errors import Conflict, NotFound
from ..policies import registration_refusal
from .invitations import link_is_expired
from .mailing_audiences import cancel_queued_invitations

#: registrations that no longer hold the invitation: it may be used again
_ENDED = (RegistrationStatus.CANCELLED,)


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
    return answerable(invitee) \
        and registration_refusal(invitee.event, RegistrationSource.INVITATION) is None \
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


def check_invitation_can_register(event: Event, invitee: Invitee, email: str) -> bool:
    """In ``rsvp.accept_invitation``, under the event lock: may ``invitee``'s link register
    ``email``?

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
    cancel_queued_invitations(invitee)
    if registration.forwarded_invitation:
        notifications.notify_invitation_forwarded(invitee, registration)
