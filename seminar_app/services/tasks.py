"""The background queue (Huey), built from the app's configuration, and handing work to it.

SqliteHuey in instance/ by default; RedisHuey for redis:// URLs and PostgresHuey for
postgresql:// URLs in TASK_QUEUE_URL. In tests the queue runs tasks immediately.

The tasks themselves are defined in services.jobs (``init_queue``) and kept in
``app.extensions["huey_tasks"]``; this module only builds the queue and hands work to it, so
the services that queue work (mail, mailings, link requests) need not import the tasks:

- ``send_emails(ids)`` delivers a batch of outbox rows over one SMTP connection;
- ``prepare_mailing(mailing_id)`` renders a mailing's outbox rows in chunks (one commit per
  chunk) and hands them to ``send_emails`` in batches;
- ``send_manage_link(event_id, email)`` answers a "lost your link" request in the background
  (services.registration.link_requests);
- ``sweep_outbox()`` runs every minute: it re-queues rows stuck in "sending" (a crashed
  worker), hands due rows (retries, lost enqueues) to ``send_emails`` and restarts the
  preparation of mailings whose worker stopped half-way.
- ``expire_promotions()`` runs every five minutes: it cancels promotions from the waiting
  list not confirmed in time, promotes the next in line and sends the reminders due a day
  before a deadline (services.registration.promotions).
- ``start_scheduled_mailings()`` runs every minute: it starts the scheduled mailings whose
  time has passed (services.invitations.scheduling) and makes the automatic emails now due
  (services.invitations.automatic_mailings).
- ``build_document(job_id)`` builds a big document (badges, report, export) of a document job
  and stores it in chunks; ``sweep_document_jobs()`` runs every minute: it queues again a job
  whose worker stopped (failed after two attempts) and deletes expired ones
  (services.documents.document_jobs).
- ``purge_personal_data()`` runs daily at 03:00 UTC: it deletes passport data and anonymises
  registrations as each event's retention settings say (services.privacy.retention).

Periodic tasks run once per slot, however many workers (machines) consume the queue: every
consumer started with periodic tasks enqueues them at the same minute, and the first worker to
``claim_periodic_run`` the slot (an atomic put-if-empty in the queue's own shared storage:
Redis, PostgreSQL or the SQLite file) runs it; the others skip it. Worker clocks should agree
to within a few seconds (NTP): two clocks on either side of a minute's boundary would claim
different slots.

Emails reach the queue only after the transaction that created them commits: services call
``dispatch_after_commit(ids)`` (``queue_email`` does it for them), which keeps the ids in
``session.info``; an ``after_commit`` listener hands them to the queue and an
``after_rollback`` listener forgets them. A failure to enqueue never undoes the commit: the
rows stay queued and the sweeper hands them over later.
"""

import functools
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from flask import current_app
from huey import Huey, RedisHuey, SqliteHuey
from sqlalchemy import event

from ..extensions import db

log = logging.getLogger(__name__)

#: key in ``session.info`` holding outbox ids to enqueue once the transaction commits
PENDING_KEY = "outbox_pending"
#: key in ``session.info`` holding (task name, args) to enqueue once the transaction commits
PENDING_TASKS_KEY = "tasks_pending"


def build_huey(config) -> Huey:
    """A Huey instance for the given configuration mapping."""
    url = config.get("TASK_QUEUE_URL") or ""
    immediate = bool(config.get("TASK_QUEUE_IMMEDIATE"))
    if url.startswith(("redis://", "rediss://", "unix://")):
        queue = RedisHuey("seminar_app", url=url, immediate=immediate, results=False)
    elif url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        from huey import PostgresHuey

        dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
        queue = PostgresHuey("seminar_app", dsn=dsn, immediate=immediate, results=False)
    else:
        queue = SqliteHuey("seminar_app", filename=config["TASK_QUEUE_PATH"],
                           immediate=immediate, results=False)
    return queue


def enqueue_emails(ids: Iterable[int]) -> int:
    """Hand outbox ids to the queue in batches of MAIL_BATCH_SIZE; returns the batch count."""
    ids = sorted(set(ids))
    size = max(1, int(current_app.config.get("MAIL_BATCH_SIZE") or 100))
    task = current_app.extensions["huey_tasks"]["send_emails"]
    batches = 0
    for start in range(0, len(ids), size):
        task(ids[start:start + size])
        batches += 1
    return batches


def dispatch_after_commit(ids: Iterable[int]) -> None:
    """Enqueue outbox ids once the current transaction commits (dropped on rollback)."""
    db.session.info.setdefault(PENDING_KEY, []).extend(ids)


def run_task_after_commit(name: str, *args) -> None:
    """Enqueue task ``name`` with ``args`` once the current transaction commits."""
    db.session.info.setdefault(PENDING_TASKS_KEY, []).append((name, args))


def _run_pending_tasks(session) -> None:
    pending = session.info.pop(PENDING_TASKS_KEY, None) or []
    tasks = current_app.extensions["huey_tasks"]
    for name, args in pending:
        try:
            tasks[name](*args)
        except Exception:  # noqa: BLE001 - the commit stands; the sweeper restarts the task
            log.exception("could not enqueue task %s%r; the sweeper will retry", name, args)


def _after_commit(session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint: the rows are not visible to workers before the real commit
    _run_pending_tasks(session)
    ids = session.info.pop(PENDING_KEY, None)
    if not ids:
        return
    try:
        enqueue_emails(ids)
    except Exception:  # noqa: BLE001 - the commit stands; the sweeper enqueues the rows later
        log.exception("could not enqueue %d email(s); the sweeper will retry", len(ids))


def _after_rollback(session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint: keep the outer transaction's ids (stale ones claim nothing)
    session.info.pop(PENDING_KEY, None)
    session.info.pop(PENDING_TASKS_KEY, None)


def install_session_hooks() -> None:
    """Listen on the app-wide scoped session (once per process)."""
    if not event.contains(db.session, "after_commit", _after_commit):
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_rollback", _after_rollback)


def claim_periodic_run(huey: Huey, name: str, now: datetime, period: timedelta) -> bool:
    """True for the one worker that runs periodic task ``name`` in the slot of ``now`` (slots
    are ``period`` long, counted from the epoch); False for every other worker. The claim of
    the slot before is dropped, so the storage keeps at most two keys per task."""
    slot = int(now.timestamp() // period.total_seconds())
    if not huey.put_if_empty(f"periodic:{name}:{slot}", "1"):
        log.info("periodic task %s of slot %d runs on another worker", name, slot)
        return False
    huey.delete(f"periodic:{name}:{slot - 1}")
    log.info("periodic task %s runs (slot %d)", name, slot)
    return True


def once_per_slot(huey: Huey, period: timedelta):
    """Decorate a periodic task's function so that, of all the workers whose schedulers
    enqueue it in one slot of ``period``, one runs it (``claim_periodic_run``). In immediate
    mode (tests, TASK_QUEUE_IMMEDIATE) there is no other worker: every call runs."""
    def decorate(function):
        @functools.wraps(function)
        def run_once():
            if huey.immediate or claim_periodic_run(huey, function.__name__,
                                                    datetime.now(UTC), period):
                function()
        return run_once
    return decorate
