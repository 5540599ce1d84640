"""Emails rendered by the worker just before they are sent ("deferred" emails).

A use case that must answer quickly (a delegate's registration) queues an outbox row that
records *what* to render instead of the rendered email: ``compose`` (encrypted JSON: the
notification's name and its data, e.g. a registration id, the personal link's token and the
status decided at the commit), with an empty subject and empty bodies (``queue_deferred_email``;
no commit, sent after the caller's commit like any email).

The worker renders such a row with the renderer registered under the notification's name
(``renderer``; services.notifications registers its own), in one place, ``_compose``, on one
of two paths of ``services.mail.smtp.send_outbox_batch``:
- with a mail server: the row is claimed like any other, rendered in memory right after the
  claim (``render_claimed``) and sent; its rendered subject, bodies, attachments and headers
  are written (and ``compose`` emptied) together with the outcome of sending it, in the same
  statement. Once sent, its personal links are removed, as from every email;
- without one (``render_deferred_emails``): the row is rendered and written, conditional on it
  still being queued and unrendered (two workers never both write it; an erasure in between
  wins), so that the outbox shows what will be sent; it then waits for a server as any email.

Outcomes of rendering one row:
- rendered: from then on an ordinary email (``compose`` is NULL; the token lives in the
  encrypted bodies only);
- ``NotRenderable`` (what the email was about is gone: the registration was erased or deleted,
  or belongs to another person now): failed with the reason, ``compose`` emptied (the token
  goes), never retried, and staff cannot send it again: there is nothing to send
  (``never_prepared``);
- any other error (a template error, a key missing from DATA_KEYS, an unknown notification):
  back to the queue after a backoff like a temporary SMTP failure (attempts counted, failed
  after MAIL_MAX_ATTEMPTS), ``compose`` kept so that staff can send it again after a fix.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from ...crypto import Unreadable, lenient_decryption
from ...database import reading, transaction
from ...extensions import db
from ...models import OutboxEmail, OutboxStatus, utcnow
from ..invitations.mail_state import refresh_mail_state
from ..tasks import dispatch_after_commit
from .compose import (
    RenderedEmail,
    check_address,
    clean_attachments,
    clean_headers,
    new_message_id,
    one_line,
)
from .outbox import backoff_seconds

log = logging.getLogger(__name__)

#: last_error of a row whose rendering failed for a reason that may pass (retried)
NOT_PREPARED_ERROR = "Could not be prepared"


class NotRenderable(Exception):  # noqa: N818 - an outcome, not a bug
    """What a deferred email was about is gone; ``reason`` (stored English, translated when
    shown: services.mail.outbox_admin) says what."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DeferredEmail:
    """What a renderer gets: the row as queued and its ``compose`` data."""

    id: int
    recipient: str
    language: str
    template: str
    data: dict


@dataclass(frozen=True)
class ComposedEmail:
    """What a renderer returns: the email rendered in ``language``."""

    template: str
    language: str
    recipient_name: str
    rendered: RenderedEmail
    attachments: list = field(default_factory=list)
    headers: dict = field(default_factory=dict)


#: notification name -> function(DeferredEmail) -> ComposedEmail
_RENDERERS: dict[str, Callable[[DeferredEmail], ComposedEmail]] = {}


def renderer(name: str):
    """Register the decorated function as the renderer of the deferred emails of ``name``."""
    def register(function):
        _RENDERERS[name] = function
        return function
    return register


def never_prepared(email: OutboxEmail) -> bool:
    """True for a deferred email failed before it was rendered because what it was about is
    gone (``NotRenderable``): nothing to send, ever (no subject, no body, no ``compose``)."""
    return (email.status == OutboxStatus.FAILED and email.compose is None
            and not email.subject)


def may_be_prepared():
    """A WHERE clause: the email is not ``never_prepared`` (it has a subject, or what the
    worker is to render)."""
    return or_(OutboxEmail.subject != "", OutboxEmail.compose.is_not(None))


# --- queueing --------------------------------------------------------------------------------

def queue_deferred_email(*, notification: str, data: dict, template: str, recipient: str,
                         recipient_name: str = "", language: str = "en",
                         event_id: int | None = None, invitee_id: int | None = None,
                         replacing: OutboxEmail | None = None) -> OutboxEmail:
    """Add an outbox row the worker renders with the renderer of ``notification`` just before
    sending it (no commit; handed to the queue after the commit). ``data`` (JSON values) is
    what the renderer needs; ``template`` the template it is expected to use (shown to staff
    meanwhile). ``replacing``: a deferred email queued earlier in the same (uncommitted)
    transaction, written over with this one (same row and Message-ID)."""
    if notification not in _RENDERERS:
        raise ValueError(f"no renderer for deferred emails of {notification!r}")
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    values = {"template": template, "recipient": check_address(recipient),
              "recipient_name": one_line(recipient_name, limit=300), "language": language,
              "compose": {"notification": notification, **data}}
    if replacing is not None:
        for key, value in values.items():
            setattr(replacing, key, value)
        return replacing
    now = utcnow()
    email = OutboxEmail(
        **values, subject="", body_text="", body_html="", attachments=[], headers={},
        message_id=new_message_id(), event_id=event_id, invitee_id=invitee_id,
        status=OutboxStatus.QUEUED, attempts=0, last_error="", created_at=now, enqueued_at=now)
    db.session.add(email)
    db.session.flush()
    dispatch_after_commit([email.id])
    return email


# --- rendering (the worker) ------------------------------------------------------------------

