"""Big documents built by the worker: badges, the post-event report and the participant exports.

Below DOCUMENT_JOB_THRESHOLD delegates (default 300) a document is built in the request as it
always was. From there on the same routes call ``start_document_job``: it returns the identical
job started less than ``REUSE_MINUTES`` ago (unless it failed) or creates one, audits it and
hands it to the worker (task ``build_document``) after the commit. The page of the job polls
its progress.

The worker (``build_document_job``) claims the job with a conditional UPDATE (queued ->
running, one attempt more), builds the document with the existing render functions, writes the
file into ``DocumentChunk`` rows of ``CHUNK_SIZE`` bytes and marks the job done, available for
DOCUMENT_JOB_HOURS (default 24). Badges are loaded in batches, one short transaction each,
which also records the progress and the worker's heartbeat: no long lock on SQLite, and the
page shows how far it got.

The periodic ``sweep_document_jobs`` gives a job whose worker stopped (running, heartbeat older
than ``STALE_AFTER``) one more attempt, fails it after ``MAX_ATTEMPTS`` (the page then offers
"Try again", ``retry_document_job``), hands again to the queue a job queued for longer than
that (its task was lost; a second task for a job finds it claimed and does nothing) and deletes
expired jobs with their chunks. ``heartbeat_at`` of a queued job is when it was last handed to
the queue.

The build reads in one read-only transaction (``database.reading``: a plain BEGIN on SQLite,
as for a GET request, so no write lock is held however long the build takes), badges in batches of
``BADGE_BATCH`` so that memory stays bounded; the heartbeat and progress are committed on a
connection of their own; the file is then written in one short transaction. The badge PDF is
written into a temporary file as it is made (``write_badges_pdf``) and stored from there a chunk
at a time: the 14 MB of 10,000 single badges are never in memory.

Who may start, see and download a job: who may get the document itself, on that event only
(``may_access_job``): Permission.VIEW, plus ``can_see_passport`` for an export that includes
passport data. Starting and downloading are audited; downloading an export with passport data
is recorded as a passport read.
"""

import contextlib
import functools
import logging
import tempfile
from collections.abc import Iterable, Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import defer
from werkzeug.datastructures import MultiDict

from ...database import reading, transaction, use_case
from ...extensions import db
from ...models import (
    DocumentChunk,
    DocumentJob,
    DocumentJobStatus,
    DocumentKind,
    Event,
    Registration,
    RegistrationStatus,
    utcnow,
)
from ..access import Permission, has_permission
from ..audit import record_action
from ..errors import Conflict, NotFound
from ..policies import can_see_passport, record_passport_read
from ..registration.participant_list import ParticipantFilters, registrations_query
from ..tasks import run_task_after_commit
from ..travel import documents as travel_documents
from . import exports, reports
from .badges import write_badges_pdf

log = logging.getLogger(__name__)

#: the size of one stored piece of a file
CHUNK_SIZE = 1024 * 1024
#: an identical job started this recently (and not failed) is reused instead of a second one
REUSE_MINUTES = 10
#: a running job whose heartbeat is older than this lost its worker
STALE_AFTER = timedelta(minutes=2)
#: after this many claims a job whose worker stopped is marked failed
MAX_ATTEMPTS = 2
#: badges are loaded (and the progress recorded) this many at a time
BADGE_BATCH = 200
#: what a badge never shows is not loaded (nor decrypted: the passport fields), and reading it
#: would raise
BADGE_UNREAD = tuple(defer(column, raiseload=True) for column in (
    Registration.passport_number, Registration.nationality, Registration.birth_date,
    Registration.birth_place, Registration.passport_expiry, Registration.dietary,
    Registration.accessibility))
#: ``error`` of a job failed by the sweeper
WORKER_STOPPED = "worker stopped"

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {
    DocumentKind.BADGES: "application/pdf",
    DocumentKind.REPORT_PDF: "application/pdf",
    DocumentKind.REPORT_XLSX: XLSX_TYPE,
    DocumentKind.REGISTRATIONS_XLSX: XLSX_TYPE,
    DocumentKind.REGISTRATIONS_CSV: "text/csv; charset=utf-8",
    DocumentKind.ROOMING_XLSX: XLSX_TYPE,
    DocumentKind.ARRIVALS_PDF: "application/pdf",
    DocumentKind.DEPARTURES_PDF: "application/pdf",
}


