"""The API's operations its users asked for (issue 18): delegations, the agenda and the extra
questions, a new invitation link, bounces, unpublishing and the dashboard figures; and the
rules shared with the web (register() defaults, publishing's 422)."""

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from seminar_app.extensions import db as _db
from seminar_app.models import (
    AuditEntry,
    Delegation,
    EventStatus,
    OutboxEmail,
    OutboxStatus,
    QuestionKind,
    Registration,
    RegistrationStatus,
    Visibility,
    utcnow,
)
from seminar_app.services.accounts import api_tokens
from seminar_app.services.events import agenda
from seminar_app.services.events import events as event_service
from seminar_app.services.invitations import invitations as invitation_service
from seminar_app.services.registration import questions
from seminar_app.services.registration import registrations as registration_service
from tests.conftest import post_form
from tests.factories import (
    add_invitee,
    add_registration,
    add_team_member,
    registration_event,
)


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return registration_event(owner, title="Jakarta Forum", capacity=10)


@pytest.fixture
def writer(owner, event):
    return api_tokens.create_token(owner, name="Website", can_write=True)[1]


@pytest.fixture
def reader(owner, event):
    return api_tokens.create_token(owner, name="Reader")[1]


def error_of(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def person(**overrides) -> dict:
    body = {"honorific": "he", "given_name": "Retno", "family_name": "Marsudi",
            "email": "retno@example.org", "country": "ID",
            "organisation": "Ministry of Foreign Affairs", "delegation_role": "head"}
    body.update(overrides)
    return body


def delegation_body(**overrides) -> dict:
    body = {"name": "Delegation of Indonesia", "head": person(), "members": [
        {"honorific": "mr", "given_name": "Budi", "email": "budi@example.org"},
        {"honorific": "ms", "given_name": "Ayu", "family_name": "Lestari",
         "email": "ayu@example.org", "country": "MY", "organisation": "Embassy",
         "delegation_role": "observer", "language": "id"},
    ]}
    body.update(overrides)
    return body


# --- delegations -----------------------------------------------------------------------------

def test_create_a_delegation_as_a_whole_then_read_it(client, event, writer, owner, db):
    response = client.post(f"/api/v1/events/{event.id}/delegations", headers=bearer(writer),
                           json=delegation_body())
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["name"] == "Delegation of Indonesia" and data["country"] == "ID"
    members = data["members"]
    assert [m["given_name"] for m in members] == ["Retno", "Budi", "Ayu"]
    assert members[0]["is_head"] and members[0]["registration_id"] == \
        data["head_registration_id"]
    assert all(m["reference"] and m["status"] == "confirmed" for m in members)
    assert response.headers["Location"].endswith(f"/delegations/{data['id']}")
    budi = db.session.get(Registration, members[1]["registration_id"])
    # a member leaving out country, organisation, family name: the head's, and empty
    assert (budi.country, budi.organisation, budi.family_name) == \
        ("ID", "Ministry of Foreign Affairs", "")
    assert budi.source.value == "staff"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "delegation.create"))
    assert entry.user_id == owner.id
    # read: one and the list
    one = client.get(f"/api/v1/events/{event.id}/delegations/{data['id']}",
                     headers=bearer(writer))
    assert one.status_code == 200 and one.get_json()["data"] == data
    listed = client.get(f"/api/v1/events/{event.id}/delegations?per_page=5",
                        headers=bearer(writer))
    assert listed.status_code == 200
    assert listed.get_json()["meta"] == {"page": 1, "per_page": 5, "total": 1}
    assert listed.get_json()["data"][0]["id"] == data["id"]


