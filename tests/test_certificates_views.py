"""Certificates of attendance on the web: the Certificates page, the downloads, the public
verification page, in both languages, and who may open what."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from seminar_app.extensions import db
from seminar_app.models import AuditEntry, CertificateSettings, RegistrationStatus, utcnow
from seminar_app.services.registration import certificates as rules
from seminar_app.services.registration.registration_codes import new_manage_token
from tests.conftest import post_form
from tests.factories import add_registration, add_team_member
from tests.public_factories import create_event


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    start = utcnow() - timedelta(days=3)
    event = create_event(owner, title="ASEAN Forum", start_at=start,
                         end_at=start + timedelta(days=2),
                         letter_signatory_name="Siti Nugraha Maulidiah")
    rules.update_certificate_settings(event, enabled=True, scope="checked_in")
    return event


@pytest.fixture
def delegate(event):
    return add_registration(event, checked_in_at=utcnow(), given_name="Retno",
                            family_name="Marsudi", email="retno@example.org",
                            position="Minister", phone="+62 21 3441508", country="TH")


def _token(registration) -> str:
    token = new_manage_token(registration)
    db.session.commit()
    return token


def _pdf_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    assert response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)


# --- the Certificates page -------------------------------------------------------------------

def test_page_is_in_the_event_tabs_and_saves_the_settings(client, auth, owner, event):
    auth.login(owner)
    page = client.get(f"/manage/events/{event.id}/documents").get_data(as_text=True)
    assert f"/manage/events/{event.id}/certificates" in page
    response = post_form(client, f"/manage/events/{event.id}/certificates", {
        "enabled": "y", "scope": "confirmed", "signatory_name": "Budi Santoso",
        "signatory_title": "Head of Centre", "wording_en": "for active participation",
        "wording_id": "atas partisipasi aktifnya"})
    assert response.status_code == 303
    settings = db.session.get(CertificateSettings, event.id)
    db.session.refresh(settings)
    assert (settings.scope, settings.signatory_name, settings.wording_id) == (
        "confirmed", "Budi Santoso", "atas partisipasi aktifnya")
    assert db.session.query(AuditEntry).filter_by(
        action="event.certificates_update").count() == 2


def test_page_refuses_bad_input_with_a_message_in_each_language(client, auth, owner, event):
    auth.login(owner)
    url = f"/manage/events/{event.id}/certificates"
    response = post_form(client, url, {"enabled": "y", "scope": "everyone"})
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    response = post_form(client, url, {"scope": "confirmed", "wording_en": "x" * 600})
    assert response.status_code == 422
    assert "At most 500 characters." in response.get_data(as_text=True)
    client.set_cookie("lang", "id")
    response = post_form(client, url, {"scope": "confirmed", "wording_en": "x" * 600})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Maksimal 500 karakter." in page
    assert "Sertifikat kehadiran" in page


def test_enabling_without_any_signatory_is_refused(client, auth, owner):
    event = create_event(owner)
    auth.login(owner)
    response = post_form(client, f"/manage/events/{event.id}/certificates",
                         {"enabled": "y", "scope": "checked_in"})
    assert response.status_code == 422
    assert "Enter who signs the certificates" in response.get_data(as_text=True)
    assert db.session.get(CertificateSettings, event.id) is None


def test_view_only_member_sees_but_cannot_change(client, auth, make_user, event):
    member = make_user("staff")
    add_team_member(event, member)
    auth.login(member)
    url = f"/manage/events/{event.id}/certificates"
    page = client.get(url)
    assert page.status_code == 200 and 'name="scope"' not in page.get_data(as_text=True)
    assert "Delegates who checked in" in page.get_data(as_text=True)
    assert post_form(client, url, {"scope": "confirmed"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(CertificateSettings, event.id).scope == "checked_in"


def test_outsiders_are_refused(client, auth, make_user, event, delegate):
    urls = [f"/manage/events/{event.id}/certificates",
            f"/manage/events/{event.id}/registrations/{delegate.id}/certificate.pdf"]
    for url in urls:  # anonymous: to the login page
        assert client.get(url).status_code == 302
    auth.login(make_user("staff"))  # not on the team
    for url in urls:
        assert client.get(url).status_code == 403


# --- downloads -------------------------------------------------------------------------------

def test_staff_download_from_the_participant_page(client, auth, make_user, event, delegate):
    member = make_user("staff")
    add_team_member(event, member, can_checkin=True)
    auth.login(member)
    page = client.get(f"/manage/events/{event.id}/registrations/{delegate.id}")
    url = f"/manage/events/{event.id}/registrations/{delegate.id}/certificate.pdf"
    assert url in page.get_data(as_text=True)
    text = _pdf_text(client.get(url + "?lang=id"))
    assert "SERTIFIKAT KEHADIRAN" in text and "Retno Marsudi" in text


def test_staff_see_why_a_delegate_has_none(client, auth, owner, event):
    absent = add_registration(event)
    auth.login(owner)
    page = client.get(f"/manage/events/{event.id}/registrations/{absent.id}")
    assert "arrival was recorded at the check-in desk" in page.get_data(as_text=True)
    response = client.get(f"/manage/events/{event.id}/registrations/{absent.id}/certificate.pdf")
    assert response.status_code == 409


def test_delegate_downloads_from_the_personal_page(client, event, delegate):
    token = _token(delegate)
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert f"/r/{token}/certificate.pdf" in page
    text = _pdf_text(client.get(f"/r/{token}/certificate.pdf"))
    assert "CERTIFICATE OF ATTENDANCE" in text and "Retno Marsudi" in text


def test_delegate_not_checked_in_gets_no_certificate(client, event):
    absent = add_registration(event)
    token = _token(absent)
    assert "/certificate.pdf" not in client.get(f"/r/{token}").get_data(as_text=True)
    response = client.get(f"/r/{token}/certificate.pdf")
    assert response.status_code == 409
    assert "check-in desk" in response.get_data(as_text=True)
    client.set_cookie("lang", "id")
    response = client.get(f"/r/{token}/certificate.pdf")
    assert response.status_code == 409
    assert "meja registrasi ulang" in response.get_data(as_text=True)


def test_no_certificate_before_the_event_is_over(client, owner):
    upcoming = create_event(owner, letter_signatory_name="A. Signatory")
    rules.update_certificate_settings(upcoming, enabled=True, scope="confirmed")
    registration = add_registration(upcoming)
    token = _token(registration)
    assert "/certificate.pdf" not in client.get(f"/r/{token}").get_data(as_text=True)
    response = client.get(f"/r/{token}/certificate.pdf")
    assert response.status_code == 409
    assert "once the event has ended" in response.get_data(as_text=True)


def test_a_forged_personal_link_is_not_found(client, event, delegate):
    token = _token(delegate)
    assert client.get(f"/r/{token[:-2]}xx/certificate.pdf").status_code == 404
    assert client.get(f"/c/{delegate.id}.{'A' * 22}.pdf").status_code == 404
    assert client.get("/c/not-a-token.pdf").status_code == 404


# --- verification ----------------------------------------------------------------------------

def test_verification_shows_only_name_event_and_dates(client, event, delegate):
    code = rules.verification_code(delegate)
    response = client.get(f"/v/{code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This is a valid certificate of attendance." in page
    assert "Retno Marsudi" in page and "ASEAN Forum" in page
    for private in ("retno@example.org", "Minister", "3441508", "Thailand",
                    delegate.reference, "Ministry of Foreign Affairs"):
        assert private not in page
    client.set_cookie("lang", "id")
    page = client.get(f"/v/{code}").get_data(as_text=True)
    assert "Ini adalah sertifikat kehadiran yang sah." in page


@pytest.mark.parametrize("language, message", [
    ("en", "This is not a valid certificate of attendance."),
    ("id", "Ini bukan sertifikat kehadiran yang sah.")])
def test_a_forged_or_altered_code_is_a_clear_404(client, event, delegate, language, message):
    client.set_cookie("lang", language)
    code = rules.verification_code(delegate)
    for forged in (code[:-1] + ("A" if code[-1] != "A" else "B"), f"{delegate.id + 1}.x",
                   "999999999.AAAAAAAAAAAAAAAA", "%00", "<script>", "9" * 40 + ".x",
                   rules.download_token(delegate)):
        response = client.get(f"/v/{forged}")
        assert response.status_code == 404, forged
        assert message in response.get_data(as_text=True)


def test_a_revoked_certificate_no_longer_verifies(client, event, delegate):
    code = rules.verification_code(delegate)
    assert client.get(f"/v/{code}").status_code == 200
    delegate.status = RegistrationStatus.CANCELLED
    db.session.commit()
    assert client.get(f"/v/{code}").status_code == 404
