"""What visitors may find: the public list of events, its filters, and event pages by link.

The list shows published and cancelled events whose visibility is public. Upcoming events
(not yet ended) come soonest first; past events most recent first. An event page is reachable
by link for any published or cancelled event, whatever its visibility; drafts only for the
event's team.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import and_, false, or_, select

from ...extensions import db
from ...models import Event, EventStatus, EventType, Visibility, utcnow
from ..access import Permission, has_permission
from ..errors import NotFound
from .event_values import SLUG_MAX

log = logging.getLogger(__name__)

PER_PAGE = 12
MAX_QUERY_LENGTH = 100
_LISTED_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)


@dataclass(frozen=True)
class EventFilters:
    """The visitor's choices on the list, already checked (invalid values dropped)."""

    q: str = ""
    event_type: EventType | None = None
    #: (year, month) of the event's local start
    month: tuple[int, int] | None = None
    past: bool = False
    page: int = 1

    @property
    def month_value(self) -> str:
        """The month as "YYYY-MM", or "" when none is chosen."""
        return f"{self.month[0]:04d}-{self.month[1]:02d}" if self.month else ""

    @property
    def active(self) -> bool:
        """True when the visitor narrowed the list (search, type or month)."""
        return bool(self.q or self.event_type or self.month)


def parse_filters(args) -> EventFilters:
    """Read the list's query string; values that make no sense are ignored, never an error."""
    printable = "".join(ch for ch in (args.get("q") or "") if ch.isprintable() or ch.isspace())
    q = " ".join(printable.split())[:MAX_QUERY_LENGTH]
    event_type = args.get("type") or ""
    return EventFilters(
        q=q,
        event_type=EventType(event_type) if event_type in EventType._value2member_map_ else None,
        month=_parse_month(args.get("month") or ""),
        past=args.get("when") == "past",
        page=_parse_page(args.get("page") or ""),
    )


def _parse_month(value: str) -> tuple[int, int] | None:
    year, sep, month = value.partition("-")
    if not (sep and len(year) == 4 and year.isdigit() and month.isdigit() and len(month) <= 2):
        return None
    year_number, month_number = int(year), int(month)
    if not (1 <= month_number <= 12 and 1970 <= year_number <= 9999):
        return None
    return year_number, month_number


def _parse_page(value: str) -> int:
    if not value.isdigit():
        return 1
    return max(1, min(int(value), 100_000))


def _listed(now: datetime, *, past: bool):
    condition = and_(Event.visibility == Visibility.PUBLIC, Event.status.in_(_LISTED_STATUSES))
    return and_(condition, Event.end_at <= now if past else Event.end_at > now)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _month_condition(year: int, month: int, zones: list[str]):
    """Events whose start, read in their own zone, falls in the month."""
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    parts = []
    for zone in zones:
        tz = ZoneInfo(zone)
        first = datetime(year, month, 1, tzinfo=tz).astimezone(UTC)
        after = datetime(next_year, next_month, 1, tzinfo=tz).astimezone(UTC)
        parts.append(and_(Event.timezone == zone, Event.start_at >= first, Event.start_at < after))
    return or_(*parts) if parts else false()


def listed_events_query(filters: EventFilters, *, now: datetime | None = None):
    """A select() of the events the list shows for ``filters``, in display order."""
    now = now or utcnow()
    query = select(Event).where(_listed(now, past=filters.past))
    if filters.q:
        pattern = f"%{_escape_like(filters.q)}%"
        # the texts of both languages (services.events.content_language keeps them in translations)
        translated = [Event.translations[language][field].as_string().ilike(pattern, escape="\\")
                      for language in ("en", "id") for field in ("title", "theme")]
        query = query.where(or_(
            Event.title.ilike(pattern, escape="\\"),
            Event.theme.ilike(pattern, escape="\\"),
            Event.venue_city.ilike(pattern, escape="\\"),
            *translated,
        ))
    if filters.event_type:
        query = query.where(Event.event_type == filters.event_type)
    if filters.month:
        zones = list(db.session.scalars(
            select(Event.timezone).where(_listed(now, past=filters.past)).distinct()
        ))
        query = query.where(_month_condition(*filters.month, zones))
    if filters.past:
        return query.order_by(Event.start_at.desc(), Event.id.desc())
    return query.order_by(Event.start_at, Event.id)


def list_events(filters: EventFilters, *, now: datetime | None = None):
    """One page (``db.paginate``) of listed events; a page past the end is empty, not an error."""
    return db.paginate(listed_events_query(filters, now=now), page=filters.page,
                       per_page=PER_PAGE, error_out=False, count=True)


def month_choices(*, past: bool = False, now: datetime | None = None) -> list[tuple[int, int]]:
    """The (year, month) pairs in which listed events start, in the events' own zones."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Event.start_at, Event.timezone).where(_listed(now, past=past))
    ).all()
    months = {
        (local.year, local.month)
        for local in (start.astimezone(ZoneInfo(zone)) for start, zone in rows)
    }
    return sorted(months, reverse=past)


def event_types_listed(*, past: bool = False, now: datetime | None = None) -> list[EventType]:
    """The event types that occur among listed events, in the enum's order."""
    now = now or utcnow()
    present = set(db.session.scalars(
        select(Event.event_type).where(_listed(now, past=past)).distinct()
    ))
    return [kind for kind in EventType if kind in present]


def find_visible_event(slug: str, user) -> tuple[Event, bool]:
    """The event at ``slug`` as ``user`` may see it, and whether it is a team-only preview.

    Raises NotFound for unknown slugs and for drafts the user may not view.
    """
    if len(slug) > SLUG_MAX or not slug.isprintable():
        raise NotFound(_("This event does not exist."))
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise NotFound(_("This event does not exist."))
    if event.status in _LISTED_STATUSES:
        return event, False
    if has_permission(user, event, Permission.VIEW):
        return event, True
    raise NotFound(_("This event does not exist."))
