"""Extra registration questions: the service and the editor pages."""

import pytest
from sqlalchemy import select

from seminar_app.models import AuditEntry, ExtraQuestion, QuestionKind, RegistrationAnswer
from seminar_app.services.errors import Conflict, ServiceError
from seminar_app.services.registration import questions as service
from tests.conftest import post_form
from tests.factories import add_registration, add_team_member, logged_in
from tests.public_factories import create_event


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return create_event(owner)


def _labels(event):
    return [q.label for q in service.event_questions(event)]


def test_add_question_appends_and_audits(app, event, owner, db):
    service.add_question(event, label="Arrival flight", kind="text", actor=owner)
    question = service.add_question(event, label="Meal", kind="choice",
                                    choices=["Halal", "Vegetarian", "Halal", " "], required=True)
    assert _labels(event) == ["Arrival flight", "Meal"]
    assert question.choices == ["Halal", "Vegetarian"] and question.required
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("question.create") == 2


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"label": "", "kind": "text"}, "label"),
    ({"label": "x" * 301, "kind": "text"}, "label"),
    ({"label": "Meal", "kind": "essay"}, "kind"),
    ({"label": "Meal", "kind": "choice", "choices": ["Only one"]}, "choices"),
    ({"label": "Meal", "kind": "choice", "choices": [str(i) for i in range(51)]}, "choices"),
    ({"label": "Meal", "kind": "choice", "choices": ["a" * 201, "b"]}, "choices"),
])
def test_add_question_refuses_bad_values(app, event, kwargs, field):
    with app.test_request_context(), pytest.raises(ServiceError) as error:
        service.add_question(event, **kwargs)
    assert error.value.field == field
    assert _labels(event) == []


def test_update_question_keeps_kind_once_answered(app, event):
    question = service.add_question(event, label="Flight", kind="text")
    registration = add_registration(event)
    service.db.session.add(RegistrationAnswer(registration_id=registration.id,
                                              question_id=question.id, value="GA 88"))
    service.db.session.commit()
    with app.test_request_context(), pytest.raises(Conflict):
        service.update_question(question, label="Flight", kind="yes_no")
    service.update_question(question, label="Flight number", kind="text", required=True)
    assert (question.label, question.required) == ("Flight number", True)


def test_delete_question_removes_answers_and_renumbers(app, event, db):
    first = service.add_question(event, label="One", kind="text")
    second = service.add_question(event, label="Two", kind="text")
    registration = add_registration(event)
    db.session.add(RegistrationAnswer(registration_id=registration.id, question_id=first.id,
                                      value="x"))
    db.session.commit()
    service.delete_question(first)
    assert db.session.scalars(select(RegistrationAnswer)).all() == []
    assert (second.position, _labels(event)) == (0, ["Two"])


def test_move_question_up_and_down(app, event):
    for label in ("A", "B", "C"):
        service.add_question(event, label=label, kind="text")
    c = service.event_questions(event)[2]
    service.move_question(c, direction="up")
    assert _labels(event) == ["A", "C", "B"]
    service.move_question(service.event_questions(event)[0], direction="up")  # already first
    assert _labels(event) == ["A", "C", "B"]
    service.move_question(service.event_questions(event)[0], direction="down")
    assert _labels(event) == ["C", "A", "B"]


# --- pages -----------------------------------------------------------------------------------

def test_questions_page_adds_a_choice_question(app, event, owner):
    client = logged_in(app, owner)
    url = f"/manage/events/{event.id}/questions"
    response = post_form(client, url, {"label": "Meal", "kind": "choice",
                                       "choices": "Halal\nVegetarian\n", "required": "y"})
    assert response.status_code == 302
    question = service.event_questions(event)[0]
    assert (question.kind, question.choices) == (QuestionKind.CHOICE, ["Halal", "Vegetarian"])
    assert "Meal" in client.get(url).get_data(as_text=True)


def test_questions_page_refuses_a_choice_with_one_option(app, event, owner):
    client = logged_in(app, owner)
    response = post_form(client, f"/manage/events/{event.id}/questions",
                         {"label": "Meal", "kind": "choice", "choices": "Halal"})
    assert response.status_code == 422
    assert "is-invalid" in response.get_data(as_text=True)
    assert _labels(event) == []


def test_question_edit_delete_and_move_pages(app, event, owner):
    client = logged_in(app, owner)
    first = service.add_question(event, label="First", kind="text")
    second = service.add_question(event, label="Second", kind="yes_no")
    base = f"/manage/events/{event.id}/questions"
    assert client.get(f"{base}/{first.id}/edit").status_code == 200
    response = post_form(client, f"{base}/{first.id}/edit", {"label": "First <b>", "kind": "text"})
    assert response.status_code == 302
    assert post_form(client, f"{base}/{second.id}/move", {"direction": "up"}).status_code == 302
    assert _labels(event) == ["Second", "First <b>"]
    assert post_form(client, f"{base}/{second.id}/move", {"direction": "sideways"}).status_code \
        == 400
    page = client.get(base).get_data(as_text=True)
    assert "First &lt;b&gt;" in page and "First <b>" not in page
    assert post_form(client, f"{base}/{first.id}/delete").status_code == 302
    assert _labels(event) == ["Second"]


def test_question_of_another_event_is_not_found(app, event, owner):
    other = create_event(owner)
    question = service.add_question(other, label="Elsewhere", kind="text")
    client = logged_in(app, owner)
    base = f"/manage/events/{event.id}/questions/{question.id}"
    assert client.get(f"{base}/edit").status_code == 404
    assert post_form(client, f"{base}/delete").status_code == 404
    assert service.db.session.get(ExtraQuestion, question.id) is not None


def test_questions_page_needs_manage(app, event, make_user):
    viewer = make_user("staff")
    add_team_member(event, viewer, can_invite=True)
    client = logged_in(app, viewer)
    assert client.get(f"/manage/events/{event.id}/questions").status_code == 403
