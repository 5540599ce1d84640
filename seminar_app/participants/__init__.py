"""Organizer pages for an event's participants: the list, one registration, decisions,
extra questions and exports (all under /manage/events/<event_id>/)."""

from flask import Blueprint

bp = Blueprint("participants", __name__, url_prefix="/manage")

from . import (  # noqa: E402,F401
    accreditation_views,
    delegation_views,
    photo_views,
    privacy_views,
    question_views,
    substitution_views,
    travel_views,
    views,
    waitlist_views,
)
