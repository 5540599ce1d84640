"""The agenda editor pages: access, adding, editing, deleting, errors by field, other events."""

import pytest
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import AgendaSession, Speaker, TeamMember
from tests.conftest import post_form
from tests.public_factories import create_event, utc


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return create_event(owner, title="Growing Together",
                        start_at=utc(2099, 3, 17, 1), end_at=utc(2099, 3, 18, 10))


def form_data(**overrides):
    data = {"day": "2099-03-17", "start_time": "09:00", "end_time": "10:30",
            "title": "Opening remarks", "room": "Nusantara Hall", "description": "",
            "speakers-0-name": "Dr. Ratna", "speakers-0-title": "Director",
            "speakers-0-organisation": "Ministry of Foreign Affairs",
            "speakers-1-name": "", "speakers-1-title": "", "speakers-1-organisation": ""}
    data.update(overrides)
    return data


def add(event, title="Session", hour=2):
    session = AgendaSession(event_id=event.id, starts_at=utc(2099, 3, 17, hour),
                            ends_at=utc(2099, 3, 17, hour + 1), title=title)
    db.session.add(session)
    db.session.commit()
    return session


def agenda_url(event, suffix=""):
    return f"/manage/events/{event.id}/agenda{suffix}"


def test_agenda_requires_login(client, event):
    response = client.get(agenda_url(event))
    assert response.status_code == 302
    assert "/manage/login" in response.headers["Location"]


def test_agenda_forbidden_without_rights(client, auth, event, make_user):
    auth.login(make_user("organizer"))
    session = add(event)
    assert client.get(agenda_url(event)).status_code == 403
    assert post_form(client, agenda_url(event), form_data()).status_code == 403
    assert client.get(agenda_url(event, f"/{session.id}/edit")).status_code == 403
    assert post_form(client, agenda_url(event, f"/{session.id}/delete")).status_code == 403
    assert db.session.scalar(select(db.func.count(AgendaSession.id))) == 1


def test_agenda_view_only_team_member_sees_without_edit_controls(client, auth, event, make_user):
    staff = make_user("staff")
    db.session.add(TeamMember(event_id=event.id, user_id=staff.id, can_invite=True))
    db.session.commit()
    add(event, "Keynote")
    auth.login(staff)
    response = client.get(agenda_url(event))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Keynote" in html and "Add a session" not in html and "/delete" not in html
    assert post_form(client, agenda_url(event), form_data()).status_code == 403


def test_agenda_unknown_event_404(client, auth, owner):
    auth.login(owner)
    assert client.get("/manage/events/999999/agenda").status_code == 404


def test_agenda_owner_sees_days_and_form(client, auth, event, owner):
    add(event, "Keynote", hour=2)
    auth.login(owner)
    html = client.get(agenda_url(event)).get_data(as_text=True)
    assert "Tuesday, 17 March 2099" in html and "Keynote" in html
    assert "Add a session" in html
    assert 'min="2099-03-17"' in html and 'max="2099-03-18"' in html


def test_agenda_session_create(client, auth, event, owner):
    auth.login(owner)
    response = post_form(client, agenda_url(event), form_data())
    assert response.status_code == 302
    session = db.session.scalar(select(AgendaSession))
    assert response.headers["Location"].endswith(f"/agenda#session-{session.id}")
    assert session.starts_at == utc(2099, 3, 17, 2)
    assert [s.name for s in session.speakers] == ["Dr. Ratna"]
    page = client.get(agenda_url(event)).get_data(as_text=True)
    assert "has been added" in page


def test_agenda_session_create_end_before_start_422(client, auth, event, owner):
    auth.login(owner)
    response = post_form(client, agenda_url(event), form_data(start_time="11:00",
                                                              end_time="10:00"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="end_time-error"' in html and "The session must end after it starts." in html
    assert db.session.scalar(select(AgendaSession.id)) is None


def test_agenda_session_create_outside_event_days_422(client, auth, event, owner):
    auth.login(owner)
    response = post_form(client, agenda_url(event), form_data(day="2099-03-20"))
    assert response.status_code == 422
    assert 'id="day-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("overrides", [
    {"day": "17/03/2099"}, {"start_time": "9 am"}, {"title": ""}, {"title": "x" * 301},
    {"speakers-0-name": "n" * 201}, {"day": ""},
])
def test_agenda_session_create_bad_input_422(client, auth, event, owner, overrides):
    auth.login(owner)
    response = post_form(client, agenda_url(event), form_data(**overrides))
    assert response.status_code == 422
    assert db.session.scalar(select(AgendaSession.id)) is None


