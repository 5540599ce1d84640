"""Staff accounts: login, logout and the user's own account page (``auth`` blueprint)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import views  # noqa: E402,F401
from .forms import role_label  # noqa: E402


@bp.app_context_processor
def _template_helpers() -> dict:
    return {"role_label": role_label}
