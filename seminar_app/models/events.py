"""Events, their co-hosts and their organizing team."""

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow, value_enum

if TYPE_CHECKING:
    from .agenda import AgendaSession


class AttendanceMode(enum.StrEnum):
    """How an event is attended (stored as a plain string). A registration records
    IN_PERSON or ONLINE; an event may also be HYBRID (either)."""

    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class EventType(enum.StrEnum):
    """The kind of gathering; shown to visitors and used as a filter."""

    SEMINAR = "seminar"
    FORUM = "forum"
    CONFERENCE = "conference"
    WORKSHOP = "workshop"


class EventStatus(enum.StrEnum):
    """Life cycle: drafts are visible to the team only; cancelled events stay visible."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Visibility(enum.StrEnum):
    """Who can find the event and who may register."""

    #: listed on the home page; anyone may register
    PUBLIC = "public"
    #: reachable by its link only; anyone with the link may register
    UNLISTED = "unlisted"
    #: reachable by its link; only invitees register, through their personal link
    INVITATION_ONLY = "invitation_only"


class Event(db.Model):
    """A seminar, forum, conference or workshop run by organizers."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="end_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("country_quota IS NULL OR country_quota >= 1", name="quota_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the event's address: /events/<slug>; unique
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[EventType] = mapped_column(value_enum(EventType, "event_type"))
    #: the theme line, e.g. "Growing Together through South-South Cooperation"
    theme: Mapped[str] = mapped_column(String(300), default="")
    #: Markdown written by organizers; rendered and sanitized when shown
    description: Mapped[str] = mapped_column(Text, default="")
    #: the texts per language, {"en": {"title": ..., "theme": ..., "description": ...}, "id": ...};
    #: title, theme and description above hold the text of the event's first language
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    #: IANA time zone of the venue (Asia/Jakarta, Asia/Makassar, Asia/Jayapura, ...)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Jakarta")
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue_name: Mapped[str] = mapped_column(String(200), default="")
    venue_address: Mapped[str] = mapped_column(String(500), default="")
    venue_city: Mapped[str] = mapped_column(String(120), default="")
    #: ISO 3166-1 alpha-2 code, empty for online-only events
    venue_country: Mapped[str] = mapped_column(String(2), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    #: languages of the event itself, comma-separated codes, e.g. "en,id"
    languages: Mapped[str] = mapped_column(String(100), default="en")
    #: maximum number of confirmed participants; NULL means no limit
    capacity: Mapped[int | None] = mapped_column()
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    visibility: Mapped[Visibility] = mapped_column(
        value_enum(Visibility, "event_visibility"), default=Visibility.PUBLIC
    )
    status: Mapped[EventStatus] = mapped_column(
        value_enum(EventStatus, "event_status"), default=EventStatus.DRAFT, index=True
    )
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    #: registrations wait for an organizer's approval before they are confirmed
    requires_approval: Mapped[bool] = mapped_column(default=False)
    #: at most this many confirmed delegates per country; NULL means no limit
    country_quota: Mapped[int | None] = mapped_column()
    #: image printed at the top of visa invitation letters
    letterhead_id: Mapped[int | None] = mapped_column(
        ForeignKey("uploads.id", ondelete="SET NULL")
    )
    #: who signs the visa invitation letters, e.g. "Siti Nugraha Maulidiah"
    letter_signatory_name: Mapped[str] = mapped_column(String(200), default="")
    #: the signatory's title, e.g. "Director of Technical Cooperation"
    letter_signatory_title: Mapped[str] = mapped_column(String(200), default="")
    #: why the event was cancelled, shown on its page
    cancellation_reason: Mapped[str] = mapped_column(Text, default="")
    #: an AttendanceMode value: in person, online or hybrid
    attendance_mode: Mapped[str] = mapped_column(
        String(10), default="in_person", server_default="in_person")
    #: missions may nominate, change and withdraw members until then (NULL: until the
    #: registration closes); services.registration.nominations
    nomination_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a delegate promoted from the waiting list must confirm within this many days or the
    #: place passes on; NULL: promoted delegates are confirmed at once
    promotion_confirm_days: Mapped[int | None] = mapped_column()
    #: passport data of the delegates is deleted this many days after the event ends
    #: (services.privacy.retention)
    passport_retention_days: Mapped[int] = mapped_column(default=30, server_default="30")
    #: registrations and invitees are anonymised this many months after the event ends;
    #: NULL: never (services.privacy.retention); an explicit None is stored as NULL, not the default
    anonymise_after_months: Mapped[int | None] = mapped_column(
        Integer().evaluates_none(), default=24, server_default="24")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner = relationship("User")
    letterhead = relationship("Upload", foreign_keys=[letterhead_id])
    cohosts: Mapped[list["CoHost"]] = relationship(
        back_populates="event", order_by="CoHost.position", cascade="all, delete-orphan"
    )
    sessions: Mapped[list["AgendaSession"]] = relationship(
        back_populates="event",
        order_by="(AgendaSession.starts_at, AgendaSession.id)",
        cascade="all, delete-orphan",
    )
    team: Mapped[list["TeamMember"]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]

    @property
    def is_published(self) -> bool:
        return self.status == EventStatus.PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    def registration_is_open(self, now: datetime | None = None) -> bool:
        """True while a published event accepts registrations (window open, not yet ended)."""
        now = now or utcnow()
        if self.status != EventStatus.PUBLISHED or now >= self.end_at:
            return False
        if self.registration_opens_at is not None and now < self.registration_opens_at:
            return False
        return self.registration_closes_at is None or now < self.registration_closes_at

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.slug} {self.status.value}>"


class CoHost(db.Model):
    """An organisation that hosts the event together with the owner, shown with its logo."""

    __tablename__ = "cohosts"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: the organisation's part, e.g. "Host", "Co-host", "Supported by"
    role: Mapped[str] = mapped_column(String(120), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    #: order on the event page, smallest first
    position: Mapped[int] = mapped_column(default=0)
    logo_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship(back_populates="cohosts")
    logo = relationship("Upload")

    def __repr__(self) -> str:
        return f"<CoHost {self.id} {self.name!r} event={self.event_id}>"


class TeamMember(db.Model):
    """A staff account on an event's team, with what it may do there."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: edit the event, its agenda, co-hosts and team
    can_manage: Mapped[bool] = mapped_column(default=False)
    #: send invitations and emails
    can_invite: Mapped[bool] = mapped_column(default=False)
    #: check delegates in at the venue
    can_checkin: Mapped[bool] = mapped_column(default=False)

    event: Mapped[Event] = relationship(back_populates="team")
    user = relationship("User")

    def __repr__(self) -> str:
        return f"<TeamMember event={self.event_id} user={self.user_id}>"
