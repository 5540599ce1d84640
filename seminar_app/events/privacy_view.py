"""An event's privacy page /events/<slug>/privacy: who is responsible for the delegates'
personal data, what is collected and why, who sees it, how long it is kept (the event's own
retention settings, services.privacy.retention) and how to ask for a copy or for erasure."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..i18n import formatting_locale
from ..models import Event
from ..services.events.listing import find_visible_event
from ..services.privacy.retention import anonymise_deadline, passport_deadline
from . import public_bp


@dataclass(frozen=True)
class RetentionWords:
    """The event's two retention settings, said in the visitor's language."""

    passport: str
    registrations: str


def _day(event: Event, moment: datetime) -> str:
    local = moment.astimezone(ZoneInfo(event.timezone)).date()
    return format_date(local, format="long", locale=formatting_locale())


def retention_words(event: Event) -> RetentionWords:
    """How long ``event`` keeps passport data and registrations, in words."""
    days = event.passport_retention_days
    passport = ngettext(
        "Passport data is deleted %(num)d day after the event ends (on %(date)s).",
        "Passport data is deleted %(num)d days after the event ends (on %(date)s).",
        days, date=_day(event, passport_deadline(event)))
    months, deadline = event.anonymise_after_months, anonymise_deadline(event)
    if deadline is None:
        registrations = _("Registrations are kept after the event, until the organizers erase "
                          "them or you ask them to.")
    else:
        registrations = ngettext(
            "Registrations are anonymised %(num)d month after the event ends (on %(date)s): "
            "only the country, role and status remain, for statistics.",
            "Registrations are anonymised %(num)d months after the event ends (on %(date)s): "
            "only the country, role and status remain, for statistics.",
            months, date=_day(event, deadline))
    return RetentionWords(passport=passport, registrations=registrations)


@public_bp.get("/events/<slug>/privacy")
def privacy(slug: str):
    """The event's privacy notice, public, in the visitor's language."""
    event, preview = find_visible_event(slug, current_user)
    return render_template("events/event_privacy.html", event=event, preview=preview,
                           controllers=[cohost.name for cohost in event.cohosts],
                           retention=retention_words(event))
