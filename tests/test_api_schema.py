"""Schemathesis over the JSON API: no 5xx, and every answer agrees with the OpenAPI document.

The schema is loaded from the app itself (WSGI, no network). Every operation is called with a
valid read+write token; ids in paths are set to seeded objects so that the calls reach real
data. Examples are limited and derandomized so the run is short and repeatable.
"""

import tempfile
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config import TestingConfig
from seminar_app import create_app
from seminar_app.extensions import db
from seminar_app.models import Mailing, MailingKind, RegistrationStatus
from seminar_app.services.accounts import api_tokens
from tests.factories import add_invitee, add_registration, registration_event

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


def _document() -> dict:
    """The OpenAPI document, read from an app built for collection."""
    with tempfile.TemporaryDirectory() as tmp:
        collector = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://",
                               TASK_QUEUE_PATH=f"{tmp}/q.db")
        return collector.test_client().get("/api/v1/openapi.json").get_json()


schema = schemathesis.openapi.from_dict(_document())


@dataclass
class Seeded:
    secret: str
    ids: dict


@pytest.fixture
def seeded(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")
    owner = make_user("organizer")
    event = registration_event(owner, capacity=3)
    registration = add_registration(event, needs_visa_letter=True, passport_number="B123")
    add_registration(event, status=RegistrationStatus.PENDING, email="pending@example.org")
    invitee = add_invitee(event)
    secret = api_tokens.create_token(owner, name="Schemathesis", can_write=True)[1]
    mailing = Mailing(event_id=event.id, kind=MailingKind.INVITATION, send_key="seed-mailing-0001",
                      audience={"audience": "all"}, recipient_count=1)
    db.session.add(mailing)
    db.session.commit()
    return Seeded(secret, {"event_id": event.id, "registration_id": registration.id,
                           "invitee_id": invitee.id, "mailing_id": mailing.id})


@schema.parametrize()
@settings(max_examples=20, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(app, case, seeded):
    for name, value in seeded.ids.items():
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = value
    # the test app, on the test database, through WSGI (no network)
    case.call_and_validate(base_url="http://localhost/api/v1", app=app,
                           headers={"Authorization": f"Bearer {seeded.secret}"}, checks=CHECKS)
