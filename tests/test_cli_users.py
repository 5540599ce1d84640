"""``flask users ...``: creating accounts, listing them, roles and passwords from a shell."""

from seminar_app.models import UserRole
from seminar_app.services.accounts.users import find_user_by_email, password_matches

SECRET = "cli password 2026"


def test_users_create_prompts_for_password_twice(runner, db):
    result = runner.invoke(
        args=["users", "create", "Chief@Example.org", "--role", "admin", "--name", "Chief"],
        input=f"{SECRET}\n{SECRET}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin account chief@example.org" in result.output
    assert SECRET not in result.output
    user = find_user_by_email("chief@example.org")
    assert (user.role, user.name) == (UserRole.ADMIN, "Chief")
    assert password_matches(user, SECRET)


def test_users_create_prompt_repeats_on_mismatch(runner, db):
    result = runner.invoke(
        args=["users", "create", "m@example.org"],
        input=f"{SECRET}\nsomething else\n{SECRET}\n{SECRET}\n",
    )
    assert result.exit_code == 0, result.output
    assert password_matches(find_user_by_email("m@example.org"), SECRET)
    assert find_user_by_email("m@example.org").role == UserRole.STAFF


def test_users_create_reads_password_from_stdin(runner, db):
    result = runner.invoke(
        args=["users", "create", "s@example.org", "--role", "organizer", "--password-stdin"],
        input=f"{SECRET}\n",
    )
    assert result.exit_code == 0, result.output
    assert password_matches(find_user_by_email("s@example.org"), SECRET)


def test_users_create_short_password_fails(runner, db):
    result = runner.invoke(
        args=["users", "create", "s@example.org", "--password-stdin"], input="short\n"
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    assert find_user_by_email("s@example.org") is None


def test_users_create_taken_email_fails(runner, make_user):
    make_user("staff", email="taken@example.org")
    result = runner.invoke(
        args=["users", "create", "TAKEN@example.org", "--password-stdin"], input=f"{SECRET}\n"
    )
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_users_create_unknown_role_fails(runner, db):
    result = runner.invoke(
        args=["users", "create", "r@example.org", "--role", "king", "--password-stdin"],
        input=f"{SECRET}\n",
    )
    assert result.exit_code == 1
    assert "Unknown role 'king'" in result.output
    assert find_user_by_email("r@example.org") is None


def test_users_create_empty_stdin_fails(runner, db):
    result = runner.invoke(args=["users", "create", "e@example.org", "--password-stdin"], input="")
    assert result.exit_code == 1
    assert "No password" in result.output


def test_users_list_shows_accounts(runner, make_user):
    make_user("organizer", email="org@example.org")
    make_user("admin", email="boss@example.org")
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    assert "org@example.org" in result.output and "organizer" in result.output
    assert "boss@example.org" in result.output


def test_users_list_empty(runner, db):
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    assert "No accounts yet" in result.output


def test_users_set_role_changes_role(runner, make_user, db):
    user = make_user("staff", email="promote@example.org")
    result = runner.invoke(args=["users", "set-role", "promote@example.org", "ORGANIZER"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.role == UserRole.ORGANIZER


def test_users_set_role_unknown_user_or_role_fails(runner, make_user):
    make_user("staff", email="known@example.org")
    unknown_user = runner.invoke(args=["users", "set-role", "ghost@example.org", "admin"])
    assert unknown_user.exit_code == 1 and "No account" in unknown_user.output
    unknown_role = runner.invoke(args=["users", "set-role", "known@example.org", "emperor"])
    assert unknown_role.exit_code == 1 and "Unknown role" in unknown_role.output


def test_users_set_role_keeps_the_last_admin(runner, make_user, db):
    admin = make_user("admin", email="only@example.org")
    result = runner.invoke(args=["users", "set-role", "only@example.org", "staff"])
    assert result.exit_code == 1
    assert "last active administrator" in result.output
    db.session.refresh(admin)
    assert admin.role == UserRole.ADMIN


def test_users_set_password_prompt_and_stdin(runner, make_user, db):
    user = make_user("staff", email="pw@example.org")
    nonce = user.session_nonce
    result = runner.invoke(
        args=["users", "set-password", "pw@example.org"], input=f"{SECRET}\n{SECRET}\n"
    )
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    db.session.refresh(user)
    assert password_matches(user, SECRET) and user.session_nonce != nonce
    again = runner.invoke(
        args=["users", "set-password", "pw@example.org", "--password-stdin"],
        input="third password here\n",
    )
    assert again.exit_code == 0
    db.session.refresh(user)
    assert password_matches(user, "third password here")


def test_users_set_password_errors(runner, make_user):
    make_user("staff", email="pw@example.org")
    unknown = runner.invoke(
        args=["users", "set-password", "ghost@example.org", "--password-stdin"], input=f"{SECRET}\n"
    )
    assert unknown.exit_code == 1 and "No account" in unknown.output
    short = runner.invoke(
        args=["users", "set-password", "pw@example.org", "--password-stdin"], input="123456789\n"
    )
    assert short.exit_code == 1 and "at least 12 characters" in short.output


def test_users_create_refuses_common_and_personal_passwords(runner, db):
    common = runner.invoke(
        args=["users", "create", "c@example.org", "--password-stdin"], input="Password2026!\n"
    )
    assert common.exit_code == 1 and "too common" in common.output
    personal = runner.invoke(
        args=["users", "create", "joko.widodo@example.org", "--password-stdin"],
        input="joko.widodo@example.org\n",
    )
    assert personal.exit_code == 1 and "must not be your email" in personal.output
    assert find_user_by_email("c@example.org") is None


def test_users_set_password_refuses_common_passwords(runner, make_user):
    make_user("staff", email="pw@example.org")
    result = runner.invoke(
        args=["users", "set-password", "pw@example.org", "--password-stdin"],
        input="qwertyuiop1234\n",
    )
    assert result.exit_code == 1 and "too common" in result.output


def test_users_reset_two_factor(runner, make_user, db):
    import pyotp
    from sqlalchemy import select

    from seminar_app.models import AuditEntry, utcnow

    user = make_user("admin", email="locked.out@example.org")
    user.totp_secret, user.two_factor_enabled_at = pyotp.random_base32(), utcnow()
    db.session.commit()
    nonce = user.session_nonce
    result = runner.invoke(args=["users", "reset-two-factor", "locked.out@example.org"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert not user.has_two_factor and user.session_nonce != nonce
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "user.two_factor_reset"))
    assert entry.object_id == user.id and entry.user_id is None
    again = runner.invoke(args=["users", "reset-two-factor", "locked.out@example.org"])
    assert again.exit_code == 1 and "not set up" in again.output
