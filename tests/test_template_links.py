"""Placeholders never inside a link's address: refused when saving, inert when rendering."""

import re
import secrets

import pytest
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.markdown import drop_unsafe_links, is_safe_url
from seminar_app.models import MailingKind, MessageTemplate, OutboxEmail
from seminar_app.services.errors import ServiceError
from seminar_app.services.invitations import mailings
from seminar_app.services.invitations import message_templates as wording
from tests.conftest import post_form
from tests.factories import add_invitee, add_registration, registration_event

EVIL = "javascript:alert(1)"
HREFS = re.compile(r'href\s*=\s*"([^"]*)"', re.IGNORECASE)


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def event(owner):
    return registration_event(owner)


def _wording(body_en, body_id="Yth. {name}"):
    return {"en": {"subject": "Hello", "body": body_en},
            "id": {"subject": "Halo", "body": body_id}}


def _store(event, kind, body):
    """Wording stored directly (as an older version could have), bypassing the checks."""
    for language in wording.LANGUAGES:
        db.session.add(MessageTemplate(event_id=event.id, kind=kind, language=language,
                                       subject="Hello {name}", body=body))
    db.session.commit()


def _html_part(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html" and not part.get_filename():
            return part.get_content()
    raise AssertionError("no HTML part")


@pytest.mark.parametrize("body", [
    "[Your ministry]({organisation})",
    "[x](https://example.org/?org={organisation})",
    '<a href="{name}">you</a>',
    "See [the page][p].\n\n[p]: {position}",
    "[x]( {country} )",
])
def test_save_templates_refuses_a_placeholder_in_a_link(event, body):
    with pytest.raises(ServiceError) as refused:
        wording.save_templates(event, MailingKind.INVITATION, _wording(body))
    assert refused.value.field == "body_en"
    assert "part of a link's address" in refused.value.message
    assert "{rsvp_link}" in refused.value.message
    assert db.session.scalar(select(MessageTemplate.id)) is None


def test_save_templates_allows_the_invitation_link_as_a_whole_address(event):
    body = "Dear {name} of {organisation},\n\n[Answer here]({rsvp_link}) or {rsvp_link}"
    saved = wording.save_templates(event, MailingKind.INVITATION, _wording(body))
    assert saved["en"].body == body


def test_check_template_values_for_announcements_names_no_link_placeholder(event):
    _values, errors = wording.check_template_values(MailingKind.ANNOUNCEMENT, "id", "Berita",
                                                    "[x]({organisation})")
    assert errors["body_id"] == ("A placeholder cannot be part of a link's address: "
                                 "{organisation}. Write the address out in full.")


def test_template_edit_refuses_a_link_placeholder_next_to_the_field_in_indonesian(
        client, auth, owner, event):
    auth.login(owner)
    client.set_cookie("lang", "id")
    url = f"/manage/events/{event.id}/invitations/templates/invitation"
    response = post_form(client, url, {
        "subject_en": "Invitation", "body_en": "Dear {name},\n\n{rsvp_link}",
        "subject_id": "Undangan", "body_id": "Yth. [instansi Anda]({organisation})"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="body_id-error"' in html
    assert "Placeholder tidak boleh menjadi bagian dari alamat tautan" in html
    assert db.session.scalar(select(MessageTemplate.id)) is None


@pytest.mark.parametrize("url, safe", [
    ("https://example.org", True), ("mailto:a@example.org", True), ("/relative", True),
    ("javascript:alert(1)", False), (" JavaScript:alert(1)", False),
    ("java&#x09;script&#58;alert(1)", False), ("data:text/html,x", False),
    ("vbscript:x", False),
])
def test_is_safe_url_allows_only_http_https_mailto(url, safe):
    assert is_safe_url(url) is safe


def test_drop_unsafe_links_removes_the_address_only():
    html = '<a href="javascript:alert(1)">x</a> <a style="c" href="https://example.org">y</a>'
    assert drop_unsafe_links(html) == '<a>x</a> <a style="c" href="https://example.org">y</a>'


def test_rendering_stored_wording_never_links_a_value(app, event):
    invitee = add_invitee(event, organisation=EVIL, position="https://phish.example")
    content = {"en": {"subject": "Hi", "body": "[a]({organisation}) [b]({position}) "
                                               "[c]({rsvp_link})"}}
    renderer = mailings.MailingRenderer(event, MailingKind.INVITATION, content)
    email, values = renderer.render(invitee, language="en")
    hrefs = HREFS.findall(email.html)
    assert values["rsvp_link"] in hrefs
    assert not any("javascript" in href.lower() or "phish" in href for href in hrefs)


def test_delivered_invitation_has_no_javascript_link(app, event, smtp_server):
    _store(event, MailingKind.INVITATION, "Dear {name},\n\n[Your ministry]({organisation})\n\n"
                                          "[Answer]({rsvp_link})")
    invitee = add_invitee(event, organisation=EVIL, language="en")
    mailings.create_mailing(event, MailingKind.INVITATION, {"audience": "all"},
                            send_key=secrets.token_urlsafe(24))
    message = smtp_server.wait_for(1)[0]["message"]
    assert message["To"].endswith(f"<{invitee.email}>") or invitee.email in message["To"]
    html = _html_part(message)
    hrefs = HREFS.findall(html)
    assert any("/i/" in href for href in hrefs)  # the invitation link still works
    assert not any(not is_safe_url(href) for href in hrefs), hrefs
    assert 'href="javascript' not in html.lower()
    stored = db.session.scalar(select(OutboxEmail.body_html))
    assert stored is None or 'href="javascript' not in stored.lower()


def test_delivered_announcement_has_no_javascript_link(app, event, smtp_server):
    _store(event, MailingKind.ANNOUNCEMENT, '<a href="{organisation}">Your ministry</a>')
    add_registration(event, organisation=EVIL, email="delegate@example.org")
    mailings.create_mailing(event, MailingKind.ANNOUNCEMENT,
                            {"audience": "registered", "statuses": ["confirmed"]},
                            send_key=secrets.token_urlsafe(24))
    html = _html_part(smtp_server.wait_for(1)[0]["message"])
    assert "Your ministry" in html
    assert all(is_safe_url(href) for href in HREFS.findall(html))


def test_link_placeholder_in_the_subject_is_refused():
    from seminar_app.models import MailingKind
    from seminar_app.services.invitations.message_templates import check_template_values

    _values, errors = check_template_values(MailingKind.INVITATION, "en",
                                            "Answer here {rsvp_link}", "Dear {name}")
    assert "personal link cannot be part of the subject" in errors["subject_en"]
