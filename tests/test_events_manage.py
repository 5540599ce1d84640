"""Organizer pages for events: the list, creating, editing, the life cycle, cloning, access."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from seminar_app.models import AuditEntry, Event, EventStatus
from seminar_app.services.events import events as event_service
from tests.conftest import post_form
from tests.test_services_events import NEXT_YEAR, event_factory

ANY_EVENT_URLS = [
    ("get", "/manage/"),
    ("get", "/manage/events/new"),
    ("post", "/manage/events/new"),
    ("get", "/manage/events/{id}"),
    ("get", "/manage/events/{id}/edit"),
    ("post", "/manage/events/{id}/edit"),
    ("post", "/manage/events/{id}/publish"),
    ("post", "/manage/events/{id}/unpublish"),
    ("post", "/manage/events/{id}/cancel"),
    ("post", "/manage/events/{id}/clone"),
    ("get", "/manage/events/{id}/cohosts"),
    ("get", "/manage/events/{id}/team"),
]


@pytest.fixture
def make_event(make_user):
    """Factory: ``make_event(owner=None, **overrides)`` through the service."""
    return event_factory(make_user)


def form_data(**overrides) -> dict:
    """The event form as a browser sends it (local times as datetime-local strings)."""
    data = {
        "title": "Forum on South-South Cooperation",
        "slug": "",
        "event_type": "forum",
        "theme": "Growing Together",
        "description": "A **forum**.",
        "timezone": "Asia/Jakarta",
        "start_at": f"{NEXT_YEAR}-03-17T09:00",
        "end_at": f"{NEXT_YEAR}-03-18T17:00",
        "venue_name": "Gedung Pancasila",
        "venue_address": "Jl. Taman Pejambon No. 6",
        "venue_city": "Jakarta",
        "venue_country": "ID",
        "online_url": "",
        "languages": ["en", "id"],
        "capacity": "150",
        "registration_opens_at": f"{NEXT_YEAR}-01-10T08:00",
        "registration_closes_at": f"{NEXT_YEAR}-03-10T23:59",
        "visibility": "public",
        "contact_name": "Protocol Desk",
        "contact_email": "protocol@example.org",
        "contact_phone": "+62 21 344 1508",
    }
    data.update(overrides)
    return data


def field_errors(body: str, field: str) -> str:
    """The text of the error block rendered under ``field`` ("" when there is none)."""
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</div>\s*</div>', body, re.S)
    return match.group(1) if match else ""


@pytest.fixture
def organizer(make_user, auth):
    user = make_user("organizer")
    auth.login(user)
    return user


# --- access ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "url"), ANY_EVENT_URLS)
def test_manage_pages_send_anonymous_users_to_login(client, make_event, method, url):
    event = make_event()
    response = (client.get(url.format(id=event.id)) if method == "get"
                else post_form(client, url.format(id=event.id)))
    assert response.status_code == 302
    assert "/manage/login" in response.headers["Location"]


@pytest.mark.parametrize(("method", "url"), ANY_EVENT_URLS[3:])
def test_event_pages_refuse_other_organizers(client, make_event, organizer, method, url):
    event = make_event()  # owned by someone else
    response = (client.get(url.format(id=event.id)) if method == "get"
                else post_form(client, url.format(id=event.id)))
    assert response.status_code == 403


def test_event_pages_missing_event_is_404(client, organizer):
    assert client.get("/manage/events/424242").status_code == 404
    assert client.get("/manage/events/424242/edit").status_code == 404


def test_index_shows_own_and_team_events_only(client, make_user, make_event, auth):
    organizer = make_user("organizer")
    own = make_event(owner=organizer, title="Own forum")
    on_team = make_event(title="Team seminar")
    event_service.add_team_member(on_team, email=organizer.email, can_invite=True)
    make_event(title="Someone else's workshop")
    auth.login(organizer)
    body = client.get("/manage/").get_data(as_text=True)
    assert "Own forum" in body and "Team seminar" in body
    assert "Someone else" not in body
    assert f"/manage/events/{own.id}" in body
    assert "/manage/events/new" in body  # the New event button


def test_index_admin_sees_every_event(client, make_user, make_event, auth):
    make_event(title="First forum")
    make_event(title="Second forum")
    auth.login(make_user("admin"))
    body = client.get("/manage/").get_data(as_text=True)
    assert "First forum" in body and "Second forum" in body


def test_index_filters_by_status_and_title(client, organizer, make_event):
    event_service.publish_event(make_event(owner=organizer, title="Published forum"))
    make_event(owner=organizer, title="Draft seminar")
    body = client.get("/manage/?status=published").get_data(as_text=True)
    assert "Published forum" in body and "Draft seminar" not in body
    body = client.get("/manage/?q=semin").get_data(as_text=True)
    assert "Draft seminar" in body and "Published forum" not in body
    body = client.get("/manage/?q=%25").get_data(as_text=True)
    assert "No event matches" in body


def test_index_staff_has_no_new_event_button_and_cannot_create(client, make_user, auth):
    auth.login(make_user("staff"))
    assert "/manage/events/new" not in client.get("/manage/").get_data(as_text=True)
    assert client.get("/manage/events/new").status_code == 403
    assert post_form(client, "/manage/events/new", form_data()).status_code == 403


# --- creating --------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "id"])
def test_event_create_form_renders_in_both_languages(client, organizer, lang):
    client.set_cookie("lang", lang)
    response = client.get("/manage/events/new")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in body
    assert 'type="datetime-local"' in body
    assert 'value="Asia/Jakarta" selected' in body or 'selected value="Asia/Jakarta"' in body


def test_event_create_stores_the_event_and_redirects(client, organizer, db):
    response = post_form(client, "/manage/events/new", form_data())
    assert response.status_code == 302
    event = db.session.scalar(select(Event))
    assert response.headers["Location"].endswith(f"/manage/events/{event.id}")
    assert event.slug == "forum-on-south-south-cooperation"
    assert event.owner_id == organizer.id
    assert event.start_at == datetime(NEXT_YEAR, 3, 17, 2, 0, tzinfo=UTC)
    assert event.languages == "en,id"
    assert event.status == EventStatus.DRAFT
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "created as a draft" in body
    assert "WIB" in body  # shown in the event's zone


BAD_INPUT = [
    ({"end_at": f"{NEXT_YEAR}-03-16T09:00"}, "end_at", "The end must be after the start"),
    ({"timezone": "Mars/Olympus"}, "timezone", "Unknown time zone"),
    ({"capacity": "-3"}, "capacity", "at least 1"),
    ({"capacity": "many"}, "capacity", "Not a valid integer value"),
    ({"online_url": "javascript:alert(1)"}, "online_url", "http:// or https://"),
    ({"venue_country": "XX"}, "venue_country", "choose a country"),
    ({"registration_opens_at": f"{NEXT_YEAR}-03-01T08:00",
      "registration_closes_at": f"{NEXT_YEAR}-02-01T08:00"},
     "registration_closes_at", "close after it opens"),
    ({"registration_closes_at": f"{NEXT_YEAR}-03-20T08:00"},
     "registration_closes_at", "cannot close after the event ends"),
    ({"description": "x" * 20_001}, "description", "at most 20000 characters"),
    ({"slug": "Bad Address!"}, "slug", "lower-case letters"),
    ({"start_at": "tomorrow"}, "start_at", "Not a valid datetime value"),
    ({"title": ""}, "title", "give the event a title"),
    ({"venue_name": "", "venue_address": "", "venue_city": "", "online_url": ""},
     "venue_name", "venue or an online link"),
    ({"contact_email": "not-an-email"}, "contact_email", "valid email"),
    ({"languages": []}, "languages", "at least one language"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_INPUT)
def test_event_create_bad_input_shows_message_next_to_field(client, organizer, db, overrides,
                                                             field, message):
    response = post_form(client, "/manage/events/new", form_data(**overrides))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in field_errors(body, field)
    assert db.session.scalar(select(Event.id)) is None


@pytest.mark.parametrize(("overrides", "field", "_message"), BAD_INPUT)
def test_event_create_bad_input_in_indonesian(client, organizer, overrides, field, _message):
    client.set_cookie("lang", "id")
    response = post_form(client, "/manage/events/new", form_data(**overrides))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<html lang="id">' in body
    assert field_errors(body, field)


def test_event_create_slug_taken_is_409_next_to_slug(client, organizer, make_event, db):
    make_event(slug="taken-address")
    response = post_form(client, "/manage/events/new", form_data(slug="taken-address"))
    assert response.status_code == 409
    assert "already used by another event" in field_errors(response.get_data(as_text=True),
                                                           "slug")
    assert db.session.scalar(select(Event.id).where(Event.owner_id == organizer.id)) is None


@pytest.mark.parametrize("megabytes", [3, 10])
def test_event_create_huge_description_is_refused_cleanly(client, organizer, db, megabytes):
    response = post_form(client, "/manage/events/new",
                         form_data(description="x" * (megabytes * 1024 * 1024)))
    assert response.status_code in (413, 422)
    body = response.get_data(as_text=True)
    assert "too large" in body.lower() or "too long" in body.lower()
    assert db.session.scalar(select(Event.id)) is None


def test_event_create_large_description_below_form_limit_gets_field_message(client, organizer):
    response = post_form(client, "/manage/events/new", form_data(description="x" * 500_000))
    assert response.status_code == 422
    assert "too long" in field_errors(response.get_data(as_text=True), "description")


# --- editing ---------------------------------------------------------------------------------

def test_event_edit_shows_local_times_and_saves(client, organizer, make_event, db):
    event = make_event(owner=organizer, timezone="Asia/Makassar")
    body = client.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)
    assert f'value="{NEXT_YEAR}-03-17T09:00"' in body
    assert f'href="/manage/events/{event.id}/agenda"' in body  # the tabs
    response = post_form(client, f"/manage/events/{event.id}/edit",
                         form_data(title="Renamed forum", timezone="Asia/Makassar",
                                   slug=event.slug))
    assert response.status_code == 302
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.title == "Renamed forum"
    assert event.start_at == datetime(NEXT_YEAR, 3, 17, 1, 0, tzinfo=UTC)  # 09:00 WITA


def test_event_edit_slug_of_another_event_is_409(client, organizer, make_event):
    make_event(slug="somebody-elses")
    event = make_event(owner=organizer)
    response = post_form(client, f"/manage/events/{event.id}/edit",
                         form_data(slug="somebody-elses"))
    assert response.status_code == 409
    assert "already used" in field_errors(response.get_data(as_text=True), "slug")


# --- life cycle ------------------------------------------------------------------------------

def test_event_publish_unpublish_cancel_through_the_pages(client, organizer, make_event, db):
    event = make_event(owner=organizer)
    base = f"/manage/events/{event.id}"
    assert post_form(client, f"{base}/publish").status_code == 302
    assert db.session.get(Event, event.id).status == EventStatus.PUBLISHED
    assert post_form(client, f"{base}/unpublish").status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == EventStatus.DRAFT
    assert post_form(client, f"{base}/cancel", {"reason": "Moved to next year."}).status_code == 302
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.status == EventStatus.CANCELLED
    assert event.cancellation_reason == "Moved to next year."
    actions = list(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.event_id == event.id, AuditEntry.user_id == organizer.id)
        .order_by(AuditEntry.id)))
    assert actions == ["event.create", "event.publish", "event.unpublish", "event.cancel"]
    body = client.get(base).get_data(as_text=True)
    assert "Moved to next year." in body


def test_event_publish_cancelled_event_is_409_with_message(client, organizer, make_event, db):
    event = event_service.cancel_event(make_event(owner=organizer))
    response = post_form(client, f"/manage/events/{event.id}/publish")
    assert response.status_code == 409
    assert "cannot be published again" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == EventStatus.CANCELLED


def test_event_unpublish_draft_is_409(client, organizer, make_event):
    event = make_event(owner=organizer)
    response = post_form(client, f"/manage/events/{event.id}/unpublish")
    assert response.status_code == 409


def test_event_cancel_reason_too_long_is_422(client, organizer, make_event, db):
    event = make_event(owner=organizer)
    response = post_form(client, f"/manage/events/{event.id}/cancel", {"reason": "x" * 2001})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "reason")
    assert db.session.get(Event, event.id).status == EventStatus.DRAFT


def test_event_clone_redirects_to_the_copy_edit_page(client, organizer, make_event, db):
    event = make_event(owner=organizer, slug="bali-forum")
    response = post_form(client, f"/manage/events/{event.id}/clone")
    copy = db.session.scalar(select(Event).where(Event.slug == "bali-forum-copy"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/events/{copy.id}/edit")
    assert copy.owner_id == organizer.id and copy.status == EventStatus.DRAFT


def test_event_overview_shows_actions_for_managers(client, organizer, make_event):
    event = make_event(owner=organizer)
    body = client.get(f"/manage/events/{event.id}").get_data(as_text=True)
    for action in ("publish", "clone", "cancel", "edit"):
        assert f"/manage/events/{event.id}/{action}" in body
    assert f"/events/{event.slug}" in body


# --- team rights -----------------------------------------------------------------------------

def test_staff_with_checkin_only_can_view_but_not_change(client, make_user, make_event, auth,
                                                         db):
    staff = make_user("staff")
    event = make_event()
    event_service.add_team_member(event, email=staff.email, can_checkin=True)
    auth.login(staff)
    base = f"/manage/events/{event.id}"
    assert event.title in client.get("/manage/").get_data(as_text=True)
    overview = client.get(base)
    assert overview.status_code == 200
    assert f"{base}/publish" not in overview.get_data(as_text=True)
    assert client.get(f"{base}/edit").status_code == 403
    assert post_form(client, f"{base}/edit", form_data()).status_code == 403
    assert post_form(client, f"{base}/publish").status_code == 403
    assert post_form(client, f"{base}/clone").status_code == 403
    assert db.session.get(Event, event.id).status == EventStatus.DRAFT


def test_team_member_with_manage_can_edit(client, make_user, make_event, auth, db):
    staff = make_user("staff")
    event = make_event()
    event_service.add_team_member(event, email=staff.email, can_manage=True)
    auth.login(staff)
    response = post_form(client, f"/manage/events/{event.id}/edit",
                         form_data(title="Edited by the team", slug=event.slug))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).title == "Edited by the team"
    # staff may manage but not create events, so no clone
    assert post_form(client, f"/manage/events/{event.id}/clone").status_code == 403


def test_event_list_pages_keep_the_filter(client, organizer, make_event):
    for number in range(27):
        make_event(owner=organizer, title=f"Seminar {number:02d}")
    html = client.get("/manage/?q=Seminar").get_data(as_text=True)
    assert "Page 1 of 2" in html
    assert 'href="/manage/?page=2&amp;q=Seminar"' in html
    second = client.get("/manage/?page=2&q=Seminar").get_data(as_text=True)
    assert "Page 2 of 2" in second and 'href="/manage/?page=1&amp;q=Seminar"' in second
