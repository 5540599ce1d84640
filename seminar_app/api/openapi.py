"""The OpenAPI 3.1 document of /api/v1 (written as Python data next to the views) and the
browsable documentation (Swagger UI, vendored under static/vendor)."""

import re
from functools import lru_cache

from flask import render_template, request, url_for
from flask_babel import gettext as _

from ..branding import product_name
from ..database import MAX_ID
from ..models import (
    AttendanceMode,
    DelegationRole,
    EventStatus,
    EventType,
    Honorific,
    MailingKind,
    OrganisationType,
    QuestionKind,
    RegistrationSource,
    RegistrationStatus,
    Visibility,
)
from ..services.invitations.bounces import RECORDED, SMTP
from ..services.invitations.invitation_status import InviteeStatus
from ..services.invitations.mailings import AUDIENCES as MAILING_AUDIENCES
from . import accreditation, certificates, surveys, travel
from .core import (
    COUNTRY_CODES,
    MAX_PAGE,
    MAX_PER_PAGE,
    NOT_BLANK,
    PUBLIC_ENDPOINTS,
    YEAR_PATTERN,
    ApiError,
    body_schema,
    bp,
)
from .delegations import DELEGATION_INPUT, MAX_MEMBERS, MEMBER_INPUT
from .events import CANCEL_INPUT, EVENT_INPUT
from .invitations import (
    IDEMPOTENCY_KEY,
    INVITEE_INPUT,
    INVITEE_PATCH,
    MAILING_INPUT,
    MAILING_PATCH,
    RESPONSE_INPUT,
)
from .registrations import ANSWER_MAX, REGISTRATION_INPUT, REGISTRATION_PATCH, STATUS_INPUT

REGISTRATION_INPUT_BY_NAME = {spec.name: spec for spec in REGISTRATION_INPUT}


def _s(kind="string", **extra) -> dict:
    return {"type": kind, **extra}


def _null(kind="string", **extra) -> dict:
    return {"type": [kind, "null"], **extra}


TIME = _s(format="date-time")
#: a day as a query argument (the years core.YEAR_MIN..YEAR_MAX)
DAY = {"type": "string", "format": "date", "pattern": f"^{YEAR_PATTERN}-"}
COUNTRY = {"type": "string", "enum": list(COUNTRY_CODES)}
TIME_OR_NULL = _null(format="date-time")


def _object(properties: dict, *, optional=()) -> dict:
    return {"type": "object", "properties": properties,
            "required": [key for key in properties if key not in optional]}


def _values(enum_class) -> list[str]:
    return [member.value for member in enum_class]


EVENT = _object({
    "id": _s("integer"), "slug": _s(), "title": _s(),
    "event_type": _s(enum=_values(EventType)), "status": _s(enum=_values(EventStatus)),
    "visibility": _s(enum=_values(Visibility)), "theme": _s(), "description": _s(),
    "timezone": _s(), "start_at": TIME, "end_at": TIME, "venue_name": _s(),
    "venue_address": _s(), "venue_city": _s(), "venue_country": _s(), "online_url": _s(),
    "languages": {"type": "array", "items": _s()}, "capacity": _null("integer"),
    "country_quota": _null("integer"), "requires_approval": _s("boolean"),
    "registration_opens_at": TIME_OR_NULL, "registration_closes_at": TIME_OR_NULL,
    "contact_name": _s(), "contact_email": _s(), "contact_phone": _s(),
    "cancellation_reason": _s(), "owner_id": _s("integer"), "created_at": TIME,
    "updated_at": TIME, "published_at": TIME_OR_NULL, "cancelled_at": TIME_OR_NULL,
    "attendance_mode": _s(enum=_values(AttendanceMode)),
    "nomination_deadline": TIME_OR_NULL, "promotion_confirm_days": _null("integer"),
})
REGISTRATION = _object({
    "id": _s("integer"), "event_id": _s("integer"), "reference": _s(),
    "status": _s(enum=_values(RegistrationStatus)),
    "source": _s(enum=_values(RegistrationSource)),
    "honorific": _s(enum=_values(Honorific)), "honorific_other": _s(), "given_name": _s(),
    "family_name": _s(), "email": _s(), "country": _s(), "organisation": _s(),
    "organisation_type": _s(enum=_values(OrganisationType)),
    "delegation_id": _null("integer"),
    "position": _s(), "delegation_role": _s(enum=_values(DelegationRole)), "phone": _s(),
    "language": _s(), "dietary": _s(), "accessibility": _s(),
    "needs_visa_letter": _s("boolean"), "forwarded_invitation": _s("boolean"),
    "attendance": _s(enum=["in_person", "online"],
                     description="How the delegate attends (the event's mode unless hybrid)."),
    "decision_reason": _s(), "created_at": TIME, "updated_at": TIME,
    "confirmed_at": TIME_OR_NULL, "waitlisted_at": TIME_OR_NULL,
    "cancelled_at": TIME_OR_NULL, "checked_in_at": TIME_OR_NULL,
    "answers": {"type": "object", "additionalProperties": _s(),
                "description": "Answers to the event's extra questions: question id -> "
                               "value (a choice's option, \"yes\"/\"no\", or text)."},
    "passport_number": _s(description="Only for tokens whose user may manage the event."),
    "nationality": _s(), "birth_date": _null(format="date"), "birth_place": _s(),
    "passport_expiry": _null(format="date"),
}, optional=("passport_number", "nationality", "birth_date", "birth_place",
             "passport_expiry"))
STEPS = _object({key: TIME_OR_NULL for key in (
    "first_queued_at", "first_sent_at", "last_failed_at", "responded_at", "registered_at",
    "checked_in_at", "unsubscribed_at", "bounced_at")})
