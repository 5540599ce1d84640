"""The documents pages: settings, badge and letter downloads, who may open what."""

import io
from datetime import date

import pytest
from PIL import Image

from seminar_app.extensions import db
from seminar_app.models import AuditEntry, RegistrationStatus, Upload
from seminar_app.services.registration.registration_codes import new_manage_token
from tests.conftest import post_form
from tests.factories import add_registration, add_team_member
from tests.public_factories import create_event

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#1f4e99").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return create_event(owner, slug="jakarta-forum", letter_signatory_name="Siti Maulidiah")


@pytest.fixture
def visa_registration(event):
    return add_registration(event, needs_visa_letter=True, passport_number="AE1234567",
                             nationality="GR", birth_date=date(1980, 7, 14),
                             birth_place="Thessaloniki", passport_expiry=date(2032, 1, 9))


def _url(event, tail=""):
    return f"/manage/events/{event.id}/{tail}"


def _assert_pdf(response, filename_start: str):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="{filename_start}')
    assert "no-store" in response.headers["Cache-Control"]


# --- the settings page -----------------------------------------------------------------------

def test_settings_shows_badge_links_and_visa_requests_to_the_owner(client, auth, owner, event,
                                                                  visa_registration):
    auth.login(owner)
    response = client.get(_url(event, "documents"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"/manage/events/{event.id}/badges.pdf" in page
    assert (f"/manage/events/{event.id}/registrations/{visa_registration.id}/visa-letter.pdf"
            in page)
    assert 'name="signatory_name"' in page


def test_settings_lets_a_view_only_member_look_but_not_change(client, auth, make_user, event,
                                                             visa_registration):
    member = make_user("staff")
    add_team_member(event, member)
    auth.login(member)
    response = client.get(_url(event, "documents"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="signatory_name"' not in page
    assert "visa-letter.pdf" not in page
    response = post_form(client, _url(event, "documents"), {"signatory_name": "Intruder"})
    assert response.status_code == 403
    db.session.refresh(event)
    assert event.letter_signatory_name == "Siti Maulidiah"


def test_settings_saves_the_signatory_and_a_wide_letterhead(client, auth, owner, event):
    auth.login(owner)
    response = post_form(client, _url(event, "documents"), {
        "signatory_name": "Budi Santoso", "signatory_title": "Director",
        "letterhead": (io.BytesIO(_png(2400, 300)), "head.png")})
    assert response.status_code == 302
    db.session.refresh(event)
    assert (event.letter_signatory_name, event.letter_signatory_title) == ("Budi Santoso",
                                                                           "Director")
    with Image.open(io.BytesIO(event.letterhead.data)) as stored:
        assert stored.size == (2000, 250)  # shrunk to 2000 px, not to a logo's 600
    assert db.session.query(AuditEntry).filter_by(action="event.documents_update").count() == 1


def test_settings_removes_the_letterhead(client, auth, owner, event):
    auth.login(owner)
    post_form(client, _url(event, "documents"), {
        "signatory_name": "Budi", "letterhead": (io.BytesIO(_png(800, 100)), "head.png")})
    response = post_form(client, _url(event, "documents"),
                         {"signatory_name": "Budi", "remove_letterhead": "y"})
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.letterhead is None
    assert db.session.query(Upload).count() == 0


def test_settings_refuses_an_svg_letterhead(client, auth, owner, event):
    auth.login(owner)
    response = post_form(client, _url(event, "documents"), {
        "signatory_name": "Budi", "letterhead": (io.BytesIO(SVG), "head.svg")})
    assert response.status_code == 422
    assert "PNG, JPEG, GIF or WebP" in response.get_data(as_text=True)
    db.session.refresh(event)
    assert event.letterhead is None
    assert event.letter_signatory_name == "Siti Maulidiah"


def test_settings_refuses_an_overlong_signatory(client, auth, owner, event):
    auth.login(owner)
    response = post_form(client, _url(event, "documents"), {"signatory_name": "x" * 201})
    assert response.status_code == 422


# --- badges ----------------------------------------------------------------------------------

def test_badges_downloads_a_sheet_of_confirmed_registrations(client, auth, owner, event):
    add_registration(event)
    add_registration(event, status=RegistrationStatus.PENDING)
    auth.login(owner)
    _assert_pdf(client.get(_url(event, "badges.pdf?layout=single&lang=id")),
                "badges-jakarta-forum-confirmed-single")


def test_badges_with_nothing_to_print_goes_back_with_a_message(client, auth, owner, event):
    add_registration(event, status=RegistrationStatus.CANCELLED)
    auth.login(owner)
    response = client.get(_url(event, "badges.pdf"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(_url(event, "documents"))


def test_badges_refuses_an_unknown_status(client, auth, owner, event):
    add_registration(event)
    auth.login(owner)
    assert client.get(_url(event, "badges.pdf?status=cancelled")).status_code == 400


def test_badges_are_open_to_check_in_staff(client, auth, make_user, event):
    registration = add_registration(event)
    member = make_user("staff")
    add_team_member(event, member, can_checkin=True)
    auth.login(member)
    _assert_pdf(client.get(_url(event, "badges.pdf")), "badges-")
    _assert_pdf(client.get(_url(event, f"registrations/{registration.id}/badge.pdf")),
                f"badge-{registration.reference}")


def test_registration_badge_of_another_event_is_not_found(client, auth, owner, event):
    other = create_event(owner)
    foreign = add_registration(other)
    auth.login(owner)
    assert client.get(_url(event, f"registrations/{foreign.id}/badge.pdf")).status_code == 404
    assert client.get(_url(event, "registrations/999999/badge.pdf")).status_code == 404


def test_badges_send_anonymous_visitors_to_the_login(client, event):
    response = client.get(_url(event, "badges.pdf"))
    assert response.status_code == 302
    assert "/manage/login" in response.headers["Location"]


# --- visa letters ----------------------------------------------------------------------------

def test_visa_letter_downloads_for_the_organizer(client, auth, owner, event, visa_registration):
    auth.login(owner)
    response = client.get(_url(event, f"registrations/{visa_registration.id}/visa-letter.pdf"))
    _assert_pdf(response, f"visa-letter-{visa_registration.reference}")


@pytest.mark.parametrize("rights", [{}, {"can_checkin": True}, {"can_invite": True}])
def test_visa_letter_is_forbidden_without_manage_rights(client, auth, make_user, event,
                                                        visa_registration, rights):
    member = make_user("staff")
    add_team_member(event, member, **rights)
    auth.login(member)
    response = client.get(_url(event, f"registrations/{visa_registration.id}/visa-letter.pdf"))
    assert response.status_code == 403


def test_visa_letter_for_a_delegate_who_did_not_ask_is_a_conflict(client, auth, owner, event):
    registration = add_registration(event, needs_visa_letter=False)
    auth.login(owner)
    response = client.get(_url(event, f"registrations/{registration.id}/visa-letter.pdf"))
    assert response.status_code == 409
    assert "did not ask for a visa invitation letter" in response.get_data(as_text=True)


def test_visa_letter_of_another_event_is_not_found(client, auth, owner, event):
    other = create_event(owner, letter_signatory_name="Someone")
    foreign = add_registration(other, needs_visa_letter=True)
    auth.login(owner)
    response = client.get(_url(event, f"registrations/{foreign.id}/visa-letter.pdf"))
    assert response.status_code == 404


# --- the delegate's own badge ----------------------------------------------------------------

def _token_for(registration) -> str:
    token = new_manage_token(registration)
    db.session.commit()
    return token


def test_own_badge_downloads_through_the_personal_link(client, event):
    registration = add_registration(event)
    response = client.get(f"/r/{_token_for(registration)}/badge.pdf")
    _assert_pdf(response, f"badge-{registration.reference}")


def test_own_badge_waits_for_confirmation(client, event):
    registration = add_registration(event, status=RegistrationStatus.PENDING)
    response = client.get(f"/r/{_token_for(registration)}/badge.pdf")
    assert response.status_code == 409
    assert "once your registration is confirmed" in response.get_data(as_text=True)


def test_own_badge_with_a_tampered_link_is_not_found(client, event):
    registration = add_registration(event)
    token = _token_for(registration)
    assert client.get(f"/r/{token[:-2]}xx/badge.pdf").status_code == 404


def test_settings_speaks_indonesian(client, auth, owner, event):
    auth.login(owner)
    client.set_cookie("lang", "id")
    page = client.get(_url(event, "documents")).get_data(as_text=True)
    assert '<html lang="id"' in page
    assert "Kop surat dan penanda tangan" in page
