"""Answering an invitation through its personal link /i/<token>: the page, accepting by
registering (bound to the invitee's email), declining, expiry, languages, limits and headers."""

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    EventStatus,
    InvitationResponse,
    Invitee,
    OutboxEmail,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    ResponseChannel,
    Visibility,
    utcnow,
)
from seminar_app.services.errors import Conflict
from seminar_app.services.invitations import invitations, rsvp
from seminar_app.services.registration import registrations as registration_service
from tests.conftest import post_form
from tests.factories import (
    add_invitee,
    add_registration,
    form_fields,
    make_registration,
    registration_event,
)


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(db, owner):
    return registration_event(owner, title="Growing Together Forum", venue_city="Jakarta")


@pytest.fixture
def invitee(event):
    return add_invitee(event, honorific="amb", name="Khamphone Sisoulath",
                       email="khamphone@example.org", country="LA",
                       organisation="Embassy of the Lao PDR", position="Ambassador",
                       language="en")


def link(invitee) -> str:
    return f"/i/{invitations.invitee_token(invitee)}"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fresh(invitee) -> Invitee:
    db.session.expire_all()
    return db.session.get(Invitee, invitee.id)


def accept(client, invitee, **overrides):
    """POST the prefilled registration form of ``invitee`` (their own email by default)."""
    fields = form_fields(email=invitee.email, given_name="Khamphone",
                         family_name="Sisoulath", country="LA", phone="")
    fields.update(overrides)
    return post_form(client, f"{link(invitee)}/register", fields)


def snapshot(invitee) -> tuple:
    row = fresh(invitee)
    return (row.response, row.responded_at, row.registration_id, row.decline_reason,
            count(Registration), count(AuditEntry), count(OutboxEmail))


# --- the invitation page -----------------------------------------------------------------

def test_page_addresses_the_invitee_and_shows_the_event(client, invitee):
    response = client.get(link(invitee))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Dear Amb. Khamphone Sisoulath," in html
    assert "Growing Together Forum" in html and "South-South Cooperation" in html
    assert "Gedung Pancasila" in html and "WIB" in html
    assert f'href="{link(invitee)}/register"' in html
    assert f'href="{link(invitee)}/decline"' in html


def test_every_get_changes_nothing(client, invitee):
    before = snapshot(invitee)
    for path in ("", "/register", "/decline"):
        assert client.get(link(invitee) + path).status_code == 200
    assert snapshot(invitee) == before
    assert fresh(invitee).response == InvitationResponse.PENDING


def test_unknown_token_is_404(client, invitee):
    for token in (secrets.token_urlsafe(32), "short", invitations.invitee_token(invitee)[:-2]):
        assert client.get(f"/i/{token}").status_code == 404
    assert client.get(f"/i/{secrets.token_urlsafe(32)}/register").status_code == 404
    response = post_form(client, f"/i/{secrets.token_urlsafe(32)}/decline", {"reason": ""})
    assert response.status_code == 404


def test_a_rotated_link_stops_working(client, invitee):
    old = link(invitee)
    invitations.rotate_invitee_link(invitee)
    db.session.commit()
    assert client.get(old).status_code == 404
    assert client.get(link(invitee)).status_code == 200


def test_draft_event_invitation_is_404(client, owner):
    draft = registration_event(owner, status=EventStatus.DRAFT)
    assert client.get(link(add_invitee(draft))).status_code == 404


def test_expired_link_answers_410_and_accepts_nothing(client, owner):
    start = utcnow() - timedelta(days=2)
    ended = registration_event(owner, start_at=start, end_at=start + timedelta(hours=8))
    invitee = add_invitee(ended)
    before = snapshot(invitee)
    response = client.get(link(invitee))
    assert response.status_code == 410
    assert "This invitation has expired" in response.get_data(as_text=True)
    assert client.get(f"{link(invitee)}/register").status_code == 410
    assert post_form(client, f"{link(invitee)}/decline", {"reason": "late"}).status_code == 410
    assert accept(client, invitee).status_code == 410
    assert snapshot(invitee) == before


