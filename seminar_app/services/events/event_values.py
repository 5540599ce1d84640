"""What an organizer may type into an event: the fields, their limits, and the checks.

``clean_event_values`` turns the data of the event form into column values (times in UTC),
or raises a ServiceError naming the field at fault. services.events.events stores them.

How the event is attended (in person, online, hybrid) decides whether a venue and the online
link are needed: services.events.attendance.check_attendance_settings (an "in person" event
with only a link, made before the setting existed, is stored as online). The nomination
deadline (local time, like the registration window) must be before the event ends; promoted
delegates confirm within 1 to 30 days, or at once when empty.
"""

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from ...i18n import is_country_code, is_timezone
from ...models import EventType, Visibility
from ..errors import ServiceError
from ..privacy.retention import check_retention_settings
from .attendance import check_attendance_settings

SLUG_MAX = 80
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: languages an event can be held in, offered as checkboxes
EVENT_LANGUAGES = ("en", "id", "ar", "zh", "fr", "ru", "es", "pt", "de", "ja", "ko", "ms",
                   "nl", "th", "vi", "hi")
DESCRIPTION_MAX = 20_000
#: fields an organizer edits; the four times are local to ``timezone`` when naive
EVENT_FIELDS = (
    "title", "slug", "event_type", "theme", "description", "timezone", "start_at", "end_at",
    "venue_name", "venue_address", "venue_city", "venue_country", "online_url", "languages",
    "capacity", "registration_opens_at", "registration_closes_at", "visibility",
    "contact_name", "contact_email", "contact_phone", "requires_approval", "country_quota",
    "passport_retention_days", "anonymise_after_months",  # services.privacy.retention
    "attendance_mode",  # services.events.attendance
    "nomination_deadline", "promotion_confirm_days",
)
_TIME_FIELDS = ("start_at", "end_at", "registration_opens_at", "registration_closes_at",
                "nomination_deadline")
#: "promoted delegates must confirm within N days": the limits of N
PROMOTION_CONFIRM_DAYS_MIN, PROMOTION_CONFIRM_DAYS_MAX = 1, 30


def _to_utc(value: datetime | None, zone: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(UTC)


def is_web_url(url: str) -> bool:
    """True for an absolute http(s) address with a host; False for anything that is not an
    address at all (e.g. "http://[" which urlsplit refuses with ValueError)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def clean_event_values(data: dict) -> dict:
    """The event's column values from ``data``, checked; raises ServiceError naming the field."""
    values = {key: data.get(key) for key in EVENT_FIELDS if key in data}
    for key, value in values.items():
        if isinstance(value, str):
            values[key] = value.strip()
    if not values.get("title"):
        raise ServiceError(_("Please give the event a title."), field="title")
    values["slug"] = (values.get("slug") or "").lower()
    slug = values["slug"]
    if slug and (len(slug) > SLUG_MAX or not SLUG_PATTERN.match(slug)):
        raise ServiceError(_("Use lower-case letters, digits and single hyphens only."),
                           field="slug")
    zone = values.get("timezone") or "Asia/Jakarta"
    if not is_timezone(zone):
        raise ServiceError(_("Unknown time zone."), field="timezone")
    values["timezone"] = zone
    try:
        values["event_type"] = EventType(values.get("event_type") or EventType.SEMINAR)
        values["visibility"] = Visibility(values.get("visibility") or Visibility.PUBLIC)
    except ValueError as error:
        raise ServiceError(_("Please choose one of the options.")) from error
    for key in _TIME_FIELDS:
        values[key] = _to_utc(values.get(key), zone)
    _check_times(values)
    _check_place_and_details(values)
    check_retention_settings(values)
    return values


def _check_times(values: dict) -> None:
    start, end = values["start_at"], values["end_at"]
    if start is None:
        raise ServiceError(_("Please give the start date and time."), field="start_at")
    if end is None or end <= start:
        raise ServiceError(_("The end must be after the start."), field="end_at")
    opens, closes = values.get("registration_opens_at"), values.get("registration_closes_at")
    if opens is not None and opens >= end:
        raise ServiceError(_("Registration must open before the event ends."),
                           field="registration_opens_at")
    if closes is not None and opens is not None and closes <= opens:
        raise ServiceError(_("Registration must close after it opens."),
                           field="registration_closes_at")
    if closes is not None and closes > end:
        raise ServiceError(_("Registration cannot close after the event ends."),
                           field="registration_closes_at")
    deadline = values.get("nomination_deadline")
    if deadline is not None and deadline >= end:
        raise ServiceError(_("The nomination deadline must be before the event ends."),
                           field="nomination_deadline")
    days = values.get("promotion_confirm_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not (
            PROMOTION_CONFIRM_DAYS_MIN <= days <= PROMOTION_CONFIRM_DAYS_MAX)):
        raise ServiceError(_("Enter a number of days from %(min)d to %(max)d, or leave empty.",
                             min=PROMOTION_CONFIRM_DAYS_MIN, max=PROMOTION_CONFIRM_DAYS_MAX),
                           field="promotion_confirm_days")


def _check_place_and_details(values: dict) -> None:
    if values.get("online_url") and not is_web_url(values["online_url"]):
        raise ServiceError(_("Enter a web address starting with http:// or https://."),
                           field="online_url")
    problem = check_attendance_settings(values)  # the mode, the venue and the link
    if problem is not None:
        raise ServiceError(str(problem[1]), field=problem[0])
    country = (values.get("venue_country") or "").upper()
    if country and not is_country_code(country):
        raise ServiceError(_("Please choose a country from the list."), field="venue_country")
    values["venue_country"] = country
    if len(values.get("description") or "") > DESCRIPTION_MAX:
        raise ServiceError(_("The description is too long: at most %(max)d characters.",
                             max=DESCRIPTION_MAX), field="description")
    capacity = values.get("capacity")
    if capacity is not None and capacity < 1:
        raise ServiceError(_("The capacity must be at least 1, or empty for no limit."),
                           field="capacity")
    quota = values.get("country_quota")
    if quota is not None and quota < 1:
        raise ServiceError(_("The quota per country must be at least 1, or empty for no limit."),
                           field="country_quota")
    if "requires_approval" in values:
        values["requires_approval"] = bool(values["requires_approval"])
    languages = values.get("languages") or ["en"]
    if isinstance(languages, str):
        languages = languages.split(",")
    if any(code not in EVENT_LANGUAGES for code in languages):
        raise ServiceError(_("Please choose languages from the list."), field="languages")
    values["languages"] = ",".join(dict.fromkeys(languages))
