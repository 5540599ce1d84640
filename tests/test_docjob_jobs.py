"""Documents as background jobs: big badges, reports and exports are built by the worker.

The queue is switched out of immediate mode (as in production: tasks wait until a worker takes
them); ``run_worker`` then plays the worker. DOCUMENT_JOB_THRESHOLD is lowered to 3.
"""

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from seminar_app.crypto import KeyRing
from seminar_app.database import reading
from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    DocumentChunk,
    DocumentJob,
    RegistrationStatus,
    utcnow,
)
from seminar_app.services.documents import document_jobs
from tests.conftest import post_form
from tests.factories import add_registration, add_team_member
from tests.public_factories import create_event
from tests.test_exports import read_xlsx


@pytest.fixture
def queue(app, monkeypatch):
    """The app's queue as in production; a threshold of 3 delegates."""
    monkeypatch.setitem(app.config, "DOCUMENT_JOB_THRESHOLD", 3)
    huey = app.extensions["huey"]
    monkeypatch.setattr(huey, "immediate", False)
    huey.flush()
    yield huey
    huey.flush()


def run_worker(queue) -> int:
    """Run every waiting task (and the tasks they queue) like a consumer; how many ran."""
    db.session.commit()  # the test's own transaction holds SQLite's write lock: end it
    ran = 0
    while (task := queue.dequeue()) is not None:
        queue.execute(task)
        ran += 1
    return ran


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return create_event(owner, slug="un-forum", letter_signatory_name="Siti Maulidiah")


@pytest.fixture
def big_event(event):
    for number in range(5):
        add_registration(event, given_name=f"Delegate {number}", country="ID" if number else "GR")
    add_registration(event, status=RegistrationStatus.PENDING)
    return event


def _url(event, tail=""):
    return f"/manage/events/{event.id}/{tail}"


def _jobs() -> list[DocumentJob]:
    db.session.expire_all()
    return list(db.session.scalars(select(DocumentJob).order_by(DocumentJob.id)))


def _job_url(job, tail=""):
    return f"/manage/events/{job.event_id}/documents/jobs/{job.id}{tail}"


def _pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _start_badges(client, event, query="layout=single&lang=en"):
    response = client.get(_url(event, f"badges.pdf?{query}"))
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    [job] = _jobs()
    assert response.headers["Location"].endswith(_job_url(job))
    return job


# --- small stays instant, big becomes a job --------------------------------------------------

def test_a_small_event_gets_its_badges_at_once(client, auth, owner, event, queue):
    add_registration(event)
    add_registration(event)
    auth.login(owner)
    response = client.get(_url(event, "badges.pdf"))
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    assert _jobs() == []


def test_big_badges_become_a_job_the_worker_builds(client, auth, owner, big_event, queue,
                                                   app, monkeypatch):
    auth.login(owner)
    job = _start_badges(client, big_event)
    assert job.status == "queued" and job.progress_total == 5
    assert job.params == {"layout": "single", "status": "confirmed", "language": "en"}
    page = client.get(_job_url(job)).get_data(as_text=True)
    assert "Waiting for the worker" in page
    assert 'hx-trigger="every 2s"' in page
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "document.job_start")) == 1

    # the same request again while it waits: the same job, not a second one
    assert client.get(_url(big_event, "badges.pdf?layout=single&lang=en")).status_code == 303
    assert len(_jobs()) == 1

    assert run_worker(queue) == 1
    [job] = _jobs()
    assert job.status == "done" and job.attempts == 1
    assert job.progress_done == job.progress_total == 5
    assert job.expires_at > utcnow() + timedelta(hours=23)
    fragment = client.get(_job_url(job, "/progress")).get_data(as_text=True)
    assert "every 2s" not in fragment  # polling stops
    assert "Download (" in fragment and "Available until" in fragment and "WIB" in fragment

    response = client.get(_job_url(job, "/download"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename=badges-un-forum-confirmed-single.pdf')
    assert response.headers["Cache-Control"] == "private, no-store"
    built = response.data
    assert len(built) == job.size
    assert _pages(built) == 5
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "document.download")) == 1

    # the instant route gives the same file for the same data
    monkeypatch.setitem(app.config, "DOCUMENT_JOB_THRESHOLD", 1000)
    instant = client.get(_url(big_event, "badges.pdf?layout=single&lang=en"))
    assert instant.data == built

    # the documents page lists the job with its download
    monkeypatch.setitem(app.config, "DOCUMENT_JOB_THRESHOLD", 3)
    documents = client.get(_url(big_event, "documents")).get_data(as_text=True)
    assert _job_url(job, "/download") in documents


