"""Extra questions in English and Indonesian: the editor, the registration form in both
languages, answers that stay the same whatever the language, the delegate's page, exports."""

import csv
import io

import pytest
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import ExtraQuestion, Registration, RegistrationAnswer
from seminar_app.services.errors import ServiceError
from seminar_app.services.registration import questions as service
from tests.conftest import post_form
from tests.factories import add_registration, form_fields, logged_in
from tests.public_factories import create_event

MEAL = {"en": {"label": "Meal preference", "choices": ["Halal", "Vegetarian", "No preference"]},
        "id": {"label": "Pilihan makanan",
               "choices": ["Halal", "Vegetarian", "Tanpa preferensi"]}}


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    event = create_event(owner, slug="bilingual-forum", languages="en,id")
    db.session.commit()
    return event


@pytest.fixture
def meal(event):
    return service.add_question(event, label="", kind="choice", required=True,
                                translations=MEAL)


def answers_of(event):
    return list(db.session.scalars(
        select(RegistrationAnswer.value).join(Registration)
        .where(Registration.event_id == event.id).order_by(RegistrationAnswer.id)))


def get_in(client, url, language):
    client.set_cookie("lang", language)
    return client.get(url)


# --- the service ---------------------------------------------------------------------------------

def test_service_keeps_both_languages_and_the_base_in_the_columns(meal):
    assert meal.label == "Meal preference"
    assert meal.choices == ["Halal", "Vegetarian", "No preference"]
    assert meal.translations["id"]["choices"][2] == "Tanpa preferensi"


def test_service_refuses_options_that_do_not_match(app, event):
    translations = {"en": {"label": "Meal", "choices": ["A", "B", "C"]},
                    "id": {"label": "Makan", "choices": ["A", "B"]}}
    with app.test_request_context(), pytest.raises(ServiceError) as error:
        service.add_question(event, label="", kind="choice", translations=translations)
    assert error.value.field == "choices_id"
    with app.test_request_context(), pytest.raises(ServiceError) as error:
        service.add_question(event, label="", kind="text",
                             translations={"en": {"label": ""}, "id": {"label": ""}})
    assert error.value.field == "label"
    assert service.event_questions(event) == []


def test_a_text_question_keeps_no_options(event):
    question = service.add_question(event, label="", kind="text", translations={
        "en": {"label": "Flight", "choices": ["x", "y"]}, "id": {"label": "Penerbangan"}})
    assert question.choices == [] and "choices" not in question.translations["en"]


def test_answers_follow_when_the_base_language_options_are_written_later(event):
    question = service.add_question(event, label="", kind="choice", translations={
        "id": {"label": "Transportasi", "choices": ["Bus", "Mobil sendiri"]}})
    assert question.choices == ["Bus", "Mobil sendiri"]  # no English yet: the base holds id
    registration = add_registration(event)
    db.session.add(RegistrationAnswer(registration_id=registration.id, question_id=question.id,
                                      value="Mobil sendiri"))
    db.session.commit()
    service.update_question(question, label="", kind="choice", translations={
        "en": {"label": "Transport", "choices": ["Shuttle bus", "Own car"]},
        "id": {"label": "Transportasi", "choices": ["Bus", "Mobil sendiri"]}})
    assert question.choices == ["Shuttle bus", "Own car"]
    assert answers_of(event) == ["Own car"]  # still the second option


# --- the editor ----------------------------------------------------------------------------------

