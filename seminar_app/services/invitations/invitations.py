"""Invitees: checking their details, adding, changing and removing them; their personal links.

Rules:
- One invitee per event and email (a database constraint); emails are kept lower-case.
- The personal link /i/<token> carries ``HMAC-SHA256(SECRET_KEY, token_salt)``; only the
  token's SHA-256 is stored, so a copy of the database alone opens no invitation, and every
  email about the same invitation carries the same link. ``rotate_invitee_link`` draws a new
  salt: the old link stops working.
- Links stop working after the event has ended (``link_is_expired``).
- ``check_invitee_values`` is the one place that says what a valid invitee is; the form, the
  import and the API all go through it.
- An answer recorded by staff has a date, not a time (``Invitee.answered_on``); recording it or
  linking a registration cancels the invitee's invitations and reminders still waiting
  (mailing_audiences.cancel_queued_invitations).
"""

import base64
import hashlib
import hmac
import logging
import re
import secrets
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ...database import use_case
from ...extensions import db
from ...i18n import is_country_code
from ...models import (
    Event,
    Honorific,
    InvitationResponse,
    Invitee,
    InviteeKind,
    Mailing,
    OutboxEmail,
    Registration,
    RegistrationStatus,
    ResponseChannel,
    utcnow,
)
from ..audit import record_action
from ..errors import Conflict, NotFound, PermissionDenied, ServiceError
from ..policies import can_link_invitation
from ..privacy.retention import scrub_invitee
from ..registration.registration_codes import hash_token
from .invitation_status import list_choices
from .invitee_kind import kind_message, kind_refusal, read_kind
from .mailing_audiences import cancel_queued_invitations

log = logging.getLogger(__name__)

#: the columns staff (or an import) fill in
INVITEE_FIELDS = ("honorific", "honorific_other", "name", "email", "country", "organisation",
                  "position", "language", "group_name", "note")
#: column -> maximum length
_LIMITS = {"honorific_other": 40, "name": 200, "email": 254, "organisation": 200,
           "position": 200, "group_name": 100, "note": 2000}
_MARKUP = re.compile(r"[<>]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{40,50}$")


# --- personal links --------------------------------------------------------------------------

def new_token_salt() -> str:
    """A fresh random salt for an invitee's link."""
    return secrets.token_hex(16)


