"""The certificate mailing end to end through a real SMTP server (aiosmtpd): compose, confirm,
progress and retry; the personal link in the email opens the delegate's PDF; the generic
create_mailing path (as automatic mailings use it) and its refusals."""

import io
import re
import secrets
from datetime import timedelta

import pytest
from pypdf import PdfReader

from seminar_app.models import MailingKind, RegistrationStatus, utcnow
from seminar_app.services.errors import ServiceError
from seminar_app.services.invitations import mailings
from seminar_app.services.invitations import message_templates as wording
from seminar_app.services.registration import certificates as rules
from tests.conftest import post_form
from tests.factories import add_registration, add_team_member, logged_in
from tests.public_factories import create_event

LINK = re.compile(r"https?://[^\s\"<>]+(/c/[0-9]+\.[A-Za-z0-9_-]{22}\.pdf)")


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def event(owner):
    start = utcnow() - timedelta(days=3)
    event = create_event(owner, title="Bali Dialogue", start_at=start,
                         end_at=start + timedelta(days=1), letter_signatory_name="I. Wayan")
    rules.update_certificate_settings(event, enabled=True, scope="checked_in")
    return event


def _pdf_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)


def test_mailing_sends_each_delegate_a_link_that_opens_their_pdf(app, db, event, smtp_server):
    english = add_registration(event, checked_in_at=utcnow(), given_name="Alice",
                               family_name="Walker", language="en")
    indonesian = add_registration(event, checked_in_at=utcnow(), given_name="Budi",
                                  family_name="Santoso", language="id")
    add_registration(event)  # did not check in: no certificate, no email
    add_registration(event, status=RegistrationStatus.CANCELLED, checked_in_at=utcnow())
    add_registration(event, checked_in_at=utcnow(), unsubscribed_at=utcnow())
    mailing, created = mailings.create_mailing(event, MailingKind.CERTIFICATE, {},
                                               send_key=secrets.token_urlsafe(24))
    assert created and mailing.audience == {"audience": "eligible"}
    assert mailing.recipient_count == 2
    received = smtp_server.wait_for(2)
    by_address = {item["to"][0]: item["message"] for item in received}
    assert set(by_address) == {english.email, indonesian.email}
    public = app.test_client()
    for person, subject, heading in (
            (english, "Your certificate of attendance: Bali Dialogue",
             "CERTIFICATE OF ATTENDANCE"),
            (indonesian, "Sertifikat kehadiran Anda: Bali Dialogue", "SERTIFIKAT KEHADIRAN")):
        message = by_address[person.email]
        assert message["Subject"] == subject
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        paths = set(LINK.findall(text))
        assert paths == {f"/c/{rules.download_token(person)}.pdf"}
        assert paths.copy().pop() in html
        pdf = _pdf_text(public.get(paths.pop()))
        assert heading in pdf and person.full_name in pdf
    assert len(smtp_server.messages) == 2


def test_mailing_link_stops_working_when_the_registration_is_cancelled(app, db, event):
    person = add_registration(event, checked_in_at=utcnow())
    url = f"/c/{rules.download_token(person)}.pdf"
    client = app.test_client()
    assert client.get(url).status_code == 200
    person.status = RegistrationStatus.CANCELLED
    db.session.commit()
    response = client.get(url)
    assert response.status_code == 409
    assert "Only confirmed delegates" in response.get_data(as_text=True)


def test_compose_confirm_progress_and_retry_with_real_smtp(app, db, owner, event, smtp_server):
    people = [add_registration(event, checked_in_at=utcnow()) for _ in range(3)]
    smtp_server.rcpt_replies[people[0].email] = "550 5.1.1 No such user here"
    client = logged_in(app, owner)
    settings_page = client.get(f"/manage/events/{event.id}/certificates").get_data(as_text=True)
    assert "3 delegates meet the conditions for a certificate." in settings_page
    base = f"/manage/events/{event.id}/invitations/mailings"
    assert f"{base}/new?kind=certificate" in settings_page
    page = client.get(f"{base}/new?kind=certificate").get_data(as_text=True)
    assert "Delegates who get a certificate" in page
    send_key = re.search(r'name="send_key"[^>]*value="([^"]+)"', page).group(1)
    confirm = post_form(client, f"{base}/new", {"kind": "certificate", "audience": "eligible",
                                                "send_key": send_key})
    assert confirm.status_code == 200 and people[1].full_name in confirm.get_data(as_text=True)
    sent = post_form(client, f"{base}/new", {"kind": "certificate", "audience": "eligible",
                                             "send_key": send_key, "confirmed": "1",
                                             "expected": "3"})
    assert sent.status_code == 303
    smtp_server.wait_for(2)
    mailing_url = sent.headers["Location"]
    progress = client.get(mailing_url + "/progress").get_data(as_text=True)
    assert "550 5.1.1 No such user here" in progress
    assert "Certificate of attendance" in client.get(mailing_url).get_data(as_text=True)
    smtp_server.rcpt_replies.clear()
    assert post_form(client, mailing_url + "/retry").status_code == 303
    received = smtp_server.wait_for(3)
    assert people[0].email in {item["to"][0] for item in received}


