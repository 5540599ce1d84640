""""Lost your link?": the request only queues the work, the worker looks up and emails.

These tests switch the queue out of immediate mode, so that what the request does and what
the worker does can be told apart; ``run_worker`` then plays the worker.
"""

import re

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import OutboxEmail
from seminar_app.services.invitations.invitations import invitee_token
from seminar_app.services.registration import link_requests
from tests.conftest import csrf_token, post_form
from tests.factories import add_invitee, form_fields, make_registration, registration_event


@pytest.fixture
def event(make_user):
    return registration_event(make_user("organizer"), title="Lost Link Forum")


@pytest.fixture
def queue(app, monkeypatch):
    """The app's queue as in production: tasks wait until a worker takes them."""
    huey = app.extensions["huey"]
    monkeypatch.setattr(huey, "immediate", False)
    huey.flush()
    yield huey
    huey.flush()


def run_worker(queue) -> int:
    """Run every waiting task (and the tasks they queue) like a consumer; how many ran."""
    db.session.commit()  # the test's own transaction holds SQLite's write lock: end it
    ran = 0
    while (task := queue.dequeue()) is not None:
        queue.execute(task)
        ran += 1
    return ran


def _outbox_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(OutboxEmail.id)))


def _resend(client, event, email, token):
    return client.post(f"/events/{event.slug}/register/resend",
                       data={"email": email, "csrf_token": token})


def _statements_of(client, event, email) -> tuple[int, list[str]]:
    """(status, SQL statements) of one resend request."""
    token = csrf_token(client)
    seen = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        seen.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = _resend(client, event, email, token)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)
    return response.status_code, seen


def test_request_manage_link_only_queues_and_the_worker_emails(client, event, queue,
                                                               smtp_server):
    make_registration(event, email="lost@example.org")
    run_worker(queue)  # the registration's own confirmation
    smtp_server.wait_for(1)
    response = post_form(client, f"/events/{event.slug}/register/resend",
                         {"email": " Lost@Example.org "})
    assert response.status_code == 200
    assert "If a registration exists for this email" in response.get_data(as_text=True)
    assert queue.pending_count() == 1 and _outbox_count() == 1  # nothing sent yet
    assert run_worker(queue) == 2  # the lookup, then the email
    message = smtp_server.wait_for(2)[-1]
    assert message["to"] == ["lost@example.org"]
    text = message["message"].get_body(("plain",)).get_content()
    token = re.search(r"/r/([A-Za-z0-9_-]+)", text).group(1)
    assert client.get(f"/r/{token}").status_code == 200


def test_request_manage_link_sends_nothing_for_an_unknown_address(client, event, queue,
                                                                  smtp_server):
    response = post_form(client, f"/events/{event.slug}/register/resend",
                         {"email": "nobody@example.org"})
    assert response.status_code == 200
    assert "If a registration exists for this email" in response.get_data(as_text=True)
    assert queue.pending_count() == 1  # the same work as for a registered address
    assert run_worker(queue) == 1
    assert _outbox_count() == 0 and smtp_server.messages == []


def test_resend_view_runs_the_same_statements_for_known_and_unknown_addresses(
        app, event, queue):
    make_registration(event, email="known@example.org")
    run_worker(queue)
    known_status, known = _statements_of(app.test_client(), event, "known@example.org")
    unknown_status, unknown = _statements_of(app.test_client(), event, "nobody@example.org")
    assert known_status == unknown_status == 200
    assert known == unknown
    assert not any("registrations" in statement for statement in known), known
    assert queue.pending_count() == 2


def test_registering_again_gets_the_link_by_email_from_the_worker(client, event, queue,
                                                                  smtp_server):
    make_registration(event, email="twice@example.org")
    run_worker(queue)
    smtp_server.wait_for(1)
    response = post_form(client, f"/events/{event.slug}/register",
                         form_fields(email="twice@example.org"))
    assert response.status_code == 200
    assert "If a registration exists for this email" in response.get_data(as_text=True)
    assert _outbox_count() == 1  # the request wrote no email: the worker will
    run_worker(queue)
    message = smtp_server.wait_for(2)[-1]
    assert message["to"] == ["twice@example.org"]
    assert "/r/" in message["message"].get_body(("plain",)).get_content()


def test_invitation_with_a_registered_address_gets_the_link_from_the_worker(
        client, event, queue, smtp_server):
    make_registration(event, email="registered@example.org")
    invitee = add_invitee(event)
    run_worker(queue)
    smtp_server.wait_for(1)
    response = post_form(client, f"/i/{invitee_token(invitee)}/register",
                         form_fields(email="registered@example.org"))
    assert response.status_code == 200
    assert "If a registration exists for this email" in response.get_data(as_text=True)
    assert queue.pending_count() == 1 and _outbox_count() == 1
    run_worker(queue)
    assert smtp_server.wait_for(2)[-1]["to"] == ["registered@example.org"]


def test_send_manage_link_ignores_a_deleted_event_and_an_empty_address(event):
    assert link_requests.send_manage_link(event.id + 1000, "x@example.org") is False
    assert link_requests.send_manage_link(event.id, "") is False
