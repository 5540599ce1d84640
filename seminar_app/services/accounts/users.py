"""Staff accounts: creating them, logging in, checking passwords, changing roles.

Rules:
- passwords follow ``services.accounts.password_rules`` (12 characters, not common, not the email or
  name) everywhere: web forms, password reset, command line; they are hashed with argon2 and
  never logged or written to the audit log;
- logging out, changing or resetting a password, resetting two-factor sign-in and
  deactivating an account rotate the account's session nonce, which ends every login of that
  account on every device (see ``User.get_id``);
- deactivating an account revokes its API tokens for good: reactivating it does not bring
  them back.
"""

import logging

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ...database import transaction, use_case
from ...extensions import db
from ...models import User, UserRole, utcnow
from ...models.users import new_session_nonce
from ..audit import record_action
from ..errors import Conflict, PermissionDenied, ServiceError
from .api_tokens import revoke_tokens_of_user
from .password_rules import (  # noqa: F401 - the bounds are imported from here by forms, CLI
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    check_password_rules,
)

log = logging.getLogger(__name__)

#: the interface languages an account may prefer; "" follows the device (browser) language
ACCOUNT_LANGUAGES = ("en", "id", "")


class LoginFailed(ServiceError):
    """Wrong email, wrong password or a deactivated account; deliberately not told apart."""

    status_code = 401


def _hasher() -> PasswordHasher:
    if current_app.config.get("PASSWORD_HASH_FAST"):
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2 hash of ``password``."""
    return _hasher().hash(password)


def password_matches(user: User, password: str) -> bool:
    """True when ``password`` is the user's password."""
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _spend_hash_time(password: str) -> None:
    """Hash once so that an unknown email takes as long to refuse as a wrong password."""
    hash_password(password)


def find_user_by_email(email: str) -> User | None:
    """The account with this email (case-insensitive), or None."""
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def list_users() -> list[User]:
    """Every account, active ones first, then by name."""
    return list(db.session.scalars(select(User).order_by(User.active.desc(), User.name, User.id)))


def _check_language(language: str) -> None:
    if language not in ACCOUNT_LANGUAGES:
        raise ServiceError(_("Choose one of the offered languages."), field="language")


def _role(role: str | UserRole) -> UserRole:
    try:
        return UserRole(role)
    except ValueError:
        raise ServiceError(_("Unknown role: %(role)s.", role=role), field="role") from None


@use_case
def create_user(
    *, email: str, name: str, password: str, role: UserRole = UserRole.STAFF, language: str = "en"
) -> User:
    """Create a staff account; raises Conflict when the email is taken."""
    email = email.strip().lower()
    role = _role(role)
    check_password_rules(password, email=email, name=name)
    _check_language(language)
    if find_user_by_email(email) is not None:
        raise Conflict(_("An account with this email already exists."), field="email")
    user = User(
        email=email,
        name=name.strip() or email,
        password_hash=hash_password(password),
        role=role,
        language=language,
    )
    db.session.add(user)
    db.session.flush()
    record_action("user.create", user, role=user.role.value)
    log.info("created %s account %s", user.role.value, user.email)
    return user


def check_credentials(*, email: str, password: str) -> User:
    """The active account with this email and password (nothing recorded); else LoginFailed.

    A failure is audited and committed. The login itself is recorded by ``record_login``,
    after the second factor when the account has one.
    """
    user = find_user_by_email(email)
    if user is None:
        _spend_hash_time(password)
        reason = "unknown_email"
    elif not password_matches(user, password):
        reason = "wrong_password"
    elif not user.active:
        reason = "inactive"
    else:
        return user
    with transaction():  # the failure stays audited although LoginFailed follows
        record_action(
            "user.login_failed", user, user=user, email=email.strip().lower()[:254], reason=reason
        )
    log.info("failed login for %r (%s)", email.strip().lower()[:254], reason)
    raise LoginFailed(_("The email or the password is not correct, or the account is disabled."))


@use_case
def record_login(user: User, *, method: str = "password") -> User:
    """Note a completed login (``method``: password, totp or recovery_code) and commit."""
    user.last_login_at = utcnow()
    record_action("user.login", user, user=user, method=method)
    log.info("user %s logged in (%s)", user.id, method)
    return user


@use_case
def log_out_everywhere(user: User) -> User:
    """End every session of the account (this one included) and commit."""
    user.session_nonce = new_session_nonce()
    record_action("user.logout", user, user=user)
    log.info("user %s logged out (every session)", user.id)
    return user


@use_case
def update_profile(user: User, *, name: str, language: str) -> User:
    """Change the account's own display name and interface language."""
    _check_language(language)
    user.name = name.strip() or user.email
    user.language = language
    record_action("user.update_profile", user, name=user.name, language=language)
    return user


