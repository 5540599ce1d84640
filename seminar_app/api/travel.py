"""Travel and accommodation in the API (issue 17): a registration's travel plan (read with
the view right; set with the manage right and a token that may write, like the staff page),
the event's hotels, and the arrivals and departures lists (as the boards, soonest first).

Setting a plan calls services.travel.plans.set_travel_plan as staff do: the same rules (a
known IATA code for a flight, the departure after the arrival, one of the event's hotels,
check-out after check-in, room sharing with another delegate taking part), the same audit
entry; staff may set it whatever the event's travel setting. PUT replaces the whole plan: a
field left out is empty. The OpenAPI paths and schemas are written here and merged into the
document by ``openapi.build_document``.
"""

from flask_babel import gettext as _

from ..database import MAX_ID
from ..extensions import db
from ..models import LODGINGS, TRANSPORT_MODES, Registration
from ..services.access import Permission
from ..services.travel import boards, plans, settings
from ..services.travel.settings import event_hotels
from . import core
from .core import ApiError, Field, bp, iso

_LEGS = ("arrival", "departure")


def _leg_fields(leg: str, noun: str) -> list[Field]:
    return [
        Field(f"{leg}_at", "date-time", nullable=True,
              description=f"The {noun} time with its offset (shown in the event's zone)."),
        Field(f"{leg}_mode", "enum", choices=TRANSPORT_MODES, nullable=True,
              description=f"How the delegate travels; needed with a {noun} time."),
        Field(f"{leg}_number", "string", max_length=plans.NUMBER_MAX,
              description="Flight or train number, e.g. GA 881 (stored upper-case)."),
        Field(f"{leg}_place", "string", max_length=plans.PLACE_MAX,
              description="A flight's IATA airport code (e.g. CGK), else a station or place."),
        Field(f"{leg}_pickup", "boolean",
              description="Transport from (arrival) or to (departure) the airport or station "
                          "is needed."),
    ]


#: the body of PUT .../travel: every field optional, a field left out is empty
TRAVEL_INPUT = [
    *_leg_fields("arrival", "arrival"), *_leg_fields("departure", "departure"),
    Field("lodging", "enum", choices=LODGINGS, nullable=True,
          description="hotel (one of the event's hotels) or own arrangements; null: not "
                      "given."),
    Field("hotel_id", "integer", minimum=1, maximum=MAX_ID, nullable=True,
          description="One of the event's hotels (GET .../hotels), with lodging hotel."),
    Field("check_in", "date", nullable=True),
    Field("check_out", "date", nullable=True),
    Field("share_with", "string", max_length=plans.SHARE_MAX,
          description="Email or reference of another delegate of the event to share a room "
                      "with (hotel only)."),
]


def _registration(event_id: int, registration_id: int, permission: Permission, *,
                  write: bool = False) -> Registration:
    event, _permissions = core.load_event(event_id, permission, write=write)
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise ApiError(404, _("No registration of this event has this number."))
    return registration


def plan_json(registration: Registration) -> dict:
    plan = plans.get_plan(registration)
    values = plans.plan_values(registration, plan)
    body = {"registration_id": registration.id, "reference": registration.reference}
    for leg in _LEGS:
        body.update({f"{leg}_at": iso(values[f"{leg}_at"]),
                     f"{leg}_mode": values[f"{leg}_mode"] or None,
                     f"{leg}_number": values[f"{leg}_number"],
                     f"{leg}_place": values[f"{leg}_place"],
                     f"{leg}_pickup": bool(values[f"{leg}_pickup"])})
    body.update(lodging=values["lodging"] or None, hotel_id=values["hotel_id"],
                check_in=iso(values["check_in"]), check_out=iso(values["check_out"]),
                share_with=values["share_with"],
                updated_at=iso(plan.updated_at) if plan is not None else None)
    return body


@bp.get("/events/<int:event_id>/registrations/<int:registration_id>/travel")
def get_travel(event_id: int, registration_id: int):
    """A registration's arrival, departure and accommodation (empty values when none)."""
    return core.data_response(plan_json(_registration(event_id, registration_id,
                                                      Permission.VIEW)))


