"""The feedback survey end to end: organizers write and open it, the survey mailing goes
through a real SMTP server (aiosmtpd), the link in the email opens the survey, each delegate
answers once, in English or Bahasa Indonesia."""

import re
import secrets

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from seminar_app.models import (
    MailingKind,
    RegistrationStatus,
    SurveyAnswer,
    SurveyRespondent,
    SurveySubmission,
    utcnow,
)
from seminar_app.services.invitations import mailings
from seminar_app.services.surveys import surveys
from seminar_app.services.surveys.links import survey_token
from tests.conftest import post_form
from tests.factories import add_registration, logged_in, registration_event

LINK = re.compile(r"https?://[^\s\"<>]+(/s/s\d+\.[A-Za-z0-9_-]{22})")


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def event(owner):
    return registration_event(owner)


def make_survey(event, *, anonymous=False, state="open"):
    """A survey with a rating, a choice and a text question (both languages)."""
    survey = surveys.get_or_create_survey(event)
    surveys.add_question(survey, kind="rating", required=True, texts={
        "en": {"label": "How useful was the forum?"},
        "id": {"label": "Seberapa bermanfaat forum ini?"}})
    surveys.add_question(survey, kind="choice", texts={
        "en": {"label": "Which day was best?", "choices": "Day one\nDay two"},
        "id": {"label": "Hari mana yang terbaik?", "choices": "Hari pertama\nHari kedua"}})
    surveys.add_question(survey, kind="text", texts={
        "en": {"label": "Any suggestion?"}, "id": {"label": "Ada saran?"}})
    if anonymous:
        surveys.set_anonymous(survey, True)
    if state == "open":
        surveys.open_survey(survey)
    return survey


def fields(survey, rating="4", choice="1", text="More coffee, please."):
    rating_q, choice_q, text_q = survey.questions
    return {f"q{rating_q.id}": rating, f"q{choice_q.id}": choice, f"q{text_q.id}": text}


def counts(db):
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (SurveyRespondent, SurveySubmission, SurveyAnswer))


def test_organizer_writes_opens_and_sends_the_survey_by_real_smtp(app, db, owner, event,
                                                                  smtp_server):
    client = logged_in(app, owner)
    page = client.get(f"/manage/events/{event.id}/survey")
    assert page.status_code == 200 and "Feedback survey" in page.get_data(as_text=True)
    response = post_form(client, f"/manage/events/{event.id}/survey", {
        "kind": "rating", "label_en": "Overall, how was it?", "label_id": "Secara umum?",
        "required": "y"})
    assert response.status_code == 303
    response = post_form(client, f"/manage/events/{event.id}/survey/open")
    assert response.status_code == 303
    survey = surveys.find_survey(event)
    assert survey.state == "open" and len(survey.questions) == 1
    came = add_registration(event, language="id", checked_in_at=utcnow())
    add_registration(event)  # confirmed, did not check in: not in the default audience
    mailing, created = mailings.create_mailing(event, MailingKind.SURVEY, {},
                                               send_key=secrets.token_urlsafe(24))
    assert created and mailing.audience == {"audience": "checked_in"}
    message = smtp_server.wait_for(1)[0]["message"]
    assert message["To"].endswith(f"<{came.email}>") or came.email in message["To"]
    assert message["Subject"].startswith("Masukan Anda tentang")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    paths = set(LINK.findall(text))
    assert paths == {f"/s/{survey_token(came)}"} and f"/s/{survey_token(came)}" in html
    public = app.test_client()
    path = paths.pop()
    page = public.get(path)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Secara umum?" in body  # in the delegate's language
    question = survey.questions[0]
    answered = post_form(public, path, {f"q{question.id}": "5"})
    assert answered.status_code == 200 and "Terima kasih" in answered.get_data(as_text=True)
    assert counts(db) == (1, 1, 1)


def test_language_switcher_wins_over_the_delegate_language(app, db, event):
    make_survey(event)
    delegate = add_registration(event, language="id")
    client = app.test_client()
    url = f"/s/{survey_token(delegate)}"
    assert "Seberapa bermanfaat forum ini?" in client.get(url).get_data(as_text=True)
    switched = client.get(f"/language/en?next={url}")
    assert switched.status_code in (302, 303) and switched.headers["Location"].endswith(url)
    page = client.get(url).get_data(as_text=True)
    assert "How useful was the forum?" in page and 'lang="en"' in page


def test_delegate_answers_once_in_english(app, db, event):
    survey = make_survey(event)
    delegate = add_registration(event, checked_in_at=utcnow())
    client = app.test_client()
    url = f"/s/{survey_token(delegate)}"
    assert "How useful was the forum?" in client.get(url).get_data(as_text=True)
    response = post_form(client, url, fields(survey))
    assert response.status_code == 200
    assert "Thank you: your answers have been recorded." in response.get_data(as_text=True)
    assert counts(db) == (1, 1, 3)
    again = post_form(client, url, fields(survey, rating="2"))
    assert again.status_code == 409
    assert "You have already answered this survey." in again.get_data(as_text=True)
    assert client.get(url).status_code == 409
    assert counts(db) == (1, 1, 3)
    submission = db.session.scalar(select(SurveySubmission))
    assert submission.registration_id == delegate.id and submission.language == "en"


