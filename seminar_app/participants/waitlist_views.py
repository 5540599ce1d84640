"""Staff moves on the waiting list: promote one waiting delegate out of order (with the waiting
members of their delegation) when the one room rule says they fit, and "Move the waiting list
now" (under /manage/events/<event_id>/).

Every view: login required -> the event (404) with the MANAGE right (403) -> the registration
of that event (404) -> one service call (services.registration.waitlist) -> flash ->
redirect; a refusal ("full", "quota for <country>") is shown on the registration's page with
a 409.
"""

import logging

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..models import Registration
from ..services.access import Permission
from ..services.errors import ServiceError
from ..services.registration import waitlist
from ..services.registration.promotions import awaiting_confirmation
from ..services.registration.registration_labels import display_name
from ..view_helpers import load_event_child, load_event_with_permissions
from ..web import safe_next_url
from . import bp
from .views import _render_detail

log = logging.getLogger(__name__)


@bp.app_template_global()
def promotion_awaited(registration) -> bool:
    """True when ``registration`` holds a place won from the waiting list that the delegate
    must still confirm (its deadline: ``promotion_expires_at``)."""
    return awaiting_confirmation(registration)


@bp.app_template_global()
def waitlist_place(registration) -> int | None:
    """The 1-based place of a waiting ``registration`` in line (None otherwise)."""
    return waitlist.waitlist_position(registration)


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/promote")
@login_required
def registration_promote(event_id: int, registration_id: int):
    """Promote this waiting delegate (and the waiting members of their delegation) now, out
    of order, when they fit the places and the country quotas."""
    event, permissions = load_event_with_permissions(event_id, Permission.MANAGE)
    registration = load_event_child(Registration, registration_id, event)
    try:
        promoted = waitlist.promote_registration(registration, current_user)
    except ServiceError as error:
        return _render_detail(event, registration, permissions, error=error.message,
                              status=error.status_code)
    message = _("%(name)s moved up from the waiting list and was emailed.",
                name=display_name(registration))
    if len(promoted) > 1:
        message += " " + ngettext(
            "%(num)d other member of the delegation moved up with them.",
            "%(num)d other members of the delegation moved up with them.", len(promoted) - 1)
    flash(message, "success")
    fallback = url_for(".registration_show", event_id=event.id, registration_id=registration.id)
    return redirect(safe_next_url(request.form.get("next"), fallback))


@bp.post("/events/<int:event_id>/waitlist/move")
@login_required
def waitlist_move(event_id: int):
    """Run the waiting list now: everyone who fits the free places moves up, in order."""
    event, _permissions = load_event_with_permissions(event_id, Permission.MANAGE)
    promoted = waitlist.move_waiting_list(event, current_user)
    if promoted:
        flash(ngettext("%(num)d delegate moved up from the waiting list.",
                       "%(num)d delegates moved up from the waiting list.", len(promoted)),
              "success")
    else:
        flash(_("Nobody moved up: no one on the waiting list fits the free places and the "
                "country quotas."), "info")
    return redirect(url_for(".registrations", event_id=event.id))
