"""Registration emails reach a real SMTP server, in the delegate's language, with the .ics."""

import re

import pytest

from seminar_app.services.registration import registrations as service
from tests.conftest import post_form
from tests.factories import form_fields, make_registration, registration_event


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    files = {part.get_filename(): part for part in message.iter_attachments()}
    return text, html, files


def test_confirmed_email_with_ics_and_working_link(client, owner, smtp_server):
    event = registration_event(owner, title="Jakarta Forum")
    response = post_form(client, f"/events/{event.slug}/register",
                         form_fields(email="delegate@example.org", language="en"))
    token = response.headers["Location"].rsplit("/", 1)[1]
    [received] = smtp_server.wait_for(1)
    message = received["message"]
    assert received["to"] == ["delegate@example.org"]
    assert message["Subject"] == "Registration confirmed: Jakarta Forum"
    text, html, files = parts(message)
    registration = service.get_registration_by_token(token)
    assert registration.reference in text and registration.reference in html
    assert f"/r/{token}" in text and f"/r/{token}" in html
    assert "WIB" in text  # local time with its zone
    ics = files[f"{event.slug}.ics"]
    assert ics.get_content_type() == "text/calendar"
    assert b"BEGIN:VEVENT" in ics.get_payload(decode=True)
    link = re.search(r"https?://[^/\s]+(/r/\S+)", text).group(1)
    assert client.get(link).status_code == 200


def test_email_in_the_delegates_language(client, owner, smtp_server):
    event = registration_event(owner, title="Forum")
    post_form(client, f"/events/{event.slug}/register",
              form_fields(email="id@example.org", language="id"))
    [received] = smtp_server.wait_for(1)
    text, _html, _files = parts(received["message"])
    assert received["message"]["Subject"] != "Registration confirmed: Forum"
    assert '<html lang="id">' in received["message"].get_body(("html",)).get_content()
    assert "Forum" in text


def test_waitlisted_and_promoted_emails(owner, smtp_server):
    event = registration_event(owner, capacity=1, title="Summit")
    first, _ = make_registration(event, email="first@example.org")
    make_registration(event, email="second@example.org")
    service.cancel_registration(first)
    messages = smtp_server.wait_for(4)
    by_subject = {m["message"]["Subject"]: m for m in messages}
    waitlisted = by_subject["Waiting list: Summit"]
    assert "position on the waiting list: 1" in parts(waitlisted["message"])[0]
    promoted = by_subject["A place is free: your registration for Summit is confirmed"]
    assert promoted["to"] == ["second@example.org"]
    text, _html, files = parts(promoted["message"])
    assert "/r/" in text and f"{event.slug}.ics" in files
    assert "What to do next: download your badge" in " ".join(text.split())
    assert "What to do next" in _html
    assert "Registration cancelled: Summit" in by_subject


def test_moderation_emails(owner, smtp_server):
    event = registration_event(owner, requires_approval=True, title="Retreat")
    approved, _ = make_registration(event, email="yes@example.org")
    rejected, _ = make_registration(event, email="no@example.org")
    service.approve_registration(approved, actor=owner)
    service.reject_registration(rejected, actor=owner, reason="Places are for member states")
    messages = smtp_server.wait_for(4)
    subjects = [m["message"]["Subject"] for m in messages]
    assert subjects.count("Registration received: Retreat") == 2
    assert "Registration approved: Retreat" in subjects
    rejection = next(m for m in messages if m["message"]["Subject"] == "Your registration for "
                     "Retreat")
    assert "Places are for member states" in parts(rejection["message"])[0]


def test_cancelled_by_organizer_email_gives_reason(owner, smtp_server):
    registration, _ = make_registration(registration_event(owner, title="Expo"))
    service.cancel_registration(registration, actor=owner, reason="Visa not granted in time")
    messages = smtp_server.wait_for(2)
    text = parts(messages[-1]["message"])[0]
    assert "organizers have cancelled" in text and "Visa not granted in time" in text


def test_resend_link_email(client, owner, smtp_server):
    event = registration_event(owner, title="Dialogue")
    make_registration(event, email="lost@example.org")
    post_form(client, f"/events/{event.slug}/register/resend", {"email": "lost@example.org"})
    messages = smtp_server.wait_for(2)
    text = parts(messages[-1]["message"])[0]
    token = re.search(r"/r/([A-Za-z0-9_-]+)", text).group(1)
    assert client.get(f"/r/{token}").status_code == 200
