"""Organisation invitees (staff form, list, import, API) and the personal data of nominations
(retention, erasure of an invitee)."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    Invitee,
    Nomination,
    NominationMember,
    Upload,
    utcnow,
)
from seminar_app.services.accounts import api_tokens
from seminar_app.services.invitations import invitations
from seminar_app.services.invitations.invitee_kind import read_kind
from seminar_app.services.privacy.retention import purge_personal_data
from seminar_app.services.registration import nominations
from tests.conftest import post_form
from tests.factories import add_invitee, logged_in, registration_event
from tests.test_invitations_import import confirm, preview_of
from tests.test_nomination_flow import MEMBER, jpeg_bytes, pdf_bytes


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(db, owner):
    return registration_event(owner)


def staff_url(event) -> str:
    return f"/manage/events/{event.id}/invitations"


# --- staff set the kind ----------------------------------------------------------------------

@pytest.mark.parametrize("lang, marker", [("en", "Organisation"), ("id", "Instansi")])
def test_staff_add_an_organisation_invitee_and_see_the_marker(app, owner, event, lang,
                                                              marker):
    staff = logged_in(app, owner)
    staff.set_cookie("lang", lang)
    form = staff.get(f"{staff_url(event)}/new").get_data(as_text=True)
    assert 'name="kind"' in form
    response = post_form(staff, f"{staff_url(event)}/new", {
        "kind": "organisation", "name": "Anong Chaiyaporn", "email": "focal@thaiembassy.org",
        "country": "TH", "organisation": "Royal Thai Embassy", "language": "en"})
    assert response.status_code == 303
    invitee = db.session.scalar(select(Invitee).where(Invitee.email == "focal@thaiembassy.org"))
    assert invitee.kind == "organisation"
    listing = staff.get(staff_url(event)).get_data(as_text=True)
    assert "data-organisation" in listing and marker in listing
    page = staff.get(f"{staff_url(event)}/{invitee.id}").get_data(as_text=True)
    assert "data-organisation" in page


def test_an_organisation_needs_a_country(app, owner, event):
    staff = logged_in(app, owner)
    response = post_form(staff, f"{staff_url(event)}/new", {
        "kind": "organisation", "name": "Focal Point", "email": "fp@example.org",
        "country": "", "language": "en"})
    assert response.status_code == 422
    assert "An organisation needs its country" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Invitee)) == 0


def test_kind_words_in_both_languages():
    assert read_kind("Organisation") == read_kind("organisasi") == "organisation"
    assert read_kind("") == read_kind("orang") == read_kind("Person") == "person"
    assert read_kind("robot") is None


def test_import_reads_a_kind_column_in_indonesian(app, owner, event):
    staff = logged_in(app, owner)
    data = (b"nama,email,negara,jenis\n"
            b"Anong Chaiyaporn,focal@thaiembassy.org,Thailand,organisasi\n"
            b"Siti Rahma,siti@example.org,ID,perorangan\n"
            b"Nobody,nobody@example.org,,robot\n")
    file_id, body = preview_of(staff, event, data)
    assert "Choose person or organisation." in body
    assert confirm(staff, event, file_id).status_code == 303
    kinds = dict(db.session.execute(select(Invitee.email, Invitee.kind)).all())
    assert kinds == {"focal@thaiembassy.org": "organisation", "siti@example.org": "person"}


def test_import_of_an_organisation_without_country_is_refused(app, owner, event):
    staff = logged_in(app, owner)
    _file_id, body = preview_of(staff, event, b"name,email,type\nX Y,xy@example.org,organisation\n")
    assert "An organisation needs its country" in body


def test_api_takes_and_shows_the_kind(client, owner, event):
    secret = api_tokens.create_token(owner, name="Website", can_write=True)[1]
    url = f"/api/v1/events/{event.id}/invitees"
    headers = {"Authorization": f"Bearer {secret}"}
    response = client.post(url, headers=headers, json={
        "name": "Anong Chaiyaporn", "email": "focal@thaiembassy.org", "country": "TH",
        "kind": "organisation"})
    assert response.status_code == 201, response.get_json()
    created = response.get_json()["data"]
    assert created["kind"] == "organisation"
    patched = client.patch(f"{url}/{created['id']}", headers=headers,
                           json={"position": "Counsellor"}).get_json()["data"]
    assert patched["kind"] == "organisation"  # left out: unchanged
    refused = client.post(url, headers=headers, json={
        "name": "No Country", "email": "nc@example.org", "kind": "organisation"})
    assert refused.status_code == 422
    assert client.post(url, headers=headers, json={
        "name": "Bad Kind", "email": "bk@example.org", "kind": "robot"}).status_code == 422


# --- personal data ---------------------------------------------------------------------------

def _nominated(event) -> tuple[Invitee, Nomination]:
    invitee = add_invitee(event, kind="organisation", country="TH",
                          email="focal@thaiembassy.org")
    nomination = nominations.get_or_start_nomination(invitee)
    nominations.set_letter(nomination, pdf_bytes(), "note.pdf")
    member = nominations.add_member(nomination, MEMBER)
    nominations.set_member_photo(nomination, member.id, jpeg_bytes())
    return invitee, nomination


def test_anonymising_an_events_invitees_scrubs_their_nominations(owner):
    start = utcnow() - timedelta(days=800)
    event = registration_event(owner, start_at=start, end_at=start + timedelta(hours=8),
                               registration_opens_at=start - timedelta(days=9),
                               anonymise_after_months=24)
    event.end_at = utcnow() + timedelta(days=1)  # open while the nomination is made
    db.session.commit()
    _invitee, nomination = _nominated(event)
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 3
    event.end_at = start + timedelta(hours=8)
    db.session.commit()
    purge_personal_data()
    db.session.expire_all()
    member = db.session.scalar(select(NominationMember))
    assert member.given_name == "—" and member.family_name == ""
    assert member.email.endswith("@invalid") and member.position == ""
    assert member.photo_id is None and member.role == "delegate"
    nomination = db.session.get(Nomination, nomination.id)
    assert nomination.letter_id is None
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0
    for entry in db.session.scalars(select(AuditEntry).where(
            AuditEntry.object_type == "nominations")):
        text = str(entry.details)
        assert "somchai" not in text.lower() and "focal@thaiembassy.org" not in text


def test_deleting_an_invitee_deletes_its_letter_and_photos(event):
    invitee, _nomination = _nominated(event)
    invitations.delete_invitee(invitee)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == 0
    assert db.session.scalar(select(func.count()).select_from(NominationMember)) == 0
    for entry in db.session.scalars(select(AuditEntry).where(
            AuditEntry.object_type == "nominations")):
        assert "somchai@mfa.go.th" not in str(entry.details)


def test_files_posted_to_the_staff_form_are_ignored(app, owner, event):
    staff = logged_in(app, owner)
    response = post_form(staff, f"{staff_url(event)}/new", {
        "kind": "person", "name": "Plain Person", "email": "pp@example.org", "language": "en",
        "file": (io.BytesIO(b"x"), "x.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 303
