"""The head of a delegation replaces a member from their own personal link (issue 16,
"Substitution keeps the seat"): the seat is kept (nobody moves up), the old member's link and
badge stop working, the new person gets their own link by email in their language, the head
sees the new name, the audit names who replaced whom and who did it (no passport data). Bad
input: a translated 422 and nothing changed; another delegation's head: 404."""

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    Registration,
    RegistrationStatus,
    SubstitutionRequest,
    utcnow,
)
from seminar_app.services.errors import NotFound
from seminar_app.services.registration import checkin
from seminar_app.services.registration import delegations as delegation_service
from seminar_app.services.registration import registrations as registration_service
from seminar_app.services.registration.registration_labels import display_name
from tests.conftest import post_form
from tests.factories import form_fields, make_registration, registration_event, visa_fields

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED
_numbers = iter(range(1, 100_000))


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def delegation(event, size=3, *, language="en"):
    """A Thai delegation of ``size`` people: (delegation, {registration id: token})."""
    number = next(_numbers)
    head = {"honorific": "he", "honorific_other": "", "given_name": "Kepala",
            "family_name": "Utama", "email": f"head{number}@example.org", "country": "TH",
            "organisation": "Royal Thai Embassy", "position": "", "delegation_role": "head",
            "phone": "", "language": language, "dietary": "", "accessibility": "",
            "needs_visa_letter": False}
    members = [{"honorific": "mr", "given_name": f"Anggota{chr(65 + i)}",
                "family_name": "Lama", "email": f"d{number}-m{i}@example.org",
                "delegation_role": "delegate", "position": ""} for i in range(size - 1)]
    return delegation_service.register_delegation(event, head, members)


def parts(found, tokens, index=1):
    """(head, head token, member, member token)."""
    members = delegation_service.delegation_members(found)
    head, member = members[0], members[index]
    return head, tokens[head.id], member, tokens[member.id]


def replace_form(**overrides) -> dict:
    fields = form_fields(given_name="Siti", family_name="Baru", email="siti.baru@example.org",
                         honorific="ms", delegation_role="delegate", language="id",
                         phone="", organisation="Royal Thai Embassy", country=None)
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def url(token, member, tail="/replace"):
    return f"/r/{token}/delegation/members/{member.id}{tail}"


def substituted_entries(registration_id):
    return db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "registration.substituted",
        AuditEntry.object_id == registration_id)).all()


# --- the head's page offers it ---------------------------------------------------------------

def test_the_heads_page_offers_replace_for_members_not_for_the_head(client, owner):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 3)
    head, head_token, member, member_token = parts(found, tokens)
    html = client.get(f"/r/{head_token}").get_data(as_text=True)
    assert url(head_token, member) in html
    assert url(head_token, head) not in html
    assert html.count("data-replace-member") == 2
    # a member's own page has no such control
    assert "data-replace-member" not in client.get(f"/r/{member_token}").get_data(as_text=True)


def test_a_checked_in_member_is_not_offered(client, owner, make_user):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 2)
    head, head_token, member, _member_token = parts(found, tokens)
    member.checked_in_at = utcnow()
    db.session.commit()
    assert "data-replace-member" not in client.get(f"/r/{head_token}").get_data(as_text=True)
    response = client.get(url(head_token, member))
    assert response.status_code == 409 and "already checked in" in response.get_data(
        as_text=True)


# --- replacing -------------------------------------------------------------------------------