def invitee_token(invitee: Invitee) -> str:
    """The token of ``invitee``'s personal link (derived; never stored)."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode("utf-8") if isinstance(key, str) else key
    digest = hmac.new(key, f"invitee:{invitee.token_salt}".encode("ascii"),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _set_link(invitee: Invitee) -> None:
    invitee.token_salt = new_token_salt()
    invitee.token_hash = hash_token(invitee_token(invitee))


def rotate_invitee_link(invitee: Invitee) -> None:
    """Give ``invitee`` a new personal link; the old one stops working (no commit)."""
    _set_link(invitee)
    record_action("invitee.rotate_link", invitee)


def get_invitee_by_token(token: str) -> Invitee:
    """The invitee whose personal link carries ``token``; NotFound otherwise."""
    invitee = None
    if token and _TOKEN_PATTERN.match(token):
        invitee = db.session.scalar(
            select(Invitee).where(Invitee.token_hash == hash_token(token)))
    if invitee is None:
        raise NotFound(_("This invitation link is not valid. Please use the link in your "
                         "invitation email."))
    return invitee


def link_is_expired(invitee: Invitee, *, now: datetime | None = None) -> bool:
    """True once the event has ended: the invitation can no longer be answered."""
    return (now or utcnow()) >= invitee.event.end_at


# --- checking --------------------------------------------------------------------------------

def _text(value) -> str:
    return " ".join(_CONTROL.sub(" ", str(value or "")).split()) if value is not None else ""


def check_invitee_values(data: dict) -> tuple[dict, dict[str, str]]:
    """(values, errors): the known fields of ``data`` normalized, and a message per bad field.

    Nothing is raised, so that an import can show every problem of a row at once.
    """
    values, errors = {}, {}
    for key in INVITEE_FIELDS:
        if key == "note":
            values[key] = _CONTROL.sub("", str(data.get(key) or "")).strip()
        elif key != "honorific":
            values[key] = _text(data.get(key))
    honorific = data.get("honorific") or None
    if isinstance(honorific, str):
        try:
            honorific = Honorific(honorific.strip().lower()) if honorific.strip() else None
        except ValueError:
            errors["honorific"] = _("Choose a form of address from the list.")
            honorific = None
    values["honorific"] = honorific
    if honorific != Honorific.OTHER:
        values["honorific_other"] = ""
    if not values["name"]:
        errors["name"] = _("This field is required.")
    try:
        values["email"] = validate_email(values["email"], check_deliverability=False,
                                         allow_smtputf8=False).normalized.lower()
    except EmailNotValidError:
        errors["email"] = _("Enter a valid email address.")
    country = values["country"].upper()
    if country and not is_country_code(country):
        errors["country"] = _("Choose a country from the list.")
    values["country"] = country
    language = values["language"].lower() or current_app.config["BABEL_DEFAULT_LOCALE"]
    if language not in current_app.config["LANGUAGES"]:
        errors["language"] = _("Choose English or Bahasa Indonesia.")
    values["language"] = language
    if "kind" in data:  # absent: unchanged (a person for a new invitee)
        values["kind"] = read_kind(data.get("kind"))
        if values["kind"] is None:
            errors["kind"] = kind_message()
            values["kind"] = InviteeKind.PERSON.value
        refusal = kind_refusal(values["kind"], values["country"])
        if refusal is not None and refusal[0] not in errors:
            errors[refusal[0]] = refusal[1]
    for key, limit in _LIMITS.items():
        if len(values[key]) > limit and key not in errors:
            errors[key] = _("Use at most %(max)d characters.", max=limit)
    for key in ("honorific_other", "name", "organisation", "position", "group_name"):
        if _MARKUP.search(values[key]) and key not in errors:
            errors[key] = _("Please do not use angle brackets here.")
    return values, errors


def _checked(data: dict) -> dict:
    values, errors = check_invitee_values(data)
    if errors:
        field, message = next(iter(errors.items()))
        raise ServiceError(message, field=field)
    return values


def _email_taken(event: Event, email: str, *, other_than: int | None = None) -> bool:
    query = select(Invitee.id).where(Invitee.event_id == event.id, Invitee.email == email)
    if other_than is not None:
        query = query.where(Invitee.id != other_than)
    return db.session.scalar(query) is not None


def _duplicate() -> Conflict:
    return Conflict(_("This email address is already on the invitation list of this event."),
                    field="email")


def _flush_or_duplicate() -> None:
    try:
        db.session.flush()
    except IntegrityError as error:  # the use case rolls back
        log.info("invitee refused by a constraint: %s", error.orig)
        raise _duplicate() from error


# --- use cases -------------------------------------------------------------------------------

def new_invitee(event: Event, values: dict, *, actor=None) -> Invitee:
    """An Invitee from checked ``values``, added to the session with its link (no commit)."""
    invitee = Invitee(event_id=event.id, created_by_id=getattr(actor, "id", None), **values)
    _set_link(invitee)
    db.session.add(invitee)
    return invitee


@use_case
def add_invitee(event: Event, data: dict, *, actor=None) -> Invitee:
    """Add one invitee to ``event`` and commit."""
    values = _checked(data)
    if _email_taken(event, values["email"]):
        raise _duplicate()
    invitee = new_invitee(event, values, actor=actor)
    _flush_or_duplicate()
    record_action("invitee.create", invitee, user=actor, email=invitee.email)
    return invitee


@use_case
def update_invitee(invitee: Invitee, data: dict, *, actor=None) -> Invitee:
    """Change an invitee's details and commit (the personal link stays the same)."""
    values = _checked(data)
    if _email_taken(invitee.event, values["email"], other_than=invitee.id):
        raise _duplicate()
    changed = sorted(key for key, value in values.items() if getattr(invitee, key) != value)
    for key, value in values.items():
        setattr(invitee, key, value)
    _flush_or_duplicate()
    record_action("invitee.update", invitee, user=actor, changed=changed)
    return invitee


