"""Documents built in the background (badges, reports, exports of big events) and their files.

A ``DocumentJob`` is one document asked for by a staff member: what (``kind`` and ``params``),
where it stands (``status``, ``progress_done``/``progress_total``) and, once done, the file's
name, type and size. The file itself is kept in the database in ``DocumentChunk`` rows of about
1 MB, so that any web machine can serve it (no shared disk) and a download streams it chunk by
chunk. Jobs and their chunks are deleted once ``expires_at`` has passed
(services.documents.document_jobs).
"""

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class DocumentJobStatus(enum.StrEnum):
    """Where a document job stands (stored as a plain string)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class DocumentKind(enum.StrEnum):
    """The documents that may be built in the background."""

    BADGES = "badges"
    REPORT_PDF = "report_pdf"
    REPORT_XLSX = "report_xlsx"
    REGISTRATIONS_XLSX = "registrations_xlsx"
    REGISTRATIONS_CSV = "registrations_csv"
    ROOMING_XLSX = "rooming_xlsx"
    ARRIVALS_PDF = "arrivals_pdf"
    DEPARTURES_PDF = "departures_pdf"


class DocumentJob(db.Model):
    """One document built by the worker, kept for download until ``expires_at``."""

    __tablename__ = "document_jobs"
    __table_args__ = (
        Index("ix_document_jobs_event_created", "event_id", "created_at"),
        Index("ix_document_jobs_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    #: a DocumentKind value
    kind: Mapped[str] = mapped_column(String(30))
    #: what to build: layout, language, status, filters... (JSON, no personal data)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    #: a DocumentJobStatus value
    status: Mapped[str] = mapped_column(String(10), default=DocumentJobStatus.QUEUED.value)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    #: why the last attempt failed (shown to staff)
    error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: last sign of life of the worker building it; an old one means the worker stopped
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: how many times a worker claimed it
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    filename: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)

    event = relationship("Event")
    created_by = relationship("User")

    @property
    def is_finished(self) -> bool:
        return self.status in (DocumentJobStatus.DONE, DocumentJobStatus.FAILED)

    def __repr__(self) -> str:
        return f"<DocumentJob {self.id} {self.kind} event={self.event_id} {self.status}>"


class DocumentChunk(db.Model):
    """About 1 MB of a finished job's file; ``number`` orders the chunks from 0."""

    __tablename__ = "document_chunks"

    job_id: Mapped[int] = mapped_column(
        ForeignKey("document_jobs.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
