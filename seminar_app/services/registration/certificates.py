"""Certificates of attendance: an event's settings, who gets one (and why not), the codes.

Rules:
- An event's certificates are off until an organizer turns them on (the Certificates page).
  Turning them on needs a signatory: the page's own, or else the event's letter signatory
  (Documents page).
- A delegate gets a certificate when certificates are on, the event has ended (and was not
  cancelled), their registration is confirmed and not erased, and, under the "checked in"
  scope, their arrival was recorded at the check-in desk. ``certificate_refusal`` names the
  first rule that refuses; ``eligible_clauses`` is the same rule in SQL (the audience of the
  certificate mailing). Staff may download the certificate of any delegate who meets the
  registration's part of the rule (``for_staff``), also before the end and while
  certificates are off, to check it before it is sent.
- The verification code printed on a certificate (and in its QR code) is
  ``<registration id>.<HMAC>`` of the registration and its event under the event's own
  random key (``CertificateSettings.code_key``, encrypted under DATA_KEYS; made when the
  settings are first saved; events set up before it use SECRET_KEY): nothing per certificate
  is stored, nothing can be enumerated or altered, and a change of SECRET_KEY (after a leak)
  leaves printed codes verifying. It verifies only while the
  registration meets the registration's part of the rule: a cancelled or erased registration
  (or an undone check-in) no longer verifies. The public page shows the name, the event and
  its dates, nothing else.
- The personal download link of the certificate mailing is another HMAC (another purpose): the
  public verification code never opens the PDF.
"""

import base64
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ...crypto import Unreadable
from ...database import get_by_id, use_case
from ...extensions import db
from ...models import (
    CertificateScope,
    CertificateSettings,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    User,
    utcnow,
)
from ..audit import record_action
from ..errors import Conflict, NotFound, ServiceError
from ..privacy.erasure_scrub import ERASED_PATTERN, is_erased_address

log = logging.getLogger(__name__)

SIGNATORY_MAX = 200
WORDING_MAX = 500
LANGUAGES = ("en", "id")
#: why a delegate has no certificate, by code (the API returns the code and the message)
REFUSALS = {
    "disabled": _l("This event does not issue certificates of attendance."),
    "event_cancelled": _l("This event was cancelled: it issues no certificates of attendance."),
    "not_ended": _l("Certificates of attendance are available once the event has ended."),
    "not_confirmed": _l("Only confirmed delegates receive a certificate of attendance."),
    "not_checked_in": _l("Certificates of attendance are issued to delegates whose arrival "
                         "was recorded at the check-in desk."),
    "erased": _l("This registration's personal data has been erased."),
}
SCOPE_LABELS = {
    CertificateScope.CHECKED_IN: _l("Delegates who checked in"),
    CertificateScope.CONFIRMED: _l("All confirmed delegates"),
}
#: a verification code as written (the API's document states the same pattern)
CODE_PATTERN = r"^([0-9]{1,10})\.([A-Za-z0-9_-]{16})$"
_CODE = re.compile(CODE_PATTERN)
_TOKEN = re.compile(r"^([0-9]{1,10})\.([A-Za-z0-9_-]{22})$")


# --- settings --------------------------------------------------------------------------------

def certificate_settings(event: Event) -> CertificateSettings:
    """The event's settings; unsaved defaults (off, checked-in delegates) when it has none."""
    settings = db.session.get(CertificateSettings, event.id)
    if settings is None:
        settings = CertificateSettings(event_id=event.id, enabled=False,
                                       scope=CertificateScope.CHECKED_IN.value,
                                       signatory_name="", signatory_title="", wording_en="",
                                       wording_id="")
    return settings


def signatory(event: Event, settings: CertificateSettings | None = None) -> tuple[str, str]:
    """(name, title) of who signs the certificates: the page's own, else the letters' one."""
    settings = settings or certificate_settings(event)
    if settings.signatory_name.strip():
        return settings.signatory_name, settings.signatory_title
    return event.letter_signatory_name, event.letter_signatory_title


def wording_line(settings: CertificateSettings, language: str) -> str:
    """The organizer's optional line in ``language`` ("" when there is none)."""
    return (settings.wording_id if language == "id" else settings.wording_en) or ""


@use_case
def update_certificate_settings(event: Event, *, enabled: bool, scope: str,
                                signatory_name: str = "", signatory_title: str = "",
                                wording_en: str = "", wording_id: str = "",
                                actor: User | None = None) -> CertificateSettings:
    """Save the event's certificate settings and commit; ServiceError on the field at fault."""
    if scope not in {item.value for item in CertificateScope}:
        raise ServiceError(_("Choose who receives a certificate."), field="scope")
    values = {"signatory_name": signatory_name, "signatory_title": signatory_title,
              "wording_en": wording_en, "wording_id": wording_id}
    values = {key: " ".join((value or "").split()) for key, value in values.items()}
    for key, value in values.items():
        limit = WORDING_MAX if key.startswith("wording") else SIGNATORY_MAX
        if len(value) > limit:
            raise ServiceError(_("At most %(max)d characters.", max=limit), field=key)
    if enabled and not (values["signatory_name"] or event.letter_signatory_name.strip()):
        raise ServiceError(_("Enter who signs the certificates (or the letters' signatory on "
                             "the Documents page) before turning them on."),
                           field="signatory_name")
    settings = db.session.get(CertificateSettings, event.id)
    if settings is None:
        settings = CertificateSettings(event_id=event.id, code_key=secrets.token_urlsafe(32))
        db.session.add(settings)
    settings.enabled, settings.scope = bool(enabled), scope
    for key, value in values.items():
        setattr(settings, key, value)
    settings.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    record_action("event.certificates_update", event, user=actor, enabled=settings.enabled,
                  scope=scope)
    log.info("certificate settings of event %s saved (enabled=%s)", event.id, settings.enabled)
    return settings


