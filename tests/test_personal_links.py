"""Personal links are safe to forward: masked passport data, write-only fields, links that end
(cancellation, after the event, a newer link, a short-lived link), changes emailed to the
delegate, and no path from an invitation to somebody else's registration."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    Invitee,
    OutboxEmail,
    Registration,
    RegistrationLink,
    RegistrationSource,
    utcnow,
)
from seminar_app.services.errors import NotFound, PermissionDenied
from seminar_app.services.invitations import invitations
from seminar_app.services.policies import (
    can_see_passport,
    mask_passport_number,
    personal_link_refusal,
)
from seminar_app.services.registration import registrations as service
from tests.conftest import post_form
from tests.factories import (
    add_invitee,
    add_team_member,
    form_fields,
    logged_in,
    make_registration,
    registration_event,
    visa_fields,
)

MANAGE_LINK = re.compile(r"/r/([A-Za-z0-9_-]{20,})")


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(db, owner):
    return registration_event(owner, title="Growing Together Forum")


def register_with_visa(client, event, **overrides) -> str:
    """Register through the public form with a visa request; the personal-link token."""
    fields = {**form_fields(**overrides), **visa_fields(event), "passport_number": "a12 34319"}
    response = post_form(client, f"/events/{event.slug}/register", fields)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.headers["Location"].rsplit("/", 1)[1]


# --- what the page shows ---------------------------------------------------------------------

def test_mask_passport_number_keeps_only_the_last_three():
    assert mask_passport_number("A1234319") == "••••319"
    assert mask_passport_number("AB1") == "••••"
    assert mask_passport_number("") == ""


def test_personal_page_masks_the_passport_number(client, event):
    token = register_with_visa(client, event)
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert "A1234319" not in html and "••••319" in html


def test_edit_form_never_prefills_write_only_passport_fields(client, event):
    token = register_with_visa(client, event, email="visa@example.org")
    html = client.get(f"/r/{token}/edit").get_data(as_text=True)
    assert "A1234319" not in html and "Kuala Lumpur" not in html and "1975-04-02" not in html
    assert "••••319" in html  # the delegate sees which passport is on file


def test_edit_with_empty_write_only_fields_keeps_the_stored_values(client, event):
    token = register_with_visa(client, event, email="keep@example.org")
    fields = {**form_fields(position="Minister Counsellor"), **visa_fields(event),
              "passport_number": "", "birth_date": "", "birth_place": ""}
    fields.pop("email"), fields.pop("consent")
    response = post_form(client, f"/r/{token}/edit", fields)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    registration = db.session.scalar(select(Registration))
    db.session.refresh(registration)
    assert registration.position == "Minister Counsellor"
    assert registration.passport_number == "A1234319"
    assert registration.birth_place == "Kuala Lumpur"
    assert registration.birth_date.isoformat() == "1975-04-02"


def test_change_through_the_link_is_emailed_to_the_delegate(client, event, smtp_server):
    token = register_with_visa(client, event, email="told@example.org")
    smtp_server.wait_for(1)
    fields = {**form_fields(position="Counsellor"), **visa_fields(event),
              "passport_number": "X9999888"}
    fields.pop("email"), fields.pop("consent")
    assert post_form(client, f"/r/{token}/edit", fields).status_code == 303
    messages = smtp_server.wait_for(2)
    changed = messages[1]
    assert changed["to"] == ["told@example.org"]
    text = changed["message"].get_body(("plain",)).get_content()
    assert "Position" in text and "Passport number" in text
    assert "X9999888" not in text and "/r/" not in text  # names of fields, no values, no link


def test_change_by_staff_is_not_emailed_as_a_link_change(owner, event):
    registration, _token = make_registration(event)
    service.update_registration(registration, data={
        **{key: getattr(registration, key) for key in service.REGISTRATION_FIELDS},
        "position": "Director"}, actor=owner)
    templates = db.session.scalars(select(OutboxEmail.template)).all()
    assert "registration_changed_to_delegate" not in templates


# --- when links stop working -----------------------------------------------------------------

def test_link_stops_working_after_cancellation(client, event):
    _registration, token = make_registration(event)
    assert post_form(client, f"/r/{token}/cancel").status_code == 200
    for path in ("", "/edit", "/cancel", "/badge.pdf"):
        assert client.get(f"/r/{token}{path}").status_code == 410, path


def test_link_stops_working_some_days_after_the_event(app, client, event):
    _registration, token = make_registration(event)
    assert client.get(f"/r/{token}").status_code == 200
    event.start_at = utcnow() - timedelta(days=33)
    event.end_at = utcnow() - timedelta(days=31)
    db.session.commit()
    response = client.get(f"/r/{token}")
    assert response.status_code == 410 and "event is over" in response.get_data(as_text=True)
    app.config["PERSONAL_LINK_DAYS_AFTER_EVENT"] = 60
    try:
        assert client.get(f"/r/{token}").status_code == 200
    finally:
        app.config["PERSONAL_LINK_DAYS_AFTER_EVENT"] = 30


def test_resend_revokes_every_older_link(client, event):
    registration, first = make_registration(event, email="lost@example.org")
    service.resend_manage_link(event, "lost@example.org")
    service.resend_manage_link(event, "lost@example.org")
    assert client.get(f"/r/{first}").status_code == 404
    assert db.session.scalar(select(RegistrationLink.registration_id)) == registration.id
    assert len(db.session.scalars(select(RegistrationLink)).all()) == 1


def test_short_lived_link_expires(event):
    registration, _token = make_registration(event)
    link = RegistrationLink(token_hash="0" * 64, expires_at=utcnow() - timedelta(seconds=1))
    registration.links.append(link)
    db.session.commit()
    assert "expired" in personal_link_refusal(registration, link)


def test_link_page_in_indonesian_when_gone(client, event):
    _registration, token = make_registration(event)
    service.cancel_registration(_registration)
    client.set_cookie("lang", "id")
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert "This registration has been cancelled" not in html and '<html lang="id">' in html
    assert "Pendaftaran ini telah dibatalkan" in html


# --- invitations ------------------------------------------------------------------------------

def _invite_link(invitee) -> str:
    return f"/i/{invitations.invitee_token(invitee)}"


def test_invite_right_cannot_link_an_invitation_to_a_registration(app, make_user, event):
    inviter = make_user("staff")
    add_team_member(event, inviter, can_invite=True)
    registration, _token = make_registration(event, email="victim@example.org")
    invitee = add_invitee(event, email="attacker@example.org")
    with pytest.raises(PermissionDenied):
        invitations.link_registration(invitee, registration.reference, actor=inviter)
    client = logged_in(app, inviter)
    page = client.get(f"/manage/events/{event.id}/invitations/{invitee.id}")
    assert "Link to an existing registration" not in page.get_data(as_text=True)
    response = post_form(client, f"/manage/events/{event.id}/invitations/{invitee.id}/registration",
                         {"link-lookup": registration.reference})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Invitee, invitee.id).registration_id is None


def test_invitation_linked_by_an_organizer_emails_the_link_to_the_registration(
        client, owner, event, smtp_server):
    registration = _visa_registration(event, email="own@example.org")
    token = MANAGE_LINK.search(smtp_server.wait_for(1)[0]["message"].get_body(
        ("plain",)).get_content()).group(1)
    invitee = add_invitee(event, email="someone-else@example.org")
    invitations.link_registration(invitee, registration.reference, actor=owner)
    response = post_form(client, f"{_invite_link(invitee)}/registration")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "/r/" not in html and "Check your email" in html
    messages = smtp_server.wait_for(2)
    assert messages[-1]["to"] == ["own@example.org"]
    assert client.get(f"/r/{token}").status_code == 404  # the new email's link replaced it


def test_forwarded_invitation_does_not_open_the_forwardees_registration(client, event,
                                                                        smtp_server):
    invitee = add_invitee(event, email="invited@example.org")
    fields = form_fields(email="colleague@example.org")
    response = post_form(client, f"{_invite_link(invitee)}/register", fields)
    assert response.status_code == 303
    smtp_server.wait_for(1)
    again = post_form(client, f"{_invite_link(invitee)}/registration")
    assert again.status_code == 200 and "/r/" not in again.get_data(as_text=True)


def test_invitees_own_registration_opens_with_a_short_lived_link(client, event):
    invitee = add_invitee(event, email="invited@example.org")
    response = post_form(client, f"{_invite_link(invitee)}/register",
                         form_fields(email="invited@example.org"))
    assert response.status_code == 303
    emailed = response.headers["Location"].rsplit("/", 1)[1]
    opened = post_form(client, f"{_invite_link(invitee)}/registration")
    assert opened.status_code == 303
    token = opened.headers["Location"].rsplit("/", 1)[1]
    assert client.get(f"/r/{token}").status_code == 200
    assert client.get(f"/r/{emailed}").status_code == 200  # the emailed link keeps working
    link = db.session.scalar(select(RegistrationLink).where(
        RegistrationLink.expires_at.is_not(None)))
    assert link is not None and link.expires_at <= utcnow() + timedelta(hours=2, minutes=1)
    registration = db.session.scalar(select(Registration))
    assert registration.source == RegistrationSource.INVITATION


# --- the policy and its audit -----------------------------------------------------------------

def test_can_see_passport_is_the_manage_right(make_user, owner, event):
    viewer, inviter, manager = make_user("staff"), make_user("staff"), make_user("staff")
    add_team_member(event, viewer)
    add_team_member(event, inviter, can_invite=True, can_checkin=True)
    add_team_member(event, manager, can_manage=True)
    assert can_see_passport(owner, event) and can_see_passport(manager, event)
    assert not can_see_passport(viewer, event) and not can_see_passport(inviter, event)


def test_api_and_web_normalise_a_passport_number_the_same_way(event):
    data = {**visa_fields(event), "needs_visa_letter": True, "passport_number": " b12 34 567 ",
            "birth_date": date(1980, 1, 1),
            "passport_expiry": (event.end_at + timedelta(days=400)).date()}
    registration, _token = make_registration(event, **data)
    assert registration.passport_number == "B1234567"


def test_unknown_token_is_still_404(client, event):
    with pytest.raises(NotFound):
        service.get_registration_by_token("x" * 43)
    assert client.get("/r/" + "y" * 43).status_code == 404


def _visa_registration(event, **overrides):
    data = {**visa_fields(event), "needs_visa_letter": True, "birth_date": date(1980, 1, 1),
            "passport_expiry": (event.end_at + timedelta(days=400)).date(), **overrides}
    return make_registration(event, **data)[0]


def test_passport_read_is_audited_on_the_detail_page(app, owner, event):
    registration = _visa_registration(event)
    client = logged_in(app, owner)
    page = client.get(f"/manage/events/{event.id}/registrations/{registration.id}")
    assert page.status_code == 200
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "passport.read"))
    assert entry is not None and entry.user_id == owner.id and entry.details["what"] == "page"
