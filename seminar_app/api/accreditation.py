"""Nominations and accreditation in the API (issue 16), for the event's organizers (the manage
right, as the accreditation pages): nominations with their members, the letter (note verbale)
and the members' photos, staff entering a mission's nomination on its behalf (received on
paper), the accreditation decisions; the photos of registrations; substituting a delegate.

Every operation calls the services the web pages call (services.registration.nominations,
accreditation, photos, substitution): the same rules, the same audit entries (the token's user
is the acting account). Files travel as raw bodies (``application/pdf``, ``image/jpeg``,
``image/png``, ``image/webp``), recognised by their content by the services; a body of another
type answers 415, one above the limit 413 before it is read, one the services refuse 422.

The OpenAPI paths and schemas of these operations are written here (``openapi_paths`` and
``openapi_schemas``) and merged into the document by ``openapi.build_document``.
"""

from dataclasses import replace

from flask import Response, current_app, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..database import MAX_ID
from ..extensions import db
from ..models import (
    Honorific,
    Nomination,
    NominationMember,
    NominationMemberStatus,
    NominationStatus,
    Registration,
)
from ..services.access import Permission
from ..services.errors import ServiceError
from ..services.invitations import invitations as invitation_service
from ..services.policies import can_see_photo
from ..services.registration import accreditation as accreditation_service
from ..services.registration import nominations as nomination_service
from ..services.registration import photos
from ..services.registration import substitution as substitution_service
from ..services.registration.nomination_letters import PDF_CONTENT_TYPE, letter_max_bytes
from . import core
from .core import ApiError, Field, bp, iso
from .registrations import REGISTRATION_INPUT, _with_passport
from .serializers import registration_json

# --- input -----------------------------------------------------------------------------------

_BY_NAME = {spec.name: spec for spec in REGISTRATION_INPUT}
#: a nominated member's body: the registration input definition's fields a member gives
#: (the role is ``role``, as on the nomination page); the mission gives country and organisation
MEMBER_INPUT = [
    _BY_NAME["honorific"], _BY_NAME["honorific_other"], _BY_NAME["given_name"],
    _BY_NAME["family_name"], _BY_NAME["email"], _BY_NAME["position"],
    replace(_BY_NAME["delegation_role"], name="role"), _BY_NAME["language"],
    Field("needs_visa", "boolean",
          description="The member will need a visa invitation letter: once accredited they "
                      "give their passport data through their own personal link."),
]
MEMBER_PATCH = [replace(spec, required=False) for spec in MEMBER_INPUT]
NOMINATION_INPUT = [
    Field("invitee_id", "integer", minimum=1, maximum=MAX_ID, required=True,
          description="The organisation invitee (kind organisation: the mission) whose "
                      "nomination staff enter on its behalf, e.g. received by note verbale."),
]
#: text that is not blank once white space and control characters are taken away
_NOT_BLANK_TEXT = f"[\\s\\S]*{core.NOT_BLANK}[\\s\\S]*"
REASON_INPUT = [
    Field("reason", "text", max_length=accreditation_service.REASON_MAX, required=True,
          pattern=_NOT_BLANK_TEXT, description="Told to the focal point (emailed)."),
]
#: the most member ids one accreditation names
MAX_MEMBER_IDS = 500
#: the fields of a substitution's body: a registration's input but the country (the place
#: belongs to that country's delegation)
SUBSTITUTE_INPUT = [spec for spec in REGISTRATION_INPUT
                    if spec.name in substitution_service.PERSON_FIELDS]
#: the raw bodies accepted for a photo (recognised by their content by services.photos)
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
#: the raw bodies accepted for a letter (recognised by its content: a PDF)
LETTER_TYPES = (PDF_CONTENT_TYPE, "application/octet-stream")
NOMINATION_STATUSES = tuple(status.value for status in NominationStatus)
MEMBER_STATUSES = tuple(status.value for status in NominationMemberStatus)


def _raw_body(types: tuple[str, ...], limit: int) -> bytes:
    """The request's raw body of one of ``types``: 415 for another type, 413 above ``limit``
    bytes (refused before it is read when its length is declared)."""
    if request.mimetype not in types:
        raise ApiError(415, _("Send the file as the request body with Content-Type %(types)s.",
                              types=" or ".join(types)))
    too_large = ApiError(413, _("The file is too large: at most %(size)s MB.",
                                size=f"{limit / (1024 * 1024):g}"))
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    # the file may be larger than MAX_CONTENT_LENGTH (a letter: 10 MB); the limit is ours
    configured = current_app.config.get("MAX_CONTENT_LENGTH")
    if configured is not None:
        request.max_content_length = max(configured, limit + 1)
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise too_large
    return data


def _optional_body() -> dict:
    """The JSON body, or {} when none was sent."""
    return core.json_body() if request.content_length or request.get_data(cache=True) else {}


def _member_ids(body: dict) -> list[int] | None:
    """``member_ids`` of the body (None: not given); 422 when it is not a list of ids."""
    if "member_ids" not in body:
        return None
    value = body["member_ids"]
    message = _("Give a list of the members' numbers.")
    if not isinstance(value, list) or not value or len(value) > MAX_MEMBER_IDS:
        raise ApiError(422, message, fields={"member_ids": message})
    ids = []
    for item in value:
        if isinstance(item, float) and item.is_integer():
            item = int(item)
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= MAX_ID:
            raise ApiError(422, message, fields={"member_ids": message})
        ids.append(item)
    if len(set(ids)) != len(ids):
        repeated = _("Name each member once.")
        raise ApiError(422, repeated, fields={"member_ids": repeated})
    return ids


