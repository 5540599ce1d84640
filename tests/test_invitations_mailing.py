"""Composing mailings, audiences, progress, retries and unsubscribing."""

import re
import secrets

import pytest
from sqlalchemy import func, select, update

from seminar_app.models import (
    AuditEntry,
    Invitee,
    Mailing,
    MailingKind,
    OutboxEmail,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    utcnow,
)
from seminar_app.services.invitations import mailings
from tests.conftest import post_form
from tests.factories import add_invitee, add_registration, logged_in, registration_event


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def event(owner):
    return registration_event(owner)


def _base(event):
    return f"/manage/events/{event.id}/invitations"


def _send_key(html: str) -> str:
    match = re.search(r'name="send_key"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="send_key"', html)
    assert match, "no send_key in the compose form"
    return match.group(1)


def _count(db, model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _create(event, kind=MailingKind.INVITATION, **audience):
    return mailings.create_mailing(event, kind, {"audience": "all", **audience},
                                   send_key=secrets.token_urlsafe(24))[0]


def test_compose_shows_count_and_same_form_twice_makes_one_mailing(app, db, client, auth,
                                                                   owner, event):
    for _ in range(3):
        add_invitee(event)
    auth.login(owner)
    page = client.get(f"{_base(event)}/mailings/new?kind=invitation")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "3 people will receive this mailing." in html
    key = _send_key(html)
    # "Send now" shows the breakdown first (tests/test_mailing_confirm.py); this is the confirm
    data = {"audience": "all", "group": "", "send_key": key, "attach_calendar": "y",
            "confirmed": "1", "expected": "3"}
    first = post_form(client, f"{_base(event)}/mailings/new?kind=invitation", data)
    second = post_form(client, f"{_base(event)}/mailings/new?kind=invitation", data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(db, Mailing) == 1
    assert _count(db, OutboxEmail) == 3
    mailing = db.session.scalar(select(Mailing))
    assert mailing.attach_calendar and mailing.recipient_count == 3
    assert mailing.content["en"]["subject"] == "Invitation: {event}"


def test_compose_counts_an_audience_from_get(app, client, auth, owner, event):
    add_invitee(event, group_name="ASEAN")
    add_invitee(event, group_name="EU")
    auth.login(owner)
    response = client.get(f"{_base(event)}/mailings/new?kind=invitation&audience=group"
                          "&group=EU&send_key=" + "k" * 30)
    assert response.status_code == 200
    assert "1 person will receive this mailing." in response.get_data(as_text=True)


def test_compose_refuses_empty_audience_and_bad_group(app, db, client, auth, owner, event):
    auth.login(owner)
    url = f"{_base(event)}/mailings/new?kind=invitation"
    response = post_form(client, url, {"audience": "all", "send_key": "k" * 30})
    assert response.status_code == 422
    assert "Nobody would receive this mailing." in response.get_data(as_text=True)
    add_invitee(event, group_name="ASEAN")
    response = post_form(client, url, {"audience": "group", "group": "Nope",
                                       "send_key": "k" * 30})
    assert response.status_code == 422
    response = post_form(client, url, {"audience": "everyone", "send_key": "k" * 30})
    assert response.status_code == 422
    response = post_form(client, url, {"audience": "all", "send_key": "short"})
    assert response.status_code == 422
    assert _count(db, Mailing) == 0


def test_unknown_kind_and_other_events_mailing_are_404(app, client, auth, owner, event):
    other = registration_event(owner)
    add_invitee(other)
    mailing = _create(other)
    auth.login(owner)
    assert client.get(f"{_base(event)}/mailings/new?kind=spam").status_code == 404
    assert client.get(f"{_base(event)}/mailings/{mailing.id}").status_code == 404
    assert client.get(f"{_base(event)}/mailings/{mailing.id}/progress").status_code == 404


def test_send_key_of_another_event_is_refused(app, db, owner, event):
    add_invitee(event)
    other = registration_event(owner)
    add_invitee(other)
    key = secrets.token_urlsafe(24)
    mailings.create_mailing(event, MailingKind.INVITATION, {"audience": "all"}, send_key=key)
    with pytest.raises(mailings.Conflict):
        mailings.create_mailing(other, MailingKind.INVITATION, {"audience": "all"},
                                send_key=key)


def test_audiences_and_exclusions(app, db, event):
    asean = [add_invitee(event, group_name="ASEAN") for _ in range(3)]
    eu = [add_invitee(event, group_name="EU") for _ in range(2)]
    asean[0].unsubscribed_at = utcnow()
    eu[0].bounced_at = utcnow()
    db.session.commit()
    counts = mailings.count_audience(event, MailingKind.INVITATION, {"audience": "all"})
    assert counts == {"recipients": 3, "unsubscribed": 1, "bounced": 1, "answered": 0}
    first = _create(event, audience="group", group="ASEAN")
    invited = set(db.session.scalars(select(OutboxEmail.invitee_id)
                                     .where(OutboxEmail.mailing_id == first.id)))
    assert invited == {asean[1].id, asean[2].id}
    # not yet invited: EU's one deliverable invitee
    second = _create(event, audience="not_invited")
    assert set(db.session.scalars(select(OutboxEmail.invitee_id).where(
        OutboxEmail.mailing_id == second.id))) == {eu[1].id}
    # reminders: invited and not answered
    db.session.execute(update(Invitee).where(Invitee.id == asean[1].id)
                       .values(response="accepted"))
    db.session.commit()
    reminder = _create(event, MailingKind.REMINDER, audience="not_answered")
    assert set(db.session.scalars(select(OutboxEmail.invitee_id).where(
        OutboxEmail.mailing_id == reminder.id))) == {asean[2].id, eu[1].id}
    reminder_rows = db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.mailing_id == reminder.id)).all()
    assert all(row.subject.startswith("Reminder") for row in reminder_rows)