def test_head_replaces_a_member_and_the_seat_is_kept(client, owner, smtp_server):
    # a full event with someone waiting: the seat must never be free
    event = registration_event(owner, capacity=3, title="Bangkok Dialogue")
    found, tokens = delegation(event, 3)
    waiting, _waiting_token = make_registration(event, email="waiting@example.org")
    assert waiting.status == WAITLISTED
    head, head_token, member, member_token = parts(found, tokens)
    old_reference, old_badge, old_name = member.reference, member.badge_code, display_name(member)
    smtp_server.wait_for(1)
    smtp_server.messages.clear()

    form_page = client.get(url(head_token, member))
    assert form_page.status_code == 200
    assert old_name in form_page.get_data(as_text=True)
    response = post_form(client, url(head_token, member), replace_form())
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/r/{head_token}#delegation")

    db.session.expire_all()
    registration = db.session.get(Registration, member.id)
    assert registration.email == "siti.baru@example.org" and registration.status == CONFIRMED
    assert registration.delegation_id == found.id and registration.country == "TH"
    assert registration.reference != old_reference and registration.badge_code != old_badge
    assert db.session.get(Registration, waiting.id).status == WAITLISTED  # nobody moved up
    assert db.session.scalar(select(func.count(Registration.id)).where(
        Registration.event_id == event.id, Registration.status == CONFIRMED)) == 3
    # the old link and badge stop working
    assert client.get(f"/r/{member_token}").status_code == 404
    for code in (old_badge, old_reference):
        with pytest.raises(NotFound):
            checkin.check_in(event, badge_code=code, user=owner)

    # the new person gets their own link by email, in their language; the old one is told
    received = {item["to"][0]: item["message"] for item in smtp_server.wait_for(2)}
    new_mail = received["siti.baru@example.org"]
    new_text = new_mail.get_body(("plain",)).get_content()
    assert '<html lang="id">' in new_mail.get_body(("html",)).get_content()
    assert registration.reference in new_text
    new_token = new_text.split("/r/", 1)[1].split()[0].rstrip(".)>")
    assert client.get(f"/r/{new_token}").status_code == 200
    assert member.email in received

    # the head sees the new name
    page = client.get(f"/r/{head_token}").get_data(as_text=True)
    section = page[page.index('id="delegation"'):]
    assert "Siti" in section and "Baru" in section and "AnggotaA" not in section
    assert "siti.baru@example.org" in section


def test_the_audit_names_who_replaced_whom_without_passport_data(client, owner):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 2)
    head, head_token, member, _member_token = parts(found, tokens)
    old_email, old_reference = member.email, member.reference
    response = post_form(client, url(head_token, member), replace_form(**visa_fields(event)))
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    registration = db.session.get(Registration, member.id)
    assert registration.needs_visa_letter and registration.passport_number == "B1234567"
    [entry] = substituted_entries(member.id)
    assert entry.user_id is None
    details = entry.details
    assert details["source"] == "head"
    assert details["old_name"] == "AnggotaA Lama" and details["old_email"] == old_email
    assert details["new_name"] == "Siti Baru"
    assert details["new_email"] == "siti.baru@example.org"
    assert details["old_reference"] == old_reference
    assert details["reference"] == registration.reference
    assert head.email in details["by"] and "Kepala" in details["by"]
    flat = repr(details)
    # the country as a value ('MY' quoted: a random reference may contain the letters MY)
    for secret in ("B1234567", "Kuala Lumpur", "1975-04-02", "'MY'"):
        assert secret not in flat


def test_the_page_and_the_flash_in_indonesian(client, owner):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 2, language="id")
    _head, head_token, member, _member_token = parts(found, tokens)
    client.set_cookie("lang", "id")
    page = client.get(url(head_token, member)).get_data(as_text=True)
    assert 'lang="id"' in page and "Ganti" in page
    response = post_form(client, url(head_token, member), replace_form(),
                         follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "digantikan oleh" in html


# --- bad input and the wrong people ----------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "id"])
def test_bad_input_is_a_translated_422_and_nothing_changes(client, owner, lang):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 2)
    _head, head_token, member, member_token = parts(found, tokens)
    old_email = member.email
    client.set_cookie("lang", lang)
    response = post_form(client, url(head_token, member),
                         replace_form(email="not-an-address", given_name="", consent=None))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'lang="{lang}"' in body and "data-error-summary" in body
    assert 'href="#email"' in body and 'href="#given_name"' in body
    if lang == "id":
        assert "This field is required." not in body
        assert "Enter a valid email address." not in body
    db.session.expire_all()
    assert db.session.get(Registration, member.id).email == old_email
    assert substituted_entries(member.id) == []
    assert client.get(f"/r/{member_token}").status_code == 200


