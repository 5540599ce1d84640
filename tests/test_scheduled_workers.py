"""Scheduled mailings with real workers: ``flask worker`` processes (Huey consumers with their
periodic tasks) on the test database (SQLite, or PostgreSQL with TEST_DATABASE_URL) and one
shared SQLite queue, delivering to a real SMTP server.

- two workers running: the due mailing starts once, each invitee gets it once;
- a worker down across the scheduled time starts it when it runs again (its own scheduler,
  within a minute: the slot of the minute it stopped in may already be taken);
- a cancelled mailing never starts.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from config import TestingConfig
from seminar_app import create_app
from seminar_app.extensions import db as _db
from seminar_app.models import AuditEntry, Mailing, MailingKind, utcnow
from seminar_app.services.invitations import mailings, scheduling
from tests.factories import add_invitee, registration_event

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture
def event(make_user):
    return registration_event(make_user())


@pytest.fixture
def installation(app, tmp_path, smtp_server):
    """Start workers on demand (``start()``), all sharing the database and one queue file;
    ``enqueue_periodic()`` does what a worker's scheduler does at the top of a minute."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("FLASK_", "TEST_", "MAIL_", "TASK_", "DATABASE_"))}
    env.update({"APP_ENV": "development", "INSTANCE_PATH": str(tmp_path),
                "DATABASE_URL": url, "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(smtp_server.port), "MAIL_TIMEOUT": "5",
                "MAIL_USE_TLS": "false", "SECRET_KEY": app.config["SECRET_KEY"],
                "BASE_URL": "http://127.0.0.1:5000", "PYTHONPATH": str(ROOT)})
    queue_app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url,
                           TASK_QUEUE_PATH=str(tmp_path / "tasks.sqlite3"),
                           TASK_QUEUE_IMMEDIATE=False)
    started: list[tuple[subprocess.Popen, Path]] = []

    class Installation:
        def start(self) -> subprocess.Popen:
            log_path = tmp_path / f"worker{len(started)}.log"
            process = subprocess.Popen(  # noqa: S603 - our own module
                [sys.executable, "-m", "flask", "--app", "seminar_app", "worker",
                 "--workers", "2"], cwd=ROOT, env=env, stdout=log_path.open("wb"),
                stderr=subprocess.STDOUT)
            started.append((process, log_path))
            deadline = time.monotonic() + 60
            while "worker started" not in log_path.read_text("utf-8", "replace"):
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "the worker did not start"
                time.sleep(0.1)
            return process

        def stop(self, process: subprocess.Popen) -> None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=40)

        def enqueue_periodic(self) -> None:
            with queue_app.app_context():
                queue_app.extensions["huey_tasks"]["start_scheduled_mailings"]()

        def seen_by_another_connection(self) -> list[tuple]:
            """The mailings as a new connection (another process) reads them, and its time."""
            engine = create_engine(url)
            try:
                with engine.connect() as connection:
                    rows = connection.execute(select(
                        Mailing.id, Mailing.scheduled_at, Mailing.started_at,
                        Mailing.cancelled_at)).all()
            finally:
                engine.dispose()
            return [tuple(row) for row in rows] + [("now", utcnow())]

        def logs(self) -> str:
            """What the workers logged, without the queue's routine lines."""
            routine = ("Enqueueing periodic", "] Executing ", " executed in ", "+ seminar_app")
            return "".join(
                f"--- {path.name}\n" + "".join(
                    line for line in path.read_text("utf-8", "replace").splitlines(True)
                    if not any(part in line for part in routine))
                for _process, path in started)

    yield Installation()
    for process, _path in started:
        if process.poll() is None:
            process.kill()
            process.wait()
    with queue_app.app_context():
        _db.session.remove()


def _scheduled(event, *, seconds: float = 3600, **audience):
    mailing = mailings.create_mailing(
        event, MailingKind.INVITATION, {"audience": "all", **audience},
        send_key=secrets.token_urlsafe(24),
        scheduled_at=utcnow() + timedelta(seconds=seconds))[0]
    return mailing.id


def _make_due(mailing_id: int) -> None:
    _db.session.execute(Mailing.__table__.update().where(Mailing.id == mailing_id)
                        .values(scheduled_at=utcnow() - timedelta(seconds=1)))
    _db.session.commit()


def _starts(mailing_id: int) -> int:
    _db.session.rollback()
    return _db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "mailing.start", AuditEntry.object_id == mailing_id))


def test_two_workers_start_a_scheduled_mailing_once(app, event, installation, smtp_server):
    people = [add_invitee(event).email for _ in range(6)]
    mailing_id = _scheduled(event)
    _make_due(mailing_id)  # commits: no transaction of this test blocks the workers
    # each worker's scheduler enqueues the periodic task as it starts (and every minute);
    # two more runs of it, as if two more schedulers had enqueued it in the same minute
    installation.start()
    installation.start()
    installation.enqueue_periodic()
    installation.enqueue_periodic()
    smtp_server.wait_for(6, timeout=60)
    time.sleep(3)  # a duplicate would arrive now
    received = Counter(address for message in smtp_server.messages for address in message["to"])
    assert received == Counter(people), installation.logs()
    assert _starts(mailing_id) == 1
    _db.session.rollback()
    mailing = _db.session.get(Mailing, mailing_id)
    assert mailing.started_at is not None and mailing.prepared_at is not None
    assert scheduling.start_mailing(mailing_id) is False  # a late third worker changes nothing


def test_worker_down_across_the_time_starts_it_and_never_a_cancelled_one(
        app, event, installation, smtp_server):
    wanted = [add_invitee(event, group_name="Wanted").email for _ in range(2)]
    unwanted = [add_invitee(event, group_name="Cancelled").email for _ in range(2)]
    _db.session.rollback()  # reading the emails began a transaction: it would block the worker
    worker = installation.start()
    installation.stop(worker)  # the worker is down...
    mailing_id = _scheduled(event, seconds=2, audience="group", group="Wanted")
    cancelled_id = _scheduled(event, seconds=2, audience="group", group="Cancelled")
    _db.session.rollback()
    scheduling.cancel_scheduled_mailing(_db.session.get(Mailing, cancelled_id), actor=None)
    time.sleep(2.5)  # ...while both times pass
    _db.session.rollback()
    assert set(scheduling.due_mailing_ids()) == {mailing_id}
    _db.session.rollback()
    seen = installation.seen_by_another_connection()
    installation.start()  # back: its scheduler's next run (within a minute) starts it
    try:  # two minute boundaries: the first may fall in a slot the first start claimed
        smtp_server.wait_for(2, timeout=150)
    except AssertionError as error:
        raise AssertionError(f"{error}\nbefore: {seen}\nafter: "
                             f"{installation.seen_by_another_connection()}\n"
                             f"{installation.logs()}") from None
    time.sleep(3)
    received = Counter(address for message in smtp_server.messages for address in message["to"])
    assert received == Counter(wanted), installation.logs()
    assert not set(received) & set(unwanted)
    _db.session.rollback()
    assert _db.session.get(Mailing, cancelled_id).started_at is None
