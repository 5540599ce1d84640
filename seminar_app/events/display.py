"""Public event pages."""

from flask import render_template

from . import public_bp


@public_bp.get("/")
def index():
    """Upcoming events."""
    return render_template("events/event_list.html", events=[])
