"""Automatic emails per event: turned on from the "Automatic emails" page, made by the worker's
periodic task once per event (a deterministic send key), through the same path as a mailing
made by hand, delivered over real SMTP in each recipient's language."""

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db as _db
from seminar_app.models import EventAutomation, Mailing, MailingKind, utcnow
from seminar_app.services.errors import ServiceError
from seminar_app.services.invitations import automatic_mailings as automatic
from seminar_app.services.invitations import mailings
from tests.conftest import post_form
from tests.factories import add_invitee, add_registration, registration_event


@pytest.fixture
def owner(make_user):
    return make_user()


def _settings(**on) -> dict:
    values = {f"{what}_days": 3 for what in automatic.AUTOMATIC}
    values.update({what: False for what in automatic.AUTOMATIC})
    values.update(on)
    return values


def _count():
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(Mailing))


def test_event_reminder_made_once_with_calendar_and_badge_help(app, owner, smtp_server):
    event = registration_event(owner, start_at=(utcnow() + timedelta(days=2)).replace(
        microsecond=0))
    add_registration(event, email="en@example.org", language="en")
    add_registration(event, email="id@example.org", language="id")
    automatic.save_automation(event, _settings(event_reminder=True), actor=owner)
    made = automatic.create_due_automatic_mailings()
    assert len(made) == 1
    assert automatic.create_due_automatic_mailings() == []  # the task running again
    assert automatic.make_automatic_mailing(event, "event_reminder").id == made[0]
    assert _count() == 1
    mailing = _db.session.get(Mailing, made[0])
    assert mailing.automatic == "event_reminder" and mailing.kind == MailingKind.ANNOUNCEMENT
    assert mailing.send_key == f"automatic-{event.id}-event_reminder"
    messages = {m["to"][0]: m["message"] for m in smtp_server.wait_for(2)}
    english, indonesian = messages["en@example.org"], messages["id@example.org"]
    assert str(english["Subject"]).startswith("Reminder:")
    assert str(indonesian["Subject"]).startswith("Pengingat:")
    for message in (english, indonesian):
        parts = list(message.iter_attachments())
        assert any(part.get_content_type() == "text/calendar" for part in parts)
        text = message.get_body(("plain",)).get_content()
        assert f"/events/{event.slug}/register" in text
    assert "Download my badge" in english.get_body(("plain",)).get_content()
    assert "Unduh tanda pengenal" in indonesian.get_body(("plain",)).get_content()


def test_the_reminder_uses_the_saved_wording_with_the_badge_help(app, owner, smtp_server):
    event = registration_event(owner, start_at=(utcnow() + timedelta(days=1)).replace(
        microsecond=0))
    add_registration(event, email="en@example.org", language="en")
    texts = {"en": {"subject": "Tomorrow: {event}", "body": "Dear {name}, see you."},
             "id": {"subject": "Besok: {event}", "body": "Yth. {name}, sampai jumpa."}}
    automatic.save_automation(event, {**_settings(event_reminder=True),
                                      "event_reminder_wording": texts}, actor=owner)
    automatic.create_due_automatic_mailings()
    message = smtp_server.wait_for(1)[0]["message"]
    assert str(message["Subject"]).startswith("Tomorrow:")
    text = message.get_body(("plain",)).get_content()
    assert "see you." in text and "Download my badge" in text
    with pytest.raises(ServiceError) as error:
        automatic.save_automation(event, {**_settings(), "event_reminder_wording": {
            **texts, "id": {"subject": "", "body": "x"}}}, actor=owner)
    assert error.value.field == "subject_id"


def test_nothing_before_the_window_nor_after_the_event(app, owner):
    event = registration_event(owner, start_at=(utcnow() + timedelta(days=10)).replace(
        microsecond=0))
    add_registration(event)
    automatic.save_automation(event, _settings(event_reminder=True), actor=owner)
    assert automatic.create_due_automatic_mailings() == []
    assert automatic.create_due_automatic_mailings(utcnow() + timedelta(days=8)) != []
    assert _count() == 1


def test_deadline_reminder_goes_to_invitees_who_have_not_answered(app, owner, smtp_server):
    event = registration_event(owner, registration_closes_at=utcnow() + timedelta(days=1))
    add_invitee(event, email="waiting@example.org", language="id")
    automatic.save_automation(event, _settings(deadline_reminder=True), actor=owner)
    assert automatic.create_due_automatic_mailings() == []  # nobody invited yet: waits
    mailings.create_mailing(event, MailingKind.INVITATION, {"audience": "all"},
                            send_key=secrets.token_urlsafe(24))
    smtp_server.wait_for(1)
    made = automatic.create_due_automatic_mailings()
    assert len(made) == 1
    assert automatic.create_due_automatic_mailings() == []
    mailing = _db.session.get(Mailing, made[0])
    assert mailing.kind == MailingKind.REMINDER and mailing.audience["audience"] == "not_answered"
    assert mailing.automatic == "deadline_reminder"
    message = smtp_server.wait_for(2)[1]
    assert message["to"] == ["waiting@example.org"]
    assert str(message["message"]["Subject"]) != str(smtp_server.messages[0]["message"]["Subject"])


