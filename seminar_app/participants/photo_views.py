"""A registration's photo for staff: see it (registration page, badges, check-in desk), upload or
replace it with a crop box, remove it.

GET .../registrations/<id>/photo (``?size=thumbnail`` for the desk's small one) answers only
to who may see the registration (services.policies.can_see_photo), never cached, and 404 to
anyone else (also to visitors who are not signed in, so ids cannot be probed). Uploading and
removing: login required -> the event (404; 403 without the manage right) -> the registration
of that event (404) -> form -> one service call -> flash -> redirect; a refused photo is shown
under the photo field of the registration page with a 4xx.
"""

import logging

from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..models import Event, Registration
from ..registration.photo_forms import PhotoForm, PhotoRemoveForm
from ..registration.photo_views import form_refusal, photo_response, read_photo, wants_thumbnail
from ..services.access import Permission
from ..services.errors import ServiceError
from ..services.policies import can_see_photo
from ..services.registration import photos
from ..view_helpers import load_event_child, load_event_with_permissions
from . import bp
from .views import _render_detail

log = logging.getLogger(__name__)


@bp.get("/events/<int:event_id>/registrations/<int:registration_id>/photo")
@login_required
def photo(event_id: int, registration_id: int):
    """The registration's photo (or thumbnail) for its event's team (403 for other staff, as
    every staff page; 404 when the registration is not the event's or has no photo)."""
    event, _permissions = load_event_with_permissions(event_id, Permission.VIEW)
    registration = load_event_child(Registration, registration_id, event)
    if not can_see_photo(current_user, registration):
        abort(404)
    upload = photos.photo_upload(registration, thumbnail=wants_thumbnail())
    if upload is None:
        abort(404)
    return photo_response(upload)


def _load(event_id: int, registration_id: int) -> tuple[Event, Registration, set]:
    event, permissions = load_event_with_permissions(event_id, Permission.MANAGE)
    return event, load_event_child(Registration, registration_id, event), permissions


def _refused(event, registration, permissions, message: str, status: int):
    g.photo_error = message
    return _render_detail(event, registration, permissions, status=status)


def _back(event: Event, registration: Registration):
    return redirect(url_for(".registration_show", event_id=event.id,
                            registration_id=registration.id, _anchor="photo"), code=303)


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/photo")
@login_required
def photo_upload(event_id: int, registration_id: int):
    """Store a new photo for the delegate (replacing the old one) with the chosen crop box."""
    event, registration, permissions = _load(event_id, registration_id)
    form = PhotoForm()
    if not form.validate_on_submit():
        return _refused(event, registration, permissions, form_refusal(form), 400)
    try:
        data, crop = read_photo(form)
        photos.set_photo(registration, data, crop=crop, actor=current_user)
    except ServiceError as error:
        return _refused(event, registration, permissions, error.message, error.status_code)
    flash(_("The photo was saved."), "success")
    return _back(event, registration)


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/photo/remove")
@login_required
def photo_remove(event_id: int, registration_id: int):
    """Delete the delegate's photo."""
    event, registration, permissions = _load(event_id, registration_id)
    form = PhotoRemoveForm()
    if not form.validate_on_submit():
        return _refused(event, registration, permissions, form_refusal(form), 400)
    if photos.remove_photo(registration, actor=current_user):
        flash(_("The photo was removed."), "success")
    return _back(event, registration)
