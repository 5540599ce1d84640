"""The .ics file: valid iCalendar with the event's zone, a stable UID and the right status."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from seminar_app.extensions import db
from seminar_app.models import EventStatus, Visibility
from seminar_app.services.documents.calendar import event_calendar
from tests.public_factories import create_event, utc


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def parse(data: bytes):
    calendar = Calendar.from_ical(data)
    return calendar, calendar.walk("VEVENT")[0]


def test_event_calendar_local_times_with_tzid(app, owner):
    event = create_event(owner, title="Workshop in Makassar", timezone="Asia/Makassar",
                         start_at=utc(2099, 3, 17, 1), end_at=utc(2099, 3, 17, 8),
                         venue_name="Universitas Hasanuddin", venue_city="Makassar",
                         description="## Agenda\n\nBring **your** laptop & ideas.")
    data = event_calendar(event)
    assert b"DTSTART;TZID=Asia/Makassar:20990317T090000" in data
    assert b"DTEND;TZID=Asia/Makassar:20990317T160000" in data
    calendar, vevent = parse(data)
    timezones = calendar.walk("VTIMEZONE")
    assert [str(tz["TZID"]) for tz in timezones] == ["Asia/Makassar"]
    start = vevent.decoded("DTSTART")
    assert start.utcoffset() == timedelta(hours=8)
    assert start.astimezone(ZoneInfo("UTC")) == utc(2099, 3, 17, 1)
    assert str(vevent["SUMMARY"]) == "Workshop in Makassar"
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert "Universitas Hasanuddin" in str(vevent["LOCATION"])
    assert str(vevent["URL"]) == f"{app.config['BASE_URL']}/events/{event.slug}"
    description = str(vevent["DESCRIPTION"])
    assert "Bring your laptop & ideas." in description and "**" not in description


def test_event_calendar_uid_stable_and_sequence_grows(app, owner):
    event = create_event(owner)
    _, first = parse(event_calendar(event))
    _, again = parse(event_calendar(event))
    assert str(first["UID"]) == str(again["UID"]) == f"event-{event.id}@{app.config['MAIL_DOMAIN']}"
    event.updated_at = event.created_at + timedelta(minutes=5)
    db.session.commit()
    _, changed = parse(event_calendar(event))
    assert str(changed["UID"]) == str(first["UID"])
    assert int(changed["SEQUENCE"]) > int(first["SEQUENCE"])


def test_event_calendar_cancelled(owner):
    event = create_event(owner, status=EventStatus.CANCELLED, cancellation_reason="Flooding.")
    _, vevent = parse(event_calendar(event))
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert "Flooding." in str(vevent["DESCRIPTION"])


def test_calendar_view_download(client, owner):
    event = create_event(owner, timezone="Asia/Jayapura",
                         start_at=utc(2099, 3, 17, 0), end_at=utc(2099, 3, 17, 8))
    response = client.get(f"/events/{event.slug}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert f'filename="{event.slug}.ics"' in response.headers["Content-Disposition"]
    assert b"DTSTART;TZID=Asia/Jayapura:20990317T090000" in response.data
    second = client.get(f"/events/{event.slug}/calendar.ics")
    assert parse(response.data)[1]["UID"] == parse(second.data)[1]["UID"]


def test_calendar_view_unlisted_by_link_draft_hidden(client, owner):
    unlisted = create_event(owner, visibility=Visibility.UNLISTED)
    draft = create_event(owner, status=EventStatus.DRAFT)
    assert client.get(f"/events/{unlisted.slug}/calendar.ics").status_code == 200
    assert client.get(f"/events/{draft.slug}/calendar.ics").status_code == 404
