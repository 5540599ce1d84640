"""Invitations: invitees (list with statuses, add, read with step times, change, remove,
record an answer received outside the system) and mailings (list, send, progress)."""

import re
from dataclasses import replace
from datetime import datetime

from flask import request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..models import Honorific, InviteeKind, Mailing, MailingKind, RegistrationStatus
from ..services.access import Permission
from ..services.invitations import invitation_status, scheduling
from ..services.invitations import invitations as invitation_service
from ..services.invitations import mailings as mailing_service
from . import core
from .core import ApiError, Field, bp
from .serializers import invitee_json, mailing_json

INVITEE_INPUT = [
    Field("honorific", "enum", choices=tuple(h.value for h in Honorific), nullable=True),
    Field("honorific_other", "string", max_length=40, pattern="[^<>]*"),
    Field("name", "string", max_length=200, required=True,
          pattern=f"[^<>]*{core.NOT_BLANK[:-1]}<>][^<>]*", description="No < or >."),
    Field("email", "string", max_length=254, required=True, format="email",
          description="An address our mail server can send to (ASCII, a domain name with a "
                      "dot). Already on this event's list: 409."),
    Field("country", "enum", choices=("", *core.COUNTRY_CODES),
          description="ISO 3166-1 alpha-2 or empty."),
    Field("organisation", "string", max_length=200, pattern="[^<>]*"),
    Field("position", "string", max_length=200, pattern="[^<>]*"),
    Field("language", "enum", choices=("en", "id")),
    Field("group_name", "string", max_length=100, pattern="[^<>]*"),
    Field("note", "text", max_length=2000, description="Staff's own note."),
    Field("kind", "enum", choices=tuple(k.value for k in InviteeKind),
          description="person (default) or organisation: a mission whose focal point (name "
                      "and email) nominates its delegation; an organisation needs a country."),
]
INVITEE_PATCH = [replace(spec, required=False) for spec in INVITEE_INPUT]
RESPONSE_INPUT = [
    Field("response", "enum", choices=("accepted", "declined"), required=True),
    Field("channel", "enum", choices=tuple(c.value for c in invitation_service.OFFLINE_CHANNELS),
          required=True, description="How the answer reached the organizers."),
    Field("answered_on", "date", required=True,
          description="Day of the answer: from the year 2000, not in the future (in the "
                      "event's time zone).", extra={"pattern": "^(2[0-9]{3}|[3-8][0-9]{3}|9000)-"}),
    Field("note", "text", max_length=2000, description="E.g. the number of the note verbale."),
]
#: idempotency keys a client may send (namespaced per token before they are stored)
IDEMPOTENCY_KEY = r"[A-Za-z0-9_-]{16,40}"
#: a scheduled time: ISO 8601, its offset optional (then the event's time zone)
SCHEDULE_PATTERN = (r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?"
                    r"(Z|[+-][0-9]{2}:[0-9]{2})?")
MAILING_INPUT = [
    Field("kind", "enum", choices=tuple(k.value for k in mailing_service.AUDIENCES),
          required=True),
    Field("audience", "enum",
          choices=tuple(dict.fromkeys(a for group in mailing_service.AUDIENCES.values()
                                      for a in group)),
          description="invitation: all, group, not_invited; reminder: not_answered; "
                      "announcement: registered. Default: the first of the kind."),
    Field("group", "string", max_length=100),
    Field("statuses", "string-list",
          choices=tuple(s.value for s in mailing_service.ANNOUNCEMENT_STATUSES),
          description="Announcements: the registration statuses it goes to."),
    Field("attach_calendar", "boolean"),
    Field("idempotency_key", "string", max_length=40, pattern=IDEMPOTENCY_KEY,
          description="Used when no Idempotency-Key header is sent."),
    Field("scheduled_at", "string", pattern=SCHEDULE_PATTERN,
          description="Start it at this time instead of now: ISO 8601 with its offset "
                      "(2026-05-01T09:00:00+07:00, or Z for UTC), or without an offset, read "
                      "in the event's time zone (2026-05-01T09:00). In the future, at most "
                      "366 days ahead. Its audience is evaluated when it starts."),
]
#: what can be changed of a scheduled mailing (until it starts)
MAILING_PATCH = [spec for spec in MAILING_INPUT if spec.name in (
    "audience", "group", "statuses", "attach_calendar", "scheduled_at")]


