"""Delivering the outbox to a real SMTP server (aiosmtpd on loopback)."""

import socket
from collections import Counter
from datetime import timedelta
from email.header import decode_header, make_header
from email.utils import getaddresses
from types import SimpleNamespace

from sqlalchemy import select, update

from seminar_app.models import OutboxEmail, OutboxStatus, utcnow
from seminar_app.services.mail.compose import queue_email
from seminar_app.services.mail.outbox import backoff_seconds
from seminar_app.services.mail.smtp import send_outbox_batch
from tests.test_mail import make_event


def _queue(recipient="ann@example.org", **options):
    values = {"template": "test_message_to_staff", "recipient": recipient,
              "recipient_name": "Ann", "context": {"user": SimpleNamespace(name="Ann"),
                                                   "outbox_url": "https://example.org/x"}}
    values.update(options)
    return queue_email(**values)


def _queue_many(db, count):
    emails = [_queue(recipient=f"person{n}@example.org") for n in range(count)]
    ids = [email.id for email in emails]
    db.session.commit()  # after the commit, immediate mode sends them at once
    return ids


def _rows(db, ids):
    """The rows as stored now, detached: reading them opens no transaction that would keep
    SQLite's write lock from the worker's session."""
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxEmail).where(OutboxEmail.id.in_(ids))
                              .order_by(OutboxEmail.id)).all()
    db.session.expunge_all()
    db.session.rollback()
    return rows


def _make_due(db, ids):
    """Let an hour pass for these rows: their retry is due."""
    now = utcnow()
    db.session.execute(update(OutboxEmail).where(OutboxEmail.id.in_(ids)).values(
        next_attempt_at=now - timedelta(seconds=1), enqueued_at=now - timedelta(hours=1)))
    db.session.commit()


def _sweep(app):
    app.extensions["huey_tasks"]["sweep_outbox"]()