# --- loading ---------------------------------------------------------------------------------

def _nomination(event, nomination_id: int) -> Nomination:
    """Nomination ``nomination_id`` of ``event`` (drafts too: staff may complete one they
    entered on a mission's behalf); 404 otherwise."""
    nomination = db.session.get(Nomination, nomination_id)
    if nomination is None or nomination.event_id != event.id:
        raise ApiError(404, _("This nomination does not exist."))
    return nomination


def _member(nomination: Nomination, member_id: int) -> NominationMember:
    return accreditation_service.get_member(nomination, member_id)


def _registration(event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise ApiError(404, _("No registration of this event has this number."))
    return registration


# --- answers ---------------------------------------------------------------------------------

def member_json(member: NominationMember) -> dict:
    registration = member.registration
    return {
        "id": member.id,
        "status": member.status,
        "honorific": member.honorific,
        "honorific_other": member.honorific_other or "",
        "given_name": member.given_name,
        "family_name": member.family_name,
        "email": member.email,
        "position": member.position or "",
        "role": member.role,
        "language": member.language,
        "needs_visa": bool(member.needs_visa),
        "has_photo": member.photo_id is not None,
        "decision_reason": member.decision_reason or "",
        "decided_at": iso(member.decided_at),
        "registration_id": registration.id if registration is not None else None,
        "registration_reference": registration.reference if registration is not None else None,
        "registration_status": registration.status.value if registration is not None else None,
    }


def nomination_json(nomination: Nomination) -> dict:
    """A nomination as staff read it (never the letter's bytes: GET .../letter)."""
    invitee = nomination.invitee
    letter = nomination.letter
    return {
        "id": nomination.id,
        "event_id": nomination.event_id,
        "invitee_id": nomination.invitee_id,
        "status": nomination.status,
        "country": nomination.country,
        "organisation": nomination.organisation,
        "organisation_type": nomination.organisation_type,
        "focal_point": {"name": invitee.name if invitee else "",
                        "email": invitee.email if invitee else ""},
        "forwarded": bool(nomination.forwarded),
        "has_letter": letter is not None,
        "letter_reference": nomination.letter_reference or "",
        "letter_size": letter.size if letter is not None else None,
        "return_reason": nomination.return_reason or "",
        "returned_at": iso(nomination.returned_at),
        "submitted_at": iso(nomination.submitted_at),
        "delegation_id": nomination.delegation_id,
        "created_at": iso(nomination.created_at),
        "updated_at": iso(nomination.updated_at),
        "members": [member_json(member)
                    for member in accreditation_service.members_in_order(nomination)],
    }


def _fresh(nomination: Nomination) -> Nomination:
    db.session.expire_all()
    return db.session.get(Nomination, nomination.id)


def _answer(nomination: Nomination, status: int = 200):
    return core.data_response(nomination_json(_fresh(nomination)), status)


def _member_answer(member: NominationMember, status: int = 200):
    db.session.expire_all()
    return core.data_response(member_json(db.session.get(NominationMember, member.id)), status)


def _jpeg(upload) -> Response:
    response = Response(upload.data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _thumbnail() -> bool:
    return core.query_arg("size", "enum", choices=("thumbnail",)) == "thumbnail"


# --- nominations -----------------------------------------------------------------------------

@bp.get("/events/<int:event_id>/nominations")
def list_nominations(event_id: int):
    """The accreditation queue (waiting first, oldest submission first; then returned,
    decided, withdrawn); ``status=draft``: nominations not submitted yet."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE)
    status = core.query_arg("status", "enum", choices=NOMINATION_STATUSES)
    page, per_page = core._page_args()
    if status == NominationStatus.DRAFT.value:
        nominations = list(db.session.scalars(
            select(Nomination).where(Nomination.event_id == event.id,
                                     Nomination.status == status)
            .order_by(Nomination.created_at, Nomination.id)))
    else:
        nominations = [row.nomination
                       for row in accreditation_service.queue(event, status=status).rows]
    total = len(nominations)
    items = nominations[(page - 1) * per_page:page * per_page]
    meta = {"page": page, "per_page": per_page, "total": total}
    return core.page_response([nomination_json(n) for n in items], meta,
                              core._link_header(page, per_page, total))


@bp.post("/events/<int:event_id>/nominations")
def create_nomination(event_id: int):
    """Staff enter a mission's nomination on its behalf (a draft: add members and the letter,
    then submit); 409 when the invitee has one already."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    values = core.read_fields(core.json_body(), NOMINATION_INPUT)
    try:
        invitee = invitation_service.get_invitee(event, values["invitee_id"])
    except ServiceError as error:
        raise ApiError(422, error.message, fields={"invitee_id": error.message}) from None
    taken = ApiError(409, _("This mission has a nomination already."),
                     fields={"invitee_id": _("This mission has a nomination already.")})
    if nomination_service.get_nomination(invitee) is not None:
        raise taken
    try:
        nomination = nomination_service.get_or_start_nomination(invitee)
    except IntegrityError:  # started at the same moment by another request (one per invitee)
        db.session.rollback()
        raise taken from None
    response = _answer(nomination, 201)
    response.headers["Location"] = url_for("api.get_nomination", event_id=event.id,
                                           nomination_id=nomination.id)
    return response


@bp.get("/events/<int:event_id>/nominations/<int:nomination_id>")
def get_nomination(event_id: int, nomination_id: int):
    event, _permissions = core.load_event(event_id, Permission.MANAGE)
    return core.data_response(nomination_json(_nomination(event, nomination_id)))


@bp.post("/events/<int:event_id>/nominations/<int:nomination_id>/members")
def add_nomination_member(event_id: int, nomination_id: int):
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    nomination = _nomination(event, nomination_id)
    values = core.read_fields(core.json_body(), MEMBER_INPUT)
    member = nomination_service.add_member(nomination, values)
    return _member_answer(member, 201)


@bp.patch("/events/<int:event_id>/nominations/<int:nomination_id>/members/<int:member_id>")
def update_nomination_member(event_id: int, nomination_id: int, member_id: int):
    """Change a proposed member (fields left out keep their value)."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    nomination = _nomination(event, nomination_id)
    member = _member(nomination, member_id)
    values = core.read_fields(core.json_body(), MEMBER_PATCH, partial=True)
    data = {name: getattr(member, name) for name in nomination_service.MEMBER_FIELDS}
    data.update(values)
    member = nomination_service.update_member(nomination, member.id, data)
    return _member_answer(member)


@bp.delete("/events/<int:event_id>/nominations/<int:nomination_id>/members/<int:member_id>")
def withdraw_nomination_member(event_id: int, nomination_id: int, member_id: int):
    """Withdraw a proposed member (their photo is deleted)."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    nomination = _nomination(event, nomination_id)
    member = _member(nomination, member_id)
    member = nomination_service.withdraw_member(nomination, member.id)
    return _member_answer(member)


@bp.put("/events/<int:event_id>/nominations/<int:nomination_id>/letter")
def put_nomination_letter(event_id: int, nomination_id: int):
    """The nomination letter as a raw body, application/pdf (or application/octet-stream:
    recognised by its content either way), replacing an older one."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    nomination = _nomination(event, nomination_id)
    reference = core.query_arg("reference", "string", max_length=100) or ""
    data = _raw_body(LETTER_TYPES, letter_max_bytes())
    nomination_service.set_letter(nomination, data, "nomination-letter.pdf",
                                  reference=reference)
    return _answer(nomination)


@bp.get("/events/<int:event_id>/nominations/<int:nomination_id>/letter")
def get_nomination_letter(event_id: int, nomination_id: int):
    """The letter (application/pdf); each read is audited."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE)
    nomination = _nomination(event, nomination_id)
    letter = accreditation_service.read_letter(nomination, actor=core.acting_user())
    response = Response(letter.data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="nomination-{nomination.id}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.put("/events/<int:event_id>/nominations/<int:nomination_id>/members/<int:member_id>/photo")
def put_member_photo(event_id: int, nomination_id: int, member_id: int):
    """A proposed member's photo as a raw JPEG, PNG or WebP body, stored cropped (centred)."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    nomination = _nomination(event, nomination_id)
    member = _member(nomination, member_id)
    data = _raw_body(PHOTO_TYPES, photos.photo_max_bytes())
    member = nomination_service.set_member_photo(nomination, member.id, data)
    return _member_answer(member)


@bp.get("/events/<int:event_id>/nominations/<int:nomination_id>/members/<int:member_id>/photo")
def get_member_photo(event_id: int, nomination_id: int, member_id: int):
    """The member's stored photo (JPEG; ``size=thumbnail``: the check-in desk's)."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE)
    member = _member(_nomination(event, nomination_id), member_id)
    upload = member.photo_thumbnail if _thumbnail() else member.photo
    if upload is None:
        raise ApiError(404, _("There is no photo."))
    return _jpeg(upload)


@bp.post("/events/<int:event_id>/nominations/<int:nomination_id>/submit")
def submit_nomination(event_id: int, nomination_id: int):
    """Send the nomination to the accreditation queue (it needs a letter and a member)."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    nomination = nomination_service.submit(_nomination(event, nomination_id))
    return _answer(nomination)


# --- decisions -------------------------------------------------------------------------------

@bp.post("/events/<int:event_id>/nominations/<int:nomination_id>/accredit")
def accredit_nomination(event_id: int, nomination_id: int):
    """Accredit the members named in ``member_ids`` (all proposed ones when left out)."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    nomination = _nomination(event, nomination_id)
    ids = _member_ids(_optional_body())
    if ids is None:
        ids = [member.id for member in nomination_service.proposed_members(nomination)]
    try:
        accreditation_service.accredit(nomination, ids, actor=core.acting_user())
    except accreditation_service.AccreditationError as error:
        field = "member_ids" if error.field == "members" else error.field
        raise ApiError(422, error.message,
                       fields={field: error.message} if field else {}) from None
    return _answer(nomination)


@bp.post("/events/<int:event_id>/nominations/<int:nomination_id>/members/<int:member_id>/"
         "not-accredited")
def not_accredit_member(event_id: int, nomination_id: int, member_id: int):
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    member = _member(_nomination(event, nomination_id), member_id)
    values = core.read_fields(core.json_body(), REASON_INPUT)
    member = accreditation_service.not_accredit(member, values["reason"],
                                                actor=core.acting_user())
    return _member_answer(member)


@bp.post("/events/<int:event_id>/nominations/<int:nomination_id>/return")
def return_nomination(event_id: int, nomination_id: int):
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    nomination = _nomination(event, nomination_id)
    values = core.read_fields(core.json_body(), REASON_INPUT)
    nomination = accreditation_service.return_nomination(nomination, values["reason"],
                                                         actor=core.acting_user())
    return _answer(nomination)


@bp.post("/events/<int:event_id>/nominations/<int:nomination_id>/confirm-focal-point")
def confirm_focal_point(event_id: int, nomination_id: int):
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    nomination = accreditation_service.confirm_focal_point(
        _nomination(event, nomination_id), actor=core.acting_user())
    return _answer(nomination)


# --- registrations: photo, substitution ------------------------------------------------------

@bp.put("/events/<int:event_id>/registrations/<int:registration_id>/photo")
def put_registration_photo(event_id: int, registration_id: int):
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    registration = _registration(event, registration_id)
    data = _raw_body(PHOTO_TYPES, photos.photo_max_bytes())
    photos.set_photo(registration, data, actor=core.acting_user())
    return core.data_response({"registration_id": registration_id, "has_photo": True})


@bp.get("/events/<int:event_id>/registrations/<int:registration_id>/photo")
def get_registration_photo(event_id: int, registration_id: int):
    event, _permissions = core.load_event(event_id, Permission.VIEW)
    registration = _registration(event, registration_id)
    if not can_see_photo(core.acting_user(), registration):
        raise ApiError(404, _("There is no photo."))
    upload = photos.photo_upload(registration, thumbnail=_thumbnail())
    if upload is None:
        raise ApiError(404, _("There is no photo."))
    return _jpeg(upload)


@bp.delete("/events/<int:event_id>/registrations/<int:registration_id>/photo")
def delete_registration_photo(event_id: int, registration_id: int):
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    photos.remove_photo(_registration(event, registration_id), actor=core.acting_user())
    return Response(status=204)


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/substitute")
def substitute_registration(event_id: int, registration_id: int):
    """Hand the registration and its place to another person: a new reference and badge; the
    new personal link is emailed to them, never answered here."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    registration = _registration(event, registration_id)
    values = core.read_fields(core.json_body(), SUBSTITUTE_INPUT)
    registration, _token = substitution_service.substitute(
        registration, values, actor=core.acting_user(),
        source=substitution_service.SubstitutionSource.STAFF)
    db.session.expire_all()
    registration = db.session.get(Registration, registration_id)
    return core.data_response(
        registration_json(registration, with_passport=_with_passport(event, [registration])))



# --- substitution requests (from delegates' own links) ---------------------------------------

REFUSAL_INPUT = [
    Field("reason", "text", max_length=2000, description="Told to the delegate (emailed)."),
]
#: what a request shows of the new person (never passport data)
_REQUEST_PERSON = ("honorific", "honorific_other", "given_name", "family_name", "email",
                   "organisation", "position", "delegation_role", "language")


def substitution_request_json(request_row) -> dict:
    data = request_row.data or {}
    registration = request_row.registration
    return {
        "id": request_row.id,
        "registration_id": request_row.registration_id,
        "registration_reference": registration.reference,
        "current_given_name": registration.given_name,
        "current_family_name": registration.family_name,
        "status": request_row.status,
        "requested_at": iso(request_row.requested_at),
        "decided_at": iso(request_row.decided_at),
        "reason": request_row.reason or "",
        "new_person": {key: str(data.get(key) or "") for key in _REQUEST_PERSON}
        if request_row.data is not None else None,
    }


def _substitution_request(event, request_id: int):
    return substitution_service.get_request(event, request_id)


@bp.get("/events/<int:event_id>/substitution-requests")
def list_substitution_requests(event_id: int):
    """Delegates' substitution requests waiting for a decision, oldest first."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE)
    page, per_page = core._page_args()
    pending = substitution_service.pending_requests(event)
    items = pending[(page - 1) * per_page:page * per_page]
    meta = {"page": page, "per_page": per_page, "total": len(pending)}
    return core.page_response([substitution_request_json(r) for r in items], meta,
                              core._link_header(page, per_page, len(pending)))


@bp.post("/events/<int:event_id>/substitution-requests/<int:request_id>/approve")
def approve_substitution_request(event_id: int, request_id: int):
    """Apply the request (checked again now): the registration's answer."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    request_row = _substitution_request(event, request_id)
    registration, _token = substitution_service.approve_request(request_row,
                                                                actor=core.acting_user())
    registration_id = registration.id
    db.session.expire_all()
    registration = db.session.get(Registration, registration_id)
    return core.data_response(
        registration_json(registration, with_passport=_with_passport(event, [registration])))


@bp.post("/events/<int:event_id>/substitution-requests/<int:request_id>/refuse")
def refuse_substitution_request(event_id: int, request_id: int):
    """Refuse the request; the delegate is emailed, with the reason (body optional)."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    request_row = _substitution_request(event, request_id)
    values = core.read_fields(_optional_body(), REFUSAL_INPUT)
    request_row = substitution_service.refuse_request(
        request_row, actor=core.acting_user(), reason=values.get("reason") or "")
    db.session.expire_all()
    return core.data_response(substitution_request_json(
        db.session.get(type(request_row), request_row.id)))

# --- the OpenAPI document --------------------------------------------------------------------
# (merged by openapi.build_document; written with small helpers of our own so that this module
# does not import openapi, which imports it)

_RULES_KEY = "x-rules-beyond-schema"
_EVENT_ID = {"name": "event_id", "in": "path", "required": True, "description": "The event's id",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
_READ_ERRORS = (400, 401, 403, 404, 429)
_WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 415, 422, 429)
_FILE_ERRORS = (400, 401, 403, 404, 409, 413, 415, 422, 429)
_BINARY = {"type": "string", "format": "binary"}


def _s(kind="string", **extra) -> dict:
    return {"type": kind, **extra}


def _null(kind="string", **extra) -> dict:
    return {"type": [kind, "null"], **extra}


def _object(properties: dict, *, optional=()) -> dict:
    return {"type": "object", "properties": properties,
            "required": [key for key in properties if key not in optional]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes) -> dict:
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in codes}


