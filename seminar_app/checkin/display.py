"""How the check-in desk shows a check-in time and sums a delegate up in one line.

Names, roles and statuses come from services.registration_labels, like everywhere else.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from ..i18n import country_name, local_datetime, local_time, zone_abbreviation
from ..models import Event, Registration, utcnow
from ..services.registration_labels import display_name, role_label


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
