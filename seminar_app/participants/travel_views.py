"""Staff pages of travel and accommodation (issue 17), under /manage/events/<id>/travel:
the "Travel & hotels" settings page with the hotels (organizers: MANAGE), the arrivals and
departures boards (printable, for liaison officers) and the rooming list with its XLSX
(anyone on the team: VIEW), and a delegate's travel edited by staff (MANAGE).

Every view: login -> the event (404) with the permission (403) -> form -> one service call.
Exports are POSTs (they record when staff last exported, which marks later changes).
"""

import logging
from datetime import date
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..documents.job_views import start_job_response
from ..i18n import country_name, current_language, formatting_locale
from ..models import DocumentKind, Hotel, Registration, utcnow
from ..registration.travel_forms import build_travel_form
from ..registration.travel_views import travel_error
from ..services.access import Permission
from ..services.documents import document_jobs
from ..services.errors import ServiceError
from ..services.travel import boards, plans, settings
from ..services.travel import documents as travel_documents
from ..services.travel.airports import airport_label
from ..view_helpers import (
    attach_error,
    form_status,
    load_event,
    load_event_child,
    load_event_with_permissions,
)
from . import bp
from .travel_forms import ActionForm, HotelForm, TravelSettingsForm

log = logging.getLogger(__name__)


# --- settings and hotels -------------------------------------------------------------------

def _render_settings(event, form, hotel_form, status: int = 200):
    return render_template(
        "travel/settings.html", event=event, form=form, hotel_form=hotel_form,
        hotels=settings.event_hotels(event), settings=settings.travel_settings(event),
        can_manage=True), status


def _settings_form(event):
    stored = settings.travel_settings(event)
    cutoff = stored.change_cutoff_at
    local = cutoff.astimezone(ZoneInfo(event.timezone)).replace(tzinfo=None) if cutoff else None
    return TravelSettingsForm(data={"mode": stored.mode, "change_cutoff_at": local})


@bp.route("/events/<int:event_id>/travel", methods=["GET", "POST"])
@login_required
def travel_settings(event_id: int):
    """The event's travel setting, its change cut-off and its hotels."""
    event = load_event(event_id, Permission.MANAGE)
    form = _settings_form(event)
    if form.validate_on_submit():
        cutoff = form.change_cutoff_at.data
        cutoff = cutoff.replace(tzinfo=ZoneInfo(event.timezone)) if cutoff else None
        try:
            settings.set_travel_settings(event, mode=form.mode.data, change_cutoff_at=cutoff,
                                         actor=current_user)
        except ServiceError as error:
            return _render_settings(event, form, HotelForm(formdata=None),
                                    attach_error(form, error))
        flash(_("The travel settings were saved."), "success")
        return redirect(url_for(".travel_settings", event_id=event.id), code=303)
    return _render_settings(event, form, HotelForm(formdata=None), form_status(form))


@bp.post("/events/<int:event_id>/travel/hotels")
@login_required
def hotel_add(event_id: int):
    """Add a hotel with its room block."""
    event = load_event(event_id, Permission.MANAGE)
    form = HotelForm()
    if form.validate_on_submit():
        try:
            settings.add_hotel(event, form.hotel_values(), actor=current_user)
        except ServiceError as error:
            return _render_settings(event, _settings_form(event), form,
                                    attach_error(form, error))
        flash(_("The hotel was added."), "success")
        return redirect(url_for(".travel_settings", event_id=event.id, _anchor="hotels"),
                        code=303)
    return _render_settings(event, _settings_form(event), form, 422)


@bp.route("/events/<int:event_id>/travel/hotels/<int:hotel_id>/edit", methods=["GET", "POST"])
@login_required
def hotel_edit(event_id: int, hotel_id: int):
    """Change a hotel's name, address or block."""
    event = load_event(event_id, Permission.MANAGE)
    hotel = load_event_child(Hotel, hotel_id, event)
    form = HotelForm(obj=hotel)
    status = form_status(form)
    if form.validate_on_submit():
        try:
            settings.update_hotel(hotel, form.hotel_values(), actor=current_user)
        except ServiceError as error:
            status = attach_error(form, error)
        else:
            flash(_("The hotel was saved."), "success")
            return redirect(url_for(".travel_settings", event_id=event.id, _anchor="hotels"),
                            code=303)
    return render_template("travel/hotel_edit.html", event=event, hotel=hotel, form=form,
                           can_manage=True), status


