"""How the check-in desk shows a check-in time and sums a delegate up in one line.

Names, roles and statuses come from services.registration.registration_labels, like everywhere else.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from ..i18n import country_name, local_date, local_datetime, local_time, zone_abbreviation
from ..models import Event, Registration, utcnow
from ..services.registration.registration_labels import display_name, role_label


def arrival_time(moment: datetime, event: Event) -> str:
    """A check-in time in the event's zone: "09:12 WITA" today, with the date on other days."""
    zone = event.timezone
    if moment.astimezone(ZoneInfo(zone)).date() != utcnow().astimezone(ZoneInfo(zone)).date():
        return local_datetime(moment, zone)
    return f"{local_time(moment, zone)} {zone_abbreviation(moment, zone)}"


def delegate_summary(registration: Registration) -> str:
    """ "H.E. Siti Rahma — Indonesia — Head of delegation" for the result panel."""
    return " — ".join(
        part for part in (display_name(registration), country_name(registration.country),
                          role_label(registration.delegation_role)) if part
    )


def early_notice(event: Event) -> str | None:
    """A warning for the desk before the event's first day (in its zone), else None."""
    zone = ZoneInfo(event.timezone)
    if utcnow().astimezone(zone).date() >= event.start_at.astimezone(zone).date():
        return None
    return _("The event starts on %(date)s; check-ins now are counted early.",
             date=local_date(event.start_at, event.timezone))
