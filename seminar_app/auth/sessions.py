"""What a staff session holds and when it ends, checked before every request.

- ``last_seen`` (seconds since the epoch) is refreshed at most once a minute; a session idle
  for longer than STAFF_IDLE_MINUTES is logged out with a message (0 switches this off);
- an account that must use two-factor sign-in (services.accounts.two_factor.must_enrol) but has not
  set it up can open only the set-up page, logout and the language switch under /manage;
- between the password and the code, the session holds only ``pending_login`` (account id,
  its session nonce, the time, and where to go next); it is valid for PENDING_LOGIN_SECONDS.
"""

import time

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..extensions import db
from ..models import User
from ..services.accounts.two_factor import must_enrol
from . import bp

#: how long the code may be entered after the password
PENDING_LOGIN_SECONDS = 300
#: ``last_seen`` is written at most this often (a cookie is not rewritten on every request)
LAST_SEEN_RESOLUTION = 60
#: what an account that must set up two-factor sign-in may still open
ENROLMENT_ENDPOINTS = {
    "auth.two_factor", "auth.two_factor_enrol", "auth.logout", "auth.login",
    "main.set_language", "static",
}


def _fresh_session() -> None:
    """Empty the session; a page rendered next gets a CSRF token of the new session."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def start_session(user: User) -> None:
    """Log ``user`` in on a fresh session (nothing of the old one survives)."""
    _fresh_session()
    login_user(user, remember=False)
    session["last_seen"] = int(time.time())


def start_pending_login(user: User, target: str) -> None:
    """Remember, on a fresh session, that ``user`` gave the right password."""
    _fresh_session()
    session["pending_login"] = {"user": user.get_id(), "at": int(time.time()), "next": target}


def pending_login() -> tuple[User | None, str]:
    """The account waiting for its second factor and where to go next, or (None, "")."""
    pending = session.get("pending_login")
    if not isinstance(pending, dict):
        return None, ""
    user_id, _sep, nonce = str(pending.get("user", "")).partition(":")
    started = pending.get("at")
    if not user_id.isdigit() or not isinstance(started, int):
        return None, ""
    if time.time() - started > PENDING_LOGIN_SECONDS:
        return None, ""
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_nonce != nonce or not user.has_two_factor:
        return None, ""
    return user, str(pending.get("next") or "")


def pending_login_key() -> str:
    """Rate-limit key of the code step: the waiting account (else the address)."""
    pending = session.get("pending_login")
    if isinstance(pending, dict) and pending.get("user"):
        return "login-code-account:" + str(pending["user"]).partition(":")[0]
    return "login-code-ip:" + (request.remote_addr or "unknown")


def _idle_limit_seconds() -> int:
    return int(current_app.config.get("STAFF_IDLE_MINUTES") or 0) * 60


def _end_idle_session():
    """Log out; staff pages send to the login page (back here after it), others go on."""
    minutes = int(current_app.config["STAFF_IDLE_MINUTES"])
    logout_user()
    session.clear()
    flash(_("You were logged out after %(minutes)d minutes without activity.",
            minutes=minutes), "warning")
    if not request.path.startswith("/manage"):
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


@bp.before_app_request
def _check_staff_session():
    """Idle timeout, then the compulsory two-factor set-up (see the module docstring)."""
    if request.endpoint in (None, "static") or request.blueprint == "api":
        return None
    if "_user_id" not in session or not current_user.is_authenticated:
        return None
    now = int(time.time())
    last_seen = session.get("last_seen")
    limit = _idle_limit_seconds()
    if isinstance(last_seen, int) and limit and now - last_seen > limit:
        return _end_idle_session()
    if not isinstance(last_seen, int) or now - last_seen >= LAST_SEEN_RESOLUTION:
        session["last_seen"] = now
    if (request.path.startswith("/manage") and request.endpoint not in ENROLMENT_ENDPOINTS
            and must_enrol(current_user)):
        flash(_("Your account must use two-factor sign-in. Set it up to continue."), "warning")
        return redirect(url_for("auth.two_factor"))
    return None
