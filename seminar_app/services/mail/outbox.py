"""The outbox's delivery states: claiming rows, recording outcomes, the sweeper.

A row goes queued -> sending -> sent, or back to queued (temporary failure, with
``next_attempt_at`` after an exponential backoff), or to failed (a permanent refusal, or
MAIL_MAX_ATTEMPTS temporary ones). Claiming is one conditional UPDATE, so two workers never
send the same row. Bodies and headers are encrypted at rest (models.mail); once a row is sent,
the personal links in them (/r/, /i/, /u/ and password resets) are replaced with
``PERSONAL_LINK_REMOVED``, so the database keeps no working link; queued and failed rows keep
theirs (encrypted), so a retry sends the same email. Each function here commits its own
short transaction: no transaction stays open while a worker talks to the SMTP server. A
claimed row that still waits to be rendered (``compose`` set) is rendered by the worker before
it is sent (services.mail.deferred.render_claimed), never sent as it is.
Staff-facing use cases live in ``services/mail/outbox_admin.py``; SMTP itself in
``services/mail/compose.py``.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, text, update

from ...crypto import lenient_decryption
from ...database import is_postgresql, use_case
from ...extensions import db
from ...models import OutboxEmail, OutboxStatus, utcnow

# the one domain rule transport keeps: an invitee's invitation emails' state, on their row
from ..invitations.mail_state import refresh_mail_state

log = logging.getLogger(__name__)

#: last_error of rows kept because MAIL_SERVER is empty (translated when shown)
NO_SERVER_ERROR = "No mail server is configured"
#: last_error of rows re-queued by the sweeper after a worker stopped mid-send
WORKER_STOPPED_ERROR = "The worker stopped while sending"
#: what replaces a personal link in a sent email's stored copy (translated when shown)
PERSONAL_LINK_REMOVED = "[personal link removed]"
#: the path of a personal link: /r/, /i/, /u/ or a password reset, then the token and
#: whatever follows up to a space, quote or angle bracket
_PERSONAL_PATH = re.compile(
    r"/(?:r|i|u|manage/password/reset)/[A-Za-z0-9_.~%=-]{8,}[^\s\"'<>]*")
#: an absolute address (both patterns scan in linear time, whatever the text)
_URL = re.compile(r"https?://[^\s\"'<>]+")


@dataclass(frozen=True)
class ClaimedEmail:
    """What a worker needs to send one claimed row, detached from the session."""

    id: int
    recipient: str
    recipient_name: str
    subject: str
    body_text: str
    body_html: str
    attachments: list
    headers: dict
    message_id: str
    attempts: int
    #: what the worker renders before sending (services.mail.deferred), or None
    compose: dict | None = None
    language: str = "en"
    template: str = ""


def _due(now: datetime):
    return and_(
        OutboxEmail.status == OutboxStatus.QUEUED,
        or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now),
    )


@use_case
def claim_emails(ids, *, now: datetime | None = None, fill_up_to: int = 0) -> list[ClaimedEmail]:
    """Mark the due queued rows among ``ids`` as sending (one conditional UPDATE) and commit.

    ``fill_up_to``: when ``ids`` are fewer, other due queued rows are claimed too, oldest
    first, up to that many in all: a task handed one registration's confirmation sends the
    others waiting beside it over the same connection, and their own tasks then find nothing
    left to claim. The claim stays one conditional UPDATE, so no row is claimed twice (on
    PostgreSQL the others are taken with SKIP LOCKED: two workers filling up at once take
    different rows instead of waiting for each other)."""
    ids = sorted(set(ids))
    if not ids:
        return []
    now = now or utcnow()
    chosen = OutboxEmail.id.in_(ids)
    if fill_up_to > len(ids):
        others = (select(OutboxEmail.id).where(_due(now), OutboxEmail.id.not_in(ids))
                  .order_by(OutboxEmail.id).limit(fill_up_to - len(ids)))
        if is_postgresql():
            others = others.with_for_update(skip_locked=True)
        chosen = or_(chosen, OutboxEmail.id.in_(others))
    claimed = db.session.scalars(
        update(OutboxEmail)
        .where(chosen, _due(now))
        .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxEmail.attempts + 1)
        .returning(OutboxEmail.id)
        .execution_options(synchronize_session=False)
    ).all()
    with lenient_decryption():  # a row whose key is missing is retried later (services.mail.smtp)
        rows = db.session.execute(
            select(*(getattr(OutboxEmail, name) for name in ClaimedEmail.__dataclass_fields__))
            .where(OutboxEmail.id.in_(claimed)).order_by(OutboxEmail.id)
        ).all() if claimed else []
    return [ClaimedEmail(*row) for row in rows]


def backoff_seconds(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failed attempt (exponential, capped)."""
    base = int(current_app.config.get("MAIL_RETRY_BASE_SECONDS", 60))
    cap = int(current_app.config.get("MAIL_RETRY_MAX_SECONDS", 3600))
    return max(0, min(base * 2 ** max(attempts - 1, 0), cap))


