"""Two-factor sign-in: set-up with a QR code, login with a code or a recovery code, replay and
rate limits, the compulsory set-up (REQUIRE_TWO_FACTOR), switching off, and the admin reset."""

import re
from urllib.parse import urlsplit

import pyotp
import pytest
from sqlalchemy import select

from seminar_app.models import AuditEntry, RecoveryCode, utcnow
from seminar_app.services.accounts import two_factor
from seminar_app.services.errors import Conflict, PermissionDenied
from tests.conftest import PASSWORD, AuthActions, post_form
from tests.factories import add_team_member, registration_event

SECRET_ON_PAGE = re.compile(r'id="two-factor-secret">([A-Z2-7 ]+)<')
CODE_ON_PAGE = re.compile(r'<li class="list-group-item font-monospace fs-5">([a-z2-9-]+)</li>')


def _path(response) -> str:
    return urlsplit(response.headers["Location"]).path


def _actions(db, action):
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id)))


def next_code(db, user) -> str:
    """A code of the current step, or of the next one when the current step was used."""
    db.session.refresh(user)
    totp = pyotp.TOTP(user.totp_secret)
    now_step = totp.timecode(utcnow())
    step = max(now_step, (user.totp_last_step or 0) + 1)
    assert step <= now_step + 1, "no unused step left in the window"
    return totp.generate_otp(step)


def enrol(client, db, user) -> list[str]:
    """Set up two-factor sign-in through the pages; returns the recovery codes shown."""
    page = client.get("/manage/account/two-factor")
    assert page.status_code == 200
    secret = SECRET_ON_PAGE.search(page.get_data(as_text=True)).group(1).replace(" ", "")
    db.session.refresh(user)
    assert secret == user.totp_secret
    response = post_form(client, "/manage/account/two-factor/enrol",
                         {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = CODE_ON_PAGE.findall(response.get_data(as_text=True))
    assert len(codes) == 10
    return codes


def login_with_code(client, user, code):
    first = AuthActions(client).login(user)
    assert first.status_code == 302 and _path(first) == "/manage/login/code"
    return post_form(client, "/manage/login/code", {"code": code})


@pytest.fixture
def enrolled(app, client, db, make_user):
    """An organizer with two-factor sign-in on, logged out again; (user, recovery codes)."""
    user = make_user("organizer")
    AuthActions(client).login(user)
    codes = enrol(client, db, user)
    AuthActions(client).logout()
    return user, codes


# --- set-up --------------------------------------------------------------------------------


def test_two_factor_page_shows_qr_code_and_secret(client, auth, make_user, db):
    user = make_user("organizer")
    auth.login(user)
    body = client.get("/manage/account/two-factor").get_data(as_text=True)
    db.session.refresh(user)
    assert 'src="data:image/svg+xml' in body
    assert two_factor.grouped_secret(user.totp_secret) in body
    assert not user.has_two_factor
    again = client.get("/manage/account/two-factor").get_data(as_text=True)
    assert two_factor.grouped_secret(user.totp_secret) in again  # the same pending secret


def test_enrol_switches_on_with_a_code_and_stores_hashed_recovery_codes(client, auth,
                                                                        make_user, db):
    user = make_user("organizer")
    auth.login(user)
    codes = enrol(client, db, user)
    db.session.refresh(user)
    assert user.has_two_factor and user.two_factor_enabled_at is not None
    stored = list(db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)))
    assert len(stored) == 10 and len(set(codes)) == 10
    assert not any(code.replace("-", "") in row.code_hash for code in codes for row in stored)
    assert [e.object_id for e in _actions(db, "user.two_factor_enable")] == [user.id]
    assert client.get("/manage/account").status_code == 200  # this session goes on
    assert "10 unused recovery codes left." in client.get(
        "/manage/account/two-factor").get_data(as_text=True)


