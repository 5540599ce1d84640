"""Health check and the language switcher."""

from flask import abort, current_app, redirect, request, url_for
from sqlalchemy import text

from ..extensions import db
from ..i18n import LANGUAGE_COOKIE
from ..web import safe_next_url
from . import bp


@bp.get("/healthz")
def healthz():
    """For monitors: 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        current_app.logger.exception("health check failed")
        return {"status": "error", "database": "unavailable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.get("/language/<code>")
def set_language(code: str):
    """Remember the chosen language in a cookie and go back to where the visitor was."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(safe_next_url(request.args.get("next"), url_for("events.index")))
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure,
    )
    return response
