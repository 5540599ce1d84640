"""Certificates of attendance: the Certificates page, the PDFs and the public verification.

Who may do what: the event's team (Permission.VIEW) sees the Certificates page and downloads
any eligible delegate's certificate from the participant page (also before the end, to check
it); organizers (Permission.MANAGE) change the settings. A delegate downloads their own through
their personal link (/r/<token>/certificate.pdf) or the link of the certificate mailing
(/c/<token>.pdf) once the event has ended. Anyone may open the verification page a
certificate's QR code points to (/v/<code>); a forged, altered or revoked code gets a 404 page
that says so. Rules: services.registration.certificates.
"""

import logging

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import limiter
from ..i18n import current_language
from ..models import Event, MailingKind, Registration
from ..services.access import Permission, has_permission
from ..services.documents.certificates import (
    certificate_filename,
    event_dates,
    render_certificate_pdf,
)
from ..services.errors import NotFound, ServiceError
from ..services.registration import certificates as rules
from ..services.registration.registrations import get_registration_by_token
from ..view_helpers import attach_error, form_status, load_event, load_event_child
from . import bp
from .certificate_forms import CertificateSettingsForm
from .views import _language, pdf_response

log = logging.getLogger(__name__)


def _rate_limit() -> str:
    return current_app.config.get("MANAGE_LINK_RATE_LIMIT", "60 per minute")


# --- answers for templates -------------------------------------------------------------------

@bp.app_template_global()
def own_certificate_url(registration: Registration, token: str) -> str | None:
    """The delegate's certificate link on their personal page, or None when they have none."""
    if rules.certificate_refusal(registration) is not None:
        return None
    return url_for("documents.own_certificate", token=token)


@bp.app_template_global()
def staff_certificate(registration: Registration) -> tuple[str | None, str]:
    """(download URL or None, why not) of a delegate's certificate for the event's team."""
    reason = rules.certificate_refusal(registration, for_staff=True)
    if reason is not None:
        return None, rules.refusal_message(reason)
    return url_for("documents.staff_certificate_pdf", event_id=registration.event_id,
                   registration_id=registration.id), ""


# --- the Certificates page -------------------------------------------------------------------

def _render_settings(event: Event, form, status: int = 200):
    settings = rules.certificate_settings(event)
    refusal = rules.certificates_open(event, settings)
    return render_template(
        "certificates/certificate_settings.html", event=event, form=form,
        can_manage=has_permission(current_user, event, Permission.MANAGE),
        can_invite=has_permission(current_user, event, Permission.INVITE),
        eligible=rules.eligible_count(event), settings=settings,
        closed_reason=rules.refusal_message(refusal) if refusal else "",
        signatory=rules.signatory(event, settings),
        scope_label=rules.SCOPE_LABELS.get(settings.scope, settings.scope),
        mailing_kind=MailingKind.CERTIFICATE.value), status


@bp.route("/manage/events/<int:event_id>/certificates", methods=["GET", "POST"])
@login_required
def certificate_settings(event_id: int):
    """Certificates on or off, who receives one, who signs, an optional line per language."""
    event = load_event(event_id, Permission.VIEW)
    settings = rules.certificate_settings(event)
    if request.method == "POST":
        load_event(event_id, Permission.MANAGE)  # 403 for the rest of the team
    form = CertificateSettingsForm(data={
        "enabled": settings.enabled, "scope": settings.scope,
        "signatory_name": settings.signatory_name, "signatory_title": settings.signatory_title,
        "wording_en": settings.wording_en, "wording_id": settings.wording_id})
    if form.validate_on_submit():
        try:
            rules.update_certificate_settings(
                event, enabled=form.enabled.data, scope=form.scope.data,
                signatory_name=form.signatory_name.data or "",
                signatory_title=form.signatory_title.data or "",
                wording_en=form.wording_en.data or "", wording_id=form.wording_id.data or "",
                actor=current_user)
        except ServiceError as error:
            return _render_settings(event, form, attach_error(form, error))
        flash(_("The certificate settings were saved."), "success")
        return redirect(url_for(".certificate_settings", event_id=event.id), 303)
    return _render_settings(event, form, form_status(form))


# --- PDFs ------------------------------------------------------------------------------------

@bp.get("/manage/events/<int:event_id>/registrations/<int:registration_id>/certificate.pdf")
@login_required
def staff_certificate_pdf(event_id: int, registration_id: int):
    """One delegate's certificate for the team (``?lang=``; the delegate's language by
    default); a 409 page when the delegate gets none."""
    event = load_event(event_id, Permission.VIEW)
    registration = load_event_child(Registration, registration_id, event)
    rules.check_certificate(registration, for_staff=True)
    pdf = render_certificate_pdf(registration, language=_language(registration.language))
    return pdf_response(pdf, certificate_filename(registration))


@bp.get("/r/<token>/certificate.pdf")
@limiter.limit(_rate_limit)
def own_certificate(token: str):
    """The delegate's certificate through their personal link, in their language."""
    registration = get_registration_by_token(token)  # NotFound -> a 404 page
    rules.check_certificate(registration)  # Conflict -> a 409 page saying why
    pdf = render_certificate_pdf(registration, language=_language(registration.language))
    return pdf_response(pdf, certificate_filename(registration))


@bp.get("/c/<token>.pdf")
@limiter.limit(_rate_limit)
def certificate_download(token: str):
    """The certificate through the personal link of the certificate mailing."""
    registration = rules.registration_by_download_token(token)
    pdf = render_certificate_pdf(registration, language=_language(registration.language))
    response = pdf_response(pdf, certificate_filename(registration))
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- public verification ---------------------------------------------------------------------

@bp.get("/v/<code>")
@limiter.limit(_rate_limit)
def certificate_verify(code: str):
    """Whether a certificate is genuine: its name, event and dates, nothing else."""
    try:
        verified = rules.verify_certificate(code)
    except NotFound as error:
        return render_template("certificates/certificate_verify.html", verified=None,
                               error=error.message), 404
    return render_template("certificates/certificate_verify.html", verified=verified,
                           error=None, dates=event_dates(verified.event, current_language()))
