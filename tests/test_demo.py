"""``flask demo load``: accounts, published upcoming events with open registration, idempotence."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import AuditEntry, Event, EventStatus, TeamMember, User, UserRole, utcnow
from seminar_app.services.access import Permission, has_permission
from seminar_app.services.accounts.users import find_user_by_email, password_matches
from tests.public_factories import create_event


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_load_creates_accounts_and_events(app, runner):
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "organizer@demo.seminar.test" in result.output
    events = {e.slug: e for e in db.session.scalars(select(Event))}
    assert len(events) == 3
    forum = events["south-south-cooperation-forum"]
    seminar = events["indonesia-south-south-cooperation-seminar"]
    workshop = events["triangular-cooperation-workshop-makassar"]
    assert forum.title == "Growing Together through South-South Cooperation"
    assert "42 invited countries" in forum.description
    assert "96 developing countries" in seminar.description
    assert workshop.timezone == "Asia/Makassar"
    for event in events.values():
        assert event.status == EventStatus.PUBLISHED
        assert event.registration_is_open()
        assert event.start_at > utcnow() + timedelta(days=20)
        assert event.cohosts and all(c.logo is not None for c in event.cohosts)
        assert event.cohosts[0].logo.content_type == "image/png"
        zone = ZoneInfo(event.timezone)
        first = event.start_at.astimezone(zone).date()
        last = event.end_at.astimezone(zone).date()
        assert all(first <= s.starts_at.astimezone(zone).date() <= last for s in event.sessions)
    forum_days = {s.starts_at.astimezone(ZoneInfo("Asia/Jakarta")).date() for s in forum.sessions}
    assert len(forum_days) == 2
    assert count(AuditEntry) >= 3
    organizer = find_user_by_email("organizer@demo.seminar.test")
    assert organizer.role == UserRole.ORGANIZER and forum.owner_id == organizer.id
    assert password_matches(organizer, app.config["DEMO_PASSWORD"])
    staff = find_user_by_email("staff@demo.seminar.test")
    assert has_permission(staff, forum, Permission.INVITE)
    assert has_permission(staff, forum, Permission.CHECKIN)
    assert not has_permission(staff, forum, Permission.MANAGE)
    assert find_user_by_email("admin@demo.seminar.test").role == UserRole.ADMIN


def test_demo_load_twice_with_if_empty_creates_once(runner):
    assert runner.invoke(args=["demo", "load", "--if-empty"]).exit_code == 0
    second = runner.invoke(args=["demo", "load", "--if-empty"])
    assert second.exit_code == 0
    assert "not loaded" in second.output
    assert count(Event) == 3 and count(User) == 3 and count(TeamMember) == 1


def test_demo_load_without_flag_skips_existing_demo_events(runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0, again.output
    assert count(Event) == 3 and count(User) == 3


def test_demo_load_if_empty_does_nothing_when_events_exist(runner, make_user):
    create_event(make_user("organizer"))
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0
    assert count(Event) == 1
    assert find_user_by_email("admin@demo.seminar.test") is None


def test_demo_pages_render(runner, client):
    runner.invoke(args=["demo", "load", "--if-empty"])
    listing = client.get("/").get_data(as_text=True)
    assert "Growing Together through South-South Cooperation" in listing
    assert "WITA" in listing and "WIB" in listing
    for event in db.session.scalars(select(Event)):
        response = client.get(f"/events/{event.slug}")
        assert response.status_code == 200
        assert f"/events/{event.slug}/register" in response.get_data(as_text=True)
        assert client.get(f"/events/{event.slug}/calendar.ics").status_code == 200


def test_demo_registers_the_forum_delegations(app, db):
    from seminar_app.demo import FORUM_DELEGATES, load_demo
    from seminar_app.models import Event, Registration, RegistrationStatus

    load_demo()
    forum = db.session.scalar(db.select(Event).where(Event.event_type == "forum"))
    registrations = db.session.scalars(
        db.select(Registration).where(Registration.event_id == forum.id)
    ).all()
    assert len(registrations) == len(FORUM_DELEGATES)
    assert {r.status for r in registrations} == {RegistrationStatus.CONFIRMED}
    assert len({r.country for r in registrations}) >= 15


def test_demo_forum_has_hotels_and_arrivals_on_the_board(app, db, client, auth, make_user):
    from seminar_app.demo import load_demo
    from seminar_app.models import Event, TeamMember, TravelPlan
    from seminar_app.services.travel.demo import DEMO_ARRIVALS, DEMO_HOTELS

    load_demo()
    forum = db.session.scalar(db.select(Event).where(Event.event_type == "forum"))
    plans = db.session.scalars(db.select(TravelPlan).where(TravelPlan.event_id == forum.id)).all()
    assert len(plans) == len(DEMO_ARRIVALS)
    staff = make_user("staff")
    db.session.add(TeamMember(event_id=forum.id, user_id=staff.id))
    db.session.commit()
    auth.login(staff)
    board = client.get(f"/manage/events/{forum.id}/travel/arrivals?day=all")
    assert board.status_code == 200
    assert "GA 821" in board.get_data(as_text=True)
    rooming = client.get(f"/manage/events/{forum.id}/travel/rooming?hotel=all")
    assert all(name in rooming.get_data(as_text=True) for name, _a, _s in DEMO_HOTELS)