def _compose(email: DeferredEmail) -> dict:
    """The column values of ``email`` rendered (NotRenderable, or any error, propagate)."""
    name = email.data.get("notification")
    function = _RENDERERS.get(name)
    if function is None:
        raise LookupError(f"no renderer for deferred emails of {name!r}")
    composed = function(email)
    return {
        "template": composed.template, "language": composed.language,
        "recipient_name": one_line(composed.recipient_name, limit=300),
        "subject": one_line(composed.rendered.subject), "body_text": composed.rendered.text,
        "body_html": composed.rendered.html,
        "attachments": clean_attachments(composed.attachments),
        "headers": clean_headers(composed.headers), "compose": None,
    }


def _not_prepared(attempts: int, error: str, now) -> dict:
    """A rendering that failed for a reason that may pass (``attempts``: this one counted):
    back to the queue after a backoff, failed after MAIL_MAX_ATTEMPTS; ``compose`` is kept,
    so staff can send it again."""
    text = one_line(f"{NOT_PREPARED_ERROR}: {error}", limit=2000)
    limit = int(current_app.config.get("MAIL_MAX_ATTEMPTS", 8))
    if attempts >= limit:
        return {"attempts": attempts, "status": OutboxStatus.FAILED, "next_attempt_at": None,
                "last_error": f"{text} (gave up after {attempts} attempts)"[:2000]}
    return {"attempts": attempts, "status": OutboxStatus.QUEUED, "last_error": text,
            "next_attempt_at": now + timedelta(seconds=backoff_seconds(attempts))}


def _render(row_id: int, recipient: str, language: str, template: str, data, attempts: int,
            now) -> tuple[str, dict]:
    """Render one row: ("rendered" | "failed" | "retry", the column values to write)."""
    try:
        if isinstance(data, Unreadable):
            raise LookupError(f"Cannot be decrypted: {data.error}")
        return "rendered", _compose(DeferredEmail(row_id, recipient, language, template,
                                                  dict(data)))
    except NotRenderable as gone:
        log.info("deferred email %s not rendered: %s", row_id, gone.reason)
        return "failed", {"status": OutboxStatus.FAILED, "compose": None,
                          "last_error": gone.reason[:2000], "next_attempt_at": None}
    except Exception as error:  # noqa: BLE001 - the row waits; the batch goes on
        log.exception("deferred email %s could not be rendered", row_id)
        db.session.rollback()  # a failed statement must not spoil the next rows
        values = _not_prepared(attempts, f"{type(error).__name__}: {error}", now)
        return ("failed" if values["status"] == OutboxStatus.FAILED else "retry"), values


def render_claimed(claimed: list) -> tuple[list, dict[int, dict], list[tuple[int, dict, str]]]:
    """Render, in memory, the rows among ``claimed`` (``services.mail.outbox.ClaimedEmail``,
    claimed for sending just now) that wait for it. Returns the emails ready to send (those
    rendered, with their subject, bodies and attachments filled in, and the others as they
    were), the column values of each rendered one (row id -> values: the worker writes them
    with the outcome of sending it, one statement for both), and the outcomes of the rows that
    could not be rendered ((row id, values, "failed" | "retry"), the claim's attempt counted).
    No transaction stays open (on SQLite no write lock is taken while templates render)."""
    if all(email.compose is None for email in claimed):
        return claimed, {}, []
    ready, written, outcomes = [], {}, []
    now = utcnow()
    with reading():
        for email in claimed:
            if email.compose is None:
                ready.append(email)
                continue
            kind, values = _render(email.id, email.recipient, email.language, email.template,
                                   email.compose, email.attempts, now)
            if kind != "rendered":
                outcomes.append((email.id, values, kind))
                continue
            written[email.id] = values
            ready.append(replace(email, compose=None, **{
                key: values[key] for key in ("recipient_name", "subject", "body_text",
                                             "body_html", "attachments", "headers")}))
    return ready, written, outcomes


def _waiting(ids, now):
    """The queued, due rows among ``ids`` that still wait to be rendered."""
    return select(OutboxEmail.id, OutboxEmail.recipient, OutboxEmail.language,
                  OutboxEmail.template, OutboxEmail.compose, OutboxEmail.attempts).where(
        OutboxEmail.id.in_(ids), OutboxEmail.compose.is_not(None),
        OutboxEmail.status == OutboxStatus.QUEUED,
        or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now),
    ).order_by(OutboxEmail.id)


def render_deferred_emails(ids) -> dict[str, int]:
    """Render the queued rows among ``ids`` that wait for it and write them (while no mail
    server is configured: the outbox then shows what will be sent); counts per outcome
    ("rendered", "failed", "retry"). Rows rendered meanwhile by another worker, claimed, or
    erased are left as they are."""
    ids = sorted(set(ids))
    counts = {"rendered": 0, "failed": 0, "retry": 0}
    if not ids:
        return counts
    now = utcnow()
    with reading():  # SQLite: no write lock while templates render
        with lenient_decryption():  # an unreadable compose is retried, not raised
            rows = db.session.execute(_waiting(ids, now)).all()
        if not rows:
            return counts
        outcomes = [(row[0], *_render(*row[:5], row[5] + 1, now)) for row in rows]
    failed = []
    with transaction():
        for row_id, kind, values in outcomes:
            written = db.session.execute(
                update(OutboxEmail)
                .where(OutboxEmail.id == row_id, OutboxEmail.compose.is_not(None),
                       OutboxEmail.status == OutboxStatus.QUEUED)
                .values(**values).execution_options(synchronize_session=False)).rowcount
            if not written:
                continue  # rendered by another worker, claimed or erased meanwhile
            counts[kind] += 1
            if kind == "failed":
                failed.append(row_id)
        refresh_mail_state(email_ids=failed)
    if counts["failed"] or counts["retry"]:
        log.warning("deferred emails: %(rendered)d rendered, %(failed)d failed, "
                    "%(retry)d to retry", counts)
    return counts
