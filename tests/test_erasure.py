"""Erasing one delegate (services.privacy.retention.erase_registration) from the participant page
and
the API, the subject access export, and the delegate's own request from their personal link."""

import json

import pytest
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    Invitee,
    OutboxEmail,
    OutboxStatus,
    Registration,
    RegistrationLink,
    RegistrationStatus,
)
from seminar_app.services.accounts import api_tokens
from seminar_app.services.errors import Conflict, PermissionDenied
from seminar_app.services.privacy.retention import (
    erase_registration,
    export_subject_data,
    request_erasure,
)
from tests.conftest import post_form
from tests.factories import (
    add_invitee,
    add_question,
    add_registration,
    add_team_member,
    logged_in,
    make_registration,
    registration_event,
)

VISA = {"needs_visa_letter": True, "passport_number": "A7654321", "nationality": "MY",
        "birth_place": "Penang"}


@pytest.fixture
def owner(make_user):
    return make_user("organizer", name="Owner Organizer")


@pytest.fixture
def event(owner):
    return registration_event(owner, capacity=1)


def _url(event, registration, tail=""):
    return f"/manage/events/{event.id}/registrations/{registration.id}{tail}"


def _reload(model, object_id):
    db.session.expire_all()
    return db.session.get(model, object_id)


# --- the service -----------------------------------------------------------------------------

def test_erase_registration_cancels_frees_the_place_and_keeps_one_audit_entry(event, owner):
    erased, _token = make_registration(event, email="first@example.org", given_name="Ayu")
    waiting, _token = make_registration(event, email="second@example.org")
    assert waiting.status == RegistrationStatus.WAITLISTED
    emails_before = db.session.scalar(select(db.func.count(OutboxEmail.id)))

    counts = erase_registration(erased, actor=owner)

    assert counts.registrations == 1
    erased = _reload(Registration, erased.id)
    assert erased.status == RegistrationStatus.CANCELLED
    assert erased.email == f"erased-{erased.id}@invalid" and erased.given_name == "—"
    assert _reload(Registration, waiting.id).status == RegistrationStatus.CONFIRMED
    new_emails = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)
                                    .offset(emails_before)).all()
    assert [row.recipient for row in new_emails] == ["second@example.org"]  # promoted only
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "registration.erase")).all()
    assert len(entries) == 1 and entries[0].user_id == owner.id
    assert entries[0].details == {"registration_id": erased.id, "reference": erased.reference}
    created = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "registration.create", AuditEntry.object_id == erased.id))
    assert "first@example.org" not in json.dumps(created.details)
    assert db.session.scalar(select(OutboxEmail.id).where(
        OutboxEmail.recipient == "first@example.org")) is None


def test_erase_registration_after_the_event_keeps_the_status(owner):
    from tests.test_retention import ended_event

    registration = add_registration(ended_event(owner, 3), **VISA)
    erase_registration(registration, actor=owner)
    registration = _reload(Registration, registration.id)
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.passport_number == "" and registration.needs_visa_letter is True


def test_erase_registration_refuses_an_erased_registration(event, owner):
    registration = add_registration(event)
    erase_registration(registration, actor=owner)
    with pytest.raises(Conflict, match="already been erased"):
        erase_registration(_reload(Registration, registration.id), actor=owner)


def test_erase_registration_refuses_staff_without_the_manage_right(event, make_user):
    inviter = make_user("staff")
    add_team_member(event, inviter, can_invite=True)
    registration = add_registration(event)
    with pytest.raises(PermissionDenied):
        erase_registration(registration, actor=inviter)
    assert not _reload(Registration, registration.id).email.startswith("erased-")


def test_export_subject_data_holds_everything_but_email_bodies(event, owner):
    question = add_question(event, "Which session?")
    registration, _token = make_registration(
        event, email="siti@example.org", **{
            "needs_visa_letter": True, "passport_number": "A7654321", "nationality": "MY",
            "birth_date": None, "birth_place": "Penang",
            "passport_expiry": event.end_at.date().replace(year=event.end_at.year + 2)})
    from seminar_app.models import RegistrationAnswer

    db.session.add(RegistrationAnswer(registration_id=registration.id,
                                      question_id=question.id, value="Morning"))
    invitee = add_invitee(event, email="siti@example.org")
    invitee.registration_id = registration.id
    db.session.commit()

    data = export_subject_data(_reload(Registration, registration.id))

    assert data["registration"]["passport_number"] == "A7654321"
    assert data["registration"]["email"] == "siti@example.org"
    assert data["answers"] == [{"question": "Which session?", "answer": "Morning"}]
    assert data["invitee"]["email"] == "siti@example.org" and "token_hash" not in data["invitee"]
    assert [email["template"] for email in data["emails"]] == \
        ["registration_confirmed_to_delegate"]
    assert "body_text" not in data["emails"][0]
    assert "registration.create" in [entry["action"] for entry in data["audit"]]
    json.dumps(data)  # JSON-ready


