"""The outbox as staff see it: which emails a user may see, counters, retries.

An email the worker has not rendered yet (services.mail.deferred) is shown as being prepared;
sending it again re-queues it, and the worker renders it first. One failed before it was ever
rendered (what it was about was erased) has nothing to send and is not sent again.

Administrators see every email. Other staff see the emails of the events on which they may
invite or manage (owner, or team member with either right); emails without an event (test
messages, account notices) are for administrators only.
"""

import logging

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, func, or_, select, true, update

from ...database import use_case
from ...extensions import db
from ...models import Event, OutboxEmail, OutboxStatus, TeamMember, User, utcnow
from ..access import Permission, has_permission
from ..audit import record_action
from ..errors import Conflict, PermissionDenied
from ..invitations.mail_state import refresh_mail_state
from ..invitations.mailing_audiences import CANCELLED_ANSWERED
from ..notifications import REGISTRATION_GONE_ERROR, REGISTRATION_HANDED_OVER_ERROR
from ..tasks import dispatch_after_commit
from .deferred import NOT_PREPARED_ERROR, may_be_prepared, never_prepared
from .outbox import (
    NO_SERVER_ERROR,
    PERSONAL_LINK_REMOVED,
    WORKER_STOPPED_ERROR,
    remove_personal_links,
)

log = logging.getLogger(__name__)

#: stored English reasons and their translations, for display
_KNOWN_ERRORS = {
    NO_SERVER_ERROR: _l("No mail server is configured"),
    WORKER_STOPPED_ERROR: _l("The worker stopped while sending"),
    CANCELLED_ANSWERED: _l("Not sent: the invitee had already answered"),
    REGISTRATION_GONE_ERROR: _l("Not sent: the registration was erased or deleted before the "
                                "email was prepared"),
    REGISTRATION_HANDED_OVER_ERROR: _l("Not sent: the registration was handed to another "
                                       "person before the email was prepared"),
}


def describe_error(text: str) -> str:
    """A stored ``last_error`` for display: our own reasons translated, SMTP answers as is."""
    known = _KNOWN_ERRORS.get(text)
    if known is not None:
        return str(known)
    if text.startswith(f"{NOT_PREPARED_ERROR}: "):  # the worker could not render it yet
        return _("Could not be prepared: %(error)s",
                 error=text.removeprefix(f"{NOT_PREPARED_ERROR}: "))
    return text


def mailable_event_ids(user: User):
    """A select() of the ids of the events whose emails ``user`` may see (not for admins)."""
    team = select(TeamMember.event_id).where(
        TeamMember.user_id == user.id,
        or_(TeamMember.can_manage.is_(True), TeamMember.can_invite.is_(True)),
    )
    return select(Event.id).where(or_(Event.owner_id == user.id, Event.id.in_(team)))


def visible_emails_filter(user: User):
    """A WHERE clause limiting OutboxEmail to what ``user`` may see."""
    if user.is_admin:
        return true()
    if not user.is_authenticated:
        return false()
    return OutboxEmail.event_id.in_(mailable_event_ids(user))


def can_view_email(user: User, email: OutboxEmail) -> bool:
    """True when ``user`` may see (and retry) ``email``."""
    if user.is_admin:
        return True
    if email.event_id is None:
        return False
    event = db.session.get(Event, email.event_id)
    return event is not None and has_permission(user, event, Permission.INVITE)


def emails_query(user: User, *, status: str = "", search: str = "", event_id: int | None = None):
    """A select() of the emails ``user`` may see, newest first, optionally filtered."""
    query = select(OutboxEmail).where(visible_emails_filter(user))
    if status:
        query = query.where(OutboxEmail.status == OutboxStatus(status))
    if search:
        escaped = search.strip().lower().replace("\\", "\\\\").replace("%", r"\%")
        pattern = "%" + escaped.replace("_", r"\_") + "%"
        query = query.where(or_(
            func.lower(OutboxEmail.recipient).like(pattern, escape="\\"),
            func.lower(OutboxEmail.recipient_name).like(pattern, escape="\\"),
        ))
    if event_id is not None:
        query = query.where(OutboxEmail.event_id == event_id)
    return query.order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())


