"""Staff accounts. Delegates never log in; they act through personal links."""

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..crypto import EncryptedText
from ..extensions import db
from .base import UTCDateTime, utcnow, value_enum


class UserRole(enum.StrEnum):
    """What a staff account may do across the whole installation."""

    #: everything, including accounts and every event
    ADMIN = "admin"
    #: creates events and runs the ones they own or whose team they are on
    ORGANIZER = "organizer"
    #: works on the events whose team they are on, with the rights the team grants
    STAFF = "staff"


def new_session_nonce() -> str:
    """A fresh random value that invalidates every existing login of the account."""
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    """A staff account that logs in with email and password."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: login name, stored lower-case; unique
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: name shown in the interface and the audit log
    name: Mapped[str] = mapped_column(String(200))
    #: argon2 hash of the password
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[UserRole] = mapped_column(
        value_enum(UserRole, "user_role"),
        default=UserRole.STAFF,
    )
    #: deactivated accounts cannot log in and lose their sessions
    active: Mapped[bool] = mapped_column(default=True)
    #: interface language preferred by the user (en or id)
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: part of the login cookie; changing it logs the account out everywhere
    session_nonce: Mapped[str] = mapped_column(String(64), default=new_session_nonce)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: base32 TOTP secret (encrypted like passport data): being set up while
    #: ``two_factor_enabled_at`` is None, then in use
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText("users.totp_secret"))
    #: when two-factor sign-in was switched on (None: off)
    two_factor_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the last TOTP time-step accepted; a code of this step or an earlier one is refused
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    def get_id(self) -> str:
        """The value kept in the session: id and nonce, so a nonce change ends old sessions."""
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_active(self) -> bool:  # Flask-Login reads this
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == UserRole.ADMIN

    @property
    def has_two_factor(self) -> bool:
        """True when logging in needs a code after the password."""
        return self.two_factor_enabled_at is not None and bool(self.totp_secret)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role.value}>"