def test_cancelled_event_answers_410(client, event, invitee):
    event.status = EventStatus.CANCELLED
    event.cancellation_reason = "Postponed to next year."
    db.session.commit()
    response = client.get(link(invitee))
    assert response.status_code == 410
    assert "Postponed to next year." in response.get_data(as_text=True)
    assert accept(client, invitee).status_code == 410


def test_personal_pages_are_not_cached_and_send_no_referrer(client, invitee):
    for response in (client.get(link(invitee)), client.get(f"/i/{secrets.token_urlsafe(32)}")):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/").headers["Referrer-Policy"] == "same-origin"


# --- languages -------------------------------------------------------------------------------

def test_page_speaks_the_invitees_language_unless_the_visitor_chose(client, event):
    invitee = add_invitee(event, language="id", name="Siti Rahma")

    def lang(response):
        return response.get_data(as_text=True).split('<html lang="', 1)[1][:2]

    headers = {"Accept-Language": "en"}
    assert lang(client.get(link(invitee), headers=headers)) == "id"
    assert lang(client.get(f"{link(invitee)}/register", headers=headers)) == "id"
    assert "Nama depan" in client.get(f"{link(invitee)}/register").get_data(as_text=True)
    assert "Yth. Dubes Siti Rahma," in client.get(link(invitee)).get_data(as_text=True)
    chosen = client.get(f"{link(invitee)}?lang=en")
    assert lang(chosen) == "en"
    assert f'href="{link(invitee)}/register?lang=en"' in chosen.get_data(as_text=True)
    client.set_cookie("lang", "en")
    assert lang(client.get(link(invitee))) == "en"
    english = add_invitee(event, language="en")
    client.set_cookie("lang", "id")
    assert lang(client.get(link(english))) == "id"


def test_register_form_is_prefilled_with_the_invitation(client, event, invitee):
    html = client.get(f"{link(invitee)}/register").get_data(as_text=True)
    assert 'value="Khamphone"' in html and 'value="Sisoulath"' in html
    assert 'value="khamphone@example.org"' in html
    assert 'value="Embassy of the Lao PDR"' in html and 'value="Ambassador"' in html
    assert '<option value="LA" selected>' in html
    assert '<option selected value="amb">' in html


@pytest.mark.parametrize("name, parts", [
    ("Retno Lestari Priansari Marsudi", ("Retno Lestari Priansari", "Marsudi")),
    ("Sukarno", ("", "Sukarno")),
    ("  Maria da Costa ", ("Maria da", "Costa")),
    ("", ("", "")),
])
def test_names_split_on_the_last_space(name, parts):
    from seminar_app.invitations.forms_rsvp import split_name

    assert split_name(name) == parts


# --- accepting ---------------------------------------------------------------------------

def test_accept_with_the_invited_email_confirms_and_links(client, invitee):
    response = accept(client, invitee)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/r/")
    row = fresh(invitee)
    registration = row.registration
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.source == RegistrationSource.INVITATION
    assert registration.forwarded_invitation is False
    assert row.response == InvitationResponse.ACCEPTED
    assert row.response_channel == ResponseChannel.ONLINE and row.responded_at is not None
    emails = db.session.scalars(select(OutboxEmail)).all()
    assert [e.recipient for e in emails] == ["khamphone@example.org"]
    assert emails[0].template == "registration_confirmed_to_delegate"
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"registration.create", "invitee.accept"} <= actions
    page = client.get(response.headers["Location"])
    assert "Thank you for accepting the invitation" in page.get_data(as_text=True)


def test_accept_skips_moderation_and_works_on_invitation_only_events(client, owner):
    event = registration_event(owner, visibility=Visibility.INVITATION_ONLY,
                               requires_approval=True)
    invitee = add_invitee(event)
    public = post_form(client, f"/events/{event.slug}/register", form_fields())
    assert public.status_code == 403
    assert count(Registration) == 0
    assert accept(client, invitee).status_code == 303
    assert fresh(invitee).registration.status == RegistrationStatus.CONFIRMED


