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
"""

import base64
import hashlib
import hmac
import logging
import re
import secrets
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..i18n import is_country_code
from ..models import Event, Honorific, Invitee, utcnow
from .audit import record_action
from .errors import Conflict, NotFound, ServiceError
from .registration_codes import hash_token

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
    except IntegrityError as error:
        db.session.rollback()
        log.info("invitee refused by a constraint: %s", error.orig)
        raise _duplicate() from error


# --- use cases -------------------------------------------------------------------------------

def new_invitee(event: Event, values: dict, *, actor=None) -> Invitee:
    """An Invitee from checked ``values``, added to the session with its link (no commit)."""
    invitee = Invitee(event_id=event.id, created_by_id=getattr(actor, "id", None), **values)
    _set_link(invitee)
    db.session.add(invitee)
    return invitee


def add_invitee(event: Event, data: dict, *, actor=None) -> Invitee:
    """Add one invitee to ``event`` and commit."""
    values = _checked(data)
    if _email_taken(event, values["email"]):
        raise _duplicate()
    invitee = new_invitee(event, values, actor=actor)
    _flush_or_duplicate()
    record_action("invitee.create", invitee, user=actor, email=invitee.email)
    db.session.commit()
    return invitee


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
    db.session.commit()
    return invitee


def delete_invitee(invitee: Invitee, *, actor=None) -> None:
    """Remove an invitee who has not registered; their emails stay in the outbox history."""
    if invitee.registration_id is not None:
        raise Conflict(_("This invitee has registered; cancel the registration instead."))
    record_action("invitee.delete", invitee, user=actor, email=invitee.email)
    db.session.delete(invitee)
    db.session.commit()


def get_invitee(event: Event, invitee_id: int) -> Invitee:
    """Invitee ``invitee_id`` of ``event``; NotFound for another event's invitee."""
    invitee = db.session.get(Invitee, invitee_id)
    if invitee is None or invitee.event_id != event.id:
        raise NotFound(_("This invitee does not exist."))
    return invitee
