"""Password reset by email: a neutral answer, a signed single-use link that expires, the
password rules, rate limits, audit, and both languages (real SMTP through aiosmtpd)."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
from sqlalchemy import select

from seminar_app.models import AuditEntry
from seminar_app.services.accounts import password_reset
from seminar_app.services.accounts.users import password_matches
from tests.conftest import PASSWORD, AuthActions, post_form

NEW_PASSWORD = "violet harbour lantern 7"
LINK = re.compile(r"https?://[^/\s]+(/manage/password/reset/[^\s\"<]+)")


def _path(response) -> str:
    return urlsplit(response.headers["Location"]).path


def _actions(db, action):
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _ask(client, email):
    return post_form(client, "/manage/password/forgot", {"email": email})


def _link_of(received) -> str:
    text = received["message"].get_body(("plain",)).get_content()
    return LINK.search(text).group(1)


def _reset(client, link, password=NEW_PASSWORD, confirm=None):
    return post_form(client, link, {"new_password": password,
                                    "confirm_password": confirm or password})


def test_login_page_links_to_the_reset(client):
    body = client.get("/manage/login").get_data(as_text=True)
    assert 'href="/manage/password/forgot"' in body and "Forgot your password?" in body


@pytest.mark.parametrize("lang, text", [("en", "Send me a link"), ("id", "Kirimi saya tautan")])
def test_forgot_page_in_both_languages(client, lang, text):
    client.set_cookie("lang", lang)
    body = client.get("/manage/password/forgot").get_data(as_text=True)
    assert f'<html lang="{lang}">' in body and text in body


def test_reset_flow_sends_a_link_that_sets_a_new_password_once(app, client, db, make_user,
                                                               smtp_server):
    user = make_user("organizer", email="ratna@example.org")
    response = _ask(client, "  RATNA@example.org ")
    assert response.status_code == 302 and _path(response) == "/manage/login"
    [received] = smtp_server.wait_for(1)
    assert received["to"] == ["ratna@example.org"]
    assert received["message"]["Subject"] == "Choose a new password for Seminar registration"
    link = _link_of(received)
    assert link in received["message"].get_body(("html",)).get_content()
    form = client.get(link)
    assert form.status_code == 200 and 'autocomplete="new-password"' in form.get_data(
        as_text=True)
    done = _reset(client, link)
    assert done.status_code == 302 and _path(done) == "/manage/login"
    db.session.refresh(user)
    assert password_matches(user, NEW_PASSWORD) and not password_matches(user, PASSWORD)
    used = client.get(link)
    assert used.status_code == 400
    assert "not valid or was already used" in used.get_data(as_text=True)
    assert _reset(client, link, "another fine passphrase").status_code == 400
    assert AuthActions(app.test_client()).login(user, NEW_PASSWORD).status_code == 302
    assert [e.object_id for e in _actions(db, "user.password_reset_request")] == [user.id]
    assert [e.object_id for e in _actions(db, "user.password_reset")] == [user.id]
    assert NEW_PASSWORD not in str([e.details for e in _actions(db, "user.password_reset")])


def test_reset_answer_is_the_same_for_unknown_addresses(client, db, make_user, smtp_server):
    make_user("organizer", email="known@example.org")
    known = _ask(client, "known@example.org")
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    unknown = _ask(client, "nobody@example.org")
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code, unknown.headers["Location"])
    message = "If an active staff account has this address, we have sent it a link"
    assert message in known_page and message in unknown_page
    assert [m["to"] for m in smtp_server.wait_for(1)] == [["known@example.org"]]
    assert len(_actions(db, "user.password_reset_request")) == 1


def test_reset_no_email_for_a_deactivated_account(client, db, make_user, smtp_server):
    user = make_user("staff", email="gone@example.org")
    user.active = False
    db.session.commit()
    assert _ask(client, "gone@example.org").status_code == 302
    assert not password_reset.send_password_reset("gone@example.org")
    assert smtp_server.messages == []


def test_reset_emails_to_one_account_are_capped(db, make_user, smtp_server):
    make_user("staff", email="busy@example.org")
    sent = [password_reset.send_password_reset("busy@example.org") for _ in range(4)]
    assert sent == [True, True, True, False]


def test_reset_expired_link_says_so(client, make_user, monkeypatch):
    user = make_user("organizer")
    link = f"/manage/password/reset/{password_reset.reset_token(user)}"
    monkeypatch.setattr(password_reset, "RESET_MAX_AGE", timedelta(seconds=-1))
    response = client.get(link)
    assert response.status_code == 400
    assert "This link has expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("token", ["nonsense", "a" * 300, "WzEsImFiYyJd.xxx.yyy"])
def test_reset_forged_links_are_refused(client, make_user, token):
    make_user("organizer")
    response = client.get(f"/manage/password/reset/{token}")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_reset_link_signed_with_another_key_is_refused(app, client, make_user, monkeypatch):
    user = make_user("organizer")
    monkeypatch.setattr(app, "secret_key", "another-secret-key-entirely-0123456789")
    token = password_reset.reset_token(user)
    monkeypatch.undo()
    assert client.get(f"/manage/password/reset/{token}").status_code == 400


def test_reset_link_stops_working_after_a_logout(app, client, make_user):
    user = make_user("organizer")
    link = f"/manage/password/reset/{password_reset.reset_token(user)}"
    other = app.test_client()
    AuthActions(other).login(user)
    AuthActions(other).logout()
    assert client.get(link).status_code == 400


def test_reset_follows_the_password_rules(client, make_user, db):
    user = make_user("organizer", email="ani@example.org")
    link = f"/manage/password/reset/{password_reset.reset_token(user)}"
    for weak, message in (("short", "between 12 and 200 characters"),
                          ("Password2026!", "too common"),
                          ("ani@example.org", "must not be your email")):
        response = _reset(client, link, weak)
        assert response.status_code == 422, weak
        assert message in response.get_data(as_text=True)
    mismatch = _reset(client, link, NEW_PASSWORD, confirm="something else entirely")
    assert mismatch.status_code == 422
    db.session.refresh(user)
    assert password_matches(user, PASSWORD)
    assert client.get(link).status_code == 200  # still usable after refused attempts


def test_reset_ends_every_session(app, client, make_user):
    user = make_user("organizer")
    session_elsewhere = app.test_client()
    AuthActions(session_elsewhere).login(user)
    link = f"/manage/password/reset/{password_reset.reset_token(user)}"
    assert _reset(client, link).status_code == 302
    assert session_elsewhere.get("/manage/").status_code == 302
    assert client.get("/manage/").status_code == 302  # the reset logs nobody in


def test_reset_keeps_two_factor_sign_in(app, client, db, make_user):
    user = make_user("organizer")
    user.totp_secret = pyotp.random_base32()
    from seminar_app.models import utcnow

    user.two_factor_enabled_at = utcnow()
    db.session.commit()
    link = f"/manage/password/reset/{password_reset.reset_token(user)}"
    assert _reset(client, link).status_code == 302
    response = AuthActions(client).login(user, NEW_PASSWORD)
    assert _path(response) == "/manage/login/code"


def test_reset_request_is_rate_limited(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_RESET_RATE_LIMIT", "2 per minute")
    statuses = [_ask(client, f"x{n}@example.org").status_code for n in range(3)]
    assert statuses == [302, 302, 429]


def test_reset_invalid_email_form_is_422(client):
    response = post_form(client, "/manage/password/forgot", {"email": ""})
    assert response.status_code == 422
    assert "Enter your email address." in response.get_data(as_text=True)


def test_reset_email_and_pages_in_indonesian(client, make_user, smtp_server):
    make_user("staff", email="budi@example.org", language="id")
    client.set_cookie("lang", "id")
    _ask(client, "budi@example.org")
    [received] = smtp_server.wait_for(1)
    assert received["message"]["Subject"] == "Pilih kata sandi baru untuk Pendaftaran seminar"
    text = received["message"].get_body(("plain",)).get_content()
    assert "Tautan berlaku satu jam dan hanya sekali." in text
    page = client.get(_link_of(received)).get_data(as_text=True)
    assert '<html lang="id">' in page and "Pilih kata sandi baru" in page


def test_reset_request_only_queues_the_address_for_the_worker(tmp_path, make_user, db):
    """With a real queue, the request reads and writes nothing: the worker looks up and mails."""
    from config import TestingConfig
    from seminar_app import create_app
    from seminar_app.extensions import db as database

    worker_app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/w.db",
                            TASK_QUEUE_PATH=str(tmp_path / "q.sqlite3"),
                            TASK_QUEUE_IMMEDIATE=False)
    huey = worker_app.extensions["huey"]
    with worker_app.app_context():
        database.create_all()
        make_user("staff", email="queued@example.org")
        client = worker_app.test_client()
        assert _ask(client, "queued@example.org").status_code == 302
        assert _ask(client, "unknown@example.org").status_code == 302
        assert _actions(database, "user.password_reset_request") == []  # nothing done yet
        assert huey.pending_count() == 2
        database.session.commit()  # the worker writes in its own session
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
        assert [e.object_id for e in _actions(database, "user.password_reset_request")] == [1]
        database.session.remove()
        database.engine.dispose()
