"""The programme of an event: sessions and their speakers."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime


class AgendaSession(db.Model):
    """One item of the programme: a plenary, panel, break or meal."""

    __tablename__ = "agenda_sessions"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(String(300))
    room: Mapped[str] = mapped_column(String(200), default="")
    #: optional Markdown shown under the title
    description: Mapped[str] = mapped_column(Text, default="")
    #: title and description per language, {"en": {"title": ...}, "id": {...}}; the columns
    #: above hold the text of the event's first language
    translations: Mapped[dict] = mapped_column(JSON, default=dict)

    event = relationship("Event", back_populates="sessions")
    speakers: Mapped[list["Speaker"]] = relationship(
        back_populates="session", order_by="Speaker.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<AgendaSession {self.id} {self.title!r}>"


class Speaker(db.Model):
    """A person speaking in a session."""

    __tablename__ = "speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_sessions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    #: position or honorific title, e.g. "Director of Technical Cooperation"
    title: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(default=0)

    session: Mapped[AgendaSession] = relationship(back_populates="speakers")

    def __repr__(self) -> str:
        return f"<Speaker {self.id} {self.name!r}>"
