"""The survey's results: charts and tables on the event dashboard, the post-event report (PDF
and XLSX) and the API (questions, aggregates, free text), in both languages, for staff only."""

import io
import secrets

import openpyxl
import pytest
from pypdf import PdfReader

from seminar_app.models import MailingKind, utcnow
from seminar_app.services.accounts import api_tokens
from seminar_app.services.documents.reports import render_report_pdf, render_report_xlsx
from seminar_app.services.invitations import mailings
from seminar_app.services.surveys import answering
from seminar_app.services.surveys.results import survey_results
from tests.factories import add_registration, add_team_member, logged_in, registration_event
from tests.test_survey_flow import fields, make_survey

FORMULA = "=HYPERLINK(\"http://evil.example\")"


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def event(owner):
    return registration_event(owner)


def _answered(event, *, anonymous=False, smtp=False):
    """A survey answered by three of four checked-in delegates (ratings 5, 4, 4)."""
    survey = make_survey(event, anonymous=anonymous)
    people = [add_registration(event, checked_in_at=utcnow(), given_name=f"Guest{number}")
              for number in range(4)]
    if smtp:
        mailings.create_mailing(event, MailingKind.SURVEY, {},
                                send_key=secrets.token_urlsafe(24))
    for person, rating, choice, text in ((people[0], "5", "0", "Excellent panels."),
                                         (people[1], "4", "1", FORMULA),
                                         (people[2], "4", "1", "")):
        answering.submit_answers(person, fields(survey, rating=rating, choice=choice, text=text),
                                 language="en")
    return survey, people


def test_results_count_average_rate_and_texts(app, db, event, smtp_server):
    _survey, people = _answered(event, smtp=True)
    smtp_server.wait_for(4)
    with app.test_request_context():
        results = survey_results(event, "id")
    assert results.respondents == 3 and results.asked == 4 and results.rate == 75.0
    rating, choice, text = results.questions
    assert rating.ratings == [0, 0, 0, 2, 1] and round(rating.average, 2) == 4.33
    assert rating.label == "Seberapa bermanfaat forum ini?"
    assert choice.choices == [("Hari pertama", 1), ("Hari kedua", 2)]
    assert sorted(t for _who, t in text.texts) == sorted(["Excellent panels.", FORMULA])
    assert {who for who, _t in text.texts} == {people[0].full_name, people[1].full_name}


def test_anonymous_results_carry_no_names(app, db, event):
    _answered(event, anonymous=True)
    with app.test_request_context():
        results = survey_results(event, "en")
    assert {who for who, _t in results.questions[2].texts} == {""}
    assert results.rate is None  # no survey email sent


@pytest.mark.parametrize(("language", "words"), [
    ("en", ["Feedback survey", "How useful was the forum?", "Average: 4.33 of 5",
            "Excellent panels.", "3 delegates have answered.", "No survey email"]),
    ("id", ["Survei masukan", "Seberapa bermanfaat forum ini?", "Rata-rata: 4,33 dari 5",
            "Excellent panels.", "3 delegasi telah menjawab.", "Hari kedua"]),
])
def test_dashboard_shows_charts_and_tables(app, db, owner, event, language, words):
    _answered(event)
    client = logged_in(app, owner)
    client.get(f"/language/{language}")
    page = client.get(f"/manage/events/{event.id}/dashboard")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    for word in words:
        assert word in body, word
    section = body[body.index('id="survey-results"'):]
    assert section.count("<svg") == 2  # the rating and the choice; text has none
    assert "<script" not in section


def test_dashboard_without_survey_has_no_survey_section(app, db, owner, event):
    client = logged_in(app, owner)
    body = client.get(f"/manage/events/{event.id}/dashboard").get_data(as_text=True)
    assert 'id="survey-results"' not in body


@pytest.mark.parametrize(("language", "words"), [
    ("en", ["Feedback survey", "How useful was the forum?", "Excellent panels.",
            "3 delegate(s) answered."]),
    ("id", ["Survei masukan", "Seberapa bermanfaat forum ini?", "Excellent panels.",
            "3 delegasi menjawab."]),
])
def test_report_pdf_has_the_survey(app, db, event, language, words):
    _answered(event)
    with app.test_request_context():
        pdf = render_report_pdf(event, language=language, compress=False)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for word in words:
        assert word in text, word


