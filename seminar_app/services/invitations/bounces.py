"""The addresses of an event whose mail bounced: who, why, when.

Rules: an address bounced when staff recorded a bounce for an invitee (``Invitee.bounced_at``,
``bounce_reason``: services.invitations.invitations.mark_bounced) or when an email of the event
to it was refused permanently (outbox row FAILED with an SMTP 5xx answer, the rule of
services.invitations.mail_state). Each address is listed once: a recorded bounce stands for
its address; otherwise the latest permanent refusal gives the reason (the SMTP answer) and the
time (its last attempt). The invitee and the registration of the event with that address are
named when there are. Newest first. One query, whatever the number of emails.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, literal, select, union_all

from ...models import Event, Invitee, OutboxEmail, OutboxStatus, Registration
from .mail_state import _permanent_refusal

RECORDED, SMTP = "recorded", "smtp"


@dataclass(frozen=True)
class Bounce:
    """One address whose mail bounced."""

    email: str
    name: str
    reason: str
    bounced_at: datetime
    #: RECORDED (by staff) or SMTP (a permanent refusal of the mail server)
    source: str
    invitee_id: int | None
    registration_id: int | None


def bounces_query(event: Event):
    """A select of the event's bounces (rows of Bounce's fields), newest first."""
    recorded_where = (Invitee.event_id == event.id, Invitee.bounced_at.is_not(None))
    recorded = select(
        Invitee.email.label("email"), Invitee.name.label("name"),
        Invitee.bounce_reason.label("reason"), Invitee.bounced_at.label("bounced_at"),
        literal(RECORDED).label("source"), Invitee.id.label("invitee_id"),
        Invitee.registration_id.label("registration_id"),
    ).where(*recorded_where)
    moment = func.coalesce(OutboxEmail.claimed_at, OutboxEmail.created_at)
    refused = select(
        OutboxEmail.recipient.label("recipient"),
        OutboxEmail.recipient_name.label("recipient_name"),
        OutboxEmail.last_error.label("last_error"), moment.label("at"),
        func.row_number().over(partition_by=OutboxEmail.recipient,
                               order_by=(moment.desc(), OutboxEmail.id.desc())).label("rank"),
    ).where(OutboxEmail.event_id == event.id, OutboxEmail.status == OutboxStatus.FAILED,
            _permanent_refusal()).subquery()
    smtp = select(
        refused.c.recipient, refused.c.recipient_name, refused.c.last_error, refused.c.at,
        literal(SMTP), Invitee.id, Registration.id,
    ).select_from(refused).outerjoin(
        Invitee, and_(Invitee.event_id == event.id, Invitee.email == refused.c.recipient),
    ).outerjoin(
        Registration, and_(Registration.event_id == event.id,
                           Registration.email == refused.c.recipient),
    ).where(refused.c.rank == 1,
            refused.c.recipient.not_in(select(Invitee.email).where(*recorded_where)))
    rows = union_all(recorded, smtp).subquery()
    return select(rows).order_by(rows.c.bounced_at.desc(), rows.c.email)


def bounce_of(row) -> Bounce:
    return Bounce(email=row.email, name=row.name or "", reason=row.reason or "",
                  bounced_at=row.bounced_at, source=row.source, invitee_id=row.invitee_id,
                  registration_id=row.registration_id)