@use_case
def change_password(user: User, *, current_password: str, new_password: str) -> User:
    """Change the account's own password, ending its other sessions."""
    if not password_matches(user, current_password):
        raise ServiceError(_("The current password is not correct."), field="current_password")
    if password_matches(user, new_password):
        raise ServiceError(
            _("Choose a password different from the current one."), field="new_password"
        )
    check_password_rules(new_password, field="new_password", email=user.email, name=user.name)
    store_password(user, new_password)
    record_action("user.change_password", user)
    log.info("user %s changed their password", user.id)
    return user


@use_case
def set_password(user: User, *, password: str) -> User:
    """Give the account a new password (administrators, command line); ends its sessions."""
    check_password_rules(password, email=user.email, name=user.name)
    store_password(user, password)
    record_action("user.set_password", user)
    log.info("password of user %s was reset", user.id)
    return user


def store_password(user: User, password: str) -> None:
    """Hash ``password`` into the account and end its sessions (no check, no commit)."""
    user.password_hash = hash_password(password)
    user.session_nonce = new_session_nonce()


def _active_admin_count() -> int:
    return (
        db.session.scalar(
            select(func.count(User.id)).where(User.role == UserRole.ADMIN, User.active.is_(True))
        )
        or 0
    )


def _check_admins_remain(user: User, *, role: UserRole, active: bool) -> None:
    """Refuse a change that would leave the installation without an active administrator."""
    was_admin = user.role == UserRole.ADMIN and user.active
    stays_admin = role == UserRole.ADMIN and active
    if was_admin and not stays_admin and _active_admin_count() <= 1:
        raise Conflict(
            _("This is the last active administrator; appoint another one first."),
            field="role" if role != UserRole.ADMIN else "active",
        )


@use_case
def update_user(
    user: User,
    *,
    actor: User,
    name: str,
    role: str | UserRole,
    active: bool,
    language: str,
    password: str = "",
) -> User:
    """An administrator changes an account: name, role, active, language, optionally password."""
    role = _role(role)
    _check_language(language)
    if actor.id == user.id and role != UserRole.ADMIN:
        raise PermissionDenied(
            _("You cannot take the administrator role from yourself."), field="role"
        )
    if actor.id == user.id and not active:
        raise PermissionDenied(_("You cannot deactivate your own account."), field="active")
    _check_admins_remain(user, role=role, active=active)
    if password:
        check_password_rules(password, email=user.email, name=name.strip() or user.name)
    changes = _changes(
        user, name=name.strip() or user.email, role=role, active=active, language=language
    )
    for key, (_old, new) in changes.items():
        setattr(user, key, new)
    if password:
        store_password(user, password)
        changes["password"] = ("", "changed")
    if "active" in changes and not active:
        user.session_nonce = new_session_nonce()
        changes["api_tokens_revoked"] = (0, revoke_tokens_of_user(user, actor=actor))
    record_action(
        "user.update",
        user,
        user=actor,
        changes={key: _jsonable_change(value) for key, value in changes.items()},
    )
    log.info("user %s updated by %s: %s", user.id, actor.id, sorted(changes))
    return user


def _changes(user: User, **values) -> dict:
    return {
        key: (getattr(user, key), value)
        for key, value in values.items()
        if getattr(user, key) != value
    }


def _jsonable_change(change: tuple) -> list:
    return [value.value if isinstance(value, UserRole) else value for value in change]


@use_case
def set_user_role(user: User, *, role: str | UserRole) -> User:
    """Change an account's role (command line); the last active administrator stays one."""
    role = _role(role)
    _check_admins_remain(user, role=role, active=user.active)
    old = user.role
    user.role = role
    record_action("user.set_role", user, old=old.value, new=role.value)
    log.info("user %s role %s -> %s", user.id, old.value, role.value)
    return user


@use_case
def deactivate_user(user: User, *, actor: User | None = None) -> User:
    """Disable an account and end its sessions; an administrator cannot disable themself."""
    if actor is not None and actor.id == user.id:
        raise PermissionDenied(_("You cannot deactivate your own account."), field="active")
    _check_admins_remain(user, role=user.role, active=False)
    user.active = False
    user.session_nonce = new_session_nonce()
    revoked = revoke_tokens_of_user(user, actor=actor)
    record_action("user.deactivate", user, user=actor, api_tokens_revoked=revoked)
    log.info("user %s deactivated", user.id)
    return user


@use_case
def activate_user(user: User) -> User:
    """Enable a deactivated account again (its API tokens revoked at deactivation stay so)."""
    user.active = True
    record_action("user.activate", user)
    log.info("user %s activated", user.id)
    return user
