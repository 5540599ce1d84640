"""Nominations, accreditation, photos and substitution through /api/v1 (issue 16, "API"): the
whole flow a ministry's system runs (enter a mission's nomination received on paper, members,
letter, photos, submit, return, accredit some, not accredit one), the bad input each operation
refuses with the API's error body, and a substitution that keeps the seat."""

import io

import pytest
from PIL import Image
from reportlab.pdfgen import canvas
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    Invitee,
    Nomination,
    NominationStatus,
    OutboxEmail,
    Registration,
    RegistrationStatus,
)
from seminar_app.services.accounts import api_tokens
from seminar_app.services.registration import substitution
from tests.factories import (
    add_invitee,
    add_registration,
    add_team_member,
    registration_event,
    service_data,
)


def pdf_bytes(padding: int = 0) -> bytes:
    """A one-page note verbale; ``padding`` bytes in a comment keep it valid and large."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.drawString(72, 720, "Note verbale No. 12/2026")
    pdf.showPage()
    pdf.save()
    data = out.getvalue()
    if padding:
        head, tail = data.rsplit(b"startxref", 1)
        data = head + b"%" + b"A" * padding + b"\n" + b"startxref" + tail
    return data


TINY_PDF = pdf_bytes()


def bearer(secret: str, **headers) -> dict:
    return {"Authorization": f"Bearer {secret}", **headers}


def jpeg(size=(400, 300), colour=(200, 180, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


def png(size=(300, 500)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return registration_event(owner, title="ASEAN Forum", capacity=10)


@pytest.fixture
def writer(owner, event):
    return api_tokens.create_token(owner, name="Protocol system", can_write=True)[1]


@pytest.fixture
def reader(owner, event):
    return api_tokens.create_token(owner, name="Reader")[1]


@pytest.fixture
def mission(event):
    invitee = add_invitee(event, kind="organisation", name="Focal Point Siriwan",
                          email="focal@thaiembassy.example.org", country="TH",
                          organisation="Royal Thai Embassy")
    return db.session.get(Invitee, invitee.id)


def member_body(given: str, email: str, **extra) -> dict:
    return {"honorific": "mr", "given_name": given, "family_name": "Chaiyaporn",
            "email": email, "role": "delegate", "position": "Counsellor", "language": "en",
            **extra}


def start(client, event, mission, writer) -> int:
    answer = client.post(f"/api/v1/events/{event.id}/nominations",
                         json={"invitee_id": mission.id}, headers=bearer(writer))
    assert answer.status_code == 201, answer.get_json()
    assert answer.headers["Location"].endswith(f"/nominations/{answer.get_json()['data']['id']}")
    return answer.get_json()["data"]["id"]


def add(client, base, writer, body) -> dict:
    answer = client.post(f"{base}/members", json=body, headers=bearer(writer))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["data"]


def put_letter(client, base, writer, data=TINY_PDF, **headers):
    return client.put(f"{base}/letter?reference=No.%2012/2026", data=data,
                      headers=bearer(writer, **{"Content-Type": "application/pdf", **headers}))


def test_the_whole_flow(client, owner, event, mission, writer, reader):
    nomination_id = start(client, event, mission, writer)
    base = f"/api/v1/events/{event.id}/nominations/{nomination_id}"
    head = add(client, base, writer, member_body("Somchai", "head@th.example.org", role="head"))
    second = add(client, base, writer, member_body("Niran", "niran@th.example.org",
                                                   needs_visa=True))
    third = add(client, base, writer, member_body("Anong", "anong@th.example.org"))
    assert head["status"] == "proposed" and second["needs_visa"] is True
    # audited as the focal point's page does, under the token's user
    added = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "nomination.member_added")).all()
    assert len(added) == 3 and {entry.user_id for entry in added} == {owner.id}

    # change one, photos (JPEG and PNG), the letter
    changed = client.patch(f"{base}/members/{third['id']}", json={"position": "First Secretary"},
                           headers=bearer(writer))
    assert changed.status_code == 200 and changed.get_json()["data"]["position"] == \
        "First Secretary"
    assert changed.get_json()["data"]["given_name"] == "Anong"
    photo = client.put(f"{base}/members/{head['id']}/photo", data=jpeg(),
                       headers=bearer(writer, **{"Content-Type": "image/jpeg"}))
    assert photo.status_code == 200 and photo.get_json()["data"]["has_photo"] is True
    assert client.put(f"{base}/members/{second['id']}/photo", data=png(),
                      headers=bearer(writer, **{"Content-Type": "image/png"})).status_code == 200
    stored = client.get(f"{base}/members/{head['id']}/photo", headers=bearer(reader))
    assert stored.status_code == 200 and stored.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(stored.data)).size == (350, 450)  # cropped centred
    thumb = client.get(f"{base}/members/{head['id']}/photo?size=thumbnail", headers=bearer(reader))
    assert Image.open(io.BytesIO(thumb.data)).size == (105, 135)
    letter = put_letter(client, base, writer)
    assert letter.status_code == 200, letter.get_json()
    data = letter.get_json()["data"]
    assert data["has_letter"] is True and data["letter_reference"] == "No. 12/2026"
    assert "letter" not in data and TINY_PDF.decode("latin-1") not in letter.get_data(True)

    # a draft is listed with status=draft only; submitting puts it in the queue
    listed = client.get(f"/api/v1/events/{event.id}/nominations", headers=bearer(reader))
    assert listed.get_json()["meta"]["total"] == 0
    drafts = client.get(f"/api/v1/events/{event.id}/nominations?status=draft",
                        headers=bearer(reader)).get_json()
    assert [n["id"] for n in drafts["data"]] == [nomination_id]
    submitted = client.post(f"{base}/submit", headers=bearer(writer))
    assert submitted.status_code == 200 and submitted.get_json()["data"]["status"] == "submitted"
    queue = client.get(f"/api/v1/events/{event.id}/nominations?status=submitted",
                       headers=bearer(reader)).get_json()
    assert queue["meta"]["total"] == 1 and len(queue["data"][0]["members"]) == 3

    # the letter as the organizers read it (audited)
    read = client.get(f"{base}/letter", headers=bearer(reader))
    assert read.status_code == 200 and read.mimetype == "application/pdf"
    assert read.data == TINY_PDF
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "nomination.letter_read")) is not None

    # returned, then submitted again
    returned = client.post(f"{base}/return", json={"reason": "Please add the note's date."},
                           headers=bearer(writer))
    assert returned.status_code == 200
    assert returned.get_json()["data"]["status"] == "returned"
    assert returned.get_json()["data"]["return_reason"] == "Please add the note's date."
    assert client.post(f"{base}/submit", headers=bearer(writer)).status_code == 200

    # accredit two, do not accredit the third
    accredited = client.post(f"{base}/accredit", json={"member_ids": [head["id"], second["id"]]},
                             headers=bearer(writer))
    assert accredited.status_code == 200, accredited.get_json()
    members = {m["id"]: m for m in accredited.get_json()["data"]["members"]}
    assert members[head["id"]]["status"] == "accredited"
    assert members[head["id"]]["registration_status"] == "confirmed"
    assert members[head["id"]]["registration_reference"]
    registration = db.session.get(Registration, members[head["id"]]["registration_id"])
    assert registration.photo is not None and registration.delegation_id is not None
    refused = client.post(f"{base}/members/{third['id']}/not-accredited",
                          json={"reason": "Not on the agreed list."}, headers=bearer(writer))
    assert refused.status_code == 200
    assert refused.get_json()["data"]["status"] == "not_accredited"
    final = client.get(base, headers=bearer(reader)).get_json()["data"]
    assert final["status"] == "decided" and final["delegation_id"] is not None
    # a member decided already
    again = client.post(f"{base}/accredit", json={"member_ids": [third["id"]]},
                        headers=bearer(writer))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    # everyone accredited got their own email; the focal point heard of the decisions
    recipients = set(db.session.scalars(select(OutboxEmail.recipient)))
    assert {"head@th.example.org", "niran@th.example.org",
            "focal@thaiembassy.example.org"} <= recipients

    # the photo moved to the registration: its own photo operations
    photo_url = f"/api/v1/events/{event.id}/registrations/{registration.id}/photo"
    assert client.get(photo_url, headers=bearer(reader)).mimetype == "image/jpeg"
    assert client.delete(photo_url, headers=bearer(writer)).status_code == 204
    assert client.get(photo_url, headers=bearer(reader)).status_code == 404
    assert client.put(photo_url, data=png(), headers=bearer(
        writer, **{"Content-Type": "image/png"})).status_code == 200
    assert client.get(photo_url, headers=bearer(reader)).status_code == 200


def test_withdraw_a_member_and_confirm_a_forwarded_focal_point(client, event, mission, writer):
    nomination_id = start(client, event, mission, writer)
    base = f"/api/v1/events/{event.id}/nominations/{nomination_id}"
    member = add(client, base, writer, member_body("Kanya", "kanya@th.example.org"))
    withdrawn = client.delete(f"{base}/members/{member['id']}", headers=bearer(writer))
    assert withdrawn.status_code == 200 and withdrawn.get_json()["data"]["status"] == "withdrawn"
    assert client.delete(f"{base}/members/{member['id']}",
                         headers=bearer(writer)).status_code == 409
    # staff-entered nominations are not forwarded: nothing to confirm
    assert client.post(f"{base}/confirm-focal-point", headers=bearer(writer)).status_code == 409
    db.session.get(Nomination, nomination_id).forwarded = True
    db.session.commit()
    confirmed = client.post(f"{base}/confirm-focal-point", headers=bearer(writer))
    assert confirmed.status_code == 200 and confirmed.get_json()["data"]["forwarded"] is False


def test_accredit_without_a_body_takes_every_proposed_member(client, event, mission, writer):
    nomination_id = start(client, event, mission, writer)
    base = f"/api/v1/events/{event.id}/nominations/{nomination_id}"
    add(client, base, writer, member_body("Somchai", "a@th.example.org", role="head"))
    add(client, base, writer, member_body("Prasert", "b@th.example.org"))
    assert put_letter(client, base, writer).status_code == 200
    assert client.post(f"{base}/submit", headers=bearer(writer)).status_code == 200
    answer = client.post(f"{base}/accredit", headers=bearer(writer))
    assert answer.status_code == 200
    assert {m["status"] for m in answer.get_json()["data"]["members"]} == {"accredited"}
    assert answer.get_json()["data"]["status"] == NominationStatus.DECIDED.value


# --- bad input -------------------------------------------------------------------------------

def test_bad_files(client, event, mission, writer, app):
    nomination_id = start(client, event, mission, writer)
    base = f"/api/v1/events/{event.id}/nominations/{nomination_id}"
    member = add(client, base, writer, member_body("Malee", "malee@th.example.org"))
    html = put_letter(client, base, writer, data=b"<!doctype html><html><body>%PDF-1.4</body>")
    assert html.status_code == 422
    assert html.get_json()["error"]["fields"] == {"letter": html.get_json()["error"]["message"]}
    assert "web page" in html.get_json()["error"]["message"]
    # in Bahasa Indonesia too
    html_id = put_letter(client, base, writer, data=b"<html><body>x</body></html>",
                         **{"Accept-Language": "id"})
    assert html_id.status_code == 422 and "HTML" in html_id.get_json()["error"]["message"]
    big = put_letter(client, base, writer, data=b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024))
    assert big.status_code == 413 and big.get_json()["error"]["code"] == "payload_too_large"
    as_json = client.put(f"{base}/letter", json={"pdf": "no"},
                         headers=bearer(writer, **{"Accept-Language": "id"}))
    assert as_json.status_code == 415
    assert as_json.get_json()["error"]["message"].startswith("Kirim berkas")
    # a letter above MAX_CONTENT_LENGTH (8 MB) but within the letter's 10 MB is read whole
    padded = pdf_bytes(padding=9 * 1024 * 1024)
    assert put_letter(client, base, writer, data=padded).status_code == 200

    photo_url = f"{base}/members/{member['id']}/photo"
    polyglot = jpeg() + b"<html><script>alert(1)</script></html>"
    refused = client.put(photo_url, data=polyglot,
                         headers=bearer(writer, **{"Content-Type": "image/jpeg"}))
    assert refused.status_code == 422 and refused.get_json()["error"]["fields"]["photo"]
    gif = client.put(photo_url, data=b"GIF89a...", headers=bearer(writer,
                                                                   **{"Content-Type": "image/gif"}))
    assert gif.status_code == 415
    huge = client.put(photo_url, data=b"\xff\xd8" + b"0" * (6 * 1024 * 1024),
                      headers=bearer(writer, **{"Content-Type": "image/jpeg"}))
    assert huge.status_code == 413
    assert client.get(photo_url, headers=bearer(writer)).status_code == 404
    # nothing refused was stored
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "nomination.member_photo_set")) is None


def test_bad_values_and_states(client, event, mission, writer):
    url = f"/api/v1/events/{event.id}/nominations"
    person = add_invitee(event)
    refused = client.post(url, json={"invitee_id": person.id}, headers=bearer(writer))
    assert refused.status_code == 409  # a person does not nominate a delegation
    unknown = client.post(url, json={"invitee_id": 999999}, headers=bearer(writer))
    assert unknown.status_code == 422 and "invitee_id" in unknown.get_json()["error"]["fields"]
    assert client.post(url, json={"invitee_id": "x"}, headers=bearer(writer)).status_code == 422
    nomination_id = start(client, event, mission, writer)
    again = client.post(url, json={"invitee_id": mission.id}, headers=bearer(writer))
    assert again.status_code == 409
    base = f"{url}/{nomination_id}"
    bad = client.post(f"{base}/members", json=member_body("R2D2", "not-an-email"),
                      headers=bearer(writer))
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"]
    missing = client.post(f"{base}/members", json={"given_name": "Somchai"},
                          headers=bearer(writer))
    assert missing.status_code == 422 and {"honorific", "email", "role"} <= set(
        missing.get_json()["error"]["fields"])
    add(client, base, writer, member_body("Somchai", "same@th.example.org"))
    twice = client.post(f"{base}/members", json=member_body("Niran", "same@th.example.org"),
                        headers=bearer(writer))
    assert twice.status_code == 422 and "email" in twice.get_json()["error"]["fields"]
    # submitting without a letter; deciding on a draft; a blank reason
    assert client.post(f"{base}/submit", headers=bearer(writer)).status_code == 409
    assert client.post(f"{base}/accredit", headers=bearer(writer)).status_code == 409
    blank = client.post(f"{base}/return", json={"reason": "   "}, headers=bearer(writer))
    assert blank.status_code == 422 and "reason" in blank.get_json()["error"]["fields"]
    ids = client.post(f"{base}/accredit", json={"member_ids": ["a"]}, headers=bearer(writer))
    assert ids.status_code == 422 and "member_ids" in ids.get_json()["error"]["fields"]
    assert client.post(f"{base}/accredit", data="{", headers=bearer(
        writer, **{"Content-Type": "application/json"})).status_code == 400


def test_other_events_ids_and_read_only_tokens(client, owner, event, mission, writer, reader):
    nomination_id = start(client, event, mission, writer)
    base = f"/api/v1/events/{event.id}/nominations/{nomination_id}"
    member = add(client, base, writer, member_body("Somchai", "s@th.example.org"))
    other = registration_event(owner, title="Other forum")
    other_base = f"/api/v1/events/{other.id}/nominations/{nomination_id}"
    for method, path in (("get", other_base), ("get", f"{other_base}/letter"),
                         ("post", f"{other_base}/submit"),
                         ("get", f"{other_base}/members/{member['id']}/photo"),
                         ("get", f"{base}/members/999999/photo")):
        answer = getattr(client, method)(path, headers=bearer(writer))
        assert answer.status_code == 404, path
        assert answer.get_json()["error"]["code"] == "not_found"
    registration = add_registration(event)
    assert client.get(f"/api/v1/events/{other.id}/registrations/{registration.id}/photo",
                      headers=bearer(writer)).status_code == 404
    # a read-only token reads, never writes
    assert client.get(base, headers=bearer(reader)).status_code == 200
    for method, path, kwargs in (
            ("post", f"{base}/submit", {}),
            ("post", f"{base}/members", {"json": member_body("Niran", "n@th.example.org")}),
            ("put", f"{base}/letter", {"data": TINY_PDF,
                                       "content_type": "application/pdf"}),
            ("post", f"{base}/return", {"json": {"reason": "x"}}),
            ("post", f"/api/v1/events/{event.id}/registrations/{registration.id}/substitute",
             {"json": {}})):
        answer = getattr(client, method)(path, headers=bearer(reader), **kwargs)
        assert answer.status_code == 403, path
    # nothing the read-only token sent was stored
    assert db.session.scalar(select(Nomination.letter_id)) is None


def test_team_without_manage_right_is_refused(client, event, mission, writer, make_user):
    viewer = make_user("staff")
    add_team_member(event, viewer, can_checkin=True)
    secret = api_tokens.create_token(viewer, name="Desk", can_write=True)[1]
    start(client, event, mission, writer)
    answer = client.get(f"/api/v1/events/{event.id}/nominations", headers=bearer(secret))
    assert answer.status_code == 403
    registration = add_registration(event)
    url = f"/api/v1/events/{event.id}/registrations/{registration.id}/photo"
    assert client.put(url, data=jpeg(), headers=bearer(
        secret, **{"Content-Type": "image/jpeg"})).status_code == 403


# --- substitution ----------------------------------------------------------------------------

def test_substitution_keeps_the_seat(client, owner, writer, reader):
    event = registration_event(owner, title="Full forum", capacity=1)
    registration = add_registration(event, email="old@example.org")
    waiting = add_registration(event, status=RegistrationStatus.WAITLISTED,
                               email="waiting@example.org")
    old_reference = registration.reference
    url = f"/api/v1/events/{event.id}/registrations/{registration.id}/substitute"
    body = {"honorific": "ms", "given_name": "Retno", "family_name": "Marsudi",
            "email": "new@example.org", "organisation": "Ministry of Foreign Affairs",
            "delegation_role": "head", "language": "id", "country": "FR"}
    answer = client.post(url, json=body, headers=bearer(writer))
    assert answer.status_code == 200, answer.get_json()
    data = answer.get_json()["data"]
    assert data["id"] == registration.id and data["status"] == "confirmed"
    assert data["reference"] != old_reference and data["email"] == "new@example.org"
    assert data["country"] == "ID"  # the place belongs to its country
    assert "token" not in answer.get_data(True) and "/r/" not in answer.get_data(True)
    db.session.expire_all()
    assert db.session.get(Registration, waiting.id).status == RegistrationStatus.WAITLISTED
    recipients = set(db.session.scalars(select(OutboxEmail.recipient)))
    assert {"new@example.org", "old@example.org"} <= recipients
    # the same address again, a taken one, and bad values
    same = client.post(url, json=body, headers=bearer(writer))
    assert same.status_code == 422 and "email" in same.get_json()["error"]["fields"]
    taken = client.post(url, json={**body, "email": "waiting@example.org"},
                        headers=bearer(writer))
    assert taken.status_code == 409
    invalid = client.post(url, json={**body, "honorific": "king", "given_name": 7},
                          headers=bearer(writer))
    assert invalid.status_code == 422
    assert set(invalid.get_json()["error"]["fields"]) == {"given_name", "honorific"}
    bad_email = client.post(url, json={**body, "email": "x"}, headers=bearer(writer))
    assert bad_email.status_code == 422 and set(bad_email.get_json()["error"]["fields"]) == {
        "email"}
    assert client.post(url, json=body, headers=bearer(reader)).status_code == 403


def test_substitution_requests_listed_approved_and_refused(client, owner, event, writer, reader):
    first = add_registration(event, email="first@example.org")
    second = add_registration(event, email="second@example.org")
    asked = substitution.request_substitution(first, service_data(email="new1@example.org"))
    other = substitution.request_substitution(second, service_data(email="new2@example.org"))
    url = f"/api/v1/events/{event.id}/substitution-requests"
    listed = client.get(url, headers=bearer(reader))
    assert listed.status_code == 200 and listed.get_json()["meta"]["total"] == 2
    row = listed.get_json()["data"][0]
    assert row["id"] == asked.id and row["new_person"]["email"] == "new1@example.org"
    assert "passport_number" not in row["new_person"]
    approved = client.post(f"{url}/{asked.id}/approve", headers=bearer(writer))
    assert approved.status_code == 200
    assert approved.get_json()["data"]["email"] == "new1@example.org"
    assert approved.get_json()["data"]["id"] == first.id
    assert client.post(f"{url}/{asked.id}/approve", headers=bearer(writer)).status_code == 409
    refused = client.post(f"{url}/{other.id}/refuse", json={"reason": "Please ask the focal "
                                                                      "point."},
                          headers=bearer(writer))
    assert refused.status_code == 200
    assert refused.get_json()["data"]["status"] == "refused"
    assert refused.get_json()["data"]["new_person"] is None
    assert client.get(url, headers=bearer(reader)).get_json()["meta"]["total"] == 0
    assert client.post(f"{url}/{other.id}/refuse", headers=bearer(reader)).status_code == 403
    other_event = registration_event(owner, title="Other")
    assert client.post(f"/api/v1/events/{other_event.id}/substitution-requests/{other.id}/"
                       "refuse", headers=bearer(writer)).status_code == 404
