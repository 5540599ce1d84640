"""Delivering outbox rows over SMTP, in the worker. The only module that imports flask_mail.

``send_outbox_batch`` claims rows, opens ONE SMTP connection with a socket timeout
(Flask-Mail's own opens ``smtplib.SMTP`` without one), sends each row with its fixed
Message-ID (Flask-Mail's ``Message()`` would call ``make_msgid()``, i.e. ``socket.getfqdn()``,
for every message) and records the outcomes in small groups: 2xx sent; 4xx, timeouts and lost
connections retried later; 5xx failed with the server's answer. Rows queued to be rendered by
the worker are rendered just before they are sent (services.mail.deferred). A row whose body
cannot be decrypted (its key is not in DATA_KEYS) is not sent: it is retried later. Once sent,
the stored copy loses its personal links (services.mail.outbox.sent_values).
"""

import base64
import binascii
import logging
import re
import secrets
import smtplib
import time
from email import policy as email_policy
from email.header import Header
from email.utils import formatdate, parseaddr
from urllib.parse import quote

from flask import current_app
from flask_mail import Attachment, BadHeaderError, Connection, Message

from ...crypto import Unreadable
from ...extensions import db, mail
from . import deferred, outbox
from .compose import HEADER_NAME, RESERVED_HEADERS, check_address, format_address, one_line

log = logging.getLogger(__name__)

#: outcomes recorded together (one short transaction), or sooner after OUTCOME_SECONDS; a
#: worker that dies loses at most one group's records: those emails are sent once more
OUTCOME_GROUP = 25
OUTCOME_SECONDS = 1.0

#: headers are written as we format them: Python's refolding mangles long address headers
_SMTP_POLICY = email_policy.SMTP.clone(refold_source="none")




class _OutboxMessage(Message):
    """A Flask-Mail message built from an outbox row, with the row's fixed Message-ID.

    Flask-Mail hands ``as_bytes()`` to smtplib. Ours writes the MIME structure directly
    (``mime_bytes``) instead of going through the email package's generator, which parses
    every header again and cost more than the SMTP exchange itself in bulk sends.
    ``_message()`` (the email package's way) is kept for comparison in the tests.
    """

    def __init__(self, email: outbox.ClaimedEmail, sender):
        # Message.__init__ is not called on purpose: it calls email.utils.make_msgid(),
        # which looks up socket.getfqdn() for every message. The attributes it would set:
        self.recipients = [email.recipient]  # the envelope: the address alone
        self.to_header = format_address(email.recipient_name, email.recipient)
        self.subject = one_line(email.subject)
        self.sender = sender
        self.reply_to = None
        self.cc, self.bcc = [], []
        self.body = email.body_text
        self.alts = {"html": email.body_html} if email.body_html else {}
        self.date = time.time()
        self.msgId = email.message_id
        self.charset = "utf-8"
        self.extra_headers = dict(email.headers) or None
        self.mail_options, self.rcpt_options = [], []
        self.attachments = [_attachment(item) for item in email.attachments]
        self.row_attachments = email.attachments

    def _message(self):
        message = super()._message()
        message.policy = email_policy.compat32  # store our value as is, unparsed
        message.replace_header("To", self.to_header)
        message.policy = _SMTP_POLICY
        return message

    def as_bytes(self) -> bytes:
        return mime_bytes(self)


_CRLF = "\r\n"
#: a header value: printable ASCII, folded lines only as CRLF + space or tab
_HEADER_VALUE = re.compile(r"^[\x20-\x7e]*(?:\r\n[ \t][\x20-\x7e]*)*$")
_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


