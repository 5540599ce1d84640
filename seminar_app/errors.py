"""Error pages in the visitor's language, and turning domain errors into answers."""

import logging

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from .api.core import error_response
from .error_texts import ERROR_TEXTS
from .extensions import db
from .services.errors import ServiceError

log = logging.getLogger(__name__)

CSRF_TEXT = _l(
    "Your form has expired or was sent from another page. Please reload the page and send it again."
)


def render_error(code: int, message: str | None = None):
    """The error page for ``code`` with an optional more precise message."""
    title, default_message = ERROR_TEXTS.get(code, ERROR_TEXTS[400 if code < 500 else 500])
    if request.path.startswith("/api/v1/") or request.path == "/api/v1":
        return error_response(code, message), code  # the API's own body, even for 404/405
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return {
            "error": {"code": code, "title": str(title), "message": str(message or default_message)}
        }, code
    try:
        return render_template(
            "errors/error.html", code=code, title=title, message=message or default_message
        ), code
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        log.exception("error page %s could not be rendered", code)
        body = escape(f"{code} {title}: {message or default_message}")
        return f"<!doctype html><title>{code}</title><p>{body}</p>", code


def register_error_handlers(app: Flask) -> None:
    """Render every HTTP error and every uncaught ServiceError as a translated page."""

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return render_error(400, str(CSRF_TEXT))

    @app.errorhandler(ServiceError)
    def _service_error(error):
        return render_error(error.status_code, error.message)

    @app.errorhandler(HTTPException)
    def _http_error(error):
        if error.code is None or error.code < 400:
            return error
        response = render_error(error.code)
        if error.code == 405 and getattr(error, "valid_methods", None):
            return response[0], 405, {"Allow": ", ".join(error.valid_methods)}
        return response

    @app.errorhandler(Exception)
    def _unexpected(error):
        if isinstance(error, HTTPException):
            return _http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_error(InternalServerError.code)
