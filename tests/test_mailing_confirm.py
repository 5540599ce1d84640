""""Send now" shows who receives a mailing and who is left out, and sends only once confirmed;
the mailing pages show subjects with their placeholders filled in (issue 14)."""

import re

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import Mailing, MailingKind, OutboxEmail, utcnow
from seminar_app.services.invitations import rsvp
from tests.conftest import post_form
from tests.factories import add_invitee, registration_event


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def event(owner):
    return registration_event(owner, title="South-South Forum")


@pytest.fixture
def invitees(event):
    """3 deliverable (2 in Indonesian, one without a group), 1 declined, 1 unsubscribed."""
    people = [add_invitee(event, language="en", group_name="ASEAN"),
              add_invitee(event, language="id", group_name="ASEAN"),
              add_invitee(event, language="id", group_name="")]
    rsvp.decline_invitation(add_invitee(event, name="Declining Ambassador"))
    gone = add_invitee(event)
    gone.unsubscribed_at = utcnow()
    db.session.commit()
    return people


def _url(event) -> str:
    return f"/manage/events/{event.id}/invitations/mailings/new?kind=invitation"


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _send_now(client, event, **extra):
    data = {"audience": "all", "group": "", "send_key": "k" * 32, "attach_calendar": "y",
            **extra}
    return post_form(client, _url(event), data)


def _cell(html: str, marker: str) -> str:
    match = re.search(marker + r".*?</table>", html, re.S)
    assert match, marker
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def test_compose_send_now_shows_breakdown_and_queues_nothing(app, client, auth, owner, event,
                                                            invitees):
    auth.login(owner)
    response = _send_now(client, event)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "3 people will receive this mailing." in html
    assert "English 1" in _cell(html, "data-by-language")
    assert "Bahasa Indonesia 2" in _cell(html, "data-by-language")
    assert "ASEAN 2" in _cell(html, "data-by-group")
    assert "No group 1" in _cell(html, "data-by-group")
    left_out = _cell(html, "data-left-out")
    assert "Already answered (accepted, declined or registered) 1" in left_out
    assert "Unsubscribed 1" in left_out and "Total 2" in left_out
    assert "Declining Ambassador" not in html.split("data-sample")[1]
    # the confirmation is a POST with a CSRF token, the count shown, and the same choices
    form = html.split('name="confirmed"')[0].rsplit("<form", 1)[1]
    assert 'method="post"' in form and 'name="csrf_token"' in form
    assert 'name="expected" value="3"' in html
    assert "Confirm: send to 3 people" in html
    assert _count(Mailing) == 0 and _count(OutboxEmail) == 0


def test_compose_confirm_sends_to_the_count_shown(app, client, auth, owner, event, invitees):
    auth.login(owner)
    response = _send_now(client, event, confirmed="1", expected="3")
    assert response.status_code == 303
    assert _count(Mailing) == 1 and _count(OutboxEmail) == 3
    # the same confirmation again (a double click) sends nothing more
    assert _send_now(client, event, confirmed="1", expected="3").status_code == 303
    assert _count(Mailing) == 1 and _count(OutboxEmail) == 3


def test_compose_confirm_refuses_when_the_recipients_changed(app, client, auth, owner, event,
                                                            invitees):
    auth.login(owner)
    add_invitee(event)  # arrived after the breakdown was shown
    response = _send_now(client, event, confirmed="1", expected="3")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "The recipients changed since you checked them" in html
    assert 'name="expected" value="4"' in html
    assert _count(Mailing) == 0 and _count(OutboxEmail) == 0


def test_compose_confirm_without_csrf_is_refused(app, client, auth, owner, event, invitees):
    auth.login(owner)
    response = client.post(_url(event), data={"audience": "all", "send_key": "k" * 32,
                                              "confirmed": "1", "expected": "3"})
    assert response.status_code == 400
    assert _count(Mailing) == 0


def test_compose_include_answered_reaches_the_declined(app, client, auth, owner, event,
                                                      invitees):
    auth.login(owner)
    page = client.get(_url(event)).get_data(as_text=True)
    assert 'name="include_answered"' in page
    assert "Already answered (accepted, declined or registered): 1" in page
    html = _send_now(client, event, include_answered="y").get_data(as_text=True)
    assert "4 people will receive this mailing." in html
    assert "Included, as you asked" in html
    assert 'name="include_answered" value="y"' in html
    response = _send_now(client, event, include_answered="y", confirmed="1", expected="4")
    assert response.status_code == 303
    mailing = db.session.scalar(select(Mailing))
    assert mailing.audience == {"audience": "all", "include_answered": True}
    show = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "including those who had already answered" in show


def test_compose_confirm_page_in_indonesian(app, client, auth, make_user, event, invitees):
    staff = make_user(language="id")
    event.owner_id = staff.id
    db.session.commit()
    auth.login(staff)
    client.get("/language/id")
    html = _send_now(client, event).get_data(as_text=True)
    assert '<html lang="id">' in html
    assert "Periksa dan konfirmasi" in html
    assert "Konfirmasi: kirim ke 3 orang" in html
    assert "Sudah menjawab (menerima, menolak, atau mendaftar)" in html


def test_compose_reminder_has_no_include_answered(app, client, auth, owner, event, invitees):
    auth.login(owner)
    page = client.get(_url(event).replace("invitation", "reminder")).get_data(as_text=True)
    assert 'name="include_answered"' not in page


def test_mailing_show_renders_subject_placeholders(app, client, auth, owner, event, invitees):
    from seminar_app.services.invitations import mailings

    auth.login(owner)
    mailing, _created = mailings.create_mailing(event, MailingKind.INVITATION,
                                                {"audience": "all"}, send_key="s" * 32)
    assert mailing.content["en"]["subject"] == "Invitation: {event}"
    html = client.get(f"/manage/events/{event.id}/invitations/mailings/{mailing.id}") \
        .get_data(as_text=True)
    assert "{event}" not in html
    assert "Invitation: South-South Forum" in html
