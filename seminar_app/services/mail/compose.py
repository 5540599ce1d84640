"""Composing email: rendering a template into the outbox, in the recipient's language.

``queue_email`` renders ``templates/emails/<template>.txt`` and ``.html`` in the recipient's
language and adds an outbox row; it does not commit: the calling service commits, and the row
is handed to the queue after that commit (see ``services/tasks.py``). The subject is the
``{% block subject %}`` of the .txt template (one line; whitespace collapsed). Addresses and
headers are checked here, once, for the SMTP writer in ``services/mail/smtp.py``.
"""

import base64
import logging
import re
import secrets
from dataclasses import dataclass
from email.header import Header

from flask import current_app
from flask_babel import force_locale

from ...extensions import db
from ...links import external_url
from ...models import OutboxEmail, OutboxStatus, utcnow
from ..invitations.mail_state import refresh_mail_state  # invitees' state, on their row
from ..tasks import dispatch_after_commit

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,75}$")
_ADDRESS = re.compile(r"^[^@\s<>,;\"()\[\]\\]+@[^@\s<>,;\"()\[\]\\]+$")
#: a display name made of RFC 5322 atext and spaces only: safe to write unencoded
_ATEXT_PHRASE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]{1,60}$")
#: headers set from the row itself; never taken from ``headers=``
RESERVED_HEADERS = {"from", "to", "cc", "bcc", "subject", "date", "message-id", "sender",
                     "mime-version", "content-type", "content-transfer-encoding"}


def one_line(text: str, *, limit: int = 500) -> str:
    """``text`` without CR, LF or other control characters, whitespace collapsed: header-safe."""
    return " ".join(_CONTROL.sub(" ", str(text)).split())[:limit]


def check_address(address: str) -> str:
    """One plain address, its domain in IDNA form; raises ValueError for anything else."""
    address = address.strip()
    if len(address) > 254 or not _ADDRESS.match(address):
        raise ValueError(f"not a single plain email address: {address!r}")
    local, domain = address.rsplit("@", 1)
    if not domain.isascii():
        domain = domain.encode("idna").decode("ascii")
    if not local.isascii():
        raise ValueError(f"non-ASCII local part needs SMTPUTF8: {address!r}")
    return f"{local}@{domain}"


def format_address(name: str, address: str) -> str:
    """A To/From value: plain name, or RFC 2047 encoded words when the name needs them.

    Names with specials (``,;:<>@"``) or non-ASCII letters are always encoded, so that no
    folding can turn them into extra addresses (Python 3.11 drops their quotes when it refolds).
    """
    name = one_line(name, limit=300)
    if not name:
        return address
    if _ATEXT_PHRASE.match(name):
        return f"{name} <{address}>"
    return f"{Header(name, 'utf-8').encode()} <{address}>"


def clean_headers(headers: dict | None) -> dict:
    """``headers`` checked: allowed names, one-line ASCII values (ValueError otherwise)."""
    cleaned = {}
    for name, value in (headers or {}).items():
        if not HEADER_NAME.match(name) or name.lower() in RESERVED_HEADERS:
            raise ValueError(f"header not allowed: {name!r}")
        value = one_line(value, limit=2000)
        if not value.isascii():
            raise ValueError(f"header {name} must be ASCII")
        cleaned[name] = value
    return cleaned


def clean_attachments(attachments) -> list[dict]:
    cleaned = []
    for item in attachments:
        if "encoding" in item:  # cleaned already (a bulk send cleans its .ics once)
            cleaned.append(dict(item))
            continue
        data = item["data"]
        binary = isinstance(data, bytes)
        cleaned.append({
            "filename": one_line(item["filename"], limit=200),
            "content_type": item.get("content_type") or "application/octet-stream",
            "encoding": "base64" if binary else "text",
            "data": base64.b64encode(data).decode("ascii") if binary else data,
        })
    return cleaned


@dataclass(frozen=True)
class RenderedEmail:
    """Subject, text and HTML of one email in one language."""

    subject: str
    text: str
    html: str


def render_email(template: str, *, language: str, context: dict) -> RenderedEmail:
    """Render ``emails/<template>.txt`` (with its subject block) and ``.html`` in ``language``."""
    env = current_app.jinja_env
    values = dict(context, language=language, external_url=external_url)
    with force_locale(language):
        text_template = env.get_template(f"emails/{template}.txt")
        subject_block = text_template.blocks.get("subject")
        if subject_block is None:
            raise ValueError(f"emails/{template}.txt has no subject block")
        subject = one_line("".join(subject_block(text_template.new_context(values))))
        values["subject"] = subject
        text = text_template.render(values).strip() + "\n"
        html = env.get_template(f"emails/{template}.html").render(values)
    return RenderedEmail(subject=subject, text=text, html=html)


