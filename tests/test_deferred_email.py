"""The confirmation of a registration is rendered by the worker after the commit (issue 19).

The request adds an outbox row that records what to render (``compose``: the registration, its
personal link's token, the status decided at the commit) with no subject and no body; the
worker renders it just before sending it (services.mail.deferred, services.notifications).
Most tests here run the queue as in production (not immediate) and the worker by hand.
"""

import base64
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from seminar_app.crypto import key_id_of
from seminar_app.extensions import db as _db
from seminar_app.models import OutboxEmail, OutboxStatus, Registration, RegistrationStatus
from seminar_app.services import notifications
from seminar_app.services.mail import deferred, smtp
from seminar_app.services.mail.outbox import NO_SERVER_ERROR
from seminar_app.services.privacy.retention import erase_registration
from seminar_app.services.registration import registrations as service
from tests.conftest import post_form
from tests.factories import form_fields, make_registration, registration_event

KEY1 = "k1:" + base64.urlsafe_b64encode(bytes(range(32))).decode()
KEY2 = "k2:" + base64.urlsafe_b64encode(bytes(range(32, 64))).decode()


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return registration_event(owner, title="Jakarta Forum")


@pytest.fixture
def queue(app, monkeypatch):
    """The app's queue as in production: tasks wait until ``run_worker``."""
    huey = app.extensions["huey"]
    monkeypatch.setattr(huey, "immediate", False)
    huey.flush()
    yield huey
    huey.flush()


def run_worker(queue) -> int:
    """Run every waiting task like a consumer; how many ran."""
    _db.session.commit()  # the test's own transaction holds SQLite's write lock: end it
    ran = 0
    while (task := queue.dequeue()) is not None:
        queue.execute(task)
        ran += 1
    _db.session.expire_all()
    return ran


def register(client, event, **fields) -> str:
    """Register through the public form; the personal link's token."""
    response = post_form(client, f"/events/{event.slug}/register", form_fields(**fields))
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/r/", 1)[1]


def waiting_email(registration_id: int) -> OutboxEmail:
    """The one outbox row waiting to tell ``registration_id`` it was registered."""
    rows = [row for row in _db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id))
            if row.compose and row.compose["registration_id"] == registration_id]
    assert len(rows) == 1, rows
    return rows[0]


def parts(message):
    text_part = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    files = {part.get_filename(): part for part in message.iter_attachments()}
    return text_part, html, files


# --- the request -----------------------------------------------------------------------------

def test_the_request_adds_a_row_without_a_body_and_confirms_at_once(client, queue, event):
    token = register(client, event, email="delegate@example.org")
    # the page confirms at once, before any worker ran
    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    assert "delegate@example.org" in page.get_data(as_text=True)

    registration = service.get_registration_by_token(token)
    [email] = _db.session.scalars(select(OutboxEmail)).all()
    assert email.status == OutboxStatus.QUEUED
    assert (email.subject, email.body_text, email.body_html) == ("", "", "")
    assert email.attachments == [] and email.being_prepared
    assert email.template == "registration_confirmed_to_delegate"
    assert email.recipient == "delegate@example.org" and email.language == "en"
    assert email.compose == {"notification": "registration_created",
                             "registration_id": registration.id, "token": token,
                             "status": "confirmed", "position": None}
    # the token is stored encrypted, never in clear
    raw = _db.session.execute(text("SELECT compose FROM outbox_emails")).scalar_one()
    assert key_id_of(raw) is not None and token not in raw
    assert queue.pending_count() == 1  # handed to the queue after the commit


def test_without_a_worker_queue_the_row_is_rendered_at_once_even_without_a_server(
        app, db, event):
    assert app.extensions["huey"].immediate and not app.config["MAIL_SERVER"]
    registration, token = make_registration(event, email="now@example.org")
    email = db.session.scalar(select(OutboxEmail))
    assert email.subject == "Registration confirmed: Jakarta Forum"
    assert f"/r/{token}" in email.body_text and registration.reference in email.body_text
    assert email.compose is None and email.status == OutboxStatus.QUEUED
    assert email.last_error == NO_SERVER_ERROR


