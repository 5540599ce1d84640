"""The JSON API: authentication, scope, every endpoint, pagination, filters, errors, limits."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from seminar_app.models import (
    ApiToken,
    AuditEntry,
    Event,
    Mailing,
    RegistrationStatus,
    utcnow,
)
from seminar_app.services.accounts import api_tokens
from tests.factories import (
    add_invitee,
    add_registration,
    add_team_member,
    logged_in,
    registration_event,
)


def bearer(secret: str, **headers) -> dict:
    return {"Authorization": f"Bearer {secret}", **headers}


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return registration_event(owner, title="Jakarta Forum")


@pytest.fixture
def writer(owner, event):
    """A read+write token of the owner, valid for all their events."""
    return api_tokens.create_token(owner, name="Website", can_write=True)[1]


@pytest.fixture
def reader(owner, event):
    return api_tokens.create_token(owner, name="Reader")[1]


def registration_body(**overrides) -> dict:
    body = {"honorific": "he", "given_name": "Retno", "family_name": "Marsudi",
            "email": "retno@example.org", "country": "ID",
            "organisation": "Ministry of Foreign Affairs", "delegation_role": "head",
            "phone": "+62 21 3441508", "language": "id"}
    body.update(overrides)
    return body


# --- documents -------------------------------------------------------------------------------

def test_openapi_document_is_public_and_lists_every_route(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    documented = {(path, method) for path, item in document["paths"].items()
                  for method in item if method != "parameters"}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint not in ("api.openapi", "api.docs"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented


def test_docs_page_uses_the_vendored_ui_without_inline_script(client):
    response = client.get("/api/v1/docs")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js" in html
    assert "<script>" not in html and "cdn" not in html.lower()
    assert client.get("/static/vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js").status_code \
        == 200
    assert client.get("/static/js/api_docs.js").status_code == 200


# --- authentication --------------------------------------------------------------------------

def _assert_401(response):
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_missing_invalid_revoked_and_expired_tokens_are_refused(client, owner, event, db):
    _assert_401(client.get("/api/v1/events"))
    _assert_401(client.get("/api/v1/events", headers=bearer("sat_not-a-real-token")))
    _assert_401(client.get("/api/v1/events", headers={"Authorization": "Basic abc"}))
    token, secret = api_tokens.create_token(owner, name="Old")
    assert client.get("/api/v1/events", headers=bearer(secret)).status_code == 200
    api_tokens.revoke_token(token, actor=owner)
    _assert_401(client.get("/api/v1/events", headers=bearer(secret)))
    token, secret = api_tokens.create_token(owner, name="Short-lived")
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    _assert_401(client.get("/api/v1/events", headers=bearer(secret)))


def test_deactivated_account_stops_its_tokens(client, owner, event, writer, db):
    owner.active = False
    db.session.commit()
    _assert_401(client.get("/api/v1/events", headers=bearer(writer)))


def test_a_login_session_is_ignored(app, owner, event):
    client = logged_in(app, owner)
    _assert_401(client.get("/api/v1/events"))
    # no CSRF token is needed, and cookies do not authenticate a write either
    _assert_401(client.post("/api/v1/events", json={"title": "x"}))


def test_last_used_is_noted(client, owner, event, writer, db):
    client.get("/api/v1/events", headers=bearer(writer))
    token = db.session.scalar(select(ApiToken))
    assert token.last_used_at is not None


def test_message_language_follows_accept_language(client):
    english = client.get("/api/v1/nowhere").get_json()["error"]["message"]
    indonesian = client.get("/api/v1/nowhere",
                            headers={"Accept-Language": "id"}).get_json()["error"]["message"]
    assert english != indonesian
    # the language cookie of the web pages does not count here
    client.set_cookie("lang", "id")
    assert client.get("/api/v1/nowhere").get_json()["error"]["message"] == english


# --- scope -----------------------------------------------------------------------------------

def test_token_scoped_to_one_event_cannot_see_another(client, owner, event):
    other = registration_event(owner, title="Other Forum")
    add_registration(other, email="secret@example.org")
    token, secret = api_tokens.create_token(owner, name="Only Jakarta", event_ids=[event.id])
    listed = client.get("/api/v1/events", headers=bearer(secret)).get_json()
    assert [item["id"] for item in listed["data"]] == [event.id]
    response = client.get(f"/api/v1/events/{other.id}/registrations", headers=bearer(secret))
    assert response.status_code == 404
    assert "secret@example.org" not in response.get_data(as_text=True)
    assert client.get(f"/api/v1/events/{other.id}", headers=bearer(secret)).status_code == 404
    # an event id that does not exist answers the same
    assert client.get("/api/v1/events/999999", headers=bearer(secret)).status_code == 404
    # a scoped token cannot create events
    assert client.post("/api/v1/events", headers=bearer(secret), json={}).status_code == 403


def test_events_of_other_organizers_are_out_of_reach(client, make_user, event, writer):
    stranger = registration_event(make_user("organizer"))
    assert client.get(f"/api/v1/events/{stranger.id}", headers=bearer(writer)).status_code \
        == 404


def test_team_member_rights_apply(client, make_user, event):
    staff = make_user("staff")
    add_team_member(event, staff, can_checkin=True)
    add_registration(event, needs_visa_letter=True, passport_number="X1234567")
    secret = api_tokens.create_token(staff, name="Desk", can_write=True)[1]
    listed = client.get(f"/api/v1/events/{event.id}/registrations", headers=bearer(secret))
    assert listed.status_code == 200
    assert "passport_number" not in listed.get_json()["data"][0]  # no MANAGE right
    response = client.get(f"/api/v1/events/{event.id}/invitees", headers=bearer(secret))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    response = client.patch(f"/api/v1/events/{event.id}", headers=bearer(secret),
                            json={"title": "Hijacked"})
    assert response.status_code == 403


def test_read_only_token_cannot_write(client, event, reader, db):
    response = client.patch(f"/api/v1/events/{event.id}", headers=bearer(reader),
                            json={"title": "Changed"})
    assert response.status_code == 403
    db.session.refresh(event)
    assert event.title == "Jakarta Forum"


# --- events ----------------------------------------------------------------------------------

def test_event_list_paginates_with_link_header(client, owner, writer):
    for number in range(5):
        registration_event(owner, start_at=(utcnow() + timedelta(days=10 + number))
                           .replace(microsecond=0))
    response = client.get("/api/v1/events?per_page=2&page=2", headers=bearer(writer))
    body = response.get_json()
    assert response.status_code == 200
    assert body["meta"] == {"page": 2, "per_page": 2, "total": 6}
    assert len(body["data"]) == 2
    assert 'rel="next"' in response.headers["Link"] and 'rel="prev"' in response.headers["Link"]
    assert "page=3" in response.headers["Link"]
    for bad in ("per_page=101", "page=0", "per_page=abc"):
        response = client.get(f"/api/v1/events?{bad}", headers=bearer(writer))
        assert response.status_code == 400, bad
        assert response.get_json()["error"]["code"] == "bad_request"


def test_event_filters(client, owner, event, writer):
    draft = registration_event(owner, title="Budget Workshop", status="draft",
                               start_at=(utcnow() + timedelta(days=90)).replace(microsecond=0))

    def ids(query):
        response = client.get(f"/api/v1/events?{query}", headers=bearer(writer))
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["data"]]

    assert ids("status=draft") == [draft.id]
    assert ids("q=budget") == [draft.id]
    later = (utcnow() + timedelta(days=60)).date().isoformat()
    assert ids(f"from={later}") == [draft.id]
    assert ids(f"to={later}") == [event.id]
    assert client.get("/api/v1/events?status=nope", headers=bearer(writer)).status_code == 400


def test_event_read_create_and_update(client, owner, event, writer, db):
    response = client.get(f"/api/v1/events/{event.id}", headers=bearer(writer))
    data = response.get_json()["data"]
    assert data["title"] == "Jakarta Forum" and data["start_at"].endswith("Z")
    assert data["languages"] == ["en", "id"]

    body = {"title": "Makassar Seminar", "start_at": "2031-03-10T09:00:00+08:00",
            "end_at": "2031-03-10T17:00:00+08:00", "timezone": "Asia/Makassar",
            "venue_city": "Makassar", "capacity": 50, "languages": ["en"]}
    response = client.post("/api/v1/events", headers=bearer(writer), json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()["data"]
    assert created["status"] == "draft" and created["start_at"] == "2031-03-10T01:00:00Z"
    assert response.headers["Location"].endswith(f"/api/v1/events/{created['id']}")
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "event.create"))
    assert audit.user_id == owner.id

    response = client.patch(f"/api/v1/events/{created['id']}", headers=bearer(writer),
                            json={"capacity": None, "theme": "Blue economy"})
    assert response.status_code == 200
    assert response.get_json()["data"]["capacity"] is None
    assert response.get_json()["data"]["title"] == "Makassar Seminar"

    response = client.patch(f"/api/v1/events/{created['id']}", headers=bearer(writer),
                            json={"end_at": "2031-03-09T09:00:00Z"})
    assert response.status_code == 422
    assert "end_at" in response.get_json()["error"]["fields"]
    response = client.post("/api/v1/events", headers=bearer(writer),
                           json={"title": 5, "start_at": "yesterday"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) >= {"title", "start_at", "end_at"}


def test_staff_cannot_create_events(client, make_user, event):
    staff = make_user("staff")
    add_team_member(event, staff, can_manage=True)
    secret = api_tokens.create_token(staff, name="Staff", can_write=True)[1]
    response = client.post("/api/v1/events", headers=bearer(secret), json={
        "title": "Mine", "start_at": "2031-01-01T01:00:00Z", "end_at": "2031-01-01T05:00:00Z",
        "venue_city": "Bogor"})
    assert response.status_code == 403


# --- registrations ---------------------------------------------------------------------------

def test_registration_create_read_and_filters(client, event, writer, db):
    url = f"/api/v1/events/{event.id}/registrations"
    response = client.post(url, headers=bearer(writer),
                           json=registration_body(organisation_type="embassy"))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["status"] == "confirmed" and data["source"] == "staff"
    assert data["organisation_type"] == "embassy" and data["delegation_id"] is None
    assert data["phone"] == "+62213441508" and "passport_number" in data
    add_registration(event, country="MY", email="my@example.org")
    add_registration(event, status=RegistrationStatus.PENDING, email="p@example.org")

    def emails(query):
        body = client.get(f"{url}?{query}", headers=bearer(writer)).get_json()
        return sorted(item["email"] for item in body["data"])

    assert emails("country=MY") == ["my@example.org"]
    assert emails("status=pending") == ["p@example.org"]
    assert emails("q=retno") == ["retno@example.org"]
    assert emails("role=head") == ["retno@example.org"]
    assert emails("checked_in=true") == []
    one = client.get(f"{url}/{data['id']}", headers=bearer(writer))
    assert one.get_json()["data"]["email"] == "retno@example.org"
    duplicate = client.post(url, headers=bearer(writer), json=registration_body())
    assert duplicate.status_code == 409
    assert duplicate.get_json()["error"]["fields"] == {"email": duplicate.get_json()["error"]
                                                       ["message"]}
    invalid = client.post(url, headers=bearer(writer),
                          json=registration_body(email="x@example.org", country="ZZ",
                                                 honorific="king", phone="12"))
    assert invalid.status_code == 422
    assert "honorific" in invalid.get_json()["error"]["fields"]


def test_capacity_applies_through_the_api(client, owner, writer, db):
    full = registration_event(owner, capacity=1)
    add_registration(full)
    url = f"/api/v1/events/{full.id}/registrations"
    response = client.post(url, headers=bearer(writer), json=registration_body())
    assert response.status_code == 201
    assert response.get_json()["data"]["status"] == "waitlisted"
    # approving a pending registration of a full event puts it on the waiting list too
    pending = add_registration(full, status=RegistrationStatus.PENDING, email="p@example.org")
    response = client.post(f"{url}/{pending.id}/status", headers=bearer(writer),
                           json={"status": "approve"})
    assert response.status_code == 200
    assert response.get_json()["data"]["status"] == "waitlisted"


def test_quota_refuses_a_country_change_through_the_rules(client, owner, writer):
    event = registration_event(owner, country_quota=1)
    add_registration(event, country="MY", email="a@example.org")
    response = client.post(f"/api/v1/events/{event.id}/registrations", headers=bearer(writer),
                           json=registration_body(country="MY"))
    assert response.get_json()["data"]["status"] == "waitlisted"


def test_status_changes_and_check_in(client, event, writer, db):
    url = f"/api/v1/events/{event.id}/registrations"
    pending = add_registration(event, status=RegistrationStatus.PENDING, email="a@example.org")
    response = client.post(f"{url}/{pending.id}/status", headers=bearer(writer),
                           json={"status": "reject", "reason": "Late"})
    assert response.get_json()["data"]["status"] == "rejected"
    assert response.get_json()["data"]["decision_reason"] == "Late"
    again = client.post(f"{url}/{pending.id}/status", headers=bearer(writer),
                        json={"status": "approve"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    confirmed = add_registration(event, email="b@example.org")
    first = client.post(f"{url}/{confirmed.id}/check-in", headers=bearer(writer))
    assert first.status_code == 200 and first.get_json()["already_checked_in"] is False
    second = client.post(f"{url}/{confirmed.id}/check-in", headers=bearer(writer))
    assert second.get_json()["already_checked_in"] is True
    assert second.get_json()["data"]["checked_in_at"] == first.get_json()["data"]["checked_in_at"]
    response = client.post(f"{url}/{confirmed.id}/status", headers=bearer(writer),
                           json={"status": "cancel"})
    assert response.get_json()["data"]["status"] == "cancelled"
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"registration.reject", "registration.check_in", "registration.cancel"} <= actions
    assert client.post(f"{url}/{confirmed.id}/status", headers=bearer(writer),
                       json={"status": "explode"}).status_code == 422


def test_registration_of_another_event_is_not_found(client, owner, event, writer):
    other = registration_event(owner)
    registration = add_registration(other)
    response = client.get(f"/api/v1/events/{event.id}/registrations/{registration.id}",
                          headers=bearer(writer))
    assert response.status_code == 404
    response = client.post(f"/api/v1/events/{event.id}/registrations/{registration.id}/check-in",
                           headers=bearer(writer))
    assert response.status_code == 404


# --- invitations -----------------------------------------------------------------------------

def test_invitees_create_list_and_read(client, event, writer):
    url = f"/api/v1/events/{event.id}/invitees"
    response = client.post(url, headers=bearer(writer), json={
        "name": "Siti Aminah", "email": "Siti@Example.org", "country": "MY",
        "group_name": "ASEAN", "honorific": "amb"})
    assert response.status_code == 201, response.get_json()
    created = response.get_json()["data"]
    assert created["email"] == "siti@example.org" and created["status"] == "not_sent"
    add_invitee(event, group_name="Embassies", name="Other Person")
    body = client.get(f"{url}?group=ASEAN", headers=bearer(writer)).get_json()
    assert [item["id"] for item in body["data"]] == [created["id"]]
    assert body["meta"]["total"] == 1
    body = client.get(f"{url}?status=not_sent&q=other", headers=bearer(writer)).get_json()
    assert [item["name"] for item in body["data"]] == ["Other Person"]
    one = client.get(f"{url}/{created['id']}", headers=bearer(writer)).get_json()["data"]
    assert set(one["steps"]) >= {"first_sent_at", "responded_at", "registered_at"}
    duplicate = client.post(url, headers=bearer(writer),
                            json={"name": "Siti", "email": "siti@example.org"})
    assert duplicate.status_code == 409


def test_mailing_is_idempotent_by_key(client, event, writer, db):
    add_invitee(event)
    add_invitee(event)
    url = f"/api/v1/events/{event.id}/mailings"
    headers = bearer(writer, **{"Idempotency-Key": "website-send-0001"})
    first = client.post(url, headers=headers, json={"kind": "invitation", "audience": "all"})
    assert first.status_code == 201, first.get_json()
    again = client.post(url, headers=headers, json={"kind": "invitation", "audience": "all"})
    assert again.status_code == 200
    assert again.get_json()["data"]["id"] == first.get_json()["data"]["id"]
    assert db.session.scalar(select(func.count()).select_from(Mailing)) == 1
    mailing_id = first.get_json()["data"]["id"]
    progress = client.get(f"{url}/{mailing_id}", headers=bearer(writer)).get_json()["data"]
    assert progress["recipient_count"] == 2 and progress["progress"]["total"] == 2
    no_key = client.post(url, headers=bearer(writer), json={"kind": "invitation"})
    assert no_key.status_code == 422
    assert "idempotency_key" in no_key.get_json()["error"]["fields"]
    nobody = client.post(url, headers=bearer(writer), json={
        "kind": "announcement", "idempotency_key": "website-send-0002"})
    assert nobody.status_code == 422


def test_mailing_sends_through_smtp(client, event, writer, smtp_server):
    add_invitee(event, email="ambassador@example.org")
    response = client.post(f"/api/v1/events/{event.id}/mailings", headers=bearer(writer),
                           json={"kind": "invitation", "idempotency_key": "smtp-send-000001"})
    assert response.status_code == 201
    messages = smtp_server.wait_for(1)
    assert messages[0]["to"] == ["ambassador@example.org"]


# --- errors ----------------------------------------------------------------------------------

def test_errors_are_json_everywhere(client, event, writer):
    response = client.get("/api/v1/nothing-here", headers=bearer(writer))
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    response = client.delete(f"/api/v1/events/{event.id}", headers=bearer(writer))
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "PATCH" in response.headers["Allow"]
    response = client.post("/api/v1/events", headers=bearer(writer), data="title=x",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    response = client.post("/api/v1/events", headers=bearer(writer), data="{broken",
                           content_type="application/json")
    assert response.status_code == 400
    response = client.post("/api/v1/events", headers=bearer(writer), json=[1, 2])
    assert response.status_code == 400
    response = client.post("/api/v1/events", headers=bearer(writer),
                           json={"description": "x" * 300_000})
    assert response.status_code == 413
    assert client.get("/api/v1/events/99999999999", headers=bearer(writer)).status_code == 404


def test_rate_limit_per_token(client, app, owner, event, writer, reader, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    for _ in range(3):
        assert client.get("/api/v1/events", headers=bearer(writer)).status_code == 200
    response = client.get("/api/v1/events", headers=bearer(writer))
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0
    # another token has its own allowance
    assert client.get("/api/v1/events", headers=bearer(reader)).status_code == 200


def test_event_of_the_token_is_loaded_fresh(client, event, writer, db):
    db.session.delete(db.session.get(Event, event.id))
    db.session.commit()
    assert client.get(f"/api/v1/events/{event.id}", headers=bearer(writer)).status_code == 404