def test_survey_waits_for_an_open_survey(app, owner):
    event = registration_event(owner, start_at=(utcnow() - timedelta(days=3)).replace(
        microsecond=0))
    add_registration(event)
    automatic.save_automation(event, _settings(survey=True, survey_days=0), actor=owner)
    assert automatic.survey_ready(event) is False
    assert automatic.create_due_automatic_mailings() == []
    assert _count() == 0


def test_the_periodic_task_twice_makes_one_reminder(app, owner):
    event = registration_event(owner, start_at=(utcnow() + timedelta(days=1)).replace(
        microsecond=0))
    add_registration(event)
    automatic.save_automation(event, _settings(event_reminder=True), actor=owner)
    task = app.extensions["huey_tasks"]["start_scheduled_mailings"]
    task()
    task()
    assert _count() == 1


def test_bad_days_are_refused(app, owner):
    event = registration_event(owner)
    with pytest.raises(ServiceError) as error:
        automatic.save_automation(event, _settings(event_reminder_days=999), actor=owner)
    assert error.value.field == "event_reminder_days"
    assert _db.session.get(EventAutomation, event.id) is None


@pytest.mark.parametrize("language", ["en", "id"])
def test_automatic_emails_page(app, client, auth, owner, make_user, language):
    event = registration_event(owner)
    url = f"/manage/events/{event.id}/invitations/automatic"
    assert client.get(url).status_code in (302, 303)
    auth.login(owner)
    client.set_cookie("lang", language)
    page = client.get(url)
    assert page.status_code == 200
    assert ("Automatic emails" if language == "en" else "Email otomatis") in \
        page.get_data(as_text=True)
    form = {"event_reminder": "y", "event_reminder_days": "5", "deadline_reminder_days": "3",
            "certificate_days": "1", "survey_days": "0",
            "subject_en": "See you at {event}", "body_en": "Dear {name}, see you on {date}.",
            "subject_id": "Sampai jumpa di {event}", "body_id": "Yth. {name}, sampai jumpa."}
    unknown = post_form(client, url, {**form, "body_en": "Dear {badge_link}"})
    assert unknown.status_code == 422
    bad = post_form(client, url, {**form, "event_reminder_days": "many"})
    assert bad.status_code == 422
    assert post_form(client, url, {**form, "event_reminder_days": "-1"}).status_code == 422
    saved = post_form(client, url, form)
    assert saved.status_code == 303
    row = _db.session.get(EventAutomation, event.id)
    assert row.event_reminder and row.event_reminder_days == 5
    assert row.event_reminder_wording["id"]["subject"] == "Sampai jumpa di {event}"
    assert "Sampai jumpa di {event}" in client.get(url).get_data(as_text=True)
    listing = client.get(f"/manage/events/{event.id}/invitations/mailings")
    assert url.encode() in listing.data
    auth.logout()
    auth.login(make_user(email="other@example.org"))
    assert client.get(url).status_code in (403, 404)
    assert post_form(client, url, form).status_code in (403, 404)


def test_certificate_and_survey_after_the_event_once_their_conditions_hold(app, owner,
                                                                          smtp_server):
    from seminar_app.services.registration import certificates
    from seminar_app.services.surveys import surveys

    start = (utcnow() - timedelta(days=2)).replace(microsecond=0)
    event = registration_event(owner, start_at=start)
    add_registration(event, email="came@example.org", language="id", checked_in_at=start)
    automatic.save_automation(event, _settings(certificate=True, certificate_days=1,
                                               survey=True, survey_days=0), actor=owner)
    assert automatic.create_due_automatic_mailings() == []  # certificates off, no survey
    certificates.update_certificate_settings(event, enabled=True, scope="checked_in",
                                             signatory_name="Dr. Retno", signatory_title="Minister")
    survey = surveys.get_or_create_survey(event)
    surveys.add_question(survey, kind="rating", required=True, texts={
        "en": {"label": "How useful was the forum?"},
        "id": {"label": "Seberapa bermanfaat forum ini?"}})
    surveys.open_survey(survey)
    made = automatic.create_due_automatic_mailings()
    assert len(made) == 2
    assert automatic.create_due_automatic_mailings() == []
    kinds = {_db.session.get(Mailing, mailing_id).automatic for mailing_id in made}
    assert kinds == {"certificate", "survey"}
    messages = smtp_server.wait_for(2)
    assert all(message["to"] == ["came@example.org"] for message in messages)
    # and nothing more weeks later: each is made once per event
    assert automatic.create_due_automatic_mailings(utcnow() + timedelta(days=3)) == []