# --- the worker ------------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "subject", "name"), [
    ("en", "Registration confirmed: Jakarta Forum", "H.E. Retno Marsudi"),
    ("id", "Pendaftaran terkonfirmasi: Jakarta Forum", "Y.M. Retno Marsudi"),
])
def test_the_worker_renders_it_in_the_delegates_language_with_link_and_ics(
        client, queue, event, smtp_server, language, subject, name):
    token = register(client, event, email="delegate@example.org", language=language,
                     honorific="he", given_name="Retno", family_name="Marsudi")
    assert smtp_server.messages == []
    run_worker(queue)
    [received] = smtp_server.wait_for(1)
    message = received["message"]
    assert received["to"] == ["delegate@example.org"]
    assert message["Subject"] == subject
    body, html, files = parts(message)
    assert f'<html lang="{language}">' in html
    assert name in body  # the form of address in the delegate's language too
    registration = service.get_registration_by_token(token)
    assert registration.reference in body and registration.reference in html
    assert f"/r/{token}" in body and f"/r/{token}" in html
    ics = files[f"{event.slug}.ics"]
    assert ics.get_content_type() == "text/calendar"
    assert b"BEGIN:VEVENT" in ics.get_payload(decode=True)
    link = re.search(r"https?://[^/\s]+(/r/\S+)", body).group(1)
    assert client.get(link).status_code == 200

    email = _db.session.scalar(select(OutboxEmail))
    assert email.status == OutboxStatus.SENT and email.language == language
    assert email.subject == subject and email.compose is None
    assert token not in email.body_text  # removed once sent, as from every email


def test_the_status_recorded_at_the_commit_is_told(client, queue, owner, smtp_server):
    event = registration_event(owner, capacity=1, title="Summit")
    first = service.get_registration_by_token(register(client, event, email="a@example.org"))
    second = service.get_registration_by_token(register(client, event, email="b@example.org"))
    assert second.status == RegistrationStatus.WAITLISTED
    # written first as confirmed, then rewritten for the waiting list in the same transaction
    waiting = waiting_email(second.id)
    assert waiting.template == "registration_waitlisted_to_delegate"
    assert waiting.compose["status"] == "waitlisted" and waiting.compose["position"] == 1

    service.cancel_registration(first)  # before any worker ran: the second is promoted
    _db.session.expire_all()
    assert _db.session.get(Registration, second.id).status == RegistrationStatus.CONFIRMED
    run_worker(queue)
    messages = smtp_server.wait_for(4)
    to_second = {m["message"]["Subject"]: m["message"] for m in messages
                 if m["to"] == ["b@example.org"]}
    assert set(to_second) == {"Waiting list: Summit",
                              "A place is free: your registration for Summit is confirmed"}
    body = parts(to_second["Waiting list: Summit"])[0]
    assert "position on the waiting list: 1" in body
    to_first = sorted(m["message"]["Subject"] for m in messages if m["to"] == ["a@example.org"])
    assert to_first == ["Registration cancelled: Summit", "Registration confirmed: Summit"]


def test_a_pending_registration_is_told_it_waits_for_approval(client, queue, owner,
                                                                smtp_server):
    event = registration_event(owner, requires_approval=True, title="Retreat")
    token = register(client, event, email="p@example.org", language="id")
    assert waiting_email(service.get_registration_by_token(token).id).compose["status"] \
        == "pending"
    run_worker(queue)
    [received] = smtp_server.wait_for(1)
    body, _html, files = parts(received["message"])
    assert f"/r/{token}" in body and files == {}  # no calendar before a confirmation


# --- what disappeared before the worker came -------------------------------------------------

def test_an_erased_registrations_row_is_not_sent_and_holds_no_token(
        client, queue, owner, event, smtp_server):
    token = register(client, event, email="erase-me@example.org")
    registration = service.get_registration_by_token(token)
    erase_registration(registration, actor=owner)
    email = _db.session.scalar(select(OutboxEmail).where(
        OutboxEmail.template == "registration_confirmed_to_delegate"))
    assert email.status == OutboxStatus.FAILED and email.compose is None
    assert _db.session.execute(text("SELECT compose FROM outbox_emails WHERE id = :id"),
                               {"id": email.id}).scalar_one() is None
    run_worker(queue)
    assert smtp_server.messages == []
    email = _db.session.get(OutboxEmail, email.id)
    assert email.status == OutboxStatus.FAILED and email.compose is None
    assert email.body_text == "" and "erase-me@example.org" not in email.recipient


@pytest.mark.parametrize(("change", "reason"), [
    ("DELETE FROM registrations WHERE id = :id", notifications.REGISTRATION_GONE_ERROR),
    ("UPDATE registrations SET email = 'erased-' || id || '@invalid' WHERE id = :id",
     notifications.REGISTRATION_GONE_ERROR),
    ("UPDATE registrations SET email = 'someone.else@example.org' WHERE id = :id",
     notifications.REGISTRATION_HANDED_OVER_ERROR),
])
def test_a_row_whose_registration_is_gone_fails_with_its_reason_and_no_token(
        client, queue, event, smtp_server, change, reason):
    token = register(client, event, email="gone@example.org")
    registration_id = service.get_registration_by_token(token).id
    _db.session.execute(text(change), {"id": registration_id})  # around the outbox's scrub
    run_worker(queue)
    assert smtp_server.messages == []
    email = _db.session.scalar(select(OutboxEmail))
    assert email.status == OutboxStatus.FAILED and email.last_error == reason
    assert email.compose is None and email.subject == "" and email.body_text == ""
    # handed to a worker again (the sweeper, a lost enqueue): nothing to do, no loop
    assert smtp.send_outbox_batch([email.id]) == {"sent": 0, "retry": 0, "failed": 0}
    _db.session.expire_all()
    email = _db.session.get(OutboxEmail, email.id)
    assert email.attempts == 1 and email.last_error == reason  # the one claim, no more