def test_delegate_answers_in_indonesian_and_switches_language(app, db, event):
    survey = make_survey(event)
    delegate = add_registration(event, language="id", checked_in_at=utcnow())
    client = app.test_client()
    url = f"/s/{survey_token(delegate)}"
    page = client.get(url).get_data(as_text=True)
    assert "Seberapa bermanfaat forum ini?" in page and "Hari kedua" in page
    english = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert "How useful was the forum?" in english
    refused = post_form(client, url, fields(survey, rating="9"))
    assert refused.status_code == 422 and counts(db) == (0, 0, 0)
    response = post_form(client, url, fields(survey))
    assert response.status_code == 200
    assert "Terima kasih" in response.get_data(as_text=True)
    again = post_form(client, url, fields(survey))
    assert again.status_code == 409 and "Anda sudah mengisi survei ini" in again.get_data(
        as_text=True)


def test_anonymous_survey_stores_no_link_to_the_delegate(app, db, event):
    survey = make_survey(event, anonymous=True)
    delegates = [add_registration(event, checked_in_at=utcnow()) for _ in range(3)]
    for delegate in delegates:
        response = post_form(app.test_client(), f"/s/{survey_token(delegate)}", fields(survey))
        assert response.status_code == 200
    db.session.expire_all()
    submissions = db.session.scalars(select(SurveySubmission)).all()
    assert len(submissions) == 3
    assert all(item.registration_id is None and item.language == "" for item in submissions)
    assert all(re.fullmatch(r"[0-9a-f]{32}", item.id) for item in submissions)
    respondents = db.session.scalars(select(SurveyRespondent)).all()
    assert {item.registration_id for item in respondents} == {d.id for d in delegates}
    for model in (SurveyRespondent, SurveySubmission, SurveyAnswer):  # no time, no sequence
        assert "created_at" not in model.__table__.c
    assert "id" not in SurveyRespondent.__table__.c and "id" not in SurveyAnswer.__table__.c
    if db.engine.dialect.name == "sqlite":  # no hidden insertion order either
        for table in ("survey_respondents", "survey_submissions", "survey_answers"):
            with pytest.raises(OperationalError):
                db.session.execute(text(f"SELECT rowid FROM {table}"))  # noqa: S608
            db.session.rollback()


def test_cancelled_registration_link_is_refused(app, db, event):
    make_survey(event)
    delegate = add_registration(event, status=RegistrationStatus.CANCELLED)
    response = app.test_client().get(f"/s/{survey_token(delegate)}")
    assert response.status_code == 404


def test_survey_mailing_progress_and_retry_with_real_smtp(app, db, owner, event, smtp_server):
    make_survey(event)
    people = [add_registration(event, checked_in_at=utcnow()) for _ in range(3)]
    smtp_server.rcpt_replies[people[0].email] = "550 5.1.1 No such user here"
    client = logged_in(app, owner)
    base = f"/manage/events/{event.id}/invitations/mailings"
    page = client.get(f"{base}/new?kind=survey")
    send_key = re.search(r'name="send_key"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    sent = post_form(client, f"{base}/new", {"kind": "survey", "audience": "checked_in",
                                             "send_key": send_key.group(1), "confirmed": "1",
                                             "expected": "3"})
    assert sent.status_code == 303
    smtp_server.wait_for(2)
    mailing_url = sent.headers["Location"]
    progress = client.get(mailing_url + "/progress").get_data(as_text=True)
    assert "550 5.1.1 No such user here" in progress and people[0].email in progress
    assert "Feedback survey" in client.get(mailing_url).get_data(as_text=True)
    smtp_server.rcpt_replies.clear()
    assert post_form(client, mailing_url + "/retry").status_code == 303
    received = smtp_server.wait_for(3)
    assert people[0].email in {item["to"][0] for item in received}


@pytest.mark.parametrize("anonymous", [False, True])
def test_preview_and_test_email_never_carry_a_delegates_working_survey_link(
        app, db, owner, event, smtp_server, anonymous):
    """Staff who open the preview (or their test email) and follow the link must not answer
    in a delegate's name: the link opens the survey's staff page instead."""
    make_survey(event, anonymous=anonymous)
    person = add_registration(event, language="id")
    client = logged_in(app, owner)
    url = f"/manage/events/{event.id}/invitations/templates/survey"
    page = client.get(f"{url}?person={person.id}").get_data(as_text=True)
    staff_page = f"/manage/events/{event.id}/survey"
    assert survey_token(person) not in page and staff_page in page
    assert post_form(client, f"{url}/test", {"person": person.id}).status_code == 303
    body = smtp_server.wait_for(1)[0]["message"].get_body(("plain",)).get_content()
    assert survey_token(person) not in body and staff_page in body
