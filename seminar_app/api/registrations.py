"""Registrations of an event: list with filters, read, create (by staff), decide, check in."""

import phonenumbers
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..i18n import is_country_code
from ..models import (
    DelegationRole,
    Honorific,
    OrganisationType,
    Registration,
    RegistrationSource,
)
from ..models import RegistrationStatus as Status
from ..services import checkin as checkin_service
from ..services import registrations as registration_service
from ..services.access import Permission
from ..services.participant_list import ParticipantFilters, registrations_query
from . import core
from .core import ApiError, Field, bp
from .serializers import registration_json

REGISTRATION_INPUT = [
    Field("honorific", "enum", choices=tuple(h.value for h in Honorific), required=True),
    Field("honorific_other", "string", max_length=40),
    Field("given_name", "string", max_length=100, required=True),
    Field("family_name", "string", max_length=100, required=True),
    Field("email", "string", max_length=254, required=True),
    Field("country", "string", max_length=2, required=True,
          description="ISO 3166-1 alpha-2 of the country the delegate represents."),
    Field("organisation", "string", max_length=200, required=True),
    Field("organisation_type", "enum", choices=tuple(t.value for t in OrganisationType)),
    Field("position", "string", max_length=200),
    Field("delegation_role", "enum", choices=tuple(r.value for r in DelegationRole),
          required=True),
    Field("phone", "string", max_length=40, description="Any format; stored as E.164."),
    Field("language", "enum", choices=("en", "id"), description="Language of the emails."),
    Field("dietary", "string", max_length=500),
    Field("accessibility", "string", max_length=500),
    Field("needs_visa_letter", "boolean"),
    Field("passport_number", "string", max_length=30, pattern=r"[A-Za-z0-9 ]*"),
    Field("nationality", "string", max_length=2),
    Field("birth_date", "date", nullable=True),
    Field("birth_place", "string", max_length=120),
    Field("passport_expiry", "date", nullable=True),
]
STATUS_INPUT = [
    Field("status", "enum", choices=("approve", "reject", "cancel"), required=True),
    Field("reason", "text", max_length=2000,
          description="Told to the delegate (reject and cancel)."),
]


def _with_passport(permissions) -> bool:
    return Permission.MANAGE in permissions


def _registration(event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise ApiError(404, _("No registration of this event has this number."))
    return registration


@bp.get("/events/<int:event_id>/registrations")
def list_registrations(event_id: int):
    """Filters: status, country, role, q (name, email, organisation, reference), checked_in."""
    event, permissions = core.load_event(event_id, Permission.VIEW)
    status = core.query_arg("status", "enum", choices=[s.value for s in Status])
    role = core.query_arg("role", "enum", choices=[r.value for r in DelegationRole])
    country = (core.query_arg("country", "string", max_length=2) or "").upper()
    if country and not is_country_code(country):
        message = _("Choose a country from the list.")
        raise ApiError(400, message, fields={"country": message})
    q = core.query_arg("q", "string", max_length=200) or ""
    checked_in = core.query_arg("checked_in", "boolean")
    filters = ParticipantFilters(search=q.strip(), status=Status(status) if status else None,
                                 country=country, role=DelegationRole(role) if role else None,
                                 sort="created", descending=False)
    query = registrations_query(event, filters)
    if checked_in is not None:
        query = query.where(Registration.checked_in_at.is_not(None) if checked_in
                            else Registration.checked_in_at.is_(None))
    items, meta, link = core.paginate(query)
    with_passport = _with_passport(permissions)
    return core.page_response(
        [registration_json(r, with_passport=with_passport) for r in items], meta, link)


@bp.get("/events/<int:event_id>/registrations/<int:registration_id>")
def get_registration(event_id: int, registration_id: int):
    event, permissions = core.load_event(event_id, Permission.VIEW)
    registration = _registration(event, registration_id)
    return core.data_response(
        registration_json(registration, with_passport=_with_passport(permissions)))


def _phone(values: dict) -> None:
    phone = (values.get("phone") or "").strip()
    if not phone:
        values["phone"] = ""
        return
    region = (values.get("country") or "").upper()
    try:
        number = phonenumbers.parse(phone, region if is_country_code(region) else None)
        valid = phonenumbers.is_valid_number(number)
    except phonenumbers.NumberParseException:
        valid = False
    if not valid:
        message = _("Enter a valid phone number with its country code, e.g. +62 21 3441508.")
        raise ApiError(422, message, fields={"phone": message})
    values["phone"] = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@bp.post("/events/<int:event_id>/registrations")
def create_registration(event_id: int):
    """Register a delegate as staff (source STAFF): capacity and quotas apply."""
    event, permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    values = core.read_fields(core.json_body(), REGISTRATION_INPUT)
    _phone(values)
    registration, _token = registration_service.register(
        event, data=values, source=RegistrationSource.STAFF, actor=core.acting_user())
    response = core.data_response(
        registration_json(registration, with_passport=_with_passport(permissions)), 201)
    response.headers["Location"] = url_for(
        "api.get_registration", event_id=event.id, registration_id=registration.id)
    return response


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/status")
def decide_registration(event_id: int, registration_id: int):
    """Approve, reject or cancel a registration, as the participant list does."""
    event, permissions = core.load_event(event_id, Permission.MANAGE, write=True)
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
        registration_json(registration, with_passport=_with_passport(permissions)))


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/check-in")
def check_in(event_id: int, registration_id: int):
    """Mark a confirmed delegate's arrival; checking in twice keeps the first time."""
    event, permissions = core.load_event(event_id, Permission.CHECKIN, write=True)
    _registration(event, registration_id)
    result = checkin_service.check_in(event, registration_id=registration_id,
                                      user=core.acting_user())
    return core.data_response(
        registration_json(result.registration, with_passport=_with_passport(permissions)),
        already_checked_in=result.already_checked_in)
