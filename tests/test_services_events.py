"""The event services: creating, editing, the life cycle, cloning, co-hosts and the team."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from seminar_app.models import (
    AgendaSession,
    AuditEntry,
    CoHost,
    Event,
    EventStatus,
    Speaker,
    TeamMember,
    Upload,
)
from seminar_app.services.errors import Conflict, PermissionDenied, ServiceError
from seminar_app.services.events import events as event_service

NEXT_YEAR = datetime.now(UTC).year + 1


def event_data(**overrides) -> dict:
    """Valid form-like data for an event next year in Jakarta, with local naive times."""
    data = {
        "title": "Forum on South-South Cooperation",
        "slug": "",
        "event_type": "forum",
        "theme": "Growing Together",
        "description": "## Welcome\n\nA **forum**.",
        "timezone": "Asia/Jakarta",
        "start_at": datetime(NEXT_YEAR, 3, 17, 9, 0),
        "end_at": datetime(NEXT_YEAR, 3, 18, 17, 0),
        "venue_name": "Gedung Pancasila",
        "venue_address": "Jl. Taman Pejambon No. 6",
        "venue_city": "Jakarta",
        "venue_country": "ID",
        "online_url": "",
        "languages": ["en", "id"],
        "capacity": 150,
        "registration_opens_at": datetime(NEXT_YEAR, 1, 10, 8, 0),
        "registration_closes_at": datetime(NEXT_YEAR, 3, 10, 23, 59),
        "visibility": "public",
        "contact_name": "Protocol Desk",
        "contact_email": "protocol@example.org",
        "contact_phone": "+62 21 344 1508",
    }
    data.update(overrides)
    return data


def png_bytes(size=(40, 30), color=(200, 16, 46), fmt="PNG") -> bytes:
    """A small image made with Pillow."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def event_factory(make_user):
    """A callable ``make(owner=None, **overrides)`` creating events through the service."""

    def _make(owner=None, **overrides):
        return event_service.create_event(owner=owner or make_user("organizer"),
                                          data=event_data(**overrides))

    return _make


@pytest.fixture
def make_event(make_user):
    """Factory: ``make_event(owner=None, **overrides)`` through the service."""
    return event_factory(make_user)


def _actions(db, event_id=None):
    query = select(AuditEntry.action).order_by(AuditEntry.id)
    if event_id is not None:
        query = query.where(AuditEntry.event_id == event_id)
    return list(db.session.scalars(query))


# --- creating and editing --------------------------------------------------------------------

def test_create_event_stores_every_field_in_utc(make_user, db):
    owner = make_user("organizer")
    event = event_service.create_event(owner=owner, data=event_data(slug="ssc-forum"))
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert stored.slug == "ssc-forum"
    assert stored.status == EventStatus.DRAFT
    assert stored.owner_id == owner.id
    assert stored.start_at == datetime(NEXT_YEAR, 3, 17, 2, 0, tzinfo=UTC)  # 09:00 WIB
    assert stored.end_at == datetime(NEXT_YEAR, 3, 18, 10, 0, tzinfo=UTC)
    assert stored.registration_closes_at == datetime(NEXT_YEAR, 3, 10, 16, 59, tzinfo=UTC)
    assert stored.languages == "en,id"
    assert stored.capacity == 150
    assert stored.venue_country == "ID"
    assert stored.contact_email == "protocol@example.org"
    assert _actions(db, event.id) == ["event.create"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.event_id == event.id))
    assert entry.user_id == owner.id and entry.object_type == "events"


def test_create_event_converts_from_the_event_time_zone(make_event):
    event = make_event(timezone="Asia/Jayapura")
    assert event.start_at == datetime(NEXT_YEAR, 3, 17, 0, 0, tzinfo=UTC)  # 09:00 WIT = UTC+9


@pytest.mark.parametrize(("title", "slug"), [
    ("Forum on South–South Cooperation 2026!", "forum-on-south-south-cooperation-2026"),
    ("Séminaire Café Diplomatique", "seminaire-cafe-diplomatique"),
    ("منتدى التعاون", "event"),
    ("x" * 120, "x" * 80),
])
def test_create_event_derives_slug_from_title(make_event, title, slug):
    assert make_event(title=title).slug == slug


def test_create_event_numbers_derived_slug_when_taken(make_event):
    first = make_event(title="Bali Forum")
    second = make_event(title="Bali Forum")
    third = make_event(title="Bali Forum")
    assert [first.slug, second.slug, third.slug] == ["bali-forum", "bali-forum-2", "bali-forum-3"]


