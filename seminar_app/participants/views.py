"""The participant list, one registration, organizer decisions and the exports.

Every view: login required -> load the event (404) and the registration, which must belong to
it (404) -> check the permission (403: VIEW to look, MANAGE to change) -> form -> one service
call -> flash -> redirect. Passport data is shown and exported to MANAGE only.
"""

import logging
from zoneinfo import ZoneInfo

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..documents.job_views import start_job_response
from ..extensions import db
from ..i18n import country_name, current_language
from ..models import (
    AuditEntry,
    DocumentKind,
    Event,
    Invitee,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    utcnow,
)
from ..registration.forms import build_registration_form, form_data
from ..services.access import Permission
from ..services.documents import document_jobs, exports
from ..services.documents.charts import bar_chart_svg
from ..services.errors import ServiceError
from ..services.policies import can_see_contact, can_see_passport, record_passport_read
from ..services.registration import registrations as registration_service
from ..services.registration.participant_list import (
    STATUS_ORDER,
    ParticipantFilters,
    cancel_registrations,
    participant_summary,
    registered_countries,
    registrations_query,
)
from ..services.registration.questions import event_questions
from ..services.registration.registration_labels import (
    HONORIFIC_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    display_name,
    honorific_text,
)
from ..view_helpers import (
    attach_error,
    form_status,
    load_event,
    load_event_child,
    load_event_with_permissions,
    requested_page,
)
from ..web import safe_next_url
from . import bp
from .forms import RegistrationBulkForm, RegistrationDecisionForm

log = logging.getLogger(__name__)
PER_PAGE = 50


#: what the history of a registration says for each audited action
AUDIT_LABELS = {
    "registration.create": _l("Registered"),
    "registration.substituted": _l("Replaced by another person"),
    "registration.substitution_requested": _l("The delegate asked to be replaced"),
    "registration.substitution_refused": _l("Replacement request refused"),
    "registration.update": _l("Details changed"),
    "registration.approve": _l("Approved"),
    "registration.reject": _l("Rejected"),
    "registration.cancel": _l("Cancelled"),
    "registration.promote": _l("Moved up from the waiting list"),
    "registration.promotion_confirmed": _l("Confirmed the place won from the waiting list"),
    "registration.promotion_declined": _l("Gave up the place won from the waiting list"),
    "registration.promotion_expired": _l("Place passed on: not confirmed in time"),
    "registration.promotion_reminded": _l("Reminded to confirm the place"),
    "registration.resend_link": _l("Personal link sent again"),
    "registration.check_in": _l("Checked in"),
    "registration.undo_check_in": _l("Check-in undone"),
    "registration.open_from_invitation": _l("Opened from the invitation"),
    "registration.erase": _l("Personal data erased"),
    "registration.erasure_request": _l("The delegate asked for their data to be erased"),
    "passport.read": _l("Passport data seen"),
}
#: documents of one registration (helper blueprints), shown as links when they are mounted
DOCUMENT_LINKS = (
    ("documents.registration_badge", _l("Badge (PDF)"), False),
    ("documents.visa_letter", _l("Visa letter (PDF)"), True),
)


@bp.context_processor
def _labels() -> dict:
    return {"STATUS_LABELS": STATUS_LABELS, "ROLE_LABELS": ROLE_LABELS,
            "HONORIFIC_LABELS": HONORIFIC_LABELS, "AUDIT_LABELS": AUDIT_LABELS,
            "honorific_text": honorific_text, "display_name": display_name}


# --- helpers ---------------------------------------------------------------------------------

def _back(event: Event, registration: Registration) -> str:
    fallback = url_for(".registration_show", event_id=event.id, registration_id=registration.id)
    return safe_next_url(request.form.get("next"), fallback)


# --- the list --------------------------------------------------------------------------------

def _country_chart(summary):
    items = [(country_name(code), count) for code, count in summary.confirmed_by_country]
    return bar_chart_svg(items, title=_("Confirmed delegates by country"),
                         label_header=_("Country"), value_header=_("Confirmed"))


