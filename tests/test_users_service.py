"""The account rules in seminar_app.services.accounts.users, called directly."""

import pytest
from sqlalchemy import select

from seminar_app.models import AuditEntry, UserRole
from seminar_app.services.accounts.users import (
    LoginFailed,
    activate_user,
    change_password,
    check_credentials,
    create_user,
    deactivate_user,
    find_user_by_email,
    list_users,
    password_matches,
    record_login,
    set_password,
    set_user_role,
    update_profile,
    update_user,
)
from seminar_app.services.errors import Conflict, PermissionDenied, ServiceError
from tests.conftest import PASSWORD


def _actions(db):
    return [
        entry.action for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    ]


def test_create_user_stores_hash_and_lowercase_email(db):
    user = create_user(email=" Ana@Example.ORG ", name="Ana", password=PASSWORD)
    assert user.email == "ana@example.org"
    assert user.role == UserRole.STAFF
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("$argon2")
    assert password_matches(user, PASSWORD)
    assert find_user_by_email("ANA@example.org") == user
    assert _actions(db) == ["user.create"]


def test_create_user_taken_email_is_conflict(make_user):
    make_user("staff", email="taken@example.org")
    with pytest.raises(Conflict) as error:
        create_user(email="TAKEN@example.org", name="B", password=PASSWORD)
    assert error.value.field == "email"


def test_create_user_short_password_is_refused(db):
    with pytest.raises(ServiceError) as error:
        create_user(email="short@example.org", name="S", password="123456789")
    assert error.value.field == "password"
    assert find_user_by_email("short@example.org") is None


def test_create_user_unknown_role_is_refused(db):
    with pytest.raises(ServiceError) as error:
        create_user(email="r@example.org", name="R", password=PASSWORD, role="king")
    assert error.value.field == "role"


def test_check_credentials_records_nothing_until_record_login(make_user, db):
    user = make_user("staff")
    assert check_credentials(email=user.email.upper(), password=PASSWORD) == user
    assert user.last_login_at is None and "user.login" not in _actions(db)
    record_login(user, method="totp")
    assert user.last_login_at is not None
    assert _actions(db)[-1] == "user.login"


@pytest.mark.parametrize("case", ["wrong_password", "unknown_email", "inactive"])
def test_check_credentials_failures_are_generic_and_audited(make_user, db, case):
    user = make_user("staff", email="who@example.org")
    email, password = user.email, PASSWORD
    if case == "wrong_password":
        password = "something else"
    elif case == "unknown_email":
        email = "nobody@example.org"
    else:
        deactivate_user(user)
    with pytest.raises(LoginFailed) as error:
        check_credentials(email=email, password=password)
    assert error.value.status_code == 401
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "user.login_failed")
    ).one()
    assert entry.details == {"email": email, "reason": case}


def test_change_password_rotates_nonce(make_user):
    user = make_user("staff")
    old_id = user.get_id()
    change_password(user, current_password=PASSWORD, new_password="another long password")
    assert user.get_id() != old_id
    assert password_matches(user, "another long password")


def test_change_password_wrong_current_password(make_user):
    user = make_user("staff")
    with pytest.raises(ServiceError) as error:
        change_password(user, current_password="nope nope nope", new_password="x" * 12)
    assert error.value.field == "current_password"
    assert password_matches(user, PASSWORD)


def test_change_password_too_short(make_user):
    user = make_user("staff")
    with pytest.raises(ServiceError) as error:
        change_password(user, current_password=PASSWORD, new_password="short")
    assert error.value.field == "new_password"


def test_set_password_rotates_nonce_and_keeps_password_out_of_audit(make_user, db):
    user = make_user("staff")
    nonce = user.session_nonce
    set_password(user, password="reset by admin 2026")
    assert user.session_nonce != nonce
    assert password_matches(user, "reset by admin 2026")
    for entry in db.session.scalars(select(AuditEntry)):
        assert "reset by admin 2026" not in str(entry.details)


def test_update_profile_changes_name_and_language(make_user):
    user = make_user("staff")
    update_profile(user, name="  Budi  ", language="id")
    assert (user.name, user.language) == ("Budi", "id")
    with pytest.raises(ServiceError):
        update_profile(user, name="Budi", language="xx")


def test_update_user_changes_role_and_audits_changes(make_user, db):
    admin = make_user("admin")
    user = make_user("staff")
    update_user(user, actor=admin, name="New Name", role="organizer", active=True, language="id")
    assert (user.name, user.role, user.language) == ("New Name", UserRole.ORGANIZER, "id")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.update")).one()
    assert entry.user_id == admin.id
    assert entry.details["changes"]["role"] == ["staff", "organizer"]