INVITEE = _object({
    "id": _s("integer"), "event_id": _s("integer"),
    "honorific": _null(enum=[*_values(Honorific), None]), "honorific_other": _s(),
    "name": _s(), "email": _s(), "country": _s(), "organisation": _s(), "position": _s(),
    "language": _s(), "group_name": _s(), "note": _s(),
    "kind": _s(enum=["person", "organisation"]),
    "status": _s(enum=_values(InviteeStatus)), "status_at": TIME_OR_NULL,
    "response": _s(enum=["pending", "accepted", "declined"]), "response_channel": _null(),
    "decline_reason": _s(), "response_note": _s(), "registration_id": _null("integer"),
    "bounce_reason": _s(),
    "steps": {"$ref": "#/components/schemas/InviteeSteps"}, "created_at": TIME,
    "updated_at": TIME,
})
MAILING = _object({
    "id": _s("integer"), "event_id": _s("integer"), "kind": _s(enum=_values(MailingKind)),
    "audience": _object({"audience": _s(), "group": _null(),
                         "statuses": {"type": "array", "items": _s()}}),
    "attach_calendar": _s("boolean"), "recipient_count": _s("integer"), "created_at": TIME,
    "prepared_at": TIME_OR_NULL,
    "state": _s(enum=["scheduled", "started", "cancelled"],
                description="scheduled: waits for scheduled_at (can be changed or "
                            "cancelled); started: its audience was evaluated and it is sent; "
                            "cancelled: it never starts."),
    "scheduled_at": TIME_OR_NULL, "started_at": TIME_OR_NULL, "cancelled_at": TIME_OR_NULL,
    "automatic": _null(enum=["event_reminder", "deadline_reminder", "certificate", "survey",
                             None], description="Which automatic email made it (null: staff)."),
    "progress": _object({"total": _s("integer"), "sent": _s("integer"),
                         "queued": _s("integer"), "failed": _s("integer"),
                         "prepared": _s("boolean"), "done": _s("boolean")}),
})
#: a subject access request (services.privacy.retention.export_subject_data)
PERSONAL_DATA = _object({
    "generated_at": TIME,
    "event": _object({"id": _s("integer"), "slug": _s(), "title": _s(), "start_at": TIME,
                      "end_at": TIME}),
    "registration": {"type": "object", "description": "Every column of the registration, "
                     "passport data included."},
    "answers": {"type": "array", "items": _object({"question": _s(), "answer": _s()})},
    "invitee": {"type": ["object", "null"], "description": "The invitation it came through."},
    "photo": {"type": ["object", "null"], "description": "The delegate's photo, if any: "
              "content_type, size, filename, uploaded_at and the JPEG in data_base64."},
    "emails": {"type": "array", "items": _object({
        "subject": _s(), "template": _s(), "recipient": _s(), "status": _s(),
        "created_at": TIME, "sent_at": TIME_OR_NULL})},
    "audit": {"type": "array", "items": _object({
        "action": _s(), "at": TIME, "by": _null(), "details": {"type": "object"}})},
})
ERASED_COUNTS = _object({key: _s("integer") for key in (
    "event_id", "passports", "registrations", "invitees", "emails", "audit_entries")}
    | {"slug": _s()})
DELEGATION = _object({
    "id": _s("integer"), "event_id": _s("integer"), "name": _s(), "country": _s(),
    "organisation": _s(), "head_registration_id": _null("integer"), "created_at": TIME,
    "members": {"type": "array", "description": "Head first, then in protocol order.",
                "items": _object({
                    "registration_id": _s("integer"), "reference": _s(),
                    "status": _s(enum=_values(RegistrationStatus)),
                    "delegation_role": _s(enum=_values(DelegationRole)),
                    "given_name": _s(), "family_name": _s(), "is_head": _s("boolean")})},
})
#: a text in each language organizers write in (empty when none was written)
_BY_LANGUAGE = _object({"en": _s(), "id": _s()})
AGENDA = _object({
    "event_id": _s("integer"), "timezone": _s(description="The event's IANA time zone."),
    "sessions": {"type": "array", "items": _object({
        "id": _s("integer"), "title": _s(description="In the event's first language."),
        "titles": _BY_LANGUAGE, "description": _s(description="Markdown."),
        "descriptions": _BY_LANGUAGE, "room": _s(),
        "starts_at": TIME, "ends_at": TIME,
        "local_date": _s(format="date", description="The day in the event's zone."),
        "starts_at_local": _s(format="date-time",
                              description="In the event's zone, with its offset."),
        "ends_at_local": _s(format="date-time"),
        "speakers": {"type": "array", "items": _object({
            "name": _s(), "title": _s(), "organisation": _s()})},
    })},
})
QUESTION = _object({
    "id": _s("integer"), "position": _s("integer"), "kind": _s(enum=_values(QuestionKind)),
    "required": _s("boolean"), "label": _s(description="In the event's first language."),
    "labels": _BY_LANGUAGE,
    "choices": {"type": "array", "items": _s(),
                "description": "A choice question's options in the event's first language: "
                               "the values answers take."},
    "choices_by_language": _object({"en": {"type": "array", "items": _s()},
                                    "id": {"type": "array", "items": _s()}},
                                   ),
})
BOUNCE = _object({
    "email": _s(), "name": _s(), "reason": _s(description="Staff's note, or the mail "
                                                          "server's answer."),
    "bounced_at": TIME, "source": _s(enum=[RECORDED, SMTP],
                                     description="recorded by staff, or an SMTP 5xx refusal"),
    "invitee_id": _null("integer"), "registration_id": _null("integer"),
})
_COUNT = _s("integer", minimum=0)
_RATE = _s("number", minimum=0, maximum=1)
DASHBOARD = _object({
    "event_id": _s("integer"), "timezone": _s(), "total": _COUNT,
    "by_status": _object({status: _COUNT for status in _values(RegistrationStatus)}),
    "confirmed": _COUNT, "countries": _COUNT,
    "confirmed_by_country": {"type": "array", "items": _object(
        {"country": _s(), "count": _COUNT})},
    "confirmed_by_role": {"type": "array", "items": _object(
        {"delegation_role": _s(enum=_values(DelegationRole)), "count": _COUNT})},
    "confirmed_by_organisation_type": {"type": "array", "items": _object(
        {"organisation_type": _s(enum=_values(OrganisationType)), "count": _COUNT})},
    "registrations_by_day": {"type": "array", "items": _object(
        {"day": _s(format="date"), "count": _COUNT, "total": _COUNT})},
    "checked_in": _COUNT, "checkin_rate": _RATE,
    "checkin_by_day": {"type": "array", "items": _object(
        {"day": _s(format="date"), "arrivals": _COUNT, "total_checked_in": _COUNT,
         "rate": _RATE})},
    "invitations": _object({key: _COUNT for key in (
        "invited", "sent", "responded", "registered", "checked_in",
        "answered_without_email")} | {"response_rate": _RATE}),
})
ANSWERS_INPUT = {
    "type": "object",
    "propertyNames": {"pattern": "^[0-9]+$"},
    "additionalProperties": _null(maxLength=ANSWER_MAX),
    "description": "Answers to the event's extra questions: question id -> value. A choice "
                   "takes one of the question's options (in the event's first language), "
                   "yes/no takes \"yes\" or \"no\"; empty or null leaves it unanswered. "
                   "Unknown ids are refused. On creation every required question needs an "
                   "answer.",
}