def test_enrol_wrong_code_is_refused_next_to_the_field(client, auth, make_user, db):
    user = make_user("organizer")
    auth.login(user)
    client.get("/manage/account/two-factor")
    response = post_form(client, "/manage/account/two-factor/enrol", {"code": "000000"})
    assert response.status_code == 422
    assert "This code is not correct." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert not user.has_two_factor


def test_enrol_ends_the_other_sessions(app, client, make_user, db):
    user = make_user("organizer")
    other = app.test_client()
    AuthActions(client).login(user)
    AuthActions(other).login(user)
    enrol(client, db, user)
    assert other.get("/manage/").status_code == 302


@pytest.mark.parametrize("lang, text", [("en", "Set up two-factor sign-in"),
                                         ("id", "Siapkan masuk dua faktor")])
def test_enrol_page_in_both_languages(client, auth, make_user, lang, text):
    auth.login(make_user("organizer"))
    client.set_cookie("lang", lang)
    body = client.get("/manage/account/two-factor").get_data(as_text=True)
    assert f'<html lang="{lang}">' in body and text in body


# --- login ---------------------------------------------------------------------------------


def test_login_asks_for_a_code_after_the_password(client, db, enrolled):
    user, _codes = enrolled
    response = AuthActions(client).login(user)
    assert _path(response) == "/manage/login/code"
    assert client.get("/manage/").status_code == 302  # not logged in yet
    page = client.get("/manage/login/code")
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.get_data(
        as_text=True)
    done = post_form(client, "/manage/login/code", {"code": next_code(db, user)})
    assert done.status_code == 302 and _path(done) == "/manage/"
    assert client.get("/manage/").status_code == 200
    login = _actions(db, "user.login")[-1]
    assert login.details["method"] == "totp"


def test_login_code_cannot_be_replayed(app, client, db, enrolled):
    user, _codes = enrolled
    code = next_code(db, user)
    assert login_with_code(client, user, code).status_code == 302
    AuthActions(client).logout()
    replay = login_with_code(client, user, code)
    assert replay.status_code == 401
    assert "already used" in replay.get_data(as_text=True)
    assert _actions(db, "user.two_factor_failed")[-1].details["reason"] == "wrong_code"


def test_login_wrong_code_is_refused_and_audited(client, db, enrolled):
    user, _codes = enrolled
    response = login_with_code(client, user, "123456")
    assert response.status_code == 401
    assert client.get("/manage/").status_code == 302
    assert [e.object_id for e in _actions(db, "user.two_factor_failed")] == [user.id]


def test_login_with_a_recovery_code_works_once(app, client, db, enrolled):
    user, codes = enrolled
    response = login_with_code(client, user, codes[0].upper().replace("-", " "))
    assert response.status_code == 302 and _path(response) == "/manage/"
    assert "You used a recovery code; 9 left." in client.get("/manage/").get_data(as_text=True)
    AuthActions(client).logout()
    again = login_with_code(client, user, codes[0])
    assert again.status_code == 401
    assert _actions(db, "user.recovery_code_used")[0].object_id == user.id


def test_login_code_step_expires(client, db, enrolled):
    user, _codes = enrolled
    AuthActions(client).login(user)
    with client.session_transaction() as session:
        pending = dict(session["pending_login"])
        session["pending_login"] = {**pending, "at": pending["at"] - 600}
    response = post_form(client, "/manage/login/code", {"code": next_code(db, user)})
    assert response.status_code == 302 and _path(response) == "/manage/login"


def test_login_code_page_without_password_step_sends_to_login(client):
    response = client.get("/manage/login/code")
    assert response.status_code == 302 and _path(response) == "/manage/login"


