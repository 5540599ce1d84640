"""Delegations of an event: list, read, and register a whole delegation (a head and its
members) at once through services.registration.delegations.register_delegation.

Each person is given with the same input definition as a registration (``REGISTRATION_INPUT``);
a member may leave out country, organisation and role (the head's country and organisation,
role "delegate") and answers no extra questions (members answer theirs through their own
link). Nothing is registered unless every person is right: refusals name their place in the
body (``head.email``, ``members[2].given_name``), 422 for invalid values and 409 for an email
already registered.
"""

from dataclasses import replace

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Delegation, RegistrationSource
from ..services.access import Permission
from ..services.errors import ServiceError
from ..services.registration import delegations as delegation_service
from . import core
from .core import ApiError, Field, bp, iso
from .registrations import REGISTRATION_INPUT, _read_answers

#: what a member may leave out (taken from the head, or "delegate")
MEMBER_OPTIONAL = ("country", "organisation", "delegation_role")
#: a member's body: the registration's definition, limited to what a member row gives
MEMBER_INPUT = [replace(spec, required=False) if spec.name in MEMBER_OPTIONAL else spec
                for spec in REGISTRATION_INPUT
                if spec.name in delegation_service.MEMBER_FIELDS]
DELEGATION_INPUT = [
    Field("name", "string", max_length=delegation_service.NAME_MAX, pattern="[^<>]*",
          description="E.g. \"Delegation of Thailand\" (empty: made from the head's country). "
                      "No < or >."),
]
MAX_MEMBERS = delegation_service.MAX_MEMBERS


def delegation_json(delegation: Delegation) -> dict:
    members = delegation_service.delegation_members(delegation)
    return {
        "id": delegation.id,
        "event_id": delegation.event_id,
        "name": delegation.name,
        "country": delegation.country,
        "organisation": delegation.organisation,
        "head_registration_id": delegation.head_registration_id,
        "created_at": iso(delegation.created_at),
        "members": [{
            "registration_id": member.id,
            "reference": member.reference,
            "status": member.status.value,
            "delegation_role": member.delegation_role.value,
            "given_name": member.given_name,
            "family_name": member.family_name,
            "is_head": member.id == delegation.head_registration_id,
        } for member in members],
    }


def _delegations_query(event):
    return select(Delegation).where(Delegation.event_id == event.id) \
        .options(selectinload(Delegation.members)).order_by(Delegation.id)


@bp.get("/events/<int:event_id>/delegations")
def list_delegations(event_id: int):
    """The event's delegations, oldest first, each with its members (head first)."""
    event, _permissions = core.load_event(event_id, Permission.VIEW)
    items, meta, link = core.paginate(_delegations_query(event))
    return core.page_response([delegation_json(d) for d in items], meta, link)


def _delegation(event, delegation_id: int) -> Delegation:
    delegation = db.session.scalar(
        _delegations_query(event).where(Delegation.id == delegation_id))
    if delegation is None:
        raise ApiError(404, _("No delegation of this event has this number."))
    return delegation


@bp.get("/events/<int:event_id>/delegations/<int:delegation_id>")
def get_delegation(event_id: int, delegation_id: int):
    event, _permissions = core.load_event(event_id, Permission.VIEW)
    return core.data_response(delegation_json(_delegation(event, delegation_id)))


def _prefixed(prefix: str, fields: dict) -> dict:
    return {f"{prefix}.{name}": message for name, message in fields.items()}


def _read_person(data, specs, prefix: str, errors: dict) -> dict:
    """One person's values; refusals go to ``errors`` under ``prefix``."""
    if not isinstance(data, dict):
        errors[prefix] = _("Give an object with the person's details.")
        return {}
    try:
        return core.read_fields(data, specs)
    except ApiError as error:
        errors.update(_prefixed(prefix, error.fields))
        return {}


def _read_body(event, body: dict) -> tuple[dict, list[dict], dict, str]:
    """(head, members, head's answers, name), every refusal of the body at once (422)."""
    errors: dict[str, str] = {}
    head = _read_person(body.get("head"), REGISTRATION_INPUT, "head", errors) \
        if "head" in body else {}
    if "head" not in body:
        errors["head"] = _("This field is required.")
    members_data = body.get("members")
    members = []
    if not isinstance(members_data, list) or not members_data:
        errors["members"] = _("Add at least one member to the delegation.")
    elif len(members_data) > MAX_MEMBERS:
        errors["members"] = _("A delegation can have at most %(number)d members.",
                              number=MAX_MEMBERS)
    else:
        members = [_read_person(data, MEMBER_INPUT, f"members[{row}]", errors)
                   for row, data in enumerate(members_data)]
    try:
        name = core.read_fields(body, DELEGATION_INPUT).get("name") or ""
    except ApiError as error:
        errors.update(error.fields)
        name = ""
    answers = {}
    if isinstance(body.get("head"), dict):
        try:
            answers = _read_answers(event, body["head"], partial=False)
        except ApiError as error:
            errors.update(_prefixed("head", error.fields))
    if errors:
        raise ApiError(422, next(iter(errors.values())), fields=errors)
    return head, members, answers, name


@bp.post("/events/<int:event_id>/delegations")
def create_delegation(event_id: int):
    """Register a head and members as one delegation (staff: no moderation); all or nothing."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    head, members, answers, name = _read_body(event, core.json_body())
    try:
        delegation, _tokens = delegation_service.register_delegation(
            event, head, members, source=RegistrationSource.STAFF, actor=core.acting_user(),
            answers=answers, name=name)
    except delegation_service.MemberError as error:
        place = f"members[{error.row}]"
        key = f"{place}.{error.field}" if error.field else place
        raise ApiError(409 if error.conflict else 422, error.message,
                       fields={key: error.message}) from None
    except ServiceError as error:
        if not error.field:
            raise
        key = error.field if error.field == "name" else f"head.{error.field}"
        raise ApiError(core.service_error_status(error), error.message,
                       fields={key: error.message}) from None
    response = core.data_response(delegation_json(_delegation(event, delegation.id)), 201)
    response.headers["Location"] = url_for("api.get_delegation", event_id=event.id,
                                           delegation_id=delegation.id)
    return response
