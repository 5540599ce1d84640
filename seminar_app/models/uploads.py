"""Small files kept in the database (co-host logos, letterheads)."""

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class Upload(db.Model):
    """A re-encoded image or small document, served from the database."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the bytes as served (images are re-encoded on upload)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    #: the name the file had on the uploader's machine, for display only
    filename: Mapped[str] = mapped_column(String(255), default="")
    #: hex SHA-256 of ``data``, used as ETag
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Upload {self.id} {self.content_type} {self.size}B>"