def test_question_form_round_trip(app, event, owner):
    client = logged_in(app, owner)
    response = post_form(client, f"/manage/events/{event.id}/questions", {
        "label": "Meal preference", "label_id": "Pilihan makanan", "kind": "choice",
        "choices": "Halal\nVegetarian", "choices_id": "Halal\nVegetarian (tanpa daging)",
        "required": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    question = db.session.scalar(select(ExtraQuestion))
    assert question.translations == {
        "en": {"label": "Meal preference", "choices": ["Halal", "Vegetarian"]},
        "id": {"label": "Pilihan makanan", "choices": ["Halal", "Vegetarian (tanpa daging)"]}}
    html = client.get(f"/manage/events/{event.id}/questions/{question.id}/edit").get_data(
        as_text=True)
    assert "Pilihan makanan</textarea>" in html and "Vegetarian (tanpa daging)" in html
    assert "Meal preference</textarea>" in html


def test_question_form_refuses_a_different_number_of_options(app, event, owner):
    client = logged_in(app, owner)
    response = post_form(client, f"/manage/events/{event.id}/questions", {
        "label": "Meal", "label_id": "Makanan", "kind": "choice",
        "choices": "Halal\nVegetarian\nNone", "choices_id": "Halal\nVegetarian"})
    assert response.status_code == 422
    assert "as many options in Indonesian as in English (3)" in response.get_data(as_text=True)
    response = post_form(client, f"/manage/events/{event.id}/questions", {
        "label": "", "label_id": "", "kind": "text"})
    assert response.status_code == 422
    assert "Please write the question" in response.get_data(as_text=True)
    assert db.session.scalar(select(ExtraQuestion.id)) is None


def test_question_in_indonesian_only(app, event, owner):
    client = logged_in(app, owner)
    response = post_form(client, f"/manage/events/{event.id}/questions", {
        "label": "", "label_id": "Pilihan makanan", "kind": "choice",
        "choices": "", "choices_id": "Halal\nVegetarian"})
    assert response.status_code == 302, response.get_data(as_text=True)
    question = db.session.scalar(select(ExtraQuestion))
    assert question.label == "Pilihan makanan" and question.choices == ["Halal", "Vegetarian"]


# --- the registration form and what is stored ---------------------------------------------

def test_registration_form_shows_the_visitors_language(client, event, meal):
    indonesian = get_in(client, f"/events/{event.slug}/register", "id").get_data(as_text=True)
    assert "Pilihan makanan" in indonesian and "Tanpa preferensi" in indonesian
    assert "Meal preference" not in indonesian
    # the value sent is the base-language option; only the label is translated
    assert '<option value="No preference">Tanpa preferensi</option>' in indonesian
    english = get_in(client, f"/events/{event.slug}/register", "en").get_data(as_text=True)
    assert "Meal preference" in english and "Tanpa preferensi" not in english


def test_answers_are_the_same_whatever_the_language(client, event, meal):
    client.set_cookie("lang", "id")
    post_form(client, f"/events/{event.slug}/register",
              form_fields(email="budi@example.org", language="id",
                          **{f"q_{meal.id}": "No preference"}))
    client.set_cookie("lang", "en")
    response = post_form(client, f"/events/{event.slug}/register",
                         form_fields(email="jane@example.org", language="en",
                                     **{f"q_{meal.id}": "No preference"}))
    assert answers_of(event) == ["No preference", "No preference"]
    # an option text of the other language is no valid answer
    response = post_form(client, f"/events/{event.slug}/register",
                         form_fields(email="x@example.org", **{f"q_{meal.id}": "Tanpa preferensi"}))
    assert response.status_code == 422
    assert len(answers_of(event)) == 2


def test_delegate_page_shows_the_answer_in_the_delegates_language(client, event, meal):
    response = post_form(client, f"/events/{event.slug}/register",
                         form_fields(email="budi@example.org", language="id",
                                     **{f"q_{meal.id}": "No preference"}))
    link = response.headers["Location"]
    indonesian = get_in(client, link, "id").get_data(as_text=True)
    assert "Pilihan makanan" in indonesian and "Tanpa preferensi" in indonesian
    english = get_in(client, link, "en").get_data(as_text=True)
    assert "Meal preference" in english and "No preference" in english


def test_export_headers_and_answers_in_the_export_language(app, event, owner, meal):
    registration = add_registration(event)
    db.session.add(RegistrationAnswer(registration_id=registration.id, question_id=meal.id,
                                      value="No preference"))
    db.session.commit()
    client = logged_in(app, owner)

    def read(language):
        response = client.get(f"/manage/events/{event.id}/export.csv?lang={language}")
        rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8")[1:])))
        return dict(zip(rows[0], rows[1], strict=True))

    assert read("id")["Pilihan makanan"] == "Tanpa preferensi"
    assert read("en")["Meal preference"] == "No preference"
