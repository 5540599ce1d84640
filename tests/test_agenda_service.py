"""The agenda services: local times to UTC, the event's days, speakers, grouping, audit."""

from datetime import date, time

import pytest
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import AgendaSession, AuditEntry, Speaker
from seminar_app.services.errors import NotFound, ServiceError
from seminar_app.services.events import agenda as agenda_service
from tests.public_factories import create_event, utc


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    # 17 March 09:00 WIB to 18 March 17:00 WIB
    return create_event(owner, start_at=utc(2099, 3, 17, 2), end_at=utc(2099, 3, 18, 10))


def session_args(**overrides):
    values = {"day": date(2099, 3, 17), "start": time(9, 0), "end": time(10, 30),
              "title": "Opening remarks", "room": "Nusantara Hall", "description": "",
              "speakers": []}
    values.update(overrides)
    return values


def test_add_session_stores_utc_and_speakers(event):
    session = agenda_service.add_session(event, **session_args(speakers=[
        {"name": " Dr. Ratna ", "title": "Director of Technical Cooperation",
         "organisation": "Ministry of Foreign Affairs"},
        {"name": "", "title": "", "organisation": ""},
        {"name": "Prof. Hendra", "title": "", "organisation": "Universitas Indonesia"},
    ]))
    db.session.expire_all()
    stored = db.session.get(AgendaSession, session.id)
    assert stored.starts_at == utc(2099, 3, 17, 2)
    assert stored.ends_at == utc(2099, 3, 17, 3, 30)
    assert [(s.name, s.position) for s in stored.speakers] == [("Dr. Ratna", 0),
                                                               ("Prof. Hendra", 1)]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "agenda.session_add"))
    assert entry.event_id == event.id and entry.object_id == session.id


def test_add_session_in_the_event_zone(owner):
    event = create_event(owner, timezone="Asia/Jayapura",
                         start_at=utc(2099, 3, 17, 0), end_at=utc(2099, 3, 17, 8))
    session = agenda_service.add_session(event, **session_args(start=time(9, 0), end=time(10, 0)))
    assert session.starts_at == utc(2099, 3, 17, 0)


def test_add_session_end_must_follow_start(event):
    with pytest.raises(ServiceError) as caught:
        agenda_service.add_session(event, **session_args(start=time(10, 0), end=time(10, 0)))
    assert caught.value.field == "end_time"
    assert db.session.scalar(select(AgendaSession.id)) is None


@pytest.mark.parametrize("day", [date(2099, 3, 16), date(2099, 3, 19)])
def test_add_session_outside_event_days(event, day):
    with pytest.raises(ServiceError) as caught:
        agenda_service.add_session(event, **session_args(day=day))
    assert caught.value.field == "day"


def test_add_session_on_the_last_day_allowed(event):
    session = agenda_service.add_session(event, **session_args(day=date(2099, 3, 18)))
    assert session.starts_at == utc(2099, 3, 18, 2)


def test_add_session_speaker_without_name(event):
    with pytest.raises(ServiceError) as caught:
        agenda_service.add_session(event, **session_args(
            speakers=[{"name": "", "title": "Director", "organisation": ""}]))
    assert caught.value.field == "speakers"


def test_add_session_too_many_speakers(event):
    speakers = [{"name": f"Speaker {n}"} for n in range(agenda_service.MAX_SPEAKERS + 1)]
    with pytest.raises(ServiceError):
        agenda_service.add_session(event, **session_args(speakers=speakers))


def test_update_session_replaces_speakers(event):
    session = agenda_service.add_session(event, **session_args(
        speakers=[{"name": "A"}, {"name": "B"}]))
    agenda_service.update_session(session, **session_args(
        title="Keynote", start=time(11, 0), end=time(12, 0), day=date(2099, 3, 18),
        speakers=[{"name": "C", "title": "Minister", "organisation": "Bappenas"}]))
    db.session.expire_all()
    stored = db.session.get(AgendaSession, session.id)
    assert stored.title == "Keynote"
    assert stored.starts_at == utc(2099, 3, 18, 4)
    assert [s.name for s in stored.speakers] == ["C"]
    assert db.session.scalar(select(db.func.count(Speaker.id))) == 1


def test_delete_session_removes_speakers_and_audits(event):
    session = agenda_service.add_session(event, **session_args(speakers=[{"name": "A"}]))
    agenda_service.delete_session(session)
    assert db.session.scalar(select(AgendaSession.id)) is None
    assert db.session.scalar(select(Speaker.id)) is None
    assert db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "agenda.session_delete")) is not None


def test_get_session_refuses_another_events_session(owner, event):
    other = create_event(owner, start_at=utc(2099, 3, 17, 2), end_at=utc(2099, 3, 18, 10))
    session = agenda_service.add_session(other, **session_args())
    with pytest.raises(NotFound):
        agenda_service.get_session(event, session.id)
    assert agenda_service.get_session(other, session.id) is session


def test_sessions_by_day_uses_the_events_local_day(owner):
    # Asia/Jayapura is UTC+9: 23:30 UTC on the 16th is 08:30 on the 17th there.
    event = create_event(owner, timezone="Asia/Jayapura",
                         start_at=utc(2099, 3, 16, 23), end_at=utc(2099, 3, 18, 8))
    late = AgendaSession(event_id=event.id, starts_at=utc(2099, 3, 16, 23, 30),
                         ends_at=utc(2099, 3, 17, 0, 30), title="Morning in Jayapura")
    second = AgendaSession(event_id=event.id, starts_at=utc(2099, 3, 18, 1),
                           ends_at=utc(2099, 3, 18, 2), title="Second day")
    earlier = AgendaSession(event_id=event.id, starts_at=utc(2099, 3, 17, 5),
                            ends_at=utc(2099, 3, 17, 6), title="Afternoon")
    db.session.add_all([second, late, earlier])
    db.session.commit()
    db.session.expire_all()
    grouped = agenda_service.sessions_by_day(event)
    assert [(day, [s.title for s in sessions]) for day, sessions in grouped] == [
        (date(2099, 3, 17), ["Morning in Jayapura", "Afternoon"]),
        (date(2099, 3, 18), ["Second day"]),
    ]


def test_sessions_by_day_empty(event):
    assert agenda_service.sessions_by_day(event) == []