def _id(name: str, description: str) -> dict:
    return {**_EVENT_ID, "name": name, "description": description}


def _data(schema_name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {
        "schema": _object({"data": _ref(schema_name)})}}}


def _json_body(schema_name: str, *, required: bool = True) -> dict:
    return {"required": required,
            "content": {"application/json": {"schema": _ref(schema_name)}}}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


_PAGE_PARAMS = [
    _query("page", _s("integer", minimum=1, maximum=core.MAX_PAGE), "Page number, from 1."),
    _query("per_page", _s("integer", minimum=1, maximum=core.MAX_PER_PAGE),
           f"Items per page (default 25, at most {core.MAX_PER_PAGE})."),
]
_SIZE = _query("size", _s(enum=["thumbnail"]),
               "thumbnail: the check-in desk's small JPEG (105x135) instead of the photo.")
_TIME_OR_NULL = _null(format="date-time")


def _jpeg_answer(description: str) -> dict:
    return {"description": description,
            "content": {"image/jpeg": {"schema": _BINARY}}}


def _photo_body() -> dict:
    return {"required": True, "description": (
        "The photo's bytes: JPEG, PNG or WebP (recognised by its content) of at most "
        "PHOTO_MAX_BYTES (5 MB by default: else 413). Stored cropped to 35:45 around its "
        "centre and re-encoded as JPEG (350x450 and a thumbnail). Anything else (a web page, "
        "an image with bytes after its end or with markup inside, a decompression bomb): 422; "
        "another Content-Type: 415."),
        "content": {media: {"schema": _BINARY} for media in PHOTO_TYPES}}