def test_create_event_given_slug_taken_is_conflict_on_slug(make_event):
    make_event(slug="taken")
    with pytest.raises(Conflict) as caught:
        make_event(slug="taken")
    assert caught.value.field == "slug"
    assert "already used by another event" in caught.value.message


def test_create_event_slug_race_is_caught_by_database_constraint(make_event, monkeypatch, db):
    make_event(slug="raced")
    monkeypatch.setattr(event_service, "free_slug", lambda stem: "raced")
    with pytest.raises(Conflict) as caught:
        make_event(title="Another")
    assert caught.value.field == "slug"
    assert db.session.scalar(select(Event).where(Event.title == "Another")) is None


@pytest.mark.parametrize(("overrides", "field"), [
    ({"end_at": datetime(NEXT_YEAR, 3, 16, 9, 0)}, "end_at"),
    ({"end_at": datetime(NEXT_YEAR, 3, 17, 9, 0)}, "end_at"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"capacity": -5}, "capacity"),
    ({"capacity": 0}, "capacity"),
    ({"slug": "Not A Slug"}, "slug"),
    ({"slug": "double--hyphen"}, "slug"),
    ({"online_url": "javascript:alert(1)"}, "online_url"),
    ({"online_url": "ftp://example.org/x"}, "online_url"),
    ({"venue_country": "XX"}, "venue_country"),
    ({"registration_closes_at": datetime(NEXT_YEAR, 1, 1, 8, 0)}, "registration_closes_at"),
    ({"registration_closes_at": datetime(NEXT_YEAR, 3, 19, 8, 0)}, "registration_closes_at"),
    ({"registration_opens_at": datetime(NEXT_YEAR, 4, 1, 8, 0),
      "registration_closes_at": None}, "registration_opens_at"),
    ({"venue_name": "", "venue_address": "", "venue_city": "", "online_url": ""}, "venue_name"),
    ({"description": "x" * 20_001}, "description"),
    ({"title": "   "}, "title"),
    ({"languages": ["xx"]}, "languages"),
])
def test_create_event_refuses_bad_input_naming_the_field(make_user, db, overrides, field):
    with pytest.raises(ServiceError) as caught:
        event_service.create_event(owner=make_user("organizer"), data=event_data(**overrides))
    assert caught.value.field == field
    assert caught.value.message
    assert db.session.scalar(select(Event.id)) is None


def test_create_event_online_only_is_accepted(make_event):
    event = make_event(venue_name="", venue_address="", venue_city="", venue_country="",
                       online_url="https://meet.example.org/forum")
    assert event.online_url == "https://meet.example.org/forum"


def test_create_event_by_staff_is_refused(make_user):
    with pytest.raises(PermissionDenied):
        event_service.create_event(owner=make_user("staff"), data=event_data())


def test_update_event_changes_fields_and_audits(make_event, db):
    event = make_event(slug="old-address")
    event_service.update_event(event, data=event_data(title="New title", slug="",
                                                      capacity=None))
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.title == "New title"
    assert event.slug == "old-address"  # an empty slug keeps the address
    assert event.capacity is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "event.update"))
    assert "title" in entry.details["changed"] and "capacity" in entry.details["changed"]


def test_update_event_slug_of_another_event_is_conflict(make_event):
    make_event(slug="first")
    second = make_event(slug="second")
    with pytest.raises(Conflict) as caught:
        event_service.update_event(second, data=event_data(slug="first"))
    assert caught.value.field == "slug"


# --- life cycle ------------------------------------------------------------------------------

def test_publish_event_makes_draft_public(make_event, db):
    event = event_service.publish_event(make_event())
    assert event.status == EventStatus.PUBLISHED
    assert event.published_at is not None
    assert _actions(db, event.id) == ["event.create", "event.publish"]


def test_publish_event_twice_is_conflict(make_event):
    event = event_service.publish_event(make_event())
    with pytest.raises(Conflict):
        event_service.publish_event(event)


def test_publish_event_that_has_ended_is_refused(make_event, db):
    event = make_event()
    event.start_at = datetime.now(UTC) - timedelta(days=3)
    event.end_at = datetime.now(UTC) - timedelta(days=2)
    event.registration_opens_at = event.registration_closes_at = None
    db.session.commit()
    with pytest.raises(ServiceError):
        event_service.publish_event(event)
    assert db.session.get(Event, event.id).status == EventStatus.DRAFT