@bp.get("/events/<int:event_id>/invitees")
def list_invitees(event_id: int):
    """Filters: status, group, country, q (name, email, organisation)."""
    event, _permissions = core.load_event(event_id, Permission.INVITE)
    status = core.query_arg("status", "enum",
                            choices=[s.value for s in invitation_status.InviteeStatus])
    group = core.query_arg("group", "string", max_length=100) or ""
    country = core.query_arg("country", "country") or ""
    q = core.query_arg("q", "string", max_length=200) or ""
    filters = invitation_status.InviteeFilters.from_args(
        {"status": status or "", "group": group, "country": country, "q": q})
    items, meta, link = core.paginate(invitation_status.invitees_query(event, filters))
    progress = invitation_status.progress_of(items)
    return core.page_response(
        [invitee_json(invitee, progress[invitee.id]) for invitee in items], meta, link)


@bp.post("/events/<int:event_id>/invitees")
def create_invitee(event_id: int):
    event, _permissions = core.load_event(event_id, Permission.INVITE, write=True)
    values = core.read_fields(core.json_body(), INVITEE_INPUT)
    invitee = invitation_service.add_invitee(event, values, actor=core.acting_user())
    response = core.data_response(
        invitee_json(invitee, invitation_status.invitee_progress(invitee)), 201)
    response.headers["Location"] = url_for("api.get_invitee", event_id=event.id,
                                           invitee_id=invitee.id)
    return response


@bp.get("/events/<int:event_id>/invitees/<int:invitee_id>")
def get_invitee(event_id: int, invitee_id: int):
    event, _permissions = core.load_event(event_id, Permission.INVITE)
    invitee = invitation_service.get_invitee(event, invitee_id)
    return core.data_response(invitee_json(invitee, invitation_status.invitee_progress(invitee)))


def _invitee_answer(invitee):
    return core.data_response(invitee_json(invitee, invitation_status.invitee_progress(invitee)))


@bp.patch("/events/<int:event_id>/invitees/<int:invitee_id>")
def update_invitee(event_id: int, invitee_id: int):
    """Change an invitee's details (fields left out keep their value; the link stays)."""
    event, _permissions = core.load_event(event_id, Permission.INVITE, write=True)
    invitee = invitation_service.get_invitee(event, invitee_id)
    values = core.read_fields(core.json_body(), INVITEE_PATCH, partial=True)
    data = {key: getattr(invitee, key) for key in invitation_service.INVITEE_FIELDS}
    data["honorific"] = invitee.honorific.value if invitee.honorific else None
    data.update(values)
    invitee = invitation_service.update_invitee(invitee, data, actor=core.acting_user())
    return _invitee_answer(invitee)


@bp.delete("/events/<int:event_id>/invitees/<int:invitee_id>")
def delete_invitee(event_id: int, invitee_id: int):
    """Remove an invitee who has not registered (409 once they have)."""
    event, _permissions = core.load_event(event_id, Permission.INVITE, write=True)
    invitee = invitation_service.get_invitee(event, invitee_id)
    invitation_service.delete_invitee(invitee, actor=core.acting_user())
    return "", 204


@bp.post("/events/<int:event_id>/invitees/<int:invitee_id>/response")
def record_response(event_id: int, invitee_id: int):
    """Record an answer that reached staff outside the system (note verbale, letter, call)."""
    event, _permissions = core.load_event(event_id, Permission.INVITE, write=True)
    invitee = invitation_service.get_invitee(event, invitee_id)
    values = core.read_fields(core.json_body(), RESPONSE_INPUT)
    invitee = invitation_service.record_offline_response(
        invitee, response=values["response"], channel=values["channel"],
        answered_on=values["answered_on"], note=values.get("note") or "",
        actor=core.acting_user())
    return _invitee_answer(invitee)


@bp.get("/events/<int:event_id>/mailings")
def list_mailings(event_id: int):
    """The event's mailings, newest first, each with its progress."""
    event, _permissions = core.load_event(event_id, Permission.INVITE)
    query = select(Mailing).where(Mailing.event_id == event.id) \
        .order_by(Mailing.created_at.desc(), Mailing.id.desc())
    items, meta, link = core.paginate(query)
    progress = mailing_service.progress_of(items)
    return core.page_response([mailing_json(m, progress[m.id]) for m in items], meta, link)