@bp.post("/events/<int:event_id>/travel/hotels/<int:hotel_id>/delete")
@login_required
def hotel_delete(event_id: int, hotel_id: int):
    """Remove a hotel (its guests keep their dates, without a hotel)."""
    event = load_event(event_id, Permission.MANAGE)
    hotel = load_event_child(Hotel, hotel_id, event)
    if not ActionForm().validate_on_submit():
        flash(_("The form has expired. Please try again."), "danger")
    else:
        settings.delete_hotel(hotel, actor=current_user)
        flash(_("The hotel was removed."), "success")
    return redirect(url_for(".travel_settings", event_id=event.id, _anchor="hotels"),
                    code=303)


# --- boards and the rooming list -----------------------------------------------------------

def _country_names(codes) -> dict[str, str]:
    """The names of ``codes`` in the page's language, each looked up once."""
    return {code: country_name(code) for code in set(codes)}


def _chosen_day(event, days: list) -> tuple[date | None, bool]:
    """(the day asked by ``?day=YYYY-MM-DD``, or the default one; True for ``?day=all``).
    A day that is not a date, or has nobody, opens the default day."""
    asked = request.args.get("day", "")
    if asked == "all":
        return None, True
    known = {day for day, _count in days}
    try:
        chosen = date.fromisoformat(asked) if len(asked) == 10 else None
    except ValueError:
        chosen = None
    if chosen in known:
        return chosen, False
    today = utcnow().astimezone(ZoneInfo(event.timezone)).date()
    return boards.default_board_day(days, today), False


def _board_page(event_id: int, kind: str):
    event, permissions = load_event_with_permissions(event_id, Permission.VIEW)
    days = boards.board_days(event, kind)
    chosen, every_day = _chosen_day(event, days)
    # every day of a big event is the PDF's (built by the worker), not a page of its rows
    whole_as_pdf = every_day and document_jobs.is_big(sum(count for _day, count in days))
    data = (boards.Board(event=event, kind=kind, days=[], exported_at=None) if whole_as_pdf
            else boards.board(event, kind, day=chosen))  # chosen is None: every day
    rows = [row for day in data.days for slot in day.slots for row in slot.rows]
    access = settings.travel_settings(event)
    missing = boards.missing_travel(event) if kind == "arrival" else []
    return render_template(
        "travel/board.html", event=event, board=data, kind=kind, settings=access,
        board_days=days, chosen_day=chosen, every_day=every_day, whole_as_pdf=whole_as_pdf,
        total=sum(count for _day, count in days),
        missing=missing, countries=_country_names(row.country for row in rows),
        places={row.place: airport_label(row.place) for row in rows if row.mode == "flight"},
        day_label=lambda day: format_date(day, "full", locale=formatting_locale()),
        short_day=lambda day: format_date(day, "EEE d MMM", locale=formatting_locale()),
        can_manage=Permission.MANAGE in permissions,
        can_checkin=Permission.CHECKIN in permissions,
        can_invite=Permission.INVITE in permissions)


@bp.get("/events/<int:event_id>/travel/arrivals")
@login_required
def arrivals_board(event_id: int):
    """Who lands when and where, by day and hour in the event's zone (printable)."""
    return _board_page(event_id, "arrival")


@bp.get("/events/<int:event_id>/travel/departures")
@login_required
def departures_board(event_id: int):
    """Who leaves when and from where, by day and hour in the event's zone (printable)."""
    return _board_page(event_id, "departure")


@bp.post("/events/<int:event_id>/travel/arrivals/exported")
@login_required
def arrivals_exported(event_id: int):
    """Record that the arrivals board was printed or handed out now."""
    event = load_event(event_id, Permission.VIEW)
    if ActionForm().validate_on_submit():
        boards.mark_exported(event, "arrivals", actor=current_user)
        flash(_("Marked as exported: later changes will be marked on the board."), "success")
    return redirect(url_for(".arrivals_board", event_id=event.id), code=303)