@bp.put("/events/<int:event_id>/registrations/<int:registration_id>/travel")
def set_travel(event_id: int, registration_id: int):
    """Replace a registration's travel plan (staff: at any time, also after the cut-off)."""
    registration = _registration(event_id, registration_id, Permission.MANAGE, write=True)
    values = core.read_fields(core.json_body(), TRAVEL_INPUT)
    values = {"lodging": "", "share_with": "", **{key: value for key, value in values.items()
                                                   if value is not None}}
    plans.set_travel_plan(registration, values, by="staff", actor=core.acting_user())
    return core.data_response(plan_json(registration))


def hotel_json(hotel) -> dict:
    return {"id": hotel.id, "name": hotel.name, "address": hotel.address,
            "block_size": hotel.block_size, "block_from": iso(hotel.block_from),
            "block_to": iso(hotel.block_to)}


@bp.get("/events/<int:event_id>/hotels")
def list_hotels(event_id: int):
    """The event's hotels and their room blocks, by name."""
    event, _permissions = core.load_event(event_id, Permission.VIEW)
    return core.data_response([hotel_json(hotel) for hotel in event_hotels(event)],
                              travel=settings.travel_settings(event).mode)


def _board_json(row) -> dict:
    return {"registration_id": row.registration_id, "reference": row.reference,
            "name": row.name, "country": row.country, "status": row.status,
            "head_of_delegation": row.is_head, "delegation": row.delegation,
            "at": iso(row.at), "local_time": row.local.isoformat(), "mode": row.mode or None,
            "number": row.number, "place": row.place, "pickup": row.pickup,
            "hotel": row.hotel, "changed_since_export": row.changed}


def _board(event_id: int, kind: str):
    event, _permissions = core.load_event(event_id, Permission.VIEW)
    exported = settings.travel_settings(event).arrivals_exported_at
    rows, meta, link = core.paginate_rows(boards.board_query(event, kind))
    items = boards.board_rows(event, kind, rows, exported)
    return core.page_response([_board_json(row) for row in items], meta, link)


@bp.get("/events/<int:event_id>/arrivals")
def list_arrivals(event_id: int):
    """Delegates taking part with their arrival, soonest first (the arrivals board)."""
    return _board(event_id, "arrival")


@bp.get("/events/<int:event_id>/departures")
def list_departures(event_id: int):
    """Delegates taking part with their departure, soonest first."""
    return _board(event_id, "departure")


# --- the OpenAPI document -------------------------------------------------------------------

def _s(kind="string", **extra) -> dict:
    return {"type": kind, **extra}


def _null(kind="string", **extra) -> dict:
    return {"type": [kind, "null"], **extra}


def _object(properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties)}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes) -> dict:
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in codes}


