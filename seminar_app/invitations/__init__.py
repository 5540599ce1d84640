"""Email invitations.

Two blueprints:
- ``invitations`` (staff, under /manage/events/<event_id>/invitations): the invitee list with
  each invitee's status, adding and importing invitees (``invitees.py``, ``imports.py``), the
  event's message templates and the mailings that send invitations, reminders and
  announcements (``mailings.py``);
- ``rsvp`` (public): the personal link /i/<token> where an invitee accepts (and registers) or
  declines, and the unsubscribe page (``rsvp.py``).
"""

from flask import Blueprint

bp = Blueprint("invitations", __name__, url_prefix="/manage")
public_bp = Blueprint("rsvp", __name__)

from . import (  # noqa: E402,F401
    automation,
    imports,
    invitees,
    mailings,
    nominate_views,
    rsvp,
    travel_views,
)
