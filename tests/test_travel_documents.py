"""The travel documents staff take away (issue 17): the rooming list XLSX and the arrivals and
departures boards of every day as PDF. A small event gets them at once; from
DOCUMENT_JOB_THRESHOLD (3 here) travellers on they are built by the worker like the other big
documents, and the all-days page of a big board offers the PDF instead of listing every row.
"""

import io
from datetime import timedelta

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import DocumentJob, TravelPlan
from tests.conftest import post_form
from tests.factories import add_registration, logged_in
from tests.test_docjob_jobs import queue as jobs_queue  # noqa: F401 - the fixture
from tests.test_docjob_jobs import run_worker
from tests.test_travel_boards import _plan, _utc
from tests.travel_helpers import travel_event


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def worker_queue(request):
    """The queue as in production (tasks wait for ``run_worker``), a threshold of 3."""
    return request.getfixturevalue("jobs_queue")


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _jobs() -> list[DocumentJob]:
    db.session.expire_all()
    return list(db.session.scalars(select(DocumentJob).order_by(DocumentJob.id)))


def _travellers(event, hotel, count: int) -> list:
    """``count`` delegates with a hotel, arriving over the two days before the event."""
    guests = []
    for number in range(count):
        guest = add_registration(event, given_name=f"Traveller{number}", country="NL")
        _plan(guest, event, hotel, arrive=_utc(event, -1 - number % 2, 10 + number))
        guests.append(guest)
    return guests


def _download(browser, response) -> bytes:
    """Follow a started job to its file (after the worker built it)."""
    assert response.status_code == 303
    assert "/documents/jobs/" in response.location
    download = browser.get(response.location.rstrip("/") + "/download")
    assert download.status_code == 200
    return download.data


def _changed_column(data: bytes, sheet: str) -> dict[str, str]:
    rows = list(openpyxl.load_workbook(io.BytesIO(data))[sheet].values)
    return {row[1]: row[11] for row in rows[1:]}


@pytest.mark.parametrize(("language", "sheet", "yes", "label"), [
    ("en", "Room blocks", "Yes", "Rooming list (Excel)"),
    ("id", "Blok kamar", "Ya", "Daftar kamar (Excel)"),
])
def test_a_big_rooming_list_is_built_by_the_worker_and_marks_changes_since_the_export_before(
        app, owner, worker_queue, language, sheet, yes, label):
    event, hotel = travel_event(owner)
    guests = _travellers(event, hotel, 4)
    browser = logged_in(app, owner)
    browser.set_cookie("lang", language)
    started = post_form(browser, f"/manage/events/{event.id}/travel/rooming.xlsx")
    [job] = _jobs()
    assert job.kind == "rooming_xlsx" and job.progress_total == 4
    assert label in browser.get(started.location).get_data(as_text=True)
    run_worker(worker_queue)
    data = _download(browser, started)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Hotel Borobudur", sheet]
    first = _changed_column(data, "Hotel Borobudur")
    assert sorted(first) == sorted(f"Traveller{n} {g.family_name}" for n, g in enumerate(guests))
    assert set(first.values()) == {yes}  # the first export: every row is new

    # one guest changes their hotel nights; the next export marks only that one
    plan = db.session.scalar(select(TravelPlan).where(TravelPlan.registration_id == guests[2].id))
    _plan(guests[2], event, hotel, arrive=plan.arrival_at + timedelta(hours=1))
    started = post_form(browser, f"/manage/events/{event.id}/travel/rooming.xlsx")
    assert len(_jobs()) == 2  # not the first job again: its marks are older
    run_worker(worker_queue)
    second = _changed_column(_download(browser, started), "Hotel Borobudur")
    assert [name for name, mark in second.items() if mark] == [
        f"Traveller2 {guests[2].family_name}"]


@pytest.mark.parametrize(("kind", "word"), [("arrivals", "Arrivals board"),
                                            ("departures", "Departures")])
def test_a_small_board_pdf_comes_at_once(app, owner, kind, word):
    event, hotel = travel_event(owner)
    _travellers(event, hotel, 2)
    browser = logged_in(app, owner)
    response = browser.get(f"/manage/events/{event.id}/travel/{kind}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f"-{kind}-" in response.headers["Content-Disposition"]
    text = _text(response.data)
    assert word in text and "Traveller0" in text and "Traveller1" in text
    assert _jobs() == []


def test_a_big_board_is_a_pdf_job_and_its_all_days_page_offers_it(app, owner, worker_queue):
    event, hotel = travel_event(owner)
    _travellers(event, hotel, 4)
    browser = logged_in(app, owner)
    browser.set_cookie("lang", "id")
    page = browser.get(f"/manage/events/{event.id}/travel/arrivals?day=all").get_data(
        as_text=True)
    assert "data-whole-as-pdf" in page and "data-board-row" not in page
    assert "4 delegasi" in page
    # one day still lists its rows
    day_page = browser.get(f"/manage/events/{event.id}/travel/arrivals").get_data(as_text=True)
    assert day_page.count("data-board-row=") == 2

    started = browser.get(f"/manage/events/{event.id}/travel/arrivals.pdf")
    [job] = _jobs()
    assert (job.kind, job.params, job.progress_total) == ("arrivals_pdf", {"language": "id"}, 4)
    run_worker(worker_queue)
    text = _text(_download(browser, started))
    assert all(f"Traveller{n}" in text for n in range(4))


def test_below_the_threshold_the_all_days_page_lists_every_row(app, owner):
    event, hotel = travel_event(owner)
    _travellers(event, hotel, 4)
    browser = logged_in(app, owner)
    page = browser.get(f"/manage/events/{event.id}/travel/arrivals?day=all").get_data(
        as_text=True)
    assert "data-whole-as-pdf" not in page and page.count("data-board-row=") == 4


def test_travel_documents_are_refused_outside_the_team(app, owner, make_user, client):
    event, hotel = travel_event(owner)
    _travellers(event, hotel, 1)
    stranger = logged_in(app, make_user("organizer", email="other@example.org"))
    for kind in ("arrivals", "departures"):
        assert stranger.get(f"/manage/events/{event.id}/travel/{kind}.pdf").status_code == 403
        assert client.get(f"/manage/events/{event.id}/travel/{kind}.pdf").status_code == 302
    assert post_form(stranger, f"/manage/events/{event.id}/travel/rooming.xlsx"
                     ).status_code == 403
