"""Badges, visa invitation letters and the documents settings page.

Who may do what: every member of the event's team (Permission.VIEW, which check-in staff hold
too) may print badges: they carry no more than the participant list shows. Visa letters carry
passport data: only who ``services.policies.can_see_passport``, and each letter is audited. A
delegate downloads their own badge through their personal link once confirmed.
"""

import logging

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.utils import secure_filename

from ..extensions import limiter
from ..i18n import current_language
from ..models import DocumentKind, Event, Registration, RegistrationStatus
from ..services.access import Permission, has_permission
from ..services.documents import document_jobs
from ..services.documents.badges import render_badges_pdf
from ..services.documents.letters import check_visa_letter, render_visa_letter_pdf
from ..services.documents.visa_letter_list import visa_letter_page
from ..services.errors import Conflict, ServiceError
from ..services.events import document_settings as document_service
from ..services.policies import can_see_passport, record_passport_read
from ..services.registration.registrations import get_registration_by_token
from ..view_helpers import (
    attach_error,
    form_status,
    load_event,
    load_event_child,
    requested_page,
    uploaded_bytes,
)
from . import bp
from .forms import DocumentSettingsEditForm
from .job_views import size_label, start_job_response

log = logging.getLogger(__name__)
LANGUAGES = ("en", "id")
#: statuses whose badges may be printed from the settings page
BADGE_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING,
                  RegistrationStatus.WAITLISTED)


# --- helpers ---------------------------------------------------------------------------------

def _language(default: str) -> str:
    requested = request.args.get("lang", "")
    return requested if requested in LANGUAGES else default


def pdf_response(data: bytes, filename: str):
    """``data`` as a PDF download named ``filename``, never cached."""
    response = make_response(data)
    response.mimetype = "application/pdf"
    safe = secure_filename(filename) or "document.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- the settings page -----------------------------------------------------------------------

def _render_settings(event: Event, form, status: int = 200):
    return render_template(
        "documents/documents_edit.html", event=event, form=form,
        can_manage=has_permission(current_user, event, Permission.MANAGE),
        letter_page=visa_letter_page(event, requested_page()),
        badge_statuses=BADGE_STATUSES, confirmed=RegistrationStatus.CONFIRMED,
        document_jobs=document_jobs.recent_jobs(event, current_user),
        job_label=document_jobs.job_label, size_label=size_label,
    ), status


@bp.route("/manage/events/<int:event_id>/documents", methods=["GET", "POST"])
@login_required
def settings(event_id: int):
    """Letterhead, signatory, badge downloads and the delegates who need a visa letter."""
    event = load_event(event_id, Permission.VIEW)
    if request.method == "POST" and not has_permission(current_user, event, Permission.MANAGE):
        abort(403)
    form = DocumentSettingsEditForm(data={"signatory_name": event.letter_signatory_name,
                                          "signatory_title": event.letter_signatory_title})
    if form.validate_on_submit():
        letterhead, filename = uploaded_bytes(form.letterhead.data)
        try:
            document_service.update_document_settings(
                event, signatory_name=form.signatory_name.data or "",
                signatory_title=form.signatory_title.data or "", letterhead=letterhead,
                letterhead_filename=filename, remove_letterhead=form.remove_letterhead.data)
        except ServiceError as error:
            return _render_settings(event, form, attach_error(form, error))
        flash(_("The document settings were saved."), "success")
        return redirect(url_for(".settings", event_id=event.id))
    return _render_settings(event, form, form_status(form))


# --- PDFs for the team -----------------------------------------------------------------------

@bp.get("/manage/events/<int:event_id>/badges.pdf")
@login_required
def badges(event_id: int):
    """All badges of the event's registrations in one status (confirmed by default)."""
    event = load_event(event_id, Permission.VIEW)
    layout = request.args.get("layout", "a4")
    if layout not in ("a4", "single"):
        layout = "a4"
    status = request.args.get("status", RegistrationStatus.CONFIRMED.value)
    if status not in {s.value for s in BADGE_STATUSES}:
        abort(400)
    language = _language(current_language())
    count = document_jobs.badge_count(event, RegistrationStatus(status))
    if document_jobs.is_big(count):
        return start_job_response(event, DocumentKind.BADGES, {
            "layout": layout, "status": status, "language": language}, total=count)
    registrations = document_service.badge_registrations(event, RegistrationStatus(status))
    if not registrations:
        flash(_("There are no registrations to print badges for."), "warning")
        return redirect(url_for(".settings", event_id=event.id))
    pdf = render_badges_pdf(registrations, layout=layout, language=language)
    return pdf_response(pdf, f"badges-{event.slug}-{status}-{layout}.pdf")


@bp.get("/manage/events/<int:event_id>/registrations/<int:registration_id>/badge.pdf")
@login_required
def registration_badge(event_id: int, registration_id: int):
    """One delegate's badge on its own page."""
    event = load_event(event_id, Permission.VIEW)
    registration = load_event_child(Registration, registration_id, event)
    layout = "a4" if request.args.get("layout") == "a4" else "single"
    pdf = render_badges_pdf([registration], layout=layout,
                            language=_language(current_language()))
    return pdf_response(pdf, f"badge-{registration.reference}.pdf")


@bp.get("/manage/events/<int:event_id>/registrations/<int:registration_id>/visa-letter.pdf")
@login_required
def visa_letter(event_id: int, registration_id: int):
    """The delegate's visa invitation letter (organizers only: it shows passport data)."""
    event = load_event(event_id, Permission.VIEW)
    if not can_see_passport(current_user, event):
        abort(403)
    registration = load_event_child(Registration, registration_id, event)
    check_visa_letter(registration)  # Conflict -> a 409 page
    record_passport_read(current_user, event, "visa_letter", registration=registration)
    pdf = render_visa_letter_pdf(registration, language=_language("en"))
    return pdf_response(pdf, f"visa-letter-{registration.reference}.pdf")


# --- the delegate's own badge ----------------------------------------------------------------

@bp.get("/r/<token>/badge.pdf")
@limiter.limit(lambda: current_app.config.get("MANAGE_LINK_RATE_LIMIT", "60 per minute"))
def own_badge(token: str):
    """A confirmed delegate's badge, through their personal link."""
    registration = get_registration_by_token(token)  # NotFound -> a 404 page
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Conflict(_("Your badge is available once your registration is confirmed."))
    pdf = render_badges_pdf([registration], layout="single",
                            language=_language(registration.language or "en"))
    return pdf_response(pdf, f"badge-{registration.reference}.pdf")