def _header(name: str, value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\n", _CRLF)
    if not _HEADER_VALUE.match(value) or len(name) + len(value) > 990:
        raise BadHeaderError(f"header {name} cannot be written")
    return f"{name}: {value}{_CRLF}"


def _encoded_header(name: str, value: str) -> str:
    """A free-text header (Subject), RFC 2047-encoded when needed and folded at 78."""
    if value.isascii() and len(name) + len(value) <= 76:
        return _header(name, value)
    charset = "us-ascii" if value.isascii() else "utf-8"
    return _header(name, Header(value, charset, header_name=name).encode(linesep=_CRLF))


def _sender_header(sender) -> str:
    if isinstance(sender, tuple):
        return format_address(sender[0], check_address(sender[1]))
    name, address = parseaddr(sender)
    return format_address(name, check_address(address))


def _base64_lines(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii").replace("\n", _CRLF)


def _text_part(subtype: str, text: str) -> str:
    """A text part in quoted-printable (readable, and what spam filters expect for text)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    encoded = binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True)
    # the CRLF before a boundary belongs to the boundary: one more keeps the text's own end
    encoded = encoded.decode("ascii").replace("\n", _CRLF) + _CRLF
    return (f'Content-Type: text/{subtype}; charset="utf-8"{_CRLF}'
            f"Content-Transfer-Encoding: quoted-printable{_CRLF}{_CRLF}" + encoded)


def _filename_parameter(filename: str) -> str:
    if filename.isascii() and _TOKEN.match(filename.replace(" ", "_")) and '"' not in filename:
        return f'filename="{filename}"'
    return "filename*=utf-8''" + quote(filename, safe="")


def _attachment_part(item: dict) -> str:
    data = item["data"]
    data = base64.b64decode(data) if item.get("encoding") == "base64" else data.encode("utf-8")
    content_type = item.get("content_type") or "application/octet-stream"
    maintype, _slash, subtype = content_type.partition("/")
    if not (_TOKEN.match(maintype) and _TOKEN.match(subtype)):
        content_type = "application/octet-stream"
    if maintype == "text":
        content_type += '; charset="utf-8"'
    return (f"Content-Type: {content_type}{_CRLF}"
            f"Content-Transfer-Encoding: base64{_CRLF}"
            f"Content-Disposition: attachment; {_filename_parameter(item['filename'])}{_CRLF}"
            f"{_CRLF}" + _base64_lines(data))


def _multipart(subtype: str, parts: list[str]) -> str:
    boundary = f"=_{secrets.token_hex(12)}"
    body = "".join(f"--{boundary}{_CRLF}{part}" for part in parts)
    return (f'Content-Type: multipart/{subtype}; boundary="{boundary}"{_CRLF}{_CRLF}'
            f"{body}--{boundary}--{_CRLF}")


def mime_bytes(message: _OutboxMessage) -> bytes:
    """The whole message as sent: headers, then text (+ HTML) (+ attachments), base64 parts."""
    headers = [
        _header("From", _sender_header(message.sender)),
        _header("To", message.to_header),
        _encoded_header("Subject", message.subject),
        _header("Date", formatdate(message.date, localtime=False, usegmt=True)),
        _header("Message-ID", message.msgId),
        _header("MIME-Version", "1.0"),
    ]
    for name, value in (message.extra_headers or {}).items():
        if not HEADER_NAME.match(name) or name.lower() in RESERVED_HEADERS:
            raise BadHeaderError(f"header not allowed: {name}")
        headers.append(_header(name, value))
    body = _text_part("plain", message.body)
    if message.alts.get("html"):
        body = _multipart("alternative", [body, _text_part("html", message.alts["html"])])
    if message.row_attachments:
        body = _multipart("mixed", [body, *(_attachment_part(item)
                                            for item in message.row_attachments)])
    return ("".join(headers) + body).encode("ascii")


def _attachment(item: dict) -> Attachment:
    data = item["data"]
    if item.get("encoding") == "base64":
        data = base64.b64decode(data)
    return Attachment(item["filename"], item["content_type"], data)


class _TimeoutConnection(Connection):
    """Flask-Mail's connection, opened with a socket timeout and a fixed EHLO name."""

    def configure_host(self):
        state, config = self.mail, current_app.config
        options = {"timeout": float(config.get("MAIL_TIMEOUT") or 30),
                   "local_hostname": config.get("MAIL_DOMAIN") or None}
        if state.use_ssl:
            host = smtplib.SMTP_SSL(state.server, state.port, **options)
        else:
            host = smtplib.SMTP(state.server, state.port, **options)
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host


def _reply_text(code, message) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return one_line(f"{code} {message}", limit=2000)


def classify_error(exc: Exception) -> tuple[bool, str]:
    """(permanent, text) for an exception raised while sending one message."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(exc.recipients.values()))
        return 500 <= code < 600, _reply_text(code, message)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600, _reply_text(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, BadHeaderError):
        return True, "Refused to send: a header contains a line break"
    if isinstance(exc, ValueError):  # e.g. an address or header that cannot be encoded
        return True, one_line(f"Cannot be sent: {type(exc).__name__}: {exc}", limit=2000)
    return False, one_line(f"{type(exc).__name__}: {exc}", limit=2000)


class _Sender:
    """One SMTP connection for a batch; a new one after a lost connection.

    When connecting fails, the rest of the batch is not tried: it waits for a retry.
    """

    def __init__(self):
        self.state = mail.init_mail(current_app.config)
        sender = current_app.config["MAIL_DEFAULT_SENDER"]
        self.sender = tuple(sender) if isinstance(sender, list) else sender
        self.connection: _TimeoutConnection | None = None
        self.broken: str = ""  # set when (re)connecting failed: the rest of the batch waits

    def _connect(self) -> _TimeoutConnection:
        connection = _TimeoutConnection(self.state)
        # MAIL_SUPPRESS_SEND is not honoured: it would mark unsent rows as sent. To keep
        # emails from leaving, leave MAIL_SERVER empty; they wait in the outbox.
        connection.host = connection.configure_host()
        connection.num_emails = 0
        return connection

    def send(self, email: outbox.ClaimedEmail) -> tuple[str, str]:
        """Send one message; ("sent" | "retry" | "failed", error text)."""
        if self.broken:
            return "retry", self.broken
        try:
            if self.connection is None:
                self.connection = self._connect()
        except (smtplib.SMTPException, OSError) as exc:
            self.broken = classify_error(exc)[1]
            log.warning("cannot connect to the mail server: %s", self.broken)
            return "retry", self.broken
        try:
            self.connection.send(_OutboxMessage(email, self.sender))
        except (smtplib.SMTPException, OSError, BadHeaderError, ValueError) as exc:
            permanent, text = classify_error(exc)
            host = self.connection.host
            if host is None or host.sock is None or isinstance(
                    exc, (OSError, smtplib.SMTPServerDisconnected)):
                self.close()
            return ("failed" if permanent else "retry"), text
        return "sent", ""

    def close(self) -> None:
        """Say QUIT if the connection still answers; close it in any case."""
        connection, self.connection = self.connection, None
        if connection is None or connection.host is None:
            return
        try:
            connection.host.quit()
        except (smtplib.SMTPException, OSError):
            connection.host.close()


def _undecryptable(email: outbox.ClaimedEmail) -> str:
    """Why ``email`` cannot be sent as stored (a part that could not be decrypted), or ""."""
    for part in (email.body_text, email.body_html, email.headers):
        if isinstance(part, Unreadable):
            return one_line(f"Cannot be decrypted: {part.error}", limit=2000)
    return ""


def send_outbox_batch(ids, *, fill_up_to: int = 0) -> dict[str, int]:
    """Claim and send the due rows among ``ids`` over one connection; counts per outcome.
    ``fill_up_to``: other due rows are taken along up to that many in all
    (services.mail.outbox.claim_emails).

    Outcomes are recorded in groups of OUTCOME_GROUP rows, or sooner when OUTCOME_SECONDS
    have passed (services.mail.outbox.record_outcomes: one short transaction each, none open
    while the server is talking)."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if not current_app.config.get("MAIL_SERVER"):
        # rows queued to be rendered by the worker are rendered all the same: the outbox then
        # shows what will be sent (services.mail.deferred)
        deferred.render_deferred_emails(ids)
        outbox.record_no_server(ids)
        return counts
    claimed = outbox.claim_emails(ids, fill_up_to=fill_up_to)
    if not claimed:
        return counts
    sender, pending = _Sender(), {email.id for email in claimed}
    group, recorded_at = [], time.monotonic()
    try:
        # rows queued to be rendered by the worker are rendered now, just before being sent;
        # what was rendered is written with the outcome (services.mail.deferred)
        claimed, rendered, not_rendered = deferred.render_claimed(claimed)
        for email_id, values, outcome in not_rendered:
            group.append((email_id, values))
            counts[outcome] += 1
        for email in claimed:
            error = _undecryptable(email)
            outcome, error = ("retry", error) if error else sender.send(email)
            if outcome == "sent":
                values = outbox.sent_values(email)
            elif outcome == "failed":
                values = outbox.failed_values(error)
            else:
                values = outbox.retry_values(email, error)
            group.append((email.id, {**rendered.get(email.id, {}), **values}))
            counts[outcome] += 1
            if len(group) >= OUTCOME_GROUP or time.monotonic() - recorded_at >= OUTCOME_SECONDS:
                outbox.record_outcomes(group)
                pending.difference_update(email_id for email_id, _values in group)
                group, recorded_at = [], time.monotonic()
        outbox.record_outcomes(group)
        pending.difference_update(email_id for email_id, _values in group)
    finally:
        sender.close()
        if pending:  # an unexpected error left the loop: never leave rows "sending"
            db.session.rollback()
            unrecorded = {email_id for email_id, _values in group}
            if unrecorded:  # tried, outcome not recorded: the sweeper sends them once more
                log.warning("mail batch stopped before recording %d outcome(s)",
                            len(unrecorded))
            outbox.release_emails(pending - unrecorded, "Interrupted before sending")
    log.info("mail batch: %(sent)d sent, %(retry)d to retry, %(failed)d failed", counts)
    return counts