_ID = {"in": "path", "required": True,
       "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
_EVENT_ID = {**_ID, "name": "event_id", "description": "The event's id"}
_REGISTRATION_ID = {**_ID, "name": "registration_id", "description": "The registration's id"}
_READ = (400, 401, 403, 404, 429)
_WRITE = (400, 401, 403, 404, 409, 413, 415, 422, 429)
_MODE = _null(enum=[*TRANSPORT_MODES, None])
_TIME = _null(format="date-time")
_DAY = _null(format="date")


def openapi_schemas() -> dict:
    """The components/schemas of these operations."""
    plan = {"registration_id": _s("integer"), "reference": _s()}
    for leg in _LEGS:
        plan.update({f"{leg}_at": _TIME, f"{leg}_mode": _MODE, f"{leg}_number": _s(),
                     f"{leg}_place": _s(), f"{leg}_pickup": _s("boolean")})
    plan.update(lodging=_null(enum=[*LODGINGS, None]), hotel_id=_null("integer"),
                check_in=_DAY, check_out=_DAY, share_with=_s(
                    description="The reference of the delegate sharing the room, or \"\"."),
                updated_at=_TIME)
    travel_input = core.body_schema(TRAVEL_INPUT)
    travel_input["x-rules-beyond-schema"] = {
        "arrival_at": "Needed when any other arrival field is given.",
        "departure_at": "Needed when any other departure field is given; after arrival_at.",
        "arrival_mode": "Needed with arrival_at.",
        "departure_mode": "Needed with departure_at.",
        "arrival_number": "At most 20 characters once upper-cased.",
        "departure_number": "At most 20 characters once upper-cased.",
        "arrival_place": "With mode flight: a known IATA airport code (else 422).",
        "departure_place": "With mode flight: a known IATA airport code (else 422).",
        "check_in": "Needed with lodging hotel.",
        "check_out": "Needed with lodging hotel; after check_in.",
        "hotel_id": "With lodging hotel: one of the event's hotels (else 422), and check_in "
                    "and check_out, check_out after check_in.",
        "share_with": "Hotel only: another delegate of the event taking part, not the "
                      "registration itself (else 422).",
    }
    return {
        "TravelPlan": _object(plan),
        "TravelInput": travel_input,
        "Hotel": _object({"id": _s("integer"), "name": _s(), "address": _s(),
                          "block_size": _s("integer", minimum=0),
                          "block_from": _s(format="date"), "block_to": _s(format="date")}),
        "BoardEntry": _object({
            "registration_id": _s("integer"), "reference": _s(), "name": _s(),
            "country": _s(), "status": _s(), "head_of_delegation": _s("boolean"),
            "delegation": _s(), "at": _s(format="date-time"),
            "local_time": _s(description="The time in the event's zone, with its offset."),
            "mode": _MODE, "number": _s(), "place": _s(), "pickup": _s("boolean"),
            "hotel": _s(), "changed_since_export": _s("boolean")}),
    }


def _page(schema: str) -> dict:
    return {"description": "One page",
            "headers": {"Link": {"description": "first, last, next, prev pages",
                                 "schema": _s()}},
            "content": {"application/json": {"schema": _object({
                "data": {"type": "array", "items": _ref(schema)},
                "meta": _ref("PageMeta")})}}}


def _data(schema: dict, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": _object({"data": schema})}}}


_PAGE_PARAMS = [
    {"name": "page", "in": "query", "required": False, "description": "Page number, from 1.",
     "schema": _s("integer", minimum=1, maximum=core.MAX_PAGE)},
    {"name": "per_page", "in": "query", "required": False,
     "description": f"Items per page (default 25, at most {core.MAX_PER_PAGE}).",
     "schema": _s("integer", minimum=1, maximum=core.MAX_PER_PAGE)},
]


def openapi_paths() -> dict:
    """The paths of these operations."""
    tags = ["travel"]
    hotels = {"description": "The hotels", "content": {"application/json": {"schema": _object({
        "data": {"type": "array", "items": _ref("Hotel")},
        "travel": _s(enum=["off", "optional", "required"],
                     description="Whether the event collects travel.")})}}}
    return {
        "/events/{event_id}/registrations/{registration_id}/travel": {
            "parameters": [_EVENT_ID, _REGISTRATION_ID],
            "get": {"operationId": "getTravel", "tags": tags,
                    "summary": "A registration's arrival, departure and accommodation",
                    "responses": {"200": _data(_ref("TravelPlan"), "The plan"),
                                  **_errors(*_READ)}},
            "put": {"operationId": "setTravel", "tags": tags,
                    "summary": "Replace a registration's travel plan (manage right; staff are "
                               "not held to the cut-off). A field left out is empty.",
                    "requestBody": {"required": True, "content": {
                        "application/json": {"schema": _ref("TravelInput")}}},
                    "responses": {"200": _data(_ref("TravelPlan"), "Saved"),
                                  **_errors(*_WRITE)}},
        },
        "/events/{event_id}/hotels": {
            "parameters": [_EVENT_ID],
            "get": {"operationId": "listHotels", "tags": tags,
                    "summary": "The event's hotels and their room blocks, by name",
                    "responses": {"200": hotels, **_errors(*_READ)}},
        },
        "/events/{event_id}/arrivals": {
            "parameters": [_EVENT_ID],
            "get": {"operationId": "listArrivals", "tags": tags,
                    "summary": "Delegates taking part (confirmed or pending) with their "
                               "arrival, soonest first",
                    "parameters": _PAGE_PARAMS,
                    "responses": {"200": _page("BoardEntry"), **_errors(*_READ)}},
        },
        "/events/{event_id}/departures": {
            "parameters": [_EVENT_ID],
            "get": {"operationId": "listDepartures", "tags": tags,
                    "summary": "Delegates taking part with their departure, soonest first",
                    "parameters": _PAGE_PARAMS,
                    "responses": {"200": _page("BoardEntry"), **_errors(*_READ)}},
        },
    }
