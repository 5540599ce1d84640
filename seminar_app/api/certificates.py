"""Certificates of attendance in the API: a registration's certificate status and its PDF for
the event's team, and the public verification of a certificate's code.

Rules: services.registration.certificates (who gets one and why not, the codes). The status
tells whether the delegate can download it now (``eligible``, else ``reason`` and its
message) and, when the team may download it (the registration's part of the rule), the URL of
the PDF. The verification answers without a token (and checks one when it is sent) with the
name, the event and its dates only; a forged, altered or revoked code answers 404.
"""

from flask import url_for
from flask_babel import gettext as _

from ..database import MAX_ID
from ..documents.views import pdf_response
from ..extensions import db
from ..models import Registration
from ..services.access import Permission
from ..services.documents.certificates import (
    certificate_filename,
    render_certificate_pdf,
    verification_url,
)
from ..services.errors import NotFound
from ..services.events.content_language import localized_text
from ..services.registration import certificates as rules
from . import core
from .core import ApiError, Field, bp, iso

#: the query of the PDF: its language (the delegate's own when left out)
LANGUAGE_ARG = Field("lang", "enum", choices=rules.LANGUAGES)


def _registration(event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise ApiError(404, _("No registration of this event has this number."))
    return registration


def certificate_status_json(registration: Registration) -> dict:
    """Whether the delegate can download the certificate now, why not, and the team's URL."""
    settings = rules.certificate_settings(registration.event)
    reason = rules.certificate_refusal(registration, settings=settings)
    staff_reason = rules.certificate_refusal(registration, for_staff=True, settings=settings)
    staff_ok = staff_reason is None
    return {
        "registration_id": registration.id,
        "enabled": settings.enabled,
        "scope": settings.scope,
        "eligible": reason is None,
        "reason": reason,
        "message": rules.refusal_message(reason) if reason else None,
        "staff_download": staff_ok,
        "download_url": url_for("api.get_certificate_pdf", event_id=registration.event_id,
                                registration_id=registration.id, _external=True)
        if staff_ok else None,
        "verification_url": verification_url(registration) if staff_ok else None,
    }


@bp.get("/events/<int:event_id>/registrations/<int:registration_id>/certificate")
def get_certificate_status(event_id: int, registration_id: int):
    """A registration's certificate of attendance: eligible or why not, the team's URL."""
    event, _permissions = core.load_event(event_id, Permission.VIEW)
    return core.data_response(certificate_status_json(_registration(event, registration_id)))


@bp.get("/events/<int:event_id>/registrations/<int:registration_id>/certificate.pdf")
def get_certificate_pdf(event_id: int, registration_id: int):
    """The certificate as PDF for the event's team (409 with the reason when there is none)."""
    event, _permissions = core.load_event(event_id, Permission.VIEW)
    registration = _registration(event, registration_id)
    language = core.query_arg(LANGUAGE_ARG.name, "enum", choices=LANGUAGE_ARG.choices)
    rules.check_certificate(registration, for_staff=True)  # Conflict -> 409
    pdf = render_certificate_pdf(registration, language=language or registration.language)
    return pdf_response(pdf, certificate_filename(registration))


@bp.get("/certificates/<code>")
def verify_certificate(code: str):
    """Whether a certificate's code is genuine: name, event and dates only (public)."""
    try:
        verified = rules.verify_certificate(code)
    except NotFound as error:
        raise ApiError(404, error.message) from None
    event = verified.event
    return core.data_response({
        "valid": True, "name": verified.name, "event_id": event.id,
        "event_title": localized_text(event, "title"),
        "start_at": iso(event.start_at), "end_at": iso(event.end_at),
        "timezone": event.timezone})


# --- the OpenAPI document --------------------------------------------------------------------

def _s(kind="string", **extra) -> dict:
    return {"type": kind, **extra}


def _null(kind="string", **extra) -> dict:
    return {"type": [kind, "null"], **extra}


def _object(properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}


def _errors(*codes) -> dict:
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in codes}


def _data(schema_name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {
        "type": "object", "properties": {"data": {"$ref": f"#/components/schemas/{schema_name}"}},
        "required": ["data"]}}}}


def openapi_schemas() -> dict:
    """The components/schemas of these operations."""
    return {
        "CertificateStatus": _object({
            "registration_id": _s("integer"),
            "enabled": _s("boolean", description="The event issues certificates."),
            "scope": _s(enum=[scope.value for scope in rules.SCOPE_LABELS]),
            "eligible": _s("boolean", description="The delegate can download it now."),
            "reason": _null(enum=[*rules.REFUSALS, None],
                            description="Why not (null when eligible)."),
            "message": _null(description="The reason in words (Accept-Language)."),
            "staff_download": _s("boolean", description="The team may download it (also "
                                                        "before the end, to check it)."),
            "download_url": _null(format="uri"),
            "verification_url": _null(format="uri"),
        }),
        "CertificateVerification": _object({
            "valid": _s("boolean", enum=[True]), "name": _s(), "event_id": _s("integer"),
            "event_title": _s(), "start_at": _s(format="date-time"),
            "end_at": _s(format="date-time"), "timezone": _s(),
        }),
    }


def openapi_paths() -> dict:
    """The paths of these operations."""
    ids = [{"name": name, "in": "path", "required": True, "description": text,
            "schema": _s("integer", minimum=1, maximum=MAX_ID)}
           for name, text in (("event_id", "The event's id"),
                              ("registration_id", "The registration's id"))]
    tags = ["certificates"]
    return {
        "/events/{event_id}/registrations/{registration_id}/certificate": {
            "parameters": ids,
            "get": {
                "operationId": "getCertificateStatus", "tags": tags,
                "summary": "A registration's certificate of attendance: whether the delegate "
                           "can download it now or why not (off, event not over, not "
                           "confirmed, not checked in, erased), and the PDF's URL for the "
                           "team",
                "responses": {"200": _data("CertificateStatus", "The status"),
                              **_errors(400, 401, 403, 404, 429)},
            },
        },
        "/events/{event_id}/registrations/{registration_id}/certificate.pdf": {
            "parameters": ids,
            "get": {
                "operationId": "getCertificatePdf", "tags": tags,
                "summary": "The certificate as PDF (the delegate's language unless lang is "
                           "given); 409 with the reason when the delegate gets none",
                "parameters": [{"name": LANGUAGE_ARG.name, "in": "query", "required": False,
                                "schema": _s(enum=list(LANGUAGE_ARG.choices))}],
                "responses": {"200": {"description": "The PDF", "content": {
                    "application/pdf": {"schema": _s(format="binary")}}},
                    **_errors(400, 401, 403, 404, 409, 429)},
            },
        },
        "/certificates/{code}": {
            "parameters": [{"name": "code", "in": "path", "required": True,
                            "description": "The code printed on the certificate",
                            "schema": _s(pattern=rules.CODE_PATTERN)}],
            "get": {
                "operationId": "verifyCertificate", "tags": tags,
                "summary": "Verify a certificate of attendance (no token needed): the name, "
                           "the event and its dates; a forged, altered or withdrawn one: 404",
                "security": [{"bearer": []}, {}],
                "responses": {"200": _data("CertificateVerification", "A valid certificate"),
                              **_errors(400, 401, 404, 429)},
            },
        },
    }
