"""Serving uploaded images (co-host logos, event letterheads) from the database.

Who may see an image is decided by services.events.uploads.viewable_image: co-host logos of events
shown publicly are public; letterheads and the logos of drafts only for staff who may view
the event. Any other request, and any other upload (an import file kept between preview and
confirmation, an orphaned old logo), answers 404, so that upload ids cannot be walked.
"""

from flask import Response, abort, request
from flask_login import current_user

from ..services.events.uploads import viewable_image
from . import public_bp

#: uploads never change (a new logo is a new upload), so browsers may keep them for a year
CACHE_SECONDS = 365 * 24 * 3600


@public_bp.get("/uploads/<int:upload_id>")
def upload(upload_id: int):
    """The stored image with its type and an ETag (cached long only when public); 404 otherwise."""
    found = viewable_image(upload_id, current_user)
    if found is None:
        abort(404)
    stored, public = found
    response = Response(stored.data, mimetype=stored.content_type)
    response.set_etag(stored.sha256)
    if public:
        response.cache_control.public = True
        response.cache_control.max_age = CACHE_SECONDS
        response.cache_control.immutable = True
    else:  # staff only: never in a shared cache, asked again (ETag) each time
        response.cache_control.private = True
        response.cache_control.no_cache = True
        response.vary.add("Cookie")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response.make_conditional(request)
