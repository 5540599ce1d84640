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
(marked slow) runs 100 examples per operation, and ``test_api_stateful`` (marked slow) follows
the document's links on an empty database (create an event, then its registrations,
delegations and invitees, then read and act on them by the ids the answers gave).
"""

import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config import TestingConfig
from seminar_app import create_app
from seminar_app.extensions import db
from seminar_app.models import Mailing, MailingKind, RegistrationStatus
from seminar_app.services.accounts import api_tokens
from seminar_app.services.registration.delegations import register_delegation
from tests.factories import add_invitee, add_registration, registration_event, service_data

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
#: the document's examples and random examples (12 per operation by default, 100 in the slow
#: run), every check on each. Schemathesis's coverage phase is off: it builds its boundary
#: cases when the tests are collected, in every xdist worker, and with 70 operations that took
#: 90 s of each worker's time before a single test ran
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.phases.coverage.enabled = False


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
            # a person of a delegation: "members[2].email" is ruled by "members"
            if fields and all(re.sub(r"\[[0-9]+\]$", "", name.split(".")[0]) in documented
                              for name in fields):
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
    delegation, _tokens = register_delegation(
        event, service_data(email="head@example.org"),
        [{"honorific": "mr", "given_name": "Member", "email": "member@example.org"}])
    secret = api_tokens.create_token(owner, name="Schemathesis", can_write=True)[1]
    mailing = Mailing(event_id=event.id, kind=MailingKind.INVITATION, send_key="seed-mailing-0001",
                      audience={"audience": "all"}, recipient_count=1)
    db.session.add(mailing)
    db.session.commit()
    return Seeded(secret, {"event_id": event.id, "registration_id": registration.id,
                           "invitee_id": invitee.id, "mailing_id": mailing.id,
                           "delegation_id": delegation.id})


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


# --- the linked (stateful) run ---------------------------------------------------------------

#: operations that answer 404 on an empty database for lack of data, reached through the
#: document's links: with the id of the event just created ...
NEED_AN_EVENT = {"getEvent", "createRegistration", "createDelegation", "createInvitee",
                 "getAgenda", "getDashboard"}
#: ... and with the id of a registration, delegation or invitee made in it
NEED_AN_OBJECT = {"getRegistration", "decideRegistration", "getDelegation", "getInvitee",
                  "newInviteeLink"}
STATEFUL = settings(FAST, max_examples=12, stateful_step_count=6)
#: the linked operations the run follows (an event, then what belongs to it)
LINKED = ["createEvent", "getEvent", "createRegistration", "getRegistration",
          "decideRegistration", "createDelegation", "getDelegation", "createInvitee",
          "getInvitee", "newInviteeLink", "getAgenda", "getDashboard"]
stateful_schema = schemathesis.openapi.from_dict(DOCUMENT).include(operation_id=LINKED)
# valid data only: the unlinked runs above send the invalid requests
stateful_schema.config.generation.update(modes=[GenerationMode.POSITIVE])
# only the document's own links (no links Schemathesis would infer)
stateful_schema.config.phases.stateful.inference.algorithms = []


#: the state machine's rule that starts a scenario: POST /events
ROOT_RULE = "RANDOM__POST_events"


def _distinct_emails(body: dict) -> None:
    """Each person of the generated delegation with an address of their own."""
    people = [body.get("head"), *(body.get("members") or [])]
    for number, person in enumerate(people):
        if isinstance(person, dict) and isinstance(person.get("email"), str) \
                and len(person["email"]) < 250:
            person["email"] = f"p{number}.{person['email']}"[:254]


def _plausible_event(body: dict) -> None:
    """The generated event, with the values whose rules compare two of them (or a value with
    today) set so that it can be created: dates to come, a venue, no windows."""
    start = (datetime.now(UTC) + timedelta(days=40)).replace(microsecond=0)
    body.update(start_at=start.isoformat(), end_at=(start + timedelta(hours=8)).isoformat(),
                venue_name="Gedung Pancasila", registration_opens_at=None,
                registration_closes_at=None, nomination_deadline=None)
    body.pop("attendance_mode", None)


@pytest.mark.slow
def test_api_stateful(app, make_user, monkeypatch):
    """Follow the document's links on an empty database: create an event, then its
    registrations, delegations and invitees, and read them by the ids the answers gave."""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")
    owner = make_user("organizer")
    secret = api_tokens.create_token(owner, name="Stateful", can_write=True)[1]
    seen: dict[str, set[int]] = {}
    stateful_schema.app = app  # called through WSGI, checks' extra requests too

    machine = stateful_schema.as_state_machine()
    # every scenario starts by creating an event (not with made-up ids of other objects)
    others = {name: None for name in machine.root_rules if name != ROOT_RULE}

    class Workflow(machine):
        root_rules = frozenset({ROOT_RULE})

        def before_call(self, case):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {secret}"}
            operation = case.operation.definition.raw["operationId"]
            if operation == "createEvent":
                _plausible_event(case.body)
            elif operation == "createDelegation" and isinstance(case.body, dict):
                _distinct_emails(case.body)

        def get_call_kwargs(self, case):
            return {"base_url": "http://localhost/api/v1"}

        def after_call(self, response, case):
            super().after_call(response, case)
            operation = case.operation.definition.raw["operationId"]
            seen.setdefault(operation, set()).add(response.status_code)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response, excluded_checks=[positive_data_acceptance],
                additional_checks=[documented_positive_data_acceptance],
                transport_kwargs=kwargs or None, recorder=getattr(self, "recorder", None))

    for name in others:
        setattr(Workflow, name, None)  # no longer a rule
    Workflow.run(settings=STATEFUL)
    reached = {operation for operation, statuses in seen.items()
               if any(200 <= status < 300 for status in statuses)}
    assert "createEvent" in reached, seen
    assert len(reached & NEED_AN_EVENT) >= 3, seen
    assert reached & NEED_AN_OBJECT, seen
