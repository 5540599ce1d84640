"""Request hooks shared by every page: security headers, template helpers, login loading."""

from urllib.parse import urlsplit

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from .branding import register_branding
from .database import MAX_ID
from .extensions import db, login_manager
from .i18n import (
    LANGUAGE_NAMES,
    country_name,
    current_language,
    local_date,
    local_datetime,
    local_time,
)
from .markdown import render_markdown
from .models import User

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a number beyond the id range answers 404 at once rather
    than reaching the database, which would refuse it. (Not a converter ``max``: the router
    then answers 405 where another method's route has the same path.)"""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ID:
            raise NotFound()
        return number


def register_converters(app: Flask) -> None:
    """URL converters; called before any blueprint adds its routes."""
    app.url_map.converters["int"] = IdConverter


def safe_next_url(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback`` (no open redirects)."""
    if not target:
        return fallback
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. "/[": not an address
        return fallback
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return fallback
    return target


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.path.startswith("/manage"):
        headers.setdefault("Cache-Control", "no-store")
    return response


def _load_user(session_id: str):
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit() or not nonce:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_nonce != nonce or not user.active:
        return None
    return user


def register_web_hooks(app: Flask) -> None:
    """Template globals and filters, security headers, Flask-Login settings."""
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"

    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    app.after_request(_security_headers)
    app.jinja_env.globals.update(
        csrf_token=generate_csrf,
        current_language=current_language,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        country_name=country_name,
    )
    register_branding(app)
    app.jinja_env.filters.update(
        markdown=render_markdown,
        local_datetime=local_datetime,
        local_date=local_date,
        local_time=local_time,
    )
