"""Serving uploaded images (co-host logos, event letterheads) from the database.

Only images that are in use as a co-host logo or an event letterhead are served; any other
upload (an import file kept between preview and confirmation, an orphaned old logo) answers
404, so that uploads ids cannot be walked to read other people's files.
"""

from flask import Response, abort, request
from sqlalchemy import exists, or_, select

from ..extensions import db
from ..models import CoHost, Event, Upload
from . import public_bp

#: uploads never change (a new logo is a new upload), so browsers may keep them for a year
CACHE_SECONDS = 365 * 24 * 3600


def _in_public_use(upload_id: int):
    return or_(exists(select(CoHost.id).where(CoHost.logo_id == upload_id)),
               exists(select(Event.id).where(Event.letterhead_id == upload_id)))


@public_bp.get("/uploads/<int:upload_id>")
def upload(upload_id: int):
    """The stored image with its type, an ETag and a long cache lifetime; 404 otherwise."""
    stored = db.session.scalar(
        select(Upload).where(Upload.id == upload_id, Upload.content_type.like("image/%"),
                             _in_public_use(upload_id)))
    if stored is None:
        abort(404)
    response = Response(stored.data, mimetype=stored.content_type)
    response.set_etag(stored.sha256)
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response.make_conditional(request)
