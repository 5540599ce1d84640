"""Who gets which email, and when.

One ``notify_<event>`` function per occasion. Each queues outbox rows through
``services.mail.queue_email`` in the recipient's language and does not commit: it runs inside
the calling service's transaction, and the emails leave after that commit. Templates are
``templates/emails/<event>_to_<recipient>.{txt,html}``.
"""

import logging

from ..extensions import db
from ..models import OutboxEmail, TeamMember, User
from .audit import record_action
from .mail import external_url, queue_email

log = logging.getLogger(__name__)


def notify_team_member_added(member: TeamMember) -> OutboxEmail:
    """Tell a staff account it was added to an event's team, with its rights and a link."""
    user, event = member.user, member.event
    return queue_email(
        template="team_member_added_to_staff",
        recipient=user.email,
        recipient_name=user.name,
        language=user.language,
        event_id=event.id,
        context={
            "user": user,
            "event": event,
            "can_manage": member.can_manage,
            "can_invite": member.can_invite or member.can_manage,
            "can_checkin": member.can_checkin or member.can_manage,
            "event_url": external_url("manage.event_overview", event_id=event.id),
        },
    )


def send_test_email(*, to: str, user: User) -> OutboxEmail:
    """Queue a test message to ``to`` (an administrator's own address) and commit."""
    email = queue_email(
        template="test_message_to_staff",
        recipient=to,
        recipient_name=user.name,
        language=user.language,
        context={"user": user, "outbox_url": external_url("outbox.index")},
    )
    record_action("mail.send_test", email, user=user, to=to)
    db.session.commit()
    log.info("test email %s queued for %s by user %s", email.id, to, user.id)
    return email