def test_announcement_to_delegates_by_status(app, db, event):
    confirmed = add_registration(event, email="conf@example.org")
    waitlisted = add_registration(event, email="wait@example.org",
                                  status=RegistrationStatus.WAITLISTED)
    add_registration(event, email="cancel@example.org", status=RegistrationStatus.CANCELLED)
    gone = add_registration(event, email="gone@example.org")
    gone.unsubscribed_at = utcnow()
    db.session.commit()
    audience = {"audience": "registered", "statuses": ["confirmed", "waitlisted"]}
    assert mailings.count_audience(event, MailingKind.ANNOUNCEMENT,
                                   mailings.check_audience(event, MailingKind.ANNOUNCEMENT,
                                                           audience))["recipients"] == 2
    mailing = _create(event, MailingKind.ANNOUNCEMENT, **audience)
    rows = db.session.scalars(select(OutboxEmail).where(OutboxEmail.mailing_id == mailing.id))
    rows = list(rows)
    assert {row.recipient for row in rows} == {confirmed.email, waitlisted.email}
    assert all(row.invitee_id is None for row in rows)
    assert all("/u/r" in row.headers["List-Unsubscribe"] for row in rows)
    assert all("/i/" not in row.body_text for row in rows)


def test_progress_page_polls_until_done_and_retry_failed(app, db, client, auth, owner, event):
    people = [add_invitee(event) for _ in range(3)]
    mailing = _create(event)  # no mail server: all waiting
    auth.login(owner)
    page = client.get(f"{_base(event)}/mailings/{mailing.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'hx-trigger="every 2s"' in html and "No mail server is configured" in html
    db.session.execute(update(OutboxEmail).where(OutboxEmail.recipient == people[0].email)
                       .values(status=OutboxStatus.FAILED, last_error="550 5.1.1 Unknown user"))
    db.session.execute(update(OutboxEmail).where(OutboxEmail.recipient != people[0].email)
                       .values(status=OutboxStatus.SENT))
    db.session.commit()
    fragment = client.get(f"{_base(event)}/mailings/{mailing.id}/progress")
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "every 2s" not in html  # done: polling stops
    assert "550 5.1.1 Unknown user" in html and people[0].email in html
    assert re.search(r"js-sent\">2<", html) and re.search(r"js-failed\">1<", html)
    listing = client.get(f"{_base(event)}/mailings").get_data(as_text=True)
    assert f"/mailings/{mailing.id}" in listing
    response = post_form(client, f"{_base(event)}/mailings/{mailing.id}/retry")
    assert response.status_code == 303
    db.session.expire_all()
    row = db.session.scalar(select(OutboxEmail).where(OutboxEmail.recipient == people[0].email))
    assert row.status == OutboxStatus.QUEUED and row.attempts == 0


def test_retry_only_touches_this_mailing(app, db, owner, event):
    add_invitee(event)
    first, second = _create(event), _create(event, audience="all")
    db.session.execute(update(OutboxEmail).values(status=OutboxStatus.FAILED))
    db.session.commit()
    from seminar_app.services.mail.outbox_admin import retry_failed_emails

    assert retry_failed_emails(actor=owner, event=event, mailing=first) == 1
    db.session.expire_all()
    statuses = dict(db.session.execute(select(OutboxEmail.mailing_id, OutboxEmail.status)).all())
    assert statuses == {first.id: OutboxStatus.QUEUED, second.id: OutboxStatus.FAILED}


def test_mailing_pages_need_invite_permission(app, make_user, event):
    add_invitee(event)
    mailing = _create(event)
    stranger = logged_in(app, make_user())
    for path in ("/mailings", f"/mailings/{mailing.id}", "/mailings/new?kind=invitation",
                 f"/mailings/{mailing.id}/progress"):
        assert stranger.get(_base(event) + path).status_code == 403


# --- unsubscribe -----------------------------------------------------------------------------

def _token_of(db, invitee):
    return mailings.unsubscribe_token(db.session.get(Invitee, invitee.id))


def test_unsubscribe_get_changes_nothing_post_unsubscribes(app, db, client, event):
    invitee = add_invitee(event)
    token = _token_of(db, invitee)
    page = client.get(f"/u/{token}")
    assert page.status_code == 200 and invitee.email in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Invitee, invitee.id).unsubscribed_at is None
    response = post_form(client, f"/u/{token}")
    assert response.status_code == 200
    db.session.expire_all()
    first = db.session.get(Invitee, invitee.id).unsubscribed_at
    assert first is not None
    post_form(client, f"/u/{token}")  # idempotent
    db.session.expire_all()
    assert db.session.get(Invitee, invitee.id).unsubscribed_at == first
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "invitee.unsubscribe")) == 1


