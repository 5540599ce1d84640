"""The outbox: every email is a row here before any SMTP server sees it."""

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import EncryptedJSON, EncryptedText
from ..extensions import db
from .base import UTCDateTime, utcnow, value_enum


class OutboxStatus(enum.StrEnum):
    """Where an email is on its way to the recipient."""

    #: waiting for a worker (also while no mail server is configured)
    QUEUED = "queued"
    #: claimed by a worker that is talking to the SMTP server
    SENDING = "sending"
    SENT = "sent"
    #: given up: a permanent refusal (5xx) or too many temporary failures
    FAILED = "failed"


class OutboxEmail(db.Model):
    """One email to one recipient, fully rendered, with its delivery state."""

    __tablename__ = "outbox_emails"
    #: one send never gives anyone the same email twice
    __table_args__ = (
        UniqueConstraint("mailing_id", "recipient"),
        #: an invitee's emails by state: one index probe per invitee, whatever the statistics
        Index("ix_outbox_emails_invitee_status", "invitee_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    #: the mailing (bulk send) the email belongs to, if any
    mailing_id: Mapped[int | None] = mapped_column(
        ForeignKey("mailings.id", ondelete="SET NULL"), index=True
    )
    #: the invitee the email was sent to, if any
    invitee_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitees.id", ondelete="SET NULL")
    )
    #: template name, e.g. "registration_confirmed_to_delegate"
    template: Mapped[str] = mapped_column(String(100))
    recipient: Mapped[str] = mapped_column(String(254))
    recipient_name: Mapped[str] = mapped_column(String(300), default="")
    #: language the email was rendered in
    language: Mapped[str] = mapped_column(String(8), default="en")
    subject: Mapped[str] = mapped_column(String(500))
    #: the bodies and headers carry personal links until the email is sent: encrypted at rest
    #: (seminar_app.crypto), and the links are removed once sent (services.mail.outbox.sent_values)
    body_text: Mapped[str] = mapped_column(EncryptedText("outbox_emails.body_text"))
    body_html: Mapped[str] = mapped_column(EncryptedText("outbox_emails.body_html"), default="")
    #: list of {"filename", "content_type", "data"} with text data (e.g. an .ics)
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    #: extra headers, e.g. List-Unsubscribe
    headers: Mapped[dict] = mapped_column(EncryptedJSON("outbox_emails.headers"), default=dict)
    #: an email the worker renders just before sending it (services.mail.deferred): what to
    #: render, e.g. {"notification": "registration_created", "registration_id": 7, "token":
    #: ..., "status": "confirmed", "position": None}; subject and bodies stay empty until then.
    #: Holds a personal link's token: encrypted, and emptied once rendered (or erased).
    #: NULL for an email rendered when it was queued (every other one).
    compose: Mapped[dict | None] = mapped_column(EncryptedJSON("outbox_emails.compose"))
    #: fixed when the row is created, so a retried send is recognisably the same email
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        value_enum(OutboxStatus, "outbox_status"),
        default=OutboxStatus.QUEUED,
        index=True,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    #: the SMTP server's last answer or why nothing was sent
    last_error: Mapped[str] = mapped_column(Text, default="")
    #: not before this time (a retry after a temporary failure); NULL means at once
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the row was last handed to the queue; NULL while no worker is asked to send it
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when a worker last claimed the row (the start of the latest attempt)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: the event the email belongs to (NULL: account notices, test messages)
    event = relationship("Event")

    @property
    def being_prepared(self) -> bool:
        """True while the worker has not rendered the email yet (``compose`` is set): its
        subject and bodies are still empty (also when it failed before it could render it)."""
        return self.compose is not None

    def __repr__(self) -> str:
        return f"<OutboxEmail {self.id} {self.template} to={self.recipient} {self.status.value}>"