def test_report_xlsx_has_survey_sheets_without_formulas(app, db, event):
    _answered(event)
    with app.test_request_context():
        book = openpyxl.load_workbook(io.BytesIO(render_report_xlsx(event, language="id")))
    assert book.sheetnames[-2:] == ["Survei", "Komentar survei"]
    counted = [[cell.value for cell in row] for row in book["Survei"].iter_rows()]
    assert counted[0] == ["Pertanyaan", "Jawaban", "Jawaban", "Persentase", "Rata-rata"]
    assert ["Seberapa bermanfaat forum ini?", "4", 2, pytest.approx(2 / 3), 4.33] in counted
    assert ["Hari mana yang terbaik?", "Hari kedua", 2, pytest.approx(2 / 3), ""] in counted
    comments = [[cell.value for cell in row] for row in book["Komentar survei"].iter_rows()]
    assert any(row[2] == FORMULA for row in comments)
    for row in book["Komentar survei"].iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def test_api_questions_and_results(app, db, owner, event, client):
    _answered(event)
    secret = api_tokens.create_token(owner, name="Report")[1]
    survey = client.get(f"/api/v1/events/{event.id}/survey", headers=_bearer(secret))
    assert survey.status_code == 200
    data = survey.get_json()["data"]
    assert data["state"] == "open" and data["respondents"] == 3
    assert [q["kind"] for q in data["questions"]] == ["rating", "choice", "text"]
    assert data["questions"][1]["choices_by_language"]["id"] == ["Hari pertama", "Hari kedua"]
    results = client.get(f"/api/v1/events/{event.id}/survey/results", headers=_bearer(secret))
    body = results.get_json()["data"]
    assert results.status_code == 200 and body["respondents"] == 3
    assert body["response_rate"] is None and body["asked"] is None
    rating, choice, text = body["questions"]
    assert rating["average"] == pytest.approx(13 / 3, abs=1e-4)
    assert [item["count"] for item in rating["ratings"]] == [0, 0, 0, 2, 1]
    assert choice["choices"] == [{"option": 0, "count": 1}, {"option": 1, "count": 2}]
    assert {item["text"] for item in text["texts"]} == {"Excellent panels.", FORMULA}
    assert all(item["name"] for item in text["texts"])


def test_api_hides_names_of_an_anonymous_survey(app, db, owner, event, client):
    _answered(event, anonymous=True)
    secret = api_tokens.create_token(owner, name="Report")[1]
    body = client.get(f"/api/v1/events/{event.id}/survey/results",
                      headers=_bearer(secret)).get_json()["data"]
    assert body["anonymous"] is True
    assert all(item["name"] is None for item in body["questions"][2]["texts"])


@pytest.mark.parametrize(("language", "message"), [
    ("en", "This event has no feedback survey."),
    ("id", "Acara ini tidak memiliki survei masukan."),
])
def test_api_without_survey_is_404_translated(app, db, owner, event, client, language,
                                              message):
    secret = api_tokens.create_token(owner, name="Report")[1]
    for path in ("survey", "survey/results"):
        response = client.get(f"/api/v1/events/{event.id}/{path}",
                              headers={**_bearer(secret), "Accept-Language": language})
        assert response.status_code == 404
        assert response.get_json()["error"]["message"] == message


def test_api_and_dashboard_refuse_outsiders(app, db, make_user, event, client):
    _answered(event)
    assert client.get(f"/api/v1/events/{event.id}/survey/results").status_code == 401
    outsider = make_user("organizer")
    secret = api_tokens.create_token(outsider, name="Other")[1]
    response = client.get(f"/api/v1/events/{event.id}/survey/results", headers=_bearer(secret))
    assert response.status_code == 404
    assert logged_in(app, outsider).get(
        f"/manage/events/{event.id}/dashboard").status_code == 403
    viewer = make_user("staff")
    add_team_member(event, viewer)
    secret = api_tokens.create_token(viewer, name="Viewer")[1]
    assert client.get(f"/api/v1/events/{event.id}/survey/results",
                      headers=_bearer(secret)).status_code == 200


def test_markup_in_free_text_is_shown_as_written(app, db, owner, event):
    survey = make_survey(event)
    delegate = add_registration(event, checked_in_at=utcnow())
    written = "<b>Great</b> & <script>alert(1)</script> <para>"
    answering.submit_answers(delegate, fields(survey, text=written), language="en")
    with app.test_request_context():
        pdf = render_report_pdf(event, language="en", compress=False)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "<b>Great</b> &" in text
    body = logged_in(app, owner).get(f"/manage/events/{event.id}/dashboard").get_data(
        as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body