def test_the_badge_job_reads_no_passport_data(client, auth, owner, big_event, queue,
                                              monkeypatch):
    add_registration(big_event, given_name="Visa Person", needs_visa_letter=True,
                     passport_number="X98765432", nationality="FR",
                     birth_date=date(1971, 2, 3), birth_place="Valparaiso")
    decrypted = []
    original = KeyRing.decrypt

    def decrypt(self, stored, context):
        decrypted.append(context)
        return original(self, stored, context)

    monkeypatch.setattr(KeyRing, "decrypt", decrypt)
    auth.login(owner)
    job = _start_badges(client, big_event)
    run_worker(queue)
    [job] = _jobs()
    assert job.status == "done", job.error
    assert not [context for context in decrypted if context.startswith("registrations.")]
    assert _pages(client.get(_job_url(job, "/download")).data) == 6


def test_a_big_file_is_stored_and_streamed_in_chunks(client, auth, owner, big_event, queue,
                                                     monkeypatch):
    monkeypatch.setattr(document_jobs, "CHUNK_SIZE", 1000)
    auth.login(owner)
    job = _start_badges(client, big_event, "layout=a4&lang=id")
    run_worker(queue)
    chunks = db.session.scalar(select(func.count()).select_from(DocumentChunk)
                               .where(DocumentChunk.job_id == job.id))
    assert chunks > 2
    response = client.get(_job_url(job, "/download"))
    assert response.is_streamed
    assert _pages(response.data) == 1  # five badges on one A4 sheet


def test_big_reports_and_exports_become_jobs(client, auth, owner, big_event, queue):
    auth.login(owner)
    for path, kind in (("dashboard/report.pdf?lang=id", "report_pdf"),
                       ("dashboard/report.xlsx", "report_xlsx"),
                       ("export.xlsx?status=confirmed", "registrations_xlsx"),
                       ("export.csv", "registrations_csv")):
        response = client.get(_url(big_event, path))
        assert response.status_code == 303, path
        assert _jobs()[-1].kind == kind
    run_worker(queue)
    jobs = {job.kind: job for job in _jobs()}
    assert all(job.status == "done" for job in jobs.values()), [j.error for j in jobs.values()]

    report = client.get(_job_url(jobs["report_pdf"], "/download"))
    assert report.data.startswith(b"%PDF") and _pages(report.data) >= 1
    assert "Laporan" in PdfReader(io.BytesIO(report.data)).pages[0].extract_text()

    rows, _sheet = read_xlsx(client.get(_job_url(jobs["registrations_xlsx"], "/download")).data)
    assert len(rows) == 1 + 5  # the header and the five confirmed delegates
    csv_text = client.get(_job_url(jobs["registrations_csv"], "/download")).data.decode()
    assert csv_text.startswith("\ufeff") and csv_text.count("\r\n") == 1 + 6
    assert client.get(_job_url(jobs["report_xlsx"], "/download")).data[:2] == b"PK"


# --- a worker that stops ---------------------------------------------------------------------

def _as_if_the_worker_died(job, attempts: int):
    job = db.session.get(DocumentJob, job.id)
    job.status, job.attempts = "running", attempts
    job.heartbeat_at = utcnow() - timedelta(minutes=5)
    db.session.commit()


def test_a_job_whose_worker_stopped_is_picked_up_again(client, auth, owner, big_event, queue):
    auth.login(owner)
    job = _start_badges(client, big_event)
    queue.flush()  # the worker took the task and died while building
    _as_if_the_worker_died(job, attempts=1)
    assert "Being prepared" in client.get(_job_url(job)).get_data(as_text=True)

    db.session.commit()
    document_jobs.sweep_document_jobs()
    assert _jobs()[0].status == "queued"
    assert run_worker(queue) == 1
    [job] = _jobs()
    assert job.status == "done" and job.attempts == 2
    assert _pages(client.get(_job_url(job, "/download")).data) == 5


