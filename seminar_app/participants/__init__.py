"""Organizer pages for an event's participants: the list, one registration, decisions,
extra questions and exports (all under /manage/events/<event_id>/)."""

from flask import Blueprint

bp = Blueprint("participants", __name__, url_prefix="/manage")

from . import delegation_views, privacy_views, question_views, views  # noqa: E402,F401