# --- who gets one ----------------------------------------------------------------------------

def certificate_refusal(registration: Registration, *, for_staff: bool = False,
                        settings: CertificateSettings | None = None) -> str | None:
    """Why ``registration`` gets no certificate now (a key of REFUSALS), or None.

    ``for_staff``: only the registration's part of the rule (not on/off, not the end).
    """
    event = registration.event
    settings = settings or certificate_settings(event)
    if event.status == EventStatus.CANCELLED:
        return "event_cancelled"
    if not for_staff:
        if not settings.enabled:
            return "disabled"
        if utcnow() < event.end_at:
            return "not_ended"
    if is_erased_address(registration.email):
        return "erased"
    if registration.status != RegistrationStatus.CONFIRMED:
        return "not_confirmed"
    if settings.scope == CertificateScope.CHECKED_IN and registration.checked_in_at is None:
        return "not_checked_in"
    return None


def refusal_message(reason: str) -> str:
    """The translated sentence of a refusal code."""
    return str(REFUSALS[reason])


def check_certificate(registration: Registration, *, for_staff: bool = False) -> None:
    """Raise Conflict with the reason unless ``registration`` may have its certificate now."""
    reason = certificate_refusal(registration, for_staff=for_staff)
    if reason is not None:
        raise Conflict(refusal_message(reason))


def certificates_open(event: Event, settings: CertificateSettings | None = None) -> str | None:
    """Why the event cannot send certificates now (a key of REFUSALS), or None."""
    settings = settings or certificate_settings(event)
    if event.status == EventStatus.CANCELLED:
        return "event_cancelled"
    if not settings.enabled:
        return "disabled"
    if utcnow() < event.end_at:
        return "not_ended"
    return None


def eligible_clauses(event: Event, settings: CertificateSettings | None = None) -> list:
    """WHERE clauses on Registration: the delegates of ``event`` who get a certificate
    (the registration's part of the rule; ``certificates_open`` is the event's part)."""
    settings = settings or certificate_settings(event)
    clauses = [Registration.event_id == event.id,
               Registration.status == RegistrationStatus.CONFIRMED,
               ~Registration.email.like(ERASED_PATTERN)]
    if settings.scope == CertificateScope.CHECKED_IN:
        clauses.append(Registration.checked_in_at.is_not(None))
    return clauses


def eligible_count(event: Event) -> int:
    """How many delegates of ``event`` meet the registration's part of the rule."""
    return db.session.scalar(select(func.count(Registration.id))
                             .where(*eligible_clauses(event))) or 0


# --- codes -----------------------------------------------------------------------------------

def _code_key(event_id: int) -> bytes:
    """The key the event's codes are signed with: its own (a printed code outlives a change
    of SECRET_KEY), or SECRET_KEY for an event set up before events had one. An unreadable
    key (DATA_KEYS lost) verifies nothing."""
    settings = db.session.get(CertificateSettings, event_id)
    key = settings.code_key if settings is not None else None
    if isinstance(key, Unreadable):
        return secrets.token_bytes(32)
    key = key or current_app.config["SECRET_KEY"]
    return key.encode("utf-8") if isinstance(key, str) else key


def _mac(purpose: str, registration: Registration, length: int) -> str:
    key = _code_key(registration.event_id)
    message = f"certificate:{purpose}:{registration.id}:{registration.event_id}"
    digest = hmac.new(key, message.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:length]


def verification_code(registration: Registration) -> str:
    """The public code printed on the certificate (its QR code opens the verification page)."""
    return f"{registration.id}.{_mac('verify', registration, 16)}"


def download_token(registration: Registration) -> str:
    """The token of the personal download link sent by the certificate mailing."""
    return f"{registration.id}.{_mac('download', registration, 22)}"


def _registration_of(value: str, pattern: re.Pattern, purpose: str) -> Registration | None:
    match = pattern.match(value or "")
    if not match:
        return None
    registration = get_by_id(Registration, match.group(1))
    if registration is None:
        return None
    expected = _mac(purpose, registration, len(match.group(2)))
    return registration if hmac.compare_digest(match.group(2), expected) else None


@dataclass(frozen=True)
class Verification:
    """What the public verification page may show: the name, the event and its dates."""

    name: str
    event: Event


def verify_certificate(code: str) -> Verification:
    """The certificate ``code`` stands for; NotFound when forged, altered or revoked."""
    registration = _registration_of(code, _CODE, "verify")
    if registration is None or certificate_refusal(registration, for_staff=True) is not None:
        raise NotFound(_("This is not a valid certificate of attendance."))
    return Verification(name=registration.full_name, event=registration.event)


def registration_by_download_token(token: str) -> Registration:
    """The registration of a certificate link; NotFound for a forged one, Conflict (with the
    reason) when its certificate is not available now."""
    registration = _registration_of(token, _TOKEN, "download")
    if registration is None:
        raise NotFound(_("This certificate link is not valid."))
    check_certificate(registration)
    return registration


def require_certificates_open(event: Event) -> None:
    """Raise ServiceError (on the mailing's audience) unless ``event`` can send certificates
    now: they are on and the event has ended."""
    reason = certificates_open(event)
    if reason is not None:
        raise ServiceError(refusal_message(reason), field="audience")