def _person_rules(schema: dict, *, visa: bool) -> dict:
    """The rules one value makes for another: ``honorific_other`` with honorific "other"
    (and ``passport_expiry`` with a visa letter)."""
    other = schema["properties"]["honorific_other"]
    schema["allOf"] = [
        {"if": {"properties": {"honorific": {"const": Honorific.OTHER.value}},
                "required": ["honorific"]},
         "then": {"required": ["honorific_other"],
                  "properties": {"honorific_other": {
                      **other, "pattern": f"^(?:[^<>]*{core.NOT_BLANK[:-1]}<>][^<>]*)$"}}}},
    ]
    other["description"] = ("Required (not blank) when honorific is \"other\"; dropped "
                            "otherwise. No < or >.")
    if visa:
        schema["allOf"].append(
            {"if": {"properties": {"needs_visa_letter": {"const": True}},
                    "required": ["needs_visa_letter"]},
             "then": {"required": ["passport_expiry"],
                      "properties": {"passport_expiry": {"type": "string"}}}})
    return schema


def _with_rules(schema: dict, rules: dict[str, str]) -> dict:
    schema[_RULES_KEY] = rules
    for name, text in rules.items():
        prop = schema["properties"].get(name)
        if prop is not None:
            prop["description"] = f"{prop.get('description', '')} {text}".strip()
    schema["description"] = "Rules beyond the schema: " + " ".join(
        f"`{name}`: {text}" for name, text in rules.items())
    return schema


