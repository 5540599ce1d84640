"""services.tasks and services.mail.outbox: dispatch after commit, claims, the sweeper."""

import threading
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select, update

from seminar_app.models import OutboxEmail, OutboxStatus, utcnow
from seminar_app.services.mail.compose import queue_email
from seminar_app.services.mail.outbox import (
    WORKER_STOPPED_ERROR,
    claim_emails,
    release_emails,
    sweep_outbox,
)
from seminar_app.services.tasks import PENDING_KEY, enqueue_emails


def _queue(recipient="ann@example.org"):
    return queue_email(template="test_message_to_staff", recipient=recipient,
                       context={"user": SimpleNamespace(name="Ann"), "outbox_url": "x"})


def _stored(db, email_id):
    db.session.expire_all()
    row = db.session.get(OutboxEmail, email_id)
    db.session.expunge(row)
    db.session.rollback()  # no open transaction: tasks use their own sessions
    return row


def test_dispatch_after_commit_sends_once_committed(db, smtp_server):
    email = _queue()
    assert db.session.info[PENDING_KEY] == [email.id]
    assert smtp_server.messages == []  # nothing leaves before the commit
    db.session.commit()
    assert PENDING_KEY not in db.session.info
    smtp_server.wait_for(1)
    assert _stored(db, email.id).status == OutboxStatus.SENT


def test_dispatch_after_rollback_sends_nothing(db, smtp_server):
    _queue()
    db.session.rollback()
    assert PENDING_KEY not in db.session.info
    assert db.session.scalars(select(OutboxEmail)).all() == []
    db.session.commit()
    assert smtp_server.messages == []


def test_dispatch_waits_for_the_outer_commit_of_a_savepoint(db, smtp_server):
    with db.session.begin_nested():
        email = _queue()
    assert smtp_server.messages == []
    savepoint = db.session.begin_nested()
    _queue("rolled-back@example.org")
    savepoint.rollback()
    assert db.session.info[PENDING_KEY][0] == email.id
    db.session.commit()
    assert [received["to"] for received in smtp_server.wait_for(1)] == [["ann@example.org"]]
    assert _stored(db, email.id).status == OutboxStatus.SENT


