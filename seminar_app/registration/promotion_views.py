"""A delegate promoted from the waiting list answers through their personal link, when the
event asks promoted delegates to confirm (Event.promotion_confirm_days).

POST /r/<token>/promotion/confirm: "Yes, I will attend" (the place is theirs for good);
POST /r/<token>/promotion/decline: "I can no longer attend" (cancelled, the next in line moves
up). Both through services.registration.promotions; the buttons are on the personal page
(GET never changes anything). Like every /r/ page: rate-limited per address, never cached; a
link that no longer works gets its explanation, an answer that no longer applies a 409.
"""

import logging

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..errors import render_error
from ..services.errors import ServiceError
from ..services.policies import registration_refusal
from ..services.registration import promotions
from ..services.registration import registrations as registration_service
from . import bp
from .views import manage_link_limit

log = logging.getLogger(__name__)


@bp.app_template_global()
def promotion_to_confirm(registration) -> bool:
    """True when the delegate must still confirm the place they won from the waiting list
    (the personal page then shows the deadline and the two answers)."""
    return promotions.awaiting_confirmation(registration)


@bp.post("/r/<token>/promotion/confirm")
@manage_link_limit
def promotion_confirm(token: str):
    """"Yes, I will attend": the place is confirmed for good."""
    registration = registration_service.get_registration_by_token(token)
    try:
        promotions.confirm_attendance(registration)
    except ServiceError as error:
        return render_error(error.status_code, error.message)
    flash(_("Thank you: your place is confirmed. We look forward to welcoming you."),
          "success")
    return redirect(url_for(".show", token=token), code=303)


@bp.post("/r/<token>/promotion/decline")
@manage_link_limit
def promotion_decline(token: str):
    """"I can no longer attend": the registration is cancelled and the place passes on."""
    registration = registration_service.get_registration_by_token(token)
    event = registration.event
    try:
        promotions.decline_promotion(registration)
    except ServiceError as error:
        return render_error(error.status_code, error.message)
    return render_template("registration/registration_cancelled.html", event=event,
                           registration=registration,
                           can_register_again=registration_refusal(event) is None)