def test_accept_when_full_joins_the_waiting_list(client, owner):
    event = registration_event(owner, capacity=1)
    make_registration(event)
    invitee = add_invitee(event)
    assert accept(client, invitee).status_code == 303
    row = fresh(invitee)
    assert row.registration.status == RegistrationStatus.WAITLISTED
    assert row.response == InvitationResponse.ACCEPTED


def test_accept_with_another_email_waits_for_an_organizer(client, invitee):
    response = accept(client, invitee, email="Colleague@Example.org")
    assert response.status_code == 303
    row = fresh(invitee)
    registration = row.registration
    assert registration.email == "colleague@example.org"
    assert registration.status == RegistrationStatus.PENDING
    assert registration.forwarded_invitation is True
    assert row.response == InvitationResponse.ACCEPTED
    emails = {email.recipient: email for email in db.session.scalars(select(OutboxEmail))}
    assert set(emails) == {"colleague@example.org", "khamphone@example.org"}
    assert emails["colleague@example.org"].template == "registration_pending_to_delegate"
    # the invitee learns that their personal link was used by another address
    notice = emails["khamphone@example.org"]
    assert notice.template == "invitation_forwarded_to_invitee"
    assert notice.invitee_id == row.id and "colleague@example.org" in notice.body_text
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Because the invitation was sent to another email address" in page


def test_forwarded_registration_is_never_confirmed_without_approval(client, owner, make_user):
    event = registration_event(owner, capacity=2, requires_approval=False)
    invitee = add_invitee(event)
    first, _token = make_registration(event)
    accept(client, invitee, email="forwarded@example.org")
    forwarded = fresh(invitee).registration
    assert forwarded.status == RegistrationStatus.PENDING
    # places free up, the waiting list is served, details change: still pending
    registration_service.cancel_registration(first)
    registration_service.update_registration(
        forwarded, data={**{k: getattr(forwarded, k) for k in registration_service
                            .REGISTRATION_FIELDS}, "organisation": "Changed"})
    make_registration(event)
    db.session.expire_all()
    assert db.session.get(Registration, forwarded.id).status == RegistrationStatus.PENDING
    # the same link cannot register the invitee's own address around the approval
    refused = accept(client, invitee)
    assert refused.status_code == 409
    registration_service.approve_registration(db.session.get(Registration, forwarded.id),
                                              actor=owner)
    db.session.expire_all()
    assert db.session.get(Registration, forwarded.id).status == RegistrationStatus.CONFIRMED


def test_one_invitation_gives_one_registration(client, invitee):
    assert accept(client, invitee).status_code == 303
    registrations = count(Registration)
    page = client.get(f"{link(invitee)}/register")
    assert page.status_code == 409
    assert "already been used to register" in page.get_data(as_text=True)
    again = accept(client, invitee, email="someone-else@example.org")
    assert again.status_code == 409
    assert count(Registration) == registrations
    # the service refuses too (a request that raced past the page's check)
    with pytest.raises(Conflict):
        rsvp.accept_invitation(fresh(invitee), data={
            **{k: "" for k in registration_service.REGISTRATION_FIELDS},
            "email": "third@example.org", "given_name": "A", "family_name": "B",
            "organisation": "C", "country": "ID", "honorific": "mr",
            "delegation_role": "delegate", "language": "en"})
    db.session.rollback()
    assert count(Registration) == registrations


def test_after_cancelling_the_link_registers_again(client, invitee):
    accept(client, invitee)
    registration = fresh(invitee).registration
    registration_service.cancel_registration(registration)
    page = client.get(link(invitee)).get_data(as_text=True)
    assert "Register again" in page
    assert accept(client, invitee).status_code == 303
    row = fresh(invitee)
    assert row.registration_id == registration.id  # the same email's row is reactivated
    assert row.registration.status == RegistrationStatus.CONFIRMED


def test_existing_registration_of_the_invited_email_is_linked(client, event, invitee):
    existing = add_registration(event, email=invitee.email, status=RegistrationStatus.PENDING)
    response = accept(client, invitee)
    assert response.status_code == 303
    assert response.headers["Location"] == link(invitee)
    row = fresh(invitee)
    assert row.registration_id == existing.id and row.response == InvitationResponse.ACCEPTED
    assert row.registration.status == RegistrationStatus.PENDING  # its status is kept
    assert count(Registration) == 1
    email = db.session.scalars(select(OutboxEmail)).one()
    assert email.template == "registration_link_to_delegate"
    page = client.get(link(invitee)).get_data(as_text=True)
    assert "your invitation is now linked to that registration" in page
    assert "Open my registration" in page


