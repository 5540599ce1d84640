"""A delegate asks, through their personal link, to be replaced by another person.

GET /r/<token>/substitute shows the form (and the request already waiting, if any); the POST
stores the request (services.registration.substitution.request_substitution), which waits for
an organizer's approval: nothing changes for the delegate until then. Like every /r/ page:
rate-limited per address, never cached, and a link that no longer works gets its explanation.
"""

import logging

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..errors import render_error
from ..services.errors import ServiceError
from ..services.registration import registrations as registration_service
from ..services.registration import substitution
from ..view_helpers import attach_error, form_status
from . import bp
from .forms import form_data
from .substitution_forms import build_substitution_form
from .views import manage_link_limit

log = logging.getLogger(__name__)


@bp.app_template_global()
def substitution_allowed(registration) -> bool:
    """May ``registration``'s delegate be replaced now (services.registration.substitution)?"""
    return substitution.can_substitute(registration)


@bp.route("/r/<token>/substitute", methods=["GET", "POST"])
@manage_link_limit
def substitute(token: str):
    """GET: the form for the person who should take one's place; POST: send the request."""
    registration = registration_service.get_registration_by_token(token)
    refusal = substitution.substitution_refusal(registration)
    if refusal is not None:
        return render_error(409, refusal)
    event = registration.event
    form = build_substitution_form(registration)
    form.submit.label.text = _l("Send the request to the organizers")
    status = form_status(form)
    if form.validate_on_submit():
        data, _answers = form_data(form)
        try:
            substitution.request_substitution(registration, data)
        except ServiceError as error:
            status = attach_error(form, error)
        else:
            flash(_("Your request was sent to the organizers. Nothing changes until they "
                    "approve it; we will email you their decision."), "success")
            return redirect(url_for(".show", token=token), code=303)
    return render_template("registration/substitution_request.html", form=form,
                           registration=registration, event=event, token=token,
                           pending=substitution.pending_request(registration)), status
