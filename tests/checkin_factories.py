"""Helpers of the check-in tests: registrations made directly through the model."""

import hashlib
import secrets
from itertools import count

from seminar_app.extensions import db
from seminar_app.models import (
    DelegationRole,
    Honorific,
    Registration,
    RegistrationStatus,
    TeamMember,
    utcnow,
)

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_numbers = count(1)


def _random_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def make_registration(event, **overrides) -> Registration:
    """A CONFIRMED registration of ``event`` (committed), with every NOT NULL column filled."""
    number = next(_numbers)
    values = {
        "event_id": event.id,
        "reference": f"{_random_code(4)}-{_random_code(4)}",
        "status": RegistrationStatus.CONFIRMED,
        "honorific": Honorific.MS,
        "given_name": f"Delegate{number}",
        "family_name": "Example",
        "email": f"delegate{number}@example.org",
        "country": "ID",
        "organisation": "Ministry of Foreign Affairs",
        "delegation_role": DelegationRole.DELEGATE,
        "consent_at": utcnow(),
        "manage_token_hash": hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
        "badge_code": _random_code(16),
    }
    values.update(overrides)
    if values["status"] == RegistrationStatus.CONFIRMED:
        values.setdefault("confirmed_at", utcnow())
    registration = Registration(**values)
    db.session.add(registration)
    db.session.commit()
    return registration


def add_team_member(event, user, **rights) -> TeamMember:
    """Put ``user`` on ``event``'s team with ``rights`` (can_manage, can_invite, can_checkin)."""
    member = TeamMember(event_id=event.id, user_id=user.id, **rights)
    db.session.add(member)
    db.session.commit()
    return member