def test_login_code_is_rate_limited(app, client, enrolled, monkeypatch):
    monkeypatch.setitem(app.config, "TWO_FACTOR_RATE_LIMIT", "3 per minute")
    user, _codes = enrolled
    AuthActions(client).login(user)
    statuses = [post_form(client, "/manage/login/code", {"code": "000000"}).status_code
                for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_login_code_rate_limit_counts_per_account(app, db, enrolled, monkeypatch):
    monkeypatch.setitem(app.config, "TWO_FACTOR_RATE_LIMIT", "2 per minute")
    user, _codes = enrolled
    for address in ("10.0.0.1", "10.0.0.2"):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        AuthActions(client).login(user)
        post_form(client, "/manage/login/code", {"code": "000000"})
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.3"
    AuthActions(client).login(user)
    assert post_form(client, "/manage/login/code", {"code": "000000"}).status_code == 429


@pytest.mark.parametrize("lang, text", [("en", "Two-factor sign-in"),
                                         ("id", "Masuk dua faktor")])
def test_login_code_page_in_both_languages(client, enrolled, lang, text):
    user, _codes = enrolled
    client.set_cookie("lang", lang)
    AuthActions(client).login(user)
    body = client.get("/manage/login/code").get_data(as_text=True)
    assert f'<html lang="{lang}">' in body and text in body


def test_accept_totp_twice_in_the_same_step_fails_the_second_time(db, make_user):
    user = make_user("organizer")
    user.totp_secret = pyotp.random_base32()
    db.session.commit()
    code = pyotp.TOTP(user.totp_secret).now()
    assert two_factor._accept_totp(user, code)
    db.session.commit()
    assert not two_factor._accept_totp(user, code)


# --- compulsory set-up ---------------------------------------------------------------------


@pytest.fixture
def required(app, monkeypatch):
    monkeypatch.setitem(app.config, "REQUIRE_TWO_FACTOR", True)


@pytest.mark.parametrize("role", ["admin", "organizer"])
def test_required_sends_to_set_up_and_allows_nothing_else(client, make_user, required, role):
    user = make_user(role)
    response = AuthActions(client).login(user)
    assert _path(response) == "/manage/account/two-factor"
    for url in ("/manage/", "/manage/account", "/manage/users", "/manage/api-tokens"):
        blocked = client.get(url)
        assert blocked.status_code == 302 and _path(blocked) == "/manage/account/two-factor", url
    page = client.get("/manage/account/two-factor")
    assert "Your account must use two-factor sign-in" in page.get_data(as_text=True)
    assert AuthActions(client).logout().status_code == 302


def test_required_for_a_team_member_with_the_manage_right(client, db, make_user, required):
    owner, manager, helper = make_user("organizer"), make_user("staff"), make_user("staff")
    event = registration_event(owner)
    add_team_member(event, manager, can_manage=True)
    add_team_member(event, helper, can_checkin=True)
    assert two_factor.two_factor_required(manager)
    assert not two_factor.two_factor_required(helper)
    assert _path(AuthActions(client).login(manager)) == "/manage/account/two-factor"


def test_required_staff_without_manage_right_goes_on(client, make_user, required):
    response = AuthActions(client).login(make_user("staff"))
    assert _path(response) == "/manage/"
    assert client.get("/manage/").status_code == 200


def test_required_after_set_up_everything_opens(client, db, make_user, required):
    user = make_user("organizer")
    AuthActions(client).login(user)
    enrol(client, db, user)
    assert client.get("/manage/").status_code == 200


def test_not_required_in_development_and_testing(app, make_user):
    from config import DevelopmentConfig, ProductionConfig, TestingConfig

    assert not DevelopmentConfig.REQUIRE_TWO_FACTOR and not TestingConfig.REQUIRE_TWO_FACTOR
    assert ProductionConfig.REQUIRE_TWO_FACTOR
    assert not two_factor.two_factor_required(make_user("admin"))


# --- switching off, new codes, the admin reset ----------------------------------------------


def _logged_in_enrolled(client, db, user):
    assert login_with_code(client, user, next_code(db, user)).status_code == 302


def test_disable_needs_the_password_or_a_code(client, db, enrolled):
    user, _codes = enrolled
    _logged_in_enrolled(client, db, user)
    wrong = post_form(client, "/manage/account/two-factor/disable",
                      {"off-confirmation": "not my password"})
    assert wrong.status_code == 422
    assert "Enter your current password or a current code" in wrong.get_data(as_text=True)
    db.session.refresh(user)
    assert user.has_two_factor
    done = post_form(client, "/manage/account/two-factor/disable",
                     {"off-confirmation": PASSWORD})
    assert done.status_code == 302
    db.session.refresh(user)
    assert not user.has_two_factor and user.totp_secret is None
    assert db.session.scalar(select(RecoveryCode)) is None
    assert [e.object_id for e in _actions(db, "user.two_factor_disable")] == [user.id]
    assert client.get("/manage/").status_code == 200
    AuthActions(client).logout()
    assert _path(AuthActions(client).login(user)) == "/manage/"


def test_regenerate_recovery_codes_with_a_code(client, db, enrolled):
    user, old_codes = enrolled
    _logged_in_enrolled(client, db, user)
    db.session.refresh(user)
    user.totp_last_step = None  # the login used the step of this code
    db.session.commit()
    response = post_form(client, "/manage/account/two-factor/recovery-codes",
                         {"confirmation": pyotp.TOTP(user.totp_secret).now()})
    assert response.status_code == 200
    new_codes = CODE_ON_PAGE.findall(response.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    AuthActions(client).logout()
    assert login_with_code(client, user, old_codes[1]).status_code == 401
    assert login_with_code(client, user, new_codes[0]).status_code == 302


def test_admin_resets_two_factor_audited_and_sessions_end(app, client, db, enrolled,
                                                         make_user):
    user, _codes = enrolled
    victim_session = app.test_client()
    _logged_in_enrolled(victim_session, db, user)
    admin = make_user("admin")
    AuthActions(client).login(admin)
    page = client.get(f"/manage/users/{user.id}/edit").get_data(as_text=True)
    assert "Reset two-factor sign-in" in page
    response = post_form(client, f"/manage/users/{user.id}/two-factor/reset")
    assert response.status_code == 302
    db.session.refresh(user)
    assert not user.has_two_factor
    entry = _actions(db, "user.two_factor_reset")[0]
    assert (entry.object_id, entry.user_id) == (user.id, admin.id)
    assert victim_session.get("/manage/").status_code == 302
    fresh = app.test_client()
    assert _path(AuthActions(fresh).login(user)) == "/manage/"


def test_admin_reset_refusals(client, db, make_user):
    admin, other = make_user("admin"), make_user("staff")
    AuthActions(client).login(admin)
    response = post_form(client, f"/manage/users/{other.id}/two-factor/reset")
    assert response.status_code == 409
    assert "not set up" in response.get_data(as_text=True)
    with pytest.raises(PermissionDenied):
        two_factor.reset_two_factor(admin, actor=admin)
    with pytest.raises(Conflict):
        two_factor.reset_two_factor(other, actor=admin)


def test_admin_reset_is_for_admins_only(app, client, enrolled, make_user):
    user, _codes = enrolled
    AuthActions(client).login(make_user("organizer"))
    assert post_form(client, f"/manage/users/{user.id}/two-factor/reset").status_code == 403


def test_user_list_shows_who_has_two_factor(client, db, enrolled, make_user):
    AuthActions(client).login(make_user("admin"))
    body = client.get("/manage/users").get_data(as_text=True)
    assert body.count(">2FA</span>") == 2  # one account, in the phone and the wide layout


def test_enrol_page_forms_work_with_the_new_session(client, auth, make_user, db):
    user = make_user("organizer")
    auth.login(user)
    page = client.get("/manage/account/two-factor").get_data(as_text=True)
    secret = SECRET_ON_PAGE.search(page).group(1).replace(" ", "")
    response = post_form(client, "/manage/account/two-factor/enrol",
                         {"code": pyotp.TOTP(secret).now()})
    token = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    logout = client.post("/manage/logout", data={"csrf_token": token.group(1)})
    assert logout.status_code == 302 and _path(logout) == "/manage/login"