@use_case
def record_outcomes(outcomes: list[tuple[int, dict]]) -> None:
    """Record the outcomes of several rows (``(row id, values)``, from ``sent_values``,
    ``failed_values``, ``retry_values``) and their invitees' mail state in one short
    transaction.

    The worker records its outcomes in small groups (services.mail.smtp): if it dies before a
    group is recorded, those rows are still "sending" and the sweeper sends them once more,
    so an email reaches its recipient at most twice, never zero times.

    On PostgreSQL the commit does not wait for the WAL to reach the disk
    (``synchronous_commit`` off for this transaction only): a worker that dies right after
    loses nothing (the server has the commit), and only a crash of the database server itself
    could forget the outcomes of its last fraction of a second; those rows are then "sending"
    again and the sweeper re-sends them. Waiting for the disk after every email would halve
    the sending rate.
    """
    if not outcomes:
        return
    if is_postgresql():
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    # one executemany per set of columns (psycopg pipelines it: one round trip, not one per row)
    by_columns: dict[tuple, list[dict]] = {}
    for email_id, values in outcomes:
        by_columns.setdefault(tuple(sorted(values)), []).append({"id": email_id, **values})
    for rows in by_columns.values():
        db.session.execute(update(OutboxEmail), rows)
    refresh_mail_state(email_ids=[email_id for email_id, _values in outcomes])


def remove_personal_links(text: str) -> str:
    """``text`` with every personal link replaced by ``PERSONAL_LINK_REMOVED``."""
    text = _URL.sub(lambda match: PERSONAL_LINK_REMOVED if _PERSONAL_PATH.search(match[0])
                    else match[0], text or "")
    return _PERSONAL_PATH.sub(PERSONAL_LINK_REMOVED, text)


def _without_links(email: ClaimedEmail) -> dict:
    """The subject, bodies and headers of ``email`` that held personal links, without them."""
    values = {"subject": remove_personal_links(email.subject),
              "body_text": remove_personal_links(email.body_text),
              "body_html": remove_personal_links(email.body_html),
              "headers": {name: remove_personal_links(value)
                          for name, value in (email.headers or {}).items()}}
    return {key: value for key, value in values.items()
            if value != (getattr(email, key) or type(value)())}


def _claimed(email_id: int) -> ClaimedEmail:
    row = db.session.execute(
        select(*(getattr(OutboxEmail, name) for name in ClaimedEmail.__dataclass_fields__))
        .where(OutboxEmail.id == email_id)).one()
    return ClaimedEmail(*row)


def sent_values(email: ClaimedEmail) -> dict:
    """The server accepted the message: record it, and remove the personal links it held."""
    return {"status": OutboxStatus.SENT, "sent_at": utcnow(), "last_error": "",
            "next_attempt_at": None, **_without_links(email)}


def failed_values(error: str) -> dict:
    """A permanent refusal: keep the server's answer, never retry on our own."""
    return {"status": OutboxStatus.FAILED, "last_error": error[:2000], "next_attempt_at": None}


def retry_values(email: ClaimedEmail, error: str, *, now: datetime | None = None) -> dict:
    """A temporary failure: back to the queue after a backoff, or failed after too many."""
    limit = int(current_app.config.get("MAIL_MAX_ATTEMPTS", 8))
    if email.attempts >= limit:
        return failed_values(f"{error} (gave up after {email.attempts} attempts)")
    now = now or utcnow()
    return {"status": OutboxStatus.QUEUED, "last_error": error[:2000],
            "next_attempt_at": now + timedelta(seconds=backoff_seconds(email.attempts))}


