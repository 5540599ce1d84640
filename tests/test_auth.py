"""Staff login, logout, rate limiting and the user's own account page."""

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from seminar_app.models import AuditEntry
from tests.conftest import PASSWORD, AuthActions, post_form

NEW_PASSWORD = "a brand new passphrase"


def _audit(db, action):
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _path(response) -> str:
    return urlsplit(response.headers["Location"]).path


@pytest.mark.parametrize("lang", ["en", "id"])
def test_login_page_renders_in_both_languages(client, lang):
    client.set_cookie("lang", lang)
    response = client.get("/manage/login")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in body
    assert 'name="email"' in body and 'name="password"' in body
    assert 'autocomplete="current-password"' in body


def test_login_success_redirects_and_records_login(client, auth, make_user, db):
    user = make_user("organizer")
    response = auth.login(user)
    assert response.status_code == 302
    assert _path(response) == "/manage/"
    db.session.refresh(user)
    assert user.last_login_at is not None
    entries = _audit(db, "user.login")
    assert [entry.user_id for entry in entries] == [user.id]
    assert client.get("/manage/account").status_code == 200


def test_login_email_is_case_insensitive(client, auth, make_user):
    make_user("staff", email="mixed@example.org")
    assert auth.login("  MIXED@Example.org ").status_code == 302


def test_login_wrong_password_is_refused_with_generic_message(client, auth, make_user, db):
    user = make_user("organizer")
    response = auth.login(user, password="not the password")
    body = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "The email or the password is not correct" in body
    assert "not the password" not in body
    failed = _audit(db, "user.login_failed")
    assert len(failed) == 1
    assert failed[0].details["email"] == user.email
    assert "not the password" not in str(failed[0].details)
    assert client.get("/manage/account").status_code == 302


def test_login_unknown_email_gives_the_same_message(client, auth, make_user, db):
    make_user("organizer", email="known@example.org")
    unknown = auth.login("nobody@example.org")
    wrong = auth.login("known@example.org", password="wrong password!")
    assert unknown.status_code == wrong.status_code == 401
    message = "The email or the password is not correct"
    assert message in unknown.get_data(as_text=True)
    assert message in wrong.get_data(as_text=True)
    assert [e.details["email"] for e in _audit(db, "user.login_failed")].count(
        "nobody@example.org"
    ) == 1


def test_login_inactive_account_is_refused(client, auth, make_user, db):
    user = make_user("organizer")
    user.active = False
    db.session.commit()
    response = auth.login(user)
    assert response.status_code == 401
    assert _audit(db, "user.login_failed")[0].details["reason"] == "inactive"
    assert client.get("/manage/account").status_code == 302


