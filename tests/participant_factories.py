"""Helpers of the participant-list, export and question tests."""

import hashlib
import secrets
from datetime import timedelta
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
from tests.conftest import AuthActions

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_numbers = count(1)


def _code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def add_registration(event, **overrides) -> Registration:
    """A registration stored directly (bypassing the form's checks), CONFIRMED by default.

    Used for data the public form would refuse (markup in names) and for bulk set-ups;
    ``created_at`` is spaced one minute apart so that the default order is predictable.
    """
    number = next(_numbers)
    values = {
        "event_id": event.id, "reference": f"{_code(4)}-{_code(4)}",
        "status": RegistrationStatus.CONFIRMED, "honorific": Honorific.MR,
        "given_name": f"Given{number}", "family_name": f"Family{number}",
        "email": f"p{number}@example.org", "country": "ID",
        "organisation": "Ministry of Foreign Affairs",
        "delegation_role": DelegationRole.DELEGATE, "consent_at": utcnow(),
        "manage_token_hash": hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
        "badge_code": _code(16), "created_at": utcnow() + timedelta(minutes=number),
    }
    values.update(overrides)
    registration = Registration(**values)
    db.session.add(registration)
    db.session.commit()
    return registration


def join_team(event, user, **rights) -> TeamMember:
    """Put ``user`` on ``event``'s team with ``rights``."""
    member = TeamMember(event_id=event.id, user_id=user.id, **rights)
    db.session.add(member)
    db.session.commit()
    return member


def logged_in(app, user):
    """A new test client logged in as ``user``."""
    client = app.test_client()
    assert AuthActions(client).login(user).status_code == 302
    return client