# --- the staff's outbox ----------------------------------------------------------------------

def test_the_outbox_shows_the_row_before_it_is_rendered_and_sends_it_again(
        client, queue, auth, make_user, event, smtp_server):
    token = register(client, event, email="shown@example.org")
    email_id = _db.session.scalar(select(OutboxEmail.id))
    auth.login(make_user("admin"))
    listing = client.get("/manage/emails")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "data-being-prepared" in html and "Being prepared" in html
    page = client.get(f"/manage/emails/{email_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "This email is being prepared" in html and token not in html
    assert "registration_confirmed_to_delegate" in html
    client.set_cookie("lang", "id")
    indonesian = client.get(f"/manage/emails/{email_id}").get_data(as_text=True)
    assert "Email ini sedang disiapkan" in indonesian and "Sedang disiapkan" in indonesian
    client.set_cookie("lang", "en")

    response = post_form(client, f"/manage/emails/{email_id}/retry")
    assert response.status_code == 302
    run_worker(queue)
    [received] = smtp_server.wait_for(1)
    assert received["message"]["Subject"] == "Registration confirmed: Jakarta Forum"
    assert _db.session.get(OutboxEmail, email_id).status == OutboxStatus.SENT


def test_a_rendering_error_is_retried_later_then_fails_and_staff_can_send_it_again(
        app, client, queue, auth, make_user, event, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    monkeypatch.setitem(app.config, "MAIL_RETRY_BASE_SECONDS", 0)

    def broken(_email):
        raise RuntimeError("template exploded")

    monkeypatch.setitem(deferred._RENDERERS, "registration_created", broken)
    register(client, event, email="retry@example.org")
    email_id = _db.session.scalar(select(OutboxEmail.id))
    run_worker(queue)
    email = _db.session.get(OutboxEmail, email_id)
    assert email.status == OutboxStatus.QUEUED and email.attempts == 1
    assert email.last_error == "Could not be prepared: RuntimeError: template exploded"
    assert email.next_attempt_at is not None and email.compose is not None
    assert smtp.send_outbox_batch([email_id]) == {"sent": 0, "retry": 0, "failed": 1}
    _db.session.expire_all()
    email = _db.session.get(OutboxEmail, email_id)
    assert email.status == OutboxStatus.FAILED and "gave up after 2 attempts" in email.last_error
    assert email.compose is not None  # kept: it can be sent again
    assert smtp_server.messages == []

    auth.login(make_user("admin"))
    page = client.get(f"/manage/emails/{email_id}").get_data(as_text=True)
    assert "Could not be prepared: RuntimeError: template exploded" in page
    assert "This email could not be prepared" in page and "Send again now" in page
    assert "Not prepared" in client.get("/manage/emails").get_data(as_text=True)
    monkeypatch.setitem(deferred._RENDERERS, "registration_created",
                        notifications._render_registration_created)
    assert post_form(client, f"/manage/emails/{email_id}/retry").status_code == 302
    run_worker(queue)
    [received] = smtp_server.wait_for(1)
    assert received["to"] == ["retry@example.org"]
    assert _db.session.get(OutboxEmail, email_id).status == OutboxStatus.SENT


def test_a_row_never_prepared_is_not_sent_again(client, queue, auth, make_user, owner,
                                                event, smtp_server):
    token = register(client, event, email="never@example.org")
    _db.session.execute(text("DELETE FROM registrations WHERE id = :id"),
                        {"id": service.get_registration_by_token(token).id})
    run_worker(queue)
    email_id = _db.session.scalar(select(OutboxEmail.id))
    auth.login(make_user("admin"))
    page = client.get(f"/manage/emails/{email_id}").get_data(as_text=True)
    assert "the registration was erased or deleted before the email was prepared" in page
    assert "Send again now" not in page
    response = post_form(client, f"/manage/emails/{email_id}/retry")
    assert response.status_code == 409
    assert "never prepared" in response.get_data(as_text=True)
    response = post_form(client, "/manage/emails/retry-failed", follow_redirects=True)
    assert "0 failed emails will be sent again." in response.get_data(as_text=True)
    run_worker(queue)
    assert smtp_server.messages == []


# --- keys ------------------------------------------------------------------------------------

def test_key_rotation_covers_the_compose_column(app, client, queue, runner, event,
                                                smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "DATA_KEYS", KEY1)
    token = register(client, event, email="keys@example.org")
    monkeypatch.setitem(app.config, "DATA_KEYS", f"{KEY2},{KEY1}")
    result = runner.invoke(args=["data", "rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "outbox_emails.compose: 1 under k1; 1 re-encrypted" in result.output
    raw = _db.session.execute(text("SELECT compose FROM outbox_emails")).scalar_one()
    assert key_id_of(raw) == "k2"
    monkeypatch.setitem(app.config, "DATA_KEYS", KEY2)  # the old key is gone
    run_worker(queue)
    [received] = smtp_server.wait_for(1)
    assert f"/r/{token}" in parts(received["message"])[0]


def test_a_row_whose_compose_cannot_be_decrypted_waits_for_its_key(
        app, client, queue, event, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "DATA_KEYS", KEY1)
    monkeypatch.setitem(app.config, "MAIL_RETRY_BASE_SECONDS", 0)
    register(client, event, email="later@example.org")
    email_id = _db.session.scalar(select(OutboxEmail.id))
    monkeypatch.setitem(app.config, "DATA_KEYS", KEY2)
    run_worker(queue)
    assert smtp_server.messages == []
    monkeypatch.setitem(app.config, "DATA_KEYS", f"{KEY2},{KEY1}")
    email = _db.session.get(OutboxEmail, email_id)
    assert email.status == OutboxStatus.QUEUED and "Cannot be decrypted" in email.last_error
    assert email.compose is not None
    email.next_attempt_at = email.next_attempt_at - timedelta(seconds=1)
    _db.session.commit()
    smtp.send_outbox_batch([email_id])
    assert smtp_server.wait_for(1)[0]["to"] == ["later@example.org"]


# --- the two paths of the worker: with and without a mail server -----------------------------

def test_without_a_server_the_worker_writes_what_it_rendered_and_what_it_could_not(
        app, client, queue, event, monkeypatch):
    assert not app.config["MAIL_SERVER"]
    kept = register(client, event, email="kept@example.org", language="id")
    gone = register(client, event, email="gone@example.org")
    _db.session.execute(text("DELETE FROM registrations WHERE id = :id"),
                        {"id": service.get_registration_by_token(gone).id})
    run_worker(queue)
    rows = {row.recipient: row for row in _db.session.scalars(select(OutboxEmail))}
    written = rows["kept@example.org"]
    assert written.subject == "Pendaftaran terkonfirmasi: Jakarta Forum"
    assert f"/r/{kept}" in written.body_text and written.compose is None
    assert written.attachments[0]["filename"] == f"{event.slug}.ics"
    assert written.status == OutboxStatus.QUEUED and written.last_error == NO_SERVER_ERROR
    failed = rows["gone@example.org"]
    assert failed.status == OutboxStatus.FAILED and failed.compose is None
    assert failed.last_error == notifications.REGISTRATION_GONE_ERROR

    def broken(_email):
        raise RuntimeError("template exploded")

    monkeypatch.setitem(deferred._RENDERERS, "registration_created", broken)
    register(client, event, email="later@example.org")
    run_worker(queue)
    waiting = _db.session.scalar(select(OutboxEmail).where(
        OutboxEmail.recipient == "later@example.org"))
    assert waiting.status == OutboxStatus.QUEUED and waiting.attempts == 1
    assert waiting.compose is not None and waiting.next_attempt_at is not None
    assert waiting.last_error == "Could not be prepared: RuntimeError: template exploded"


def test_a_temporary_smtp_failure_keeps_the_rendered_email_and_sends_the_same_again(
        app, client, queue, event, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RETRY_BASE_SECONDS", 0)
    smtp_server.data_replies.append("421 4.3.0 Try again later")
    token = register(client, event, email="busy@example.org")
    run_worker(queue)
    email = _db.session.scalar(select(OutboxEmail))
    assert email.status == OutboxStatus.QUEUED and email.last_error.startswith("421")
    # written with the outcome: an ordinary email now, its link kept (encrypted) for the retry
    assert email.compose is None and email.subject == "Registration confirmed: Jakarta Forum"
    assert f"/r/{token}" in email.body_text and email.attachments
    assert smtp.send_outbox_batch([email.id])["sent"] == 1
    [received] = smtp_server.wait_for(1)
    assert received["message"]["Message-ID"] == email.message_id
    assert f"/r/{token}" in parts(received["message"])[0]
