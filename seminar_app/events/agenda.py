"""Organizer pages for the programme (sessions and speakers)."""

from flask import abort

from . import manage_bp


@manage_bp.get("/events/<int:event_id>/agenda")
def agenda(event_id: int):
    """The event's programme, grouped by day."""
    abort(404)
