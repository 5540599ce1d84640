"""Bulk invitations: 5,000 emails through the real path vs plain smtplib, same run, same sink.

An aiosmtpd sink runs in its own process (it only counts messages, per recipient). The real
path: the staff request that creates the mailing (timed), then a worker drains the Huey queue
(SqliteHuey, as in production without Redis): ``prepare_mailing`` renders the outbox rows in
chunks, ``send_emails`` batches claim, send over one SMTP connection per batch and mark every
row. The baseline: one smtplib connection sending the same rendered messages (subject, text,
HTML and .ics, built with the standard library's EmailMessage), nothing stored.
"""

import logging
import secrets
import smtplib
import time
from email.message import EmailMessage
from email.policy import SMTP

from bench import common

log = logging.getLogger(__name__)


def _seed_invitees(app, event_id: int, count: int) -> None:
    from seminar_app.extensions import db
    from seminar_app.models import Event
    from seminar_app.services.invitations.invitations import new_invitee

    with app.app_context():
        event = db.session.get(Event, event_id)
        for number in range(count):
            new_invitee(event, {
                "honorific": None, "honorific_other": "", "name": f"Invitee {number}",
                "email": f"invitee{number}@example.org", "country": "TH",
                "organisation": "Embassy", "position": "Counsellor",
                "language": "id" if number % 3 == 0 else "en", "group_name": "All",
                "note": ""})
            if number % 1000 == 999:
                db.session.commit()
        db.session.commit()


def _drain_queue(app) -> int:
    """Run every queued task like one consumer would; the number of tasks run."""
    huey = app.extensions["huey"]
    ran = 0
    while True:
        task = huey.dequeue()
        if task is None:
            return ran
        huey.execute(task)
        ran += 1


def _wait_for(counter, expected: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while counter.value < expected and time.monotonic() < deadline:
        time.sleep(0.01)


def _baseline_messages(app, mailing_id: int) -> list[tuple[str, bytes]]:
    """The rendered emails of the mailing as plain EmailMessages (built outside the timing)."""
    import base64

    from sqlalchemy import select

    from seminar_app.extensions import db
    from seminar_app.models import OutboxEmail

    messages = []
    with app.app_context():
        rows = db.session.scalars(select(OutboxEmail).where(OutboxEmail.mailing_id == mailing_id)
                                  .order_by(OutboxEmail.id))
        for row in rows:
            message = EmailMessage()
            message["From"] = app.config["MAIL_DEFAULT_SENDER"]
            message["To"] = row.recipient
            message["Subject"] = row.subject
            message["Message-ID"] = row.message_id
            for name, value in row.headers.items():
                message[name] = value
            message.set_content(row.body_text)
            message.add_alternative(row.body_html, subtype="html")
            for item in row.attachments:
                data = base64.b64decode(item["data"]) if item["encoding"] == "base64" \
                    else item["data"].encode()
                maintype, subtype = item["content_type"].split("/", 1)
                message.add_attachment(data, maintype=maintype, subtype=subtype,
                                       filename=item["filename"])
            messages.append((row.recipient, message))
    return messages


def _plain_smtplib(port: int, messages, *, build: bool) -> float:
    """Seconds to send ``messages`` over one connection (building the bytes in the loop)."""
    prepared = messages if build else [(to, message.as_bytes(policy=SMTP))
                                       for to, message in messages]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for recipient, message in prepared:
            data = message.as_bytes(policy=SMTP) if build else message
            smtp.sendmail("seminar-app@localhost", [recipient], data)
    return time.perf_counter() - started


def run(kind: str, *, count: int = 5000) -> None:
    """Run the benchmark on ``kind`` ("sqlite" or "postgresql") and write its section."""
    from seminar_app.extensions import db
    from seminar_app.models import Mailing

    with common.smtp_sink() as (port, counter), common.workdir() as work:
        url = common.database_url(kind, work)
        app = _app(url, work, port)
        common.reset_schema(app)
        email, event_id, _slug = common.create_organizer_and_event(
            app, capacity=10_000, slug=f"mailing-{kind}")
        _seed_invitees(app, event_id, count)
        client = app.test_client()
        client.post("/manage/login", data={"email": email, "password": common.PASSWORD})

        started = time.perf_counter()
        response = client.post(
            f"/manage/events/{event_id}/invitations/mailings/new?kind=invitation",
            data={"audience": "all", "group": "", "attach_calendar": "y",
                  "send_key": secrets.token_urlsafe(24), "confirmed": "1",
                  "expected": str(count)})
        request_seconds = time.perf_counter() - started
        assert response.status_code == 303, response.status_code

        started = time.perf_counter()
        tasks = _drain_queue(app)
        _wait_for(counter, count)
        real_seconds = time.perf_counter() - started
        real_count = counter.value
        with app.app_context():
            mailing_id = db.session.query(Mailing.id).scalar()
        messages = _baseline_messages(app, mailing_id)

        before = counter.value
        plain_seconds = _plain_smtplib(port, messages, build=True)
        _wait_for(counter, before + count)
        before = counter.value
        bytes_seconds = _plain_smtplib(port, messages, build=False)
        _wait_for(counter, before + count)
    real_rate, plain_rate = real_count / real_seconds, count / plain_seconds
    bytes_rate = count / bytes_seconds
    common.write_section(f"Bulk invitations ({kind})", [
        f"- {count} invitations (about a third in Bahasa Indonesia), text + HTML + .ics, "
        "to an aiosmtpd sink in its own process (counts only)",
        f"- request that starts the send: {request_seconds * 1000:.0f} ms (target < 1000 ms)",
        f"- real path (prepare + {tasks - 1} send batches, one connection each, outcomes "
        f"recorded in groups of 25): {real_count} delivered in {real_seconds:.1f} s = "
        f"{real_rate:.0f} emails/s",
        f"- plain smtplib, one connection, building each EmailMessage's bytes in the loop: "
        f"{plain_seconds:.1f} s = {plain_rate:.0f} emails/s",
        f"- **ratio real / plain smtplib: {real_rate / plain_rate:.2f}** (target >= 0.8)",
        f"- plain smtplib with the bytes built beforehand (the wire alone): "
        f"{bytes_seconds:.1f} s = {bytes_rate:.0f} emails/s; ratio "
        f"{real_rate / bytes_rate:.2f}",
    ])


def _app(url: str, work, port: int):
    from config import DevelopmentConfig
    from seminar_app import create_app

    return create_app(
        DevelopmentConfig, SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False,
        SESSION_COOKIE_SECURE=False, WTF_CSRF_ENABLED=False, MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USE_SSL=False, MAIL_BATCH_SIZE=100,
        TASK_QUEUE_URL="", TASK_QUEUE_IMMEDIATE=False,
        TASK_QUEUE_PATH=str(work / "tasks.sqlite3"))
