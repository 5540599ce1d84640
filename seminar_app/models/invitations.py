"""Invitations: the people invited to an event, the mailings sent to them, their templates.

An ``Invitee`` is one person invited to one event (one per event and email). Their personal
link /i/<token> carries a token derived from ``token_salt`` with the app's secret key (HMAC),
so every email can carry the same link without the token itself being stored; only its
SHA-256 (``token_hash``) is kept for the lookup. A ``Mailing`` is one send (invitations,
reminders or an announcement) to a chosen audience; its emails are outbox rows pointing back to
it, and ``(mailing_id, recipient)`` is unique, so one send never gives anyone the same email
twice. ``MessageTemplate`` holds an event's own wording per kind and language.
"""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow, value_enum
from .registrations import Honorific


class InvitationResponse(enum.StrEnum):
    """The invitee's answer."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ResponseChannel(enum.StrEnum):
    """How the answer reached us."""

    #: through the personal link
    ONLINE = "online"
    NOTE_VERBALE = "note_verbale"
    LETTER = "letter"
    EMAIL = "email"
    PHONE = "phone"
    IN_PERSON = "in_person"


class Invitee(db.Model):
    """One person invited to one event."""

    __tablename__ = "invitees"
    __table_args__ = (
        UniqueConstraint("event_id", "email"),
        Index("ix_invitees_event_group", "event_id", "group_name"),
        Index("ix_invitees_event_response", "event_id", "response"),
        # the accreditation tab of every event page asks whether a mission is invited: found in
        # the index, not by reading every invitee (whatever the planner knows of the table)
        Index("ix_invitees_event_kind", "event_id", "kind"),
        # the list's order (services.invitations.invitation_status.invitees_query): a page of
        # 50 is read from the index, not sorted out of 20,000 rows
        Index("ix_invitees_event_lower_name", "event_id", text("lower(name)"), "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    honorific: Mapped[Honorific | None] = mapped_column(value_enum(Honorific, "honorific"))
    #: free text when the honorific is OTHER (e.g. "Hon.")
    honorific_other: Mapped[str] = mapped_column(String(40), default="")
    #: the name as the invitation addresses it, e.g. "Retno Marsudi"
    name: Mapped[str] = mapped_column(String(200))
    #: lower-case; unique per event
    email: Mapped[str] = mapped_column(String(254))
    #: ISO 3166-1 alpha-2, or "" when unknown
    country: Mapped[str] = mapped_column(String(2), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[str] = mapped_column(String(200), default="")
    #: language of the emails sent to the invitee (en or id)
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: an InviteeKind value (models.nominations): a person, or an organisation whose focal
    #: point (name and email above) nominates its delegation
    kind: Mapped[str] = mapped_column(String(12), default="person", server_default="person")
    #: a free grouping chosen by staff, e.g. "ASEAN", "Embassies", "Speakers"
    group_name: Mapped[str] = mapped_column(String(100), default="")
    #: staff's own note, never shown to the invitee
    note: Mapped[str] = mapped_column(Text, default="")
    #: random; the link token is HMAC(SECRET_KEY, salt). A new salt revokes the old link.
    token_salt: Mapped[str] = mapped_column(String(64))
    #: hex SHA-256 of the link token; unique
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    response: Mapped[InvitationResponse] = mapped_column(
        value_enum(InvitationResponse, "invitation_response"), default=InvitationResponse.PENDING
    )
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the day of an answer recorded by staff, who give a date, not a time (responded_at then
    #: holds noon of that day in the event's zone, for sorting); NULL for online answers
    answered_on: Mapped[date | None] = mapped_column(Date)
    response_channel: Mapped[ResponseChannel | None] = mapped_column(
        value_enum(ResponseChannel, "response_channel")
    )
    #: the invitee's reason for declining (optional)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    #: staff's note on an answer recorded by hand (e.g. the note verbale's number)
    response_note: Mapped[str] = mapped_column(Text, default="")
    #: staff member who recorded an answer received outside the system
    response_recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: the registration made through the invitation (at most one)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), unique=True
    )
    #: the invitee asked to receive no more bulk emails for this event
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the address bounced (a permanent refusal, or a bounce recorded by staff)
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounce_reason: Mapped[str] = mapped_column(Text, default="")
    #: where the invitation emails stand (not_sent, queued, sent, failed, bounced), kept by
    #: services.invitations.mail_state.refresh_mail_state in the transaction that
    #: changes an invitation email, so lists and counts never search the outbox per invitee
    mail_state: Mapped[str] = mapped_column(String(16), default="not_sent",
                                            server_default="not_sent")
    #: an invitation or reminder email reached the invitee's server at least once
    mail_sent: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    event = relationship("Event")
    registration = relationship("Registration")
    response_recorded_by = relationship("User", foreign_keys=[response_recorded_by_id])

    @property
    def full_name(self) -> str:
        """The name as written (so registration label helpers work on invitees too)."""
        return self.name

    def __repr__(self) -> str:
        return f"<Invitee {self.id} event={self.event_id} {self.response}>"


class MailingKind(enum.StrEnum):
    """What a mailing is."""

    INVITATION = "invitation"
    REMINDER = "reminder"
    #: news to registered delegates (e.g. a venue change)
    ANNOUNCEMENT = "announcement"
    #: after the event: each delegate's certificate of attendance (a link to it)
    CERTIFICATE = "certificate"
    #: after the event: the feedback survey (a personal link to answer it once)
    SURVEY = "survey"


class Mailing(db.Model):
    """One send: the wording as it was sent, the audience, and its outbox rows."""

    __tablename__ = "mailings"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MailingKind] = mapped_column(value_enum(MailingKind, "mailing_kind"))
    #: who it goes to, e.g. {"audience": "group", "group": "ASEAN"} or
    #: {"audience": "registered", "statuses": ["confirmed"]}
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    #: {"en": {"subject": ..., "body": ...}, "id": {...}}: the wording, frozen at sending
    content: Mapped[dict] = mapped_column(JSON, default=dict)
    attach_calendar: Mapped[bool] = mapped_column(default=False)
    #: random key of the compose form: submitting the same form twice makes one mailing
    send_key: Mapped[str] = mapped_column(String(64), unique=True)
    #: how many recipients the audience had when the mailing was created
    recipient_count: Mapped[int] = mapped_column(default=0)
    #: set once every outbox row of the mailing exists
    prepared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the worker is to start it (None: at once); services.invitations.scheduling
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when its audience was evaluated and its preparation queued (claimed once, by a
    #: conditional UPDATE); None while it waits for ``scheduled_at``
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: cancelled before it started: it never starts
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: which automatic email of the event made it ("" when staff made it);
    #: services.invitations.automatic_mailings
    automatic: Mapped[str] = mapped_column(String(32), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    event = relationship("Event")
    created_by = relationship("User")

    def __repr__(self) -> str:
        return f"<Mailing {self.id} {self.kind} event={self.event_id}>"


class MessageTemplate(db.Model):
    """An event's wording of one kind of mailing in one language (placeholders allowed)."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("event_id", "kind", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    kind: Mapped[MailingKind] = mapped_column(value_enum(MailingKind, "mailing_kind"))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<MessageTemplate event={self.event_id} {self.kind} {self.language}>"
