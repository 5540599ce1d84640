"""How the check-in desk names a delegate and a check-in time."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from ..i18n import country_name, local_datetime, local_time, zone_abbreviation
from ..models import DelegationRole, Event, Honorific, Registration, RegistrationStatus, utcnow

HONORIFIC_LABELS = {
    Honorific.HE: _l("H.E."),
    Honorific.AMB: _l("Amb."),
    Honorific.MR: _l("Mr."),
    Honorific.MS: _l("Ms."),
    Honorific.DR: _l("Dr."),
    Honorific.PROF: _l("Prof."),
}
ROLE_LABELS = {
    DelegationRole.HEAD: _l("Head of delegation"),
    DelegationRole.DELEGATE: _l("Delegate"),
    DelegationRole.OBSERVER: _l("Observer"),
    DelegationRole.MEDIA: _l("Media"),
    DelegationRole.SPEAKER: _l("Speaker"),
}
STATUS_LABELS = {
    RegistrationStatus.PENDING: _l("Awaiting approval"),
    RegistrationStatus.CONFIRMED: _l("Confirmed"),
    RegistrationStatus.WAITLISTED: _l("Waiting list"),
    RegistrationStatus.REJECTED: _l("Rejected"),
    RegistrationStatus.CANCELLED: _l("Cancelled"),
}


def display_name(registration: Registration) -> str:
    """Honorific and full name, e.g. "H.E. Siti Rahma"."""
    if registration.honorific == Honorific.OTHER:
        honorific = registration.honorific_other
    else:
        honorific = str(HONORIFIC_LABELS.get(registration.honorific, ""))
    return f"{honorific} {registration.full_name}".strip()


def role_label(registration: Registration) -> str:
    """The delegation role in the current language."""
    return str(ROLE_LABELS.get(registration.delegation_role, registration.delegation_role))


def status_label(registration: Registration) -> str:
    """The registration's status in the current language."""
    return str(STATUS_LABELS.get(registration.status, registration.status))


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
                          role_label(registration)) if part
    )