def test_a_refused_member_registers_nobody_and_names_its_place(client, event, writer, db):
    body = delegation_body()
    body["members"][1]["given_name"] = "   "
    body["members"][0]["country"] = "XX"
    body["head"]["email"] = "x" * 250 + "@example.org"
    response = client.post(f"/api/v1/events/{event.id}/delegations", headers=bearer(writer),
                           json=body)
    assert response.status_code == 422
    fields = set(error_of(response)["fields"])
    assert fields == {"members[1].given_name", "members[0].country", "head.email"}
    assert db.session.scalar(select(Registration.id)) is None
    # the service's own rules name the place too
    body = delegation_body()
    body["members"][1]["given_name"] = "Ayu<b>"
    response = client.post(f"/api/v1/events/{event.id}/delegations", headers=bearer(writer),
                           json=body)
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"members[1].given_name"}
    body = delegation_body()
    body["head"]["email"] = "not an address"
    response = client.post(f"/api/v1/events/{event.id}/delegations", headers=bearer(writer),
                           json=body)
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"head.email"}
    body = delegation_body()
    body["members"][1]["email"] = body["members"][0]["email"]
    response = client.post(f"/api/v1/events/{event.id}/delegations", headers=bearer(writer),
                           json=body)
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"members[1].email"}
    add_registration(event, email="ayu@example.org")
    response = client.post(f"/api/v1/events/{event.id}/delegations", headers=bearer(writer),
                           json=delegation_body())
    assert response.status_code == 409
    assert set(error_of(response)["fields"]) == {"members[1].email"}
    assert db.session.scalar(select(Delegation.id)) is None
    assert len(db.session.scalars(select(Registration)).all()) == 1


@pytest.mark.parametrize("body, field", [
    ({"members": []}, "members"),
    ({"members": "x"}, "members"),
    ({"members": [{"given_name": "A"}] * 21}, "members"),
    ({"members": ["x"]}, "members[0]"),
    ({"head": None}, "head"),
    ({"name": "<script>"}, "name"),
])
def test_delegation_body_refusals(client, event, writer, body, field):
    response = client.post(f"/api/v1/events/{event.id}/delegations", headers=bearer(writer),
                           json=delegation_body(**body))
    assert response.status_code == 422
    assert field in error_of(response)["fields"]


def test_delegation_head_answers_required_questions(client, event, writer):
    question = questions.add_question(event, label="Arrival flight", kind=QuestionKind.TEXT,
                                      required=True)
    url = f"/api/v1/events/{event.id}/delegations"
    response = client.post(url, headers=bearer(writer), json=delegation_body())
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {f"head.answers.{question.id}"}
    body = delegation_body()
    body["head"]["answers"] = {str(question.id): "GA 880"}
    response = client.post(url, headers=bearer(writer), json=body)
    assert response.status_code == 201


def test_delegation_scopes(client, event, reader, make_user, owner):
    url = f"/api/v1/events/{event.id}/delegations"
    assert client.post(url, headers=bearer(reader), json=delegation_body()).status_code == 403
    assert client.get(url, headers=bearer(reader)).status_code == 200
    assert client.get(url).status_code == 401
    viewer = make_user("staff")
    add_team_member(event, viewer)
    secret = api_tokens.create_token(viewer, name="Viewer", can_write=True)[1]
    assert client.post(url, headers=bearer(secret), json=delegation_body()).status_code == 403
    stranger = registration_event(make_user("organizer"))
    assert client.get(f"/api/v1/events/{stranger.id}/delegations",
                      headers=bearer(reader)).status_code == 404
    other = registration_event(owner)
    limited = api_tokens.create_token(owner, name="One", event_ids=[other.id])[1]
    assert client.get(url, headers=bearer(limited)).status_code == 404
    assert client.get(f"{url}/999", headers=bearer(reader)).status_code == 404


# --- agenda and questions --------------------------------------------------------------------

def test_agenda_with_utc_and_local_times_public_for_public_events(client, event, reader, db):
    zone = ZoneInfo(event.timezone)
    day = event.start_at.astimezone(zone).date()
    agenda.add_session(event, day=day, start=time(10, 0), end=time(11, 30), title="Opening",
                       room="Hall A",
                       speakers=[{"name": "Retno Marsudi", "title": "Minister",
                                  "organisation": "Kemlu"}],
                       translations={"en": {"title": "Opening"}, "id": {"title": "Pembukaan"}})
    response = client.get(f"/api/v1/events/{event.id}/agenda")  # no token: public event
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["timezone"] == "Asia/Jakarta"
    session = data["sessions"][0]
    assert session["titles"] == {"en": "Opening", "id": "Pembukaan"}
    assert session["starts_at"] == f"{day.isoformat()}T03:00:00Z"
    assert session["starts_at_local"] == f"{day.isoformat()}T10:00:00+07:00"
    assert session["speakers"] == [{"name": "Retno Marsudi", "title": "Minister",
                                    "organisation": "Kemlu"}]
    assert client.get(f"/api/v1/events/{event.id}/agenda",
                      headers=bearer(reader)).status_code == 200
    # a draft or unlisted event's agenda needs a token that reaches it
    event.visibility = Visibility.UNLISTED
    db.session.commit()
    assert client.get(f"/api/v1/events/{event.id}/agenda").status_code == 401
    assert client.get(f"/api/v1/events/{event.id}/agenda",
                      headers=bearer(reader)).status_code == 200
    assert client.get(f"/api/v1/events/{event.id}/agenda",
                      headers=bearer("sat_wrong")).status_code == 401
    assert client.get("/api/v1/events/999999/agenda").status_code == 401
    assert client.get("/api/v1/events/999999/agenda", headers=bearer(reader)).status_code == 404


