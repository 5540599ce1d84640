"""iCalendar (.ics) files for events, for the "Add to calendar" link and email attachments.

Times are written in the event's own zone (DTSTART;TZID=Asia/Makassar:...) with a VTIMEZONE
component, so calendars show the local time the organizers announced. The UID is stable
(event-<id>@<MAIL_DOMAIN>) and SEQUENCE grows with every change, so a calendar that imported
the file once updates the same entry when it imports it again.

The event's online join link is private (services.events.attendance): the public file
(``event_calendar``: the page's "Add to calendar", invitations) never carries it; the file
attached to a confirmed online delegate's own emails (``delegate_calendar``) does, in its
LOCATION and DESCRIPTION.
"""

import html
import logging
import time
from datetime import date, timedelta
from functools import lru_cache
from urllib.parse import quote
from zoneinfo import ZoneInfo

import markdown
import nh3
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Timezone, vCalAddress, vText
from icalendar import Event as ICalEvent

from ...branding import product_name
from ...i18n import country_name
from ...links import link_base_url
from ...models import Event, EventStatus, utcnow

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 4000


def event_uid(event: Event) -> str:
    """The stable UID of the event's calendar entry."""
    return f"event-{event.id}@{current_app.config['MAIL_DOMAIN']}"


def event_url(event: Event) -> str:
    """The absolute address of the event's public page (works outside requests too)."""
    return f"{link_base_url().rstrip('/')}/events/{quote(event.slug)}"


def calendar_filename(event: Event) -> str:
    """A file name for the event's .ics download."""
    return f"{event.slug}.ics"


#: how long a built .ics is reused for the same version of an event (confirmation emails of a
#: registration rush all attach the same file)
CALENDAR_REUSE_SECONDS = 60


def event_calendar(event: Event) -> bytes:
    """The event as an iCalendar file (bytes, UTF-8); reused while the event is unchanged."""
    key = (event.id, event.updated_at, event.status, product_name())
    built = current_app.extensions.setdefault("event_calendars", {})
    entry = built.get(key)
    if entry is not None and entry[0] > time.monotonic():
        return entry[1]
    data = _build_calendar(event)
    if len(built) > 256:
        built.clear()
    built[key] = (time.monotonic() + CALENDAR_REUSE_SECONDS, data)
    return data


def delegate_calendar(event: Event, join_url: str = "") -> bytes:
    """The event's file for one delegate: with ``join_url`` (the answer of
    services.events.attendance.join_link) the join link is in it; without, the public file."""
    if not join_url:
        return event_calendar(event)
    return _build_calendar(event, join_url)


def _build_calendar(event: Event, join_url: str = "") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", f"-//{product_name()}//Events//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(_timezone(event))
    calendar.add_component(_vevent(event, join_url))
    return calendar.to_ical()


def _timezone(event: Event) -> Timezone:
    """A VTIMEZONE for the event's zone covering the years around the event."""
    first = (event.start_at - timedelta(days=366)).date()
    last = (event.end_at + timedelta(days=366)).date()
    return _vtimezone(event.timezone, first, last)


@lru_cache(maxsize=64)
def _vtimezone(tzid: str, first: date, last: date) -> Timezone:
    """Building a VTIMEZONE walks the zone's transitions (~30 ms): done once per zone and span.

    The component is only read when calendars are serialized, so one instance can be shared.
    """
    return Timezone.from_tzid(tzid, first_date=first, last_date=last)


def _vevent(event: Event, join_url: str = "") -> ICalEvent:
    zone = ZoneInfo(event.timezone)
    vevent = ICalEvent()
    vevent.add("uid", event_uid(event))
    vevent.add("dtstamp", utcnow())
    vevent.add("dtstart", event.start_at.astimezone(zone))
    vevent.add("dtend", event.end_at.astimezone(zone))
    vevent.add("summary", event.title)
    description = _description(event)
    if join_url:
        description = f"{join_url}\n\n{description}"
    vevent.add("description", description)
    location = _location(event, join_url)
    if location:
        vevent.add("location", location)
    vevent.add("url", event_url(event))
    vevent.add("status", _status(event))
    vevent.add("sequence", _sequence(event))
    if event.updated_at is not None:
        vevent.add("last-modified", event.updated_at)
    if event.contact_email:
        organizer = vCalAddress(f"mailto:{event.contact_email}")
        if event.contact_name:
            organizer.params["cn"] = vText(event.contact_name)
        vevent.add("organizer", organizer)
    return vevent


def _status(event: Event) -> str:
    if event.status == EventStatus.CANCELLED:
        return "CANCELLED"
    return "CONFIRMED" if event.status == EventStatus.PUBLISHED else "TENTATIVE"


def _sequence(event: Event) -> int:
    """Seconds between creation and the last change: grows with every saved change."""
    if event.updated_at is None or event.created_at is None:
        return 0
    return max(0, int((event.updated_at - event.created_at).total_seconds()))


def _description(event: Event) -> str:
    """Plain text: theme, the organizers' text (Markdown reads as text) and the page's URL."""
    parts = [event.theme.strip(), _plain_text(event.description)[:MAX_DESCRIPTION]]
    if event.is_cancelled and event.cancellation_reason:
        parts.insert(0, event.cancellation_reason.strip())
    parts.append(event_url(event))
    return "\n\n".join(part for part in parts if part)


def _plain_text(text: str | None) -> str:
    """Markdown reduced to its words: rendered, stripped of every tag, entities decoded."""
    if not text:
        return ""
    rendered = markdown.markdown(text, extensions=["extra", "sane_lists"])
    return html.unescape(nh3.clean(rendered, tags=set())).strip()


def _location(event: Event, join_url: str = "") -> str:
    """The venue; "Online" for an online event; the join link only in a delegate's file."""
    place = [event.venue_name, event.venue_address, event.venue_city,
             country_name(event.venue_country)]
    text = ", ".join(part.strip() for part in place if part and part.strip())
    online = join_url
    if not online and event.online_url:  # in the event's first language, as the title
        first = event.language_list[0] if event.language_list else "en"
        with force_locale(first if first in ("en", "id") else "en"):
            online = _("Online")
    if online:
        text = f"{text} — {online}" if text else online
    return text
