"""Registrations of delegates to events, and the extra questions organizers ask."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import EncryptedDate, EncryptedText
from ..extensions import db
from .base import UTCDateTime, utcnow, value_enum


class RegistrationStatus(enum.StrEnum):
    """Where a registration stands. Only CONFIRMED registrations take a place."""

    #: waiting for an organizer's approval (events with moderation)
    PENDING = "pending"
    CONFIRMED = "confirmed"
    #: the event (or the country's quota) was full; promoted in order when a place frees up
    WAITLISTED = "waitlisted"
    #: refused by an organizer
    REJECTED = "rejected"
    #: withdrawn by the delegate or cancelled by an organizer
    CANCELLED = "cancelled"


class Honorific(enum.StrEnum):
    """Form of address printed on badges and letters."""

    HE = "he"  # His/Her Excellency
    AMB = "amb"
    MR = "mr"
    MS = "ms"
    DR = "dr"
    PROF = "prof"
    OTHER = "other"


class DelegationRole(enum.StrEnum):
    """The delegate's part in their delegation; also the badge colour."""

    HEAD = "head"
    DELEGATE = "delegate"
    OBSERVER = "observer"
    MEDIA = "media"
    SPEAKER = "speaker"


class OrganisationType(enum.StrEnum):
    """The kind of organisation a delegate comes from (for the dashboard and reports).

    Stored as a plain string (no database enum type); the service checks the value.
    """

    MINISTRY = "ministry"
    EMBASSY = "embassy"
    INTERNATIONAL_ORGANISATION = "international_organisation"
    GOVERNMENT_AGENCY = "government_agency"
    ACADEMIA = "academia"
    PRIVATE_SECTOR = "private_sector"
    CIVIL_SOCIETY = "civil_society"
    MEDIA = "media"
    OTHER = "other"


class RegistrationSource(enum.StrEnum):
    """How the registration reached us."""

    ONLINE = "online"
    STAFF = "staff"
    INVITATION = "invitation"


