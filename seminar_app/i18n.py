"""Languages: choosing the visitor's, translating WTForms, countries, zones and dates."""

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

import pycountry
from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from flask import current_app, g, has_request_context, request
from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l

LANGUAGE_COOKIE = "lang"
LANGUAGE_NAMES = {"en": "English", "id": "Bahasa Indonesia"}

#: The three zones of Indonesia, offered first in every time-zone menu.
INDONESIAN_ZONES = {
    "Asia/Jakarta": _l("Western Indonesia Time (WIB)"),
    "Asia/Makassar": _l("Central Indonesia Time (WITA)"),
    "Asia/Jayapura": _l("Eastern Indonesia Time (WIT)"),
}


def select_locale() -> str:
    """The language for this request: ``g.locale_override``, then cookie, then browser."""
    supported = current_app.config["LANGUAGES"]
    override = getattr(g, "locale_override", None) if has_request_context() else None
    if override in supported:
        return override
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in supported:
        return cookie
    return (
        request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


#: Babel locale used to format dates and numbers for each interface language: British English
#: gives the 24-hour clock and day-month-year order usual in diplomatic correspondence.
FORMAT_LOCALES = {"en": "en_GB", "id": "id"}


def current_language() -> str:
    """Two-letter code of the language in use ("en" or "id")."""
    return str(get_locale() or "en")


def formatting_locale(language: str | None = None) -> str:
    """The Babel locale for dates and numbers in ``language`` (the current one by default)."""
    language = language or current_language()
    return FORMAT_LOCALES.get(language, language)


class WTFormsTranslations:
    """Hands WTForms' built-in messages to our own catalog (WTForms has no Indonesian)."""

    def gettext(self, string):
        return gettext(string)

    def ngettext(self, singular, plural, n):
        return ngettext(singular, plural, n)


wtforms_translations = WTFormsTranslations()


# --- countries -------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _country_names(language: str) -> dict[str, str]:
    territories = Locale.parse(language).territories
    names = {}
    for country in pycountry.countries:
        code = country.alpha_2
        names[code] = territories.get(code) or getattr(country, "common_name", country.name)
    return names


def country_name(code: str, language: str | None = None) -> str:
    """The country's name in ``language`` (the current one by default); "" for no code."""
    if not code:
        return ""
    return _country_names(language or current_language()).get(code.upper(), code)


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """(code, name) for every ISO 3166 country, sorted by name in ``language``."""
    return list(_sorted_countries(language or current_language()))


@lru_cache(maxsize=8)
def _sorted_countries(language: str) -> tuple[tuple[str, str], ...]:
    names = _country_names(language)
    return tuple(sorted(names.items(), key=lambda item: _sort_key(item[1])))


def is_country_code(code: str) -> bool:
    """True for an ISO 3166-1 alpha-2 code."""
    return bool(code) and code.upper() in _country_names("en")


def _sort_key(name: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


# --- time zones ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _all_zones() -> tuple[str, ...]:
    return tuple(
        sorted(
            z
            for z in available_timezones()
            if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/"))
        )
    )


def is_timezone(name: str) -> bool:
    """True for an IANA time zone name we offer."""
    return name in INDONESIAN_ZONES or name in _all_zones()


def timezone_choices() -> list[tuple[str, str]]:
    """Indonesia's three zones first, then every other IANA zone."""
    choices = [(zone, f"{label} — {zone}") for zone, label in INDONESIAN_ZONES.items()]
    choices += [
        (zone, zone.replace("_", " ")) for zone in _all_zones() if zone not in INDONESIAN_ZONES
    ]
    return choices


# --- dates -----------------------------------------------------------------------------------


def zone_abbreviation(dt: datetime, zone: str) -> str:
    """Short name of ``zone`` at ``dt``: WIB, WITA, WIT, CET, or an offset such as +04."""
    return dt.astimezone(ZoneInfo(zone)).tzname() or zone


def local_datetime(dt: datetime | None, zone: str, fmt: str = "medium", *, with_zone=True) -> str:
    """``dt`` shown in ``zone`` in the current language, e.g. "17 Mar 2026, 09.00 WIB"."""
    if dt is None:
        return ""
    tz, locale = ZoneInfo(zone), formatting_locale()
    local = dt.astimezone(tz)
    if fmt == "medium":  # medium date, short time: no seconds
        date_part = format_date(local.date(), "medium", locale=locale)
        text = f"{date_part}, {format_time(local, 'short', tzinfo=tz, locale=locale)}"
    else:
        text = format_datetime(local, fmt, tzinfo=tz, locale=locale)
    return f"{text} {zone_abbreviation(dt, zone)}" if with_zone else text


def local_date(dt: datetime | None, zone: str, fmt: str = "full") -> str:
    """The date of ``dt`` in ``zone``, in the current language."""
    if dt is None:
        return ""
    return format_date(dt.astimezone(ZoneInfo(zone)).date(), fmt, locale=formatting_locale())


def local_time(dt: datetime | None, zone: str, fmt: str = "short") -> str:
    """The time of ``dt`` in ``zone``, in the current language."""
    if dt is None:
        return ""
    return format_time(
        dt.astimezone(ZoneInfo(zone)), fmt, tzinfo=ZoneInfo(zone), locale=formatting_locale()
    )
