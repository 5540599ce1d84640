"""Events: public pages (``public_bp``) and organizer pages under /manage/ (``manage_bp``)."""

from flask import Blueprint

public_bp = Blueprint("events", __name__)
manage_bp = Blueprint("manage", __name__, url_prefix="/manage")

from . import agenda, display, management, privacy_view, uploads_view  # noqa: E402,F401