def test_questions_in_both_languages(client, event, reader):
    question = questions.add_question(
        event, label="Meal", kind=QuestionKind.CHOICE, choices=["Fish", "Vegetarian"],
        required=True, translations={"en": {"label": "Meal", "choices": ["Fish", "Vegetarian"]},
                                     "id": {"label": "Makanan",
                                            "choices": ["Ikan", "Vegetarian"]}})
    response = client.get(f"/api/v1/events/{event.id}/questions", headers=bearer(reader))
    assert response.status_code == 200
    [data] = response.get_json()["data"]
    assert data["id"] == question.id and data["kind"] == "choice" and data["required"]
    assert data["labels"] == {"en": "Meal", "id": "Makanan"}
    assert data["choices"] == ["Fish", "Vegetarian"]
    assert data["choices_by_language"]["id"] == ["Ikan", "Vegetarian"]
    assert client.get(f"/api/v1/events/{event.id}/questions").status_code == 401


# --- a new invitation link --------------------------------------------------------------------

def test_new_invitee_link_revokes_the_old_one(client, event, writer, reader, owner, db):
    invitee = add_invitee(event)
    old_token = invitation_service.invitee_token(invitee)
    url = f"/api/v1/events/{event.id}/invitees/{invitee.id}/link"
    response = client.post(url, headers=bearer(writer))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    new_token = body["url"].rsplit("/", 1)[1]
    assert new_token != old_token and body["data"]["id"] == invitee.id
    assert invitation_service.get_invitee_by_token(new_token).id == invitee.id
    with pytest.raises(Exception, match="not valid"):
        invitation_service.get_invitee_by_token(old_token)
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "invitee.rotate_link"))
    assert entry.user_id == owner.id and entry.object_id == invitee.id
    # the address is not shown again elsewhere
    again = client.get(f"/api/v1/events/{event.id}/invitees/{invitee.id}", headers=bearer(writer))
    assert new_token not in again.get_data(as_text=True)
    assert client.post(url, headers=bearer(reader)).status_code == 403
    assert client.post(f"/api/v1/events/{event.id}/invitees/999999/link",
                       headers=bearer(writer)).status_code == 404


# --- bounces ---------------------------------------------------------------------------------

def _failed_email(event, recipient: str, error: str, *, minutes: int = 0, invitee=None):
    email = OutboxEmail(event_id=event.id, template="invitation", recipient=recipient,
                        subject="Invitation", body_text="x", message_id=f"<{recipient}-{minutes}>",
                        status=OutboxStatus.FAILED, last_error=error,
                        claimed_at=utcnow() - timedelta(minutes=60 - minutes),
                        invitee_id=invitee.id if invitee else None)
    _db.session.add(email)
    _db.session.commit()
    return email


def test_bounces_recorded_and_refused_by_the_server(client, event, writer, owner, db):
    recorded = add_invitee(event, email="gone@example.org")
    invitation_service.mark_bounced(recorded, "Mailbox closed", actor=owner)
    _failed_email(event, "gone@example.org", "550 No such user")  # the recorded one stands
    delegate = add_registration(event, email="full@example.org")
    _failed_email(event, "full@example.org", "552 Mailbox full", minutes=1)
    _failed_email(event, "full@example.org", "550 User unknown", minutes=5)
    _failed_email(event, "slow@example.org", "421 Try again later")  # not permanent
    response = client.get(f"/api/v1/events/{event.id}/bounces", headers=bearer(writer))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["meta"]["total"] == 2
    by_email = {item["email"]: item for item in body["data"]}
    assert set(by_email) == {"gone@example.org", "full@example.org"}
    gone = by_email["gone@example.org"]
    assert (gone["source"], gone["reason"], gone["invitee_id"]) == \
        ("recorded", "Mailbox closed", recorded.id)
    full = by_email["full@example.org"]
    assert (full["source"], full["reason"], full["registration_id"]) == \
        ("smtp", "550 User unknown", delegate.id)
    assert full["bounced_at"].endswith("Z")
    page = client.get(f"/api/v1/events/{event.id}/bounces?per_page=1&page=2",
                      headers=bearer(writer))
    assert page.status_code == 200 and len(page.get_json()["data"]) == 1
    assert 'rel="prev"' in page.headers["Link"]