def test_enqueue_emails_counts_batches(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BATCH_SIZE", 3)
    assert enqueue_emails(range(1, 8)) == 3
    assert enqueue_emails([]) == 0


def test_claim_emails_claims_only_due_queued_rows(db):
    due, later, sent = _queue(), _queue(), _queue()
    db.session.commit()
    db.session.execute(update(OutboxEmail).where(OutboxEmail.id == later.id)
                       .values(next_attempt_at=utcnow() + timedelta(minutes=5)))
    db.session.execute(update(OutboxEmail).where(OutboxEmail.id == sent.id)
                       .values(status=OutboxStatus.SENT))
    db.session.commit()
    claimed = claim_emails([due.id, later.id, sent.id])
    assert [email.id for email in claimed] == [due.id]
    row = _stored(db, due.id)
    assert row.status == OutboxStatus.SENDING and row.attempts == 1 and row.claimed_at
    assert claim_emails([due.id]) == []  # a second claim finds nothing


def test_claim_emails_two_concurrent_claimers_never_share_a_row(app, db):
    ids = [_queue(f"person{n}@example.org").id for n in range(30)]
    db.session.commit()
    barrier, results = threading.Barrier(2), {}

    def claimer(name):
        with app.app_context():
            barrier.wait()
            results[name] = {email.id for email in claim_emails(ids)}

    threads = [threading.Thread(target=claimer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not results["a"] & results["b"]
    assert results["a"] | results["b"] == set(ids)


def test_claim_emails_fills_up_with_other_due_rows_oldest_first(db):
    first, second, third, fourth = (_queue(f"p{n}@example.org") for n in range(4))
    later = _queue("later@example.org")
    db.session.commit()
    db.session.execute(update(OutboxEmail).where(OutboxEmail.id == later.id)
                       .values(next_attempt_at=utcnow() + timedelta(minutes=5)))
    db.session.commit()
    claimed = claim_emails([fourth.id], fill_up_to=3)
    assert [email.id for email in claimed] == [first.id, second.id, fourth.id]
    assert _stored(db, third.id).status == OutboxStatus.QUEUED
    # the one asked for is taken already: only due rows fill up, never one not yet due
    assert [email.id for email in claim_emails([first.id], fill_up_to=10)] == [third.id]
    assert _stored(db, later.id).status == OutboxStatus.QUEUED


def test_two_claimers_filling_up_at_once_never_share_a_row(app, db):
    ids = [_queue(f"person{n}@example.org").id for n in range(30)]
    db.session.commit()
    barrier, results = threading.Barrier(2), {}

    def claimer(name, own):
        with app.app_context():
            barrier.wait()
            results[name] = {email.id for email in claim_emails([own], fill_up_to=20)}

    threads = [threading.Thread(target=claimer, args=(name, own))
               for name, own in (("a", ids[-1]), ("b", ids[-2]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # never the same row twice; each got a batch of rows (what either left stays queued for
    # its own task; one's own row may have gone with the other's batch)
    assert not results["a"] & results["b"]
    assert results["a"] | results["b"] <= set(ids)
    assert len(results["a"] | results["b"]) >= 20


def test_a_lone_email_takes_the_others_waiting_along(db, smtp_server):
    waiting = [_queue(f"waiting{n}@example.org") for n in range(3)]
    db.session.info.pop(PENDING_KEY)  # queued without a task of their own (e.g. a lost one)
    db.session.commit()
    lone = _queue("lone@example.org")
    db.session.commit()  # its task sends it, and the three waiting with it
    received = smtp_server.wait_for(4)
    assert sorted(message["to"][0] for message in received) == sorted(
        [email.recipient for email in waiting] + ["lone@example.org"])
    assert {_stored(db, email.id).status for email in [*waiting, lone]} == {OutboxStatus.SENT}


def test_release_emails_returns_untried_rows_to_the_queue(db):
    email = _queue()
    db.session.commit()
    claim_emails([email.id])
    release_emails([email.id], "Interrupted before sending")
    row = _stored(db, email.id)
    assert row.status == OutboxStatus.QUEUED and row.attempts == 0
    assert row.enqueued_at is None


def _stick(db, email_id, *, minutes, attempts=1):
    db.session.execute(update(OutboxEmail).where(OutboxEmail.id == email_id).values(
        status=OutboxStatus.SENDING, attempts=attempts,
        claimed_at=utcnow() - timedelta(minutes=minutes)))
    db.session.commit()


def test_sweep_outbox_requeues_rows_stuck_in_sending(app, db, smtp_server):
    stuck, busy = _queue("stuck@example.org"), _queue("busy@example.org")
    db.session.commit()
    smtp_server.wait_for(2)
    _stick(db, stuck.id, minutes=30)
    _stick(db, busy.id, minutes=1)  # a worker is still on it
    app.extensions["huey_tasks"]["sweep_outbox"]()
    messages = smtp_server.wait_for(3)
    assert [received["to"] for received in messages[2:]] == [["stuck@example.org"]]
    assert _stored(db, stuck.id).status == OutboxStatus.SENT
    assert _stored(db, busy.id).status == OutboxStatus.SENDING


def test_sweep_outbox_fails_stuck_rows_out_of_attempts(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    email = _queue()
    db.session.commit()
    _stick(db, email.id, minutes=30, attempts=3)
    assert sweep_outbox() == []  # no mail server: nothing is handed over
    row = _stored(db, email.id)
    assert row.status == OutboxStatus.FAILED and row.last_error == WORKER_STOPPED_ERROR


def test_sweep_outbox_hands_over_only_rows_not_enqueued_lately(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    fresh, lost = _queue("fresh@example.org"), _queue("lost@example.org")
    db.session.info.pop(PENDING_KEY)  # as if the enqueue after the commit had been lost
    db.session.commit()
    db.session.execute(update(OutboxEmail).where(OutboxEmail.id == lost.id)
                       .values(enqueued_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert sweep_outbox() == [lost.id]
    assert sweep_outbox() == []  # just handed over: not again before MAIL_REQUEUE_AFTER_SECONDS
    assert _stored(db, fresh.id).enqueued_at is not None