def _with_answers(schema: dict) -> dict:
    schema["properties"]["answers"] = ANSWERS_INPUT
    return schema


#: the extension naming the fields whose rules JSON Schema cannot state (they compare two
#: values, or a value with stored data or today): field -> the rule in words. Every other
#: refusal of a value follows from the schema's keywords.
RULES_KEY = "x-rules-beyond-schema"


def _rules(schema: dict, rules: dict[str, str]) -> dict:
    schema[RULES_KEY] = rules
    for name, text in rules.items():
        prop = schema["properties"].get(name)
        if prop is not None:
            prop["description"] = f"{prop.get('description', '')} {text}".strip()
    schema["description"] = "Rules beyond the schema: " + " ".join(
        f"`{name}`: {text}" for name, text in rules.items())
    return schema


_EVENT_RULES = {
    "end_at": "After start_at.",
    "registration_opens_at": "Before the event ends.",
    "registration_closes_at": "After registration opens, not after the event ends.",
    "venue_name": "attendance_mode in_person or hybrid needs a venue (venue_name, "
                  "venue_address or venue_city).",
    "online_url": "attendance_mode online or hybrid needs online_url; in_person with no venue "
                  "but an online_url is stored as online. The link is private: only the token "
                  "API and confirmed online delegates get it.",
    "nomination_deadline": "Before the event ends.",
    "contact_email": "Empty, or an address our mail server can send to (format email, checked "
                     "by email_validator).",
}
_REGISTRATION_RULES = {
    "given_name": "Letters and marks of any script, spaces, apostrophes, hyphens and dots "
                  "(format person-name: JSON Schema has no portable letter class).",
    "family_name": "As given_name.",
    "email": "An address our mail server can send to (format email, checked by "
             "email_validator: ASCII, no quoted local part, a public domain name).",
    "phone": "A valid number (format phone, checked by libphonenumber) in international "
             "format, or in national format for `country`.",
    "passport_expiry": "With a visa letter: after the event's last day (in its time zone).",
    "birth_date": "In the past, at most 120 years ago.",
    "answers": "Each answer must suit its question of this event; on creation every "
               "required question needs one.",
    "attendance": "Depends on the event's attendance_mode: required with hybrid; an "
                  "in_person or online event takes only its own mode (or none).",
    "needs_visa_letter": "Not true for a delegate attending online.",
}
_INVITEE_COUNTRY_RULE = ("Not empty when kind (given or stored) is organisation: the "
                         "delegation it nominates represents that country.")
_PATCH_RULES = {
    **_REGISTRATION_RULES,
    "honorific_other": "Needed when the honorific (given or stored) is \"other\".",
    "country": "A confirmed delegate's new country must have room in its quota (else 409).",
}


#: what a scheduled time must be beyond its pattern (services.invitations.scheduling)
_SCHEDULE_RULE = ("A date and time that exists, in the future and at most 366 days ahead; "
                  "only while the mailing has not started (else 409).")


def _mailing_input() -> dict:
    """A mailing's body: each kind has its audiences."""
    schema = body_schema(MAILING_INPUT)
    schema["allOf"] = [
        {"if": {"properties": {"kind": {"const": kind.value}}, "required": ["kind"]},
         "then": {"properties": {"audience": {"enum": list(audiences)}}}}
        for kind, audiences in MAILING_AUDIENCES.items()
    ]
    return _rules(schema, {
        "audience": "One of the kind's audiences (invitation: all, group, not_invited; "
                    "reminder: not_answered; announcement: registered; survey: checked_in, "
                    "confirmed, while the event's survey is open) that reaches at least "
                    "one person of this event.",
        "group": "With the audience group: a group of this event's invitees.",
        "statuses": "Announcements: at least one status.",
        "idempotency_key": "Needed unless the Idempotency-Key header is sent.",
        "scheduled_at": _SCHEDULE_RULE,
    })





