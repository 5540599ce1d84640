"""Leftovers of substitution and photos (issue 16): erasure deletes pending substitution
requests; the subject-access export carries the photo; the delegate's page offers "ask to be
replaced"; the photo's private headers; a member removed by their head is told so (both
languages, real SMTP); the single registration forms show the error summary."""

import base64
import io
import json
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import (
    Registration,
    RegistrationStatus,
    SubstitutionRequest,
    SubstitutionStatus,
    utcnow,
)
from seminar_app.services.invitations import invitations
from seminar_app.services.privacy import retention
from seminar_app.services.registration import delegations as delegation_service
from seminar_app.services.registration import photos, substitution
from tests.conftest import post_form
from tests.factories import (
    add_invitee,
    form_fields,
    logged_in,
    make_registration,
    registration_event,
    service_data,
)

_numbers = iter(range(1, 100_000))


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def jpeg(size=(700, 900), colour=(20, 160, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


def new_person(**overrides) -> dict:
    data = service_data(honorific="ms", given_name="Siti", family_name="Pengganti",
                        email="siti.pengganti@example.org", language="id")
    data.update(overrides)
    return data


def reload(model, object_id):
    db.session.expire_all()
    return db.session.get(model, object_id)


# --- erasure and substitution requests -------------------------------------------------------

def test_erasure_deletes_pending_requests_and_decided_ones_keep_no_details(owner):
    event = registration_event(owner)
    registration, _token = make_registration(event, email="old@example.org")
    refused = substitution.request_substitution(registration, new_person())
    substitution.refuse_request(refused, actor=owner, reason="Send a note verbale, Siti.")
    pending = substitution.request_substitution(
        reload(Registration, registration.id), new_person(email="other@example.org"))
    refused, pending = (reload(SubstitutionRequest, refused.id),
                        reload(SubstitutionRequest, pending.id))
    assert refused.status == SubstitutionStatus.REFUSED and refused.data is None
    assert pending.is_pending and pending.data["email"] == "other@example.org"

    retention.erase_registration(reload(Registration, registration.id), actor=owner)

    assert reload(SubstitutionRequest, pending.id) is None
    kept = reload(SubstitutionRequest, refused.id)
    assert kept is not None and kept.data is None and kept.reason == ""
    raw = db.session.execute(db.text("SELECT data, reason FROM substitution_requests")).all()
    assert raw == [(None, "")]


def test_the_scheduled_purge_deletes_pending_requests_too(owner):
    event = registration_event(owner)
    registration, _token = make_registration(event, email="old@example.org")
    substitution.request_substitution(registration, new_person())
    assert db.session.scalar(select(func.count(SubstitutionRequest.id))) == 1
    event = reload(type(event), event.id)
    event.anonymise_after_months = 1
    db.session.commit()
    retention.purge_personal_data(now=event.end_at + timedelta(days=400))
    assert db.session.scalar(select(func.count(SubstitutionRequest.id))) == 0
    assert reload(Registration, registration.id).email.startswith("erased-")


def test_an_approved_request_keeps_no_details(owner):
    event = registration_event(owner)
    registration, _token = make_registration(event, email="old@example.org")
    request = substitution.request_substitution(registration, new_person())
    substitution.approve_request(request, actor=owner)
    request = reload(SubstitutionRequest, request.id)
    assert request.status == SubstitutionStatus.APPROVED and request.data is None


# --- the subject access export carries the photo ---------------------------------------------

def test_export_includes_the_photo_as_base64_jpeg(owner):
    event = registration_event(owner)
    registration, _token = make_registration(event, email="photo@example.org")
    assert retention.export_subject_data(registration)["photo"] is None
    photos.set_photo(registration, jpeg())
    data = retention.export_subject_data(reload(Registration, registration.id))
    photo = data["photo"]
    assert photo["content_type"] == "image/jpeg"
    raw = base64.b64decode(photo["data_base64"])
    assert raw == reload(Registration, registration.id).photo.data
    assert photo["size"] == len(raw) and Image.open(io.BytesIO(raw)).format == "JPEG"
    assert photo["filename"].endswith(".jpg")
    json.dumps(data)


def test_staff_download_and_api_carry_the_photo(app, owner):
    event = registration_event(owner)
    registration, _token = make_registration(event, email="photo@example.org")
    photos.set_photo(registration, jpeg())
    client = logged_in(app, owner)
    response = client.get(f"/manage/events/{event.id}/registrations/{registration.id}"
                          "/personal-data.json")
    assert response.status_code == 200
    data = json.loads(response.get_data(as_text=True))
    assert base64.b64decode(data["photo"]["data_base64"]) == \
        reload(Registration, registration.id).photo.data


# --- the delegate's page offers "ask to be replaced" ----------------------------------------

def test_the_delegates_page_offers_to_ask_to_be_replaced(client, owner):
    event = registration_event(owner)
    registration, token = make_registration(event, email="me@example.org")
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert f'href="/r/{token}/substitute"' in html and "data-substitute-link" in html
    client.set_cookie("lang", "id")
    assert "Minta digantikan oleh rekan" in client.get(f"/r/{token}").get_data(as_text=True)
    # not once the person has arrived
    registration.checked_in_at = utcnow()
    db.session.commit()
    assert "data-substitute-link" not in client.get(f"/r/{token}").get_data(as_text=True)


def test_a_cancelled_registration_is_not_offered_replacement(client, owner):
    event = registration_event(owner)
    registration, token = make_registration(event, email="me@example.org")
    post_form(client, f"/r/{token}/cancel", {})
    assert reload(Registration, registration.id).status == RegistrationStatus.CANCELLED
    response = client.get(f"/r/{token}")
    assert response.status_code in (404, 410)  # a cancelled registration's link ends
    assert "data-substitute-link" not in response.get_data(as_text=True)
    assert client.get(f"/r/{token}/substitute").status_code in (404, 409, 410)


# --- the photo's headers ---------------------------------------------------------------------

def test_the_photo_is_served_private_no_store_nosniff_inline(client, owner):
    event = registration_event(owner)
    registration, token = make_registration(event, email="me@example.org")
    photos.set_photo(registration, jpeg())
    for url in (f"/r/{token}/photo", f"/r/{token}/photo?size=thumbnail"):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"] == "inline"
    # the personal page itself stays no-store
    assert client.get(f"/r/{token}").headers["Cache-Control"] == "no-store"


# --- a member removed by their head is told who did it ---------------------------------------

def delegation(event, *, member_language):
    number = next(_numbers)
    head = service_data(country="TH", email=f"head{number}@example.org", language="en",
                        delegation_role="head", honorific="he", given_name="Somchai",
                        family_name="Ketua")
    members = [{"honorific": "mr", "given_name": "Anan", "family_name": "Anggota",
                "email": f"m{number}@example.org", "delegation_role": "delegate",
                "position": "", "language": member_language}]
    found, tokens = delegation_service.register_delegation(event, head, members)
    head_reg, member = delegation_service.delegation_members(found)
    return head_reg, tokens[head_reg.id], member


@pytest.mark.parametrize("language, expected, not_expected", [
    ("en", ["H.E. Somchai Ketua, the head of your delegation, removed you from the delegation",
            "please contact H.E. Somchai Ketua"], "As you asked"),
    ("id", ["ketua delegasi Anda, telah mengeluarkan Anda dari delegasi",
            "silakan hubungi"], "Sesuai permintaan Anda"),
])
def test_a_member_removed_by_the_head_is_told_the_head_did_it(
        client, owner, smtp_server, language, expected, not_expected):
    event = registration_event(owner, capacity=20, title="Bangkok Dialogue")
    head, head_token, member = delegation(event, member_language=language)
    smtp_server.wait_for(3)
    smtp_server.messages.clear()
    response = post_form(client,
                         f"/r/{head_token}/delegation/members/{member.id}/remove", {})
    assert response.status_code == 303
    [mail] = [item for item in smtp_server.wait_for(1) if item["to"] == [member.email]]
    text = mail["message"].get_body(("plain",)).get_content()
    html = mail["message"].get_body(("html",)).get_content()
    for words in expected:
        assert words in text and words in html.replace("&nbsp;", " ")
    assert not_expected not in text and not_expected not in html
    assert f'<html lang="{language}">' in html


def test_a_delegate_cancelling_themselves_still_reads_as_they_asked(client, owner, smtp_server):
    event = registration_event(owner, title="Bangkok Dialogue")
    _registration, token = make_registration(event, email="me@example.org")
    smtp_server.wait_for(1)
    smtp_server.messages.clear()
    post_form(client, f"/r/{token}/cancel", {})
    [mail] = smtp_server.wait_for(1)
    text = mail["message"].get_body(("plain",)).get_content()
    assert "As you asked" in text and "head of your delegation" not in text


# --- the single registration forms show the error summary ------------------------------------

@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_registration_form_shows_the_summary_with_links(client, owner, lang):
    event = registration_event(owner)
    client.set_cookie("lang", lang)
    response = post_form(client, f"/events/{event.slug}/register",
                         form_fields(email="not-an-address", given_name="", consent=None))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = html[html.index("data-error-summary"):]
    summary = summary[:summary.index("</ul>")]
    for field in ("email", "given_name", "consent"):
        assert f'href="#{field}"' in summary and f'id="{field}"' in html
    assert html.index("data-error-summary") < html.index('name="given_name"')
    if lang == "id":
        assert "Please correct the following:" not in html
        assert "This field is required." not in html


def test_the_invitation_registration_page_shows_the_summary(client, owner):
    event = registration_event(owner)
    invitee = add_invitee(event, email="invited@example.org", country="LA")
    url = f"/i/{invitations.invitee_token(invitee)}/register"
    assert "data-error-summary" not in client.get(url).get_data(as_text=True)
    response = post_form(client, url, form_fields(email="invited@example.org", given_name="",
                                                  country="LA", phone="", consent=None))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = html[html.index("data-error-summary"):]
    summary = summary[:summary.index("</ul>")]
    assert 'href="#given_name"' in summary and 'href="#consent"' in summary
    assert db.session.scalar(select(func.count(Registration.id))) == 0
