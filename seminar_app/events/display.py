"""Public event pages: the list of events, an event's page and its calendar file."""

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_interval, format_time
from flask import Response, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..i18n import INDONESIAN_ZONES, current_language, formatting_locale, zone_abbreviation
from ..models import Event, EventType
from ..services.access import Permission, has_permission
from ..services.documents.calendar import calendar_filename, event_calendar
from ..services.events import attendance
from ..services.events.agenda import sessions_by_day
from ..services.events.content_language import register_template_helpers
from ..services.events.listing import (
    event_types_listed,
    find_visible_event,
    list_events,
    month_choices,
    parse_filters,
)
from ..services.policies import registration_refusal
from . import public_bp

log = logging.getLogger(__name__)

EVENT_TYPE_LABELS = {
    EventType.SEMINAR: _l("Seminar"),
    EventType.FORUM: _l("Forum"),
    EventType.CONFERENCE: _l("Conference"),
    EventType.WORKSHOP: _l("Workshop"),
}
LANGUAGE_LABELS = {"en": _l("English"), "id": _l("Bahasa Indonesia")}


@public_bp.get("/events/")
@public_bp.get("/")  # registered first: url_for("events.index") is "/"
def index():
    """Upcoming (or, with ?when=past, past) listed events, with search and filters."""
    filters = parse_filters(request.args)
    pagination = list_events(filters)
    return render_template(
        "events/event_list.html",
        filters=filters,
        pagination=pagination,
        events=pagination.items,
        months=month_choices(past=filters.past),
        types=event_types_listed(past=filters.past),
    )


@public_bp.get("/events/<slug>")
def show(slug: str):
    """An event's page: details, co-hosts, programme and how to register."""
    event, preview = find_visible_event(slug, current_user)
    return render_template(
        "events/event_show.html",
        event=event,
        preview=preview,
        can_view_management=has_permission(current_user, event, Permission.VIEW),
        agenda=sessions_by_day(event),
        register_url=url_for("events.show", slug=event.slug) + "/register",
        refusal=registration_refusal(event),
    )


@public_bp.get("/events/<slug>/calendar.ics")
def calendar(slug: str):
    """The event as an iCalendar file."""
    event, _preview = find_visible_event(slug, current_user)
    response = Response(event_calendar(event), content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{calendar_filename(event)}"'
    )
    return response


# --- helpers for the templates ----------------------------------------------------------------

@public_bp.record_once
def _content_language_helpers(state) -> None:
    """``localized`` and ``fallback_note`` for every template (emails too)."""
    register_template_helpers(state.app)
    attendance.register_template_helpers(state.app)  # join_link, attendance_label, ...


@public_bp.app_template_filter("day_heading")
def day_heading(day: date) -> str:
    """A local day as a heading in the visitor's language, e.g. "Selasa, 17 Maret 2026"."""
    return format_date(day, "full", locale=formatting_locale())


@public_bp.app_template_global()
def event_type_label(event_type: EventType) -> str:
    """The translated name of an event type."""
    return str(EVENT_TYPE_LABELS.get(event_type, event_type))


@public_bp.app_template_global()
def language_label(code: str) -> str:
    """The translated name of one of the event's languages."""
    return str(LANGUAGE_LABELS.get(code, code))


@public_bp.app_template_global()
def zone_label(event: Event) -> str:
    """The event's zone for people: "WIB", with the zone's long name when we have one."""
    abbreviation = zone_abbreviation(event.start_at, event.timezone)
    long_name = INDONESIAN_ZONES.get(event.timezone)
    return f"{long_name} ({event.timezone})" if long_name else f"{event.timezone} ({abbreviation})"


@public_bp.app_template_global()
def event_date_range(event: Event) -> str:
    """The event's local dates as a short range with the zone, e.g. "17–18 Mar 2026 · WIB"."""
    zone = ZoneInfo(event.timezone)
    start, end = event.start_at.astimezone(zone), event.end_at.astimezone(zone)
    language = current_language()
    if start.date() == end.date():
        text = format_date(start.date(), "medium", locale=formatting_locale(language))
    else:
        locale = formatting_locale(language)
        text = format_interval(start.date(), end.date(), "yMMMd", locale=locale)
    return f"{text} · {zone_abbreviation(event.start_at, event.timezone)}"


@public_bp.app_template_global()
def event_when(event: Event) -> str:
    """Full local dates and times with the zone, e.g. "Tuesday, March 17, 2026, 09:00 – ..."."""
    zone, language = ZoneInfo(event.timezone), current_language()
    start, end = event.start_at.astimezone(zone), event.end_at.astimezone(zone)
    abbreviation = zone_abbreviation(event.start_at, event.timezone)
    start_day = format_date(start.date(), "full", locale=formatting_locale(language))
    start_time = format_time(start, "short", tzinfo=zone, locale=formatting_locale(language))
    end_time = format_time(end, "short", tzinfo=zone, locale=formatting_locale(language))
    if start.date() == end.date():
        return f"{start_day}, {start_time}–{end_time} {abbreviation}"
    end_day = format_date(end.date(), "full", locale=formatting_locale(language))
    return f"{start_day}, {start_time} – {end_day}, {end_time} {abbreviation}"


@public_bp.app_template_filter("local_moment")
def local_moment(moment: datetime | None, zone_name: str) -> str:
    """A moment in ``zone_name``, compact, e.g. "17 Mar 2026, 09:00 WIB"."""
    if moment is None:
        return ""
    zone, language = ZoneInfo(zone_name), current_language()
    day = format_date(moment.astimezone(zone).date(), "medium", locale=formatting_locale(language))
    clock = format_time(moment, "short", tzinfo=zone, locale=formatting_locale(language))
    return f"{day}, {clock} {zone_abbreviation(moment, zone_name)}"


@public_bp.app_template_global()
def month_label(year: int, month: int) -> str:
    """A month in the visitor's language, e.g. "March 2026" / "Maret 2026"."""
    return format_date(date(year, month, 1), "LLLL y", locale=formatting_locale())
