"""Staff sessions end on the server: logout, password change, 2FA reset, deactivation, idle time."""

import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from seminar_app.models import AuditEntry
from seminar_app.services.accounts.users import deactivate_user
from tests.conftest import PASSWORD, AuthActions, post_form
from tests.factories import add_registration, registration_event


def _path(response) -> str:
    return urlsplit(response.headers["Location"]).path


def _copy_of_session(app, client):
    """A second client holding a copy of ``client``'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


@pytest.fixture
def organizer_with_registration(make_user):
    user = make_user("organizer")
    event = registration_event(user)
    registration = add_registration(event)
    return user, f"/manage/events/{event.id}/registrations/{registration.id}"


def test_logout_cookie_copied_before_logout_no_longer_opens_staff_pages(
        app, client, organizer_with_registration):
    user, detail_url = organizer_with_registration
    AuthActions(client).login(user)
    thief = _copy_of_session(app, client)
    assert thief.get("/manage/").status_code == 200
    assert thief.get(detail_url).status_code == 200
    AuthActions(client).logout()
    for url in ("/manage/", detail_url):
        response = thief.get(url)
        assert response.status_code == 302, url
        assert _path(response) == "/manage/login"


def test_logout_ends_the_other_sessions_of_the_account(app, client, make_user, db):
    user = make_user("organizer")
    other = app.test_client()
    AuthActions(client).login(user)
    AuthActions(other).login(user)
    AuthActions(client).logout()
    assert other.get("/manage/").status_code == 302
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.logout"))
    assert [entry.object_id for entry in entries] == [user.id]
    assert AuthActions(other).login(user).status_code == 302  # a fresh login works


def test_password_change_cookie_copied_before_no_longer_works(app, client, make_user):
    user = make_user("organizer")
    AuthActions(client).login(user)
    thief = _copy_of_session(app, client)
    response = post_form(client, "/manage/account", {
        "current_password": PASSWORD, "new_password": "a fresh passphrase here",
        "confirm_password": "a fresh passphrase here", "submit_password": "1"})
    assert response.status_code == 302
    assert client.get("/manage/").status_code == 200
    assert thief.get("/manage/").status_code == 302


def test_deactivation_cookie_copied_before_no_longer_works(app, client, make_user):
    user = make_user("organizer")
    make_user("admin")
    AuthActions(client).login(user)
    thief = _copy_of_session(app, client)
    deactivate_user(user)
    assert thief.get("/manage/").status_code == 302
    assert client.get("/manage/").status_code == 302


# --- idle timeout ---------------------------------------------------------------------------


def _set_last_seen(client, seconds_ago: int) -> None:
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - seconds_ago


def test_idle_session_is_logged_out_with_a_message(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_IDLE_MINUTES", 30)
    AuthActions(client).login(make_user("organizer"))
    _set_last_seen(client, 31 * 60)
    response = client.get("/manage/account")
    assert response.status_code == 302
    assert _path(response) == "/manage/login"
    page = client.get(response.headers["Location"])
    assert "You were logged out after 30 minutes without activity." in page.get_data(
        as_text=True)
    assert client.get("/manage/").status_code == 302


def test_idle_session_message_in_indonesian(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_IDLE_MINUTES", 60)
    AuthActions(client).login(make_user("organizer"))
    client.set_cookie("lang", "id")
    _set_last_seen(client, 61 * 60)
    page = client.get("/manage/", follow_redirects=True)
    assert "Anda dikeluarkan setelah 60 menit tanpa aktivitas." in page.get_data(as_text=True)


def test_idle_active_session_stays_and_is_refreshed_at_most_once_a_minute(
        app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_IDLE_MINUTES", 30)
    AuthActions(client).login(make_user("organizer"))
    _set_last_seen(client, 29 * 60)
    response = client.get("/manage/account")
    assert response.status_code == 200
    with client.session_transaction() as session:
        refreshed = session["last_seen"]
    assert refreshed >= int(time.time()) - 5
    _set_last_seen(client, 20)
    assert "Set-Cookie" not in client.get("/manage/account").headers  # not rewritten yet
    with client.session_transaction() as session:
        assert session["last_seen"] <= int(time.time()) - 20


def test_idle_login_starts_the_clock(client, make_user):
    AuthActions(client).login(make_user("organizer"))
    with client.session_transaction() as session:
        assert abs(session["last_seen"] - time.time()) < 5


def test_idle_timeout_leaves_anonymous_visitors_alone(client):
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        assert "last_seen" not in session
