"""Translated names of registration values (honorifics, roles, statuses) for pages and emails."""

from flask_babel import lazy_gettext as _l

from ...models import (
    DelegationRole,
    Honorific,
    OrganisationType,
    Registration,
    RegistrationStatus,
)
from ..events.content_language import localized_text
from .questions import event_questions

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
#: names of the fields a delegate fills in, for "what changed" messages
FIELD_LABELS = {
    "honorific": _l("Form of address"), "honorific_other": _l("Form of address"),
    "given_name": _l("Given name"), "family_name": _l("Family name"),
    "country": _l("Country"), "organisation": _l("Organisation"), "position": _l("Position"),
    "organisation_type": _l("Type of organisation"),
    "delegation_role": _l("Role in the delegation"), "phone": _l("Phone"),
    "language": _l("Language for emails"), "dietary": _l("Dietary requirements"),
    "accessibility": _l("Accessibility needs"),
    "needs_visa_letter": _l("Visa invitation letter"), "passport_number": _l("Passport number"),
    "nationality": _l("Nationality"), "birth_date": _l("Date of birth"),
    "birth_place": _l("Place of birth"), "passport_expiry": _l("Passport expiry date"),
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


def field_labels(event, fields) -> list[str]:
    """The translated names of the changed ``fields`` (``q_<id>``: the question's label), once
    each, in the order given."""
    questions = {f"q_{question.id}": question for question in event_questions(event)}
    labels = []
    for name in fields:
        if name in questions:
            label = localized_text(questions[name], "label")
        else:
            label = str(FIELD_LABELS.get(name, name))
        if label not in labels:
            labels.append(label)
    return labels