def test_publish_event_happening_now_is_allowed(make_event, db):
    event = make_event()
    event.start_at = datetime.now(UTC) - timedelta(hours=1)
    event.registration_opens_at = event.registration_closes_at = None
    db.session.commit()
    assert event_service.publish_event(event).is_published


def test_publish_event_without_venue_or_link_is_refused(make_event, db):
    event = make_event()
    event.venue_name = event.venue_address = event.venue_city = ""
    db.session.commit()
    with pytest.raises(ServiceError):
        event_service.publish_event(event)


def test_unpublish_event_returns_to_draft(make_event, db):
    event = event_service.unpublish_event(event_service.publish_event(make_event()))
    assert event.status == EventStatus.DRAFT
    assert _actions(db, event.id)[-1] == "event.unpublish"


def test_unpublish_event_of_a_draft_is_conflict(make_event):
    with pytest.raises(Conflict):
        event_service.unpublish_event(make_event())


def test_cancel_event_keeps_reason_and_is_final(make_event, db):
    event = event_service.publish_event(make_event())
    event_service.cancel_event(event, reason="  Postponed because of the floods.  ")
    assert event.status == EventStatus.CANCELLED
    assert event.cancellation_reason == "Postponed because of the floods."
    assert event.cancelled_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "event.cancel"))
    assert entry.details["reason"] == "Postponed because of the floods."
    with pytest.raises(Conflict):
        event_service.publish_event(event)
    with pytest.raises(Conflict):
        event_service.cancel_event(event)
    with pytest.raises(Conflict):
        event_service.unpublish_event(event)


# --- cloning ---------------------------------------------------------------------------------

def test_clone_event_copies_details_agenda_and_cohosts_not_team(make_event, make_user, db):
    owner, cloner, member = make_user("organizer"), make_user("organizer"), make_user("staff")
    event = event_service.publish_event(make_event(owner=owner, slug="asean-forum"))
    cohost = event_service.add_cohost(event, name="Ministry of Foreign Affairs", role="Host",
                                      logo=png_bytes(), logo_filename="kemlu.png")
    event_service.add_team_member(event, email=member.email, can_manage=True)
    session = AgendaSession(event_id=event.id, title="Opening", room="Hall A",
                            starts_at=event.start_at, ends_at=event.start_at + timedelta(hours=1))
    session.speakers.append(Speaker(name="H.E. Minister", title="Minister", position=1))
    db.session.add(session)
    db.session.commit()

    copy = event_service.clone_event(event, owner=cloner)
    again = event_service.clone_event(event, owner=cloner)
    db.session.expire_all()
    copy = db.session.get(Event, copy.id)
    assert copy.slug == "asean-forum-copy"
    assert db.session.get(Event, again.id).slug == "asean-forum-copy-2"
    assert copy.status == EventStatus.DRAFT and copy.published_at is None
    assert copy.owner_id == cloner.id
    assert (copy.title, copy.start_at, copy.capacity) == (event.title, event.start_at, 150)
    assert [(c.name, c.role, c.logo_id) for c in copy.cohosts] == [
        ("Ministry of Foreign Affairs", "Host", cohost.logo_id)]
    assert [s.title for s in copy.sessions] == ["Opening"]
    assert [sp.name for sp in copy.sessions[0].speakers] == ["H.E. Minister"]
    assert copy.sessions[0].id != session.id
    assert copy.team == []
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "event.clone",
                                                       AuditEntry.event_id == copy.id))
    assert entry.details["source_event_id"] == event.id


def test_clone_event_by_staff_is_refused(make_event, make_user):
    with pytest.raises(PermissionDenied):
        event_service.clone_event(make_event(), owner=make_user("staff"))


# --- co-hosts --------------------------------------------------------------------------------

def test_add_cohost_appends_in_order_with_logo(make_event, db):
    event = make_event()
    first = event_service.add_cohost(event, name="Kemlu", role="Host", url="https://kemlu.go.id",
                                     logo=png_bytes(), logo_filename="kemlu.png")
    second = event_service.add_cohost(event, name="UNDP")
    assert (first.position, second.position) == (1, 2)
    assert first.logo.content_type == "image/png"
    assert first.logo.filename == "kemlu.png"
    assert second.logo is None
    assert _actions(db, event.id).count("cohost.create") == 2


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"name": "  "}, "name"),
    ({"name": "Kemlu", "url": "javascript:alert(1)"}, "url"),
    ({"name": "Kemlu", "logo": b"<svg xmlns='http://www.w3.org/2000/svg'/>"}, "logo"),
])
def test_add_cohost_refuses_bad_input(make_event, db, kwargs, field):
    event = make_event()
    with pytest.raises(ServiceError) as caught:
        event_service.add_cohost(event, **kwargs)
    assert caught.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(CoHost.id)) is None
    assert db.session.scalar(select(Upload.id)) is None