def _render_list(event: Event, permissions: set, *, bulk_form=None, status: int = 200):
    filters = ParticipantFilters.from_args(request.args)
    page = db.paginate(registrations_query(event, filters, language=current_language()),
                       page=requested_page(), per_page=PER_PAGE, max_per_page=PER_PAGE,
                       error_out=False)
    summary = participant_summary(event)
    countries = sorted(((code, country_name(code)) for code in registered_countries(event)),
                       key=lambda item: item[1].casefold())
    return render_template(
        "participants/registration_list.html", event=event, page=page, filters=filters,
        summary=summary, chart=_country_chart(summary), countries=countries,
        statuses=STATUS_ORDER, can_manage=Permission.MANAGE in permissions,
        can_invite=Permission.INVITE in permissions, can_checkin=Permission.CHECKIN in permissions,
        bulk_form=bulk_form or RegistrationBulkForm(formdata=None),
    ), status


@bp.get("/events/<int:event_id>/registrations")
@login_required
def registrations(event_id: int):
    """The event's registrations: search, filters, sort, pages, and a summary with a chart."""
    event, permissions = load_event_with_permissions(event_id, Permission.VIEW)
    return _render_list(event, permissions)


@bp.post("/events/<int:event_id>/registrations/bulk")
@login_required
def registrations_bulk(event_id: int):
    """Approve, reject or cancel the ticked registrations of this event (others are ignored)."""
    event, permissions = load_event_with_permissions(event_id, Permission.MANAGE)
    form = RegistrationBulkForm()
    if not form.validate_on_submit():
        return _render_list(event, permissions, bulk_form=form, status=422)
    ids, reason = form.ids.data, form.reason.data or ""
    if form.action.data == "approve":
        counts = registration_service.approve_registrations(event, ids, actor=current_user)
        done = counts["confirmed"] + counts["waitlisted"]
        message = ngettext("%(num)d registration approved.", "%(num)d registrations approved.",
                           done)
        if counts["waitlisted"]:
            message += " " + ngettext(
                "%(num)d joined the waiting list: the event or their country is full.",
                "%(num)d joined the waiting list: the event or their country is full.",
                counts["waitlisted"])
    elif form.action.data == "reject":
        counts = registration_service.reject_registrations(event, ids, actor=current_user,
                                                           reason=reason)
        message = ngettext("%(num)d registration rejected.", "%(num)d registrations rejected.",
                           counts["rejected"])
    else:
        counts = cancel_registrations(event, ids, actor=current_user, reason=reason)
        message = ngettext("%(num)d registration cancelled.", "%(num)d registrations cancelled.",
                           counts["cancelled"])
    if counts["skipped"]:
        message += " " + ngettext("%(num)d was skipped: the action does not apply to it.",
                                  "%(num)d were skipped: the action does not apply to them.",
                                  counts["skipped"])
    flash(message, "success" if not counts["skipped"] else "warning")
    return redirect(url_for(".registrations", event_id=event.id, **request.args))


# --- one registration ------------------------------------------------------------------------

