"""Schemathesis over the JSON API, with all of its checks: no 5xx, every answer agrees with the
OpenAPI document, every request the document allows is accepted (positive data acceptance) and
every request it forbids is refused (negative data rejection).

The schema is read from the app itself and called through WSGI (no network) on the test
database. Every operation is called with a valid read+write token, except when Schemathesis
sends a missing or malformed Authorization on purpose; ids in paths are set to seeded objects
(unless Schemathesis made the path invalid on purpose) so that the calls reach real data.

The document names, for each body, the rules JSON Schema cannot state (they compare two values,
or a value with stored data or today) in ``x-rules-beyond-schema``; a 422 on schema-valid data is
accepted only when every refused field is one of those. Formats the services check beyond JSON
Schema (``person-name``, ``phone``, the deliverable ``email``) get Hypothesis strategies here
that produce values the services accept, as the document describes them.

The default run is short and repeatable (few examples, derandomized); ``test_api_schema_slow``
(marked slow) runs 100 examples per operation, and ``test_api_stateful`` follows the document's
links (create an event, then its registrations, invitees and mailings).
"""

import re
import tempfile
from dataclasses import dataclass

import phonenumbers
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config import TestingConfig
from seminar_app import create_app
from seminar_app.extensions import db
from seminar_app.models import Mailing, MailingKind, RegistrationStatus
from seminar_app.services.accounts import api_tokens
from tests.factories import add_invitee, add_registration, registration_event

RULES_KEY = "x-rules-beyond-schema"
FAST = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
SLOW = settings(FAST, max_examples=100)


def _document() -> dict:
    """The OpenAPI document, read from an app built for collection."""
    with tempfile.TemporaryDirectory() as tmp:
        collector = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://",
                               TASK_QUEUE_PATH=f"{tmp}/q.db")
        return collector.test_client().get("/api/v1/openapi.json").get_json()


# --- the formats the services check beyond JSON Schema ---------------------------------------

_NAME_LETTERS = st.characters(categories=("Lu", "Ll", "Lo", "Lm"))
_NAME_CHARS = st.one_of(_NAME_LETTERS, st.characters(categories=("Mn",)),
                        st.sampled_from(" '’-."))
#: a person's name: letters and marks of any script, spaces, apostrophes, hyphens, dots
person_names = st.builds(lambda a, b: (a + b)[:100], _NAME_LETTERS,
                         st.text(_NAME_CHARS, max_size=40))
#: a valid phone number of any region, in international format
phones = st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)).map(
    lambda region: phonenumbers.example_number(region)).filter(lambda n: n is not None).map(
    lambda n: phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
#: an address email_validator accepts without SMTPUTF8
emails = st.builds("{}@{}.{}".format, st.from_regex(r"[a-z0-9]([a-z0-9._-]{0,20}[a-z0-9])?",
                                                     fullmatch=True).filter(
                                                         lambda s: ".." not in s),
                   st.from_regex(r"[a-z]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True),
                   st.sampled_from(["org", "com", "id", "net", "go.id", "int"]))
schemathesis.openapi.format("person-name", person_names)
schemathesis.openapi.format("phone", phones)
schemathesis.openapi.format("email", emails)

DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def _body_rules(case) -> set[str]:
    """The fields of the case's body whose rules the document states in words."""
    body = case.operation.definition.raw.get("requestBody") or {}
    ref = body.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
    if not ref:
        return set()
    return set(DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[1]].get(RULES_KEY, {}))


def documented_positive_data_acceptance(ctx, response, case):
    """Schemathesis' positive data acceptance, except that a 422 is right when every refused
    field is one whose rule the document states in words (``x-rules-beyond-schema``)."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 422:
            fields = set(response.json()["error"]["fields"])
            documented = _body_rules(case)
            if fields and all(name.split(".")[0] in documented for name in fields):
                return None
        raise


# --- the data and the calls ------------------------------------------------------------------

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


_BEARER = re.compile(r"Bearer \S+")


def _negative_at(case, location: str) -> bool:
    meta = case.meta
    return meta is not None and any(
        getattr(key, "value", key) == location and component.mode.is_negative
        for key, component in meta.components.items())


def prepare(case, seeded: Seeded) -> None:
    """Seeded ids in the path and the real token, unless the case made them invalid on
    purpose (then they are sent as generated)."""
    if case.path_parameters and not _negative_at(case, "path"):
        for name in case.path_parameters:
            if name in seeded.ids:
                case.path_parameters[name] = seeded.ids[name]
    headers = dict(case.headers or {})
    given = headers.get("Authorization")
    if not _negative_at(case, "header") or (isinstance(given, str) and _BEARER.fullmatch(given)):
        headers["Authorization"] = f"Bearer {seeded.secret}"
    case.headers = headers


def call(app, case):
    case.operation.schema.app = app
    case.call_and_validate(base_url="http://localhost/api/v1", app=app,
                           excluded_checks=[positive_data_acceptance],
                           additional_checks=[documented_positive_data_acceptance])


@schema.parametrize()
@FAST
def test_api_conforms_to_its_schema(app, case, seeded):
    prepare(case, seeded)
    call(app, case)


@pytest.mark.slow
@schema.parametrize()
@SLOW
def test_api_schema_slow(app, case, seeded):
    prepare(case, seeded)
    call(app, case)
