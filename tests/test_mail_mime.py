"""The MIME writer of services/mail/smtp.py, read back with the standard library's parser."""

from email import message_from_bytes
from email.policy import default

import pytest
from flask_mail import BadHeaderError

from seminar_app.services.mail import compose, outbox, smtp

HTML = "<html><body><p>Yth. Bapak Ibnu — “undangan” 🇮🇩</p></body></html>"


def _claimed(**overrides) -> outbox.ClaimedEmail:
    values = {
        "id": 1, "recipient": "ibnu@example.org",
        "recipient_name": "Ибрагим Абдулла ибн Хасан аль-Фулани, Посол Российской Федерации",
        "subject": "Undangan: Forum Kerja Sama Selatan-Selatan — “Tumbuh Bersama” di Jakarta, "
                   "Gedung Pancasila",
        "body_text": "Dear Ambassador,\n\nZażółć gęślą jaźń.\n" * 30, "body_html": HTML,
        "attachments": compose.clean_attachments([
            {"filename": "forum.ics", "content_type": "text/calendar",
             "data": "BEGIN:VCALENDAR\r\nSUMMARY:Forum é\r\nEND:VCALENDAR\r\n"},
            {"filename": "Programme acara (final).pdf", "content_type": "application/pdf",
             "data": b"%PDF-1.4 binary \x00\xff"},
            {"filename": "jadwal—hari 1.txt", "content_type": "text/plain", "data": "Hari 1"},
        ]),
        "headers": {"List-Unsubscribe": "<https://example.org/u/i1.abc>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        "message_id": "<abc123@seminar-app.test>", "attempts": 1,
    }
    values.update(overrides)
    return outbox.ClaimedEmail(**values)


def _parsed(app, email, sender="seminar_app <noreply@seminar-app.test>"):
    with app.app_context():
        raw = smtp._OutboxMessage(email, sender).as_bytes()
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF line ends only
    return raw, message_from_bytes(raw, policy=default)


def test_every_part_reads_back_as_written(app):
    email = _claimed()
    raw, message = _parsed(app, email)
    assert str(message["Subject"]) == email.subject
    assert message["To"].addresses[0].addr_spec == "ibnu@example.org"
    assert message["From"].addresses[0].addr_spec == "noreply@seminar-app.test"
    assert message["Message-ID"] == "<abc123@seminar-app.test>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Date"].datetime is not None
    assert message.get_content_type() == "multipart/mixed"
    # text parts travel with CRLF line ends (quoted-printable)
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == email.body_text
    assert message.get_body(("html",)).get_content().rstrip("\r\n") == HTML
    assert b"Content-Transfer-Encoding: quoted-printable" in raw
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert files["forum.ics"] == "BEGIN:VCALENDAR\r\nSUMMARY:Forum é\r\nEND:VCALENDAR\r\n"
    assert files["Programme acara (final).pdf"] == b"%PDF-1.4 binary \x00\xff"
    assert files["jadwal—hari 1.txt"] == "Hari 1"
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in header_block.split(b"\r\n")
               if not line.startswith((b"To:", b" ")))


def test_text_only_message_has_one_part(app):
    _raw, message = _parsed(app, _claimed(body_html="", attachments=[], headers={}))
    assert message.get_content_type() == "text/plain"
    assert message.get_content().startswith("Dear Ambassador")


@pytest.mark.parametrize("headers", [
    {"X-Evil": "one\r\nBcc: victim@example.org"},
    {"Bcc": "victim@example.org"},
    {"X-Evil": "caf\u00e9"},
])
def test_bad_extra_headers_are_refused(app, headers):
    with pytest.raises(BadHeaderError):
        _parsed(app, _claimed(headers=headers))


def test_names_and_subjects_never_add_headers(app):
    email = _claimed(recipient_name="Eve\r\nBcc: victim@example.org",
                     subject="Hello\r\nX-Injected: 1")
    raw, message = _parsed(app, email)
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert b"\r\nBcc:" not in raw and b"\r\nX-Injected:" not in raw