_NAME_RULE = ("Letters and marks of any script, spaces, apostrophes, hyphens and dots "
              "(format person-name: JSON Schema has no portable letter class).")
_EMAIL_RULE = ("An address our mail server can send to (format email, checked by "
               "email_validator: ASCII, no quoted local part, a public domain name).")
_MEMBER_RULES = {
    "given_name": _NAME_RULE,
    "family_name": "As given_name.",
    "email": f"{_EMAIL_RULE} Not given for another member of this nomination, and without an "
             "active registration for this event.",
}
_SUBSTITUTE_RULES = {
    "given_name": _NAME_RULE,
    "family_name": "As given_name.",
    "email": f"{_EMAIL_RULE} Not the current delegate's address; an address already "
             "registered for this event: 409.",
    "phone": "A valid number (format phone, checked by libphonenumber) in international "
             "format, or in national format for the registration's country.",
    "passport_expiry": "With a visa letter: after the event's last day (in its time zone).",
    "birth_date": "In the past, at most 120 years ago.",
    "needs_visa_letter": "Not for who attends online.",
    "attendance": "One the event offers (a hybrid event: in_person or online).",
}


def _body_schema(fields) -> dict:
    return core.body_schema(list(fields))


def _patch_schema(fields) -> dict:
    schema = _body_schema(fields)
    schema.pop("required", None)
    return schema


