"""Error pages in the visitor's language, and turning domain errors into answers."""

import logging

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db
from .services.errors import ServiceError

log = logging.getLogger(__name__)

ERROR_TEXTS = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please go back and try again."),
    ),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist or has been moved.")),
    405: (_l("Method not allowed"), _l("This address does not accept this kind of request.")),
    409: (
        _l("Conflict"),
        _l("The change clashes with the current state. Please reload and try again."),
    ),
    413: (
        _l("Too large"),
        _l("What you sent is too large. Please send less data or a smaller file."),
    ),
    429: (
        _l("Too many requests"),
        _l("You have made too many requests. Please wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error occurred. It has been logged; please try again later."),
    ),
}
CSRF_TEXT = _l(
    "Your form has expired or was sent from another page. Please reload the page and send it again."
)


def render_error(code: int, message: str | None = None):
    """The error page for ``code`` with an optional more precise message."""
    title, default_message = ERROR_TEXTS.get(code, ERROR_TEXTS[400 if code < 500 else 500])
    if request.path.startswith("/api/v1/") or request.path == "/api/v1":
        from .api.core import error_response  # the API's own error body, even for 404/405

        return error_response(code, message), code
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
        db.session.rollback()
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
