"""The audit log: who did what to which object."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class AuditEntry(db.Model):
    """One recorded action, written in the same transaction as the change it describes."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: the staff account that acted; NULL for delegates, the system and the command line
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: dotted verb, e.g. "event.publish", "user.login"
    action: Mapped[str] = mapped_column(String(80), index=True)
    #: table name of the object acted on, e.g. "events"
    object_type: Mapped[str] = mapped_column(String(60), default="")
    object_id: Mapped[int | None] = mapped_column()
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    #: small JSON document with what changed
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    user = relationship("User")

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.object_type}:{self.object_id}>"