def test_a_fresh_heartbeat_is_left_alone(client, auth, owner, big_event, queue):
    auth.login(owner)
    job = _start_badges(client, big_event)
    queue.flush()
    _as_if_the_worker_died(job, attempts=1)
    job = db.session.get(DocumentJob, job.id)
    job.heartbeat_at = utcnow() - timedelta(seconds=30)
    db.session.commit()
    assert document_jobs.sweep_document_jobs() == []
    assert _jobs()[0].status == "running"


def test_after_two_attempts_the_job_fails_and_try_again_works(client, auth, owner, big_event,
                                                             queue):
    auth.login(owner)
    job = _start_badges(client, big_event)
    queue.flush()
    _as_if_the_worker_died(job, attempts=2)
    db.session.commit()
    assert document_jobs.sweep_document_jobs() == []
    [job] = _jobs()
    assert job.status == "failed"
    page = client.get(_job_url(job)).get_data(as_text=True)
    assert "Try again" in page and "every 2s" not in page
    assert "The worker preparing it stopped 2 times." in page

    # a failed job is not reused: asking again starts a new one
    client.get(_url(big_event, "badges.pdf?layout=single&lang=en"))
    assert len(_jobs()) == 2
    queue.flush()

    response = post_form(client, _job_url(job, "/retry"))
    assert response.status_code == 303
    [job, _second] = _jobs()
    assert job.status == "queued" and job.attempts == 0
    run_worker(queue)
    job = db.session.get(DocumentJob, job.id)
    assert job.status == "done"
    assert _pages(client.get(_job_url(job, "/download")).data) == 5
    # only a failed job can be retried
    response = post_form(client, _job_url(job, "/retry"), follow_redirects=True)
    assert "Only a document that failed" in response.get_data(as_text=True)


def test_retry_needs_the_csrf_token(client, auth, owner, big_event, queue):
    auth.login(owner)
    job = _start_badges(client, big_event)
    assert client.post(_job_url(job, "/retry")).status_code == 400


def test_a_render_error_marks_the_job_failed(client, auth, owner, big_event, queue):
    auth.login(owner)
    job = _start_badges(client, big_event)
    job = db.session.get(DocumentJob, job.id)
    job.params = {**job.params, "layout": "poster"}  # a layout the renderer refuses
    db.session.commit()
    run_worker(queue)
    [job] = _jobs()
    assert job.status == "failed" and "poster" in job.error
    assert "Try again" in client.get(_job_url(job)).get_data(as_text=True)


# --- who may see it --------------------------------------------------------------------------

def test_a_job_is_refused_to_other_events_users_and_anonymous(client, auth, owner, make_user,
                                                              big_event, queue):
    auth.login(owner)
    job = _start_badges(client, big_event)
    run_worker(queue)
    auth.logout()

    for tail in ("", "/progress", "/download"):
        response = client.get(_job_url(job, tail))
        assert response.status_code == 302 and "/manage/login" in response.headers["Location"]

    stranger = make_user("organizer")
    own_event = create_event(stranger)
    auth.login(stranger)
    for tail in ("", "/progress", "/download"):
        assert client.get(_job_url(job, tail)).status_code == 403
    # the job through an event the stranger does own: not found
    url = f"/manage/events/{own_event.id}/documents/jobs/{job.id}/download"
    assert client.get(url).status_code == 404
    assert post_form(client, _job_url(job, "/retry")).status_code == 403


def test_an_export_with_passport_data_is_refused_to_the_team(client, auth, owner, make_user,
                                                             big_event, queue):
    add_registration(big_event, needs_visa_letter=True, passport_number="AE1234567",
                     nationality="GR", birth_date=date(1980, 7, 14), birth_place="Athens",
                     passport_expiry=date(2032, 1, 9))
    auth.login(owner)
    client.get(_url(big_event, "export.xlsx"))
    run_worker(queue)
    [job] = _jobs()
    assert job.params["with_passport"] is True and job.status == "done"
    rows, _sheet = read_xlsx(client.get(_job_url(job, "/download")).data)
    assert any("AE1234567" in row for row in rows)
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "passport.read")) == 1
    auth.logout()

    member = make_user("staff")
    add_team_member(big_event, member)
    auth.login(member)
    assert client.get(_job_url(job, "/download")).status_code == 403
    assert _job_url(job) not in client.get(_url(big_event, "documents")).get_data(as_text=True)
    # the member's own export leaves the passport data out: another job
    client.get(_url(big_event, "export.xlsx"))
    assert [j.params["with_passport"] for j in _jobs()] == [True, False]


