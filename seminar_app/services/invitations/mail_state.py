"""Where each invitee's invitation emails stand, kept on the invitee's row.

Rules: an invitee's ``mail_state`` is, over their invitation and reminder emails (not
announcements): "bounced" when one was refused permanently (an SMTP 5xx answer), else "failed"
when one failed, else "sent" when one was sent, else "queued" when one waits or is being sent,
else "not_sent"; ``mail_sent`` says whether one was ever sent. Whoever changes the state of an
invitation email calls ``refresh_mail_state`` in the same transaction (preparing a mailing, the
worker's outcomes, the sweeper, retries, cancellations by an answer), so the invitee list, its
status filters and the funnel read one row per invitee instead of searching the outbox. An
email added or changed through the ORM (one email at a time) is seen at the flush
(``_after_flush``); bulk UPDATEs call ``refresh_mail_state`` themselves.
"""

from sqlalchemy import and_, case, event, exists, func, or_, select, update
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import Invitee, Mailing, MailingKind, OutboxEmail, OutboxStatus

#: mailings whose emails count for the invitation's status (announcements do not)
INVITING_KINDS = (MailingKind.INVITATION, MailingKind.REMINDER)
NOT_SENT, QUEUED, SENT, FAILED, BOUNCED = "not_sent", "queued", "sent", "failed", "bounced"


def _inviting_emails(*conditions):
    """EXISTS over the invitee's invitation/reminder emails that meet ``conditions``."""
    return exists(
        select(OutboxEmail.id)
        .join(Mailing, Mailing.id == OutboxEmail.mailing_id)
        .where(OutboxEmail.invitee_id == Invitee.id, Mailing.kind.in_(INVITING_KINDS),
               *conditions)
    )


def _permanent_refusal():
    """The stored SMTP answer starts with a 5xx code (e.g. "550 No such user")."""
    error = OutboxEmail.last_error
    return and_(
        or_(error.like("5__ %"), error.like("5__")),
        func.substr(error, 2, 1).between("0", "9"),
        func.substr(error, 3, 1).between("0", "9"),
    )


def _mail_state_expression():
    """Where the invitee's invitation emails stand, from the outbox (correlated to ``Invitee``):
    bounced (a permanent refusal), failed, sent, queued, else not sent."""
    failed = OutboxEmail.status == OutboxStatus.FAILED
    return case(
        (_inviting_emails(failed, _permanent_refusal()), BOUNCED),
        (_inviting_emails(failed), FAILED),
        (_inviting_emails(OutboxEmail.status == OutboxStatus.SENT), SENT),
        (_inviting_emails(OutboxEmail.status.in_((OutboxStatus.QUEUED, OutboxStatus.SENDING))),
         QUEUED),
        else_=NOT_SENT,
    )


def refresh_mail_state(*, invitee_ids=None, email_ids=None, session=None) -> None:
    """Store ``Invitee.mail_state`` and ``mail_sent`` again from the outbox, for the invitees
    given or those the outbox rows ``email_ids`` were sent to. Every change of an invitation
    email's state calls this in the same transaction (preparing a mailing, the worker's
    outcomes, retries, cancellations); no commit."""
    if invitee_ids is not None:
        targets = {int(i) for i in invitee_ids if i is not None}
        if not targets:
            return
        where = Invitee.id.in_(targets)
    else:
        ids = list(email_ids or ())
        if not ids:
            return
        where = Invitee.id.in_(select(OutboxEmail.invitee_id).where(
            OutboxEmail.id.in_(ids), OutboxEmail.invitee_id.is_not(None)))
    (session or db.session).execute(
        update(Invitee).where(where)
        .values(mail_state=_mail_state_expression(),
                mail_sent=_inviting_emails(OutboxEmail.status == OutboxStatus.SENT))
        .execution_options(synchronize_session=False))


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context) -> None:
    """Invitation emails added, changed or removed through the ORM: their invitees' state."""
    invitee_ids = {
        item.invitee_id for item in (*session.new, *session.dirty, *session.deleted)
        if isinstance(item, OutboxEmail) and item.invitee_id is not None
    }
    if invitee_ids:
        refresh_mail_state(invitee_ids=invitee_ids, session=session)
