"""Travel and accommodation through a personal link (issue 17).

GET /r/<token>/travel shows the delegate's travel form (or, after the cut-off, what was given
and why it can no longer change); the POST stores it (services.travel.plans.set_travel_plan).
The head of a delegation does the same for a member at
/r/<token>/delegation/members/<id>/travel (a member's link: 403; someone else's member: 404).
Like every /r/ page: rate-limited per address, never cached, no Referer. A refused value is
shown next to its field with a 422; a change after the cut-off answers 409, nothing stored.
"""

import logging

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..errors import render_error
from ..models import Registration
from ..services.errors import ServiceError
from ..services.registration import head_substitution
from ..services.registration import registrations as registration_service
from ..services.registration.registration_labels import display_name
from ..services.travel import plans, settings
from ..services.travel.airports import airport_label
from ..services.travel.plans import LODGING_LABELS, MODE_LABELS
from ..view_helpers import attach_error, form_status
from . import bp
from .travel_forms import FIELD_OF, build_travel_form
from .views import manage_link_limit

log = logging.getLogger(__name__)


@bp.app_template_global()
def travel_section(registration: Registration) -> dict | None:
    """What a personal page shows of ``registration``'s travel; None when the event does not
    collect it."""
    access = plans.travel_access(registration)
    if not access.asked:
        return None
    return {"access": access, "plan": plans.get_plan(registration)}


@bp.app_template_global()
def travel_labels() -> dict:
    """Labels of travel modes and accommodation kinds, and the airport names."""
    return {"mode": MODE_LABELS, "lodging": LODGING_LABELS, "airport": airport_label}


def travel_error(form, error: ServiceError) -> int:
    """Show ``error`` under its field of the travel form; the status to answer."""
    if error.field in FIELD_OF:
        error.field = FIELD_OF[error.field]
    return attach_error(form, error)


def travel_page(registration: Registration, *, by: str, action: str, back: str,
                heading: str, extra: dict | None = None):
    """GET: the travel form of ``registration`` (read-only after the cut-off); POST: store
    it. ``by``: who changes it (services.travel.plans.CHANGERS)."""
    event = registration.event
    access = plans.travel_access(registration)
    if not access.asked:
        return render_error(404, _("This event does not collect travel details."))
    plan = plans.get_plan(registration)
    hotels = settings.event_hotels(event)
    form = build_travel_form(event, hotels, plan)
    status = form_status(form)
    if form.is_submitted() and access.refusal:
        form.form_errors.append(access.refusal)
        status = 409
    elif form.validate_on_submit():
        try:
            plans.set_travel_plan(registration, form.plan_values(event), by=by)
        except ServiceError as error:
            status = travel_error(form, error)
        else:
            flash(_("Your travel details have been saved."), "success")
            return redirect(back, code=303)
    return render_template("travel/plan_form.html", event=event, registration=registration,
                           form=form, access=access, plan=plan, hotels=hotels,
                           action=action, back=back, heading=heading,
                           person=display_name(registration), **(extra or {})), status


@bp.route("/r/<token>/travel", methods=["GET", "POST"])
@manage_link_limit
def travel(token: str):
    """The delegate's own arrival, departure and accommodation."""
    registration = registration_service.get_registration_by_token(token)
    return travel_page(registration, by="delegate",
                       action=url_for(".travel", token=token),
                       back=url_for(".show", token=token, _anchor="travel"),
                       heading=_("My travel and accommodation"))


@bp.route("/r/<token>/delegation/members/<int:member_id>/travel", methods=["GET", "POST"])
@manage_link_limit
def member_travel(token: str, member_id: int):
    """The head of a delegation gives a member's travel and accommodation."""
    head = registration_service.get_registration_by_token(token)
    member = head_substitution.managed_member(head, member_id)
    return travel_page(member, by="head",
                       action=url_for(".member_travel", token=token, member_id=member.id),
                       back=url_for(".show", token=token, _anchor="delegation"),
                       heading=_("Travel and accommodation of %(name)s",
                                 name=display_name(member)))
