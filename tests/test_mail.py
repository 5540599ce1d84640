"""services.mail.compose: rendering into the outbox, links, languages, header safety (no SMTP
here)."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from seminar_app.links import external_url
from seminar_app.models import (
    Event,
    EventType,
    OutboxEmail,
    OutboxStatus,
    TeamMember,
    utcnow,
)
from seminar_app.services.mail.compose import one_line, queue_email, render_email
from seminar_app.services.mail.outbox import NO_SERVER_ERROR
from seminar_app.services.notifications import notify_team_member_added, send_test_email


def _test_context(name="Ann"):
    return {"user": SimpleNamespace(name=name), "outbox_url": "https://example.org/x"}


def _queue(**options):
    values = {"template": "test_message_to_staff", "recipient": "ann@example.org",
              "recipient_name": "Ann", "context": _test_context()}
    values.update(options)
    return queue_email(**values)


def make_event(db, owner, *, title="Jakarta Forum", slug="jakarta-forum"):
    """A draft event owned by ``owner``."""
    start = utcnow().replace(microsecond=0) + timedelta(days=30)
    event = Event(slug=slug, title=title, event_type=EventType.FORUM, start_at=start,
                  end_at=start + timedelta(hours=8), owner_id=owner.id)
    db.session.add(event)
    db.session.commit()
    return event


def test_queue_email_renders_text_html_and_subject(db):
    email = _queue()
    db.session.commit()
    assert email.subject == "Test message from Seminar registration"
    assert email.body_text.startswith("Hello Ann,")
    assert "https://example.org/x" in email.body_text
    assert "<html" in email.body_html and "Hello Ann," in email.body_html
    assert "<title>Test message from Seminar registration</title>" in email.body_html
    assert email.language == "en"


def test_queue_email_fixed_message_id_uses_mail_domain(app, db):
    first, second = _queue(), _queue()
    db.session.commit()
    domain = app.config["MAIL_DOMAIN"]
    assert first.message_id.startswith("<") and first.message_id.endswith(f"@{domain}>")
    assert first.message_id != second.message_id


def test_queue_email_renders_in_recipient_language(db):
    email = _queue(language="id")
    db.session.commit()
    assert email.language == "id"
    assert email.subject == "Pesan uji coba dari Pendaftaran seminar"
    assert '<html lang="id">' in email.body_html


def test_queue_email_unknown_language_falls_back_to_default(db):
    email = _queue(language="xx")
    db.session.commit()
    assert email.language == "en"


def test_queue_email_does_not_commit(db):
    _queue()
    db.session.rollback()
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0
    assert "outbox_pending" not in db.session.info


def test_queue_email_without_mail_server_stays_queued_with_reason(app, db):
    assert not app.config["MAIL_SERVER"]
    email = _queue()
    db.session.commit()
    db.session.refresh(email)
    assert email.status == OutboxStatus.QUEUED
    assert email.last_error == NO_SERVER_ERROR
    assert email.attempts == 0
    assert email.enqueued_at is None  # the sweeper hands it over once a server is configured


def test_queue_email_refuses_more_than_one_address(db):
    for bad in ("a@example.org, b@example.org", "a@example.org\r\nBcc: b@example.org",
                "Ann <a@example.org>", "no-at-sign"):
        with pytest.raises(ValueError):
            _queue(recipient=bad)


def test_queue_email_strips_line_breaks_from_name(db):
    email = _queue(recipient_name="Eve\r\nBcc: victim@example.org")
    db.session.commit()
    assert email.recipient_name == "Eve Bcc: victim@example.org"


def test_queue_email_refuses_reserved_or_broken_headers(db):
    with pytest.raises(ValueError):
        _queue(headers={"Bcc": "victim@example.org"})
    with pytest.raises(ValueError):
        _queue(headers={"X-Bad Name": "1"})
    email = _queue(headers={"List-Id": "forum\r\nBcc: victim@example.org"})
    assert email.headers == {"List-Id": "forum Bcc: victim@example.org"}


def test_queue_email_keeps_binary_attachments_as_base64(db):
    email = _queue(attachments=[{"filename": "a.pdf", "content_type": "application/pdf",
                                 "data": b"%PDF-1.4\x00\xff"}])
    db.session.commit()
    assert email.attachments == [{"filename": "a.pdf", "content_type": "application/pdf",
                                  "encoding": "base64", "data": "JVBERi0xLjQA/w=="}]


def test_one_line_removes_control_characters():
    assert one_line("a\r\nb\tc\x00d  e") == "a b c d e"


def test_external_url_uses_base_url_outside_request(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://events.example.org/app")
    assert external_url("outbox.show", email_id=5) == \
        "https://events.example.org/app/manage/emails/5"


def test_render_email_subject_is_one_line(app, db, make_user):
    owner = make_user("organizer")
    event = make_event(db, owner, title="Forum\r\nBcc: victim@example.org")
    rendered = render_email("team_member_added_to_staff", language="en", context={
        "user": owner, "event": event, "can_manage": True, "can_invite": True,
        "can_checkin": True, "event_url": "https://example.org/e"})
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    assert rendered.subject.startswith("You were added to the team of Forum")


def test_notify_team_member_added_queues_email_with_rights_and_link(app, db, make_user):
    owner, staff = make_user("organizer"), make_user("staff", language="id")
    event = make_event(db, owner)
    member = TeamMember(event_id=event.id, user_id=staff.id, can_invite=True)
    db.session.add(member)
    db.session.flush()
    email = notify_team_member_added(member)
    db.session.commit()
    assert email.recipient == staff.email and email.language == "id"
    assert email.event_id == event.id
    assert email.template == "team_member_added_to_staff"
    assert "Jakarta Forum" in email.subject
    assert "mengirim undangan dan email" in email.body_text  # in the recipient's language
    assert "mengelola acara" not in email.body_text
    assert f"{app.config['BASE_URL']}/manage/events/{event.id}" in email.body_text
    assert f'href="{app.config["BASE_URL"]}/manage/events/{event.id}"' in email.body_html


def test_send_test_email_commits_and_audits(db, make_user):
    from seminar_app.models import AuditEntry

    admin = make_user("admin")
    email = send_test_email(to=admin.email, user=admin)
    db.session.rollback()  # committed already: a rollback loses nothing
    assert db.session.get(OutboxEmail, email.id).recipient == admin.email
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "mail.send_test"))
    assert entry is not None and entry.object_id == email.id
