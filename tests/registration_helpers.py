"""Helpers shared by the registration tests: events, form data, registrations made directly."""

from datetime import timedelta

from seminar_app.extensions import db
from seminar_app.models import ExtraQuestion, QuestionKind, utcnow
from seminar_app.services import registrations as service
from tests.public_factories import create_event

_numbers = iter(range(1, 1_000_000))


def registration_event(owner, **overrides):
    """A published public event, open for registration, with ``overrides``."""
    return create_event(owner, **overrides)


def form_fields(**overrides) -> dict:
    """What a browser sends for a valid registration (no CSRF token)."""
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


def service_data(**overrides) -> dict:
    """``data`` for services.registrations.register."""
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


def add_question(event, label, kind=QuestionKind.TEXT, *, required=False, choices=(),
                 position=0):
    """An extra question on ``event``."""
    question = ExtraQuestion(event_id=event.id, label=label, kind=kind, required=required,
                             choices=list(choices), position=position)
    db.session.add(question)
    db.session.commit()
    return question


def visa_fields(event) -> dict:
    """Valid passport fields for ``event`` (expiry a year after its end)."""
    return {"needs_visa_letter": "y", "passport_number": "B1234567", "nationality": "MY",
            "birth_date": "1975-04-02", "birth_place": "Kuala Lumpur",
            "passport_expiry": (event.end_at + timedelta(days=365)).date().isoformat()}


def past(days=1):
    """A moment ``days`` ago."""
    return utcnow() - timedelta(days=days)
