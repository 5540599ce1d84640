"""The named policies, each decided here and nowhere else: who may see delegates' personal
data, what a personal link may show and when it ends, and whether (and why not) an event takes
a registration. Screens, exports, PDFs and the API ask these functions; templates receive
their answers (``show_passport``, ``refusal``), never the ingredients.

Rules:
- Passport data (number, nationality, birth date and place, expiry) is seen only by the
  event's organizers: admins, the event's owner and team members with the manage right
  (``can_see_passport``). Screens, exports, visa letters and the API ask this function and
  nothing else; templates receive its answer as ``show_passport``.
- Linking an invitation to an existing registration needs the same right
  (``can_link_invitation``): the invitation's holder then reaches that registration.
- Contact data (email, phone) is seen by everyone on the event's team (``can_see_contact``);
  the check-in desk's offline list carries neither.
- A delegate's photo is personal data: shown to the delegate through their own personal link
  and to everyone on the event's team (``can_see_photo``), never cached (private, no-store),
  a 404 for anyone else.
- Every read of passport data by staff is recorded in the audit log as ``passport.read``
  (``record_passport_read``): the detail page that shows it, visa letters, exports with
  passport columns and API reads. The audit page filters on it.
- A personal link /r/<token> is safe to forward: its page shows the passport number masked
  (``mask_passport_number``) and never prefills the passport number, birth date or birthplace
  (``WRITE_ONLY_FIELDS``): the delegate types them again to change them.
- A personal link stops working when its registration is cancelled or rejected, when a
  short-lived link expires, and ``PERSONAL_LINK_DAYS_AFTER_EVENT`` days (default 30) after the
  event ends (``personal_link_refusal``).
- The head of a delegation manages it through their own personal link, and nobody else does
  through a link (``manages_delegation``): they see each member's name, role, reference,
  status and email and nothing more (``delegation_member_view``: no phone, passport, needs or
  answers), add members, remove them and resend their links. A member's link manages nothing.
  The head adds members while the event takes online registrations, invitation-only events
  included (the head was admitted already: ``member_addition_refusal``).
- An event takes a registration (``registration_refusal``) when it is not cancelled, is
  published (staff may add delegates to a draft), is not invitation-only for a public
  registration, and, online or through an invitation, while its registration window is open
  (no window: until the event ends). Staff add delegates also outside the window.
"""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _

from ..database import use_case
from ..models import (
    Event,
    EventStatus,
    Registration,
    RegistrationLink,
    RegistrationSource,
    RegistrationStatus,
    Visibility,
    utcnow,
)
from .access import Permission, has_permission
from .audit import record_action
from .registration.registration_labels import display_name

#: the passport fields of a registration
PASSPORT_FIELDS = ("passport_number", "nationality", "birth_date", "birth_place",
                   "passport_expiry")
#: passport fields a personal link never shows back; left empty on its form, they keep their value
WRITE_ONLY_FIELDS = ("passport_number", "birth_date", "birth_place")
#: registrations whose personal links no longer open
_ENDED = (RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED)
_MASK = "••••"


# --- staff -----------------------------------------------------------------------------------

def can_see_passport(user, event: Event) -> bool:
    """True when ``user`` may see the passport data of ``event``'s delegates."""
    return has_permission(user, event, Permission.MANAGE)


def can_see_contact(user, event: Event) -> bool:
    """True when ``user`` may see delegates' email addresses and phone numbers."""
    return has_permission(user, event, Permission.VIEW)


def can_see_photo(user, registration: Registration, *,
                  link_registration: Registration | None = None) -> bool:
    """True when the photo of ``registration`` may be shown: to the delegate through their
    own working personal link (``link_registration``, found by the link) and to staff who may
    view the event (the check-in desk included). Anyone else gets a 404."""
    if link_registration is not None and link_registration.id == registration.id:
        return True
    return has_permission(user, registration.event, Permission.VIEW)


def can_link_invitation(user, event: Event) -> bool:
    """True when ``user`` may link an invitation to an existing registration: the invitation's
    link then reaches that registration, so only who may see its data may do it."""
    return can_see_passport(user, event)


@use_case
def record_passport_read(user, event: Event, what: str, *, registration=None,
                         **details) -> None:
    """Audit that ``user`` read passport data of ``event`` (``what``: "page", "visa_letter",
    "export_csv", "export_xlsx", "api", ...; ``details`` such as the filters or a count);
    commits, as a read has no other transaction."""
    details = {"what": what, **details}
    if registration is not None:
        details["reference"] = registration.reference
    record_action("passport.read", registration, event_id=event.id, user=user, **details)


# --- the delegate's personal link ------------------------------------------------------------

def mask_passport_number(number: str | None) -> str:
    """``"A1234319"`` -> ``"••••319"``: enough to recognise one's passport, not to use it."""
    number = (number or "").strip()
    if not number:
        return ""
    return _MASK + number[-3:] if len(number) > 4 else _MASK


def personal_link_days_after_event() -> int:
    """How many days after the event's end personal links keep working."""
    return int(current_app.config["PERSONAL_LINK_DAYS_AFTER_EVENT"])


