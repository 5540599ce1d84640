"""Serving uploaded images (co-host logos) from the database."""

from flask import Response, request

from ..extensions import db
from ..models import Upload
from . import public_bp

#: uploads never change (a new logo is a new upload), so browsers may keep them for a year
CACHE_SECONDS = 365 * 24 * 3600


@public_bp.get("/uploads/<int:upload_id>")
def upload(upload_id: int):
    """The stored bytes with their type, an ETag and a long cache lifetime; 404 if missing."""
    stored = db.get_or_404(Upload, upload_id)
    response = Response(stored.data, mimetype=stored.content_type)
    response.set_etag(stored.sha256)
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response.make_conditional(request)
