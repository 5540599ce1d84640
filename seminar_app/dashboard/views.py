"""The event dashboard, the cross-event dashboard and the post-event report downloads.

Every view: login required -> the event (404) with Permission.VIEW (403) -> read-only service
calls. Nothing here changes data.
"""

import logging
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..documents.job_views import start_job_response
from ..i18n import country_name, current_language, formatting_locale
from ..models import DocumentKind, utcnow
from ..services.access import Permission
from ..services.documents import dashboard as service
from ..services.documents import document_jobs, reports
from ..services.documents.charts import column_chart_svg, format_number, ranked_bar_chart_svg
from ..services.documents.survey_charts import survey_charts
from ..services.registration.participant_list import STATUS_ORDER
from ..services.registration.registration_labels import (
    STATUS_LABELS,
    organisation_type_label,
    role_label,
)
from ..services.travel.boards import travel_figures
from ..view_helpers import load_event_with_permissions
from . import bp

log = logging.getLogger(__name__)


@bp.context_processor
def _helpers() -> dict:
    return {"number": format_number,
            "percent": lambda value: "—" if value is None else format_number(value,
                                                                                percent=True),
            "REGISTRATION_STATUS_LABELS": STATUS_LABELS, "REGISTRATION_STATUSES": STATUS_ORDER}


def _day(value) -> str:
    return format_date(value, "d MMM", locale=formatting_locale())


def _charts(data) -> dict:
    """The dashboard's charts, with translated labels and numbers in the current language."""
    days = data.registrations_by_day
    countries = [(_("Other countries") if code == service.OTHERS else country_name(code), count)
                 for code, count in service.top_with_others(data.confirmed_by_country)]
    checkin = data.checkin_by_day
    return {
        "over_time": column_chart_svg(
            [(_day(d.day), d.total) for d in days], title=_("Registrations over time"),
            label_header=_("Day"), value_header=_("Registrations so far"),
            extra=[(_("New that day"), [format_number(d.count) for d in days])]),
        "countries": ranked_bar_chart_svg(
            countries, title=_("Confirmed delegates by country"), label_header=_("Country"),
            value_header=_("Confirmed")),
        "roles": ranked_bar_chart_svg(
            [(role_label(role), count) for role, count in data.confirmed_by_role],
            title=_("Confirmed delegates by role"), label_header=_("Role"),
            value_header=_("Confirmed")),
        "organisation_types": ranked_bar_chart_svg(
            [(organisation_type_label(kind), count)
             for kind, count in data.confirmed_by_organisation_type],
            title=_("Confirmed delegates by type of organisation"),
            label_header=_("Type of organisation"), value_header=_("Confirmed")),
        "funnel": ranked_bar_chart_svg(
            [(label, count) for _key, label, count in data.invitations.steps()],
            title=_("Invitation funnel"), label_header=_("Step"), value_header=_("Invitees"))
        if data.invitations.invited else None,
        "checkin": ranked_bar_chart_svg(
            [(_day(d.day), d.rate) for d in checkin], title=_("Check-in rate by day"),
            label_header=_("Day"), value_header=_("Share of confirmed delegates"),
            percent=True, maximum=1.0,
            extra=[(_("Arrivals"), [format_number(d.arrivals) for d in checkin]),
                   (_("Checked in so far"), [format_number(d.total_checked_in)
                                             for d in checkin])])
        if data.confirmed else None,
    }


@bp.get("/events/<int:event_id>/dashboard")
@login_required
def event_page(event_id: int):
    """One event's dashboard: charts, each also as a table; printable."""
    event, permissions = load_event_with_permissions(event_id, Permission.VIEW)
    data = service.event_dashboard(event)
    return render_template(
        "dashboard/event.html", event=event, data=data, charts=_charts(data),
        travel=travel_figures(event),
        survey_charts=survey_charts(data.survey),
        can_manage=Permission.MANAGE in permissions,
        can_checkin=Permission.CHECKIN in permissions,
        can_invite=Permission.INVITE in permissions)


@bp.get("/dashboard")
@login_required
def overview():
    """Every event the current user may see, upcoming and past, with totals."""
    return render_template("dashboard/overview.html", data=service.overview(current_user))


def _report(event_id: int):
    event, _permissions = load_event_with_permissions(event_id, Permission.VIEW)
    language = reports.report_language(request.args.get("lang"), current_language())
    today = utcnow().astimezone(ZoneInfo(event.timezone)).date()
    return event, language, today


def _report_job(event, language: str, kind: DocumentKind):
    """A big event's report becomes a document job (its page); None for a small one."""
    count = document_jobs.registration_count(event)
    if not document_jobs.is_big(count):
        return None
    return start_job_response(event, kind, {"language": language}, total=count)


def _attachment(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response


@bp.get("/events/<int:event_id>/dashboard/report.pdf")
@login_required
def report_pdf(event_id: int):
    """The post-event report as PDF, in ``?lang=`` (default: the page's language)."""
    event, language, today = _report(event_id)
    job = _report_job(event, language, DocumentKind.REPORT_PDF)
    if job is not None:
        return job
    data = reports.render_report_pdf(event, language=language, today=today)
    return _attachment(data, "application/pdf",
                       reports.report_filename(event, "pdf", today=today))


@bp.get("/events/<int:event_id>/dashboard/report.xlsx")
@login_required
def report_xlsx(event_id: int):
    """The post-event report as an Excel workbook, one sheet per part."""
    event, language, today = _report(event_id)
    job = _report_job(event, language, DocumentKind.REPORT_XLSX)
    if job is not None:
        return job
    data = reports.render_report_xlsx(event, language=language, today=today)
    return _attachment(data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       reports.report_filename(event, "xlsx", today=today))
