"""Helpers shared by the public-page, agenda, calendar and demo tests: events made directly."""

from datetime import UTC, datetime, timedelta
from itertools import count

from seminar_app.extensions import db
from seminar_app.models import Event, EventStatus, EventType, Visibility, utcnow

_numbers = count(1)


def create_event(owner, **overrides) -> Event:
    """A published, public event starting in 30 days in Jakarta, registration open now."""
    number = next(_numbers)
    start = overrides.pop("start_at", None) or (utcnow() + timedelta(days=30)).replace(
        hour=2, minute=0, second=0, microsecond=0)
    values = {
        "slug": f"event-{number}",
        "title": f"Event {number}",
        "event_type": EventType.SEMINAR,
        "theme": "South-South Cooperation",
        "description": "A **seminar**.",
        "timezone": "Asia/Jakarta",
        "start_at": start,
        "end_at": start + timedelta(hours=8),
        "venue_name": "Gedung Pancasila",
        "venue_address": "Jl. Taman Pejambon No. 6",
        "venue_city": "Jakarta",
        "venue_country": "ID",
        "languages": "en,id",
        "capacity": 100,
        "visibility": Visibility.PUBLIC,
        "status": EventStatus.PUBLISHED,
        "registration_opens_at": utcnow() - timedelta(days=1),
        "registration_closes_at": None,
        "owner_id": owner.id,
    }
    values.update(overrides)
    event = Event(**values)
    db.session.add(event)
    db.session.commit()
    return event


def utc(*args) -> datetime:
    """A UTC datetime."""
    return datetime(*args, tzinfo=UTC)