def test_one_click_post_without_csrf_token_unsubscribes(app, db, event):
    invitee = add_invitee(event)
    registration = add_registration(event, email="delegate@example.org")
    client = app.test_client()
    for person, model in ((invitee, Invitee), (registration, Registration)):
        token = mailings.unsubscribe_token(db.session.get(model, person.id))
        response = client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        db.session.expire_all()
        assert db.session.get(model, person.id).unsubscribed_at is not None


@pytest.mark.parametrize("token", ["i1.AAAAAAAAAAAAAAAAAAAAAA", "r1.AAAAAAAAAAAAAAAAAAAAAA",
                                   "nonsense", "i999999.AAAAAAAAAAAAAAAAAAAAAA"])
def test_forged_unsubscribe_tokens_are_404_and_change_nothing(app, db, client, event, token):
    add_invitee(event)
    assert client.get(f"/u/{token}").status_code == 404
    assert client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"}).status_code == 404
    db.session.expire_all()
    assert db.session.scalar(select(Invitee.unsubscribed_at)) is None


def test_token_of_one_invitee_does_not_open_another(app, db, event):
    first, second = add_invitee(event), add_invitee(event)
    token = mailings.unsubscribe_token(first)
    forged = f"i{second.id}." + token.split(".", 1)[1]
    with pytest.raises(mailings.NotFound):
        mailings.get_unsubscribe_target(forged)


def test_unsubscribed_people_are_left_out_of_later_mailings(app, db, event):
    stays, leaves = add_invitee(event), add_invitee(event)
    mailings.unsubscribe(mailings.unsubscribe_token(leaves))
    mailing = _create(event)
    assert mailing.recipient_count == 1
    assert list(db.session.scalars(select(OutboxEmail.recipient))) == [stays.email]
