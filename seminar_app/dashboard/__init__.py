"""Dashboards and the post-event report (staff, under /manage).

- ``/manage/events/<event_id>/dashboard``: one event's charts (registrations over time,
  delegates by country, role and organisation type, invitation funnel, check-in by day), each
  with the same numbers as a table; printable;
- ``/manage/events/<event_id>/dashboard/report.pdf`` and ``report.xlsx``: the post-event report;
- ``/manage/dashboard``: every event the staff member may see, with totals.
"""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/manage")

from . import views  # noqa: E402,F401
