"""Shared set-up of the travel tests (issue 17): an event collecting travel, with hotels."""

from datetime import date, timedelta

from seminar_app.extensions import db
from seminar_app.models import Hotel, TravelSettings
from tests.factories import registration_event


def travel_event(owner, mode="optional", *, cutoff=None, **overrides):
    """A published event (30 days ahead, Jakarta) collecting travel, with one hotel of 5 rooms
    a night around it; (event, hotel)."""
    event = registration_event(owner, **overrides)
    db.session.add(TravelSettings(event_id=event.id, mode=mode, change_cutoff_at=cutoff))
    first = event.start_at.date() - timedelta(days=2)
    hotel = Hotel(event_id=event.id, name="Hotel Borobudur", address="Jl. Lapangan Banteng",
                  block_size=5, block_from=first, block_to=first + timedelta(days=5))
    db.session.add(hotel)
    db.session.commit()
    return event, hotel


def day(event, offset: int) -> date:
    """The event's first day shifted by ``offset`` days."""
    return event.start_at.date() + timedelta(days=offset)


def plan_form(event, hotel, **overrides) -> dict:
    """A valid travel form as a browser sends it (no CSRF token); None drops a field."""
    fields = {
        "arrival_date": day(event, -1).isoformat(), "arrival_time": "14:35",
        "arrival_mode": "flight", "arrival_number": "GA 881", "arrival_place": "cgk",
        "arrival_pickup": "y",
        "departure_date": day(event, 2).isoformat(), "departure_time": "09:10",
        "departure_mode": "flight", "departure_number": "GA 880", "departure_place": "CGK",
        "lodging": "hotel", "hotel_id": str(hotel.id),
        "check_in": day(event, -1).isoformat(), "check_out": day(event, 2).isoformat(),
        "share_with": "",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}
