"""Staff accounts: creating them, checking passwords, changing roles."""

import logging

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..models import User, UserRole
from .audit import record_action
from .errors import Conflict

log = logging.getLogger(__name__)


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


def find_user_by_email(email: str) -> User | None:
    """The account with this email (case-insensitive), or None."""
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(*, email: str, name: str, password: str, role: UserRole = UserRole.STAFF,
                language: str = "en") -> User:
    """Create a staff account; raises Conflict when the email is taken."""
    email = email.strip().lower()
    if find_user_by_email(email) is not None:
        raise Conflict(_("An account with this email already exists."), field="email")
    user = User(email=email, name=name.strip() or email, password_hash=hash_password(password),
                role=UserRole(role), language=language)
    db.session.add(user)
    db.session.flush()
    record_action("user.create", user, role=user.role.value)
    db.session.commit()
    log.info("created %s account %s", user.role.value, user.email)
    return user
