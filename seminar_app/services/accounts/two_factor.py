"""Two-factor sign-in of staff accounts: TOTP codes from an authenticator app, recovery codes.

Rules:
- an account sets it up on its own account page: a secret is made (shown as a QR code and as
  text) and switched on only when a code made with it is entered; ten single-use recovery
  codes are then shown once and stored as SHA-256 only;
- with two-factor sign-in on, logging in needs the password, then a code from the app or one
  unused recovery code; codes of the current 30-second step and of the steps on either side
  are accepted, and a code is never accepted twice: the last accepted step is kept and only a
  later one passes (a conditional UPDATE, so two simultaneous requests cannot both win);
- ``REQUIRE_TWO_FACTOR`` (on in production) makes it compulsory for administrators,
  organizers (they own events, so hold the manage right on them) and anyone holding the
  manage right on an event's team; such an account is sent to set it up after the password
  and can do nothing else until it has;
- switching it off or making new recovery codes needs the current password or a code;
  an administrator can reset another account's two-factor sign-in; switching it on or off and
  a reset end every other session of the account; every change and failed code is audited.
"""

import hashlib
import logging
import secrets

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _
from pyotp.utils import strings_equal
from sqlalchemy import delete, exists, func, or_, select, update

from ...branding import product_name
from ...database import transaction, use_case
from ...extensions import db
from ...models import RecoveryCode, TeamMember, User, UserRole, utcnow
from ...models.users import new_session_nonce
from ..audit import record_action
from ..errors import Conflict, PermissionDenied, ServiceError
from .users import password_matches, record_login

log = logging.getLogger(__name__)

#: how many recovery codes an account gets at a time
RECOVERY_CODE_COUNT = 10
#: letters of recovery codes: no 0/o, 1/l/i
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 10
#: accepted steps on either side of the current one (clock drift of the phone)
VALID_WINDOW = 1
TOTP_DIGITS = 6


class InvalidCode(ServiceError):
    """A wrong, replayed or used code."""

    status_code = 401


def two_factor_required(user: User) -> bool:
    """True when REQUIRE_TWO_FACTOR is on and ``user`` administers, organizes or manages."""
    if not current_app.config.get("REQUIRE_TWO_FACTOR"):
        return False
    if user.role in (UserRole.ADMIN, UserRole.ORGANIZER):
        return True
    return bool(db.session.scalar(select(exists().where(
        TeamMember.user_id == user.id, TeamMember.can_manage.is_(True)))))


def must_enrol(user: User) -> bool:
    """True when ``user`` has to set up two-factor sign-in before anything else."""
    return not user.has_two_factor and two_factor_required(user)


def issuer_name() -> str:
    """The name authenticator apps show next to the account."""
    return current_app.config.get("TWO_FACTOR_ISSUER") or product_name()


@use_case
def begin_enrolment(user: User) -> str:
    """The secret being set up for ``user``: the one pending, or a new one (committed)."""
    if user.has_two_factor:
        raise Conflict(_("Two-factor sign-in is already on for your account."))
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email,
                                                          issuer_name=issuer_name())


def qr_code_data_uri(text: str) -> str:
    """An SVG QR code of ``text`` as a data: URI (made here, no outside service)."""
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2, light="#fff")


