"""Message templates: sandboxed placeholders, checks when saving, the edit page, preview, test."""

import pytest
from sqlalchemy import select

from seminar_app.models import MailingKind, MessageTemplate, OutboxEmail
from seminar_app.services.errors import ServiceError
from seminar_app.services.invitations import mailings
from seminar_app.services.invitations import message_templates as wording
from tests.conftest import post_form
from tests.factories import add_invitee, add_team_member, logged_in, registration_event


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def event(owner):
    return registration_event(owner)


def _url(event, kind="invitation"):
    return f"/manage/events/{event.id}/invitations/templates/{kind}"


def _form(**overrides):
    data = {"subject_en": "Invitation to {event}", "body_en": "Dear {name},\n\n{rsvp_link}",
            "subject_id": "Undangan {event}", "body_id": "Yth. {name},\n\n{rsvp_link}"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("evil", [
    "{event.__class__}", "{{7*7}}", "{% for x in y %}{% endfor %}", "{name!r}",
    "{name.__init__.__globals__}", "{0}", "{__import__}", "{{ config }}",
])
def test_anything_but_known_placeholders_is_refused_when_saving(event, evil):
    with pytest.raises(ServiceError) as refused:
        wording.save_templates(event, MailingKind.INVITATION, {
            "en": {"subject": "Hi", "body": f"Dear {{name}} {evil}"},
            "id": {"subject": "Hai", "body": "Yth. {name}"}})
    assert refused.value.field == "body_en"
    assert "Unknown placeholder" in refused.value.message


def test_rsvp_link_is_not_a_placeholder_of_announcements(event):
    values, errors = wording.check_template_values(MailingKind.ANNOUNCEMENT, "en", "News",
                                                   "See {rsvp_link}")
    assert "body_en" in errors


@pytest.mark.parametrize("subject", ["Hello\r\nBcc: x@example.org", "Hello\nthere",
                                     "Line\u2028break"])
def test_subject_must_be_one_line(event, subject):
    values, errors = wording.check_template_values(MailingKind.INVITATION, "id", subject, "B")
    assert errors == {"subject_id": "The subject must be a single line."}


def test_rendering_is_inert_for_template_syntax_even_if_stored(app, db, event):
    # stored directly (e.g. by an older version): rendering still runs no template engine
    invitee = add_invitee(event, organisation="A & B")
    invitee.name = "{{7*7}} <b>Bold</b> *star* {event.__class__}"
    db.session.commit()
    content = {"en": {"subject": "{name} {{7*7}} {event.__class__}",
                      "body": "Dear {name} of {organisation}, {{7*7}} {% raw %} "
                              "{event.__class__} {config}\n\n[Answer]({rsvp_link})"}}
    renderer = mailings.MailingRenderer(event, MailingKind.INVITATION, content)
    email, values = renderer.render(invitee, language="en")
    # (the event's own title may hold "49": "Event 490" in a long run)
    subject, text, html = (part.replace(event.title, "")
                           for part in (email.subject, email.text, email.html))
    assert "49" not in subject and "49" not in text and "49" not in html
    assert "<class" not in email.html and "<class" not in email.text
    assert "{event.__class__}" in email.text and "{config}" in email.text
    assert "{% raw %}" in email.text
    assert "<b>Bold</b>" not in email.html
    assert "&lt;b&gt;Bold&lt;/b&gt;" in email.html
    assert "*star*" in email.html  # a value is never read as Markdown
    assert "A &amp; B" in email.html and "A & B" in email.text
    assert f'href="{values["rsvp_link"]}"' in email.html
    assert "<b>Bold</b>" in email.text  # the text part is plain text: shown as written


def test_defaults_in_both_languages_and_saved_wording_wins(app, db, event):
    content = wording.template_content(event, MailingKind.INVITATION)
    assert content["en"]["subject"] == "Invitation: {event}"
    assert content["id"]["subject"] == "Undangan: {event}"
    wording.save_templates(event, MailingKind.INVITATION, {
        "en": {"subject": "Come to {event}", "body": "Hi {name}"},
        "id": {"subject": "Datang ke {event}", "body": "Hai {name}"}})
    content = wording.template_content(event, MailingKind.INVITATION)
    assert content["en"] == {"subject": "Come to {event}", "body": "Hi {name}"}
    assert wording.template_content(event, MailingKind.REMINDER)["en"]["subject"].startswith(
        "Reminder")


def test_values_in_the_recipients_language(app, event):
    invitee = add_invitee(event, honorific="he", country="TH", language="id")
    renderer = mailings.MailingRenderer(event, MailingKind.INVITATION,
                                        wording.template_content(event, MailingKind.INVITATION))
    email, values = renderer.render(invitee)
    assert email.subject == f"Undangan: {event.title}"
    assert values["country"] == "Thailand"
    assert email.text.startswith("Yth. ")


def test_edit_page_shows_defaults_and_saves(app, db, client, auth, owner, event):
    auth.login(owner)
    page = client.get(_url(event))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Invitation: {event}" in html and "Undangan: {event}" in html
    response = post_form(client, _url(event), _form())
    assert response.status_code == 303
    rows = db.session.scalars(select(MessageTemplate)).all()
    assert {(row.language, row.subject) for row in rows} == {
        ("en", "Invitation to {event}"), ("id", "Undangan {event}")}


def test_edit_page_refuses_unknown_placeholder_next_to_the_field(app, db, client, auth, owner,
                                                                 event):
    auth.login(owner)
    response = post_form(client, _url(event), _form(body_id="Yth. {nama}"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="body_id-error"' in html and "{nama}" in html
    assert db.session.scalar(select(MessageTemplate.id)) is None


def test_edit_page_refuses_multiline_subject(app, db, client, auth, owner, event):
    auth.login(owner)
    response = post_form(client, _url(event), _form(subject_en="A\r\nBcc: x@example.org"))
    assert response.status_code == 422
    assert 'id="subject_en-error"' in response.get_data(as_text=True)


def test_unknown_kind_is_404(client, auth, owner, event):
    auth.login(owner)
    assert client.get(_url(event, "newsletter")).status_code == 404


def test_access(app, make_user, event):
    stranger = logged_in(app, make_user())
    assert stranger.get(_url(event)).status_code == 403
    checker = make_user()
    add_team_member(event, checker, can_checkin=True)
    assert logged_in(app, checker).get(_url(event)).status_code == 403
    inviter = make_user()
    add_team_member(event, inviter, can_invite=True)
    assert logged_in(app, inviter).get(_url(event)).status_code == 200
    assert app.test_client().get(_url(event)).status_code == 302


def test_preview_for_a_chosen_invitee_in_their_language(app, client, auth, owner, event):
    invitee = add_invitee(event, name="Siti Preview", language="id")
    auth.login(owner)
    response = client.get(_url(event) + f"?person={invitee.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Undangan: {event.title}" in html and "Siti Preview" in html
    assert "srcdoc=" in html and "sandbox" in html


def test_preview_of_another_events_invitee_is_404(app, client, auth, owner, event):
    other = add_invitee(registration_event(owner), name="Other Event")
    auth.login(owner)
    assert client.get(_url(event) + f"?person={other.id}").status_code == 404
    assert client.get(_url(event) + "?person=99999999").status_code == 404


def test_send_a_test_to_me(app, db, client, auth, owner, event, smtp_server):
    invitee = add_invitee(event, name="Test Target", language="en")
    auth.login(owner)
    response = post_form(client, _url(event) + "/test", {"person": invitee.id})
    assert response.status_code == 303
    message = smtp_server.wait_for(1)[0]
    assert message["to"] == [owner.email]
    assert message["message"]["Subject"] == f"[Test] Invitation: {event.title}"
    assert "Test Target" in message["message"].get_body(("plain",)).get_content()
    email = db.session.scalar(select(OutboxEmail))
    assert email.mailing_id is None and email.invitee_id is None
    assert email.recipient == owner.email


def test_send_a_test_for_another_events_invitee_is_404(app, db, client, auth, owner, event):
    other = add_invitee(registration_event(owner))
    auth.login(owner)
    response = post_form(client, _url(event) + "/test", {"person": other.id})
    assert response.status_code == 404
    assert db.session.scalar(select(OutboxEmail.id)) is None