# --- when a document becomes a job ----------------------------------------------------------

def job_threshold() -> int:
    """From how many delegates a document is built by the worker (DOCUMENT_JOB_THRESHOLD)."""
    return int(current_app.config.get("DOCUMENT_JOB_THRESHOLD") or 300)


def is_big(count: int) -> bool:
    """True when a document of ``count`` delegates is built as a background job."""
    return count >= job_threshold()


def badge_count(event: Event, status: RegistrationStatus) -> int:
    """How many badges of ``status`` the event's badge PDF holds."""
    return db.session.scalar(select(func.count(Registration.id)).where(
        Registration.event_id == event.id, Registration.status == status)) or 0


def registration_count(event: Event) -> int:
    """How many registrations the event has (the size of its report)."""
    return db.session.scalar(select(func.count(Registration.id))
                             .where(Registration.event_id == event.id)) or 0


def export_count(event: Event, filters: ParticipantFilters) -> int:
    """How many rows the event's (filtered) participant export holds."""
    query = registrations_query(event, filters).with_only_columns(Registration.id).order_by(None)
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


# --- starting, retrying, reading ------------------------------------------------------------

def may_access_job(user, job: DocumentJob) -> bool:
    """Whether ``user`` may see and download ``job``: who may get the document itself."""
    event = job.event
    if not has_permission(user, event, Permission.VIEW):
        return False
    if job.params.get("with_passport"):
        return can_see_passport(user, event)
    return True


def _recent_identical(event: Event, kind: str, params: dict) -> DocumentJob | None:
    since = utcnow() - timedelta(minutes=REUSE_MINUTES)
    candidates = db.session.scalars(
        select(DocumentJob)
        .where(DocumentJob.event_id == event.id, DocumentJob.kind == kind,
               DocumentJob.created_at >= since,
               DocumentJob.status != DocumentJobStatus.FAILED.value)
        .order_by(DocumentJob.created_at.desc(), DocumentJob.id.desc()))
    now = utcnow()
    for job in candidates:
        if job.params == params and (job.expires_at is None or job.expires_at > now):
            return job
    return None


@use_case
def start_document_job(event: Event, kind: DocumentKind, params: dict, *, user,
                       total: int = 0) -> DocumentJob:
    """The identical recent job of ``event`` or a new one handed to the worker; ``total``:
    how many delegates it holds (shown as its progress)."""
    kind = DocumentKind(kind)
    existing = _recent_identical(event, kind.value, params)
    if existing is not None:
        return existing
    job = DocumentJob(event_id=event.id, kind=kind.value, params=dict(params),
                      status=DocumentJobStatus.QUEUED.value, created_by_id=user.id,
                      created_at=utcnow(), progress_done=0, progress_total=total, attempts=0,
                      error="", filename="", content_type="", size=0)
    db.session.add(job)
    db.session.flush()
    record_action("document.job_start", job, user=user, kind=kind.value, params=params)
    run_task_after_commit("build_document", job.id)
    log.info("document job %s (%s) queued for event %s", job.id, kind.value, event.id)
    return job