class Registration(db.Model):
    """One delegate's registration to one event (one per event and email)."""

    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "email"),
        Index("ix_registrations_event_status", "event_id", "status"),
        Index("ix_registrations_event_country_status", "event_id", "country", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    #: short code quoted in emails and on the phone, e.g. "K7M2-Q9PX"; unique
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[RegistrationStatus] = mapped_column(
        value_enum(RegistrationStatus, "registration_status")
    )
    honorific: Mapped[Honorific] = mapped_column(value_enum(Honorific, "honorific"))
    #: free text when the honorific is OTHER (e.g. "Hon.", "Sen.")
    honorific_other: Mapped[str] = mapped_column(String(40), default="")
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    #: lower-case; unique per event
    email: Mapped[str] = mapped_column(String(254))
    #: ISO 3166-1 alpha-2 of the country the delegate represents
    country: Mapped[str] = mapped_column(String(2))
    #: ministry, embassy or agency
    organisation: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    #: an OrganisationType value
    organisation_type: Mapped[str] = mapped_column(
        String(30), default=OrganisationType.OTHER.value, server_default="other"
    )
    delegation_role: Mapped[DelegationRole] = mapped_column(
        value_enum(DelegationRole, "delegation_role")
    )
    #: E.164, e.g. +6221234567
    phone: Mapped[str] = mapped_column(String(20), default="")
    #: language of the emails sent to the delegate (en or id)
    language: Mapped[str] = mapped_column(String(8), default="en")
    dietary: Mapped[str] = mapped_column(String(500), default="")
    accessibility: Mapped[str] = mapped_column(String(500), default="")
    #: the delegate asked for a visa invitation letter; passport fields below are then filled
    needs_visa_letter: Mapped[bool] = mapped_column(default=False)
    #: the five passport fields are encrypted at rest (seminar_app.crypto); "" and NULL stay
    passport_number: Mapped[str] = mapped_column(
        EncryptedText("registrations.passport_number"), default="")
    #: ISO 3166-1 alpha-2 of the passport's issuing country
    nationality: Mapped[str] = mapped_column(
        EncryptedText("registrations.nationality"), default="")
    birth_date: Mapped[date | None] = mapped_column(EncryptedDate("registrations.birth_date"))
    birth_place: Mapped[str] = mapped_column(
        EncryptedText("registrations.birth_place"), default="")
    passport_expiry: Mapped[date | None] = mapped_column(
        EncryptedDate("registrations.passport_expiry"))
    #: when the delegate agreed to the processing of their personal data
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[RegistrationSource] = mapped_column(
        value_enum(RegistrationSource, "registration_source"), default=RegistrationSource.ONLINE
    )
    #: random code in the badge's QR code; identifies the registration, reveals nothing
    badge_code: Mapped[str] = mapped_column(String(32), unique=True)
    #: registered through an invitation sent to another address (waits for an organizer)
    forwarded_invitation: Mapped[bool] = mapped_column(default=False)
    #: the delegate asked for no more bulk emails (announcements) about this event
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: organizer's reason for a rejection or cancellation, told to the delegate
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    #: when the delegate asked, through their personal link, for their data to be erased
    #: (an organizer confirms it: services.privacy.retention)
    erasure_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the registration joined the waiting list; the list is served in this order
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: how the delegate attends: an AttendanceMode value, "in_person" or "online"
    attendance: Mapped[str] = mapped_column(
        String(10), default="in_person", server_default="in_person")
    #: promoted from the waiting list, the delegate must confirm before then or the place
    #: passes on (Event.promotion_confirm_days); NULL when nothing is awaited
    promotion_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the delegate was reminded, a day before promotion_expires_at, to confirm
    #: (services.registration.promotions); NULL: not yet
    promotion_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the delegation this registration was submitted with (services.registration.delegations)
    delegation_id: Mapped[int | None] = mapped_column(
        ForeignKey("delegations.id", ondelete="SET NULL"), index=True
    )
    #: the delegate's passport-style photo (350x450 JPEG) and its check-in desk thumbnail,
    #: both Upload rows (services.registration.photos); never served from /uploads/
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id", ondelete="SET NULL"))
    photo_thumbnail_id: Mapped[int | None] = mapped_column(
        ForeignKey("uploads.id", ondelete="SET NULL"))

    event = relationship("Event")
    photo = relationship("Upload", foreign_keys=[photo_id])
    photo_thumbnail = relationship("Upload", foreign_keys=[photo_thumbnail_id])
    answers: Mapped[list["RegistrationAnswer"]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )
    checked_in_by = relationship("User")
    links: Mapped[list["RegistrationLink"]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @hybrid_property
    def sort_name(self) -> str:
        """The name lists are sorted by: the family name, or the single name of who has one."""
        return self.family_name or self.given_name

    @sort_name.inplace.expression
    @classmethod
    def _sort_name_expression(cls):
        return func.coalesce(func.nullif(cls.family_name, ""), cls.given_name)

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.reference} event={self.event_id} {self.status}>"


class RegistrationLink(db.Model):
    """A personal link sent to a delegate: only the SHA-256 of its token is kept.

    Sending the link again (lost link, approval, promotion) issues a fresh token and revokes
    the older ones; an invitation page opening its registration issues a short-lived one
    (``expires_at``). Every link stops working when the registration ends or some days after
    the event (services.policies.personal_link_refusal).
    """

    __tablename__ = "registration_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    #: hex SHA-256 of the token in the link /r/<token>; unique
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: a short-lived link stops working at this time; NULL: until the registration ends
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship(back_populates="links")

    def __repr__(self) -> str:
        return f"<RegistrationLink {self.id} registration={self.registration_id}>"


class QuestionKind(enum.StrEnum):
    """The kind of answer an extra question takes."""

    TEXT = "text"
    CHOICE = "choice"
    YES_NO = "yes_no"


class ExtraQuestion(db.Model):
    """A question an organizer adds to an event's registration form."""

    __tablename__ = "extra_questions"
    __table_args__ = (CheckConstraint("position >= 0", name="position_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(300))
    kind: Mapped[QuestionKind] = mapped_column(value_enum(QuestionKind, "question_kind"))
    #: the options of a CHOICE question, in order
    choices: Mapped[list] = mapped_column(JSON, default=list)
    #: label and choices per language, {"en": {"label": ..., "choices": [...]}, "id": {...}};
    #: the choices of every language match by position; label and choices above hold the
    #: event's first language and are what answers store
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    required: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<ExtraQuestion {self.id} {self.kind} {self.label!r}>"


class RegistrationAnswer(db.Model):
    """A delegate's answer to one extra question."""

    __tablename__ = "registration_answers"
    __table_args__ = (UniqueConstraint("registration_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("extra_questions.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str] = mapped_column(Text, default="")

    registration: Mapped[Registration] = relationship(back_populates="answers")
    question = relationship("ExtraQuestion")

    def __repr__(self) -> str:
        return f"<RegistrationAnswer reg={self.registration_id} q={self.question_id}>"
