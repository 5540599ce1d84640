"""Certificates of attendance in /api/v1: status, PDF for staff tokens, public verification."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from seminar_app.extensions import db
from seminar_app.models import RegistrationStatus, utcnow
from seminar_app.services.accounts import api_tokens
from seminar_app.services.registration import certificates as rules
from tests.factories import add_registration
from tests.public_factories import create_event


def bearer(secret: str, **headers) -> dict:
    return {"Authorization": f"Bearer {secret}", **headers}


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    start = utcnow() - timedelta(days=3)
    event = create_event(owner, title="Surabaya Seminar", start_at=start,
                         end_at=start + timedelta(days=1), letter_signatory_name="Dewi")
    rules.update_certificate_settings(event, enabled=True, scope="checked_in")
    return event


@pytest.fixture
def reader(owner, event):
    return api_tokens.create_token(owner, name="Reader")[1]


def _url(event, registration, tail=""):
    return f"/api/v1/events/{event.id}/registrations/{registration.id}/certificate{tail}"


def test_status_of_an_eligible_delegate(client, event, reader):
    person = add_registration(event, checked_in_at=utcnow())
    response = client.get(_url(event, person), headers=bearer(reader))
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert data["eligible"] is True and data["reason"] is None and data["staff_download"]
    assert data["download_url"].endswith(_url(event, person, ".pdf"))
    assert data["verification_url"].endswith(f"/v/{rules.verification_code(person)}")


@pytest.mark.parametrize("language, message", [
    ("en", "whose arrival was recorded at the check-in desk"),
    ("id", "kedatangannya tercatat di meja registrasi ulang")])
def test_status_says_why_not_in_each_language(client, event, reader, language, message):
    absent = add_registration(event)
    response = client.get(_url(event, absent), headers=bearer(reader, **{
        "Accept-Language": language}))
    data = response.get_json()["data"]
    assert (data["eligible"], data["reason"], data["download_url"]) == (
        False, "not_checked_in", None)
    assert message in data["message"]


def test_status_before_the_end_allows_staff_only(client, owner, reader):
    upcoming = create_event(owner, letter_signatory_name="Dewi")
    rules.update_certificate_settings(upcoming, enabled=True, scope="confirmed")
    person = add_registration(upcoming)
    secret = api_tokens.create_token(owner, name="Other")[1]
    data = client.get(_url(upcoming, person), headers=bearer(secret)).get_json()["data"]
    assert (data["eligible"], data["reason"], data["staff_download"]) == (
        False, "not_ended", True)


def test_pdf_for_a_staff_token_in_either_language(client, event, reader):
    person = add_registration(event, checked_in_at=utcnow(), language="en",
                              given_name="Made", family_name="Wirawan")
    response = client.get(_url(event, person, ".pdf?lang=id"), headers=bearer(reader))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "SERTIFIKAT KEHADIRAN" in text and "Made Wirawan" in text
    assert client.get(_url(event, person, ".pdf?lang=fr"),
                      headers=bearer(reader)).status_code == 400


def test_pdf_refused_with_the_reason(client, event, reader):
    cancelled = add_registration(event, status=RegistrationStatus.CANCELLED,
                                 checked_in_at=utcnow())
    response = client.get(_url(event, cancelled, ".pdf"), headers=bearer(reader))
    assert response.status_code == 409
    assert "Only confirmed delegates" in response.get_json()["error"]["message"]


def test_permissions(client, event, make_user):
    person = add_registration(event, checked_in_at=utcnow())
    assert client.get(_url(event, person)).status_code == 401
    assert client.get(_url(event, person, ".pdf")).status_code == 401
    stranger = api_tokens.create_token(make_user("organizer"), name="Stranger")[1]
    assert client.get(_url(event, person), headers=bearer(stranger)).status_code == 404
    assert client.get(_url(event, person, ".pdf"), headers=bearer(stranger)).status_code == 404


def test_public_verification(client, event):
    person = add_registration(event, checked_in_at=utcnow(), given_name="Ayu",
                              family_name="Lestari", email="ayu@example.org")
    code = rules.verification_code(person)
    response = client.get(f"/api/v1/certificates/{code}")
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert data["name"] == "Ayu Lestari" and data["event_title"] == "Surabaya Seminar"
    assert "ayu@example.org" not in response.get_data(as_text=True)
    assert set(data) == {"valid", "name", "event_id", "event_title", "start_at", "end_at",
                         "timezone"}


@pytest.mark.parametrize("language, message", [
    ("en", "This is not a valid certificate of attendance."),
    ("id", "Ini bukan sertifikat kehadiran yang sah.")])
def test_forged_code_is_404_in_each_language(client, event, language, message):
    person = add_registration(event, checked_in_at=utcnow())
    code = rules.verification_code(person)
    forged = code[:-1] + ("B" if code[-1] == "A" else "A")
    response = client.get(f"/api/v1/certificates/{forged}",
                          headers={"Accept-Language": language})
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == message
    person.status = RegistrationStatus.CANCELLED
    db.session.commit()
    assert client.get(f"/api/v1/certificates/{code}").status_code == 404


def test_document_describes_the_operations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operations = {op["operationId"] for item in document["paths"].values()
                  for key, op in item.items() if key != "parameters"}
    assert {"getCertificateStatus", "getCertificatePdf", "verifyCertificate"} <= operations