def test_login_empty_form_is_422(client):
    response = post_form(client, "/manage/login", {"email": "", "password": ""})
    assert response.status_code == 422
    assert "Enter your email address." in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, make_user):
    user = make_user("organizer")
    response = client.post("/manage/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400


def test_login_follows_next_to_a_local_page(client, make_user):
    user = make_user("organizer")
    page = client.get("/manage/login?next=/manage/account")
    assert 'value="/manage/account"' in page.get_data(as_text=True)
    response = post_form(
        client,
        "/manage/login",
        {"email": user.email, "password": PASSWORD, "next": "/manage/account?tab=1"},
    )
    assert response.headers["Location"] == "/manage/account?tab=1"


def test_login_required_page_sends_next_through_login(client, make_user):
    user = make_user("organizer")
    first = client.get("/manage/account")
    assert first.status_code == 302 and _path(first) == "/manage/login"
    next_url = parse_qs(urlsplit(first.headers["Location"]).query)["next"][0]
    response = post_form(
        client, "/manage/login", {"email": user.email, "password": PASSWORD, "next": next_url}
    )
    assert response.headers["Location"] == "/manage/account"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_login_refuses_open_redirect(client, make_user, target):
    user = make_user("organizer")
    response = post_form(
        client, "/manage/login", {"email": user.email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/"


def test_login_renews_the_session(client, make_user):
    user = make_user("organizer")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    AuthActions(client).login(user)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == user.get_id()


def test_login_when_logged_in_redirects_away(client, auth, make_user):
    auth.login(make_user("organizer"))
    response = client.get("/manage/login?next=/manage/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/account"


def test_login_sets_language_cookie_from_account(client, auth, make_user):
    user = make_user("staff", language="id")
    response = auth.login(user)
    assert "lang=id" in response.headers["Set-Cookie"]


def test_login_is_rate_limited(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    user = make_user("organizer")
    statuses = [
        post_form(
            client, "/manage/login", {"email": user.email, "password": "wrong one!"}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    blocked = post_form(client, "/manage/login", {"email": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many requests" in blocked.get_data(as_text=True)
    assert client.get("/manage/login").status_code == 200  # GET is not limited


def test_logout_requires_post(client, auth, make_user):
    auth.login(make_user("organizer"))
    assert client.get("/manage/logout").status_code == 405
    assert client.get("/manage/account").status_code == 200
    response = auth.logout()
    assert response.status_code == 302 and _path(response) == "/manage/login"
    assert client.get("/manage/account").status_code == 302


def test_logout_without_csrf_token_is_refused(client, auth, make_user):
    auth.login(make_user("organizer"))
    assert client.post("/manage/logout").status_code == 400
    assert client.get("/manage/account").status_code == 200


# --- the account page ---------------------------------------------------------------------


def test_account_requires_login(client):
    response = client.get("/manage/account")
    assert response.status_code == 302 and _path(response) == "/manage/login"


@pytest.mark.parametrize("lang", ["en", "id"])
def test_account_page_renders_in_both_languages(client, auth, make_user, lang):
    user = make_user("staff")
    auth.login(user)
    client.set_cookie("lang", lang)
    response = client.get("/manage/account")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in body
    assert user.email in body


def test_account_update_profile_saves_and_sets_language_cookie(client, auth, make_user, db):
    user = make_user("staff")
    auth.login(user)
    response = post_form(
        client, "/manage/account", {"name": "Dewi Lestari", "language": "id", "submit_profile": "1"}
    )
    assert response.status_code == 302
    assert "lang=id" in response.headers["Set-Cookie"]
    db.session.refresh(user)
    assert (user.name, user.language) == ("Dewi Lestari", "id")
    page = client.get("/manage/account")
    assert '<html lang="id">' in page.get_data(as_text=True)


def test_account_update_profile_rejects_unknown_language(client, auth, make_user, db):
    user = make_user("staff")
    auth.login(user)
    response = post_form(client, "/manage/account", {"name": "X", "language": "fr"})
    assert response.status_code == 422
    db.session.refresh(user)
    assert user.language == "en"


def _change_password(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return post_form(
        client,
        "/manage/account",
        {
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
            "submit_password": "1",
        },
    )


def test_account_change_password_logs_out_other_sessions(app, client, make_user, db):
    user = make_user("organizer")
    other = app.test_client()
    AuthActions(client).login(user)
    AuthActions(other).login(user)
    assert other.get("/manage/account").status_code == 200
    response = _change_password(client)
    assert response.status_code == 302
    assert client.get("/manage/account").status_code == 200  # this session stays
    assert other.get("/manage/account").status_code == 302  # the other one is gone
    third = app.test_client()
    assert AuthActions(third).login(user, password=PASSWORD).status_code == 401
    assert AuthActions(third).login(user, password=NEW_PASSWORD).status_code == 302
    assert len(_audit(db, "user.change_password")) == 1


def test_account_change_password_needs_current_password(client, auth, make_user, db):
    user = make_user("organizer")
    auth.login(user)
    old_hash = user.password_hash
    response = _change_password(client, current="wrong current")
    assert response.status_code == 422
    assert "The current password is not correct." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_account_change_password_needs_twelve_characters(client, auth, make_user):
    auth.login(make_user("organizer"))
    response = _change_password(client, new="1234567890")
    assert response.status_code == 422
    assert "between 12 and 200 characters" in response.get_data(as_text=True)
    assert _change_password(client, new="plum kite 4 river").status_code == 302


@pytest.mark.parametrize("password", [
    "123456789012", "Password2026!", "qwertyuiop12", "abcabcabcabc", "iloveyou2024",
    "aaaaaaaaaaaaaaa", "Jakarta2026!!", "sayangku12345",
])
def test_account_change_password_refuses_common_passwords(client, auth, make_user, password):
    auth.login(make_user("organizer"))
    response = _change_password(client, new=password)
    assert response.status_code == 422
    assert "This password is too common or too easy to guess." in response.get_data(as_text=True)


def test_account_change_password_refuses_email_and_name(client, auth, make_user):
    user = make_user("organizer", email="dewi.lestari@kemlu.example", name="Dewi Lestari Putri")
    auth.login(user)
    for password in ("dewi.lestari@kemlu.example", "DewiLestari2026", "Dewi Lestari Putri"):
        response = _change_password(client, new=password)
        assert response.status_code == 422, password
        assert "must not be your email address or your name" in response.get_data(as_text=True)


def test_account_change_password_message_in_indonesian(client, auth, make_user):
    auth.login(make_user("organizer"))
    client.set_cookie("lang", "id")
    response = _change_password(client, new="Password2026!")
    assert response.status_code == 422
    assert "Kata sandi ini terlalu umum" in response.get_data(as_text=True)


def test_account_change_password_needs_matching_confirmation(client, auth, make_user):
    auth.login(make_user("organizer"))
    response = _change_password(client, confirm="something else entirely")
    assert response.status_code == 422
    assert "The two passwords are not the same." in response.get_data(as_text=True)


# --- production settings -------------------------------------------------------------------


@pytest.mark.parametrize("key", ["a" * 64, "ab" * 32, "0123456780123456780123456780123456"])
def test_production_refuses_a_secret_key_that_does_not_look_random(key):
    from config import ProductionConfig
    from seminar_app import create_app

    class Prod(ProductionConfig):
        SECRET_KEY = key

    with pytest.raises(RuntimeError, match="does not look random"):
        create_app(Prod)


def test_login_has_a_forgot_password_link_in_both_languages(client):
    assert "Forgot your password?" in client.get("/manage/login").get_data(as_text=True)
    client.set_cookie("lang", "id")
    assert "Lupa kata sandi?" in client.get("/manage/login").get_data(as_text=True)