def grouped_secret(secret: str) -> str:
    """The secret in groups of four letters, easier to type into an app."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _digits(code: str) -> str:
    return "".join((code or "").split()).replace("-", "")


def _accept_totp(user: User, code: str) -> bool:
    """True when ``code`` is a current TOTP code of ``user`` not used before; marks it used."""
    code = _digits(code)
    if not user.totp_secret or len(code) != TOTP_DIGITS or not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now_step = totp.timecode(utcnow())
    step = next((now_step + offset for offset in range(-VALID_WINDOW, VALID_WINDOW + 1)
                 if strings_equal(code, totp.generate_otp(now_step + offset))), None)
    if step is None:
        return False
    result = db.session.execute(
        update(User)
        .where(User.id == user.id,
               or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def _recovery_hash(user: User, code: str) -> str:
    normalized = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    return hashlib.sha256(f"{user.id}:{normalized}".encode()).hexdigest()


def _accept_recovery_code(user: User, code: str) -> bool:
    """True when ``code`` is an unused recovery code of ``user``; marks it used."""
    result = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id,
               RecoveryCode.code_hash == _recovery_hash(user, code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the account's recovery codes with new ones; the codes in clear (shown once)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _index in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(user, raw)))
    return codes


def remaining_recovery_codes(user: User) -> int:
    """How many unused recovery codes ``user`` has."""
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


@use_case
def confirm_enrolment(user: User, *, code: str) -> list[str]:
    """Switch two-factor sign-in on with a first code; returns the new recovery codes."""
    if user.has_two_factor:
        raise Conflict(_("Two-factor sign-in is already on for your account."))
    if not user.totp_secret:
        raise Conflict(_("Start the set-up again: the secret was not found."))
    if not _accept_totp(user, code):
        raise InvalidCode(
            _("This code is not correct. Check the time on your phone and enter the newest "
              "code."), field="code")
    user.two_factor_enabled_at = utcnow()
    user.session_nonce = new_session_nonce()
    codes = _new_recovery_codes(user)
    record_action("user.two_factor_enable", user, user=user)
    log.info("user %s switched two-factor sign-in on", user.id)
    return codes


def _refused(user: User, reason: str, message: str, field: str) -> InvalidCode:
    """Audit a refused code (committed) and return the error to raise."""
    with transaction():
        record_action("user.two_factor_failed", user, user=user, reason=reason)
    log.info("user %s: second factor refused (%s)", user.id, reason)
    return InvalidCode(message, field=field)


def log_in_with_code(user: User, *, code: str) -> tuple[str, int | None]:
    """Complete a login with a TOTP or a recovery code; (method, recovery codes left or None).

    A wrong code is audited and raises InvalidCode.
    """
    if _accept_totp(user, code):
        record_login(user, method="totp")
        return "totp", None
    if len(_digits(code)) != TOTP_DIGITS and _accept_recovery_code(user, code):
        with transaction():
            record_action("user.recovery_code_used", user, user=user)
            record_login(user, method="recovery_code")
        return "recovery_code", remaining_recovery_codes(user)
    raise _refused(user, "wrong_code",
                   _("This code is not correct, or was already used. Enter the newest code "
                     "from your app, or an unused recovery code."), "code")


def _check_confirmation(user: User, confirmation: str) -> None:
    """Accept the current password or a current code; otherwise audit and raise."""
    value = (confirmation or "").strip()
    digits = _digits(value)
    if len(digits) == TOTP_DIGITS and digits.isdigit():
        if _accept_totp(user, digits):
            return
    elif value and password_matches(user, confirmation):
        return
    raise _refused(user, "wrong_confirmation",
                   _("Enter your current password or a current code from your app."),
                   "confirmation")


def regenerate_recovery_codes(user: User, *, confirmation: str) -> list[str]:
    """New recovery codes (the old ones stop working); needs the password or a code."""
    if not user.has_two_factor:
        raise Conflict(_("Two-factor sign-in is off for your account."))
    _check_confirmation(user, confirmation)  # a refusal is audited in its own transaction
    with transaction():
        codes = _new_recovery_codes(user)
        record_action("user.recovery_codes_regenerate", user, user=user)
    log.info("user %s made new recovery codes", user.id)
    return codes


def _switch_off(user: User) -> None:
    user.totp_secret = None
    user.two_factor_enabled_at = None
    user.totp_last_step = None
    user.session_nonce = new_session_nonce()
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable_two_factor(user: User, *, confirmation: str) -> User:
    """Switch two-factor sign-in off (needs the password or a code); ends other sessions."""
    if not user.has_two_factor:
        raise Conflict(_("Two-factor sign-in is off for your account."))
    _check_confirmation(user, confirmation)  # a refusal is audited in its own transaction
    with transaction():
        _switch_off(user)
        record_action("user.two_factor_disable", user, user=user)
    log.info("user %s switched two-factor sign-in off", user.id)
    return user


@use_case
def reset_two_factor(user: User, *, actor: User | None) -> User:
    """An administrator (or the command line: no actor) switches ``user``'s two-factor
    sign-in off after a lost phone and lost codes."""
    if actor is not None and actor.id == user.id:
        raise PermissionDenied(
            _("Change your own two-factor sign-in on your account page."))
    if not user.has_two_factor and not user.totp_secret:
        raise Conflict(_("Two-factor sign-in is not set up for this account."))
    _switch_off(user)
    record_action("user.two_factor_reset", user, user=actor)
    log.info("two-factor sign-in of user %s reset by %s", user.id,
             f"user {actor.id}" if actor else "the command line")
    return user
