"""The staff pages under /manage/emails: who sees what, retries, the test message."""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from seminar_app.models import AuditEntry, Event, OutboxEmail, OutboxStatus, TeamMember, User
from tests.conftest import post_form
from tests.test_mail import make_event


@dataclass
class Mails:
    """Two events with an email each, one email without event, and the people involved."""

    admin: User
    owner: User
    other_owner: User
    inviter: User
    checker: User
    event: Event
    other_event: Event
    event_email: OutboxEmail
    other_email: OutboxEmail
    plain_email: OutboxEmail


def _email(db, *, recipient, event=None, status=OutboxStatus.QUEUED, last_error=""):
    email = OutboxEmail(event_id=event.id if event else None, template="test_to_delegate",
                        recipient=recipient, recipient_name=recipient.split("@")[0].title(),
                        subject=f"Hello {recipient}", body_text="Hello there",
                        message_id=f"<{recipient}@seminar-app.test>", status=status,
                        last_error=last_error)
    db.session.add(email)
    db.session.commit()
    return email


@pytest.fixture
def mails(db, make_user) -> Mails:
    admin, owner, other_owner = make_user("admin"), make_user("organizer"), make_user("organizer")
    inviter, checker = make_user("staff"), make_user("staff")
    event = make_event(db, owner)
    other_event = make_event(db, other_owner, title="Bali Seminar", slug="bali-seminar")
    db.session.add_all([
        TeamMember(event_id=event.id, user_id=inviter.id, can_invite=True),
        TeamMember(event_id=event.id, user_id=checker.id, can_checkin=True),
    ])
    db.session.commit()
    return Mails(
        admin, owner, other_owner, inviter, checker, event, other_event,
        _email(db, recipient="delegate@example.org", event=event, status=OutboxStatus.FAILED,
               last_error="550 5.1.1 No such user"),
        _email(db, recipient="guest@example.org", event=other_event),
        _email(db, recipient="plain@example.org"),
    )


def _page(client, url="/manage/emails"):
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def test_index_anonymous_goes_to_login(client):
    response = client.get("/manage/emails")
    assert response.status_code == 302 and "/manage/login" in response.headers["Location"]


def test_index_admin_sees_every_email(client, auth, mails):
    auth.login(mails.admin)
    status, html = _page(client)
    assert status == 200
    for recipient in ("delegate@", "guest@", "plain@"):
        assert recipient in html


@pytest.mark.parametrize(("who", "seen", "hidden"), [
    ("owner", ["delegate@"], ["guest@", "plain@"]),
    ("inviter", ["delegate@"], ["guest@", "plain@"]),
    ("checker", [], ["delegate@", "guest@", "plain@"]),
    ("other_owner", ["guest@"], ["delegate@", "plain@"]),
])
def test_index_staff_see_emails_of_events_they_invite_for(client, auth, mails, who, seen,
                                                          hidden):
    auth.login(getattr(mails, who))
    status, html = _page(client)
    assert status == 200
    for recipient in seen:
        assert recipient in html
    for recipient in hidden:
        assert recipient not in html


def test_index_counts_filters_and_search(client, auth, mails):
    auth.login(mails.admin)
    _, html = _page(client)
    assert 'data-count="failed">1<' in html and 'data-count="queued">2<' in html
    _, html = _page(client, "/manage/emails?status=failed")
    assert "delegate@" in html and "guest@" not in html
    _, html = _page(client, "/manage/emails?q=GUEST")
    assert "guest@" in html and "delegate@" not in html
    _, html = _page(client, f"/manage/emails?event_id={mails.other_event.id}")
    assert "guest@" in html and "plain@" not in html


def test_index_search_treats_wildcards_literally(client, auth, mails):
    auth.login(mails.admin)
    _, html = _page(client, "/manage/emails?q=%25")
    assert "No email matches this filter." in html


def test_index_bad_filter_is_422(client, auth, mails):
    auth.login(mails.owner)
    assert _page(client, "/manage/emails?status=bogus")[0] == 422
    assert _page(client, f"/manage/emails?event_id={mails.other_event.id}")[0] == 422
    assert _page(client, "/manage/emails?q=" + "x" * 300)[0] == 422


def test_index_warns_without_mail_server(client, auth, mails):
    auth.login(mails.admin)
    _, html = _page(client)
    assert "No mail server is configured: emails are kept and will be sent once one is." in html


def test_index_no_warning_with_mail_server(client, auth, mails, smtp_server):
    auth.login(mails.admin)
    _, html = _page(client)
    assert "No mail server is configured" not in html


def test_index_in_indonesian(client, auth, mails):
    auth.login(mails.admin)
    client.set_cookie("lang", "id")
    status, html = _page(client)
    assert status == 200 and '<html lang="id">' in html


