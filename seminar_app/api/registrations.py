"""Registrations of an event: list with filters, read, create (by staff), change, decide,
check in. Answers to the event's extra questions go in ``answers`` ({question id: value})."""

import re
from dataclasses import replace

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..forms import strip_control_characters
from ..models import (
    DelegationRole,
    QuestionKind,
    Registration,
    RegistrationSource,
)
from ..models import RegistrationStatus as Status
from ..services.access import Permission
from ..services.policies import can_see_passport, record_passport_read
from ..services.registration import checkin as checkin_service
from ..services.registration import registration_input
from ..services.registration import registrations as registration_service
from ..services.registration.participant_list import ParticipantFilters, registrations_query
from ..services.registration.questions import event_questions
from . import core
from .core import ApiError, Field, bp
from .serializers import registration_json

#: how the API spells each kind of the definition (services.registration.registration_input)
_API_KINDS = {"text": "string", "email": "string", "country": "enum", "phone": "string",
              "enum": "enum", "date": "date", "boolean": "boolean"}
#: JSON Schema formats of the kinds and rules JSON Schema has no keyword for (explained in
#: the field's description; the services decide)
_FORMATS = {"email": "email", "phone": "phone"}
_NAME_RULE = "Letters and marks of any script, spaces, apostrophes, hyphens and dots only."
_RULE_TEXTS = {
    "email": "An address our mail server can send to: ASCII, no quoted local part, a domain "
             "name with a dot; stored lower-case.",
    "phone": "A valid phone number: in international format (+62 21 3441508), or national "
             "format read for `country`.",
}


def _api_field(spec: registration_input.InputField) -> Field:
    """The API's Field (and so the OpenAPI schema) of one field of the definition: its kind,
    length, choices (countries: the ISO 3166-1 alpha-2 codes), whether it is required (a
    required text needs a character that is not white space) and the content rules the
    definition checks (no angle brackets; names; passport number)."""
    pattern, fmt, texts = spec.pattern, _FORMATS.get(spec.kind), []
    choices = spec.values
    if spec.kind == registration_input.COUNTRY:
        choices = core.COUNTRY_CODES if spec.required is True else ("", *core.COUNTRY_CODES)
    elif spec.kind == registration_input.ENUM and spec.blank is not None \
            and spec.required is not True:
        choices = ("", *spec.values)
    #: the characters the value may hold (a class without its brackets), when limited
    allowed = None
    if spec.rule is registration_input.check_no_markup:
        allowed, pattern = "^<>", "[^<>]*"
        texts.append("No < or >.")
    elif spec.rule is registration_input.check_name:
        fmt = "person-name"
        texts.append(_NAME_RULE)
    text_kind = spec.kind in (registration_input.TEXT, registration_input.PHONE,
                              registration_input.EMAIL)
    if spec.required is True and text_kind:
        # not blank once collapsed: one character that is not white space
        any_char = f"[{allowed}]" if allowed else r"[\s\S]"
        pattern = f"{any_char}*{core.NOT_BLANK[:-1]}{(allowed or '^')[1:]}]{any_char}*"
    if spec.kind in _RULE_TEXTS:
        texts.append(_RULE_TEXTS[spec.kind])
    if spec.api_description:
        texts.append(spec.api_description)
    return Field(spec.name, _API_KINDS[spec.kind], max_length=spec.max_length,
                 choices=choices, required=spec.required is True,
                 nullable=spec.kind == "date", description=" ".join(texts),
                 pattern=pattern, format=fmt)


#: a new registration's body, from the one definition of a registration's input; the service
#: cleans the values (whitespace, passport number, phone as E.164) as for the web forms
REGISTRATION_INPUT = [_api_field(spec) for spec in registration_input.INPUT_FIELDS]
#: the fields staff may change (the email stays as registered, as in the web form)
REGISTRATION_PATCH = [replace(spec, required=False) for spec in REGISTRATION_INPUT
                      if spec.name != "email"]
