"""The programme of an event: adding, changing and removing sessions and their speakers.

Organizers enter a session as a local date with start and end times in the event's zone;
the service turns them into UTC and checks that the session falls within the event's days.
"""

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from itertools import groupby
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...database import use_case
from ...extensions import db
from ...i18n import formatting_locale
from ...models import AgendaSession, Event, Speaker
from ..audit import record_action
from ..errors import NotFound, ServiceError
from .content_language import CONTENT_LANGUAGES, base_language, merge_texts

log = logging.getLogger(__name__)

MAX_SPEAKERS = 10
_SPEAKER_FIELDS = ("name", "title", "organisation")
#: a session's texts kept per language, with their longest length
SESSION_TEXTS = {"title": 300, "description": 5000}


def event_days(event: Event) -> tuple[date, date]:
    """The first and last local day of the event, in its zone."""
    zone = ZoneInfo(event.timezone)
    return event.start_at.astimezone(zone).date(), event.end_at.astimezone(zone).date()


def local_parts(session: AgendaSession, zone_name: str) -> tuple[date, time, time]:
    """The session's local day, start time and end time in ``zone_name``."""
    zone = ZoneInfo(zone_name)
    starts, ends = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
    return starts.date(), starts.time().replace(tzinfo=None), ends.time().replace(tzinfo=None)


def sessions_by_day(event: Event) -> list[tuple[date, list[AgendaSession]]]:
    """The event's sessions grouped by local day in the event's zone, both in time order."""
    zone = ZoneInfo(event.timezone)
    sessions = db.session.scalars(
        select(AgendaSession)
        .where(AgendaSession.event_id == event.id)
        .options(selectinload(AgendaSession.speakers))
        .order_by(AgendaSession.starts_at, AgendaSession.ends_at, AgendaSession.id)
    ).all()
    return [
        (day, list(items))
        for day, items in groupby(sessions, key=lambda s: s.starts_at.astimezone(zone).date())
    ]


def get_session(event: Event, session_id: int) -> AgendaSession:
    """The session ``session_id`` of ``event``; NotFound when it belongs to another event."""
    session = db.session.scalar(
        select(AgendaSession).where(AgendaSession.id == session_id,
                                    AgendaSession.event_id == event.id)
    )
    if session is None:
        raise NotFound(_("This session does not exist in this event."))
    return session


@use_case
def add_session(event: Event, *, day: date, start: time, end: time, title: str,
                room: str = "", description: str = "", speakers: Iterable[dict] = (),
                translations: dict | None = None) -> AgendaSession:
    """Add a session to the event's programme.

    ``translations`` (``{"en": {"title": ..., "description": ...}, "id": {...}}``) gives the
    texts per language; without it ``title`` and ``description`` are the event's base
    language's.
    """
    starts_at, ends_at = _checked_times(event, day, start, end)
    session = AgendaSession(event=event, starts_at=starts_at, ends_at=ends_at)
    title, description = _texts(session, event, title, description, translations)
    _apply(session, title=title, room=room, description=description, speakers=speakers)
    db.session.add(session)
    db.session.flush()
    record_action("agenda.session_add", session, event_id=event.id, title=session.title)
    log.info("added session %s to event %s", session.id, event.id)
    return session


@use_case
def update_session(session: AgendaSession, *, day: date, start: time, end: time, title: str,
                   room: str = "", description: str = "", speakers: Iterable[dict] = (),
                   translations: dict | None = None) -> AgendaSession:
    """Change a session's time, texts (see ``add_session``) and speakers."""
    event = session.event
    starts_at, ends_at = _checked_times(event, day, start, end)
    session.starts_at, session.ends_at = starts_at, ends_at
    title, description = _texts(session, event, title, description, translations)
    _apply(session, title=title, room=room, description=description, speakers=speakers)
    record_action("agenda.session_update", session, event_id=event.id, title=session.title)
    log.info("updated session %s of event %s", session.id, event.id)
    return session


@use_case
def delete_session(session: AgendaSession) -> None:
    """Remove a session and its speakers from the programme."""
    event_id, title = session.event_id, session.title
    record_action("agenda.session_delete", session, event_id=event_id, title=title)
    db.session.delete(session)
    log.info("deleted session %s of event %s", session.id, event_id)


def _texts(session: AgendaSession, event: Event, title: str, description: str,
           translations: dict | None) -> tuple[str, str]:
    """Store the session's texts per language; the title and description in the base one."""
    given = None
    if translations is not None:
        given = {}
        for code, texts in translations.items():
            if code not in CONTENT_LANGUAGES:
                continue
            given[code] = {"title": _clean((texts or {}).get("title")),
                           "description": _clean((texts or {}).get("description"),
                                                 multiline=True)}
            for field, limit in SESSION_TEXTS.items():
                if len(given[code][field]) > limit:
                    name = field if code == CONTENT_LANGUAGES[0] else f"{field}_{code}"
                    raise ServiceError(_("Please use at most %(max)d characters.", max=limit),
                                       field=name)
    stored = None
    if session.id is not None:
        stored = {"title": session.title, "description": session.description}
    new, values = merge_texts(
        current=session.translations, given=given,
        plain={"title": _clean(title), "description": _clean(description, multiline=True)},
        fields=tuple(SESSION_TEXTS), base=base_language(event), stored=stored)
    session.translations = new
    return values["title"], values["description"]


def _checked_times(event: Event, day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """Local day and times as UTC, after checking the order and the event's days."""
    if end <= start:
        raise ServiceError(_("The session must end after it starts."), field="end_time")
    first, last = event_days(event)
    if not first <= day <= last:
        raise ServiceError(
            _("The session must take place during the event (%(first)s to %(last)s).",
              first=_day_text(first), last=_day_text(last)),
            field="day",
        )
    zone = ZoneInfo(event.timezone)
    starts_at = datetime.combine(day, start, tzinfo=zone).astimezone(UTC)
    ends_at = datetime.combine(day, end, tzinfo=zone).astimezone(UTC)
    return starts_at, ends_at


def _day_text(day: date) -> str:
    return format_date(day, "long", locale=formatting_locale())


def _apply(session: AgendaSession, *, title: str, room: str, description: str,
           speakers: Iterable[dict]) -> None:
    title = _clean(title)
    if not title:
        raise ServiceError(_("Please give the session a title."), field="title")
    session.title = title
    session.room = _clean(room)
    session.description = _clean(description, multiline=True)
    rows = _clean_speakers(speakers)
    session.speakers.clear()
    if session.id is not None:
        db.session.flush()  # remove the old rows before the new ones take their places
    for position, row in enumerate(rows):
        session.speakers.append(Speaker(position=position, **row))


def _clean(text: str | None, *, multiline: bool = False) -> str:
    """``text`` trimmed and without control characters (line breaks kept if ``multiline``)."""
    keep = "\n\t" if multiline else ""
    return "".join(ch for ch in (text or "") if ch.isprintable() or ch in keep).strip()


def _clean_speakers(speakers: Iterable[dict]) -> list[dict]:
    """Speakers with a name, trimmed; rows without a name are ignored."""
    rows = []
    for raw in speakers:
        row = {key: _clean(raw.get(key)) for key in _SPEAKER_FIELDS}
        if not row["name"]:
            if row["title"] or row["organisation"]:
                raise ServiceError(_("Each speaker needs a name."), field="speakers")
            continue
        rows.append(row)
    if len(rows) > MAX_SPEAKERS:
        raise ServiceError(
            _("A session can have at most %(count)d speakers.", count=MAX_SPEAKERS),
            field="speakers",
        )
    return rows
