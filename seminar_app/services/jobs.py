"""The background tasks (Huey), registered on the app's queue by ``init_queue``.

Each task runs in a fresh app context and calls one service; what each does is described in
services.tasks, which builds the queue and hands work to it.
"""

import logging

from flask import Flask
from huey import Huey, crontab

from ..extensions import db
from .invitations import mailings
from .mail import outbox, smtp
from .privacy import retention
from .registration import link_requests
from .tasks import build_huey, enqueue_emails, install_session_hooks

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
        """Deliver the outbox rows ``ids`` over one SMTP connection."""
        with app.app_context():
            smtp.send_outbox_batch(ids)

    @huey.task()
    def prepare_mailing(mailing_id):
        """Create the outbox rows of mailing ``mailing_id`` (idempotent; resumable)."""
        with app.app_context():
            mailings.prepare_mailing(mailing_id)

    @huey.task()
    def send_manage_link(event_id, email):
        """Email ``email`` a new personal link if it is registered for the event (silently)."""
        with app.app_context():
            link_requests.send_manage_link(event_id, email)

    @huey.periodic_task(crontab(minute="*"))
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

    @huey.periodic_task(crontab(minute="0", hour="3"))
    def purge_personal_data():
        """Daily at 03:00 UTC: apply every event's retention settings
        (services.privacy.retention)."""
        with app.app_context():
            changed = [counts for counts in retention.purge_personal_data() if counts.total]
            if changed:
                log.info("retention purge changed %d event(s)", len(changed))

    return {"send_emails": send_emails, "prepare_mailing": prepare_mailing,
            "sweep_outbox": sweep_outbox, "purge_personal_data": purge_personal_data,
            "send_manage_link": send_manage_link}