def test_move_cohost_swaps_neighbours(make_event, db):
    event = make_event()
    a, b, c = (event_service.add_cohost(event, name=name) for name in "ABC")
    event_service.move_cohost(c, direction="up")
    event_service.move_cohost(a, direction="up")  # already first: no change
    db.session.expire_all()
    assert [x.name for x in db.session.get(Event, event.id).cohosts] == ["A", "C", "B"]
    event_service.move_cohost(db.session.get(CoHost, a.id), direction="down")
    db.session.expire_all()
    assert [x.name for x in db.session.get(Event, event.id).cohosts] == ["C", "A", "B"]


def test_update_cohost_replaces_logo_and_drops_the_old_one(make_event, db):
    cohost = event_service.add_cohost(make_event(), name="Kemlu", logo=png_bytes())
    old_id = cohost.logo_id
    event_service.update_cohost(cohost, name="Kemenlu", role="Host",
                                logo=png_bytes(color=(0, 0, 255)))
    assert cohost.name == "Kemenlu" and cohost.logo_id != old_id
    assert db.session.get(Upload, old_id) is None
    event_service.update_cohost(cohost, name="Kemenlu", remove_logo=True)
    assert cohost.logo_id is None
    assert db.session.scalar(select(Upload.id)) is None


def test_delete_cohost_keeps_logo_shared_with_a_clone(make_event, make_user, db):
    event = make_event()
    cohost = event_service.add_cohost(event, name="Kemlu", logo=png_bytes())
    logo_id = cohost.logo_id
    copy = event_service.clone_event(event, owner=make_user("organizer"))
    event_service.delete_cohost(cohost)
    assert db.session.get(Upload, logo_id) is not None  # the copy still shows it
    event_service.delete_cohost(copy.cohosts[0])
    assert db.session.get(Upload, logo_id) is None
    assert "cohost.delete" in _actions(db)


# --- the team --------------------------------------------------------------------------------

def test_add_team_member_by_email_with_rights(make_event, make_user, db):
    event = make_event()
    staff = make_user("staff", email="checkin@example.org")
    member = event_service.add_team_member(event, email="  CHECKIN@example.org ",
                                           can_checkin=True)
    assert (member.user_id, member.can_manage, member.can_invite, member.can_checkin) == (
        staff.id, False, False, True)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "team.add"))
    assert entry.event_id == event.id and entry.details["can_checkin"] is True


def test_add_team_member_unknown_email_names_the_field(make_event):
    with pytest.raises(ServiceError) as caught:
        event_service.add_team_member(make_event(), email="nobody@example.org")
    assert caught.value.field == "email"


def test_add_team_member_owner_and_duplicates_are_conflicts(make_event, make_user):
    owner = make_user("organizer")
    event = make_event(owner=owner)
    with pytest.raises(Conflict):
        event_service.add_team_member(event, email=owner.email)
    staff = make_user("staff")
    event_service.add_team_member(event, email=staff.email)
    with pytest.raises(Conflict) as caught:
        event_service.add_team_member(event, email=staff.email, can_manage=True)
    assert caught.value.field == "email"


def test_team_members_are_unique_in_the_database(make_event, make_user, db):
    event, staff = make_event(), make_user("staff")
    db.session.add_all([TeamMember(event_id=event.id, user_id=staff.id),
                        TeamMember(event_id=event.id, user_id=staff.id)])
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_update_and_remove_team_member(make_event, make_user, db):
    event, staff = make_event(), make_user("staff")
    member = event_service.add_team_member(event, email=staff.email)
    event_service.update_team_member(member, can_manage=True, can_invite=True, can_checkin=False)
    assert (member.can_manage, member.can_invite, member.can_checkin) == (True, True, False)
    event_service.remove_team_member(member)
    assert db.session.scalar(select(TeamMember.id)) is None
    assert _actions(db, event.id)[-2:] == ["team.update", "team.remove"]