def _idempotency_key(values: dict) -> str:
    header = request.headers.get("Idempotency-Key")
    key = header if header is not None else values.get("idempotency_key") or ""
    if not re.fullmatch(IDEMPOTENCY_KEY, key):
        message = _("Send an Idempotency-Key header (16 to 40 letters, digits, - or _): "
                    "the same key again returns the same mailing.")
        raise ApiError(422, message, fields={"idempotency_key": message})
    return f"api{core.current_token().id}-{key}"


@bp.post("/events/<int:event_id>/mailings")
def create_mailing(event_id: int):
    """Send invitations, reminders or an announcement; idempotent by its key."""
    event, _permissions = core.load_event(event_id, Permission.INVITE, write=True)
    values = core.read_fields(core.json_body(), MAILING_INPUT)
    send_key = _idempotency_key(values)
    kind = MailingKind(values["kind"])
    data = {"audience": values.get("audience") or "", "group": values.get("group") or "",
            "statuses": values.get("statuses")
            or [RegistrationStatus.CONFIRMED.value, RegistrationStatus.WAITLISTED.value]}
    mailing, created = mailing_service.create_mailing(
        event, kind, data, send_key=send_key,
        attach_calendar=bool(values.get("attach_calendar")), actor=core.acting_user(),
        scheduled_at=_scheduled_at(values))
    progress = mailing_service.progress_of([mailing])[mailing.id]
    response = core.data_response(mailing_json(mailing, progress), 201 if created else 200)
    response.headers["Location"] = url_for("api.get_mailing", event_id=event.id,
                                           mailing_id=mailing.id)
    return response


@bp.get("/events/<int:event_id>/mailings/<int:mailing_id>")
def get_mailing(event_id: int, mailing_id: int):
    event, _permissions = core.load_event(event_id, Permission.INVITE)
    mailing = mailing_service.get_mailing(event, mailing_id)
    progress = mailing_service.progress_of([mailing])[mailing.id]
    return core.data_response(mailing_json(mailing, progress))


def _scheduled_at(values: dict) -> datetime | None:
    """The scheduled time given (a naive one is the event's local time: the service reads
    it so); 422 for a date that does not exist."""
    text = values.get("scheduled_at")
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        message = _("Give a date and time such as 2026-05-01T09:00 (the event's time zone) "
                    "or 2026-05-01T09:00:00+07:00.")
        raise ApiError(422, message, fields={"scheduled_at": message}) from None


@bp.patch("/events/<int:event_id>/mailings/<int:mailing_id>")
def update_mailing(event_id: int, mailing_id: int):
    """Change a scheduled mailing until it starts (fields left out keep their value)."""
    event, _permissions = core.load_event(event_id, Permission.INVITE, write=True)
    mailing = mailing_service.get_mailing(event, mailing_id)
    values = core.read_fields(core.json_body(), MAILING_PATCH, partial=True)
    audience = None
    if {"audience", "group", "statuses"} & set(values):
        audience = {**mailing.audience, **{key: values[key] for key in
                                           ("audience", "group", "statuses") if key in values}}
    mailing = scheduling.update_scheduled_mailing(
        mailing, actor=core.acting_user(), scheduled_at=_scheduled_at(values),
        audience=audience, attach_calendar=values.get("attach_calendar"))
    progress = mailing_service.progress_of([mailing])[mailing.id]
    return core.data_response(mailing_json(mailing, progress))


@bp.post("/events/<int:event_id>/mailings/<int:mailing_id>/cancel")
def cancel_mailing(event_id: int, mailing_id: int):
    """Cancel a scheduled mailing (409 once it has started)."""
    event, _permissions = core.load_event(event_id, Permission.INVITE, write=True)
    mailing = mailing_service.get_mailing(event, mailing_id)
    mailing = scheduling.cancel_scheduled_mailing(mailing, actor=core.acting_user())
    progress = mailing_service.progress_of([mailing])[mailing.id]
    return core.data_response(mailing_json(mailing, progress))