def _registration_input() -> dict:
    """The new registration's body, with the rules one value makes for another."""
    return _rules(_person_input(REGISTRATION_INPUT, answers=True), _REGISTRATION_RULES)


def _person_input(fields, *, answers: bool) -> dict:
    """A person's body made of ``fields`` (a registration's definition), with the rules one
    value makes for another (a registration, a delegation's head or member)."""
    schema = body_schema(fields)
    if answers:
        schema = _with_answers(schema)
    text = REGISTRATION_INPUT_BY_NAME["honorific_other"].schema()
    schema["allOf"] = [
        {"if": {"properties": {"honorific": {"const": "other"}}, "required": ["honorific"]},
         "then": {"required": ["honorific_other"],
                  "properties": {"honorific_other": {
                      **text, "pattern": f"^(?:[^<>]*{NOT_BLANK[:-1]}<>][^<>]*)$"}}}},
        {"if": {"properties": {"needs_visa_letter": {"const": True}},
                "required": ["needs_visa_letter"]},
         "then": {"required": ["passport_expiry"],
                  "properties": {"passport_expiry": {"type": "string"}}}},
    ]
    schema["properties"]["honorific_other"]["description"] = (
        "Required (not blank) when honorific is \"other\"; dropped otherwise. No < or >.")
    schema["properties"]["needs_visa_letter"]["description"] = (
        "With true, passport_expiry is required; the other passport fields may follow "
        "later. With false, the passport fields are emptied.")
    return schema


def _delegation_input() -> dict:
    """A whole delegation: its head (a registration's body, with the answers) and members."""
    head = _person_input(REGISTRATION_INPUT, answers=True)
    member = _person_input(MEMBER_INPUT, answers=False)
    for name in ("country", "organisation", "delegation_role"):
        member["properties"][name]["description"] = (
            f"{member['properties'][name].get('description', '')} Left out: the head's "
            "(role: delegate).").strip()
    schema = body_schema(DELEGATION_INPUT)
    schema["properties"]["head"] = head
    schema["properties"]["members"] = {"type": "array", "minItems": 1,
                                       "maxItems": MAX_MEMBERS, "items": member}
    schema["required"] = ["head", "members"]
    people = " ".join(f"`{name}`: {text}" for name, text in _REGISTRATION_RULES.items())
    return _rules(schema, {
        "head": f"As a registration's body. {people}",
        "members": "As a registration's body (no answers: members give theirs through their "
                   "own link). Every email appears once in the delegation and is not "
                   "registered for the event yet (else 409, naming members[i].email). "
                   + people,
    })


def _patch(fields) -> dict:
    schema = body_schema(fields)
    schema.pop("required", None)
    return schema


ERROR = _object({"error": _object({
    "code": _s(description="bad_request, unauthorized, forbidden, not_found, "
                           "method_not_allowed, conflict, payload_too_large, "
                           "unsupported_media_type, validation_error, rate_limited"),
    "message": _s(description="Translated by Accept-Language (en, id)."),
    "fields": {"type": "object", "additionalProperties": _s(),
               "description": "Field name -> message, for values that were refused."},
})})
PAGE_META = _object({"page": _s("integer"), "per_page": _s("integer"),
                     "total": _s("integer")})

ERROR_TEXT = {
    400: "Bad request (query arguments or a broken body)",
    401: "No valid token",
    403: "The token or its user may not do this",
    404: "Not found, or outside the token's scope",
    409: "Conflict with the current state (capacity, duplicates, state changes)",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Refused values",
    429: "Rate limit exceeded (see Retry-After)",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes) -> dict:
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in codes}


def _data(schema_name: str, description: str, **extra) -> dict:
    properties = {"data": _ref(schema_name), **extra}
    return {"description": description, "content": {"application/json": {
        "schema": _object(properties)}}}


def _page(schema_name: str) -> dict:
    return {
        "description": "One page",
        "headers": {"Link": {"description": "first, last, next, prev pages (RFC 8288)",
                             "schema": _s()}},
        "content": {"application/json": {"schema": _object({
            "data": {"type": "array", "items": _ref(schema_name)},
            "meta": _ref("PageMeta")})}},
    }


def _id_param(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": _s("integer", minimum=1, maximum=MAX_ID)}


def _query(name: str, schema: dict, description: str = "") -> dict:
    param = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        param["description"] = description
    return param


PAGE_PARAMS = [
    _query("page", _s("integer", minimum=1, maximum=MAX_PAGE), "Page number, from 1."),
    _query("per_page", _s("integer", minimum=1, maximum=MAX_PER_PAGE),
           f"Items per page (default 25, at most {MAX_PER_PAGE})."),
]
EVENT_ID = _id_param("event_id", "The event's id")


def _body(schema_name: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema_name)}}}


READ_ERRORS = (400, 401, 404, 429)
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 415, 422, 429)


