"""Account administration pages: only administrators, with validation and self-protection."""

from urllib.parse import urlsplit

import pytest

from seminar_app.models import UserRole
from seminar_app.services.accounts.users import find_user_by_email, password_matches
from tests.conftest import AuthActions, post_form

NEW_ACCOUNT = {
    "email": "new.person@kemlu.go.id",
    "name": "Siti Rahma",
    "role": "organizer",
    "language": "id",
    "password": "initial password 1",
}


@pytest.fixture
def admin(make_user, auth):
    user = make_user("admin")
    auth.login(user)
    return user


@pytest.mark.parametrize("url", ["/manage/users", "/manage/users/new", "/manage/users/1/edit"])
def test_admin_pages_send_anonymous_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/manage/login"


@pytest.mark.parametrize("role", ["organizer", "staff"])
@pytest.mark.parametrize("url", ["/manage/users", "/manage/users/new", "/manage/users/{id}/edit"])
def test_admin_pages_are_forbidden_to_non_admins(client, auth, make_user, role, url):
    user = make_user(role)
    auth.login(user)
    assert client.get(url.format(id=user.id)).status_code == 403
    if url != "/manage/users":  # the list accepts GET only
        assert post_form(client, url.format(id=user.id), NEW_ACCOUNT).status_code == 403
    assert find_user_by_email(NEW_ACCOUNT["email"]) is None


@pytest.mark.parametrize("lang", ["en", "id"])
def test_users_lists_accounts_with_role_and_state(client, admin, make_user, lang):
    make_user("staff", email="helper@example.org")
    client.set_cookie("lang", lang)
    response = client.get("/manage/users")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in body
    assert "helper@example.org" in body and admin.email in body
    assert f"/manage/users/{admin.id}/edit" in body


def test_user_create_makes_an_account_that_can_log_in(app, client, admin):
    assert client.get("/manage/users/new").status_code == 200
    response = post_form(client, "/manage/users/new", NEW_ACCOUNT)
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/users"
    user = find_user_by_email(NEW_ACCOUNT["email"])
    assert (user.name, user.role, user.language) == ("Siti Rahma", UserRole.ORGANIZER, "id")
    other = app.test_client()
    login = AuthActions(other).login(user, password=NEW_ACCOUNT["password"])
    assert login.status_code == 302


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two@@example.org", "x" * 250 + "@e.org"])
def test_user_create_rejects_bad_email(client, admin, email):
    response = post_form(client, "/manage/users/new", {**NEW_ACCOUNT, "email": email})
    assert response.status_code == 422
    assert find_user_by_email(email) is None


def test_user_create_rejects_taken_email(client, admin, make_user):
    make_user("staff", email="new.person@kemlu.go.id")
    response = post_form(
        client, "/manage/users/new", {**NEW_ACCOUNT, "email": "New.Person@kemlu.go.id"}
    )
    assert response.status_code == 409
    assert "An account with this email already exists." in response.get_data(as_text=True)


def test_user_create_rejects_short_password(client, admin):
    response = post_form(client, "/manage/users/new", {**NEW_ACCOUNT, "password": "short pw"})
    assert response.status_code == 422
    assert "between 12 and 200 characters" in response.get_data(as_text=True)
    assert find_user_by_email(NEW_ACCOUNT["email"]) is None


def test_user_create_rejects_unknown_role(client, admin):
    response = post_form(client, "/manage/users/new", {**NEW_ACCOUNT, "role": "superuser"})
    assert response.status_code == 422
    assert find_user_by_email(NEW_ACCOUNT["email"]) is None


def _edit(client, user, **changes):
    data = {"name": user.name, "role": user.role.value, "language": user.language, "active": "y"}
    data.update(changes)
    if data.get("active") is None:
        data.pop("active")
    return post_form(client, f"/manage/users/{user.id}/edit", data)


def test_user_edit_changes_role_and_name(client, admin, make_user, db):
    user = make_user("staff")
    page = client.get(f"/manage/users/{user.id}/edit")
    assert page.status_code == 200 and user.email in page.get_data(as_text=True)
    response = _edit(client, user, name="Renamed", role="organizer")
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.role) == ("Renamed", UserRole.ORGANIZER)


def test_user_edit_deactivation_ends_the_users_sessions(app, client, admin, make_user, db):
    user = make_user("staff")
    theirs = app.test_client()
    AuthActions(theirs).login(user)
    assert theirs.get("/manage/account").status_code == 200
    assert _edit(client, user, active=None).status_code == 302
    db.session.refresh(user)
    assert not user.active
    assert theirs.get("/manage/account").status_code == 302
    assert AuthActions(app.test_client()).login(user).status_code == 401


def test_user_edit_can_reset_password(app, client, admin, make_user, db):
    user = make_user("staff")
    assert _edit(client, user, password="reset by the admin").status_code == 302
    db.session.refresh(user)
    assert password_matches(user, "reset by the admin")
    assert _edit(client, user, password="tooshort").status_code == 422


@pytest.mark.parametrize("changes", [{"role": "organizer"}, {"active": None}])
def test_user_edit_admin_cannot_demote_or_deactivate_self(client, admin, make_user, db, changes):
    make_user("admin")
    response = _edit(client, admin, **changes)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "You cannot" in body
    db.session.refresh(admin)
    assert admin.role == UserRole.ADMIN and admin.active
    assert client.get("/manage/users").status_code == 200


def test_user_edit_unknown_user_is_404(client, admin):
    assert client.get("/manage/users/999999/edit").status_code == 404
