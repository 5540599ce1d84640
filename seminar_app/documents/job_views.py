"""Documents built in the background (services.documents.document_jobs): the job's page with
its progress (polled by htmx), "Try again" for a failed one, and the download of its file.

Who may do what: the permission of the document itself on the job's event (``may_access_job``):
everyone else gets a 403, a job of another event or an expired one a 404. The download streams
the file chunk by chunk, private and never cached, and is audited.
"""

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.utils import secure_filename

from ..forms import BaseForm
from ..models import DocumentJob, DocumentJobStatus, Event
from ..services.access import Permission
from ..services.documents import document_jobs as service
from ..services.errors import ServiceError
from ..view_helpers import load_event
from . import bp

BASE = "/manage/events/<int:event_id>/documents/jobs/<int:job_id>"


class JobActionForm(BaseForm):
    """A button with only its CSRF token (try a failed document again)."""


def size_label(size: int) -> str:
    """A file size for people: "850 KB", "12.5 MB"."""
    if size < 1024 * 1024:
        return _("%(size)s KB", size=format_decimal(max(size, 1) / 1024, format="#,##0"))
    return _("%(size)s MB", size=format_decimal(size / (1024 * 1024), format="#,##0.0"))


def start_job_response(event: Event, kind, params: dict, *, total: int):
    """Start (or find) the document job and send the user to its page."""
    job = service.start_document_job(event, kind, params, user=current_user, total=total)
    flash(_("This document is large: it is being prepared in the background. This page shows "
            "when it is ready; you may leave it and come back from the Documents tab."), "info")
    return redirect(url_for("documents.job_show", event_id=event.id, job_id=job.id), 303)


def _job(event_id: int, job_id: int) -> tuple[Event, DocumentJob]:
    event = load_event(event_id, Permission.VIEW)
    job = service.get_job(event, job_id)  # NotFound -> a 404 page
    if not service.may_access_job(current_user, job):
        abort(403)
    return event, job


def _context(event: Event, job: DocumentJob) -> dict:
    total, done = job.progress_total, job.progress_done
    percent = 100 if job.status == DocumentJobStatus.DONE else (
        int(100 * done / total) if total else 0)
    return {"event": event, "job": job, "label": service.job_label(job), "percent": percent,
            "size": size_label(job.size) if job.status == DocumentJobStatus.DONE else "",
            "failure": service.failure_text(job) if job.status == DocumentJobStatus.FAILED
            else "", "statuses": DocumentJobStatus, "action_form": JobActionForm(formdata=None)}


@bp.get(BASE)
@login_required
def job_show(event_id: int, job_id: int):
    """The job's page: what it builds and how far it got."""
    event, job = _job(event_id, job_id)
    if request.headers.get("HX-Request"):
        return render_template("documents/_job_progress.html", **_context(event, job))
    return render_template("documents/job_show.html", **_context(event, job))


@bp.get(f"{BASE}/progress")
@login_required
def job_progress(event_id: int, job_id: int):
    """The progress fragment, polled by htmx every two seconds until the job is finished."""
    event, job = _job(event_id, job_id)
    return render_template("documents/_job_progress.html", **_context(event, job))


@bp.post(f"{BASE}/retry")
@login_required
def job_retry(event_id: int, job_id: int):
    """Build a failed document again."""
    event, job = _job(event_id, job_id)
    if not JobActionForm().validate_on_submit():
        abort(400)
    try:
        service.retry_document_job(job, user=current_user)
    except ServiceError as error:
        flash(error.message, "warning")
    else:
        flash(_("The document is being prepared again."), "success")
    return redirect(url_for(".job_show", event_id=event.id, job_id=job.id), 303)


@bp.get(f"{BASE}/download")
@login_required
def job_download(event_id: int, job_id: int):
    """The finished file, streamed chunk by chunk."""
    _event, job = _job(event_id, job_id)
    if job.status != DocumentJobStatus.DONE:
        abort(404)
    service.record_download(job, user=current_user)
    response = Response(stream_with_context(service.iter_chunks(job.id)),
                        content_type=job.content_type)
    response.headers.set("Content-Disposition", "attachment",
                         filename=secure_filename(job.filename) or "document")
    response.headers["Content-Length"] = str(job.size)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
