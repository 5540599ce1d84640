"""Staff password reset by email.

Rules:
- anyone may ask for a reset link for an email address; the answer is the same whether an
  account has that address or not, and takes the same time: the request only hands the
  address to the background queue, whose task looks the account up and sends the email;
- only active accounts get a link, and at most RESET_EMAILS_PER_WINDOW per
  RESET_WINDOW (no mail-bombing a colleague);
- the link carries a token signed with SECRET_KEY (itsdangerous) that holds the account id and
  a fingerprint of its password hash and session nonce: it expires after RESET_MAX_AGE and
  stops working once used (the new password changes the hash), after a logout, or when
  another link was used;
- the new password follows the password rules; setting it ends every session of the account;
  two-factor sign-in stays on (a reset link alone never logs anyone in);
- requests and resets are audited; no token is logged.
"""

import hashlib
import logging
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from ...database import use_case
from ...extensions import db
from ...models import AuditEntry, User, utcnow
from ..audit import record_action
from ..errors import ServiceError
from ..notifications import notify_password_reset
from ..tasks import run_task_after_commit
from .password_rules import check_password_rules
from .users import find_user_by_email, store_password

log = logging.getLogger(__name__)

#: a reset link works this long
RESET_MAX_AGE = timedelta(hours=1)
#: at most this many reset emails to one account per RESET_WINDOW
RESET_EMAILS_PER_WINDOW = 3
RESET_WINDOW = timedelta(minutes=15)
#: name of the background task that sends the email
RESET_TASK = "send_password_reset"
_SALT = "staff-password-reset"


class InvalidResetLink(ServiceError):
    """A reset link that is malformed, expired, already used or of a disabled account."""

    status_code = 400


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _fingerprint(user: User) -> str:
    """Changes when the password or the session nonce changes, so that a link works once."""
    material = f"{user.id}:{user.password_hash}:{user.session_nonce}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def reset_token(user: User) -> str:
    """A signed, expiring, single-use token for a reset link of ``user``."""
    return _serializer().dumps([user.id, _fingerprint(user)])


def user_for_reset_token(token: str) -> User:
    """The active account a valid reset token belongs to; InvalidResetLink otherwise."""
    try:
        user_id, fingerprint = _serializer().loads(
            token or "", max_age=int(RESET_MAX_AGE.total_seconds()))
    except SignatureExpired:
        raise InvalidResetLink(
            _("This link has expired: links to choose a new password work for one hour. "
              "Ask for a new one.")) from None
    except (BadSignature, ValueError, TypeError):
        user_id, fingerprint = None, None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or fingerprint != _fingerprint(user):
        raise InvalidResetLink(
            _("This link is not valid or was already used. Ask for a new one."))
    return user


@use_case
def request_password_reset(email: str) -> None:
    """Hand ``email`` to the background queue, which sends a link if an account has it.

    Nothing is read or written here: the request takes the same time for every address.
    """
    email = (email or "").strip().lower()[:254]
    run_task_after_commit(RESET_TASK, email)


def _recent_reset_emails(user: User) -> int:
    since = utcnow() - RESET_WINDOW
    return db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "user.password_reset_request",
        AuditEntry.object_type == "users", AuditEntry.object_id == user.id,
        AuditEntry.created_at >= since)) or 0


@use_case
def send_password_reset(email: str) -> bool:
    """The task's work: email a reset link to the active account ``email``; True if sent."""
    user = find_user_by_email(email) if email else None
    if user is None or not user.active:
        log.info("password reset asked for an address without an active account")
        return False
    if _recent_reset_emails(user) >= RESET_EMAILS_PER_WINDOW:
        log.warning("password reset emails to user %s held back (too many)", user.id)
        return False
    record_action("user.password_reset_request", user, user=None)
    notify_password_reset(user, token=reset_token(user))
    log.info("password reset link queued for user %s", user.id)
    return True


@use_case
def reset_password(token: str, *, password: str) -> User:
    """Set a new password through a reset link; the link and every session stop working."""
    user = user_for_reset_token(token)
    check_password_rules(password, field="new_password", email=user.email, name=user.name)
    store_password(user, password)
    record_action("user.password_reset", user, user=user)
    log.info("user %s chose a new password through a reset link", user.id)
    return user


def register_reset_task(app) -> None:
    """Define the background task that sends reset emails on ``app``'s queue."""
    huey = app.extensions["huey"]

    @huey.task(name=RESET_TASK)
    def send_password_reset_task(email):
        with app.app_context():
            send_password_reset(email)

    app.extensions["huey_tasks"][RESET_TASK] = send_password_reset_task
