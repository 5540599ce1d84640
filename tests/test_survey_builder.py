"""Organizers write the feedback survey (both languages), decide whether it is anonymous, open
and close it, and send it as a mailing of kind "survey"; who may do what."""

import secrets

import pytest
from sqlalchemy import select

from seminar_app.models import Mailing, MailingKind, Survey, SurveyQuestion, utcnow
from seminar_app.services.errors import Conflict, ServiceError
from seminar_app.services.invitations import mailing_audiences, mailings
from seminar_app.services.surveys import answering, surveys
from tests.conftest import post_form
from tests.factories import add_registration, add_team_member, logged_in, registration_event
from tests.test_survey_flow import fields, make_survey


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def event(owner):
    return registration_event(owner)


def _url(event, rest=""):
    return f"/manage/events/{event.id}/survey{rest}"


def test_page_lists_questions_in_both_languages_and_moves_them(app, db, owner, event):
    client = logged_in(app, owner)
    assert client.get(_url(event)).status_code == 200
    assert db.session.scalar(select(Survey)) is None  # a GET stores nothing
    for label_en, label_id, kind, choices_en, choices_id in (
            ("Overall rating", "Penilaian umum", "rating", "", ""),
            ("Best session", "Sesi terbaik", "choice", "Opening\nPanel", "Pembukaan\nPanel"),
            ("Comments", "", "text", "", "")):
        response = post_form(client, _url(event), {
            "kind": kind, "label_en": label_en, "label_id": label_id,
            "choices_en": choices_en, "choices_id": choices_id})
        assert response.status_code == 303
    survey = surveys.find_survey(event)
    labels = [surveys.question_label(q, "id") for q in survey.questions]
    assert labels == ["Penilaian umum", "Sesi terbaik", "Comments"]  # falls back to English
    assert surveys.question_choices(survey.questions[1], "id") == ["Pembukaan", "Panel"]
    last = survey.questions[2]
    response = post_form(client, _url(event, f"/questions/{last.id}/move"),
                         {"direction": "up"})
    assert response.status_code == 303
    db.session.expire_all()
    assert [q.kind for q in surveys.find_survey(event).questions] == ["rating", "text", "choice"]
    client.get("/language/id")
    page = client.get(_url(event)).get_data(as_text=True)
    assert "Survei masukan" in page and "Penilaian umum" in page


@pytest.mark.parametrize(("data", "field_message"), [
    ({"kind": "rating"}, "Please write the question (in English, Indonesian or both)."),
    ({"kind": "choice", "label_en": "Pick", "choices_en": "Only one"},
     "Give at least two options, one per line."),
    ({"kind": "choice", "label_en": "Pick", "choices_en": "A\nB", "choices_id": "A\nB\nC"},
     "Give the same number of options in every language, in the same order."),
    ({"kind": "stars", "label_en": "Pick"}, None),
])
def test_bad_questions_are_refused_with_a_message(app, db, owner, event, data, field_message):
    client = logged_in(app, owner)
    response = post_form(client, _url(event), data)
    assert response.status_code == 422
    if field_message:
        assert field_message in response.get_data(as_text=True)
    assert db.session.scalar(select(SurveyQuestion)) is None


def test_anonymity_is_locked_after_the_first_answer(app, db, owner, event):
    survey = make_survey(event)
    client = logged_in(app, owner)
    assert post_form(client, _url(event, "/settings"), {"anonymous": "y"}).status_code == 303
    db.session.expire_all()
    assert surveys.find_survey(event).anonymous is True
    delegate = add_registration(event, checked_in_at=utcnow())
    answering.submit_answers(delegate, fields(survey), language="en")
    response = post_form(client, _url(event, "/settings"), {})
    assert response.status_code == 409
    assert "whether the survey is anonymous can no longer change" in response.get_data(
        as_text=True)
    db.session.expire_all()
    assert surveys.find_survey(event).anonymous is True


def test_answered_questions_keep_kind_options_and_place(app, db, event):
    survey = make_survey(event)
    delegate = add_registration(event, checked_in_at=utcnow())
    answering.submit_answers(delegate, fields(survey), language="en")
    rating, choice, _text = survey.questions
    with pytest.raises(Conflict):
        surveys.update_question(rating, kind="text", texts={"en": {"label": "x"}})
    with pytest.raises(Conflict):
        surveys.update_question(choice, kind="choice", texts={
            "en": {"label": "Which day?", "choices": "One\nTwo\nThree"}})
    with pytest.raises(Conflict):
        surveys.delete_question(rating)
    surveys.update_question(choice, kind="choice", texts={
        "en": {"label": "Which day was the best?", "choices": "Monday\nTuesday"}})
    assert surveys.question_choices(choice, "en") == ["Monday", "Tuesday"]


def test_open_needs_a_question_and_close_stops_answers(app, db, owner, event):
    client = logged_in(app, owner)
    response = post_form(client, _url(event, "/open"))
    assert response.status_code == 409
    assert "Add a question before opening the survey." in response.get_data(as_text=True)
    make_survey(event)
    response = post_form(client, _url(event, "/close"))
    assert response.status_code == 303
    db.session.expire_all()
    assert surveys.find_survey(event).state == "closed"


