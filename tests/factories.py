"""Test data for registrations and event teams, shared by every test module.

Two ways to make a registration:

- ``add_registration`` stores one directly through the model (bypassing the form's and the
  service's checks): for data the public form would refuse, for other statuses and for bulk
  set-ups;
- ``make_registration`` registers through ``services.registration.registrations.register``, like
the public
  form does, and returns ``(registration, token)``.

Events come from tests.public_factories.create_event.
"""

import secrets
from datetime import timedelta
from itertools import count

from seminar_app.extensions import db
from seminar_app.models import (
    DelegationRole,
    ExtraQuestion,
    Honorific,
    QuestionKind,
    Registration,
    RegistrationStatus,
    TeamMember,
    utcnow,
)
from seminar_app.services.registration import registrations as service
from tests.conftest import AuthActions
from tests.public_factories import create_event

#: the letters of references and badge codes (no 0/O, 1/I)
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_numbers = count(1)


def _code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


# --- events and teams ------------------------------------------------------------------------

def registration_event(owner, **overrides):
    """A published public event, open for registration, with ``overrides``."""
    return create_event(owner, **overrides)


def add_team_member(event, user, **rights) -> TeamMember:
    """Put ``user`` on ``event``'s team with ``rights`` (can_manage, can_invite, can_checkin)."""
    member = TeamMember(event_id=event.id, user_id=user.id, **rights)
    db.session.add(member)
    db.session.commit()
    return member


def logged_in(app, user):
    """A new test client logged in as ``user``."""
    client = app.test_client()
    assert AuthActions(client).login(user).status_code == 302
    return client


def add_question(event, label, kind=QuestionKind.TEXT, *, required=False, choices=(),
                 position=0):
    """An extra question on ``event``."""
    question = ExtraQuestion(event_id=event.id, label=label, kind=kind, required=required,
                             choices=list(choices), position=position)
    db.session.add(question)
    event.updated_at = utcnow()  # as services.registration.questions does: the form changed
    db.session.commit()
    return question


# --- registrations stored directly -----------------------------------------------------------

def add_registration(event, **overrides) -> Registration:
    """A registration of ``event`` stored directly (committed), CONFIRMED by default.

    Every NOT NULL column is filled; a confirmed one gets ``confirmed_at``; ``created_at`` is
    spaced one minute apart so that the default order of the participant list is predictable.
    """
    number = next(_numbers)
    values = {
        "event_id": event.id, "reference": f"{_code(4)}-{_code(4)}",
        "status": RegistrationStatus.CONFIRMED, "honorific": Honorific.MS,
        "given_name": f"Delegate{number}", "family_name": f"Family{number}",
        "email": f"p{number}@example.org", "country": "ID",
        "organisation": "Ministry of Foreign Affairs",
        "delegation_role": DelegationRole.DELEGATE, "consent_at": utcnow(),
        "badge_code": _code(16), "created_at": utcnow() + timedelta(minutes=number),
    }
    values.update(overrides)
    if values["status"] == RegistrationStatus.CONFIRMED:
        values.setdefault("confirmed_at", utcnow())
    registration = Registration(**values)
    db.session.add(registration)
    db.session.commit()
    return registration


# --- registrations through the form and the service ------------------------------------------

def form_fields(**overrides) -> dict:
    """What a browser sends for a valid registration (no CSRF token); None drops a field."""
    number = next(_numbers)
    fields = {
        "honorific": "he", "honorific_other": "", "given_name": "Retno",
        "family_name": "Marsudi", "email": f"delegate{number}@example.org", "country": "ID",
        "organisation": "Ministry of Foreign Affairs", "position": "Director",
        "delegation_role": "head", "phone": "+62 21 3441508", "language": "en",
        "dietary": "", "accessibility": "", "consent": "y",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def visa_fields(event) -> dict:
    """Valid passport fields for ``event`` (expiry a year after its end)."""
    return {"needs_visa_letter": "y", "passport_number": "B1234567", "nationality": "MY",
            "birth_date": "1975-04-02", "birth_place": "Kuala Lumpur",
            "passport_expiry": (event.end_at + timedelta(days=365)).date().isoformat()}


def service_data(**overrides) -> dict:
    """``data`` for services.registration.registrations.register."""
    number = next(_numbers)
    data = {
        "honorific": "mr", "honorific_other": "", "given_name": "Budi",
        "family_name": "Santoso", "email": f"person{number}@example.org", "country": "ID",
        "organisation": "Embassy", "position": "", "delegation_role": "delegate",
        "phone": "", "language": "en", "dietary": "", "accessibility": "",
        "needs_visa_letter": False,
    }
    data.update(overrides)
    return data


def make_registration(event, **overrides):
    """Register directly through the service; returns (registration, token)."""
    return service.register(event, data=service_data(**overrides))


def past(days=1):
    """A moment ``days`` ago."""
    return utcnow() - timedelta(days=days)


# --- invitations -----------------------------------------------------------------------------

def add_invitee(event, **overrides):
    """An invitee of ``event`` added through ``services.invitations.invitations.add_invitee``."""
    from seminar_app.services.invitations import invitations

    number = next(_numbers)
    data = {"honorific": "amb", "name": f"Invitee Number{number}",
            "email": f"invitee{number}@example.org", "country": "TH",
            "organisation": "Embassy of Thailand", "position": "Ambassador",
            "language": "en", "group_name": "ASEAN"}
    data.update(overrides)
    return invitations.add_invitee(event, data)