# --- the participant page --------------------------------------------------------------------

def test_registration_erase_page_needs_the_reference_then_erases(app, event, owner):
    registration = add_registration(event, **VISA)
    client = logged_in(app, owner)
    page = client.get(_url(event, registration)).get_data(as_text=True)
    assert "Erase personal data" in page and "Download data (JSON)" in page
    assert client.get(_url(event, registration, "/erase")).status_code == 200

    response = post_form(client, _url(event, registration, "/erase"), {"reference": "NOPE"})
    assert response.status_code == 422
    assert "This is not the reference of this registration." in response.get_data(as_text=True)
    assert not _reload(Registration, registration.id).email.startswith("erased-")

    response = post_form(client, _url(event, registration, "/erase"),
                         {"reference": registration.reference.lower()})
    assert response.status_code == 302
    assert _reload(Registration, registration.id).email.startswith("erased-")
    page = client.get(_url(event, registration)).get_data(as_text=True)
    assert "has been erased" in page and "Personal data erased" in page
    response = post_form(client, _url(event, registration, "/erase"),
                         {"reference": registration.reference})
    assert response.status_code == 409


def test_registration_erase_page_in_indonesian(app, event, owner):
    registration = add_registration(event)
    client = logged_in(app, owner)
    client.set_cookie("lang", "id")
    page = client.get(_url(event, registration, "/erase")).get_data(as_text=True)
    assert "Hapus data pribadi pendaftaran" in page
    response = post_form(client, _url(event, registration, "/erase"), {"reference": ""})
    assert response.status_code == 422
    assert "Ketik nomor referensi untuk mengonfirmasi." in response.get_data(as_text=True)


@pytest.mark.parametrize("rights", [{}, {"can_invite": True}, {"can_checkin": True}])
def test_personal_data_pages_refuse_staff_without_the_manage_right(app, event, make_user,
                                                                   rights):
    staff = make_user("staff")
    add_team_member(event, staff, **rights)
    registration = add_registration(event)
    client = logged_in(app, staff)
    page = client.get(_url(event, registration)).get_data(as_text=True)
    assert "Erase personal data" not in page
    assert client.get(_url(event, registration, "/erase")).status_code == 403
    assert client.get(_url(event, registration, "/personal-data.json")).status_code == 403
    response = post_form(client, _url(event, registration, "/erase"),
                         {"reference": registration.reference})
    assert response.status_code == 403
    assert not _reload(Registration, registration.id).email.startswith("erased-")


def test_personal_data_download_is_json_and_audited(app, event, make_user):
    manager = make_user("staff")
    add_team_member(event, manager, can_manage=True)
    registration = add_registration(event, **VISA)
    response = logged_in(app, manager).get(_url(event, registration, "/personal-data.json"))
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert f"personal-data-{registration.reference}.json" in \
        response.headers["Content-Disposition"]
    assert response.get_json()["registration"]["passport_number"] == "A7654321"
    read = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "passport.read"))
    assert read.user_id == manager.id and read.details["what"] == "subject_access"


# --- the API ---------------------------------------------------------------------------------

def _bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def test_api_erase_and_personal_data(client, event, owner):
    secret = api_tokens.create_token(owner, name="Privacy", can_write=True)[1]
    registration = add_registration(event, **VISA)
    base = f"/api/v1/events/{event.id}/registrations/{registration.id}"

    response = client.get(f"{base}/personal-data", headers=_bearer(secret))
    assert response.status_code == 200
    assert response.get_json()["data"]["registration"]["passport_number"] == "A7654321"

    response = client.post(f"{base}/erase", headers=_bearer(secret))
    assert response.status_code == 200
    body = response.get_json()
    assert body["data"]["email"] == f"erased-{registration.id}@invalid"
    assert body["data"]["passport_number"] == "" and body["erased"]["registrations"] == 1
    response = client.post(f"{base}/erase", headers=_bearer(secret, ))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "conflict"