@use_case
def delete_invitee(invitee: Invitee, *, actor=None) -> None:
    """Remove an invitee who has not registered; their emails stay in the outbox history,
    without their address and name (as in the audit log:
    services.privacy.retention.scrub_invitee)."""
    if invitee.registration_id is not None:
        raise Conflict(_("This invitee has registered; cancel the registration instead."))
    record_action("invitee.delete", invitee, user=actor, email=invitee.email)
    scrub_invitee(invitee)
    db.session.delete(invitee)


def get_invitee(event: Event, invitee_id: int) -> Invitee:
    """Invitee ``invitee_id`` of ``event``; NotFound for another event's invitee."""
    invitee = db.session.get(Invitee, invitee_id)
    if invitee is None or invitee.event_id != event.id:
        raise NotFound(_("This invitee does not exist."))
    return invitee


# --- staff follow-up (issue 8) ---------------------------------------------------------------

#: how an answer received outside the system may have come
OFFLINE_CHANNELS = tuple(channel for channel in ResponseChannel
                         if channel != ResponseChannel.ONLINE)
_ANSWERS = (InvitationResponse.ACCEPTED, InvitationResponse.DECLINED)
BOUNCE_REASON_MAX = 2000


def invitee_groups(event: Event) -> list[str]:
    """The group names used on the event's invitation list, sorted."""
    return list_choices(event)[1]


@use_case
def issue_new_link(invitee: Invitee, *, actor=None) -> Invitee:
    """Give ``invitee`` a new personal link (the old one stops working) and commit."""
    rotate_invitee_link(invitee)
    return invitee


def _answer_moment(answered_on: date, event: Event) -> datetime:
    """Noon of ``answered_on`` in the event's zone, as UTC (a date has no time of its own)."""
    return datetime.combine(answered_on, time(12), tzinfo=ZoneInfo(event.timezone)).astimezone(UTC)


@use_case
def record_offline_response(invitee: Invitee, *, response, channel, answered_on: date,
                            note: str = "", actor=None) -> Invitee:
    """Record an answer that reached staff outside the system (a note verbale, a call...)."""
    try:
        response = InvitationResponse(response)
    except ValueError:
        response = None
    if response not in _ANSWERS:
        raise ServiceError(_("Choose accepted or declined."), field="response")
    try:
        channel = ResponseChannel(channel)
    except ValueError:
        channel = None
    if channel not in OFFLINE_CHANNELS:
        raise ServiceError(_("Choose how the answer reached you."), field="channel")
    if not isinstance(answered_on, date):
        raise ServiceError(_("Enter the date of the answer."), field="answered_on")
    today = utcnow().astimezone(ZoneInfo(invitee.event.timezone)).date()
    if answered_on > today:
        raise ServiceError(_("The date of the answer cannot be in the future."),
                           field="answered_on")
    if answered_on.year < 2000:
        raise ServiceError(_("Enter the date of the answer."), field="answered_on")
    moment = _answer_moment(answered_on, invitee.event)
    if response == InvitationResponse.DECLINED and invitee.registration_id is not None:
        raise Conflict(_("This invitee has registered; cancel the registration instead."),
                       field="response")
    note = _CONTROL.sub("", note or "").strip()
    if len(note) > _LIMITS["note"]:
        raise ServiceError(_("Use at most %(max)d characters.", max=_LIMITS["note"]),
                           field="note")
    previous = invitee.response
    invitee.response = response
    invitee.responded_at = moment
    invitee.answered_on = answered_on
    invitee.response_channel = channel
    invitee.response_note = note
    invitee.response_recorded_by_id = getattr(actor, "id", None)
    if response == InvitationResponse.ACCEPTED:
        invitee.decline_reason = ""
    record_action("invitee.record_response", invitee, user=actor, response=response,
                  previous=previous, channel=channel, answered_on=answered_on.isoformat())
    cancel_queued_invitations(invitee, actor=actor)
    return invitee