def test_survey_mailing_needs_an_open_survey_and_leaves_out_who_answered(app, db, event):
    came = [add_registration(event, checked_in_at=utcnow()) for _ in range(3)]
    add_registration(event)  # confirmed, never checked in
    with app.test_request_context(), pytest.raises(ServiceError) as refused:
        mailings.create_mailing(event, MailingKind.SURVEY, {}, send_key=secrets.token_urlsafe(24))
    assert refused.value.field == "audience"
    survey = make_survey(event)
    answering.submit_answers(came[0], fields(survey), language="en")
    counted = mailing_audiences.count_audience(event, MailingKind.SURVEY,
                                               {"audience": "checked_in"})
    assert counted["recipients"] == 2 and counted["survey_answered"] == 1
    everyone = mailing_audiences.count_audience(event, MailingKind.SURVEY,
                                                {"audience": "confirmed"})
    assert everyone["recipients"] == 3


def test_compose_and_wording_pages_of_the_survey_kind(app, db, owner, event):
    make_survey(event)
    add_registration(event, checked_in_at=utcnow())
    client = logged_in(app, owner)
    page = client.get(f"/manage/events/{event.id}/invitations/mailings/new?kind=survey")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Delegates who checked in" in body
    assert "1 person will receive this mailing." in body
    wording = client.get(f"/manage/events/{event.id}/invitations/templates/survey")
    assert wording.status_code == 200 and "{survey_link}" in wording.get_data(as_text=True)
    bad = post_form(client, f"/manage/events/{event.id}/invitations/templates/survey", {
        "subject_en": "Feedback {survey_link}", "body_en": "Hello", "subject_id": "Masukan",
        "body_id": "Halo {rsvp_link}"})
    assert bad.status_code == 422


def test_permissions(app, db, make_user, owner, event):
    make_survey(event)
    anonymous = app.test_client()
    response = anonymous.get(_url(event))
    assert response.status_code == 302 and "/manage/login" in response.headers["Location"]
    assert post_form(anonymous, _url(event, "/close")).status_code in (302, 400)
    outsider = logged_in(app, make_user("staff"))
    assert outsider.get(_url(event)).status_code == 403
    assert post_form(outsider, _url(event, "/close")).status_code == 403
    inviter = make_user("staff")
    add_team_member(event, inviter, can_invite=True)
    client = logged_in(app, inviter)
    assert client.get(_url(event)).status_code == 403  # writing the survey is for organizers
    assert post_form(client, _url(event), {"kind": "text", "label_en": "x"}).status_code == 403
    db.session.expire_all()
    assert surveys.find_survey(event).state == "open"
    assert db.session.scalar(select(Mailing)) is None


def test_demo_survey_is_a_bilingual_draft_written_once(app, db, event):
    from seminar_app.services.surveys.demo import write_demo_survey

    write_demo_survey(event)
    write_demo_survey(event)
    survey = surveys.find_survey(event)
    assert survey.state == "draft" and len(survey.questions) == 4
    assert all(surveys.question_label(q, "id") != surveys.question_label(q, "en")
               for q in survey.questions)
    assert surveys.question_choices(survey.questions[1], "id")[0] == "Sesi pleno"


def test_edit_and_delete_a_question_through_the_pages(app, db, owner, event):
    survey = make_survey(event, state="draft")
    rating, choice, _text = survey.questions
    client = logged_in(app, owner)
    page = client.get(_url(event, f"/questions/{choice.id}/edit"))
    assert page.status_code == 200 and "Hari kedua" in page.get_data(as_text=True)
    refused = post_form(client, _url(event, f"/questions/{choice.id}/edit"), {
        "kind": "choice", "label_en": "Which day?", "choices_en": "One"})
    assert refused.status_code == 422
    saved = post_form(client, _url(event, f"/questions/{choice.id}/edit"), {
        "kind": "choice", "label_en": "Which day?", "label_id": "Hari apa?",
        "choices_en": "Monday\nTuesday", "choices_id": "Senin\nSelasa", "required": "y"})
    assert saved.status_code == 303
    assert post_form(client, _url(event, f"/questions/{rating.id}/delete")).status_code == 303
    db.session.expire_all()
    survey = surveys.find_survey(event)
    assert [q.position for q in survey.questions] == [0, 1]
    assert surveys.question_choices(survey.questions[0], "id") == ["Senin", "Selasa"]
    assert survey.questions[0].required is True
    other = registration_event(owner)
    assert client.get(f"/manage/events/{other.id}/survey/questions/{choice.id}/edit"
                      ).status_code == 404  # another event's question


def test_compose_page_says_when_the_survey_is_not_open(app, db, owner, event):
    make_survey(event, state="draft")
    add_registration(event, checked_in_at=utcnow())
    client = logged_in(app, owner)
    client.get("/language/id")
    page = client.get(f"/manage/events/{event.id}/invitations/mailings/new?kind=survey")
    assert "Buka survei masukan acara ini sebelum mengirimkannya." in page.get_data(
        as_text=True)
