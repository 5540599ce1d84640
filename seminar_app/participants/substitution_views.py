"""Staff pages for substitutions: replace a registration's delegate by another person, and
decide the requests delegates sent through their own link (under /manage/events/<id>/).

Every view: login required -> the event (404) with the MANAGE right (403) -> the registration
or request of that event (404) -> form -> one service call
(services.registration.substitution) -> flash -> redirect.
"""

import logging

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..models import Registration
from ..registration.forms import form_data
from ..registration.substitution_forms import SubstitutionDecisionForm, build_substitution_form
from ..services.access import Permission
from ..services.errors import NotFound, ServiceError
from ..services.registration import substitution
from ..services.registration.registration_labels import display_name
from ..view_helpers import attach_error, form_status, load_event, load_event_child
from . import bp

log = logging.getLogger(__name__)

#: the registration's history names the substitution actions (participants.views' labels)


@bp.app_template_global()
def substitution_request_of(registration):
    """The substitution request of ``registration`` waiting for a decision, or None (for the
    registration page's substitution card)."""
    return substitution.pending_request(registration)


@bp.app_template_global()
def substitution_requests_waiting(event) -> int:
    """How many substitution requests of ``event`` wait for a decision (for the list)."""
    return substitution.pending_request_count(event)


@bp.route("/events/<int:event_id>/registrations/<int:registration_id>/substitute",
          methods=["GET", "POST"])
@login_required
def registration_substitute(event_id: int, registration_id: int):
    """Replace this registration's delegate by another person: the place stays taken."""
    event = load_event(event_id, Permission.MANAGE)
    registration = load_event_child(Registration, registration_id, event)
    form = build_substitution_form(registration)
    status = form_status(form)
    refusal = substitution.substitution_refusal(registration)
    if refusal is None and form.validate_on_submit():
        data, _answers = form_data(form)
        old_name = display_name(registration)
        try:
            substitution.substitute(registration, data, actor=current_user,
                                    source=substitution.SubstitutionSource.STAFF)
        except ServiceError as error:
            status = attach_error(form, error)
        else:
            flash(_("%(old)s was replaced by %(new)s. Both were emailed; the new delegate has "
                    "a new reference, badge and personal link.", old=old_name,
                    new=display_name(registration)), "success")
            return redirect(url_for(".registration_show", event_id=event.id,
                                    registration_id=registration.id))
    elif refusal is not None and form.is_submitted():
        status = 409
    return render_template("participants/substitution_form.html", event=event,
                           registration=registration, form=form, refusal=refusal), status


@bp.get("/events/<int:event_id>/substitutions")
@login_required
def substitution_requests(event_id: int):
    """The substitution requests waiting for a decision."""
    event = load_event(event_id, Permission.MANAGE)
    return _render_requests(event)


def _render_requests(event, *, form=None, error: str | None = None, status: int = 200):
    return render_template(
        "participants/substitution_requests.html", event=event,
        requests=substitution.pending_requests(event),
        decision_form=form or SubstitutionDecisionForm(formdata=None), error=error), status


def _decision(event_id: int, registration_id: int, decide):
    """Run ``decide(request, reason)`` on the registration's pending request named by the
    form; flash and redirect."""
    event = load_event(event_id, Permission.MANAGE)
    registration = load_event_child(Registration, registration_id, event)
    form = SubstitutionDecisionForm()
    if not form.validate_on_submit():
        errors = [*form.reason.errors, *form.request_id.errors, *form.form_errors]
        return _render_requests(event, form=form, error=" ".join(map(str, errors)), status=422)
    try:
        request = substitution.get_request(event, form.request_id.data)
        if request.registration_id != registration.id:
            raise NotFound(_("This substitution request does not exist."))
        message = decide(request, form.reason.data or "")
    except ServiceError as error:
        return _render_requests(event, error=error.message, status=error.status_code)
    flash(message, "success")
    return redirect(url_for(".registration_show", event_id=event.id,
                            registration_id=registration.id))


def _approve(request, _reason) -> str:
    old_name = display_name(request.registration)
    registration, _token = substitution.approve_request(request, actor=current_user)
    return _("%(old)s was replaced by %(new)s. Both were emailed; the new delegate has a new "
             "reference, badge and personal link.", old=old_name,
             new=display_name(registration))


def _refuse(request, reason) -> str:
    substitution.refuse_request(request, actor=current_user, reason=reason)
    return _("The replacement request was refused; the delegate was emailed.")


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/substitution/approve")
@login_required
def substitution_approve(event_id: int, registration_id: int):
    """Apply the delegate's substitution request (``request_id`` in the form)."""
    return _decision(event_id, registration_id, _approve)


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/substitution/refuse")
@login_required
def substitution_refuse(event_id: int, registration_id: int):
    """Refuse the delegate's substitution request, with an optional reason."""
    return _decision(event_id, registration_id, _refuse)