def test_agenda_session_create_speaker_title_without_name_422(client, auth, event, owner):
    auth.login(owner)
    response = post_form(client, agenda_url(event), form_data(**{"speakers-0-name": ""}))
    assert response.status_code == 422
    assert "Each speaker needs a name." in response.get_data(as_text=True)


def test_agenda_session_create_without_csrf_400(client, auth, event, owner):
    auth.login(owner)
    response = client.post(agenda_url(event), data=form_data())
    assert response.status_code == 400


def test_agenda_session_edit(client, auth, event, owner):
    session = add(event, "Draft title")
    db.session.add(Speaker(session_id=session.id, name="Old speaker", position=0))
    db.session.commit()
    auth.login(owner)
    url = agenda_url(event, f"/{session.id}/edit")
    page = client.get(url).get_data(as_text=True)
    assert 'value="Draft title"' in page and 'value="Old speaker"' in page
    assert 'value="09:00"' in page and 'value="2099-03-17"' in page
    response = post_form(client, url, form_data(title="Keynote", day="2099-03-18",
                                                start_time="13:00", end_time="14:00"))
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(AgendaSession, session.id)
    assert stored.title == "Keynote" and stored.starts_at == utc(2099, 3, 18, 6)
    assert [s.name for s in stored.speakers] == ["Dr. Ratna"]


def test_agenda_session_edit_error_422(client, auth, event, owner):
    session = add(event, "Keep me")
    auth.login(owner)
    response = post_form(client, agenda_url(event, f"/{session.id}/edit"),
                         form_data(title="Changed", end_time="08:00"))
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(AgendaSession, session.id).title == "Keep me"


def test_agenda_session_delete(client, auth, event, owner):
    session = add(event)
    auth.login(owner)
    response = post_form(client, agenda_url(event, f"/{session.id}/delete"))
    assert response.status_code == 302
    assert db.session.scalar(select(AgendaSession.id)) is None


def test_agenda_session_delete_needs_post(client, auth, event, owner):
    session = add(event)
    auth.login(owner)
    assert client.get(agenda_url(event, f"/{session.id}/delete")).status_code == 405


def test_agenda_refuses_a_session_of_another_event(client, auth, owner, event):
    other = create_event(owner, start_at=utc(2099, 3, 17, 1), end_at=utc(2099, 3, 18, 10))
    foreign = add(other, "Not yours")
    auth.login(owner)
    assert client.get(agenda_url(event, f"/{foreign.id}/edit")).status_code == 404
    assert post_form(client, agenda_url(event, f"/{foreign.id}/edit"),
                     form_data()).status_code == 404
    assert post_form(client, agenda_url(event, f"/{foreign.id}/delete")).status_code == 404
    db.session.expire_all()
    assert db.session.get(AgendaSession, foreign.id).title == "Not yours"


def test_agenda_refuses_editing_through_an_event_the_user_may_manage(client, auth, make_user):
    """A manager of event A cannot touch event B's session by putting A's id in the URL."""
    alice, bob = make_user("organizer"), make_user("organizer")
    mine = create_event(alice, start_at=utc(2099, 3, 17, 1), end_at=utc(2099, 3, 18, 10))
    theirs = create_event(bob, start_at=utc(2099, 3, 17, 1), end_at=utc(2099, 3, 18, 10))
    foreign = add(theirs, "Bob's session")
    auth.login(alice)
    assert post_form(client, agenda_url(mine, f"/{foreign.id}/delete")).status_code == 404
    assert post_form(client, agenda_url(theirs, f"/{foreign.id}/delete")).status_code == 403
    assert db.session.get(AgendaSession, foreign.id) is not None


def test_agenda_page_in_indonesian(client, auth, event, owner):
    add(event, "Sambutan")
    auth.login(owner)
    client.set_cookie("lang", "id")
    html = client.get(agenda_url(event)).get_data(as_text=True)
    assert '<html lang="id">' in html
    assert "Selasa, 17 Maret 2099" in html


def test_agenda_session_create_strips_control_characters(client, auth, event, owner):
    auth.login(owner)
    response = post_form(client, agenda_url(event), form_data(
        title="Open\x00ing", room="Hall\x1b", description="Line one\r\nLine two",
        **{"speakers-0-name": "Dr.\x00 Ratna"}))
    assert response.status_code == 302
    session = db.session.scalar(select(AgendaSession))
    assert session.title == "Opening" and session.room == "Hall"
    assert session.description == "Line one\nLine two"
    assert session.speakers[0].name == "Dr. Ratna"