def test_api_erase_refuses_readers_and_staff_without_the_manage_right(client, event, owner,
                                                                      make_user):
    registration = add_registration(event)
    base = f"/api/v1/events/{event.id}/registrations/{registration.id}"
    reader = api_tokens.create_token(owner, name="Reader")[1]
    assert client.post(f"{base}/erase", headers=_bearer(reader)).status_code == 403
    desk = make_user("staff")
    add_team_member(event, desk, can_checkin=True)
    secret = api_tokens.create_token(desk, name="Desk", can_write=True)[1]
    assert client.post(f"{base}/erase", headers=_bearer(secret)).status_code == 403
    assert client.get(f"{base}/personal-data", headers=_bearer(secret)).status_code == 403
    other = add_registration(registration_event(owner))
    wrong = f"/api/v1/events/{event.id}/registrations/{other.id}/erase"
    assert client.post(wrong, headers=_bearer(api_tokens.create_token(
        owner, name="W", can_write=True)[1])).status_code == 404
    assert not _reload(Registration, registration.id).email.startswith("erased-")


# --- the delegate asks -----------------------------------------------------------------------

def test_delegate_asks_for_erasure_and_the_organizers_are_emailed(app, client, event, owner,
                                                                   make_user, smtp_server):
    manager = make_user("staff", language="id")
    add_team_member(event, manager, can_manage=True)
    add_team_member(event, make_user("staff"), can_invite=True)  # not an organizer
    registration, token = make_registration(event, email="ayu@example.org")
    delivered = len(smtp_server.wait_for(1))

    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert f"/r/{token}/erasure" in page
    assert client.get(f"/r/{token}/erasure").status_code == 200
    response = post_form(client, f"/r/{token}/erasure")
    assert response.status_code == 303

    messages = smtp_server.wait_for(delivered + 2)[delivered:]
    assert sorted(address for message in messages for address in message["to"]) == \
        sorted([owner.email, manager.email])
    subjects = {message["to"][0]: str(message["message"]["Subject"]) for message in messages}
    assert subjects[owner.email] == f"Request to erase personal data: {registration.reference}"
    assert subjects[manager.email].startswith("Permintaan penghapusan data pribadi")
    for message in messages:
        assert "ayu@example.org" not in message["message"].as_string()
    assert _reload(Registration, registration.id).erasure_requested_at is not None

    response = post_form(client, f"/r/{token}/erasure", follow_redirects=True)
    assert "already asked" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(OutboxEmail.id)).where(
        OutboxEmail.template == "erasure_requested_to_organizer")) == 2
    page = logged_in(app, owner).get(_url(event, registration)).get_data(as_text=True)
    assert "data-erasure-requested" in page


def test_delegate_erasure_page_in_indonesian_and_links_stop_after_erasure(client, event, owner):
    registration, token = make_registration(event, language="id")
    client.set_cookie("lang", "id")
    page = client.get(f"/r/{token}/erasure").get_data(as_text=True)
    assert "Minta hapus data saya" in page
    erase_registration(registration, actor=owner)
    assert db.session.scalar(select(RegistrationLink.id)) is None
    assert client.get(f"/r/{token}/erasure").status_code == 404


def test_request_erasure_refuses_an_erased_registration(event, owner):
    registration = add_registration(event)
    erase_registration(registration, actor=owner)
    with pytest.raises(Conflict):
        request_erasure(_reload(Registration, registration.id))


def test_erase_registration_scrubs_the_linked_invitee(event, owner):
    registration = add_registration(event, email="linked@example.org")
    invitee = add_invitee(event, email="linked@example.org", name="Linked Person")
    invitee.registration_id = registration.id
    db.session.commit()
    erase_registration(registration, actor=owner)
    invitee = _reload(Invitee, invitee.id)
    assert invitee.email == f"erased-invitee-{invitee.id}@invalid" and invitee.name == "—"
    queued = db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.status == OutboxStatus.QUEUED)).all()
    assert all(not row.recipient.startswith("erased-") for row in queued)
