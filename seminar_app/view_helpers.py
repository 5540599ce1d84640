"""Small helpers that staff and public views share: loading an event and what belongs to it,
answering a refused form, and reading an uploaded file.

They keep the view rule of the project in one place: load the object (404) -> check the
permission (403) -> form -> one service call; a ServiceError naming a field is shown under
that field and answered with a 4xx status.
"""

import logging

from flask import abort, current_app, request
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from wtforms import FieldList, FormField

from .extensions import db
from .models import Event
from .services.access import Permission, event_permissions
from .services.errors import Conflict, ServiceError

log = logging.getLogger(__name__)

#: the upload limit when the configuration does not set UPLOAD_MAX_BYTES
DEFAULT_UPLOAD_MAX_BYTES = 2 * 1024 * 1024


def load_event_with_permissions(event_id: int,
                                permission: Permission) -> tuple[Event, set[Permission]]:
    """The event (404) and the current user's permissions on it; 403 without ``permission``."""
    event = db.get_or_404(Event, event_id)
    permissions = event_permissions(current_user, event)
    if permission not in permissions:
        abort(403)
    return event, permissions


def load_event(event_id: int, permission: Permission) -> Event:
    """The event (404 if missing) when the current user holds ``permission`` on it (else 403)."""
    return load_event_with_permissions(event_id, permission)[0]


def load_event_child(model, object_id: int, event: Event):
    """The ``model`` row ``object_id`` of ``event``: 404 when missing or of another event."""
    child = db.session.get(model, object_id)
    if child is None or child.event_id != event.id:
        abort(404)
    return child


def attach_error(form, error: ServiceError) -> int:
    """Show ``error`` under its field (or above the form); the status to answer (the use case
    that raised it rolled back already).

    The status is 409 for a Conflict and 422 otherwise. A field that holds a list of
    sub-forms (FieldList, FormField) keeps its own errors: the message goes above the form.
    """
    field = form._fields.get(error.field) if error.field else None
    if field is not None and not isinstance(field, FieldList | FormField):
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
    return 409 if isinstance(error, Conflict) else 422


def form_status(form) -> int:
    """200 for a fresh form, 422 for one that was sent and refused."""
    return 422 if form.is_submitted() else 200


def uploaded_bytes(storage) -> tuple[bytes | None, str]:
    """The bytes and name of an uploaded file, read up to one byte over the limit.

    ``(None, "")`` when no file was sent; the service checks the size and the content.
    """
    if not isinstance(storage, FileStorage) or not storage.filename:
        return None, ""
    limit = int(current_app.config.get("UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES))
    return storage.read(limit + 1), storage.filename


#: pages beyond this are treated as this one (a huge number would overflow the database)
MAX_PAGE = 100_000


def requested_page() -> int:
    """The ``page`` query argument as a page number from 1 to MAX_PAGE (1 when invalid)."""
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)