def test_another_registered_email_gets_the_neutral_answer(client, event, invitee):
    add_registration(event, email="registered@example.org")
    response = accept(client, invitee, email="registered@example.org")
    assert response.status_code == 200
    assert "If a registration exists for this email" in response.get_data(as_text=True)
    row = fresh(invitee)
    assert row.registration_id is None and row.response == InvitationResponse.PENDING


def test_registration_window_decides(client, owner):
    later = registration_event(owner, registration_opens_at=utcnow() + timedelta(days=2))
    closed = registration_event(owner, registration_closes_at=utcnow() - timedelta(hours=1))
    no_window = registration_event(owner, registration_opens_at=None,
                                   registration_closes_at=None)
    for an_event, text in ((later, "has not opened yet"), (closed, "is closed")):
        invitee = add_invitee(an_event)
        page = client.get(f"{link(invitee)}/register")
        assert page.status_code == 403 and text in page.get_data(as_text=True)
        assert accept(client, invitee).status_code == 403
        assert client.get(link(invitee)).status_code == 200  # declining stays possible
    assert count(Registration) == 0
    invitee = add_invitee(no_window)
    assert accept(client, invitee).status_code == 303


def test_open_my_registration_issues_a_fresh_link(client, invitee):
    accept(client, invitee)
    page = client.get(link(invitee)).get_data(as_text=True)
    assert "Open my registration" in page and "Confirmed" in page
    response = post_form(client, f"{link(invitee)}/registration")
    assert response.status_code == 303
    target = response.headers["Location"]
    assert target.startswith("/r/")
    assert "Khamphone" in client.get(target).get_data(as_text=True)


def test_open_my_registration_without_one_is_404(client, invitee):
    assert post_form(client, f"{link(invitee)}/registration").status_code == 404


# --- declining -------------------------------------------------------------------------------

def test_decline_without_reason(client, invitee):
    response = post_form(client, f"{link(invitee)}/decline", {})
    assert response.status_code == 303 and response.headers["Location"] == link(invitee)
    row = fresh(invitee)
    assert row.response == InvitationResponse.DECLINED and row.decline_reason == ""
    assert row.response_channel == ResponseChannel.ONLINE and row.responded_at is not None
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "invitee.decline")).one()
    assert entry.object_id == invitee.id and entry.event_id == invitee.event_id
    page = client.get(link(invitee)).get_data(as_text=True)
    assert "Thank you for letting us know" in page and "You declined the invitation on" in page


def test_decline_with_reason_then_accept_after_all(client, invitee):
    response = post_form(client, f"{link(invitee)}/decline",
                         {"reason": "  Another mission\x00 on these dates. "})
    assert response.status_code == 303
    assert fresh(invitee).decline_reason == "Another mission on these dates."
    page = client.get(link(invitee)).get_data(as_text=True)
    assert "Another mission on these dates." in page and "Accept and register" in page
    assert "/decline" not in page.split("Your answer", 1)[1]  # already declined
    assert accept(client, invitee).status_code == 303
    row = fresh(invitee)
    assert row.response == InvitationResponse.ACCEPTED and row.decline_reason == ""


@pytest.mark.parametrize("reason, message", [
    ("x" * 1001, "at most 1000 characters"),
    ("<script>alert(1)</script>", "angle brackets"),
])
def test_decline_refuses_bad_reasons(client, invitee, reason, message):
    response = post_form(client, f"{link(invitee)}/decline", {"reason": reason})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert fresh(invitee).response == InvitationResponse.PENDING


def test_decline_after_registering_points_to_cancelling(client, invitee):
    accept(client, invitee)
    page = client.get(f"{link(invitee)}/decline").get_data(as_text=True)
    assert "please cancel your registration instead" in page
    response = post_form(client, f"{link(invitee)}/decline", {"reason": "changed my mind"})
    assert response.status_code == 409
    assert "please cancel your registration instead" in response.get_data(as_text=True)
    row = fresh(invitee)
    assert row.response == InvitationResponse.ACCEPTED
    assert row.registration.status == RegistrationStatus.CONFIRMED


