"""The invitation list, adding/changing/removing invitees, and one invitee's page and actions."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    InvitationResponse,
    Invitee,
    Mailing,
    MailingKind,
    OutboxEmail,
    OutboxStatus,
    ResponseChannel,
    utcnow,
)
from tests.conftest import post_form
from tests.factories import (
    add_invitee,
    add_registration,
    add_team_member,
    logged_in,
    registration_event,
)


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def event(owner):
    return registration_event(owner)


@pytest.fixture
def staff(app, owner):
    return logged_in(app, owner)


def base(event) -> str:
    return f"/manage/events/{event.id}/invitations"


def actions(invitee) -> list[str]:
    return list(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "invitees",
                                        AuditEntry.object_id == invitee.id)
        .order_by(AuditEntry.id)))


def count_invitees() -> int:
    return db.session.scalar(select(func.count(Invitee.id)))


# --- the list --------------------------------------------------------------------------------

def test_list_shows_invitees_counts_and_funnel(staff, event):
    add_invitee(event, name="Retno Marsudi", honorific="he", country="ID",
                organisation="Kemlu", group_name="Ministers")
    add_invitee(event, name="Somchai Jaidee", group_name="ASEAN")
    page = staff.get(base(event))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "H.E. Retno Marsudi" in html
    assert "Indonesia" in html and "Kemlu" in html
    assert "Invitation funnel" in html and "<svg" in html
    assert "Invited: <span class=\"fw-semibold\">2</span>" in html
    assert 'aria-current="page">Invitations' in html or "Invitations</a>" in html


def test_list_filters_by_group_country_status_and_search(staff, event):
    add_invitee(event, name="Alpha One", country="ID", group_name="Ministers")
    add_invitee(event, name="Beta Two", country="TH", group_name="ASEAN",
                organisation="Royal Thai Embassy")
    declined = add_invitee(event, name="Gamma Three", country="TH", group_name="ASEAN")
    declined.response = InvitationResponse.DECLINED
    db.session.commit()

    def names(**args):
        html = staff.get(base(event), query_string=args).get_data(as_text=True)
        return {name for name in ("Alpha One", "Beta Two", "Gamma Three") if name in html}

    assert names(group="ASEAN") == {"Beta Two", "Gamma Three"}
    assert names(country="ID") == {"Alpha One"}
    assert names(status="declined") == {"Gamma Three"}
    assert names(status="not_sent", group="ASEAN") == {"Beta Two"}
    assert names(q="royal thai") == {"Beta Two"}
    assert names(q="%") == set()
    assert names(status="nonsense", country="<script>") == {"Alpha One", "Beta Two",
                                                            "Gamma Three"}


def test_list_query_count_does_not_grow_with_invitees(app, staff, event):
    mailing = Mailing(event_id=event.id, kind=MailingKind.INVITATION, send_key="k1")
    db.session.add(mailing)
    db.session.commit()

    def add(number):
        for index in range(number):
            invitee = add_invitee(event)
            db.session.add(OutboxEmail(
                event_id=event.id, mailing_id=mailing.id, invitee_id=invitee.id,
                template="invitation", recipient=invitee.email, subject="Hi", body_text="Hi",
                message_id=f"<{invitee.id}.{index}@example.org>", status=OutboxStatus.SENT,
                sent_at=utcnow()))
            db.session.commit()

    def queries() -> int:
        statements = []

        def record(*args):
            statements.append(args[2])

        sa_event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert staff.get(base(event)).status_code == 200
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", record)
        return len(statements)

    add(2)
    few = queries()
    add(25)
    assert queries() == few


def test_list_needs_the_invite_permission(app, event, make_user):
    viewer = make_user("staff")
    add_team_member(event, viewer)
    assert logged_in(app, viewer).get(base(event)).status_code == 403
    inviter = make_user("staff")
    add_team_member(event, inviter, can_invite=True)
    page = logged_in(app, inviter).get(base(event))
    assert page.status_code == 200
    assert ">Invitations</a>" in page.get_data(as_text=True)


# --- adding, changing, removing --------------------------------------------------------------

def test_add_an_invitee(staff, event, owner):
    response = post_form(staff, f"{base(event)}/new", {
        "honorific": "amb", "name": "  Retno   Marsudi ", "email": "Retno@Kemlu.go.id",
        "country": "ID", "organisation": "Kemlu", "position": "Minister",
        "language": "id", "group_name": "Ministers", "note": "VIP"})
    assert response.status_code == 303
    invitee = db.session.scalar(select(Invitee))
    assert response.headers["Location"].endswith(f"{base(event)}/{invitee.id}")
    assert (invitee.name, invitee.email, invitee.language) == (
        "Retno Marsudi", "retno@kemlu.go.id", "id")
    assert invitee.created_by_id == owner.id
    assert actions(invitee) == ["invitee.create"]


@pytest.mark.parametrize(("fields", "field_error"), [
    ({"email": "not-an-email"}, "Enter a valid email address."),
    ({"name": ""}, "This field is required."),
    ({"country": "XX"}, "Choose a country from the list."),
    ({"honorific": "other", "honorific_other": ""}, "Please write the form of address."),
    ({"language": "fr"}, "Choose a language from the list."),
    ({"name": "<b>x</b>"}, "Please do not use angle brackets here."),
    ({"organisation": "x" * 201}, "at most"),
])
def test_add_refuses_bad_input_with_a_message(staff, event, fields, field_error):
    data = {"name": "Someone", "email": "someone@example.org", "language": "en", **fields}
    response = post_form(staff, f"{base(event)}/new", data)
    assert response.status_code == 422
    assert field_error in response.get_data(as_text=True)
    assert count_invitees() == 0


def test_add_refuses_an_email_already_on_the_list(staff, event):
    add_invitee(event, email="dup@example.org")
    response = post_form(staff, f"{base(event)}/new",
                         {"name": "Dup", "email": "DUP@example.org", "language": "en"})
    assert response.status_code == 409
    assert "already on the invitation list" in response.get_data(as_text=True)
    assert count_invitees() == 1


def test_the_form_offers_existing_groups(staff, event):
    add_invitee(event, group_name="Embassies")
    html = staff.get(f"{base(event)}/new").get_data(as_text=True)
    assert 'list="invitee-groups"' in html and '<option value="Embassies">' in html


def test_edit_keeps_the_link(staff, event):
    invitee = add_invitee(event, name="Old Name")
    salt = invitee.token_salt
    page = staff.get(f"{base(event)}/{invitee.id}/edit")
    assert page.status_code == 200 and 'value="Old Name"' in page.get_data(as_text=True)
    response = post_form(staff, f"{base(event)}/{invitee.id}/edit", {
        "honorific": "dr", "name": "New Name", "email": invitee.email, "country": "MY",
        "language": "en", "group_name": "Speakers"})
    assert response.status_code == 303
    db.session.refresh(invitee)
    assert (invitee.name, invitee.country, invitee.group_name) == ("New Name", "MY", "Speakers")
    assert invitee.token_salt == salt
    assert actions(invitee)[-1] == "invitee.update"


def test_delete_and_refuse_delete_of_a_registered_invitee(staff, event):
    invitee = add_invitee(event)
    response = post_form(staff, f"{base(event)}/{invitee.id}/delete")
    assert response.status_code == 303
    assert count_invitees() == 0
    assert db.session.scalar(select(AuditEntry.action).where(
        AuditEntry.action == "invitee.delete")) == "invitee.delete"

    registered = add_invitee(event)
    registered.registration_id = add_registration(event, email=registered.email).id
    db.session.commit()
    response = post_form(staff, f"{base(event)}/{registered.id}/delete", follow_redirects=True)
    assert "has registered" in response.get_data(as_text=True)
    assert count_invitees() == 1


def test_get_never_changes_anything(staff, event):
    invitee = add_invitee(event)
    before = (invitee.token_salt, invitee.bounced_at, invitee.response)
    for path in ("", "/link", "/bounce", "/bounce/clear", "/response", "/registration",
                 "/delete"):
        staff.get(f"{base(event)}/{invitee.id}{path}")
    db.session.refresh(invitee)
    assert (invitee.token_salt, invitee.bounced_at, invitee.response) == before
    assert count_invitees() == 1


# --- one invitee -----------------------------------------------------------------------------

def test_detail_page_shows_steps_emails_and_link(staff, event, app):
    invitee = add_invitee(event, name="Somchai Jaidee")
    mailing = Mailing(event_id=event.id, kind=MailingKind.INVITATION, send_key="k2")
    db.session.add(mailing)
    db.session.commit()
    db.session.add(OutboxEmail(
        event_id=event.id, mailing_id=mailing.id, invitee_id=invitee.id, template="invitation",
        recipient=invitee.email, subject="Invitation to the forum", body_text="Hi",
        message_id="<detail@example.org>", status=OutboxStatus.FAILED,
        last_error="550 5.1.1 No such user"))
    db.session.commit()
    html = staff.get(f"{base(event)}/{invitee.id}").get_data(as_text=True)
    assert "Amb. Somchai Jaidee" in html
    assert "Invitation to the forum" in html and "550 5.1.1 No such user" in html
    assert "Bounced" in html
    if "rsvp.show" in app.view_functions:
        from seminar_app.services.invitations.invitations import invitee_token

        assert invitee_token(invitee) in html


def test_issue_a_new_link(staff, event):
    invitee = add_invitee(event)
    old_hash = invitee.token_hash
    response = post_form(staff, f"{base(event)}/{invitee.id}/link")
    assert response.status_code == 303
    db.session.refresh(invitee)
    assert invitee.token_hash != old_hash
    assert "invitee.rotate_link" in actions(invitee)


def test_record_an_answer_received_by_note_verbale(staff, event, owner):
    invitee = add_invitee(event)
    answered = date.today() - timedelta(days=2)
    response = post_form(staff, f"{base(event)}/{invitee.id}/response", {
        "answer-response": "declined", "answer-channel": "note_verbale",
        "answer-answered_on": answered.isoformat(), "answer-note": "NV 123/2026"})
    assert response.status_code == 303
    db.session.refresh(invitee)
    assert invitee.response == InvitationResponse.DECLINED
    assert invitee.response_channel == ResponseChannel.NOTE_VERBALE
    assert invitee.response_note == "NV 123/2026"
    assert invitee.response_recorded_by_id == owner.id
    assert invitee.responded_at is not None
    assert "invitee.record_response" in actions(invitee)
    html = staff.get(f"{base(event)}/{invitee.id}").get_data(as_text=True)
    assert "Note verbale" in html and "NV 123/2026" in html


@pytest.mark.parametrize("fields", [
    {"answer-response": "maybe"},
    {"answer-channel": "online"},
    {"answer-answered_on": "not a date"},
    {"answer-answered_on": (date.today() + timedelta(days=5)).isoformat()},
    {"answer-note": "x" * 2001},
])
def test_record_answer_refuses_bad_input(staff, event, fields):
    invitee = add_invitee(event)
    data = {"answer-response": "accepted", "answer-channel": "phone",
            "answer-answered_on": date.today().isoformat(), **fields}
    response = post_form(staff, f"{base(event)}/{invitee.id}/response", data)
    assert response.status_code == 422
    db.session.refresh(invitee)
    assert invitee.response == InvitationResponse.PENDING


def test_link_to_an_existing_registration(staff, event):
    invitee = add_invitee(event)
    registration = add_registration(event, email="other.address@example.org")
    response = post_form(staff, f"{base(event)}/{invitee.id}/registration",
                         {"link-lookup": registration.reference.lower()})
    assert response.status_code == 303
    db.session.refresh(invitee)
    assert invitee.registration_id == registration.id
    assert invitee.response == InvitationResponse.ACCEPTED
    assert "invitee.link_registration" in actions(invitee)

    second = add_invitee(event)
    response = post_form(staff, f"{base(event)}/{second.id}/registration",
                         {"link-lookup": "Other.Address@example.org"})
    assert response.status_code == 409
    assert "already linked to another invitee" in response.get_data(as_text=True)
    db.session.refresh(second)
    assert second.registration_id is None


def test_link_refuses_unknown_and_other_events_registrations(staff, event, owner):
    invitee = add_invitee(event)
    other = add_registration(registration_event(owner), email="elsewhere@example.org")
    for lookup in ("NOPE-NOPE", other.reference, "elsewhere@example.org"):
        response = post_form(staff, f"{base(event)}/{invitee.id}/registration",
                             {"link-lookup": lookup})
        assert response.status_code == 422
        assert "No registration of this event" in response.get_data(as_text=True)
    db.session.refresh(invitee)
    assert invitee.registration_id is None


def test_mark_bounced_and_clear(staff, event):
    invitee = add_invitee(event)
    response = post_form(staff, f"{base(event)}/{invitee.id}/bounce",
                         {"bounce-reason": "Mailbox does not exist"})
    assert response.status_code == 303
    db.session.refresh(invitee)
    assert invitee.bounced_at is not None and invitee.bounce_reason == "Mailbox does not exist"
    html = staff.get(base(event), query_string={"status": "bounced"}).get_data(as_text=True)
    assert invitee.name in html
    response = post_form(staff, f"{base(event)}/{invitee.id}/bounce/clear")
    assert response.status_code == 303
    db.session.refresh(invitee)
    assert invitee.bounced_at is None
    assert actions(invitee)[-2:] == ["invitee.mark_bounced", "invitee.clear_bounce"]


def test_another_events_invitee_is_not_found(staff, event, owner):
    other = add_invitee(registration_event(owner))
    assert staff.get(f"{base(event)}/{other.id}").status_code == 404
    assert post_form(staff, f"{base(event)}/{other.id}/bounce").status_code == 404


def test_pages_in_indonesian(staff, event):
    invitee = add_invitee(event)
    staff.set_cookie("lang", "id")
    for url in (base(event), f"{base(event)}/new", f"{base(event)}/{invitee.id}"):
        assert staff.get(url, headers={"Accept-Language": "id"}).status_code == 200


# --- hostile input ---------------------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8"), max_size=300)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_text, email=_text, country=_text, honorific=_text, group=_text, note=_text,
       language=_text)
def test_add_form_never_fails_with_hostile_input(staff, event, name, email, country,
                                                 honorific, group, note, language):
    before = count_invitees()
    response = post_form(staff, f"{base(event)}/new", {
        "name": name, "email": email, "country": country, "honorific": honorific,
        "group_name": group, "note": note, "language": language})
    assert response.status_code in (303, 409, 422)
    if response.status_code != 303:
        assert count_invitees() == before
    else:
        assert count_invitees() == before + 1
        db.session.execute(Invitee.__table__.delete())
        db.session.commit()
