"""Substitution requests: a delegate asks, through their personal link, to be replaced by
another person; an organizer approves (the substitution is applied) or refuses.

The new person's details wait here, encrypted (``data``), until the decision; they are then
emptied (applied to the registration, or dropped). Substitutions made directly (staff, the
head of a delegation) need no request: services.registration.substitution.
"""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import EncryptedJSON
from ..extensions import db
from .base import UTCDateTime, utcnow


class SubstitutionStatus(enum.StrEnum):
    """Where a substitution request stands (stored as a plain string)."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class SubstitutionRequest(db.Model):
    """A replacement of a registration's person, waiting for an organizer's decision."""

    __tablename__ = "substitution_requests"
    __table_args__ = (
        Index("ix_substitution_requests_registration_status", "registration_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"))
    #: the new person's cleaned details (services.registration.registration_input), encrypted;
    #: None once decided
    data: Mapped[dict | None] = mapped_column(EncryptedJSON("substitution_requests.data"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: who asked: "delegate" (through their own personal link)
    requested_by: Mapped[str] = mapped_column(String(20), default="delegate")
    #: a SubstitutionStatus value
    status: Mapped[str] = mapped_column(String(10), default=SubstitutionStatus.PENDING.value)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the organizer's reason for a refusal, told to the requester
    reason: Mapped[str] = mapped_column(Text, default="")

    registration = relationship("Registration")
    decided_by = relationship("User")

    @property
    def is_pending(self) -> bool:
        return self.status == SubstitutionStatus.PENDING

    @property
    def new_name(self) -> str:
        """The new person's name as given (empty once decided)."""
        data = self.data or {}
        return f"{data.get('given_name', '')} {data.get('family_name', '')}".strip()

    def __repr__(self) -> str:
        return (f"<SubstitutionRequest {self.id} registration={self.registration_id} "
                f"{self.status}>")
