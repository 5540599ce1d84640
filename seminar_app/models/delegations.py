"""Delegations: several delegates registered together by their head (or by staff for them).

Each member has their own ``Registration`` (own reference, badge code and personal link)
pointing here through ``Registration.delegation_id``. The whole delegation is confirmed,
waitlisted or pending together (services.registration.delegations, services.registration.waitlist).
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class Delegation(db.Model):
    """A group of registrations of one event, submitted together under one head."""

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: ISO 3166-1 alpha-2 of the country the delegation represents (the head's)
    country: Mapped[str] = mapped_column(String(2))
    organisation: Mapped[str] = mapped_column(String(200))
    #: e.g. "Delegation of Thailand"
    name: Mapped[str] = mapped_column(String(200))
    #: the head's registration (registrations also point here: the FK is created after both)
    head_registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL", use_alter=True)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the staff member who entered it on the head's behalf; None when submitted online
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    event = relationship("Event")
    head = relationship("Registration", foreign_keys=[head_registration_id], post_update=True)
    created_by = relationship("User")
    #: every member's registration, the head included; ``Registration.delegation`` back
    members = relationship("Registration", foreign_keys="Registration.delegation_id",
                           backref="delegation", order_by="Registration.id")

    def __repr__(self) -> str:
        return f"<Delegation {self.id} event={self.event_id} {self.name!r}>"