def test_an_address_already_registered_is_refused(client, owner):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 3)
    _head, head_token, member, _token = parts(found, tokens)
    other = parts(found, tokens, 2)[2]
    response = post_form(client, url(head_token, member), replace_form(email=other.email))
    assert response.status_code == 409
    assert "already has a registration" in response.get_data(as_text=True)
    response = post_form(client, url(head_token, member), replace_form(email=member.email))
    assert response.status_code == 422
    db.session.expire_all()
    assert substituted_entries(member.id) == []


def test_another_delegations_head_gets_404_and_a_member_403(client, owner):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 3)
    other_found, other_tokens = delegation(event, 2)
    head, head_token, member, member_token = parts(found, tokens)
    _other_head, other_head_token, _m, _t = parts(other_found, other_tokens)
    for method in ("get", "post"):
        if method == "get":
            response = client.get(url(other_head_token, member))
        else:
            response = post_form(client, url(other_head_token, member), replace_form())
        assert response.status_code == 404
    # the head themselves, an unknown id: 404
    assert client.get(url(head_token, head)).status_code == 404
    assert client.get(f"/r/{head_token}/delegation/members/999999/replace").status_code == 404
    # a member's link manages nothing
    sibling = parts(found, tokens, 2)[2]
    assert client.get(url(member_token, sibling)).status_code == 403
    assert post_form(client, url(member_token, sibling), replace_form()).status_code == 403
    # a lone registration (no delegation) too
    _lone, lone_token = make_registration(event, email="lone@example.org")
    assert client.get(url(lone_token, member)).status_code == 403
    db.session.expire_all()
    assert db.session.get(Registration, member.id).email != "siti.baru@example.org"
    assert db.session.get(Registration, sibling.id).email != "siti.baru@example.org"


def test_a_removed_member_cannot_be_replaced(client, owner):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 2)
    head, head_token, member, _token = parts(found, tokens)
    delegation_service.remove_member(head, member.id)
    assert "data-replace-member" not in client.get(f"/r/{head_token}").get_data(as_text=True)
    response = post_form(client, url(head_token, member), replace_form())
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Registration, member.id).email != "siti.baru@example.org"
    assert registration_service.get_registration_by_token(head_token).id == head.id


# --- the head themselves: the delegate request path ------------------------------------------

def test_the_head_asks_to_be_replaced_and_the_new_person_leads_the_delegation(
        client, auth, owner, smtp_server):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 2)
    head, head_token, member, _member_token = parts(found, tokens)
    page = client.get(f"/r/{head_token}").get_data(as_text=True)
    assert "data-head-self-replace" in page and f'href="/r/{head_token}/substitute"' in page
    response = post_form(client, f"/r/{head_token}/substitute",
                         replace_form(email="new.head@example.org", delegation_role="head"))
    assert response.status_code == 303, response.get_data(as_text=True)
    request = db.session.scalar(select(SubstitutionRequest))
    auth.login(owner)
    smtp_server.messages.clear()
    response = post_form(client, f"/manage/events/{event.id}/registrations/{head.id}"
                         "/substitution/approve", {"request_id": request.id})
    assert response.status_code == 302
    auth.logout()
    mail = next(item["message"] for item in smtp_server.wait_for(2)
                if item["to"] == ["new.head@example.org"])
    text = mail.get_body(("plain",)).get_content()
    new_token = text.split("/r/", 1)[1].split()[0].rstrip(".)>")
    page = client.get(f"/r/{new_token}").get_data(as_text=True)
    assert 'id="delegation"' in page and url(new_token, member) in page
    assert client.get(f"/r/{head_token}").status_code == 404
    db.session.expire_all()
    assert db.session.get(type(found), found.id).head_registration_id == head.id
    assert db.session.get(Registration, head.id).email == "new.head@example.org"
