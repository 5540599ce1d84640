"""Personal data of one registration, for the event's organizers: erase it, download it.

Every view: login required -> load the event (404; 403 without access to it) and the
registration, which must belong to it (404) -> ``privacy.can_see_passport`` (403: the event's
organizers only) -> form -> one service call (services.privacy.retention) -> flash -> redirect.
"""

import json
import logging

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..models import Event, Registration
from ..services.access import Permission
from ..services.errors import ServiceError
from ..services.policies import can_see_passport, record_passport_read
from ..services.privacy import retention
from ..view_helpers import attach_error, form_status, load_event, load_event_child
from . import bp
from .privacy_forms import RegistrationEraseForm

log = logging.getLogger(__name__)


@bp.context_processor
def _personal_data_helpers() -> dict:
    """``may_erase(event)`` for the participant page's partial; ``is_erased(registration)``."""
    return {"may_erase": lambda event: can_see_passport(current_user, event),
            "is_erased": retention.is_erased}


def _load(event_id: int, registration_id: int) -> tuple[Event, Registration]:
    event = load_event(event_id, Permission.VIEW)
    registration = load_event_child(Registration, registration_id, event)
    if not can_see_passport(current_user, event):
        abort(403)
    return event, registration


@bp.route("/events/<int:event_id>/registrations/<int:registration_id>/erase",
          methods=["GET", "POST"])
@login_required
def registration_erase(event_id: int, registration_id: int):
    """GET: what erasing removes, and a form to type the reference; POST: erase now."""
    event, registration = _load(event_id, registration_id)
    form = RegistrationEraseForm()
    form.expected = registration.reference
    status = form_status(form)
    if form.validate_on_submit():
        try:
            retention.erase_registration(registration, actor=current_user)
        except ServiceError as error:
            status = attach_error(form, error)
        else:
            flash(_("The delegate's personal data was erased. The registration keeps only "
                    "its reference, country, role, status and dates."), "success")
            return redirect(url_for(".registration_show", event_id=event.id,
                                    registration_id=registration.id))
    return render_template("participants/registration_erase.html", event=event,
                           registration=registration, form=form,
                           erased=retention.is_erased(registration)), status


@bp.get("/events/<int:event_id>/registrations/<int:registration_id>/personal-data.json")
@login_required
def registration_personal_data(event_id: int, registration_id: int):
    """Everything held on the delegate, as a JSON file (a subject access request)."""
    event, registration = _load(event_id, registration_id)
    data = retention.export_subject_data(registration)
    record_passport_read(current_user, event, "subject_access", registration=registration)
    response = Response(json.dumps(data, ensure_ascii=False, indent=2),
                        mimetype="application/json")
    response.headers.set("Content-Disposition", "attachment",
                         filename=f"personal-data-{registration.reference}.json")
    response.headers["Cache-Control"] = "no-store"
    return response
