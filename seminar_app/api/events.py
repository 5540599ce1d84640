"""Events: list, read, create, update, publish, cancel."""

from datetime import UTC, datetime, time, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_

from ..i18n import timezone_choices
from ..models import AttendanceMode, Event, EventStatus, EventType, Visibility
from ..services.access import Permission
from ..services.accounts.api_tokens import scoped_events_query
from ..services.events import events as event_service
from ..services.events.event_values import (
    DESCRIPTION_MAX,
    EVENT_FIELDS,
    EVENT_LANGUAGES,
    PROMOTION_CONFIRM_DAYS_MAX,
    PROMOTION_CONFIRM_DAYS_MIN,
    SLUG_MAX,
)
from . import core
from .core import ApiError, Field, bp
from .serializers import event_json

#: the time zones an event may be in (services: ``i18n.is_timezone``)
TIMEZONES = tuple(zone for zone, _label in timezone_choices())

EVENT_INPUT = [
    Field("title", "string", max_length=200, required=True,
          pattern=f"[\\s\\S]*{core.NOT_BLANK}[\\s\\S]*"),
    Field("slug", "string", max_length=SLUG_MAX, pattern="([A-Za-z0-9]+(-[A-Za-z0-9]+)*)?",
          description="Address part /events/<slug> (stored lower-case); made from the title "
                      "when empty. Taken by another event: 409."),
    Field("event_type", "enum", choices=tuple(t.value for t in EventType)),
    Field("theme", "string", max_length=300),
    Field("description", "text", max_length=DESCRIPTION_MAX, description="Markdown."),
    Field("timezone", "enum", choices=("", *TIMEZONES),
          description="IANA zone, e.g. Asia/Jakarta (empty: Asia/Jakarta)."),
    Field("start_at", "date-time", required=True),
    Field("end_at", "date-time", required=True),
    Field("venue_name", "string", max_length=200),
    Field("venue_address", "string", max_length=500),
    Field("venue_city", "string", max_length=120),
    Field("venue_country", "enum", choices=("", *core.COUNTRY_CODES),
          description="ISO 3166-1 alpha-2 or empty."),
    Field("online_url", "string", max_length=500,
          pattern="([Hh][Tt][Tt][Pp][Ss]?://[^/?#\\[\\]\\s]+[^\\s]*)?",
          description="An http(s) address, or empty."),
    Field("languages", "string-list", choices=EVENT_LANGUAGES),
    Field("capacity", "integer", minimum=1, maximum=1_000_000, nullable=True),
    Field("country_quota", "integer", minimum=1, maximum=1_000_000, nullable=True),
    Field("requires_approval", "boolean"),
    Field("registration_opens_at", "date-time", nullable=True),
    Field("registration_closes_at", "date-time", nullable=True),
    Field("visibility", "enum", choices=tuple(v.value for v in Visibility)),
    Field("contact_name", "string", max_length=200),
    Field("contact_email", "string", max_length=254, format="email",
          description="Empty, or an address our mail server can send to (ASCII, a domain "
                      "name with a dot)."),
    Field("contact_phone", "string", max_length=40),
    Field("attendance_mode", "enum", choices=tuple(m.value for m in AttendanceMode),
          description="in_person (needs a venue), online (needs online_url) or hybrid (both; "
                      "each registration says how the delegate attends). Default in_person."),
    Field("nomination_deadline", "date-time", nullable=True,
          description="Missions may nominate until then (null: until registration closes)."),
    Field("promotion_confirm_days", "integer", minimum=PROMOTION_CONFIRM_DAYS_MIN,
          maximum=PROMOTION_CONFIRM_DAYS_MAX, nullable=True,
          description="A delegate promoted from the waiting list must confirm within this "
                      "many days (null: confirmed at once)."),
]

CANCEL_INPUT = [
    Field("reason", "text", max_length=2000, description="Shown on the event's page."),
]


def _checked_event_values(data: dict, *, partial: bool) -> dict:
    values = core.read_fields(data, EVENT_INPUT, partial=partial)
    email = values.get("contact_email")
    if email:
        try:
            values["contact_email"] = validate_email(
                email.strip(), check_deliverability=False, allow_smtputf8=False).normalized
        except EmailNotValidError:
            message = _("Enter a valid email address.")
            raise ApiError(422, message, fields={"contact_email": message}) from None
    return values


@bp.get("/events")
def list_events():
    """Events the token reaches, soonest first; filters status, q, from, to."""
    token = core.current_token()
    query = scoped_events_query(token)
    status = core.query_arg("status", "enum", choices=[s.value for s in EventStatus])
    if status:
        query = query.where(Event.status == EventStatus(status))
    q = core.query_arg("q", "string", max_length=200)
    if q and q.strip():
        pattern = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") \
            + "%"
        query = query.where(or_(Event.title.ilike(pattern, escape="\\"),
                                Event.slug.ilike(pattern, escape="\\")))
    start = core.query_arg("from", "date")
    if start:
        query = query.where(Event.start_at >= datetime.combine(start, time(0), tzinfo=UTC))
    end = core.query_arg("to", "date")
    if end:
        query = query.where(
            Event.start_at < datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC))
    items, meta, link = core.paginate(query.order_by(Event.start_at, Event.id))
    return core.page_response([event_json(event) for event in items], meta, link)


@bp.get("/events/<int:event_id>")
def get_event(event_id: int):
    event, _permissions = core.load_event(event_id, Permission.VIEW)
    return core.data_response(event_json(event))


@bp.post("/events")
def create_event():
    """A draft event owned by the token's creator (organizers and administrators)."""
    core.require_write()
    token = core.current_token()
    if not token.all_events:
        raise ApiError(403, _("A token limited to some events cannot create events."))
    values = _checked_event_values(core.json_body(), partial=False)
    event = event_service.create_event(owner=core.acting_user(), data=values)
    response = core.data_response(event_json(event), 201)
    response.headers["Location"] = url_for("api.get_event", event_id=event.id)
    return response


@bp.patch("/events/<int:event_id>")
def update_event(event_id: int):
    """Change some details of an event (fields left out keep their value)."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    values = _checked_event_values(core.json_body(), partial=True)
    data = {key: getattr(event, key) for key in EVENT_FIELDS}
    data["event_type"], data["visibility"] = event.event_type.value, event.visibility.value
    data.update(values)
    event, _told = event_service.change_event_details(event, data=data)  # new link: emailed
    return core.data_response(event_json(event))


@bp.post("/events/<int:event_id>/publish")
def publish_event(event_id: int):
    """Publish a draft (it must not have ended and needs a venue or an online link)."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    event = event_service.publish_event(event)
    return core.data_response(event_json(event))


@bp.post("/events/<int:event_id>/cancel")
def cancel_event(event_id: int):
    """Cancel a draft or published event for good, with an optional reason (body optional)."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    body = core.json_body() if request.content_length or request.get_data(cache=True) else {}
    values = core.read_fields(body, CANCEL_INPUT)
    event = event_service.cancel_event(event, reason=values.get("reason") or "")
    return core.data_response(event_json(event))