def personal_link_refusal(registration: Registration, link: RegistrationLink | None = None, *,
                          now: datetime | None = None) -> str | None:
    """Why this personal link no longer opens (a translated sentence), or None while it does."""
    now = now or utcnow()
    if registration.status in _ENDED:
        return _("This registration has been cancelled, so its personal link no longer works. "
                 "If you want to take part, please register again.")
    if link is not None and link.expires_at is not None and link.expires_at <= now:
        return _("This link has expired. Please open your registration from the latest email "
                 "we sent you, or ask for a new link on the event's registration page.")
    ends = registration.event.end_at + timedelta(days=personal_link_days_after_event())
    if now >= ends:
        return _("This event is over, and personal links stop working some time after it. "
                 "Please contact the organizers if you need anything.")
    return None


@dataclass(frozen=True)
class PersonalView:
    """What a personal link's page shows of the passport data (never the full number)."""

    needs_visa_letter: bool
    passport_number: str
    passport_expiry: object


def personal_view(registration: Registration) -> PersonalView:
    """The passport data a personal link may show: the number masked, the expiry date."""
    return PersonalView(needs_visa_letter=registration.needs_visa_letter,
                        passport_number=mask_passport_number(registration.passport_number),
                        passport_expiry=registration.passport_expiry)


def keep_write_only_values(registration: Registration, data: dict) -> dict:
    """``data`` from a personal link's form where write-only fields left empty keep the stored
    values (the form never shows them back)."""
    if not data.get("needs_visa_letter") or not registration.needs_visa_letter:
        return data
    kept = dict(data)
    for key in WRITE_ONLY_FIELDS:
        if not str(kept.get(key) or "").strip():  # blank: the form sends values as typed
            kept[key] = getattr(registration, key)
    return kept


# --- whether an event takes a registration ---------------------------------------------------

class RefusalKind(enum.StrEnum):
    """Why an event does not take a registration now."""

    CANCELLED = "cancelled"
    NOT_PUBLISHED = "not_published"
    INVITATION_ONLY = "invitation_only"
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Refusal:
    """A refused registration: the reason's kind and the sentence to show."""

    kind: RefusalKind
    message: str


def registration_refusal(event: Event, source=RegistrationSource.ONLINE, *,
                         now: datetime | None = None) -> Refusal | None:
    """Why ``event`` does not take a registration from ``source`` now, or None when it does."""
    now = now or utcnow()
    if event.status == EventStatus.CANCELLED:
        return Refusal(RefusalKind.CANCELLED,
                       _("This event has been cancelled; registration is closed."))
    if event.status != EventStatus.PUBLISHED and source != RegistrationSource.STAFF:
        return Refusal(RefusalKind.NOT_PUBLISHED,
                       _("Registration opens once the event is published."))
    if source == RegistrationSource.ONLINE and event.visibility == Visibility.INVITATION_ONLY:
        return Refusal(RefusalKind.INVITATION_ONLY, _(
            "Registration for this event is by invitation only. If you have been invited, "
            "please use the personal link in your invitation email."))
    if source == RegistrationSource.STAFF or event.registration_is_open(now):
        return None
    if event.registration_opens_at is not None and now < event.registration_opens_at:
        return Refusal(RefusalKind.NOT_YET_OPEN,
                       _("Registration for this event has not opened yet."))
    return Refusal(RefusalKind.CLOSED, _("Registration for this event is closed."))


# --- a delegation's head ----------------------------------------------------------------------

def manages_delegation(link_registration: Registration,
                       member: Registration | None = None) -> bool:
    """True when the registration opened by a personal link (``link_registration``) heads its
    delegation and, with ``member``, that member belongs to the same delegation (and is not the
    head: the head changes their own registration as any delegate does)."""
    delegation = link_registration.delegation
    if delegation is None or delegation.head_registration_id != link_registration.id:
        return False
    if member is None:
        return True
    return member.delegation_id == delegation.id and member.id != link_registration.id


@dataclass(frozen=True)
class DelegationMemberView:
    """What the head of a delegation sees of one member: nothing beyond these."""

    id: int
    name: str
    delegation_role: str
    reference: str
    status: RegistrationStatus
    email: str
    is_head: bool


def delegation_member_view(member: Registration) -> DelegationMemberView:
    """The member as their head sees them (name, role, reference, status, email)."""
    delegation = member.delegation
    return DelegationMemberView(
        id=member.id, name=display_name(member), delegation_role=member.delegation_role,
        reference=member.reference, status=member.status, email=member.email,
        is_head=delegation is not None and delegation.head_registration_id == member.id)


def member_addition_refusal(event: Event, *, now: datetime | None = None) -> Refusal | None:
    """Why the head of a delegation cannot add a member to it now, or None when they can: the
    event's refusal of an online registration, except that invitation-only events let the
    head (admitted already) add members."""
    refusal = registration_refusal(event, RegistrationSource.ONLINE, now=now)
    if refusal is not None and refusal.kind == RefusalKind.INVITATION_ONLY:
        return None
    return refusal