def new_message_id() -> str:
    """A fresh ``<random@MAIL_DOMAIN>`` Message-ID (no host name lookup)."""
    return f"<{secrets.token_hex(16)}@{current_app.config['MAIL_DOMAIN']}>"


def queue_email(*, template: str, recipient: str, recipient_name: str = "",
                language: str = "en", context: dict | None = None, event_id: int | None = None,
                attachments=(), headers: dict | None = None, mailing_id: int | None = None,
                invitee_id: int | None = None,
                replacing: OutboxEmail | None = None) -> OutboxEmail:
    """Render an email in ``language`` and add it to the outbox; sent after the caller commits.

    ``replacing``: an email queued earlier in the same (uncommitted) transaction, written over
    with this one (same row and Message-ID) instead of adding a row."""
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    rendered = render_email(template, language=language, context=context or {})
    if replacing is not None:
        values = outbox_row(
            template=template, recipient=recipient, recipient_name=recipient_name,
            language=language, rendered=rendered, event_id=event_id,
            attachments=clean_attachments(attachments), headers=headers,
            mailing_id=mailing_id, invitee_id=invitee_id)
        for key in ("template", "recipient", "recipient_name", "language", "subject",
                    "body_text", "body_html", "attachments", "headers"):
            setattr(replacing, key, values[key])
        return replacing
    return queue_rendered_email(
        template=template, recipient=recipient, recipient_name=recipient_name,
        language=language, rendered=rendered, event_id=event_id, attachments=attachments,
        headers=headers, mailing_id=mailing_id, invitee_id=invitee_id)


def queue_rendered_email(*, template: str, recipient: str, rendered: RenderedEmail,
                         recipient_name: str = "", language: str = "en",
                         event_id: int | None = None, attachments=(),
                         headers: dict | None = None, mailing_id: int | None = None,
                         invitee_id: int | None = None) -> OutboxEmail:
    """Add an email rendered elsewhere to the outbox (no commit); sent after the commit."""
    email = OutboxEmail(**outbox_row(
        template=template, recipient=recipient, recipient_name=recipient_name,
        language=language, rendered=rendered, event_id=event_id,
        attachments=clean_attachments(attachments), headers=headers, mailing_id=mailing_id,
        invitee_id=invitee_id))
    db.session.add(email)
    db.session.flush()
    dispatch_after_commit([email.id])
    return email


def outbox_row(*, template: str, recipient: str, rendered: RenderedEmail,
               recipient_name: str = "", language: str = "en", event_id: int | None = None,
               attachments: list | None = None, headers: dict | None = None,
               mailing_id: int | None = None, invitee_id: int | None = None,
               now=None) -> dict:
    """The column values of one outbox row, checked: one plain address, one-line subject and
    name, safe extra headers. ``attachments`` must come from ``clean_attachments`` (a bulk
    send cleans its .ics once). Raises ValueError for an address that cannot be used."""
    return {
        "template": template, "recipient": check_address(recipient),
        "recipient_name": one_line(recipient_name, limit=300), "language": language,
        "subject": one_line(rendered.subject), "body_text": rendered.text,
        "body_html": rendered.html, "attachments": attachments or [],
        "headers": clean_headers(headers), "message_id": new_message_id(),
        "event_id": event_id, "mailing_id": mailing_id, "invitee_id": invitee_id,
        "status": OutboxStatus.QUEUED, "attempts": 0, "last_error": "",
        "created_at": now or utcnow(), "enqueued_at": now or utcnow(),
    }


def insert_outbox_rows(rows: list[dict]) -> list[int]:
    """Insert many outbox rows at once (no commit); the ids of the rows actually added.

    A row whose (mailing_id, recipient) already exists is skipped by the database
    (ON CONFLICT DO NOTHING): re-running a half-done bulk send adds only the missing rows.
    The new ids are handed to the queue after the commit.
    """
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(OutboxEmail).on_conflict_do_nothing(
        index_elements=["mailing_id", "recipient"]).returning(OutboxEmail.id)
    ids = [row[0] for row in db.session.execute(statement, rows)]
    refresh_mail_state(email_ids=ids)
    dispatch_after_commit(ids)
    return ids
