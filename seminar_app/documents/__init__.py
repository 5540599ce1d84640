"""Documents: badges, visa invitation letters and the event's letterhead settings."""

from flask import Blueprint

bp = Blueprint("documents", __name__)

from . import certificate_views, job_views, views  # noqa: E402,F401