def test_show_details_and_access(client, auth, mails):
    auth.login(mails.inviter)
    status, html = _page(client, f"/manage/emails/{mails.event_email.id}")
    assert status == 200
    assert "&lt;delegate@example.org@seminar-app.test&gt;" in html
    assert "550 5.1.1 No such user" in html and "Hello there" in html
    assert _page(client, f"/manage/emails/{mails.other_email.id}")[0] == 403
    assert _page(client, f"/manage/emails/{mails.plain_email.id}")[0] == 403
    assert _page(client, "/manage/emails/999999")[0] == 404


def test_show_checker_is_forbidden(client, auth, mails):
    auth.login(mails.checker)
    assert _page(client, f"/manage/emails/{mails.event_email.id}")[0] == 403


def test_retry_requeues_failed_email_and_sends_it(client, auth, db, mails, smtp_server):
    auth.login(mails.owner)
    response = post_form(client, f"/manage/emails/{mails.event_email.id}/retry")
    assert response.status_code == 302
    assert smtp_server.wait_for(1)[0]["to"] == ["delegate@example.org"]
    db.session.expire_all()
    email = db.session.get(OutboxEmail, mails.event_email.id)
    assert email.status == OutboxStatus.SENT and email.attempts == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "mail.retry"))
    assert entry.user_id == mails.owner.id and entry.object_id == email.id


def test_retry_sent_email_is_409(client, auth, db, mails):
    sent = _email(db, recipient="done@example.org", event=mails.event, status=OutboxStatus.SENT)
    auth.login(mails.owner)
    response = post_form(client, f"/manage/emails/{sent.id}/retry")
    assert response.status_code == 409
    assert "Only failed or waiting emails can be sent again." in response.get_data(as_text=True)


def test_retry_other_event_is_403(client, auth, mails):
    auth.login(mails.owner)
    assert post_form(client, f"/manage/emails/{mails.other_email.id}/retry").status_code == 403


def test_retry_failed_scoped_to_event(client, auth, db, mails):
    other_failed = _email(db, recipient="x@example.org", event=mails.other_event,
                          status=OutboxStatus.FAILED)
    auth.login(mails.inviter)
    response = post_form(client, "/manage/emails/retry-failed", {"event_id": mails.event.id})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(OutboxEmail, mails.event_email.id).status == OutboxStatus.QUEUED
    assert db.session.get(OutboxEmail, other_failed.id).status == OutboxStatus.FAILED


def test_retry_failed_permissions(client, auth, mails):
    auth.login(mails.owner)
    assert post_form(client, "/manage/emails/retry-failed").status_code == 403
    assert post_form(client, "/manage/emails/retry-failed",
                     {"event_id": mails.other_event.id}).status_code == 403
    assert post_form(client, "/manage/emails/retry-failed",
                     {"event_id": "abc"}).status_code == 400


def test_retry_failed_all_by_admin(client, auth, db, mails):
    auth.login(mails.admin)
    response = post_form(client, "/manage/emails/retry-failed", follow_redirects=True)
    assert "1 failed email will be sent again." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(OutboxEmail, mails.event_email.id).attempts == 0


def test_send_test_admin_only(client, auth, db, mails, smtp_server):
    auth.login(mails.owner)
    assert post_form(client, "/manage/emails/test").status_code == 403
    auth.logout()
    auth.login(mails.admin)
    response = post_form(client, "/manage/emails/test")
    assert response.status_code == 302
    # the two emails of the fixture still queued go along with it (one connection)
    received = {message["to"][0]: message for message in smtp_server.wait_for(3)}
    assert set(received) == {mails.admin.email, "guest@example.org", "plain@example.org"}
    assert received[mails.admin.email]["message"]["Subject"] == \
        "Test message from Seminar registration"


def test_send_test_without_server_shows_not_delivered(client, auth, db, mails):
    auth.login(mails.admin)
    response = post_form(client, "/manage/emails/test", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Not delivered yet" in html and "No mail server is configured" in html


def test_show_hides_tokens_of_personal_links(client, auth, db, mails):
    token = "Zq3xY9-abcDEF_0123456789ghijkLMNOP"
    mails.event_email.body_text = f"Your link: https://events.example.org/r/{token}\n"
    mails.event_email.body_html = f'<a href="https://events.example.org/r/{token}">link</a>'
    db.session.commit()
    auth.login(mails.inviter)
    status, html = _page(client, f"/manage/emails/{mails.event_email.id}")
    assert status == 200
    assert token not in html and "events.example.org/r/" not in html
    assert "[personal link removed]" in html
