"""The worker records its outcomes in small groups (services.mail.smtp.OUTCOME_GROUP): fewer
commits, and still never an email lost and at most one duplicate when a worker dies between
sending and recording (a real SMTP server on loopback; the failure is injected)."""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import update

from seminar_app.models import OutboxEmail, OutboxStatus, utcnow
from seminar_app.services.mail import outbox, smtp
from tests.test_mail_delivery import _queue, _rows, _sweep


@pytest.fixture
def held(app, db, monkeypatch):
    """Seven queued emails the worker has not sent yet (no mail server at first)."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    ids = [_queue(recipient=f"person{n}@example.org").id for n in range(7)]
    db.session.commit()
    assert {row.status for row in _rows(db, ids)} == {OutboxStatus.QUEUED}
    monkeypatch.setattr(smtp, "OUTCOME_GROUP", 3)
    return ids


def _recipients(smtp_server) -> Counter:
    return Counter(address for message in smtp_server.messages for address in message["to"])


def test_outcomes_are_recorded_in_groups(app, db, held, smtp_server, monkeypatch):
    groups = []
    record = outbox.record_outcomes
    monkeypatch.setattr(outbox, "record_outcomes",
                        lambda outcomes: (groups.append(len(outcomes)), record(outcomes)))
    assert smtp.send_outbox_batch(held) == {"sent": 7, "retry": 0, "failed": 0}
    assert [size for size in groups if size] == [3, 3, 1]
    assert {row.status for row in _rows(db, held)} == {OutboxStatus.SENT}
    assert set(_recipients(smtp_server).values()) == {1}


def test_a_worker_dying_between_sending_and_recording_sends_nothing_twice_more(
        app, db, held, smtp_server, monkeypatch):
    calls = []
    record = outbox.record_outcomes

    def dies_at_the_second_group(outcomes):
        calls.append(len(outcomes))
        if len(calls) == 2:
            raise RuntimeError("the worker's machine lost power")
        record(outcomes)

    monkeypatch.setattr(outbox, "record_outcomes", dies_at_the_second_group)
    with pytest.raises(RuntimeError):
        smtp.send_outbox_batch(held)
    statuses = [row.status for row in _rows(db, held)]
    # three recorded, three sent but not recorded (still "sending"), one never tried
    assert statuses == [OutboxStatus.SENT] * 3 + [OutboxStatus.SENDING] * 3 \
        + [OutboxStatus.QUEUED]
    assert len(smtp_server.messages) == 6

    monkeypatch.setattr(outbox, "record_outcomes", record)
    db.session.execute(update(OutboxEmail).where(OutboxEmail.id.in_(held)).values(
        claimed_at=utcnow() - timedelta(hours=1), enqueued_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    _sweep(app)  # the sweeper finds the stuck rows and the queued one
    smtp_server.wait_for(10)
    assert {row.status for row in _rows(db, held)} == {OutboxStatus.SENT}
    received = _recipients(smtp_server)
    assert len(received) == 7 and max(received.values()) == 2
    assert sum(1 for number in received.values() if number == 2) == 3
