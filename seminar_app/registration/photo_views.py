"""The delegate's photo through their personal link: see it, upload or replace it, remove it.

GET /r/<token>/photo (``?size=thumbnail`` for the small one) answers the photo only for a
working personal link of that registration (services.policies.can_see_photo), never cached;
404 otherwise. POST /r/<token>/photo takes a JPEG, PNG or WebP file and the crop box from
static/js/photo_crop.js (services.registration.photos); a refusal is shown under the photo
field of the edit page with a 4xx. Like every /r/ page: rate-limited per address.
"""

import logging

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import render_error
from ..services.errors import ServiceError
from ..services.policies import can_see_photo
from ..services.registration import photos
from ..services.registration import registrations as registration_service
from . import bp
from .forms import build_registration_form
from .photo_forms import PhotoForm, PhotoRemoveForm
from .views import _can_change, manage_link_limit

log = logging.getLogger(__name__)

#: endpoints that take a photo: a body over MAX_CONTENT_LENGTH gets the photo's own message
PHOTO_UPLOAD_ENDPOINTS = ("registration.photo_upload", "participants.photo_upload",
                          "rsvp.nominate_member_photo_upload")


# --- shared with participants.photo_views ----------------------------------------------------

def photo_response(upload) -> Response:
    """The stored JPEG, never kept by any cache, never sniffed or run as anything else."""
    response = Response(upload.data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def wants_thumbnail() -> bool:
    return request.args.get("size") == "thumbnail"


def read_photo(form: PhotoForm) -> tuple[bytes | None, photos.CropBox | None]:
    """The uploaded bytes (read up to one byte over the limit) and the crop box;
    InvalidPhoto for a crop box that cannot be read."""
    storage = form.photo.data
    data = None
    if isinstance(storage, FileStorage) and storage.filename:
        data = storage.read(photos.photo_max_bytes() + 1)
    crop = photos.parse_crop_box(form.crop_x.data, form.crop_y.data, form.crop_width.data,
                                 form.crop_height.data)
    return data, crop


def form_refusal(form) -> str:
    """The message for a photo form refused before the service (the CSRF token)."""
    messages = [str(message) for errors in form.errors.values() for message in errors]
    return " ".join(messages) or _("The request was refused.")


def too_large_message() -> str:
    return _("The photo is too large: at most %(size)s MB.", size=photo_max_megabytes())


@bp.app_template_global()
def photo_max_megabytes() -> str:
    """The photo size limit in MB, for the upload field's help text."""
    return f"{photos.photo_max_bytes() / (1024 * 1024):g}"


@bp.app_errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """A body over MAX_CONTENT_LENGTH, refused before it is read: the photo pages say why."""
    if request.endpoint in PHOTO_UPLOAD_ENDPOINTS:
        return render_error(413, too_large_message())
    return render_error(413)


# --- the personal link -----------------------------------------------------------------------

def _registration(token: str):
    try:
        return registration_service.get_registration_by_token(token)
    except ServiceError:
        abort(404)


def _render_edit(registration, token: str, photo_error: str, status: int):
    event = registration.event
    form = build_registration_form(event, obj=registration, write_only=True)
    return render_template("registration/registration_edit.html", form=form,
                           registration=registration, event=event, token=token,
                           photo_error=photo_error), status


@bp.get("/r/<token>/photo")
@manage_link_limit
def photo(token: str):
    """The delegate's own photo (or thumbnail); 404 for anything else."""
    registration = _registration(token)
    upload = photos.photo_upload(registration, thumbnail=wants_thumbnail())
    if upload is None or not can_see_photo(current_user, registration,
                                           link_registration=registration):
        abort(404)
    return photo_response(upload)


@bp.post("/r/<token>/photo")
@manage_link_limit
def photo_upload(token: str):
    """Store a new photo (replacing the old one) with the chosen crop box."""
    registration = _registration(token)
    if not _can_change(registration):
        return render_error(409, _("This registration can no longer be changed."))
    form = PhotoForm()
    if not form.validate_on_submit():
        return _render_edit(registration, token, form_refusal(form), 400)
    try:
        data, crop = read_photo(form)
        photos.set_photo(registration, data, crop=crop)
    except ServiceError as error:
        return _render_edit(registration, token, error.message, error.status_code)
    flash(_("Your photo has been saved."), "success")
    return redirect(url_for(".edit", token=token, _anchor="photo"), code=303)


@bp.post("/r/<token>/photo/remove")
@manage_link_limit
def photo_remove(token: str):
    """Delete the delegate's photo."""
    registration = _registration(token)
    if not _can_change(registration):
        return render_error(409, _("This registration can no longer be changed."))
    form = PhotoRemoveForm()
    if not form.validate_on_submit():
        return _render_edit(registration, token, form_refusal(form), 400)
    if photos.remove_photo(registration):
        flash(_("Your photo has been removed."), "success")
    return redirect(url_for(".edit", token=token, _anchor="photo"), code=303)