def _new_operation_paths() -> dict:
    """Delegations, agenda, questions, a new invitation link, bounces, unpublishing and the
    dashboard figures."""
    delegation_id = _id_param("delegation_id", "The delegation's id")
    return {
        "/events/{event_id}/delegations": {
            "parameters": [EVENT_ID],
            "get": {
                "operationId": "listDelegations", "tags": ["delegations"],
                "summary": "Delegations of the event with their members' registrations, "
                           "oldest first",
                "parameters": PAGE_PARAMS,
                "responses": {"200": _page("Delegation"), **_errors(*READ_ERRORS, 403)},
            },
            "post": {
                "operationId": "createDelegation", "tags": ["delegations"],
                "summary": "Register a head and 1 to 20 members as one delegation (as staff: "
                           "no moderation; capacity and quotas count every member: all "
                           "CONFIRMED or all WAITLISTED). All or nothing: a refusal names its "
                           "place (head.email, members[2].given_name); an email already "
                           "registered: 409. Each person gets their own email and link.",
                "requestBody": _body("DelegationInput"),
                "responses": {"201": _data("Delegation", "Registered, with every reference"),
                              **_errors(*WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/delegations/{delegation_id}": {
            "parameters": [EVENT_ID, delegation_id],
            "get": {
                "operationId": "getDelegation", "tags": ["delegations"],
                "summary": "One delegation and its members' registrations",
                "responses": {"200": _data("Delegation", "The delegation"),
                              **_errors(*READ_ERRORS, 403)},
            },
        },
        "/events/{event_id}/agenda": {
            "parameters": [EVENT_ID],
            "get": {
                "operationId": "getAgenda", "tags": ["programme"],
                "summary": "The programme: sessions in time order (UTC and the event's zone) "
                           "with their speakers. Public for events on the public list "
                           "(published or cancelled, visibility public): no token needed.",
                "security": [{"bearer": []}, {}],
                "responses": {"200": _data("Agenda", "The programme"),
                              **_errors(*READ_ERRORS)},
            },
        },
        "/events/{event_id}/questions": {
            "parameters": [EVENT_ID],
            "get": {
                "operationId": "listQuestions", "tags": ["programme"],
                "summary": "The extra questions of the registration form, in order, in both "
                           "languages (answers take the options of the event's first "
                           "language)",
                "responses": {"200": {"description": "The questions", "content": {
                    "application/json": {"schema": _object({
                        "data": {"type": "array", "items": _ref("Question")}})}}},
                    **_errors(*READ_ERRORS)},
            },
        },
        "/events/{event_id}/invitees/{invitee_id}/link": {
            "parameters": [EVENT_ID, _id_param("invitee_id", "The invitee's id")],
            "post": {
                "operationId": "newInviteeLink", "tags": ["invitations"],
                "summary": "Issue a new personal invitation link; the old one stops working "
                           "(audited). The new address is in this answer only.",
                "responses": {"200": _data("Invitee", "The new link in url",
                                           url=_s(format="uri")),
                              **_errors(400, 401, 403, 404, 429)},
            },
        },
        "/events/{event_id}/bounces": {
            "parameters": [EVENT_ID],
            "get": {
                "operationId": "listBounces", "tags": ["invitations"],
                "summary": "Addresses of invitees and delegates whose mail bounced (recorded "
                           "by staff, or refused permanently by the mail server), once each, "
                           "newest first",
                "parameters": PAGE_PARAMS,
                "responses": {"200": _page("Bounce"), **_errors(*READ_ERRORS, 403)},
            },
        },
        "/events/{event_id}/unpublish": {
            "parameters": [EVENT_ID],
            "post": {
                "operationId": "unpublishEvent", "tags": ["events"],
                "summary": "Turn a published event back into a draft (not published: 409)",
                "responses": {"200": _data("Event", "A draft again"),
                              **_errors(400, 401, 403, 404, 409, 429)},
            },
        },
        "/events/{event_id}/dashboard": {
            "parameters": [EVENT_ID],
            "get": {
                "operationId": "getDashboard", "tags": ["events"],
                "summary": "The figures of the staff dashboard: registrations by status, "
                           "confirmed delegates by country, role and type of organisation, "
                           "registrations and check-ins by day (in the event's zone), the "
                           "invitation funnel",
                "responses": {"200": _data("Dashboard", "The figures"),
                              **_errors(*READ_ERRORS)},
            },
        },
    }


#: OpenAPI links (stateful clients and Schemathesis' stateful run): what a created object's
#: id opens. (operation, status) -> {link name: (operationId, parameters)}
_EVENT_FROM_BODY = {"event_id": "$response.body#/data/id"}
_EVENT_FROM_PATH = {"event_id": "$request.path.event_id"}
LINKS = {
    ("/events", "post", "201"): {
        name: (operation, _EVENT_FROM_BODY) for name, operation in (
            ("GetEvent", "getEvent"), ("UpdateEvent", "updateEvent"),
            ("PublishEvent", "publishEvent"), ("UnpublishEvent", "unpublishEvent"),
            ("CreateRegistration", "createRegistration"),
            ("ListRegistrations", "listRegistrations"),
            ("CreateDelegation", "createDelegation"), ("ListDelegations", "listDelegations"),
            ("CreateInvitee", "createInvitee"), ("ListInvitees", "listInvitees"),
            ("GetAgenda", "getAgenda"), ("ListQuestions", "listQuestions"),
            ("GetDashboard", "getDashboard"), ("ListBounces", "listBounces"),
            ("CancelEvent", "cancelEvent"))},
    ("/events/{event_id}/registrations", "post", "201"): {
        name: (operation, {**_EVENT_FROM_PATH, "registration_id": "$response.body#/data/id"})
        for name, operation in (
            ("GetRegistration", "getRegistration"), ("UpdateRegistration", "updateRegistration"),
            ("DecideRegistration", "decideRegistration"), ("CheckIn", "checkIn"),
            ("GetPersonalData", "getPersonalData"), ("EraseRegistration", "eraseRegistration"))},
    ("/events/{event_id}/delegations", "post", "201"): {
        "GetDelegation": ("getDelegation", {**_EVENT_FROM_PATH,
                                            "delegation_id": "$response.body#/data/id"}),
        "GetHeadRegistration": ("getRegistration", {
            **_EVENT_FROM_PATH,
            "registration_id": "$response.body#/data/head_registration_id"}),
    },
    ("/events/{event_id}/invitees", "post", "201"): {
        name: (operation, {**_EVENT_FROM_PATH, "invitee_id": "$response.body#/data/id"})
        for name, operation in (
            ("GetInvitee", "getInvitee"), ("UpdateInvitee", "updateInvitee"),
            ("NewInviteeLink", "newInviteeLink"),
            ("RecordInviteeResponse", "recordInviteeResponse"),
            ("DeleteInvitee", "deleteInvitee"))},
    ("/events/{event_id}/mailings", "post", "201"): {
        "GetMailing": ("getMailing", {**_EVENT_FROM_PATH,
                                      "mailing_id": "$response.body#/data/id"}),
    },
}


def _add_links(paths: dict) -> None:
    for (path, method, status), links in LINKS.items():
        response = paths[path][method]["responses"][status]
        response["links"] = {name: {"operationId": operation, "parameters": parameters}
                             for name, (operation, parameters) in links.items()}


def build_document() -> dict:
    """The OpenAPI 3.1 document."""
    paths = {
        "/events": {
            "get": {
                "operationId": "listEvents", "tags": ["events"],
                "summary": "Events the token reaches, soonest first",
                "parameters": [
                    _query("status", _s(enum=_values(EventStatus))),
                    _query("q", _s(maxLength=200), "Words of the title or address"),
                    _query("from", DAY, "Starting on or after this day (UTC)"),
                    _query("to", DAY, "Starting on or before this day (UTC)"),
                    *PAGE_PARAMS,
                ],
                "responses": {"200": _page("Event"), **_errors(*READ_ERRORS)},
            },
            "post": {
                "operationId": "createEvent", "tags": ["events"],
                "summary": "Create a draft event (organizers and administrators; a token "
                           "valid for all events, with write access)",
                "requestBody": _body("EventInput"),
                "responses": {"201": _data("Event", "Created"), **_errors(*WRITE_ERRORS)},
            },
        },
        "/events/{event_id}": {
            "parameters": [EVENT_ID],
            "get": {
                "operationId": "getEvent", "tags": ["events"], "summary": "One event",
                "responses": {"200": _data("Event", "The event"), **_errors(*READ_ERRORS)},
            },
            "patch": {
                "operationId": "updateEvent", "tags": ["events"],
                "summary": "Change an event (fields left out keep their value)",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": _ref("EventPatch")}}},
                "responses": {"200": _data("Event", "Changed"), **_errors(*WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/publish": {
            "parameters": [EVENT_ID],
            "post": {
                "operationId": "publishEvent", "tags": ["events"],
                "summary": "Publish a draft (it must not have ended and needs a venue or an "
                           "online link: else 422, as on the web page, `fields` naming "
                           "venue_name or end_at; already published or cancelled: 409)",
                "responses": {"200": _data("Event", "Published"),
                              **_errors(400, 401, 403, 404, 409, 422, 429)},
            },
        },
        "/events/{event_id}/cancel": {
            "parameters": [EVENT_ID],
            "post": {
                "operationId": "cancelEvent", "tags": ["events"],
                "summary": "Cancel the event for good (already cancelled: 409). The body is "
                           "optional.",
                "requestBody": {"required": False, "content": {"application/json": {
                    "schema": _ref("EventCancel")}}},
                "responses": {"200": _data("Event", "Cancelled"), **_errors(*WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/registrations": {
            "parameters": [EVENT_ID],
            "get": {
                "operationId": "listRegistrations", "tags": ["registrations"],
                "summary": "Registrations of the event, oldest first",
                "parameters": [
                    _query("status", _s(enum=_values(RegistrationStatus))),
                    _query("country", COUNTRY, "ISO 3166-1 alpha-2"),
                    _query("role", _s(enum=_values(DelegationRole))),
                    _query("q", _s(maxLength=200),
                           "Words of the name, email, organisation or reference"),
                    _query("checked_in", _s(enum=["true", "false"])),
                    *PAGE_PARAMS,
                ],
                "responses": {"200": _page("Registration"), **_errors(*READ_ERRORS, 403)},
            },
            "post": {
                "operationId": "createRegistration", "tags": ["registrations"],
                "summary": "Register a delegate as staff (capacity and quotas apply: "
                           "CONFIRMED when there is room, else WAITLISTED)",
                "requestBody": _body("RegistrationInput"),
                "responses": {"201": _data("Registration", "Registered"),
                              **_errors(*WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/registrations/{registration_id}": {
            "parameters": [EVENT_ID, _id_param("registration_id", "The registration's id")],
            "get": {
                "operationId": "getRegistration", "tags": ["registrations"],
                "summary": "One registration",
                "responses": {"200": _data("Registration", "The registration"),
                              **_errors(*READ_ERRORS, 403)},
            },
            "patch": {
                "operationId": "updateRegistration", "tags": ["registrations"],
                "summary": "Change a registration's details and answers (fields left out "
                           "keep their value). The email cannot change; the status changes "
                           "through /status. A country change of a confirmed delegate "
                           "respects the country quota (409).",
                "requestBody": _body("RegistrationPatch"),
                "responses": {"200": _data("Registration", "Changed"),
                              **_errors(*WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/registrations/{registration_id}/status": {
            "parameters": [EVENT_ID, _id_param("registration_id", "The registration's id")],
            "post": {
                "operationId": "decideRegistration", "tags": ["registrations"],
                "summary": "Approve, reject or cancel a registration",
                "requestBody": _body("StatusChange"),
                "responses": {"200": _data("Registration", "Decided"),
                              **_errors(*WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/registrations/{registration_id}/check-in": {
            "parameters": [EVENT_ID, _id_param("registration_id", "The registration's id")],
            "post": {
                "operationId": "checkIn", "tags": ["registrations"],
                "summary": "Check a confirmed delegate in (the first time stands)",
                "responses": {"200": _data("Registration", "Checked in",
                                           already_checked_in=_s("boolean")),
                              **_errors(*WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/registrations/{registration_id}/erase": {
            "parameters": [EVENT_ID, _id_param("registration_id", "The registration's id")],
            "post": {
                "operationId": "eraseRegistration", "tags": ["registrations"],
                "summary": "Erase the delegate's personal data now (organizers: the manage "
                           "right). An active registration of an event not yet ended is "
                           "cancelled first. Already erased: 409.",
                "responses": {"200": _data("Registration", "Erased: the anonymised record",
                                           erased=_ref("ErasedCounts")),
                              **_errors(400, 401, 403, 404, 409, 429)},
            },
        },
        "/events/{event_id}/registrations/{registration_id}/personal-data": {
            "parameters": [EVENT_ID, _id_param("registration_id", "The registration's id")],
            "get": {
                "operationId": "getPersonalData", "tags": ["registrations"],
                "summary": "Everything held on the delegate (subject access request; "
                           "organizers only; the read is audited)",
                "responses": {"200": _data("PersonalData", "The delegate's data"),
                              **_errors(*READ_ERRORS, 403)},
            },
        },
        "/events/{event_id}/invitees": {
            "parameters": [EVENT_ID],
            "get": {
                "operationId": "listInvitees", "tags": ["invitations"],
                "summary": "Invitees with their status, by name",
                "parameters": [
                    _query("status", _s(enum=_values(InviteeStatus))),
                    _query("group", _s(maxLength=100)),
                    _query("country", COUNTRY, "ISO 3166-1 alpha-2"),
                    _query("q", _s(maxLength=200), "Words of the name, email or organisation"),
                    *PAGE_PARAMS,
                ],
                "responses": {"200": _page("Invitee"), **_errors(*READ_ERRORS, 403)},
            },
            "post": {
                "operationId": "createInvitee", "tags": ["invitations"],
                "summary": "Add an invitee",
                "requestBody": _body("InviteeInput"),
                "responses": {"201": _data("Invitee", "Added"), **_errors(*WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/invitees/{invitee_id}": {
            "parameters": [EVENT_ID, _id_param("invitee_id", "The invitee's id")],
            "get": {
                "operationId": "getInvitee", "tags": ["invitations"],
                "summary": "One invitee, with the time of each step",
                "responses": {"200": _data("Invitee", "The invitee"),
                              **_errors(*READ_ERRORS, 403)},
            },
            "patch": {
                "operationId": "updateInvitee", "tags": ["invitations"],
                "summary": "Change an invitee's details (fields left out keep their value; "
                           "the personal link stays the same)",
                "requestBody": _body("InviteePatch"),
                "responses": {"200": _data("Invitee", "Changed"), **_errors(*WRITE_ERRORS)},
            },
            "delete": {
                "operationId": "deleteInvitee", "tags": ["invitations"],
                "summary": "Remove an invitee who has not registered (409 once they have)",
                "responses": {"204": {"description": "Removed"},
                              **_errors(400, 401, 403, 404, 409, 429)},
            },
        },
        "/events/{event_id}/invitees/{invitee_id}/response": {
            "parameters": [EVENT_ID, _id_param("invitee_id", "The invitee's id")],
            "post": {
                "operationId": "recordInviteeResponse", "tags": ["invitations"],
                "summary": "Record an answer received outside the system (note verbale, "
                           "letter, email, phone, in person)",
                "requestBody": _body("OfflineResponse"),
                "responses": {"200": _data("Invitee", "Recorded"), **_errors(*WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/mailings": {
            "parameters": [EVENT_ID],
            "get": {
                "operationId": "listMailings", "tags": ["invitations"],
                "summary": "Mailings of the event with their progress, newest first",
                "parameters": PAGE_PARAMS,
                "responses": {"200": _page("Mailing"), **_errors(*READ_ERRORS, 403)},
            },
            "post": {
                "operationId": "createMailing", "tags": ["invitations"],
                "summary": "Send invitations, reminders or an announcement. Idempotent: the "
                           "same key again returns the first mailing (200).",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": _s(pattern=f"^{IDEMPOTENCY_KEY}$"),
                                "description": "Or idempotency_key in the body; one of "
                                               "them is needed."}],
                "requestBody": _body("MailingInput"),
                "responses": {"201": _data("Mailing", "Created and queued"),
                              "200": _data("Mailing", "Made before with this key"),
                              **_errors(*WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/mailings/{mailing_id}": {
            "parameters": [EVENT_ID, _id_param("mailing_id", "The mailing's id")],
            "get": {
                "operationId": "getMailing", "tags": ["invitations"],
                "summary": "A mailing and its progress",
                "responses": {"200": _data("Mailing", "The mailing"),
                              **_errors(*READ_ERRORS, 403)},
            },
            "patch": {
                "operationId": "updateMailing", "tags": ["invitations"],
                "summary": "Change a scheduled mailing (time, audience, calendar file) until it "
                           "starts; 409 once it has started or was cancelled",
                "requestBody": _body("MailingPatch"),
                "responses": {"200": _data("Mailing", "Changed"), **_errors(*WRITE_ERRORS)},
            },
        },
        "/events/{event_id}/mailings/{mailing_id}/cancel": {
            "parameters": [EVENT_ID, _id_param("mailing_id", "The mailing's id")],
            "post": {
                "operationId": "cancelMailing", "tags": ["invitations"],
                "summary": "Cancel a scheduled mailing: it never starts (again: no change); "
                           "409 once it has started",
                "responses": {"200": _data("Mailing", "Cancelled"), **_errors(*WRITE_ERRORS)},
            },
        },
    }
    paths.update(_new_operation_paths())
    paths.update(accreditation.openapi_paths())  # nominations, photos, substitution
    paths.update(certificates.openapi_paths())  # certificate status, PDF, verification
    paths.update(surveys.openapi_paths())  # the feedback survey and its results
    paths.update(travel.openapi_paths())  # travel plans, hotels, arrivals, departures
    _add_links(paths)
    event_patch = body_schema(EVENT_INPUT)
    event_patch.pop("required", None)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{product_name()} API",
            "version": "1.0.0",
            "description": (
                f"Events, registrations and invitations of {product_name()}. Authenticate with "
                "`Authorization: Bearer <token>` (tokens are created by staff under "
                "Manage → API tokens). A token acts with its creator's rights, limited to "
                "its events and to reading unless it may write. Events outside its scope "
                "answer 404. Times are ISO 8601 in UTC. Errors: "
                "`{\"error\": {\"code\", \"message\", \"fields\"}}`, the message in the "
                "language of Accept-Language (en or id). 422: values refused by a rule, "
                "those of the request or the event's own details an action needs (publishing "
                "an event without a venue or an online link, or that has ended: `fields` "
                "names what to complete); 409: the current state forbids the action "
                "(already published, cancelled, not published, an email already "
                "registered, no room)."),
        },
        "servers": [{"url": url_for("api.openapi").rsplit("/", 1)[0]}],
        "security": [{"bearer": []}],
        "tags": [{"name": "events"}, {"name": "registrations"}, {"name": "delegations"},
                 {"name": "programme"}, {"name": "invitations"}, {"name": "surveys"},
                 {"name": "travel"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Event": EVENT, "EventInput": _rules(body_schema(EVENT_INPUT), _EVENT_RULES),
                "EventPatch": _rules(event_patch, {
                    key: f"{text} Judged with the stored values of the fields left out."
                    for key, text in _EVENT_RULES.items()}),
                "Registration": REGISTRATION,
                "EventCancel": body_schema(CANCEL_INPUT),
                "RegistrationInput": _registration_input(),
                "RegistrationPatch": _rules(_with_answers(_patch(REGISTRATION_PATCH)),
                                            _PATCH_RULES),
                "StatusChange": body_schema(STATUS_INPUT),
                "Invitee": INVITEE, "InviteeSteps": STEPS,
                "InviteeInput": _rules(body_schema(INVITEE_INPUT),
                                       {"email": _REGISTRATION_RULES["email"],
                                        "country": _INVITEE_COUNTRY_RULE}),
                "InviteePatch": _rules(_patch(INVITEE_PATCH),
                                       {"email": _REGISTRATION_RULES["email"],
                                        "country": _INVITEE_COUNTRY_RULE}),
                "OfflineResponse": _rules(body_schema(RESPONSE_INPUT), {
                    "answered_on": "Not in the future (in the event's time zone)."}),
                "Mailing": MAILING, "MailingInput": _mailing_input(),
                "MailingPatch": _rules(_patch(MAILING_PATCH), {
                    "scheduled_at": _SCHEDULE_RULE,
                    "audience": "One of the mailing kind's audiences.",
                    "group": "With the audience group: a group of this event's invitees.",
                    "statuses": "Announcements: at least one status."}),
                "Error": ERROR, "PageMeta": PAGE_META,
                "Delegation": DELEGATION, "DelegationInput": _delegation_input(),
                "Agenda": AGENDA, "Question": QUESTION, "Bounce": BOUNCE,
                "Dashboard": DASHBOARD,
                **accreditation.openapi_schemas(),
                **certificates.openapi_schemas(),
                **surveys.openapi_schemas(),
                **travel.openapi_schemas(),
                "PersonalData": PERSONAL_DATA, "ErasedCounts": ERASED_COUNTS,
            },
            "responses": {
                f"E{code}": {"description": text, "content": {"application/json": {
                    "schema": _ref("Error")}}}
                for code, text in ERROR_TEXT.items()
            },
        },
    }


@lru_cache(maxsize=1)
def _query_names() -> dict[tuple[str, str], frozenset[str]]:
    """(path of the document, method) -> the query arguments the document names."""
    names = {}
    for path, item in build_document()["paths"].items():
        shared = [p["name"] for p in item.get("parameters", []) if p["in"] == "query"]
        for method, operation in item.items():
            if method == "parameters":
                continue
            names[(path, method.upper())] = frozenset(
                shared + [p["name"] for p in operation.get("parameters", [])
                          if p["in"] == "query"])
    return names


@bp.before_request
def _refuse_unknown_query_arguments():
    """A query argument the document does not name for the operation is refused (400)."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.url_rule is None or not request.args:
        return
    path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}",
                  request.url_rule.rule.removeprefix(bp.url_prefix))
    known = _query_names().get((path, request.method), frozenset())
    unknown = sorted(name for name in request.args if name not in known)
    if unknown:
        message = _("Unknown query argument: %(name)s.", name=unknown[0][:40])
        raise ApiError(400, message, fields={unknown[0][:40]: message})


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document (public)."""
    return build_document()


@bp.get("/docs")
def docs():
    """Browsable documentation (public)."""
    return render_template("api/docs.html", spec_url=url_for("api.openapi"))