# --- expiry ----------------------------------------------------------------------------------

def test_an_expired_job_is_gone_and_swept(client, auth, owner, big_event, queue):
    auth.login(owner)
    job = _start_badges(client, big_event)
    run_worker(queue)
    job = db.session.get(DocumentJob, job.id)
    job.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    for tail in ("", "/progress", "/download"):
        assert client.get(_job_url(job, tail)).status_code == 404
    assert _job_url(job) not in client.get(_url(big_event, "documents")).get_data(as_text=True)

    db.session.commit()
    document_jobs.sweep_document_jobs()
    assert _jobs() == []
    assert db.session.scalar(select(func.count()).select_from(DocumentChunk)) == 0


def test_a_queued_job_whose_task_was_lost_is_handed_over_again(app, client, auth, owner,
                                                                big_event, queue):
    auth.login(owner)
    job = _start_badges(client, big_event)
    queue.flush()  # the task never reached a worker
    assert run_worker(queue) == 0
    app_tasks = app.extensions["huey_tasks"]
    app_tasks["sweep_document_jobs"].call_local()  # a fresh job is left alone
    assert run_worker(queue) == 0
    job = db.session.get(DocumentJob, job.id)
    job.created_at = utcnow() - timedelta(minutes=3)
    db.session.commit()
    queue.flush()  # forget the first run's claim of this minute's slot (services.tasks)
    app_tasks["sweep_document_jobs"].call_local()  # the periodic task, as the worker runs it
    assert run_worker(queue) == 1
    assert _jobs()[0].status == "done"


def _try_to_write(app) -> bool:
    """Whether another connection gets SQLite's write lock within 0.1 s."""
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 100")
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except Exception:  # noqa: BLE001 - sqlite3.OperationalError: database is locked
            return False
        cursor.execute("ROLLBACK")
        return True
    finally:
        connection.close()


def test_building_a_document_holds_no_write_lock(app, big_event):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the write lock is SQLite's")
    db.session.commit()
    with reading():
        assert db.session.scalar(select(func.count(DocumentJob.id))) == 0  # the build reads
        assert _try_to_write(app)  # registrations go on meanwhile
    # the worker's ordinary transactions take the lock at once (BEGIN IMMEDIATE)
    db.session.scalar(select(func.count(DocumentJob.id)))
    assert not _try_to_write(app)
    db.session.rollback()


def test_the_chunk_writer_cuts_exact_chunks(app, owner, event, monkeypatch):
    monkeypatch.setattr(document_jobs, "CHUNK_SIZE", 10)
    job = DocumentJob(event_id=event.id, kind="badges", params={}, created_by_id=owner.id)
    db.session.add(job)
    db.session.flush()
    data = bytes(range(256)) * 3
    out = document_jobs._ChunkWriter(job.id)
    for piece in (data[:3], data[3:4], data[4:500], data[500:]):
        out.write(piece)
    out.close()
    db.session.commit()
    assert out.size == len(data) and out.number == 77
    assert b"".join(document_jobs.iter_chunks(job.id)) == data


# --- both languages --------------------------------------------------------------------------

def test_the_job_page_in_indonesian(client, auth, owner, big_event, queue):
    owner.language = "id"  # staff see the interface in their own language once logged in
    db.session.commit()
    client.set_cookie("lang", "id")
    auth.login(owner)
    job = _start_badges(client, big_event)
    page = client.get(_job_url(job)).get_data(as_text=True)
    assert "Menunggu" in page
    run_worker(queue)
    page = client.get(_job_url(job)).get_data(as_text=True)
    assert "Unduh (" in page and "Tersedia sampai" in page


# --- the documents page paginates -------------------------------------------------------------

def test_the_visa_letter_list_shows_fifty_per_page(client, auth, owner, event):
    for number in range(55):
        add_registration(event, needs_visa_letter=True, family_name=f"Zed{number:02d}")
    auth.login(owner)
    first = client.get(_url(event, "documents")).get_data(as_text=True)
    assert first.count("visa-letter.pdf?lang=en") == 50
    assert "page=2" in first
    second = client.get(_url(event, "documents?page=2")).get_data(as_text=True)
    assert second.count("visa-letter.pdf?lang=en") == 5