#: longest answer to an extra question (as in the web form)
ANSWER_MAX = 1000
STATUS_INPUT = [
    Field("status", "enum", choices=("approve", "reject", "cancel"), required=True),
    Field("reason", "text", max_length=2000,
          description="Told to the delegate (reject and cancel)."),
]


def _with_passport(event, registrations) -> bool:
    """Whether the token's user may see passport data (services.policies); a read of any is
    audited."""
    user = core.current_token().created_by
    allowed = can_see_passport(user, event)
    shown = [r for r in registrations if r.needs_visa_letter] if allowed else []
    if shown:
        record_passport_read(user, event, "api", count=len(shown),
                             registration=shown[0] if len(shown) == 1 else None)
    return allowed


def _registration(event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise ApiError(404, _("No registration of this event has this number."))
    return registration


@bp.get("/events/<int:event_id>/registrations")
def list_registrations(event_id: int):
    """Filters: status, country, role, q (name, email, organisation, reference), checked_in."""
    event, _permissions = core.load_event(event_id, Permission.VIEW)
    status = core.query_arg("status", "enum", choices=[s.value for s in Status])
    role = core.query_arg("role", "enum", choices=[r.value for r in DelegationRole])
    country = core.query_arg("country", "country") or ""
    q = core.query_arg("q", "string", max_length=200) or ""
    checked_in = core.query_arg("checked_in", "boolean")
    filters = ParticipantFilters(search=q.strip(), status=Status(status) if status else None,
                                 country=country, role=DelegationRole(role) if role else None,
                                 sort="created", descending=False)
    query = registrations_query(event, filters)
    if checked_in is not None:
        query = query.where(Registration.checked_in_at.is_not(None) if checked_in
                            else Registration.checked_in_at.is_(None))
    items, meta, link = core.paginate(query.options(selectinload(Registration.answers)))
    with_passport = _with_passport(event, items)
    return core.page_response(
        [registration_json(r, with_passport=with_passport) for r in items], meta, link)


@bp.get("/events/<int:event_id>/registrations/<int:registration_id>")
def get_registration(event_id: int, registration_id: int):
    event, _permissions = core.load_event(event_id, Permission.VIEW)
    registration = _registration(event, registration_id)
    return core.data_response(
        registration_json(registration, with_passport=_with_passport(event, [registration])))


def _answer_value(question, value) -> str:
    """One answer checked against its question; raise ValueError with the message."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError(_("Give a text value."))
    if core._SURROGATES.search(value):
        raise ValueError(_("This text contains characters that cannot be stored."))
    value = strip_control_characters(value).strip()
    if not value:
        if question.required:
            raise ValueError(_("This field is required."))
        return ""
    if question.kind == QuestionKind.CHOICE and value not in (question.choices or []):
        raise ValueError(_("Please choose one of the options."))
    if question.kind == QuestionKind.YES_NO and value not in ("yes", "no"):
        raise ValueError(_("Answer \"yes\" or \"no\"."))
    if len(value) > ANSWER_MAX:
        raise ValueError(_("Use at most %(max)d characters.", max=ANSWER_MAX))
    return value


def _read_answers(event, data: dict, *, partial: bool) -> dict[int, str] | None:
    """The ``answers`` of the body checked against the event's questions (None: not given).

    Unknown question ids, options that are not the question's and empty answers to required
    questions are refused (422, one field ``answers.<id>`` each). Without ``partial`` (a new
    registration), every required question needs an answer.
    """
    if "answers" not in data:
        raw = None if partial else {}
    else:
        raw = data["answers"]
        if not isinstance(raw, dict):
            message = _("Give an object of question numbers and answers.")
            raise ApiError(422, message, fields={"answers": message})
    if raw is None:
        return None
    questions = {question.id: question for question in event_questions(event)}
    answers, errors = {}, {}
    for key, value in raw.items():
        question_id = int(key) if re.fullmatch(r"[0-9]{1,9}", key) else None
        question = questions.get(question_id)
        if question is None:
            errors[f"answers.{key[:20]}"] = _("This event has no question with this number.")
            continue
        try:
            answers[question_id] = _answer_value(question, value)
        except ValueError as error:
            errors[f"answers.{question_id}"] = str(error)
    if not partial:
        for question in questions.values():
            if question.required and question.id not in answers \
                    and f"answers.{question.id}" not in errors:
                errors[f"answers.{question.id}"] = _("This field is required.")
    if errors:
        raise ApiError(422, next(iter(errors.values())), fields=errors)
    return answers


@bp.post("/events/<int:event_id>/registrations")
def create_registration(event_id: int):
    """Register a delegate as staff (source STAFF): capacity and quotas apply."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    body = core.json_body()
    # optional texts left out are empty: the service decides it (OPTIONAL_TEXT_DEFAULTS)
    values = core.read_fields(body, REGISTRATION_INPUT)
    answers = _read_answers(event, body, partial=False)
    registration, _token = registration_service.register(
        event, data=values, answers=answers, source=RegistrationSource.STAFF,
        actor=core.acting_user())
    response = core.data_response(
        registration_json(registration, with_passport=_with_passport(event, [registration])), 201)
    response.headers["Location"] = url_for(
        "api.get_registration", event_id=event.id, registration_id=registration.id)
    return response


def _current_values(registration: Registration) -> dict:
    """The registration's fields as the service takes them (for a PATCH to complete)."""
    data = {key: getattr(registration, key) for key in registration_service.REGISTRATION_FIELDS
            if key != "email"}
    data["honorific"] = registration.honorific.value
    data["delegation_role"] = registration.delegation_role.value
    return data


@bp.patch("/events/<int:event_id>/registrations/<int:registration_id>")
def update_registration(event_id: int, registration_id: int):
    """Change a registration's details and answers (fields left out keep their value); the
    email stays as registered, and the status changes only through /status."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    registration = _registration(event, registration_id)
    body = core.json_body()
    email, errors = body.get("email"), {}
    if "email" in body and not (isinstance(email, str)
                                and email.strip().lower() == registration.email):
        errors["email"] = _("The email address of a registration cannot be changed.")
    try:
        values = core.read_fields(body, REGISTRATION_PATCH, partial=True)
    except ApiError as error:
        errors.update(error.fields)
    if errors:  # every refused field at once, the email's among them
        raise ApiError(422, next(iter(errors.values())), fields=errors)
    answers = _read_answers(event, body, partial=True)
    data = _current_values(registration)
    data.update(values)
    registration_service.update_registration(registration, data=data, answers=answers,
                                             actor=core.acting_user())
    registration = db.session.scalar(
        select(Registration).where(Registration.id == registration.id)
        .execution_options(populate_existing=True))
    return core.data_response(
        registration_json(registration, with_passport=_with_passport(event, [registration])))


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/status")
def decide_registration(event_id: int, registration_id: int):
    """Approve, reject or cancel a registration, as the participant list does."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    registration = _registration(event, registration_id)
    values = core.read_fields(core.json_body(), STATUS_INPUT)
    actor, reason = core.acting_user(), values.get("reason") or ""
    if values["status"] == "approve":
        registration_service.approve_registration(registration, actor=actor)
    elif values["status"] == "reject":
        registration_service.reject_registration(registration, actor=actor, reason=reason)
    else:
        registration_service.cancel_registration(registration, actor=actor, reason=reason)
    registration = db.session.scalar(
        select(Registration).where(Registration.id == registration.id)
        .execution_options(populate_existing=True))
    return core.data_response(
        registration_json(registration, with_passport=_with_passport(event, [registration])))


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/check-in")
def check_in(event_id: int, registration_id: int):
    """Mark a confirmed delegate's arrival; checking in twice keeps the first time."""
    event, _permissions = core.load_event(event_id, Permission.CHECKIN, write=True)
    _registration(event, registration_id)
    result = checkin_service.check_in(event, registration_id=registration_id,
                                      user=core.acting_user())
    return core.data_response(
        registration_json(result.registration,
                          with_passport=_with_passport(event, [result.registration])),
        already_checked_in=result.already_checked_in)
