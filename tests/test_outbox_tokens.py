"""No personal-link token, passport number or birthplace in clear in the database (issue 13).

A delegate registers with a visa request through the web form; the confirmation email reaches
the real SMTP test server with a working personal link; the database (the SQLite file, or a
pg_dump of PostgreSQL) holds neither that link's token nor the passport data in clear.
"""

import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from seminar_app.models import OutboxEmail, OutboxStatus, Registration, utcnow
from seminar_app.services.mail import outbox
from seminar_app.services.mail.smtp import send_outbox_batch
from tests.conftest import post_form
from tests.factories import form_fields, registration_event, visa_fields

PASSPORT = "XQ7Z4K9W2"
BIRTHPLACE = "Zanzibarqueville"
LINK = re.compile(r"/r/([A-Za-z0-9_-]{20,})")
DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")


@pytest.fixture
def event(make_user):
    return registration_event(make_user("organizer"))


def _text_part(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            return part.get_content()
    raise AssertionError("no text part")


def _register_with_visa(client, event, smtp_server) -> tuple[str, str]:
    """Register through the web form; (the delegate's address, the token of the link sent)."""
    fields = form_fields(**visa_fields(event)) | {"passport_number": PASSPORT,
                                                  "birth_place": BIRTHPLACE}
    response = post_form(client, f"/events/{event.slug}/register", fields)
    assert response.status_code == 303
    message = smtp_server.wait_for(1)[0]["message"]
    tokens = LINK.findall(_text_part(message))
    assert tokens, "the confirmation email carries the personal link"
    assert client.get(f"/r/{tokens[0]}").status_code == 200  # the link sent works
    return fields["email"], tokens[0]


def _assert_nothing_in_clear(dump: bytes, address: str, token: str) -> None:
    assert address.encode() in dump  # the dump holds the data: the delegate's address is there
    assert b"v1:" in dump  # and the encrypted values
    for secret in (PASSPORT, BIRTHPLACE, token):
        assert secret.encode() not in dump, f"{secret} is stored in clear"


def test_register_with_visa_leaves_nothing_in_clear_in_the_sqlite_file(
        client, db, event, smtp_server):
    path = db.engine.url.database
    if db.engine.dialect.name != "sqlite" or not path or path == ":memory:":
        pytest.skip("the test database is not an SQLite file")
    address, token = _register_with_visa(client, event, smtp_server)
    registration = db.session.scalar(select(Registration))
    assert (registration.passport_number, registration.birth_place) == (PASSPORT, BIRTHPLACE)
    db.session.commit()
    files = [str(file) for file in (Path(path), Path(f"{path}-wal")) if file.exists()]
    # read by another process: closing a file of the database in this one would drop this
    # process's POSIX locks on it, and a worker process of a later test could then take the
    # database for unused and delete its write-ahead log from under this process's connections
    dump = subprocess.run(["cat", *files], capture_output=True, check=True).stdout  # noqa: S603, S607
    _assert_nothing_in_clear(dump, address, token)


@pytest.mark.skipif(not DATABASE_URL.startswith("postgresql"),
                    reason="TEST_DATABASE_URL is not PostgreSQL")
def test_register_with_visa_leaves_nothing_in_clear_in_pg_dump(client, db, event, smtp_server):
    address, token = _register_with_visa(client, event, smtp_server)
    db.session.commit()
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    dump = subprocess.run(["pg_dump", "--data-only", "--no-owner", url],  # noqa: S607
                          capture_output=True, check=True, timeout=120).stdout
    _assert_nothing_in_clear(dump, address, token)


def test_mark_sent_removes_the_links_from_the_stored_email(client, db, event, smtp_server):
    _address, token = _register_with_visa(client, event, smtp_server)
    db.session.expire_all()
    row = db.session.scalar(select(OutboxEmail))
    assert row.status == OutboxStatus.SENT
    assert token not in row.body_text and token not in row.body_html
    assert "/r/" not in row.body_text
    assert outbox.PERSONAL_LINK_REMOVED in row.body_text
    assert outbox.PERSONAL_LINK_REMOVED in row.body_html
    assert event.title in row.body_text  # the rest of the email stays readable for staff


def test_retry_after_a_temporary_failure_sends_the_link_then_removes_it(
        app, client, db, event, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RETRY_BASE_SECONDS", 0)  # due again at once
    smtp_server.data_replies.append("451 4.3.0 Try again later")
    fields = form_fields(**visa_fields(event))
    assert post_form(client, f"/events/{event.slug}/register", fields).status_code == 303
    db.session.expire_all()
    row = db.session.scalar(select(OutboxEmail))
    assert row.status == OutboxStatus.QUEUED and row.attempts == 1
    assert LINK.search(row.body_text)  # kept (encrypted) until sent: the retry needs it
    raw = db.session.scalar(text("SELECT body_text FROM outbox_emails"))
    assert raw.startswith("v1:") and "/r/" not in raw
    message_id = row.message_id
    send_outbox_batch(outbox.sweep_outbox(now=utcnow() + timedelta(hours=2)))
    received = smtp_server.wait_for(1)[0]["message"]
    assert received["Message-ID"] == message_id
    token = LINK.findall(_text_part(received))[0]
    assert client.get(f"/r/{token}").status_code == 200
    db.session.expire_all()
    row = db.session.get(OutboxEmail, row.id)
    assert row.status == OutboxStatus.SENT and token not in row.body_text


def test_mark_sent_removes_the_unsubscribe_link_from_the_headers(app, db, event, smtp_server):
    import secrets

    from seminar_app.models import MailingKind
    from seminar_app.services.invitations import mailings
    from tests.factories import add_invitee

    add_invitee(event)
    mailings.create_mailing(event, MailingKind.INVITATION, {"audience": "all"},
                            send_key=secrets.token_urlsafe(24))
    message = smtp_server.wait_for(1)[0]["message"]
    assert "/u/" in message["List-Unsubscribe"] and "/i/" in _text_part(message)
    db.session.expire_all()
    row = db.session.scalar(select(OutboxEmail))
    assert row.status == OutboxStatus.SENT
    assert row.headers["List-Unsubscribe"] == f"<{outbox.PERSONAL_LINK_REMOVED}>"
    assert "/i/" not in row.body_text and "/u/" not in row.body_html


@pytest.mark.parametrize("link", [
    "https://events.example.org/r/Zq3xY9-abcDEF_0123456789ghijkLMNOP",
    "https://events.example.org/r/Zq3xY9-abcDEF_0123456789ghijkLMNOP/edit",
    "https://example.org/seminars/i/Zq3xY9-abcDEF_0123456789",
    "http://127.0.0.1:5000/u/i12.AbCdEfGhIjKlMnOpQrStUv",
    "https://events.example.org/manage/password/reset/WzEsImFiYyJd.Zx_y.AbC-dEf",
    "/r/Zq3xY9-abcDEF_0123456789ghijkLMNOP",
])
def test_remove_personal_links_replaces_every_kind_of_link(link):
    html = f'<p>Open <a href="{link}">{link}</a>.</p>'
    cleaned = outbox.remove_personal_links(html)
    assert cleaned == ('<p>Open <a href="[personal link removed]">[personal link removed]</a>'
                       ".</p>")
    assert outbox.remove_personal_links(f"Your link:\n{link}\nBye") == (
        "Your link:\n[personal link removed]\nBye")


@pytest.mark.parametrize("text_value", [
    "https://events.example.org/events/asean-forum-2026",
    "https://events.example.org/manage/events/12/registrations/3",
    "See the report w/r/t the agenda, and/or the annex.",
    "https://events.example.org/r/short",
])
def test_remove_personal_links_keeps_other_links(text_value):
    assert outbox.remove_personal_links(text_value) == text_value


@pytest.mark.parametrize("lang, marker", [("en", "[personal link removed]"),
                                          ("id", "[tautan pribadi dihapus]")])
def test_outbox_page_shows_the_removed_link_in_both_languages(
        client, auth, db, make_user, event, smtp_server, lang, marker):
    _address, token = _register_with_visa(client, event, smtp_server)
    email_id = db.session.scalar(select(OutboxEmail.id))
    auth.login(make_user("admin"))
    client.set_cookie("lang", lang)
    response = client.get(f"/manage/emails/{email_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert marker in html and token not in html
