"""Schemathesis over the nomination, accreditation, photo and substitution operations of the
JSON API (issue 16), on real data: a submitted nomination with members, a letter and a photo,
and a registration with a photo, so that the calls reach the services rather than a 404.

The checks are those of tests/test_api_schema.py (all of Schemathesis' checks, a 422 on
schema-valid JSON accepted only for the fields the document lists in
``x-rules-beyond-schema``). Files are the one thing more: a raw body is recognised by its
content, which JSON Schema cannot state (the request body's description says so), so a 422
naming only the ``letter`` or ``photo`` field is the documented refusal of bytes that are not a
PDF or an image we accept.
"""

import io

import pytest
import schemathesis
from hypothesis import settings
from hypothesis import strategies as st
from PIL import Image
from reportlab.pdfgen import canvas
from schemathesis.openapi.checks import RejectedPositiveData

from seminar_app.extensions import db
from seminar_app.models import Invitee
from seminar_app.services.accounts import api_tokens
from seminar_app.services.registration import nominations, photos, substitution
from tests.factories import add_invitee, add_registration, registration_event, service_data
from tests.test_api_schema import (
    DOCUMENT,
    FAST,
    Seeded,
    documented_positive_data_acceptance,
    positive_data_acceptance,
    prepare,
)

#: the operations of issue 16
PATHS = r"/nominations|/photo$|/substitut"
schema = schemathesis.openapi.from_dict(DOCUMENT).include(path_regex=PATHS)
schema.config.phases.coverage.enabled = False  # see tests/test_api_schema.py
FILE_FIELDS = {"letter", "photo"}
SLOW = settings(FAST, max_examples=100)


def _pdf() -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.drawString(72, 720, "Note verbale No. 12/2026")
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (350, 450), (200, 180, 160)).save(out, format="JPEG")
    return out.getvalue()


# a letter sent as application/pdf is a real PDF (Schemathesis has no serializer of its own for
# the type; application/octet-stream bodies stay random bytes)
schemathesis.openapi.media_type("application/pdf", st.builds(lambda: _pdf()))


def files_or_documented_rules(ctx, response, case):
    """``documented_positive_data_acceptance``, and a 422 refusing only a raw file's bytes."""
    try:
        return documented_positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 422 and not str(case.media_type or "").endswith("json"):
            fields = set(response.json()["error"]["fields"])
            if fields and fields <= FILE_FIELDS:
                return None
        raise


@pytest.fixture
def seeded(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")
    owner = make_user("organizer")
    event = registration_event(owner, capacity=5)
    invitee = add_invitee(event, kind="organisation", country="TH",
                          organisation="Royal Thai Embassy")
    invitee = db.session.get(Invitee, invitee.id)
    nomination = nominations.get_or_start_nomination(invitee)
    members = [nominations.add_member(nomination, {
        "honorific": "mr", "given_name": name, "family_name": "Chaiyaporn",
        "email": f"{name.lower()}@th.example.org", "role": role, "language": "en"})
        for name, role in (("Somchai", "head"), ("Niran", "delegate"), ("Anong", "delegate"))]
    nominations.set_member_photo(nomination, members[0].id, _jpeg())
    nominations.set_letter(nomination, _pdf(), "note.pdf")
    nominations.submit(nomination)
    registration = add_registration(event)
    photos.set_photo(registration, _jpeg())
    asking = add_registration(event)
    request = substitution.request_substitution(asking, service_data(email="new@example.org"))
    secret = api_tokens.create_token(owner, name="Schemathesis", can_write=True)[1]
    return Seeded(secret, {"event_id": event.id, "nomination_id": nomination.id,
                           "member_id": members[0].id, "registration_id": registration.id,
                           "invitee_id": invitee.id, "request_id": request.id})


def call(app, case):
    case.operation.schema.app = app
    case.call_and_validate(base_url="http://localhost/api/v1", app=app,
                           excluded_checks=[positive_data_acceptance],
                           additional_checks=[files_or_documented_rules])


def test_issue_16_operations_are_documented():
    operations = {operation["operationId"] for item in DOCUMENT["paths"].values()
                  for key, operation in item.items() if key != "parameters"}
    assert {"listNominations", "createNomination", "getNomination", "addNominationMember",
            "updateNominationMember", "withdrawNominationMember", "putNominationLetter",
            "getNominationLetter", "putNominationMemberPhoto", "getNominationMemberPhoto",
            "submitNomination", "accreditNomination", "notAccreditMember", "returnNomination",
            "confirmFocalPoint", "putRegistrationPhoto", "getRegistrationPhoto",
            "deleteRegistrationPhoto", "substituteRegistration", "listSubstitutionRequests",
            "approveSubstitutionRequest", "refuseSubstitutionRequest"} <= operations
    letter = DOCUMENT["paths"]["/events/{event_id}/nominations/{nomination_id}/letter"]
    assert letter["put"]["requestBody"]["content"]["application/pdf"]["schema"] == {
        "type": "string", "format": "binary"}
    assert {"413", "415", "422"} <= set(letter["put"]["responses"])


@schema.parametrize()
@FAST
def test_accreditation_api_conforms_to_its_schema(app, case, seeded):
    prepare(case, seeded)
    call(app, case)


@pytest.mark.slow
@schema.parametrize()
@SLOW
def test_accreditation_api_schema_slow(app, case, seeded):
    prepare(case, seeded)
    call(app, case)
