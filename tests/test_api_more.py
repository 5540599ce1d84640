"""The JSON API's second round: changing registrations, answers to extra questions, the list of
mailings, changing and removing invitees, answers received outside the system, publishing and
cancelling events."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from seminar_app.models import (
    AuditEntry,
    Invitee,
    Mailing,
    MailingKind,
    QuestionKind,
    Registration,
    RegistrationAnswer,
    utcnow,
)
from seminar_app.services.accounts import api_tokens
from tests.factories import (
    add_invitee,
    add_question,
    add_registration,
    add_team_member,
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
def other_event(owner):
    return registration_event(owner, title="Other Forum")


@pytest.fixture
def writer(owner, event):
    return api_tokens.create_token(owner, name="Website", can_write=True)[1]


@pytest.fixture
def reader(owner, event):
    return api_tokens.create_token(owner, name="Reader")[1]


@pytest.fixture
def desk(make_user, event):
    """A read+write token of a team member who may only check delegates in."""
    staff = make_user("staff")
    add_team_member(event, staff, can_checkin=True)
    return api_tokens.create_token(staff, name="Desk", can_write=True)[1]


def registration_body(**overrides) -> dict:
    body = {"honorific": "he", "given_name": "Retno", "family_name": "Marsudi",
            "email": "retno@example.org", "country": "ID",
            "organisation": "Ministry of Foreign Affairs", "delegation_role": "head",
            "phone": "+62 21 3441508", "language": "id"}
    body.update(overrides)
    return body


def error_of(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --- changing a registration -----------------------------------------------------------------

def test_patch_registration_changes_only_the_fields_given(client, owner, event, writer, db):
    registration = add_registration(event, organisation="Old Ministry", position="Adviser",
                                    email="delegate@example.org")
    url = f"/api/v1/events/{event.id}/registrations/{registration.id}"
    response = client.patch(url, headers=bearer(writer), json={
        "organisation": "Ministry of Trade", "phone": "021 3441508", "dietary": "Halal",
        "email": "Delegate@Example.org"})  # the same address: accepted
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["organisation"] == "Ministry of Trade" and data["dietary"] == "Halal"
    assert data["position"] == "Adviser" and data["email"] == "delegate@example.org"
    assert data["phone"] == "+62213441508"  # read with the delegate's country
    assert data["status"] == "confirmed" and data["answers"] == {}
    db.session.refresh(registration)
    assert registration.organisation == "Ministry of Trade"
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "registration.update"))
    assert entry.user_id == owner.id
    assert entry.details["fields"] == ["dietary", "organisation", "phone"]


def test_patch_registration_refuses_an_email_change_and_bad_values(client, event, writer, db):
    registration = add_registration(event, email="keep@example.org", given_name="Ayu")
    url = f"/api/v1/events/{event.id}/registrations/{registration.id}"
    response = client.patch(url, headers=bearer(writer), json={"email": "new@example.org"})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"email"}
    response = client.patch(url, headers=bearer(writer), json={"email": None, "honorific": 1})
    assert set(error_of(response)["fields"]) == {"email", "honorific"}
    response = client.patch(url, headers=bearer(writer), json={
        "honorific": "king", "given_name": 5, "family_name": None, "phone": "12"})
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"
    assert set(error_of(response)["fields"]) == {"honorific", "given_name", "family_name"}
    # rules of the service: a country code that does not exist, an empty name
    response = client.patch(url, headers=bearer(writer), json={"country": "ZZ"})
    assert response.status_code == 422 and set(error_of(response)["fields"]) == {"country"}
    response = client.patch(url, headers=bearer(writer), json={"given_name": "  "})
    assert response.status_code == 422 and set(error_of(response)["fields"]) == {"given_name"}
    response = client.patch(url, headers=bearer(writer), json={"phone": "12"})
    assert response.status_code == 422 and set(error_of(response)["fields"]) == {"phone"}
    db.session.refresh(registration)
    assert (registration.email, registration.given_name, registration.country) == \
        ("keep@example.org", "Ayu", "ID")


def test_patch_registration_respects_the_country_quota(client, owner, writer, db):
    event = registration_event(owner, country_quota=1)
    add_registration(event, country="MY", email="a@example.org")
    registration = add_registration(event, country="ID", email="b@example.org")
    response = client.patch(f"/api/v1/events/{event.id}/registrations/{registration.id}",
                            headers=bearer(writer), json={"country": "MY"})
    assert response.status_code == 409
    assert set(error_of(response)["fields"]) == {"country"}
    db.session.refresh(registration)
    assert registration.country == "ID"


def test_patch_registration_needs_manage_right_and_a_write_token(client, event, reader, desk,
                                                                  db):
    registration = add_registration(event, organisation="Unchanged")
    url = f"/api/v1/events/{event.id}/registrations/{registration.id}"
    for secret in (reader, desk):
        response = client.patch(url, headers=bearer(secret), json={"organisation": "X"})
        assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    assert client.patch(url, json={"organisation": "X"}).status_code == 401
    db.session.refresh(registration)
    assert registration.organisation == "Unchanged"


def test_patch_registration_of_another_event_is_not_found(client, owner, event, other_event,
                                                          writer):
    registration = add_registration(other_event)
    response = client.patch(f"/api/v1/events/{event.id}/registrations/{registration.id}",
                            headers=bearer(writer), json={"organisation": "X"})
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    # a token limited to the first event does not reach the other one at all
    scoped = api_tokens.create_token(owner, name="Only Jakarta", can_write=True,
                                     event_ids=[event.id])[1]
    response = client.patch(f"/api/v1/events/{other_event.id}/registrations/{registration.id}",
                            headers=bearer(scoped), json={"organisation": "X"})
    assert response.status_code == 404


# --- answers to extra questions --------------------------------------------------------------

@pytest.fixture
def questions(event):
    return {
        "text": add_question(event, "Arrival flight", required=True),
        "choice": add_question(event, "Session", QuestionKind.CHOICE,
                               choices=("Trade", "Climate"), position=1),
        "yes_no": add_question(event, "Gala dinner?", QuestionKind.YES_NO, position=2),
    }


def test_create_registration_with_answers(client, event, writer, questions, db):
    q = {key: str(question.id) for key, question in questions.items()}
    response = client.post(f"/api/v1/events/{event.id}/registrations", headers=bearer(writer),
                           json=registration_body(answers={
                               q["text"]: "  GA 404 ", q["choice"]: "Climate",
                               q["yes_no"]: "yes"}))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["answers"] == {q["text"]: "GA 404", q["choice"]: "Climate", q["yes_no"]: "yes"}
    stored = {a.question_id: a.value for a in db.session.scalars(select(RegistrationAnswer))}
    assert stored == {questions["text"].id: "GA 404", questions["choice"].id: "Climate",
                      questions["yes_no"].id: "yes"}
    listed = client.get(f"/api/v1/events/{event.id}/registrations", headers=bearer(writer))
    assert listed.get_json()["data"][0]["answers"] == data["answers"]


def test_create_registration_refuses_bad_answers(client, owner, event, writer, questions, db):
    q = {key: str(question.id) for key, question in questions.items()}
    foreign = add_question(registration_event(owner), "Not ours")
    url = f"/api/v1/events/{event.id}/registrations"
    # the required question unanswered
    response = client.post(url, headers=bearer(writer), json=registration_body())
    assert response.status_code == 422
    assert error_of(response)["fields"] == {f"answers.{q['text']}": "This field is required."}
    response = client.post(url, headers=bearer(writer), json=registration_body(answers={
        q["text"]: "", q["choice"]: "Football", q["yes_no"]: "true",
        str(foreign.id): "x", "abc": "x"}))
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {
        f"answers.{q['text']}", f"answers.{q['choice']}", f"answers.{q['yes_no']}",
        f"answers.{foreign.id}", "answers.abc"}
    response = client.post(url, headers=bearer(writer), json=registration_body(answers={
        q["text"]: 5}))
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {f"answers.{q['text']}"}
    response = client.post(url, headers=bearer(writer), json=registration_body(
        answers=["Trade"]))
    assert response.status_code == 422 and set(error_of(response)["fields"]) == {"answers"}
    response = client.post(url, headers=bearer(writer), json=registration_body(answers={
        q["text"]: "x" * 1001}))
    assert response.status_code == 422
    assert db.session.scalar(select(Registration.id)) is None


def test_patch_registration_answers(client, event, writer, questions, db):
    q = {key: str(question.id) for key, question in questions.items()}
    created = client.post(f"/api/v1/events/{event.id}/registrations", headers=bearer(writer),
                          json=registration_body(answers={q["text"]: "GA 404",
                                                          q["choice"]: "Trade"}))
    url = f"/api/v1/events/{event.id}/registrations/{created.get_json()['data']['id']}"
    response = client.patch(url, headers=bearer(writer),
                            json={"answers": {q["choice"]: "Climate", q["yes_no"]: "no"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["answers"] == {
        q["text"]: "GA 404", q["choice"]: "Climate", q["yes_no"]: "no"}
    # an optional answer may be cleared; a required one may not
    response = client.patch(url, headers=bearer(writer), json={"answers": {q["choice"]: None}})
    assert response.status_code == 200
    assert response.get_json()["data"]["answers"][q["choice"]] == ""
    response = client.patch(url, headers=bearer(writer), json={"answers": {q["text"]: ""}})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {f"answers.{q['text']}"}
    response = client.patch(url, headers=bearer(writer), json={"answers": {"999999": "x"}})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"answers.999999"}
    # details alone leave the answers as they are
    response = client.patch(url, headers=bearer(writer), json={"position": "Director"})
    assert response.get_json()["data"]["answers"][q["text"]] == "GA 404"
    assert "registration.update" in actions(db)


# --- list of mailings ------------------------------------------------------------------------

def test_list_mailings_newest_first_with_progress(client, event, other_event, writer, reader,
                                                  db):
    add_invitee(event)
    add_invitee(event)
    old = Mailing(event_id=event.id, kind=MailingKind.REMINDER, send_key="old-mailing-00001",
                  audience={"audience": "not_answered"}, recipient_count=0,
                  created_at=utcnow() - timedelta(days=2), prepared_at=utcnow())
    foreign = Mailing(event_id=other_event.id, kind=MailingKind.INVITATION,
                      send_key="foreign-mailing-01", audience={"audience": "all"})
    db.session.add_all([old, foreign])
    db.session.commit()
    sent = client.post(f"/api/v1/events/{event.id}/mailings", headers=bearer(writer),
                       json={"kind": "invitation", "idempotency_key": "list-test-send-01"})
    assert sent.status_code == 201
    url = f"/api/v1/events/{event.id}/mailings"
    response = client.get(url, headers=bearer(reader))
    assert response.status_code == 200
    body = response.get_json()
    assert [item["id"] for item in body["data"]] == [sent.get_json()["data"]["id"], old.id]
    assert body["meta"] == {"page": 1, "per_page": 25, "total": 2}
    progress = body["data"][0]["progress"]
    assert progress["total"] == 2 and body["data"][0]["recipient_count"] == 2
    assert progress["sent"] + progress["queued"] + progress["failed"] == 2
    assert body["data"][1]["kind"] == "reminder" and body["data"][1]["progress"]["done"]
    page = client.get(f"{url}?per_page=1&page=2", headers=bearer(reader)).get_json()
    assert [item["id"] for item in page["data"]] == [old.id]
    assert client.get(f"{url}?per_page=0", headers=bearer(reader)).status_code == 400


def test_list_mailings_needs_the_invite_right(client, event, desk):
    response = client.get(f"/api/v1/events/{event.id}/mailings", headers=bearer(desk))
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    assert client.get(f"/api/v1/events/{event.id}/mailings").status_code == 401


# --- changing and removing invitees ----------------------------------------------------------

def test_patch_invitee(client, event, writer, db):
    invitee = add_invitee(event, name="Siti Aminah", email="siti@example.org", country="MY")
    other = add_invitee(event, email="taken@example.org")
    url = f"/api/v1/events/{event.id}/invitees/{invitee.id}"
    response = client.patch(url, headers=bearer(writer),
                            json={"organisation": "Embassy of Malaysia", "honorific": None,
                                  "email": "Siti.Aminah@Example.org"})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["organisation"] == "Embassy of Malaysia" and data["honorific"] is None
    assert data["email"] == "siti.aminah@example.org" and data["name"] == "Siti Aminah"
    assert data["country"] == "MY"
    assert "invitee.update" in actions(db)
    response = client.patch(url, headers=bearer(writer), json={"email": other.email})
    assert response.status_code == 409 and set(error_of(response)["fields"]) == {"email"}
    response = client.patch(url, headers=bearer(writer),
                            json={"name": "", "country": "ZZ", "language": "fr"})
    assert response.status_code == 422
    # the document states all three (name not blank, country from the list, language)
    assert set(error_of(response)["fields"]) == {"name", "country", "language"}
    response = client.patch(url, headers=bearer(writer), json={"name": " ", "country": "ZZ"})
    assert response.status_code == 422 and error_of(response)["fields"]  # the service says
    db.session.refresh(invitee)
    assert invitee.email == "siti.aminah@example.org" and invitee.country == "MY"


def test_delete_invitee(client, event, writer, db):
    invitee = add_invitee(event)
    url = f"/api/v1/events/{event.id}/invitees/{invitee.id}"
    response = client.delete(url, headers=bearer(writer))
    assert response.status_code == 204 and response.get_data() == b""
    assert db.session.get(Invitee, invitee.id) is None
    assert client.delete(url, headers=bearer(writer)).status_code == 404
    assert "invitee.delete" in actions(db)


def test_registered_invitee_cannot_be_deleted(client, event, writer, db):
    invitee = add_invitee(event)
    invitee.registration_id = add_registration(event).id
    db.session.commit()
    response = client.delete(f"/api/v1/events/{event.id}/invitees/{invitee.id}",
                             headers=bearer(writer))
    assert response.status_code == 409 and error_of(response)["code"] == "conflict"
    assert db.session.get(Invitee, invitee.id) is not None


def test_invitee_writes_need_rights_and_the_right_event(client, owner, event, other_event,
                                                        reader, desk, writer, db):
    invitee = add_invitee(event, name="Stays Here")
    foreign = add_invitee(other_event)
    url = f"/api/v1/events/{event.id}/invitees/{invitee.id}"
    for secret in (reader, desk):
        assert client.patch(url, headers=bearer(secret), json={"name": "X"}).status_code == 403
        assert client.delete(url, headers=bearer(secret)).status_code == 403
        assert client.post(f"{url}/response", headers=bearer(secret), json={
            "response": "accepted", "channel": "phone",
            "answered_on": utcnow().date().isoformat()}).status_code == 403
    foreign_url = f"/api/v1/events/{event.id}/invitees/{foreign.id}"
    assert client.patch(foreign_url, headers=bearer(writer),
                        json={"name": "X"}).status_code == 404
    assert client.delete(foreign_url, headers=bearer(writer)).status_code == 404
    assert client.post(f"{foreign_url}/response", headers=bearer(writer), json={
        "response": "accepted", "channel": "phone",
        "answered_on": utcnow().date().isoformat()}).status_code == 404
    db.session.refresh(invitee)
    assert invitee.name == "Stays Here"
    assert db.session.get(Invitee, foreign.id) is not None


# --- answers received outside the system -----------------------------------------------------

def test_record_offline_response(client, owner, event, writer, db):
    invitee = add_invitee(event)
    url = f"/api/v1/events/{event.id}/invitees/{invitee.id}/response"
    day = (utcnow() - timedelta(days=3)).date().isoformat()
    response = client.post(url, headers=bearer(writer), json={
        "response": "accepted", "channel": "note_verbale", "answered_on": day,
        "note": "Note No. 123/2026"})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["response"] == "accepted" and data["response_channel"] == "note_verbale"
    assert data["response_note"] == "Note No. 123/2026"
    assert data["steps"]["responded_at"].startswith(day)
    db.session.refresh(invitee)
    assert invitee.response_recorded_by_id == owner.id
    assert "invitee.record_response" in actions(db)


def test_record_offline_response_refusals(client, event, writer, db):
    invitee = add_invitee(event)
    url = f"/api/v1/events/{event.id}/invitees/{invitee.id}/response"
    response = client.post(url, headers=bearer(writer), json={})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"response", "channel", "answered_on"}
    response = client.post(url, headers=bearer(writer), json={
        "response": "pending", "channel": "online", "answered_on": "yesterday"})
    assert set(error_of(response)["fields"]) == {"response", "channel", "answered_on"}
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    response = client.post(url, headers=bearer(writer), json={
        "response": "accepted", "channel": "phone", "answered_on": tomorrow})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"answered_on"}
    invitee.registration_id = add_registration(event).id
    db.session.commit()
    response = client.post(url, headers=bearer(writer), json={
        "response": "declined", "channel": "letter",
        "answered_on": utcnow().date().isoformat()})
    assert response.status_code == 409 and set(error_of(response)["fields"]) == {"response"}
    db.session.refresh(invitee)
    assert invitee.response.value == "pending"


# --- publishing and cancelling ---------------------------------------------------------------

def test_publish_event(client, owner, writer, db):
    draft = registration_event(owner, status="draft", published_at=None)
    url = f"/api/v1/events/{draft.id}/publish"
    response = client.post(url, headers=bearer(writer))
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["status"] == "published" and data["published_at"].endswith("Z")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "event.publish"))
    assert entry.user_id == owner.id and entry.event_id == draft.id
    again = client.post(url, headers=bearer(writer))
    assert again.status_code == 409 and error_of(again)["code"] == "conflict"


def test_publish_refusals(client, owner, event, reader, make_user, writer):
    nowhere = registration_event(owner, status="draft", venue_name="", venue_address="",
                                 venue_city="", online_url="")
    response = client.post(f"/api/v1/events/{nowhere.id}/publish", headers=bearer(writer))
    assert response.status_code == 422 and error_of(response)["code"] == "validation_error"
    draft = registration_event(owner, status="draft")
    assert client.post(f"/api/v1/events/{draft.id}/publish",
                       headers=bearer(reader)).status_code == 403
    inviter = make_user("staff")
    add_team_member(draft, inviter, can_invite=True)
    secret = api_tokens.create_token(inviter, name="Inviter", can_write=True)[1]
    assert client.post(f"/api/v1/events/{draft.id}/publish",
                       headers=bearer(secret)).status_code == 403
    stranger = registration_event(make_user("organizer"), status="draft")
    assert client.post(f"/api/v1/events/{stranger.id}/publish",
                       headers=bearer(writer)).status_code == 404
    assert client.post(f"/api/v1/events/{draft.id}/publish").status_code == 401


def test_cancel_event(client, owner, event, writer, db):
    url = f"/api/v1/events/{event.id}/cancel"
    response = client.post(url, headers=bearer(writer), json={"reason": "  Typhoon warning "})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["status"] == "cancelled" and data["cancellation_reason"] == "Typhoon warning"
    assert data["cancelled_at"].endswith("Z")
    assert "event.cancel" in actions(db)
    again = client.post(url, headers=bearer(writer), json={})
    assert again.status_code == 409
    # a cancelled event takes no registrations, not even through the API
    response = client.post(f"/api/v1/events/{event.id}/registrations", headers=bearer(writer),
                           json=registration_body())
    assert response.status_code == 409


def test_cancel_event_body_is_optional_and_checked(client, owner, writer, reader, db):
    first = registration_event(owner)
    response = client.post(f"/api/v1/events/{first.id}/cancel", headers=bearer(writer))
    assert response.status_code == 200
    assert response.get_json()["data"]["cancellation_reason"] == ""
    second = registration_event(owner)
    url = f"/api/v1/events/{second.id}/cancel"
    response = client.post(url, headers=bearer(writer), json={"reason": "x" * 2001})
    assert response.status_code == 422 and set(error_of(response)["fields"]) == {"reason"}
    response = client.post(url, headers=bearer(writer), json={"reason": 5})
    assert response.status_code == 422
    response = client.post(url, headers=bearer(writer), data="reason=x",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert client.post(url, headers=bearer(reader), json={}).status_code == 403
    db.session.refresh(second)
    assert second.status.value == "published"


def test_new_operations_are_documented(client):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    assert {"patch"} <= set(paths["/events/{event_id}/registrations/{registration_id}"])
    assert {"patch", "delete"} <= set(paths["/events/{event_id}/invitees/{invitee_id}"])
    assert "get" in paths["/events/{event_id}/mailings"]
    assert "post" in paths["/events/{event_id}/invitees/{invitee_id}/response"]
    assert "post" in paths["/events/{event_id}/publish"]
    assert "post" in paths["/events/{event_id}/cancel"]
    schemas = document["components"]["schemas"]
    assert "answers" in schemas["RegistrationInput"]["properties"]
    assert "answers" in schemas["RegistrationPatch"]["properties"]
    assert "email" not in schemas["RegistrationPatch"]["properties"]
    assert "answers" in schemas["Registration"]["required"]