@use_case
def retry_document_job(job: DocumentJob, *, user) -> DocumentJob:
    """Queue a failed job again (a fresh pair of attempts)."""
    claimed = db.session.execute(
        update(DocumentJob)
        .where(DocumentJob.id == job.id, DocumentJob.status == DocumentJobStatus.FAILED.value)
        .values(status=DocumentJobStatus.QUEUED.value, attempts=0, error="",
                progress_done=0, heartbeat_at=utcnow(), started_at=None, finished_at=None)
        .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        raise Conflict(_("Only a document that failed can be built again."))
    db.session.refresh(job)
    record_action("document.job_retry", job, user=user, kind=job.kind)
    run_task_after_commit("build_document", job.id)
    return job


def get_job(event: Event, job_id: int) -> DocumentJob:
    """Job ``job_id`` of ``event``; NotFound for another event's or an expired one."""
    job = db.session.get(DocumentJob, job_id)
    if job is None or job.event_id != event.id or _expired(job):
        raise NotFound(_("This document does not exist or is no longer available."))
    return job


def _expired(job: DocumentJob) -> bool:
    return job.expires_at is not None and job.expires_at <= utcnow()


def recent_jobs(event: Event, user, *, limit: int = 10) -> list[DocumentJob]:
    """The event's latest unexpired jobs that ``user`` may see, newest first."""
    now = utcnow()
    jobs = db.session.scalars(
        select(DocumentJob)
        .where(DocumentJob.event_id == event.id,
               (DocumentJob.expires_at.is_(None)) | (DocumentJob.expires_at > now))
        .order_by(DocumentJob.created_at.desc(), DocumentJob.id.desc()).limit(limit * 2))
    return [job for job in jobs if may_access_job(user, job)][:limit]


@use_case
def record_download(job: DocumentJob, *, user) -> None:
    """Audit a download (a passport read too when the export includes passport data)."""
    record_action("document.download", job, user=user, kind=job.kind, filename=job.filename)
    if job.params.get("with_passport"):
        record_passport_read(user, job.event, f"job_{job.kind}", job_id=job.id)


def iter_chunks(job_id: int) -> Iterator[bytes]:
    """The job's file, one chunk (one query) at a time: never the whole file in memory."""
    number = 0
    while True:
        data = db.session.scalar(select(DocumentChunk.data).where(
            DocumentChunk.job_id == job_id, DocumentChunk.number == number))
        if data is None:
            return
        yield bytes(data)
        number += 1


def job_label(job: DocumentJob) -> str:
    """What the job builds, in the current language."""
    labels = {
        DocumentKind.BADGES: _("Badges (PDF)"),
        DocumentKind.REPORT_PDF: _("Post-event report (PDF)"),
        DocumentKind.REPORT_XLSX: _("Post-event report (Excel)"),
        DocumentKind.REGISTRATIONS_XLSX: _("Participant list (Excel)"),
        DocumentKind.REGISTRATIONS_CSV: _("Participant list (CSV)"),
        DocumentKind.ROOMING_XLSX: _("Rooming list (Excel)"),
        DocumentKind.ARRIVALS_PDF: _("Arrivals board, all days (PDF)"),
        DocumentKind.DEPARTURES_PDF: _("Departures board, all days (PDF)"),
    }
    return labels.get(job.kind, job.kind)


def failure_text(job: DocumentJob) -> str:
    """Why the job failed, in the current language (the technical detail left as it is)."""
    if job.error == WORKER_STOPPED:
        return _("The worker preparing it stopped %(num)d times.", num=job.attempts)
    return job.error


# --- the worker ------------------------------------------------------------------------------

@use_case
def _claim(job_id: int) -> int | None:
    """Take a queued job (queued -> running); the attempt number, or None if not queued."""
    now = utcnow()
    claimed = db.session.execute(
        update(DocumentJob)
        .where(DocumentJob.id == job_id, DocumentJob.status == DocumentJobStatus.QUEUED.value)
        .values(status=DocumentJobStatus.RUNNING.value, attempts=DocumentJob.attempts + 1,
                started_at=now, heartbeat_at=now, error="")
        .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        return None
    return db.session.scalar(select(DocumentJob.attempts).where(DocumentJob.id == job_id))


def _still_ours(job_id: int, attempt: int):
    """The WHERE clause of an update made by the worker that claimed attempt ``attempt``."""
    return ((DocumentJob.id == job_id)
            & (DocumentJob.status == DocumentJobStatus.RUNNING.value)
            & (DocumentJob.attempts == attempt))


def _beat(job_id: int, attempt: int, done: int | None = None,
          total: int | None = None) -> None:
    """Record the worker's heartbeat and the progress, committed at once on a connection of
    its own (the build's session only reads, in one long transaction)."""
    values = {"heartbeat_at": utcnow()}
    if done is not None:
        values["progress_done"] = done
    if total is not None:
        values["progress_total"] = total
    with db.engine.begin() as connection:
        connection.execute(update(DocumentJob).where(_still_ours(job_id, attempt))
                           .values(**values))


class _ChunkWriter:
    """A file-like sink that stores what it is given as DocumentChunk rows of CHUNK_SIZE."""

    def __init__(self, job_id: int):
        self.job_id, self.number, self.size = job_id, 0, 0
        self.buffer = bytearray()

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        if self.buffer:  # fill the pending chunk first
            room = CHUNK_SIZE - len(self.buffer)
            self.buffer += view[:room]
            view = view[room:]
            if len(self.buffer) < CHUNK_SIZE:
                return
            self._store(bytes(self.buffer))
            self.buffer = bytearray()
        while len(view) >= CHUNK_SIZE:  # whole chunks straight from the data, no copy of it
            self._store(bytes(view[:CHUNK_SIZE]))
            view = view[CHUNK_SIZE:]
        self.buffer += view

    def close(self) -> None:
        if self.buffer or not self.number:
            self._store(bytes(self.buffer))
        self.buffer = bytearray()

    def _store(self, data: bytes) -> None:
        db.session.execute(DocumentChunk.__table__.insert().values(
            job_id=self.job_id, number=self.number, data=data))
        self.number += 1
        self.size += len(data)


def _badge_batches(event: Event, status: RegistrationStatus, job_id: int,
                   attempt: int) -> Iterator[Registration]:
    """The badges' registrations in print order (as document_settings.badge_registrations),
    loaded ``BADGE_BATCH`` at a time (bounded memory), recording the progress as it goes."""
    ids = list(db.session.scalars(
        select(Registration.id)
        .where(Registration.event_id == event.id, Registration.status == status)
        .order_by(Registration.country, Registration.sort_name, Registration.given_name,
                  Registration.id)))
    for start in range(0, len(ids), BADGE_BATCH):
        _beat(job_id, attempt, start, len(ids))
        batch_ids = ids[start:start + BADGE_BATCH]
        loaded = {r.id: r for r in db.session.scalars(
            select(Registration).where(Registration.id.in_(batch_ids)).options(
                *BADGE_UNREAD))}
        yield from (loaded[i] for i in batch_ids if i in loaded)
    _beat(job_id, attempt, len(ids), len(ids))


def _event_today(event: Event):
    return utcnow().astimezone(ZoneInfo(event.timezone)).date()


def _render_badges(job: DocumentJob, attempt: int, spool) -> tuple[str, Iterator[bytes]]:
    """The badges PDF's file name and its pieces: the PDF is written into the temporary file
    ``spool`` (10,000 single badges make 14 MB: never held in memory) and read back a chunk
    at a time."""
    event, params = job.event, dict(job.params)
    status, layout = params.get("status", "confirmed"), params.get("layout", "a4")
    registrations = _badge_batches(event, RegistrationStatus(status), job.id, attempt)
    write_badges_pdf(registrations, spool, layout=layout, language=params.get("language") or "en")
    spool.seek(0)
    return (f"badges-{event.slug}-{status}-{layout}.pdf",
            iter(functools.partial(spool.read, CHUNK_SIZE), b""))


def _render(job: DocumentJob) -> tuple[str, Iterable[bytes]]:
    """The file name and the pieces of a report or export (the CSV's pieces are read lazily:
    consume them inside the reading transaction)."""
    event, params = job.event, job.params
    language = params.get("language") or "en"
    kind = DocumentKind(job.kind)
    today = _event_today(event)
    if kind == DocumentKind.REPORT_PDF:
        return (reports.report_filename(event, "pdf", today=today),
                [reports.render_report_pdf(event, language=language, today=today)])
    if kind == DocumentKind.REPORT_XLSX:
        return (reports.report_filename(event, "xlsx", today=today),
                [reports.render_report_xlsx(event, language=language, today=today)])
    if kind in travel_documents.KINDS:
        return travel_documents.render(event, kind, params, today=today)
    filters = ParticipantFilters.from_args(MultiDict(params.get("filters") or {}))
    with_passport = bool(params.get("with_passport"))
    rows = exports.export_rows(event, filters, language=language, with_passport=with_passport)
    if kind == DocumentKind.REGISTRATIONS_CSV:
        return (exports.export_filename(event, "csv", today=today),
                (text.encode("utf-8") for text in exports.csv_stream(rows)))
    widths = exports.column_widths(event, with_passport=with_passport)
    with force_locale(language):
        sheet_name = _("Participants")
    return (exports.export_filename(event, "xlsx", today=today),
            [exports.xlsx_bytes(rows, widths=widths, sheet_name=sheet_name)])


def build_document_job(job_id: int) -> bool:
    """The worker's task: claim job ``job_id``, build its document, store it; True when done.
    A job already claimed, done or gone is left alone; a failure marks the job failed."""
    attempt = _claim(job_id)
    if attempt is None:
        return False
    try:
        with contextlib.ExitStack() as files:  # the badges' temporary file, closed at the end
            with reading():
                job = db.session.get(DocumentJob, job_id)
                kind = DocumentKind(job.kind)
                if kind == DocumentKind.BADGES:
                    spool = files.enter_context(tempfile.TemporaryFile(prefix="seminar-badges-"))
                    filename, pieces = _render_badges(job, attempt, spool)
                else:
                    filename, pieces = _render(job)
                    pieces = list(pieces)
            with transaction():
                out = _ChunkWriter(job_id)
                for piece in pieces:
                    out.write(piece)
                out.close()
                pieces = None
                now = utcnow()
                hours = int(current_app.config.get("DOCUMENT_JOB_HOURS") or 24)
                total = db.session.scalar(select(DocumentJob.progress_total)
                                          .where(DocumentJob.id == job_id)) or 0
                finished = db.session.execute(
                    update(DocumentJob).where(_still_ours(job_id, attempt))
                    .values(status=DocumentJobStatus.DONE.value, finished_at=now,
                            heartbeat_at=now, expires_at=now + timedelta(hours=hours),
                            filename=filename[:200], size=out.size,
                            content_type=CONTENT_TYPES[kind],
                            progress_done=total, progress_total=total)
                    .execution_options(synchronize_session=False)).rowcount
                if not finished:  # the sweeper gave it to another worker meanwhile: drop ours
                    raise _Superseded()
    except _Superseded:
        log.warning("document job %s: attempt %s was superseded", job_id, attempt)
        return False
    except Exception as error:  # noqa: BLE001 - any failure is shown on the job's page
        db.session.rollback()
        log.exception("document job %s failed", job_id)
        _fail(job_id, attempt, f"{type(error).__name__}: {error}"[:500])
        return False
    log.info("document job %s done (%d bytes)", job_id, out.size)
    return True


class _Superseded(Exception):
    """The job was handed to another attempt while this one ran."""


@use_case
def _fail(job_id: int, attempt: int, error: str) -> None:
    db.session.execute(
        update(DocumentJob).where(_still_ours(job_id, attempt))
        .values(status=DocumentJobStatus.FAILED.value, error=error, finished_at=utcnow())
        .execution_options(synchronize_session=False))


# --- the sweeper -----------------------------------------------------------------------------

@use_case
def sweep_document_jobs() -> list[int]:
    """Re-queue running jobs whose worker stopped (once more; failed after MAX_ATTEMPTS) and
    delete expired jobs with their chunks; the ids to hand to the worker again."""
    now = utcnow()
    stale = list(db.session.scalars(select(DocumentJob).where(
        DocumentJob.status == DocumentJobStatus.RUNNING.value,
        (DocumentJob.heartbeat_at.is_(None)) | (DocumentJob.heartbeat_at < now - STALE_AFTER))))
    requeued = []
    lost = db.session.scalars(select(DocumentJob).where(  # queued, but no worker took it
        DocumentJob.status == DocumentJobStatus.QUEUED.value,
        func.coalesce(DocumentJob.heartbeat_at, DocumentJob.created_at) < now - STALE_AFTER))
    for job in lost:
        job.heartbeat_at = now
        requeued.append(job.id)
        run_task_after_commit("build_document", job.id)
    for job in stale:
        if job.attempts >= MAX_ATTEMPTS:
            job.status, job.finished_at = DocumentJobStatus.FAILED.value, now
            job.error = WORKER_STOPPED
            log.warning("document job %s failed: its worker stopped %d times",
                        job.id, job.attempts)
        else:
            job.status, job.heartbeat_at = DocumentJobStatus.QUEUED.value, now
            requeued.append(job.id)
            run_task_after_commit("build_document", job.id)
            log.warning("document job %s: its worker stopped; queued again", job.id)
    expired = list(db.session.scalars(select(DocumentJob.id).where(
        DocumentJob.expires_at.is_not(None), DocumentJob.expires_at <= now)))
    if expired:
        db.session.execute(delete(DocumentChunk).where(DocumentChunk.job_id.in_(expired)))
        db.session.execute(delete(DocumentJob).where(DocumentJob.id.in_(expired))
                           .execution_options(synchronize_session=False))
        log.info("deleted %d expired document job(s)", len(expired))
    return requeued
