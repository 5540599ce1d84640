"""The background tasks (Huey), registered on the app's queue by ``init_queue``.

Each task runs in a fresh app context and calls one service; what each does is described in
services.tasks, which builds the queue and hands work to it.
"""

import logging
from datetime import timedelta

from flask import Flask
from huey import Huey, crontab

from ..extensions import db
from .documents import document_jobs
from .invitations import automatic_mailings, mailings, scheduling
from .mail import outbox, smtp
from .privacy import retention
from .registration import link_requests, promotions
from .tasks import build_huey, enqueue_emails, install_session_hooks, once_per_slot

log = logging.getLogger(__name__)


def init_queue(app: Flask) -> None:
    """Create the app's queue, register its tasks and the after-commit dispatch."""
    huey = build_huey(app.config)
    app.extensions["huey"] = huey
    app.extensions["huey_tasks"] = _register_tasks(app, huey)
    install_session_hooks()


def _register_tasks(app: Flask, huey: Huey) -> dict:
    """Define the tasks on ``huey``; each runs in a fresh app context of ``app``."""

    @huey.task()
    def send_emails(ids):
        """Deliver the outbox rows ``ids`` over one SMTP connection, with other due rows
        waiting beside them up to a batch (a registration's confirmation takes the others
        queued meanwhile along)."""
        with app.app_context():
            smtp.send_outbox_batch(ids, fill_up_to=int(app.config.get("MAIL_BATCH_SIZE") or 100))

    @huey.task(retries=3, retry_delay=10)
    def prepare_mailing(mailing_id):
        """Create the outbox rows of mailing ``mailing_id`` (idempotent; resumable, so a
        failure, e.g. a database busy past its timeout, is simply tried again)."""
        with app.app_context():
            mailings.prepare_mailing(mailing_id)

    @huey.task()
    def send_manage_link(event_id, email):
        """Email ``email`` a new personal link if it is registered for the event (silently)."""
        with app.app_context():
            link_requests.send_manage_link(event_id, email)

    @huey.periodic_task(crontab(minute="*"))
    @once_per_slot(huey, timedelta(minutes=1))
    def sweep_outbox():
        """Every minute: re-queue stuck rows, hand due rows to ``send_emails``."""
        with app.app_context():
            due = outbox.sweep_outbox()
            if due:
                log.info("sweeper hands %d email(s) to the queue", len(due))
                enqueue_emails(due)
            stalled = mailings.stalled_mailing_ids()
            db.session.commit()  # end the read: the preparation writes in its own session
            for mailing_id in stalled:
                log.warning("sweeper restarts the preparation of mailing %s", mailing_id)
                prepare_mailing(mailing_id)

    @huey.periodic_task(crontab(minute="*"))
    @once_per_slot(huey, timedelta(minutes=1))
    def start_scheduled_mailings():
        """Every minute: start the scheduled mailings whose time has come (each claimed by a
        conditional UPDATE, so exactly once) and make the automatic emails now due
        (services.invitations.scheduling and automatic_mailings)."""
        with app.app_context():
            started = scheduling.start_due_mailings()
            made = automatic_mailings.create_due_automatic_mailings()
            if started or made:
                log.info("scheduled mailings started: %s; automatic mailings made: %s",
                         started, made)

    @huey.task()
    def build_document(job_id):
        """Build document job ``job_id`` (services.documents.document_jobs)."""
        with app.app_context():
            document_jobs.build_document_job(job_id)

    @huey.periodic_task(crontab(minute="*"))
    @once_per_slot(huey, timedelta(minutes=1))
    def sweep_document_jobs():
        """Every minute: document jobs whose worker stopped are queued again (then failed);
        expired ones are deleted with their files."""
        with app.app_context():
            for job_id in document_jobs.sweep_document_jobs():
                log.warning("sweeper queued document job %s again", job_id)

    @huey.periodic_task(crontab(minute="0", hour="3"))
    @once_per_slot(huey, timedelta(days=1))
    def purge_personal_data():
        """Daily at 03:00 UTC: apply every event's retention settings
        (services.privacy.retention)."""
        with app.app_context():
            changed = [counts for counts in retention.purge_personal_data() if counts.total]
            if changed:
                log.info("retention purge changed %d event(s)", len(changed))

    @huey.periodic_task(crontab(minute="*/5"))
    @once_per_slot(huey, timedelta(minutes=5))
    def expire_promotions():
        """Every five minutes: cancel the promotions not confirmed in time (the waiting list
        moves) and remind those whose deadline is a day away
        (services.registration.promotions)."""
        with app.app_context():
            expired = promotions.expire_promotions()
            reminded = promotions.remind_promotions()
            if expired or reminded:
                log.info("promotions: %d expired, %d reminded", expired, reminded)

    return {"send_emails": send_emails, "prepare_mailing": prepare_mailing,
            "expire_promotions": expire_promotions,
            "sweep_outbox": sweep_outbox, "purge_personal_data": purge_personal_data,
            "start_scheduled_mailings": start_scheduled_mailings,
            "send_manage_link": send_manage_link, "build_document": build_document,
            "sweep_document_jobs": sweep_document_jobs}
