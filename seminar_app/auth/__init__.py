"""Staff accounts: login with an optional second factor, logout, password reset, the
user's own account page and two-factor set-up (``auth`` blueprint)."""

from flask import Blueprint

from ..services.accounts.password_reset import register_reset_task

bp = Blueprint("auth", __name__)

from . import password_views, sessions, two_factor_views, views  # noqa: E402,F401
from .forms import role_label  # noqa: E402


@bp.app_context_processor
def _template_helpers() -> dict:
    return {"role_label": role_label}


@bp.record_once
def _register_tasks(state) -> None:
    """The background task that sends reset emails, on the app's queue (web and worker)."""
    register_reset_task(state.app)