def _accredit_input() -> dict:
    return _with_rules({"type": "object", "properties": {"member_ids": {
        "type": "array", "minItems": 1, "maxItems": MAX_MEMBER_IDS, "uniqueItems": True,
        "items": _s("integer", minimum=1, maximum=MAX_ID),
        "description": "The members to accredit (left out: every member waiting for a "
                       "decision)."}}}, {
        "member_ids": "Members of this nomination waiting for a decision (a member decided "
                      "already: 409)."})


def openapi_schemas() -> dict:
    """The components/schemas of these operations."""
    member = _object({
        "id": _s("integer"), "status": _s(enum=list(MEMBER_STATUSES)),
        "honorific": _s(), "honorific_other": _s(), "given_name": _s(), "family_name": _s(),
        "email": _s(), "position": _s(), "role": _s(), "language": _s(),
        "needs_visa": _s("boolean"), "has_photo": _s("boolean"), "decision_reason": _s(),
        "decided_at": _TIME_OR_NULL,
        "registration_id": _null("integer", description="Once accredited."),
        "registration_reference": _null(), "registration_status": _null(),
    })
    nomination = _object({
        "id": _s("integer"), "event_id": _s("integer"), "invitee_id": _s("integer"),
        "status": _s(enum=list(NOMINATION_STATUSES)), "country": _s(),
        "organisation": _s(), "organisation_type": _s(),
        "focal_point": _object({"name": _s(), "email": _s()}),
        "forwarded": _s("boolean", description="Made through a forwarded link: confirm the "
                                               "focal point before accrediting."),
        "has_letter": _s("boolean"), "letter_reference": _s(),
        "letter_size": _null("integer"), "return_reason": _s(), "returned_at": _TIME_OR_NULL,
        "submitted_at": _TIME_OR_NULL, "delegation_id": _null("integer"), "created_at":
        _s(format="date-time"), "updated_at": _s(format="date-time"),
        "members": {"type": "array", "items": _ref("NominationMember"),
                    "description": "Waiting for a decision first, then by id."},
    })
    return {
        "Nomination": nomination,
        "NominationMember": member,
        "NominationInput": _with_rules(_body_schema(NOMINATION_INPUT), {
            "invitee_id": "An invitee of this event (else 422) of kind organisation with no "
                          "nomination yet (else 409)."}),
        "NominationMemberInput": _with_rules(
            _person_rules(_body_schema(MEMBER_INPUT), visa=False), _MEMBER_RULES),
        "NominationMemberPatch": _with_rules(
            _patch_schema(MEMBER_PATCH),
            {**_MEMBER_RULES, "honorific_other":
             "Needed when the honorific (given or stored) is \"other\"."}),
        "AccreditInput": _accredit_input(),
        "DecisionReason": _body_schema(REASON_INPUT),
        "SubstituteInput": _with_rules(
            _person_rules(_body_schema(SUBSTITUTE_INPUT), visa=True), _SUBSTITUTE_RULES),
        "RegistrationPhoto": _object({"registration_id": _s("integer"),
                                      "has_photo": _s("boolean")}),
        "SubstitutionRequest": _object({
            "id": _s("integer"), "registration_id": _s("integer"),
            "registration_reference": _s(), "current_given_name": _s(),
            "current_family_name": _s(),
            "status": _s(enum=["pending", "approved", "refused"]),
            "requested_at": _s(format="date-time"), "decided_at": _TIME_OR_NULL,
            "reason": _s(),
            "new_person": {"type": ["object", "null"], "description": "The new person's "
                           "details as asked (no passport data); null once decided.",
                           "properties": {key: _s() for key in _REQUEST_PERSON}},
        }),
        "SubstitutionRefusal": _body_schema(REFUSAL_INPUT),
    }