def test_decline_twice_is_refused(client, invitee):
    post_form(client, f"{link(invitee)}/decline", {"reason": "first"})
    response = post_form(client, f"{link(invitee)}/decline", {"reason": "second"})
    assert response.status_code == 409
    assert fresh(invitee).decline_reason == "first"


def test_decline_page_in_indonesian(client, event):
    invitee = add_invitee(event, language="id")
    response = post_form(client, f"{link(invitee)}/decline", {"reason": "<b>"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and '<html lang="id"' in html
    assert "Mohon tidak menggunakan kurung sudut di sini." in html
    assert fresh(invitee).response == InvitationResponse.PENDING


# --- limits ----------------------------------------------------------------------------------

def test_links_share_one_budget_per_address(app, client, invitee, monkeypatch):
    monkeypatch.setitem(app.config, "INVITATION_LINK_RATE_LIMIT", "3 per minute")
    client.set_cookie("lang", "id")
    codes = [client.get(f"/i/{secrets.token_urlsafe(32)}").status_code for _ in range(3)]
    assert codes == [404, 404, 404]
    blocked = client.get(link(invitee))  # a valid link: the budget is spent all the same
    assert blocked.status_code == 429
    assert "Terlalu banyak permintaan" in blocked.get_data(as_text=True)
    assert post_form(client, f"{link(invitee)}/decline", {}).status_code == 429
    assert fresh(invitee).response == InvitationResponse.PENDING


# --- staff pages -----------------------------------------------------------------------------

def test_participant_pages_show_the_forwarded_invitation(app, client, owner, invitee):
    from tests.factories import logged_in

    accept(client, invitee, email="colleague@example.org")
    registration = fresh(invitee).registration
    staff = logged_in(app, owner)
    listing = staff.get(f"/manage/events/{invitee.event_id}/registrations")
    assert "via a forwarded invitation" in listing.get_data(as_text=True)
    detail = staff.get(f"/manage/events/{invitee.event_id}/registrations/{registration.id}")
    html = detail.get_data(as_text=True)
    assert "via a forwarded invitation" in html
    assert "Amb. Khamphone Sisoulath</a> &lt;khamphone@example.org&gt;" in html
    assert f"/invitations/{invitee.id}\"" in html  # a link to the invitee's page
    plain = add_registration(registration.event)
    other = staff.get(f"/manage/events/{invitee.event_id}/registrations/{plain.id}")
    assert "via a forwarded invitation" not in other.get_data(as_text=True)


# --- the demo --------------------------------------------------------------------------------

def test_demo_forum_has_invitees_with_answers(app, client):
    from seminar_app.demo import FORUM_INVITEES, FORUM_MISSIONS, load_demo

    load_demo()
    everyone = db.session.scalars(select(Invitee)).all()
    invitees = [i for i in everyone if i.kind == "person"]
    assert len(invitees) == len(FORUM_INVITEES) >= 30
    assert len(everyone) - len(invitees) == len(FORUM_MISSIONS)  # missions, as organisations
    assert {"ASEAN", "Africa", "Latin America", "Pacific"} <= {i.group_name for i in invitees}
    by_answer = {answer: [i for i in invitees if i.response == answer]
                 for answer in InvitationResponse}
    accepted = by_answer[InvitationResponse.ACCEPTED]
    assert accepted and all(i.registration is not None and i.registration.email == i.email
                            and i.registration.status == RegistrationStatus.CONFIRMED
                            for i in accepted)
    declined = by_answer[InvitationResponse.DECLINED]
    assert declined and any(i.decline_reason for i in declined)
    assert len(by_answer[InvitationResponse.PENDING]) >= 10
    # the demo links work
    assert client.get(link(by_answer[InvitationResponse.PENDING][0])).status_code == 200
    assert "Open my registration" in client.get(link(accepted[0])).get_data(as_text=True)
