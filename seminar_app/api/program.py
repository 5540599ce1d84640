"""An event's programme (agenda: sessions, their times and speakers) and its extra questions
(both languages, kinds, options), read-only.

The agenda of an event listed publicly (published or cancelled, visibility public: what the
home page lists) is public like the event's page: it answers without a token too. Any other
event's agenda, and every event's questions, need a token reaching the event (404 otherwise).
"""

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import AgendaSession, Event, EventStatus, Visibility
from ..services.access import Permission
from ..services.events.content_language import CONTENT_LANGUAGES, text_of
from ..services.registration.questions import event_questions
from . import core
from .core import ApiError, bp, iso

#: the events whose agenda anyone may read (the home page's list: services.events.listing)
PUBLIC_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)


def publicly_listed(event: Event) -> bool:
    """Whether the event is on the public list (its page and agenda are public)."""
    return event.status in PUBLIC_STATUSES and event.visibility == Visibility.PUBLIC


def _agenda_event(event_id: int) -> Event:
    """The event whose agenda is asked: public ones for anyone, else within the token's scope
    (no token: 401, as everywhere else)."""
    event = db.session.get(Event, event_id)
    if event is not None and publicly_listed(event):
        return event
    if core.current_token() is None:
        raise ApiError(401)
    event, _permissions = core.load_event(event_id, Permission.VIEW)
    return event


def _texts(obj, field: str) -> dict[str, object]:
    """What was written for ``field`` in each language (empty when nothing)."""
    return {code: text_of(obj, field, code) for code in CONTENT_LANGUAGES}


def session_json(session: AgendaSession, zone: ZoneInfo) -> dict:
    starts, ends = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
    return {
        "id": session.id,
        "title": session.title,
        "titles": _texts(session, "title"),
        "description": session.description,
        "descriptions": _texts(session, "description"),
        "room": session.room,
        "starts_at": iso(session.starts_at),
        "ends_at": iso(session.ends_at),
        "local_date": starts.date().isoformat(),
        "starts_at_local": starts.isoformat(),
        "ends_at_local": ends.isoformat(),
        "speakers": [{"name": speaker.name, "title": speaker.title,
                      "organisation": speaker.organisation} for speaker in session.speakers],
    }


@bp.get("/events/<int:event_id>/agenda")
def get_agenda(event_id: int):
    """The event's sessions in time order, with UTC and local times and their speakers."""
    event = _agenda_event(event_id)
    zone = ZoneInfo(event.timezone)
    sessions = db.session.scalars(
        select(AgendaSession).where(AgendaSession.event_id == event.id)
        .options(selectinload(AgendaSession.speakers))
        .order_by(AgendaSession.starts_at, AgendaSession.ends_at, AgendaSession.id)).all()
    return core.data_response({"event_id": event.id, "timezone": event.timezone,
                               "sessions": [session_json(s, zone) for s in sessions]})


def question_json(question) -> dict:
    return {
        "id": question.id,
        "position": question.position,
        "kind": question.kind.value,
        "required": question.required,
        "label": question.label,
        "labels": _texts(question, "label"),
        "choices": list(question.choices or []),
        "choices_by_language": _texts(question, "choices"),
    }


@bp.get("/events/<int:event_id>/questions")
def list_questions(event_id: int):
    """The event's extra questions in the order of the registration form."""
    event, _permissions = core.load_event(event_id, Permission.VIEW)
    return core.data_response([question_json(q) for q in event_questions(event)])
