"""Tokens of the JSON API (/api/v1).

A token is created by a staff member and acts with that person's permissions, narrowed to
its scope: every event the person may see (``all_events``), or the events listed in
``api_token_events``. Only the SHA-256 of the token is stored, with a short visible prefix so
that people can tell their tokens apart; the token itself is shown once, at creation.
"""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

#: the events a token is limited to (when it is not valid for all the creator's events)
api_token_events = Table(
    "api_token_events",
    db.metadata,
    Column("token_id", Integer, ForeignKey("api_tokens.id", ondelete="CASCADE"),
           primary_key=True),
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class ApiToken(db.Model):
    """A bearer token of the JSON API."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what the token is for, e.g. "Ministry website" or "Check-in tablet 2"
    name: Mapped[str] = mapped_column(String(100))
    #: the first characters of the token, shown in lists ("sat_Ab3dE9x2")
    prefix: Mapped[str] = mapped_column(String(16))
    #: hex SHA-256 of the token; unique
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: may create and change data; read-only otherwise
    can_write: Mapped[bool] = mapped_column(default=False)
    #: valid for every event the creator may see (now and later); else only ``events``
    all_events: Mapped[bool] = mapped_column(default=True)
    #: the staff member the token acts for; their permissions apply
    created_by_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the token stops working at this moment (None: never)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by = relationship("User")
    events = relationship("Event", secondary=api_token_events, order_by="Event.start_at")

    def is_active(self, now: datetime | None = None) -> bool:
        """Neither revoked nor expired."""
        now = now or utcnow()
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix} user={self.created_by_id}>"
