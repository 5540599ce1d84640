"""Administration of staff accounts (``admin`` blueprint); administrators only."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import views  # noqa: E402,F401