def find_registration(event: Event, lookup: str) -> Registration:
    """The registration of ``event`` with the reference or the email ``lookup``; NotFound."""
    lookup = _text(lookup)
    registration = None
    if lookup and len(lookup) <= 254:
        if "@" in lookup:
            registration = db.session.scalar(select(Registration).where(
                Registration.event_id == event.id,
                func.lower(Registration.email) == lookup.lower()))
        else:
            registration = db.session.scalar(select(Registration).where(
                Registration.event_id == event.id, Registration.reference == lookup.upper()))
    if registration is None:
        raise NotFound(_("No registration of this event has this reference or email."),
                       field="lookup")
    return registration


@use_case
def link_registration(invitee: Invitee, lookup: str, *, actor=None) -> Invitee:
    """Link ``invitee`` to an existing registration of the same event; they have accepted.
    Only for staff who may see the registration's data (``policies.can_link_invitation``)."""
    if actor is not None and not can_link_invitation(actor, invitee.event):
        raise PermissionDenied(_("Only the event's organizers may link an invitation to a "
                                 "registration."), field="lookup")
    registration = find_registration(invitee.event, lookup)
    holder = db.session.scalar(select(Invitee).where(Invitee.registration_id == registration.id))
    if holder is not None and holder.id != invitee.id:
        raise Conflict(_("This registration is already linked to another invitee (%(name)s).",
                         name=holder.name), field="lookup")
    if registration.status in (RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED):
        raise Conflict(_("This registration was cancelled or not accepted."), field="lookup")
    previous = invitee.registration_id
    invitee.registration_id = registration.id
    invitee.response = InvitationResponse.ACCEPTED
    invitee.responded_at = invitee.responded_at or registration.created_at
    invitee.response_recorded_by_id = getattr(actor, "id", None)
    invitee.decline_reason = ""
    try:
        db.session.flush()
    except IntegrityError as error:  # the use case rolls back
        log.info("link refused by a constraint: %s", error.orig)
        raise Conflict(_("This registration is already linked to another invitee."),
                       field="lookup") from error
    record_action("invitee.link_registration", invitee, user=actor,
                  registration=registration.reference, previous_registration_id=previous)
    cancel_queued_invitations(invitee, actor=actor)
    return invitee


@use_case
def mark_bounced(invitee: Invitee, reason: str = "", *, actor=None) -> Invitee:
    """Record that mail to the invitee's address bounces (no more bulk mail is useful)."""
    reason = _CONTROL.sub("", reason or "").strip()
    if len(reason) > BOUNCE_REASON_MAX:
        raise ServiceError(_("Use at most %(max)d characters.", max=BOUNCE_REASON_MAX),
                           field="reason")
    invitee.bounced_at = utcnow()
    invitee.bounce_reason = reason
    record_action("invitee.mark_bounced", invitee, user=actor, reason=reason)
    return invitee


@use_case
def clear_bounce(invitee: Invitee, *, actor=None) -> Invitee:
    """Remove a recorded bounce (e.g. after the address was corrected)."""
    if invitee.bounced_at is None:
        raise Conflict(_("No bounce is recorded for this invitee."))
    previous = invitee.bounce_reason
    invitee.bounced_at = None
    invitee.bounce_reason = ""
    record_action("invitee.clear_bounce", invitee, user=actor, previous_reason=previous)
    return invitee


def invitee_emails(invitee: Invitee, *, limit: int = 100) -> list:
    """(outbox email, mailing kind or None) of the emails sent to ``invitee``, newest first."""
    return db.session.execute(
        select(OutboxEmail, Mailing.kind)
        .outerjoin(Mailing, Mailing.id == OutboxEmail.mailing_id)
        .where(OutboxEmail.invitee_id == invitee.id)
        .order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
        .limit(limit)
    ).all()