def _render_detail(event, registration, permissions, *, reject_form=None, cancel_form=None,
                   error: str | None = None, status=200):
    answers = {answer.question_id: answer.value for answer in registration.answers}
    history = db.session.scalars(
        select(AuditEntry).options(selectinload(AuditEntry.user))
        .where(AuditEntry.object_type == "registrations", AuditEntry.object_id == registration.id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    ).all()
    invitee = db.session.scalar(select(Invitee).where(Invitee.registration_id == registration.id))
    show_passport = can_see_passport(current_user, event)
    if show_passport and registration.needs_visa_letter:
        record_passport_read(current_user, event, "page", registration=registration)
    return render_template(
        "participants/registration_show.html", event=event, registration=registration,
        questions=event_questions(event), answers=answers, history=history, invitee=invitee,
        can_manage=Permission.MANAGE in permissions, show_passport=show_passport,
        show_contact=can_see_contact(current_user, event), error=error,
        documents=[(endpoint, label) for endpoint, label, visa in DOCUMENT_LINKS
                   if endpoint in current_app.view_functions
                   and (registration.needs_visa_letter or not visa)],
        reject_form=reject_form or RegistrationDecisionForm(formdata=None, prefix="reject"),
        cancel_form=cancel_form or RegistrationDecisionForm(formdata=None, prefix="cancel"),
    ), status


@bp.get("/events/<int:event_id>/registrations/<int:registration_id>")
@login_required
def registration_show(event_id: int, registration_id: int):
    """Everything about one registration, its answers and its history."""
    event, permissions = load_event_with_permissions(event_id, Permission.VIEW)
    registration = load_event_child(Registration, registration_id, event)
    return _render_detail(event, registration, permissions)


def _decision(event_id: int, registration_id: int, action, prefix: str | None):
    """Run ``action(registration, form)`` for a POSTed decision; flash and redirect."""
    event, permissions = load_event_with_permissions(event_id, Permission.MANAGE)
    registration = load_event_child(Registration, registration_id, event)
    form = RegistrationDecisionForm(prefix=prefix) if prefix else RegistrationDecisionForm()
    if not form.validate_on_submit():
        return _render_detail(event, registration, permissions, status=422,
                              **({f"{prefix}_form": form} if prefix else {}))
    try:
        message = action(registration, form.reason.data or "")
    except ServiceError as error:
        return _render_detail(event, registration, permissions, error=error.message,
                              status=error.status_code)
    flash(message, "success")
    return redirect(_back(event, registration))


def _approve(registration, _reason) -> str:
    registration_service.approve_registration(registration, actor=current_user)
    if registration.status == RegistrationStatus.WAITLISTED:
        return _("The event or this country's quota is full: the registration joined the "
                 "waiting list.")
    return _("The registration is confirmed; the delegate was emailed.")


def _reject(registration, reason) -> str:
    registration_service.reject_registration(registration, actor=current_user, reason=reason)
    return _("The registration was rejected; the delegate was emailed.")


def _cancel(registration, reason) -> str:
    promoted = registration_service.cancel_registration(registration, actor=current_user,
                                                        reason=reason)
    message = _("The registration was cancelled; the delegate was emailed.")
    if promoted:
        message += " " + ngettext(
            "%(num)d delegate moved up from the waiting list.",
            "%(num)d delegates moved up from the waiting list.", len(promoted))
    return message


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/approve")
@login_required
def registration_approve(event_id: int, registration_id: int):
    """Approve a registration waiting for approval."""
    return _decision(event_id, registration_id, _approve, None)


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/reject")
@login_required
def registration_reject(event_id: int, registration_id: int):
    """Reject a registration (pending or waiting), with an optional reason."""
    return _decision(event_id, registration_id, _reject, "reject")


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/cancel")
@login_required
def registration_cancel(event_id: int, registration_id: int):
    """Cancel a registration, with an optional reason; frees a place for the waiting list."""
    return _decision(event_id, registration_id, _cancel, "cancel")


# --- adding and editing ----------------------------------------------------------------------

@bp.route("/events/<int:event_id>/registrations/new", methods=["GET", "POST"])
@login_required
def registration_create(event_id: int):
    """Register a delegate on their behalf (also while online registration is closed)."""
    event = load_event(event_id, Permission.MANAGE)
    form = build_registration_form(event, for_staff=True)
    status = form_status(form)
    if form.validate_on_submit():
        data, answers = form_data(form)
        try:
            registration, _token = registration_service.register(
                event, data=data, answers=answers, source=RegistrationSource.STAFF,
                actor=current_user)
        except ServiceError as error:
            status = attach_error(form, error)
        else:
            flash(_("%(name)s is registered (%(status)s); the delegate was emailed.",
                    name=display_name(registration), status=STATUS_LABELS[registration.status]),
                  "success")
            return redirect(url_for(".registration_show", event_id=event.id,
                                    registration_id=registration.id))
    return render_template("participants/registration_form.html", event=event, form=form,
                           registration=None, can_manage=True), status


@bp.route("/events/<int:event_id>/registrations/<int:registration_id>/edit",
          methods=["GET", "POST"])
@login_required
def registration_edit(event_id: int, registration_id: int):
    """Change a registration's details and answers (the email stays as registered)."""
    event = load_event(event_id, Permission.MANAGE)
    registration = load_event_child(Registration, registration_id, event)
    if request.method == "GET" and registration.needs_visa_letter:  # the form shows them
        record_passport_read(current_user, event, "edit_form", registration=registration)
    form = build_registration_form(event, obj=registration, for_staff=True)
    status = form_status(form)
    if form.validate_on_submit():
        data, answers = form_data(form)
        try:
            registration_service.update_registration(registration, data=data, answers=answers,
                                                     actor=current_user)
        except ServiceError as error:
            status = attach_error(form, error)
        else:
            flash(_("The changes were saved."), "success")
            return redirect(url_for(".registration_show", event_id=event.id,
                                    registration_id=registration.id))
    return render_template("participants/registration_form.html", event=event, form=form,
                           registration=registration, can_manage=True), status


# --- exports ---------------------------------------------------------------------------------

def _export_language() -> str:
    language = request.args.get("lang")
    return language if language in exports.EXPORT_LANGUAGES else current_language()


def _export_job(event_id: int, kind: DocumentKind):
    """A big export becomes a document job (its page); None for a small one."""
    event = load_event(event_id, Permission.VIEW)
    filters = ParticipantFilters.from_args(request.args)
    count = document_jobs.export_count(event, filters)
    if not document_jobs.is_big(count):
        return None
    return start_job_response(event, kind, {
        "language": _export_language(), "filters": filters.query_args(),
        "with_passport": can_see_passport(current_user, event)}, total=count)


def _export(event_id: int, kind: str):
    event = load_event(event_id, Permission.VIEW)
    language = _export_language()
    filters = ParticipantFilters.from_args(request.args)
    with_passport = can_see_passport(current_user, event)
    if with_passport:
        record_passport_read(current_user, event, f"export_{kind}", filters=filters.query_args())
    rows = exports.export_rows(event, filters, language=language, with_passport=with_passport)
    today = utcnow().astimezone(ZoneInfo(event.timezone)).date()
    return event, rows, with_passport, today


def _attachment(response: Response, filename: str) -> Response:
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response


@bp.get("/events/<int:event_id>/export.csv")
@login_required
def export_csv(event_id: int):
    """The (filtered) participant list as CSV, streamed (a document job when big)."""
    job = _export_job(event_id, DocumentKind.REGISTRATIONS_CSV)
    if job is not None:
        return job
    event, rows, _with_passport, today = _export(event_id, "csv")
    response = Response(stream_with_context(exports.csv_stream(rows)),
                        mimetype="text/csv", content_type="text/csv; charset=utf-8")
    return _attachment(response, exports.export_filename(event, "csv", today=today))


@bp.get("/events/<int:event_id>/export.xlsx")
@login_required
def export_xlsx(event_id: int):
    """The (filtered) participant list as an Excel workbook (a document job when big)."""
    job = _export_job(event_id, DocumentKind.REGISTRATIONS_XLSX)
    if job is not None:
        return job
    event, rows, with_passport, today = _export(event_id, "xlsx")
    widths = exports.column_widths(event, with_passport=with_passport)
    data = exports.xlsx_bytes(rows, widths=widths, sheet_name=_("Participants"))
    response = Response(
        data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return _attachment(response, exports.export_filename(event, "xlsx", today=today))
