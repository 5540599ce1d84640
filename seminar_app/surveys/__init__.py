"""Feedback surveys after an event.

Two blueprints:
- ``surveys`` (staff, under /manage/events/<event_id>/survey): write the survey (questions in
  English and Bahasa Indonesia, anonymous or not), open and close it (``views.py``);
- ``surveys_public``: the delegate's personal link /s/<token>, where they answer once
  (``answer_views.py``).
"""

from flask import Blueprint

bp = Blueprint("surveys", __name__, url_prefix="/manage")
public_bp = Blueprint("surveys_public", __name__)

from . import answer_views, views  # noqa: E402,F401