def test_compose_page_speaks_indonesian(app, db, owner, event):
    client = logged_in(app, owner)
    client.set_cookie("lang", "id")
    add_registration(event, checked_in_at=utcnow())
    page = client.get(f"/manage/events/{event.id}/invitations/mailings/new?kind=certificate")
    assert page.status_code == 200
    assert "Delegasi yang menerima sertifikat" in page.get_data(as_text=True)


def test_mailing_refused_before_the_end_or_when_off(app, db, owner):
    upcoming = create_event(owner, letter_signatory_name="A. Signatory")
    add_registration(upcoming, checked_in_at=utcnow())
    rules.update_certificate_settings(upcoming, enabled=True, scope="confirmed")
    with pytest.raises(ServiceError, match="once the event has ended") as error:
        mailings.create_mailing(upcoming, MailingKind.CERTIFICATE, {},
                                send_key=secrets.token_urlsafe(24))
    assert error.value.field == "audience"
    rules.update_certificate_settings(upcoming, enabled=False, scope="confirmed")
    with pytest.raises(ServiceError, match="does not issue certificates"):
        mailings.create_mailing(upcoming, MailingKind.CERTIFICATE, {},
                                send_key=secrets.token_urlsafe(24))
    client = logged_in(app, owner)
    base = f"/manage/events/{upcoming.id}/invitations/mailings/new"
    page = client.get(f"{base}?kind=certificate").get_data(as_text=True)
    key = re.search(r'name="send_key"[^>]*value="([^"]+)"', page).group(1)
    response = post_form(client, base, {"kind": "certificate", "audience": "eligible",
                                        "send_key": key})
    assert response.status_code == 422
    assert "does not issue certificates" in response.get_data(as_text=True)


def test_wording_refuses_unknown_placeholders_and_links_around_values(app, db, owner, event):
    client = logged_in(app, owner)
    url = f"/manage/events/{event.id}/invitations/templates/certificate"
    page = client.get(url)
    assert page.status_code == 200 and "{certificate_link}" in page.get_data(as_text=True)
    base = {"subject_en": "Certificate", "subject_id": "Sertifikat",
            "body_id": "Unduh: {certificate_link}"}
    response = post_form(client, url, {**base, "body_en": "Get it: {rsvp_link}"})
    assert response.status_code == 422 and "Unknown placeholder" in response.get_data(
        as_text=True)
    response = post_form(client, url, {**base, "body_en": "[here](https://x.example/{name})"})
    assert response.status_code == 422
    response = post_form(client, url, {**base, "body_en": "[Download]({certificate_link})"})
    assert response.status_code == 303
    assert wording.template_content(event, MailingKind.CERTIFICATE)["en"]["body"] == (
        "[Download]({certificate_link})")


def test_invite_only_team_member_composes_but_check_in_staff_cannot(app, db, make_user, event):
    inviter, desk = make_user("staff"), make_user("staff")
    add_team_member(event, inviter, can_invite=True)
    add_team_member(event, desk, can_checkin=True)
    url = f"/manage/events/{event.id}/invitations/mailings/new?kind=certificate"
    assert logged_in(app, inviter).get(url).status_code == 200
    assert logged_in(app, desk).get(url).status_code == 403


def test_preview_and_test_email_carry_the_delegates_link(app, db, owner, event, smtp_server):
    person = add_registration(event, checked_in_at=utcnow(), language="id",
                              given_name="Wayan", family_name="Sudarta")
    client = logged_in(app, owner)
    url = f"/manage/events/{event.id}/invitations/templates/certificate"
    page = client.get(f"{url}?person={person.id}").get_data(as_text=True)
    assert f"/c/{rules.download_token(person)}.pdf" in page
    assert "Sertifikat kehadiran Anda" in page  # in the delegate's language
    assert post_form(client, f"{url}/test", {"person": person.id}).status_code == 303
    message = smtp_server.wait_for(1)[0]["message"]
    assert owner.email in message["To"] and "Sertifikat kehadiran Anda" in message["Subject"]
    assert f"/c/{rules.download_token(person)}.pdf" in message.get_body(
        ("plain",)).get_content()
