"""Recovery codes of staff accounts with two-factor sign-in.

Each code is shown once, when it is made, and stored only as its SHA-256; it works once,
instead of a code from the authenticator app (a lost phone).
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class RecoveryCode(db.Model):
    """One single-use recovery code of a staff account."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the account the code belongs to
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: hex SHA-256 of the normalised code (lower case, no dashes or spaces)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the code was used (None: still usable)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        state = "used" if self.used_at else "unused"
        return f"<RecoveryCode {self.id} of user {self.user_id} {state}>"
