"""The check-in desk under /manage/events/<id>/checkin: a phone page for the venue's door.

Every view: login required -> load the event (404) -> check the permission (403: CHECKIN,
MANAGE to undo) -> form -> one service call -> answer. Requests sent by htmx (``HX-Request``)
get the fragment they replace; other requests get the whole page, so the desk works without
JavaScript. Refusals keep their 4xx status in both cases.
"""

import gzip
import logging
from dataclasses import dataclass

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..json_input import JsonBodyError, read_json_body
from ..models import Event, Registration
from ..services.access import Permission, has_permission
from ..services.errors import NotFound, ServiceError
from ..services.registration import checkin as checkin_service
from ..services.registration.photos import THUMBNAIL_MAX_BYTES
from ..services.registration.registration_labels import display_name, role_label, status_label
from ..view_helpers import load_event
from . import bp
from .display import arrival_time, delegate_summary, early_notice
from .forms import CheckInActionForm, CheckInCodeForm, CheckInSearchForm

log = logging.getLogger(__name__)
#: tells the live counter (and the search results) on the page to refresh
CHANGED_TRIGGER = {"HX-Trigger": "checkin-changed"}
#: largest offline sync body (500 queued arrivals take about 50 KB)
MAX_SYNC_BYTES = 256 * 1024
#: JSON answers larger than this are sent gzip-compressed to desks that accept it
GZIP_FROM_BYTES = 2048


@dataclass
class Outcome:
    """What the result panel shows after a scan, a tap or an undo."""

    #: success (green), already (amber), error (red) or undone (blue)
    kind: str
    title: str
    message: str = ""
    registration: Registration | None = None
    summary: str = ""


# --- helpers ---------------------------------------------------------------------------------

