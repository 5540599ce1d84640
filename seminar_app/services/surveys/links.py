"""The personal link of a delegate to the event's survey.

Rules:
- The link carries the registration's id and an HMAC of it and its event (SECRET_KEY):
  nothing is stored, nothing can be enumerated, and a changed digit makes it invalid.
- A link that does not check out, or whose registration is not confirmed, is NotFound.
"""

import base64
import hashlib
import hmac
import re

from flask import current_app
from flask_babel import gettext as _

from ...database import get_by_id
from ...links import external_url
from ...models import Registration, RegistrationStatus
from ..errors import NotFound

_TOKEN = re.compile(r"^s(\d{1,12})\.([A-Za-z0-9_-]{22})$")


def _mac(registration_id: int, event_id: int) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode("utf-8") if isinstance(key, str) else key
    digest = hmac.new(key, f"survey:{registration_id}:{event_id}".encode("ascii"),
                      hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def survey_token(registration: Registration) -> str:
    """The token of ``registration``'s survey link."""
    return f"s{registration.id}.{_mac(registration.id, registration.event_id)}"


def survey_url(registration: Registration) -> str:
    """The full address of ``registration``'s survey link (for emails)."""
    return external_url("surveys_public.answer", token=survey_token(registration))


def registration_of_token(token: str) -> Registration:
    """The confirmed registration a survey token belongs to; NotFound otherwise."""
    match = _TOKEN.match(token or "")
    registration = None
    if match:
        registration = get_by_id(Registration, match.group(1))
        if registration is not None and not hmac.compare_digest(
                match.group(2), _mac(registration.id, registration.event_id)):
            registration = None
    if registration is None or registration.status != RegistrationStatus.CONFIRMED:
        raise NotFound(_("This survey link is not valid. Please use the link in your email."))
    return registration