def _chosen_hotel(event) -> tuple[int | None, bool]:
    """(the hotel asked by ``?hotel=<id>``, else the first one; True for ``?hotel=all``)."""
    asked = request.args.get("hotel", "")
    if asked == "all":
        return None, True
    hotels = settings.event_hotels(event)
    ids = [hotel.id for hotel in hotels]
    chosen = int(asked) if asked.isdigit() and len(asked) < 10 else None
    if chosen in ids:
        return chosen, False
    return (ids[0], False) if ids else (None, True)


@bp.get("/events/<int:event_id>/travel/rooming")
@login_required
def rooming_list(event_id: int):
    """Each hotel's guests and the room-block use per night."""
    event, permissions = load_event_with_permissions(event_id, Permission.VIEW)
    hotel_id, every_hotel = _chosen_hotel(event)
    listing = boards.rooming_list(event, hotel_id=hotel_id)
    return render_template(
        "travel/rooming.html", event=event, listing=listing, every_hotel=every_hotel,
        chosen_hotel=hotel_id, countries=_country_names(
            row.country for entry in listing.hotels for row in entry.rows),
        can_manage=Permission.MANAGE in permissions,
        can_checkin=Permission.CHECKIN in permissions,
        can_invite=Permission.INVITE in permissions)


def _travel_document(event, kind: DocumentKind, params: dict):
    """The document built now, or for a big event the page of its job (the worker builds it)."""
    count = travel_documents.size(event, kind)
    if document_jobs.is_big(count):
        return start_job_response(event, kind, params, total=count)
    today = utcnow().astimezone(ZoneInfo(event.timezone)).date()
    name, pieces = travel_documents.render(event, kind, params, today=today)
    response = Response(b"".join(pieces), mimetype=document_jobs.CONTENT_TYPES[kind])
    response.headers.set("Content-Disposition", "attachment", filename=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/events/<int:event_id>/travel/rooming.xlsx")
@login_required
def rooming_xlsx(event_id: int):
    """The rooming list as XLSX in the staff member's language; records the export."""
    event = load_event(event_id, Permission.VIEW)
    if not ActionForm().validate_on_submit():
        flash(_("The form has expired. Please try again."), "danger")
        return redirect(url_for(".rooming_list", event_id=event.id), code=303)
    params = travel_documents.export_rooming(event, language=current_language(),
                                             actor=current_user)
    return _travel_document(event, DocumentKind.ROOMING_XLSX, params)


@bp.get("/events/<int:event_id>/travel/arrivals.pdf")
@login_required
def arrivals_pdf(event_id: int):
    """Every day of the arrivals board as a PDF in the staff member's language."""
    event = load_event(event_id, Permission.VIEW)
    return _travel_document(event, DocumentKind.ARRIVALS_PDF,
                            travel_documents.board_params(language=current_language()))


@bp.get("/events/<int:event_id>/travel/departures.pdf")
@login_required
def departures_pdf(event_id: int):
    """Every day of the departures board as a PDF in the staff member's language."""
    event = load_event(event_id, Permission.VIEW)
    return _travel_document(event, DocumentKind.DEPARTURES_PDF,
                            travel_documents.board_params(language=current_language()))


# --- one delegate's travel, edited by staff ------------------------------------------------

@bp.route("/events/<int:event_id>/registrations/<int:registration_id>/travel",
          methods=["GET", "POST"])
@login_required
def registration_travel(event_id: int, registration_id: int):
    """Staff give or change a delegate's travel and accommodation (any time)."""
    event = load_event(event_id, Permission.MANAGE)
    registration = load_event_child(Registration, registration_id, event)
    form = build_travel_form(event, settings.event_hotels(event), plans.get_plan(registration),
                             for_delegate=False)
    status = form_status(form)
    if form.validate_on_submit():
        try:
            plans.set_travel_plan(registration, form.plan_values(event), by="staff",
                                  actor=current_user)
        except ServiceError as error:
            status = travel_error(form, error)
        else:
            flash(_("The travel details were saved."), "success")
            return redirect(url_for(".registration_travel", event_id=event.id,
                                    registration_id=registration.id), code=303)
    return render_template("travel/staff_plan.html", event=event, registration=registration,
                           form=form, access=plans.travel_access(registration),
                           can_manage=True), status