def count_emails_by_status(user: User, *, event_id: int | None = None) -> dict[str, int]:
    """How many emails ``user`` may see in each status."""
    query = select(OutboxEmail.status, func.count(OutboxEmail.id)).where(
        visible_emails_filter(user)).group_by(OutboxEmail.status)
    if event_id is not None:
        query = query.where(OutboxEmail.event_id == event_id)
    counts = {status.value: 0 for status in OutboxStatus}
    for status, count in db.session.execute(query):
        counts[OutboxStatus(status).value] = count
    return counts


def mailable_events(user: User) -> list[Event]:
    """The events whose emails ``user`` may see, for the filter menu."""
    query = select(Event).order_by(Event.start_at.desc(), Event.id.desc())
    if not user.is_admin:
        query = query.where(Event.id.in_(mailable_event_ids(user)))
    return list(db.session.scalars(query))


def _requeue_values() -> dict:
    return {"status": OutboxStatus.QUEUED, "attempts": 0, "last_error": "",
            "next_attempt_at": None, "enqueued_at": utcnow()}


@use_case
def retry_email(email: OutboxEmail, *, actor: User) -> OutboxEmail:
    """Send a failed (or waiting) email again now: queued, attempts reset; commits."""
    if not can_view_email(actor, email):
        raise PermissionDenied(_("You may not retry this email."))
    if email.status not in (OutboxStatus.FAILED, OutboxStatus.QUEUED):
        raise Conflict(_("Only failed or waiting emails can be sent again."))
    if email.last_error == CANCELLED_ANSWERED:
        raise Conflict(_("This email was cancelled because the invitee answered; it is not sent."))
    if never_prepared(email):
        raise Conflict(_("This email was never prepared: what it was about was erased or "
                         "changed meanwhile, so there is nothing to send."))
    previous = email.last_error
    for key, value in _requeue_values().items():
        setattr(email, key, value)
    db.session.flush()
    refresh_mail_state(email_ids=[email.id])
    record_action("mail.retry", email, user=actor, recipient=email.recipient,
                  previous_error=previous[:500])
    dispatch_after_commit([email.id])
    log.info("email %s re-queued by user %s", email.id, actor.id)
    return email


@use_case
def retry_failed_emails(*, actor: User, event: Event | None = None, mailing=None) -> int:
    """Re-queue every failed email of ``event`` (all of them: admins only), or of one
    ``mailing`` of that event; commits; the count."""
    if event is None and not actor.is_admin:
        raise PermissionDenied(_("Only administrators may retry the emails of every event."))
    if event is not None and not has_permission(actor, event, Permission.INVITE):
        raise PermissionDenied(_("You may not send the emails of this event."))
    condition = (OutboxEmail.status == OutboxStatus.FAILED) & \
        (OutboxEmail.last_error != CANCELLED_ANSWERED) & may_be_prepared()
    if event is not None:
        condition = condition & (OutboxEmail.event_id == event.id)
    if mailing is not None:
        if event is None or mailing.event_id != event.id:
            raise PermissionDenied(_("You may not send the emails of this event."))
        condition = condition & (OutboxEmail.mailing_id == mailing.id)
    ids = list(db.session.scalars(
        update(OutboxEmail).where(condition).values(**_requeue_values())
        .returning(OutboxEmail.id).execution_options(synchronize_session=False)
    ))
    refresh_mail_state(email_ids=ids)
    record_action("mail.retry_failed", event, user=actor,
                  event_id=event.id if event is not None else None, count=len(ids),
                  mailing_id=mailing.id if mailing is not None else None)
    dispatch_after_commit(ids)
    log.info("%d failed email(s) re-queued by user %s", len(ids), actor.id)
    return len(ids)


def redact_personal_links(text: str) -> str:
    """``text`` with its personal links (/r/, /i/, /u/, password resets) replaced by a
    translated "[personal link removed]", for showing emails to staff. Sent emails are stored
    without them already (services.mail.outbox.sent_values); queued ones still hold them."""
    return remove_personal_links(text).replace(PERSONAL_LINK_REMOVED,
                                               _("[personal link removed]"))