def openapi_paths() -> dict:
    """The paths of these operations."""
    nomination_id = _id("nomination_id", "The nomination's id")
    member_id = _id("member_id", "The member's id (within the nomination)")
    registration_id = _id("registration_id", "The registration's id")
    request_id = _id("request_id", "The substitution request's id")
    tags = ["accreditation"]
    state = ("Nominations are open while the event is published and before its nomination "
             "deadline (else 409); only members waiting for a decision change.")
    return {
        "/events/{event_id}/nominations": {
            "parameters": [_EVENT_ID],
            "get": {
                "operationId": "listNominations", "tags": tags,
                "summary": "The accreditation queue: waiting for a decision first (oldest "
                           "submission first), then returned, decided and withdrawn. "
                           "status=draft: nominations not submitted yet. Organizers only.",
                "parameters": [_query("status", _s(enum=list(NOMINATION_STATUSES)),
                                      "Only nominations in this status"), *_PAGE_PARAMS],
                "responses": {"200": {
                    "description": "One page",
                    "headers": {"Link": {"description": "first, last, next, prev pages",
                                         "schema": _s()}},
                    "content": {"application/json": {"schema": _object({
                        "data": {"type": "array", "items": _ref("Nomination")},
                        "meta": _ref("PageMeta")})}}},
                    **_errors(*_READ_ERRORS)},
            },
            "post": {
                "operationId": "createNomination", "tags": tags,
                "summary": "Enter a mission's nomination on its behalf (e.g. received by note "
                           "verbale): a draft to complete with members and the letter, then "
                           "submit. The invitee has one already: 409.",
                "requestBody": _json_body("NominationInput"),
                "responses": {"201": _data("Nomination", "Started (draft)"),
                              **_errors(*_WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/nominations/{nomination_id}": {
            "parameters": [_EVENT_ID, nomination_id],
            "get": {
                "operationId": "getNomination", "tags": tags,
                "summary": "One nomination with its members (status, registration once "
                           "accredited, has_photo) and has_letter; never the letter's bytes",
                "responses": {"200": _data("Nomination", "The nomination"),
                              **_errors(*_READ_ERRORS)},
            },
        },
        "/events/{event_id}/nominations/{nomination_id}/members": {
            "parameters": [_EVENT_ID, nomination_id],
            "post": {
                "operationId": "addNominationMember", "tags": tags,
                "summary": f"Nominate a member. {state} Added to a submitted or decided "
                           "nomination, the member goes straight to the queue (the country's "
                           "quota is checked: 409).",
                "requestBody": _json_body("NominationMemberInput"),
                "responses": {"201": _data("NominationMember", "Added"),
                              **_errors(*_WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/nominations/{nomination_id}/members/{member_id}": {
            "parameters": [_EVENT_ID, nomination_id, member_id],
            "patch": {
                "operationId": "updateNominationMember", "tags": tags,
                "summary": f"Change a member waiting for a decision (fields left out keep "
                           f"their value). {state}",
                "requestBody": _json_body("NominationMemberPatch"),
                "responses": {"200": _data("NominationMember", "Changed"),
                              **_errors(*_WRITE_ERRORS)},
            },
            "delete": {
                "operationId": "withdrawNominationMember", "tags": tags,
                "summary": f"Withdraw a member waiting for a decision (their photo is "
                           f"deleted). {state}",
                "responses": {"200": _data("NominationMember", "Withdrawn"),
                              **_errors(400, 401, 403, 404, 409, 429)},
            },
        },
        "/events/{event_id}/nominations/{nomination_id}/letter": {
            "parameters": [_EVENT_ID, nomination_id],
            "put": {
                "operationId": "putNominationLetter", "tags": tags,
                "summary": f"Upload the nomination letter (note verbale), replacing an older "
                           f"one. {state}",
                "parameters": [_query("reference", _s(maxLength=100),
                                      "The note verbale's own reference, e.g. No. 123/2026 "
                                      "(left out: none)")],
                "requestBody": {"required": True, "description": (
                    "The PDF's bytes, at most NOMINATION_LETTER_MAX_BYTES (10 MB by default: "
                    "else 413). Recognised by its content: a web page, a program, an archive "
                    "or an unreadable PDF is refused (422); another Content-Type: 415. "
                    "application/octet-stream is taken as well (the bytes decide)."),
                    "content": {media: {"schema": _BINARY} for media in LETTER_TYPES}},
                "responses": {"200": _data("Nomination", "Stored"),
                              **_errors(*_FILE_ERRORS)},
            },
            "get": {
                "operationId": "getNominationLetter", "tags": tags,
                "summary": "The nomination letter (each read is audited); none: 404",
                "responses": {"200": {"description": "The PDF", "content": {
                    PDF_CONTENT_TYPE: {"schema": _BINARY}}}, **_errors(*_READ_ERRORS)},
            },
        },
        "/events/{event_id}/nominations/{nomination_id}/members/{member_id}/photo": {
            "parameters": [_EVENT_ID, nomination_id, member_id],
            "put": {
                "operationId": "putNominationMemberPhoto", "tags": tags,
                "summary": f"A member's photo. {state}",
                "requestBody": _photo_body(),
                "responses": {"200": _data("NominationMember", "Stored"),
                              **_errors(*_FILE_ERRORS)},
            },
            "get": {
                "operationId": "getNominationMemberPhoto", "tags": tags,
                "summary": "The member's stored photo (JPEG); none: 404. Once accredited, "
                           "the photo is the registration's.",
                "parameters": [_SIZE],
                "responses": {"200": _jpeg_answer("The JPEG"), **_errors(*_READ_ERRORS)},
            },
        },
        "/events/{event_id}/nominations/{nomination_id}/submit": {
            "parameters": [_EVENT_ID, nomination_id],
            "post": {
                "operationId": "submitNomination", "tags": tags,
                "summary": "Send a draft or returned nomination to the accreditation queue: it "
                           "needs the letter and a member, and the country's quota (else "
                           "409). The focal point and the organizers are emailed.",
                "responses": {"200": _data("Nomination", "Submitted"),
                              **_errors(400, 401, 403, 404, 409, 429)},
            },
        },
        "/events/{event_id}/nominations/{nomination_id}/accredit": {
            "parameters": [_EVENT_ID, nomination_id],
            "post": {
                "operationId": "accreditNomination", "tags": tags,
                "summary": "Accredit members of a submitted nomination: each becomes a "
                           "registration of the mission's delegation (all confirmed when they "
                           "fit the places and the country's quota, else all on the waiting "
                           "list together) and is emailed their personal link. Not submitted, "
                           "a forwarded link not confirmed, a member decided already: 409. "
                           "The body is optional.",
                "requestBody": _json_body("AccreditInput", required=False),
                "responses": {"200": _data("Nomination", "Accredited"),
                              **_errors(*_WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/nominations/{nomination_id}/members/{member_id}/not-accredited": {
            "parameters": [_EVENT_ID, nomination_id, member_id],
            "post": {
                "operationId": "notAccreditMember", "tags": tags,
                "summary": "Do not accredit a member waiting for a decision, with a reason "
                           "told to the focal point (not submitted or decided already: 409)",
                "requestBody": _json_body("DecisionReason"),
                "responses": {"200": _data("NominationMember", "Not accredited"),
                              **_errors(*_WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/nominations/{nomination_id}/return": {
            "parameters": [_EVENT_ID, nomination_id],
            "post": {
                "operationId": "returnNomination", "tags": tags,
                "summary": "Return a submitted nomination to its focal point with a reason "
                           "(emailed with their link); accredited members stay accredited. "
                           "Not submitted: 409.",
                "requestBody": _json_body("DecisionReason"),
                "responses": {"200": _data("Nomination", "Returned"),
                              **_errors(*_WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/nominations/{nomination_id}/confirm-focal-point": {
            "parameters": [_EVENT_ID, nomination_id],
            "post": {
                "operationId": "confirmFocalPoint", "tags": tags,
                "summary": "Confirm the focal point of a nomination made through a forwarded "
                           "link (needs no confirmation: 409)",
                "responses": {"200": _data("Nomination", "Confirmed"),
                              **_errors(400, 401, 403, 404, 409, 429)},
            },
        },
        "/events/{event_id}/registrations/{registration_id}/photo": {
            "parameters": [_EVENT_ID, registration_id],
            "put": {
                "operationId": "putRegistrationPhoto", "tags": ["registrations"],
                "summary": "Store the delegate's photo, replacing an older one (organizers)",
                "requestBody": _photo_body(),
                "responses": {"200": _data("RegistrationPhoto", "Stored"),
                              **_errors(*_FILE_ERRORS)},
            },
            "get": {
                "operationId": "getRegistrationPhoto", "tags": ["registrations"],
                "summary": "The delegate's photo (JPEG) for the event's team; none: 404",
                "parameters": [_SIZE],
                "responses": {"200": _jpeg_answer("The JPEG"), **_errors(*_READ_ERRORS)},
            },
            "delete": {
                "operationId": "deleteRegistrationPhoto", "tags": ["registrations"],
                "summary": "Delete the delegate's photo (organizers; none: nothing to do)",
                "responses": {"204": {"description": "Deleted"},
                              **_errors(400, 401, 403, 404, 429)},
            },
        },
        "/events/{event_id}/substitution-requests": {
            "parameters": [_EVENT_ID],
            "get": {
                "operationId": "listSubstitutionRequests", "tags": ["registrations"],
                "summary": "Delegates' requests to be replaced (from their own links) waiting "
                           "for a decision, oldest first",
                "parameters": _PAGE_PARAMS,
                "responses": {"200": {
                    "description": "One page",
                    "headers": {"Link": {"description": "first, last, next, prev pages",
                                         "schema": _s()}},
                    "content": {"application/json": {"schema": _object({
                        "data": {"type": "array", "items": _ref("SubstitutionRequest")},
                        "meta": _ref("PageMeta")})}}},
                    **_errors(*_READ_ERRORS)},
            },
        },
        "/events/{event_id}/substitution-requests/{request_id}/approve": {
            "parameters": [_EVENT_ID, request_id],
            "post": {
                "operationId": "approveSubstitutionRequest", "tags": ["registrations"],
                "summary": "Apply a delegate's request (checked again now, as a substitution: "
                           "the seat is kept, both people are emailed). Decided already, or "
                           "the registration can no longer be substituted: 409.",
                "responses": {"200": _data("Registration", "Substituted"),
                              **_errors(400, 401, 403, 404, 409, 422, 429)},
            },
        },
        "/events/{event_id}/substitution-requests/{request_id}/refuse": {
            "parameters": [_EVENT_ID, request_id],
            "post": {
                "operationId": "refuseSubstitutionRequest", "tags": ["registrations"],
                "summary": "Refuse a delegate's request (emailed with the reason; decided "
                           "already: 409). The body is optional.",
                "requestBody": _json_body("SubstitutionRefusal", required=False),
                "responses": {"200": _data("SubstitutionRequest", "Refused"),
                              **_errors(*_WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/registrations/{registration_id}/substitute": {
            "parameters": [_EVENT_ID, registration_id],
            "post": {
                "operationId": "substituteRegistration", "tags": ["registrations"],
                "summary": "Hand the registration and its place to another person (the seat "
                           "is kept; country and status stay). The new person gets a new "
                           "reference and badge, and their personal link by email (never in "
                           "this answer); the old one is told. Cancelled, rejected, checked "
                           "in, erasure asked, event over, or an address already registered: "
                           "409.",
                "requestBody": _json_body("SubstituteInput"),
                "responses": {"200": _data("Registration", "Substituted: the new reference"),
                              **_errors(*_WRITE_ERRORS)},
            },
        },
    }