@bp.context_processor
def _display_helpers() -> dict:
    return {
        "registration_name": display_name,
        "registration_role": role_label,
        "registration_status": status_label,
        "registration_arrival": arrival_time,
        # the desk states what photos it keeps on the device (offline list)
        "photo_budget": {"each_kb": THUMBNAIL_MAX_BYTES // 1024,
                         "total_mb": checkin_service.ROSTER_PHOTO_BUDGET_BYTES // (1024 * 1024)},
    }


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _checked_in_outcome(event: Event, result: checkin_service.CheckInResult) -> Outcome:
    registration = result.registration
    summary = delegate_summary(registration)
    if not result.already_checked_in:
        return Outcome("success", _("Checked in"), registration=registration, summary=summary)
    when = arrival_time(result.checked_in_at, event)
    if result.checked_in_by is not None:
        message = _("Already checked in at %(time)s by %(name)s.", time=when,
                    name=result.checked_in_by.name)
    else:
        message = _("Already checked in at %(time)s.", time=when)
    return Outcome("already", _("Already checked in"), message, registration, summary)


def _error_outcome(message: str, *, not_found=False) -> Outcome:
    return Outcome("error", _("Not found") if not_found else _("Not checked in"), message)


def _form_error_outcome(form) -> Outcome:
    messages = [error for errors in form.errors.values() for error in errors]
    return _error_outcome(" ".join(str(m) for m in messages) or _("The request was refused."))


def _render_desk(event: Event, *, outcome=None, code_form=None, search_form=None,
                 results=None, status=200):
    arrived, expected = checkin_service.arrival_counts(event)
    return render_template(
        "checkin/desk_show.html", event=event, active="checkin", outcome=outcome,
        code_form=code_form or CheckInCodeForm(formdata=None),
        search_form=search_form or CheckInSearchForm(formdata=None),
        results=results, arrived=arrived, expected=expected, early_notice=early_notice(event),
        can_manage=has_permission(current_user, event, Permission.MANAGE),
    ), status


def _answer(event: Event, outcome: Outcome, status: int, *, changed=False, **page):
    """The result panel for htmx, the whole desk page otherwise."""
    if _is_htmx():
        body = render_template(
            "checkin/_outcome.html", event=event, outcome=outcome,
            can_manage=has_permission(current_user, event, Permission.MANAGE))
        return body, status, (CHANGED_TRIGGER if changed else {})
    return _render_desk(event, outcome=outcome, status=status, **page)


def _check_in(event: Event, *, status_if_ok=200, **how):
    """Run the check-in service; (outcome, status, changed)."""
    try:
        result = checkin_service.check_in(event, user=current_user, **how)
    except ServiceError as error:
        outcome = _error_outcome(error.message, not_found=isinstance(error, NotFound))
        return outcome, error.status_code, False
    return _checked_in_outcome(event, result), status_if_ok, not result.already_checked_in


# --- pages -----------------------------------------------------------------------------------

@bp.get("/events/<int:event_id>/checkin")
@login_required
def desk(event_id: int):
    """The check-in desk: live count, camera scanner, code entry and name search."""
    return _render_desk(load_event(event_id, Permission.CHECKIN))


@bp.get("/events/<int:event_id>/checkin/count")
@login_required
def count(event_id: int):
    """The live arrivals counter (a fragment, polled by the desk page)."""
    event = load_event(event_id, Permission.CHECKIN)
    arrived, expected = checkin_service.arrival_counts(event)
    return render_template("checkin/_counter.html", event=event, arrived=arrived,
                           expected=expected)


@bp.get("/events/<int:event_id>/checkin/search")
@login_required
def search(event_id: int):
    """Delegates matching a name, organisation or reference, each with a "Check in" button."""
    event = load_event(event_id, Permission.CHECKIN)
    form = CheckInSearchForm(request.args)
    status, results = 200, []
    if form.validate():
        results = checkin_service.search_for_checkin(event, form.q.data or "")
    else:
        status = 422
    if _is_htmx():
        return render_template("checkin/_results.html", event=event, search_form=form,
                               results=results), status
    return _render_desk(event, search_form=form, results=results, status=status)


@bp.post("/events/<int:event_id>/checkin/scan")
@login_required
def scan(event_id: int):
    """Check in the registration whose badge code (or reference) was scanned or typed."""
    event = load_event(event_id, Permission.CHECKIN)
    form = CheckInCodeForm()
    if not form.validate_on_submit():
        return _answer(event, _form_error_outcome(form), 422, code_form=form)
    outcome, status, changed = _check_in(event, badge_code=form.code.data)
    return _answer(event, outcome, status, changed=changed)


@bp.post("/events/<int:event_id>/checkin/registrations/<int:registration_id>")
@login_required
def check_in_registration(event_id: int, registration_id: int):
    """Check in one registration chosen from the search results."""
    event = load_event(event_id, Permission.CHECKIN)
    form = CheckInActionForm()
    if not form.validate_on_submit():
        return _answer(event, _form_error_outcome(form), 400)
    outcome, status, changed = _check_in(event, registration_id=registration_id)
    search_form = CheckInSearchForm(request.form)
    results = None
    if not _is_htmx() and search_form.validate() and search_form.q.data:
        results = checkin_service.search_for_checkin(event, search_form.q.data)
    return _answer(event, outcome, status, changed=changed, search_form=search_form,
                   results=results)


@bp.post("/events/<int:event_id>/checkin/registrations/<int:registration_id>/undo")
@login_required
def undo(event_id: int, registration_id: int):
    """Forget a mistaken check-in (organizers only)."""
    event = load_event(event_id, Permission.MANAGE)
    try:
        registration = checkin_service.find_registration(event, registration_id)
    except ServiceError:
        abort(404)
    form = CheckInActionForm()
    if not form.validate_on_submit():
        return _answer(event, _form_error_outcome(form), 400)
    try:
        checkin_service.undo_check_in(registration, user=current_user)
    except ServiceError as error:
        return _answer(event, _error_outcome(error.message), error.status_code)
    message = _("The check-in of %(name)s was undone.", name=delegate_summary(registration))
    if _is_htmx():
        return _answer(event, Outcome("undone", _("Check-in undone"), message), 200, changed=True)
    flash(message, "info")
    return redirect(url_for(".desk", event_id=event.id))


# --- the offline desk (static/js/checkin_offline.js) -----------------------------------------

def _roster_payload(event: Event, since: str | None = None) -> dict:
    arrived, expected = checkin_service.arrival_counts(event)
    changes = checkin_service.roster_changes(event, since)
    return {"event_id": event.id, "arrived": arrived, "expected": expected,
            "version": changes.version, "full": changes.full,
            "fields": checkin_service.ROSTER_FIELDS, "rows": changes.rows,
            "removed": changes.removed, "countries": changes.countries, "roles": changes.roles,
            "photos_tag": checkin_service.roster_photos_tag(event)}


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _compressed_json(payload: dict):
    """``payload`` as JSON, gzip-compressed when the desk accepts it (a list of 10,000 delegates
    shrinks about fivefold), never stored by a cache."""
    response = jsonify(payload)
    response.headers["Vary"] = "Accept-Encoding"
    if "gzip" in request.accept_encodings and response.content_length \
            and response.content_length > GZIP_FROM_BYTES:
        response.set_data(gzip.compress(response.get_data(), compresslevel=6))
        response.headers["Content-Encoding"] = "gzip"
    return _no_store(response)


@bp.get("/events/<int:event_id>/checkin/roster")
@login_required
def roster(event_id: int):
    """The check-in list a desk keeps on its device (badge fields only, no contact data); with
    ``?since=<version>``, only what changed since the desk's copy."""
    event = load_event(event_id, Permission.CHECKIN)
    return _compressed_json(_roster_payload(event, request.args.get("since")))


@bp.get("/events/<int:event_id>/checkin/roster/photos")
@login_required
def roster_photos(event_id: int):
    """The delegates' small photos for the offline desk, within the budget the desk states;
    answered 304 when the desk's copy (its ETag) is still right."""
    event = load_event(event_id, Permission.CHECKIN)
    tag = checkin_service.roster_photos_tag(event)
    if tag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        photos = checkin_service.roster_photos(event)
        response = _compressed_json({"photos": {str(key): url for key, url in photos.items()}})
    response.set_etag(tag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.post("/events/<int:event_id>/checkin/sync")
@login_required
def sync(event_id: int):
    """Arrivals queued by a desk while offline: record them, answer with the fresh list."""
    event = load_event(event_id, Permission.CHECKIN)
    try:
        payload = read_json_body(max_bytes=MAX_SYNC_BYTES)
    except JsonBodyError as error:
        return jsonify(error=error.message), 400
    arrivals = payload.get("arrivals") if isinstance(payload, dict) else None
    if not isinstance(arrivals, list) or len(arrivals) > checkin_service.MAX_SYNC_ARRIVALS:
        return jsonify(error=_("The list of arrivals could not be read.")), 400
    results = checkin_service.sync_offline_arrivals(event, arrivals, user=current_user)
    answers = [{"code": item.code, "outcome": item.outcome,
                "registration_id": item.registration_id, "message": item.message,
                "checked_in_at": checkin_service.iso_time(item.checked_in_at)} for item in results]
    since = payload.get("since") if isinstance(payload.get("since"), str) else None
    return _compressed_json({"results": answers, **_roster_payload(event, since)})


@bp.get("/checkin-sw.js")
@login_required
def service_worker():
    """The desk's service worker, served under /manage/ so that it may control the desk pages
    (a worker only controls pages under its own path; static/ would be too narrow)."""
    response = current_app.send_static_file("js/checkin_sw.js")
    response.headers["Service-Worker-Allowed"] = url_for("manage.index")
    response.headers["Cache-Control"] = "no-cache"
    return response
