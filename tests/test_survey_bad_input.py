"""Bad input on the survey link, in both languages: answered twice (also at the same moment),
a rating outside 1-5, a choice not offered, a required answer missing, a forged link, a
closed survey. Each gets a clear translated 4xx, never a 500, and nothing is stored."""

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from seminar_app.extensions import db as _db
from seminar_app.models import SurveyAnswer, SurveyRespondent, SurveySubmission, utcnow
from seminar_app.services.errors import ServiceError
from seminar_app.services.surveys import answering, surveys
from seminar_app.services.surveys.links import survey_token
from tests.conftest import post_form
from tests.factories import add_registration, registration_event
from tests.test_concurrency import _no_rate_limits, live_server, rush  # noqa: F401 - fixtures
from tests.test_survey_flow import counts, fields, make_survey


@pytest.fixture
def event(make_user):
    return registration_event(make_user())


def _post(app, delegate, data, lang=None):
    client = app.test_client()
    if lang:
        client.get(f"/language/{lang}")
    return post_form(client, f"/s/{survey_token(delegate)}", data)


CASES = [
    # (what, fields overrides, English message, Indonesian message)
    ("rating 0", {"rating": "0"}, "Choose a rating from 1 to 5.", "Pilih nilai dari 1 sampai 5."),
    ("rating 6", {"rating": "6"}, "Choose a rating from 1 to 5.", "Pilih nilai dari 1 sampai 5."),
    ("rating 4.5", {"rating": "4.5"}, "Choose a rating from 1 to 5.",
     "Pilih nilai dari 1 sampai 5."),
    ("rating text", {"rating": "five"}, "Choose a rating from 1 to 5.",
     "Pilih nilai dari 1 sampai 5."),
    ("choice not offered", {"choice": "7"}, "Choose one of the options offered.",
     "Pilih salah satu opsi yang tersedia."),
    ("choice negative", {"choice": "-1"}, "Choose one of the options offered.",
     "Pilih salah satu opsi yang tersedia."),
    ("choice by label", {"choice": "Day one"}, "Choose one of the options offered.",
     "Pilih salah satu opsi yang tersedia."),
    ("required missing", {"rating": ""}, "Please answer this question.",
     "Mohon jawab pertanyaan ini."),
    ("text too long", {"text": "x" * 4001}, "Use at most 4000 characters.",
     "Gunakan paling banyak 4000 karakter."),
]


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize(("what", "overrides", "english", "indonesian"), CASES,
                         ids=[case[0] for case in CASES])
def test_refused_answer_is_translated_422_and_stores_nothing(app, db, event, language, what,
                                                             overrides, english, indonesian):
    survey = make_survey(event)
    delegate = add_registration(event, checked_in_at=utcnow())
    response = _post(app, delegate, fields(survey, **overrides), lang=language)
    assert response.status_code == 422, what
    body = response.get_data(as_text=True)
    assert (english if language == "en" else indonesian) in body
    assert 'aria-invalid="true"' in body  # next to the question
    assert counts(db) == (0, 0, 0)


@pytest.mark.parametrize(("language", "message"), [
    ("en", "This survey link is not valid. Please use the link in your email."),
    ("id", "Tautan survei ini tidak valid. Mohon gunakan tautan di email Anda."),
])
def test_forged_links_are_404_with_a_clear_message(app, db, event, language, message):
    make_survey(event)
    delegate = add_registration(event)
    token = survey_token(delegate)
    forged = [token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character changed
              f"s{delegate.id + 1}.{token.split('.')[1]}",  # another delegate's number
              "s1.AAAAAAAAAAAAAAAAAAAAAA", "garbage", "s" + "9" * 13 + ".x"]
    client = app.test_client()
    client.get(f"/language/{language}")
    for bad in forged:
        for response in (client.get(f"/s/{bad}"), post_form(client, f"/s/{bad}", {"q1": "3"})):
            assert response.status_code == 404, bad
            assert message in response.get_data(as_text=True)
    assert counts(db) == (0, 0, 0)


@pytest.mark.parametrize(("language", "message"), [
    ("en", "This survey is closed: it no longer takes answers."),
    ("id", "Survei ini sudah ditutup: tidak lagi menerima jawaban."),
])
def test_closed_and_unopened_surveys_refuse_answers(app, db, event, language, message):
    survey = make_survey(event, state="draft")
    delegate = add_registration(event, checked_in_at=utcnow())
    for _round in ("not opened", "closed"):
        response = _post(app, delegate, fields(survey), lang=language)
        assert response.status_code == 409
        assert message in response.get_data(as_text=True)
        surveys.open_survey(survey)
        surveys.close_survey(survey)
    assert counts(db) == (0, 0, 0)


@pytest.mark.parametrize(("language", "message"), [
    ("en", "You have already answered this survey. Thank you!"),
    ("id", "Anda sudah mengisi survei ini. Terima kasih!"),
])
def test_answering_twice_is_409_and_keeps_the_first_answer(app, db, event, language, message):
    survey = make_survey(event)
    delegate = add_registration(event, checked_in_at=utcnow())
    assert _post(app, delegate, fields(survey, rating="5"), lang=language).status_code == 200
    second = _post(app, delegate, fields(survey, rating="1"), lang=language)
    assert second.status_code == 409 and message in second.get_data(as_text=True)
    assert counts(db) == (1, 1, 3)
    ratings = db.session.scalars(select(SurveyAnswer.rating).where(
        SurveyAnswer.rating.is_not(None))).all()
    assert ratings == [5]


def test_the_database_refuses_a_second_respondent_row(app, db, event):
    survey = make_survey(event)
    delegate = add_registration(event)
    row = {"survey_id": survey.id, "registration_id": delegate.id}
    db.session.execute(insert(SurveyRespondent), [row])
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(insert(SurveyRespondent), [row])
    db.session.rollback()


def test_a_second_answer_that_passed_the_check_is_refused_by_the_constraint(app, db, event,
                                                                             monkeypatch):
    """Two submissions that both read "not answered yet" (a race): the constraint decides."""
    survey = make_survey(event)
    delegate = add_registration(event, checked_in_at=utcnow())
    given = fields(survey)
    answering.submit_answers(delegate, given, language="en")
    monkeypatch.setattr(answering, "has_answered", lambda *args: False)
    with app.test_request_context(), pytest.raises(answering.AlreadyAnswered):
        answering.submit_answers(delegate, fields(survey, rating="1"), language="en")
    assert counts(db) == (1, 1, 3)


def test_simultaneous_submissions_store_one_answer(live_server, make_user):  # noqa: F811
    event = registration_event(make_user())
    survey = make_survey(event)
    delegate = add_registration(event, checked_in_at=utcnow())
    payloads = [fields(survey, rating=str(1 + number % 5)) for number in range(8)]
    codes = rush(live_server, f"/s/{survey_token(delegate)}", payloads)
    assert codes.count(200) == 1 and set(codes) <= {200, 409}, codes
    _db.session.rollback()
    assert tuple(_db.session.scalar(select(func.count()).select_from(model))
                 for model in (SurveyRespondent, SurveySubmission, SurveyAnswer)) == (1, 1, 3)


def test_service_refuses_an_empty_answer(app, db, event):
    survey = surveys.get_or_create_survey(event)
    surveys.add_question(survey, kind="text", texts={"en": {"label": "Anything?"}})
    surveys.open_survey(survey)
    delegate = add_registration(event)
    with app.test_request_context(), pytest.raises(ServiceError) as refused:
        answering.submit_answers(delegate, {}, language="en")
    assert refused.value.message == "Please answer at least one question."
    assert counts(db) == (0, 0, 0)