def test_update_user_deactivation_rotates_nonce(make_user):
    admin = make_user("admin")
    user = make_user("staff")
    nonce = user.session_nonce
    update_user(user, actor=admin, name=user.name, role="staff", active=False, language="en")
    assert not user.active and user.session_nonce != nonce


def test_update_user_with_password_sets_it(make_user):
    admin = make_user("admin")
    user = make_user("staff")
    update_user(
        user,
        actor=admin,
        name=user.name,
        role="staff",
        active=True,
        language="en",
        password="brand new secret",
    )
    assert password_matches(user, "brand new secret")


@pytest.mark.parametrize(
    ("role", "active", "field"), [("organizer", True, "role"), ("admin", False, "active")]
)
def test_update_user_admin_cannot_demote_or_deactivate_self(make_user, role, active, field):
    admin = make_user("admin")
    make_user("admin")  # another admin exists, so only the self rule can refuse
    with pytest.raises(PermissionDenied) as error:
        update_user(admin, actor=admin, name="A", role=role, active=active, language="en")
    assert error.value.field == field
    assert admin.role == UserRole.ADMIN and admin.active


def test_set_user_role_keeps_last_admin(make_user):
    admin = make_user("admin")
    with pytest.raises(Conflict):
        set_user_role(admin, role="staff")
    second = make_user("admin")
    set_user_role(admin, role="staff")
    assert admin.role == UserRole.STAFF
    with pytest.raises(Conflict):
        deactivate_user(second)


def test_deactivate_and_activate_user(make_user, db):
    admin = make_user("admin")
    user = make_user("staff")
    with pytest.raises(PermissionDenied):
        deactivate_user(admin, actor=admin)
    deactivate_user(user, actor=admin)
    assert not user.active
    activate_user(user)
    assert user.active
    assert _actions(db)[-2:] == ["user.deactivate", "user.activate"]


def test_list_users_active_first(make_user):
    inactive = make_user("staff", name="Aaron")
    deactivate_user(inactive)
    active = make_user("staff", name="Zed")
    assert list_users() == [active, inactive]


# --- password rules, logout everywhere, tokens of deactivated accounts -----------------------


@pytest.mark.parametrize("password", [
    "123456789012", "Password2026!", "qwertyuiopas", "abcdefghijklm", "zyxwvutsrqpo",
    "1qaz2wsx3edc4rfv", "abcabcabcabc", "aaaaaaaaaaaaa", "passwordpassword", "Sayangku2026",
    "P a s s w o r d 1 2 3", "Indonesia1945!",
])
def test_create_user_refuses_guessable_passwords(db, password):
    with pytest.raises(ServiceError) as error:
        create_user(email="g@example.org", name="G", password=password)
    assert error.value.field == "password"
    assert "too common" in error.value.message


@pytest.mark.parametrize("password", ["Ratna.Sari@kemlu.example", "ratnasari2026", "Ratna Sari!!"])
def test_create_user_refuses_email_or_name_as_password(db, password):
    with pytest.raises(ServiceError) as error:
        create_user(email="ratna.sari@kemlu.example", name="Ratna Sari!!", password=password)
    assert "must not be your email" in error.value.message


@pytest.mark.parametrize("password", [PASSWORD, "demo-password-2026", "violet harbour lantern 7",
                                      "xK9#mP2vL8qR"])
def test_create_user_accepts_good_passwords(db, password):
    assert create_user(email="ok@example.org", name="Ok", password=password).id


def test_common_password_list_is_shipped_and_large():
    from seminar_app.services.accounts.password_rules import common_passwords

    words = common_passwords()
    assert len(words) >= 10_000
    assert {"password", "123456", "qwerty", "iloveyou", "sayang", "bismillah"} <= words


def test_log_out_everywhere_rotates_the_nonce_and_is_audited(make_user, db):
    from seminar_app.services.accounts.users import log_out_everywhere

    user = make_user("staff")
    nonce = user.session_nonce
    log_out_everywhere(user)
    assert user.session_nonce != nonce
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.logout"))


def test_deactivate_user_revokes_api_tokens(make_user, db):
    from seminar_app.services.accounts.api_tokens import create_token

    user = make_user("organizer")
    make_user("admin")
    token, _secret = create_token(user, name="Script")
    deactivate_user(user)
    db.session.refresh(token)
    assert token.revoked_at is not None
    activate_user(user)
    db.session.refresh(token)
    assert token.revoked_at is not None
