"""Translated names of registration values (honorifics, roles, statuses) for pages and emails."""

from flask_babel import lazy_gettext as _l

from ..models import (
    DelegationRole,
    Honorific,
    OrganisationType,
    Registration,
    RegistrationStatus,
)

HONORIFIC_LABELS = {
    Honorific.HE: _l("H.E."),
    Honorific.AMB: _l("Amb."),
    Honorific.MR: _l("Mr."),
    Honorific.MS: _l("Ms."),
    Honorific.DR: _l("Dr."),
    Honorific.PROF: _l("Prof."),
    Honorific.OTHER: _l("Other"),
}
ROLE_LABELS = {
    DelegationRole.HEAD: _l("Head of delegation"),
    DelegationRole.DELEGATE: _l("Delegate"),
    DelegationRole.OBSERVER: _l("Observer"),
    DelegationRole.MEDIA: _l("Media"),
    DelegationRole.SPEAKER: _l("Speaker"),
}
ORGANISATION_TYPE_LABELS = {
    OrganisationType.MINISTRY: _l("Ministry"),
    OrganisationType.EMBASSY: _l("Embassy or consulate"),
    OrganisationType.INTERNATIONAL_ORGANISATION: _l("International organisation"),
    OrganisationType.GOVERNMENT_AGENCY: _l("Government agency"),
    OrganisationType.ACADEMIA: _l("University or research institute"),
    OrganisationType.PRIVATE_SECTOR: _l("Private sector"),
    OrganisationType.CIVIL_SOCIETY: _l("Civil society"),
    OrganisationType.MEDIA: _l("Media"),
    OrganisationType.OTHER: _l("Other"),
}
STATUS_LABELS = {
    RegistrationStatus.PENDING: _l("Waiting for approval"),
    RegistrationStatus.CONFIRMED: _l("Confirmed"),
    RegistrationStatus.WAITLISTED: _l("On the waiting list"),
    RegistrationStatus.REJECTED: _l("Not accepted"),
    RegistrationStatus.CANCELLED: _l("Cancelled"),
}


def honorific_text(registration: Registration) -> str:
    """The form of address as printed: "H.E.", "Dr.", or the free text given for "other"."""
    if registration.honorific == Honorific.OTHER:
        return registration.honorific_other or ""
    label = HONORIFIC_LABELS.get(registration.honorific)
    return str(label) if label is not None else ""


def display_name(registration: Registration) -> str:
    """Honorific and full name, e.g. "H.E. Retno Marsudi"."""
    return " ".join(part for part in (honorific_text(registration), registration.full_name)
                    if part)


def role_label(role) -> str:
    """The translated name of a delegation role."""
    return str(ROLE_LABELS.get(role, role or ""))


def status_label(status) -> str:
    """The translated name of a registration status."""
    return str(STATUS_LABELS.get(status, status or ""))


def organisation_type_label(value) -> str:
    """The translated name of an organisation type (the raw value when unknown)."""
    label = ORGANISATION_TYPE_LABELS.get(value)
    return str(label) if label is not None else str(value or "")