def test_send_email_arrives_complete(app, db, smtp_server):
    email = _queue(language="id", headers={"List-Id": "<forum.example.org>"},
                   attachments=[{"filename": "invite.ics", "content_type": "text/calendar",
                                 "data": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"}])
    email_id, message_id = email.id, email.message_id
    db.session.commit()
    received = smtp_server.wait_for(1)[0]
    message = received["message"]
    assert received["to"] == ["ann@example.org"]
    assert message["Message-ID"] == message_id
    assert message["Subject"] == "Pesan uji coba dari Pendaftaran seminar"
    assert message["To"] == "Ann <ann@example.org>"
    assert message["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert message["List-Id"] == "<forum.example.org>"
    assert message["Date"]
    alternative = next(part for part in message.walk()
                       if part.get_content_type() == "multipart/alternative")
    kinds = [part.get_content_type() for part in alternative.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    assert "Yth. Ann," in alternative.get_body(("plain",)).get_content()
    assert '<html lang="id">' in alternative.get_body(("html",)).get_content()
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "invite.ics"
    assert "BEGIN:VCALENDAR" in attachment.get_content()
    row = _rows(db, [email_id])[0]
    assert row.status == OutboxStatus.SENT and row.sent_at is not None
    assert row.attempts == 1 and row.last_error == "" and row.language == "id"


def test_send_outbox_batch_uses_one_connection(db, smtp_server):
    ids = _queue_many(db, 5)
    messages = smtp_server.wait_for(5)
    assert len({received["peer"] for received in messages}) == 1
    assert {row.status for row in _rows(db, ids)} == {OutboxStatus.SENT}


def test_enqueue_emails_splits_batches_by_size(app, db, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BATCH_SIZE", 2)
    _queue_many(db, 5)
    messages = smtp_server.wait_for(5)
    assert len({received["peer"] for received in messages}) == 3


def test_send_refused_recipient_fails_only_that_row(db, smtp_server):
    smtp_server.rcpt_replies["person1@example.org"] = "550 5.1.1 No such user"
    ids = _queue_many(db, 3)
    smtp_server.wait_for(2)
    rows = _rows(db, ids)
    assert [row.status for row in rows] == [OutboxStatus.SENT, OutboxStatus.FAILED,
                                            OutboxStatus.SENT]
    assert "550" in rows[1].last_error and "No such user" in rows[1].last_error


def test_send_temporary_refusal_retries_later(app, db, smtp_server):
    smtp_server.data_replies.append("421 4.3.0 Try again later")
    ids = _queue_many(db, 1)
    row = _rows(db, ids)[0]
    assert row.status == OutboxStatus.QUEUED and row.attempts == 1
    assert row.last_error.startswith("421")
    assert row.next_attempt_at > utcnow() + timedelta(seconds=30)
    assert smtp_server.messages == []
    _sweep(app)  # not due yet: nothing happens
    assert _rows(db, ids)[0].status == OutboxStatus.QUEUED
    _make_due(db, ids)
    _sweep(app)
    smtp_server.wait_for(1)
    row = _rows(db, ids)[0]
    assert row.status == OutboxStatus.SENT and row.attempts == 2 and row.last_error == ""


def test_send_mailbox_busy_at_rcpt_is_temporary(db, smtp_server):
    smtp_server.rcpt_replies["person0@example.org"] = "450 4.2.1 Mailbox busy"
    row = _rows(db, _queue_many(db, 1))[0]
    assert row.status == OutboxStatus.QUEUED and row.last_error.startswith("450")


def test_send_gives_up_after_max_attempts(app, db, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    monkeypatch.setitem(app.config, "MAIL_RETRY_BASE_SECONDS", 0)
    smtp_server.data_replies.extend(["451 4.3.0 Busy", "451 4.3.0 Busy"])
    ids = _queue_many(db, 1)
    assert _rows(db, ids)[0].status == OutboxStatus.QUEUED
    send_outbox_batch(ids)
    row = _rows(db, ids)[0]
    assert row.status == OutboxStatus.FAILED and row.attempts == 2
    assert "451" in row.last_error and "gave up after 2 attempts" in row.last_error


def test_send_connection_dropped_mid_batch_loses_and_doubles_nothing(app, db, smtp_server):
    smtp_server.drop_after = 2
    ids = _queue_many(db, 5)
    smtp_server.wait_for(4)
    rows = _rows(db, ids)
    assert [row.status for row in rows] == [OutboxStatus.SENT, OutboxStatus.SENT,
                                            OutboxStatus.QUEUED, OutboxStatus.SENT,
                                            OutboxStatus.SENT]
    assert rows[2].last_error and rows[2].next_attempt_at is not None
    _make_due(db, ids)
    _sweep(app)
    messages = smtp_server.wait_for(5)
    counts = Counter(received["message"]["Message-ID"] for received in messages)
    assert counts == Counter({row.message_id: 1 for row in rows})
    assert {row.status for row in _rows(db, ids)} == {OutboxStatus.SENT}


def test_send_unreachable_server_keeps_whole_batch_queued(app, db, monkeypatch):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    rows = _rows(db, _queue_many(db, 3))
    assert {row.status for row in rows} == {OutboxStatus.QUEUED}
    assert all("ConnectionRefusedError" in row.last_error for row in rows)
    assert all(row.attempts == 1 and row.next_attempt_at for row in rows)


def test_send_silent_server_times_out(app, db, monkeypatch):
    with socket.socket() as listener:  # accepts connections, never says a word
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", listener.getsockname()[1])
        monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 0.3)
        row = _rows(db, _queue_many(db, 1))[0]
    assert row.status == OutboxStatus.QUEUED
    assert "timed out" in row.last_error.lower()


def test_send_after_mail_server_is_configured(app, db, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    ids = _queue_many(db, 2)
    assert {row.last_error for row in _rows(db, ids)} == {"No mail server is configured"}
    _sweep(app)  # still no server: nothing is claimed
    assert {row.attempts for row in _rows(db, ids)} == {0}
    monkeypatch.setitem(app.config, "MAIL_SERVER", smtp_server.host)
    _sweep(app)
    smtp_server.wait_for(2)
    assert {row.status for row in _rows(db, ids)} == {OutboxStatus.SENT}


def test_send_header_injection_adds_no_header_or_recipient(db, make_user, smtp_server):
    owner = make_user("organizer")
    event = make_event(db, owner, title="Forum\r\nBcc: victim@example.org")
    email = queue_email(
        template="team_member_added_to_staff", recipient="ann@example.org",
        recipient_name="Eve\r\nBcc: victim@example.org\r\nX-Injected: 1", event_id=event.id,
        context={"user": owner, "event": event, "can_manage": False, "can_invite": True,
                 "can_checkin": False, "event_url": "https://example.org/e"})
    db.session.commit()
    received = smtp_server.wait_for(1)[0]
    message = received["message"]
    assert received["to"] == ["ann@example.org"]
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert "\n" not in message["Subject"] and "\n" not in message["To"]
    assert message["To"].addresses[0].addr_spec == "ann@example.org"
    assert _rows(db, [email.id])[0].status == OutboxStatus.SENT


def test_backoff_seconds_grows_and_is_capped(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RETRY_BASE_SECONDS", 60)
    monkeypatch.setitem(app.config, "MAIL_RETRY_MAX_SECONDS", 600)
    assert [backoff_seconds(n) for n in (1, 2, 3, 4, 5, 9)] == [60, 120, 240, 480, 600, 600]


def test_send_long_and_non_ascii_names_stay_one_address(db, smtp_server):
    names = ["Duta Besar Republik Indonesia untuk Kerajaan Belanda, H.E. Dr. Ñoño \"Jr\" (ret.)",
             "Ибрагим Абдулла ибн Хасан аль-Фулани, Посол Российской Федерации",
             "Siti Nurhaliza"]
    for number, name in enumerate(names):
        _queue(recipient=f"person{number}@example.org", recipient_name=name)
    db.session.commit()
    messages = sorted(smtp_server.wait_for(3), key=lambda received: received["to"])
    for number, (name, received) in enumerate(zip(names, messages, strict=True)):
        raw = dict(received["message"].raw_items())["To"]
        assert max(len(line) for line in raw.splitlines()) <= 78
        # decoded the RFC 2047 way (Python 3.11's address parser puts a space between
        # adjacent encoded words, which the RFC says to drop)
        [(encoded_name, address)] = getaddresses([raw.replace("\r\n", "").replace("\n", "")])
        assert address == f"person{number}@example.org"
        assert str(make_header(decode_header(encoded_name))) == name
