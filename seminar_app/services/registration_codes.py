"""Personal-link tokens (stored as SHA-256 only), registration references and badge codes."""

import hashlib
import secrets

from sqlalchemy import select

from ..extensions import db
from ..models import Registration, RegistrationLink

#: upper-case letters and digits without the look-alikes 0/O and 1/I
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
BADGE_CODE_LENGTH = 16


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored for a personal-link token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _random_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def new_codes() -> tuple[str, str]:
    """A fresh, unused reference such as "K7M2-Q9PX" and a fresh 16-character badge code (the
    payload of the badge's QR code), checked together in one query."""
    while True:
        code = _random_code(8)
        reference, badge_code = f"{code[:4]}-{code[4:]}", _random_code(BADGE_CODE_LENGTH)
        taken = db.session.scalar(select(Registration.id).where(
            (Registration.reference == reference) | (Registration.badge_code == badge_code))
            .limit(1))
        if taken is None:
            return reference, badge_code


def new_manage_token(registration: Registration, *, revoke_older: bool = False) -> str:
    """A fresh personal-link token for ``registration``; earlier links keep working unless
    ``revoke_older``. Only the token's hash is stored; no commit."""
    if revoke_older:
        registration.links.clear()
    token = secrets.token_urlsafe(32)
    registration.links.append(RegistrationLink(token_hash=hash_token(token)))
    return token
