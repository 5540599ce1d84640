"""Personal-link tokens (stored as SHA-256 only), registration references and badge codes."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import Registration, RegistrationLink, utcnow

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


def new_manage_token(registration: Registration, *,
                     lifetime: timedelta | None = None) -> str:
    """A fresh personal-link token for ``registration``; no commit. Only its hash is stored.

    A link sent by email replaces every earlier one (they stop working). A short-lived link
    (``lifetime``: an invitation page opening its registration) leaves the others alone and
    expires by itself; expired ones are dropped here."""
    now = utcnow()
    if lifetime is None:
        registration.links.clear()
    else:
        registration.links[:] = [link for link in registration.links
                                 if link.expires_at is None or link.expires_at > now]
    token = secrets.token_urlsafe(32)
    registration.links.append(RegistrationLink(
        token_hash=hash_token(token), expires_at=now + lifetime if lifetime else None))
    return token
