"""A delegate asks, through their personal link, for their personal data to be erased.

GET /r/<token>/erasure only shows what it means; the POST records the request
(services.privacy.retention.request_erasure), which emails the event's organizers: one of them
confirms by erasing. Like every /r/ page: rate-limited per address, never cached, and a link
that no longer works (services.policies.personal_link_refusal) gets its explanation.
"""

import logging

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..errors import render_error
from ..extensions import db
from ..models import RegistrationLink
from ..services.errors import ServiceError
from ..services.policies import personal_link_refusal
from ..services.privacy import retention
from ..services.registration import registrations as registration_service
from ..services.registration.registration_codes import hash_token
from . import bp
from .erasure_forms import ErasureRequestForm
from .views import manage_link_limit

log = logging.getLogger(__name__)


def _registration_or_refusal(token: str):
    """(registration, None) for a working personal link, else (None, the error page)."""
    registration = registration_service.get_registration_by_token(token)
    link = db.session.scalar(select(RegistrationLink).where(
        RegistrationLink.token_hash == hash_token(token)))
    refusal = personal_link_refusal(registration, link)
    if refusal is not None:
        return None, render_error(403, refusal)
    return registration, None


@bp.route("/r/<token>/erasure", methods=["GET", "POST"])
@manage_link_limit
def erasure_request(token: str):
    """GET explains and asks for confirmation; POST records the request."""
    registration, refusal = _registration_or_refusal(token)
    if refusal is not None:
        return refusal
    form = ErasureRequestForm()
    if form.validate_on_submit():
        try:
            asked = retention.request_erasure(registration)
        except ServiceError as error:
            return render_error(error.status_code, error.message)
        flash(_("Your request has been sent to the organizers. They will erase your personal "
                "data and keep only anonymous figures.") if asked else
              _("You have already asked for your data to be erased; the organizers have been "
                "told."), "success")
        return redirect(url_for(".show", token=token), code=303)
    return render_template("registration/erasure_request.html", form=form,
                           registration=registration, event=registration.event, token=token)
