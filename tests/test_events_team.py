"""The event team page: adding staff by email, changing their rights, removing them."""

import pytest
from sqlalchemy import select

from seminar_app.models import AuditEntry, TeamMember
from seminar_app.services.events import events as event_service
from tests.conftest import post_form
from tests.test_events_manage import field_errors
from tests.test_services_events import event_factory


@pytest.fixture
def make_event(make_user):
    """Factory: ``make_event(owner=None, **overrides)`` through the service."""
    return event_factory(make_user)


@pytest.fixture
def owner(make_user, auth):
    user = make_user("organizer")
    auth.login(user)
    return user


@pytest.mark.parametrize("lang", ["en", "id"])
def test_team_page_renders_in_both_languages(client, owner, make_event, lang):
    event = make_event(owner=owner)
    client.set_cookie("lang", lang)
    response = client.get(f"/manage/events/{event.id}/team")
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.get_data(as_text=True)


def test_team_add_member_by_email(client, owner, make_event, make_user, db):
    event = make_event(owner=owner)
    staff = make_user("staff", email="desk@example.org", name="Front Desk")
    response = post_form(client, f"/manage/events/{event.id}/team",
                         {"email": "Desk@Example.org", "can_checkin": "y"})
    assert response.status_code == 302
    member = db.session.scalar(select(TeamMember))
    assert (member.user_id, member.can_manage, member.can_invite, member.can_checkin) == (
        staff.id, False, False, True)
    page = client.get(f"/manage/events/{event.id}/team").get_data(as_text=True)
    assert "Front Desk" in page and "desk@example.org" in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "team.add"))
    assert entry.user_id == owner.id and entry.event_id == event.id


@pytest.mark.parametrize(("email", "status", "message"), [
    ("nobody@example.org", 422, "No active staff account"),
    ("not an email", 422, "valid email"),
    ("", 422, "give an email"),
])
def test_team_add_bad_email_shows_message_next_to_field(client, owner, make_event, db, email,
                                                        status, message):
    event = make_event(owner=owner)
    response = post_form(client, f"/manage/events/{event.id}/team", {"email": email})
    assert response.status_code == status
    assert message in field_errors(response.get_data(as_text=True), "email")
    assert db.session.scalar(select(TeamMember.id)) is None


def test_team_add_owner_or_duplicate_is_409(client, owner, make_event, make_user):
    event = make_event(owner=owner)
    staff = make_user("staff")
    event_service.add_team_member(event, email=staff.email)
    for email in (owner.email, staff.email):
        response = post_form(client, f"/manage/events/{event.id}/team", {"email": email})
        assert response.status_code == 409
        assert field_errors(response.get_data(as_text=True), "email")


def test_team_member_edit_and_remove(client, owner, make_event, make_user, db):
    event = make_event(owner=owner)
    member = event_service.add_team_member(event, email=make_user("staff").email,
                                           can_checkin=True)
    base = f"/manage/events/{event.id}/team/{member.id}"
    response = post_form(client, f"{base}/edit",
                         {f"m{member.id}-can_manage": "y", f"m{member.id}-can_invite": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    member = db.session.get(TeamMember, member.id)
    assert (member.can_manage, member.can_invite, member.can_checkin) == (True, True, False)
    assert post_form(client, f"{base}/remove").status_code == 302
    assert db.session.scalar(select(TeamMember.id)) is None


def test_team_changes_need_manage_right(client, make_user, make_event, auth, db):
    event = make_event()
    inviter = make_user("staff")
    other = make_user("staff")
    member = event_service.add_team_member(event, email=other.email, can_checkin=True)
    event_service.add_team_member(event, email=inviter.email, can_invite=True)
    auth.login(inviter)
    base = f"/manage/events/{event.id}/team"
    page = client.get(base)
    assert page.status_code == 200
    assert 'name="email"' not in page.get_data(as_text=True)
    assert post_form(client, base, {"email": make_user("staff").email}).status_code == 403
    assert post_form(client, f"{base}/{member.id}/edit",
                     {f"m{member.id}-can_manage": "y"}).status_code == 403
    assert post_form(client, f"{base}/{member.id}/remove").status_code == 403
    db.session.expire_all()
    assert db.session.get(TeamMember, member.id).can_manage is False


def test_team_member_of_another_event_is_404(client, owner, make_event, make_user):
    event, other = make_event(owner=owner), make_event()
    member = event_service.add_team_member(other, email=make_user("staff").email)
    assert post_form(client, f"/manage/events/{event.id}/team/{member.id}/remove"
                     ).status_code == 404


def test_team_strangers_get_403(client, make_user, make_event, auth):
    event = make_event()
    auth.login(make_user("staff"))
    assert client.get(f"/manage/events/{event.id}/team").status_code == 403


def test_add_team_member_emails_the_new_member(smtp_server, make_user, make_event, db):
    from seminar_app.models import OutboxEmail, OutboxStatus

    staff = make_user("staff", language="id")
    event = make_event()
    event_service.add_team_member(event, email=staff.email, can_checkin=True)
    [received] = smtp_server.wait_for(1)
    assert received["to"] == [staff.email]
    row = db.session.scalar(db.select(OutboxEmail))
    assert row.status == OutboxStatus.SENT and row.language == "id"
    assert event.title in row.body_text
    assert f"/manage/events/{event.id}" in row.body_text
