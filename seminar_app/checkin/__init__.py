"""Check-in at the venue (``checkin``, under /manage/): scan badges, find delegates, count."""

from flask import Blueprint

bp = Blueprint("checkin", __name__, url_prefix="/manage")

from . import views  # noqa: E402,F401