def mark_sent(email: ClaimedEmail | int) -> None:
    """Record one row as sent (``sent_values``) in its own transaction."""
    if isinstance(email, int):
        email = _claimed(email)
    record_outcomes([(email.id, sent_values(email))])


def mark_failed(email_id: int, error: str) -> None:
    """Record one row as failed (``failed_values``) in its own transaction."""
    record_outcomes([(email_id, failed_values(error))])


def mark_retry(email: ClaimedEmail, error: str, *, now: datetime | None = None) -> None:
    """Record one row's temporary failure (``retry_values``) in its own transaction."""
    record_outcomes([(email.id, retry_values(email, error, now=now))])


@use_case
def release_emails(ids, error: str) -> None:
    """Put claimed rows that were never tried back in the queue, attempt not counted."""
    if not ids:
        return
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id.in_(list(ids)), OutboxEmail.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.QUEUED, attempts=OutboxEmail.attempts - 1,
                last_error=error[:2000], enqueued_at=None)
        .execution_options(synchronize_session=False)
    )


@use_case
def record_no_server(ids) -> None:
    """Keep queued rows queued and say why: no MAIL_SERVER; the sweeper sends them later."""
    ids = list(ids)
    if not ids:
        return
    db.session.execute(
        update(OutboxEmail)
        # a row that could not be rendered keeps its own reason (services.mail.deferred)
        .where(OutboxEmail.id.in_(ids), OutboxEmail.status == OutboxStatus.QUEUED,
               OutboxEmail.compose.is_(None))
        .values(last_error=NO_SERVER_ERROR, enqueued_at=None)
        .execution_options(synchronize_session=False)
    )


def _requeue_stuck(now: datetime) -> int:
    """Rows "sending" for longer than MAIL_STUCK_AFTER_SECONDS: their worker is gone."""
    stuck_after = int(current_app.config.get("MAIL_STUCK_AFTER_SECONDS", 600))
    limit = int(current_app.config.get("MAIL_MAX_ATTEMPTS", 8))
    stuck = and_(OutboxEmail.status == OutboxStatus.SENDING,
                 OutboxEmail.claimed_at < now - timedelta(seconds=stuck_after))
    failed_ids = list(db.session.scalars(
        update(OutboxEmail).where(stuck, OutboxEmail.attempts >= limit)
        .values(status=OutboxStatus.FAILED, last_error=WORKER_STOPPED_ERROR)
        .returning(OutboxEmail.id).execution_options(synchronize_session=False)))
    refresh_mail_state(email_ids=failed_ids)
    gave_up = len(failed_ids)
    requeued = db.session.execute(
        update(OutboxEmail).where(stuck)
        .values(status=OutboxStatus.QUEUED, last_error=WORKER_STOPPED_ERROR,
                next_attempt_at=None, enqueued_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if gave_up or requeued:
        log.warning("sweeper: %d stuck email(s) re-queued, %d failed", requeued, gave_up)
    return requeued


@use_case
def sweep_outbox(*, now: datetime | None = None, limit: int = 10_000) -> list[int]:
    """Re-queue stuck rows; return the due queued ids not handed to a worker lately."""
    now = now or utcnow()
    _requeue_stuck(now)
    if not current_app.config.get("MAIL_SERVER"):
        return []
    requeue_after = int(current_app.config.get("MAIL_REQUEUE_AFTER_SECONDS", 300))
    not_handed_over = or_(
        OutboxEmail.enqueued_at.is_(None),
        OutboxEmail.enqueued_at < now - timedelta(seconds=requeue_after),
        and_(OutboxEmail.next_attempt_at.is_not(None),
             OutboxEmail.enqueued_at < OutboxEmail.next_attempt_at),
    )
    ids = list(db.session.scalars(
        select(OutboxEmail.id).where(_due(now), not_handed_over)
        .order_by(OutboxEmail.id).limit(limit)
    ))
    if ids:
        mark_enqueued(ids, now=now)
    return ids


def mark_enqueued(ids, *, now: datetime | None = None) -> None:
    """Remember that the rows were handed to the queue (no commit)."""
    db.session.execute(
        update(OutboxEmail).where(OutboxEmail.id.in_(list(ids)))
        .values(enqueued_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