def test_bounces_need_the_invite_right(client, event, make_user):
    checker = make_user("staff")
    add_team_member(event, checker, can_checkin=True)
    secret = api_tokens.create_token(checker, name="Desk")[1]
    assert client.get(f"/api/v1/events/{event.id}/bounces",
                      headers=bearer(secret)).status_code == 403


# --- unpublishing and publishing -------------------------------------------------------------

def test_unpublish(client, event, writer, reader, db):
    url = f"/api/v1/events/{event.id}/unpublish"
    assert client.post(url, headers=bearer(reader)).status_code == 403
    response = client.post(url, headers=bearer(writer))
    assert response.status_code == 200 and response.get_json()["data"]["status"] == "draft"
    assert "event.unpublish" in db.session.scalars(select(AuditEntry.action)).all()
    again = client.post(url, headers=bearer(writer))
    assert again.status_code == 409 and error_of(again)["code"] == "conflict"


def test_publishing_an_event_without_a_venue_is_422_on_the_page_and_in_the_api(
        client, owner, writer, auth):
    draft = registration_event(owner, status=EventStatus.DRAFT, venue_name="", venue_address="",
                               venue_city="", online_url="")
    response = client.post(f"/api/v1/events/{draft.id}/publish", headers=bearer(writer))
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"venue_name"}
    auth.login(owner)
    page = post_form(client, f"/manage/events/{draft.id}/publish")
    assert page.status_code == 422
    assert "Add a venue or an online link" in page.get_data(as_text=True)
    ended = registration_event(owner, status=EventStatus.DRAFT,
                               start_at=utcnow() - timedelta(days=2))
    with pytest.raises(event_service.NotReadyToPublish):
        event_service.publish_event(ended)


# --- dashboard -------------------------------------------------------------------------------

def test_dashboard_figures(client, event, reader, db):
    add_registration(event, country="TH")
    add_registration(event, country="TH", checked_in_at=utcnow())
    add_registration(event, country="ID", status=RegistrationStatus.WAITLISTED)
    add_invitee(event)
    response = client.get(f"/api/v1/events/{event.id}/dashboard", headers=bearer(reader))
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["total"] == 3 and data["confirmed"] == 2
    assert data["by_status"]["waitlisted"] == 1
    assert data["confirmed_by_country"] == [{"country": "TH", "count": 2}]
    assert data["checked_in"] == 1 and data["checkin_rate"] == 0.5
    assert data["invitations"]["invited"] == 1
    assert data["registrations_by_day"][-1]["total"] == 3
    assert client.get(f"/api/v1/events/{event.id}/dashboard").status_code == 401


# --- register() defaults ---------------------------------------------------------------------

def test_register_defaults_omitted_optional_texts_like_the_api(event, db):
    registration, _token = registration_service.register(event, data={
        "honorific": "mr", "given_name": "Budi", "email": "single@example.org",
        "country": "ID", "organisation": "Kemlu", "delegation_role": "delegate"})
    assert (registration.family_name, registration.position, registration.phone) == ("", "", "")
    assert registration.status == RegistrationStatus.CONFIRMED


def test_every_new_operation_is_documented(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operations = {operation["operationId"] for item in document["paths"].values()
                  for key, operation in item.items() if key != "parameters"}
    assert {"listDelegations", "getDelegation", "createDelegation", "getAgenda",
            "listQuestions", "newInviteeLink", "listBounces", "unpublishEvent",
            "getDashboard"} <= operations
    links = document["paths"]["/events"]["post"]["responses"]["201"]["links"]
    assert links["CreateRegistration"]["parameters"] == {"event_id": "$response.body#/data/id"}


def test_new_refusals_are_translated(client, event, reader):
    response = client.get(f"/api/v1/events/{event.id}/delegations/12345",
                          headers={**bearer(reader), "Accept-Language": "id"})
    assert response.status_code == 404
    assert error_of(response)["message"] == \
        "Tidak ada delegasi pada acara ini dengan nomor tersebut."
