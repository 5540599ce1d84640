"""The staff accreditation pages: the queue, a nomination with its letter and photos, the
decisions through the forms (both languages, 4xx for bad input, 409 for stale decisions), who
may see what, the event tab with the number waiting, and simultaneous decisions through the
real server (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

import re
import threading
import urllib.error
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    Nomination,
    NominationMember,
    NominationStatus,
    Registration,
    RegistrationStatus,
)
from tests.conftest import PASSWORD, post_form
from tests.factories import add_registration, add_team_member, registration_event
from tests.test_accreditation_service import TINY_PDF, fresh, member_ids, nominate
from tests.test_concurrency import (  # noqa: F401
    Browser,
    _no_rate_limits,
    live_server,
    release_database,
    stored,
)

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def url(event, nomination=None, tail=""):
    base = f"/manage/events/{event.id}/accreditation"
    return f"{base}/{nomination.id}{tail}" if nomination is not None else base


def letter_reads() -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "nomination.letter_read"))


# --- the queue and a nomination --------------------------------------------------------------

def test_queue_lists_nominations_waiting_first_with_the_forwarded_flag(client, auth, owner):
    event = registration_event(owner)
    returned = nominate(event, status=NominationStatus.RETURNED)
    waiting = nominate(event, forwarded=True)
    nominate(event, status=NominationStatus.DRAFT)
    auth.login(owner)
    response = client.get(url(event))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = re.findall(r'data-nomination="(\d+)"', page)
    assert rows == [str(waiting.id), str(returned.id)]  # the draft is not shown
    assert page.count("data-forwarded") == 1 and "forwarded link" in page
    assert "Thailand" in page and waiting.invitee.name in page and waiting.organisation in page
    assert 'data-count="submitted">1<' in page
    # the event's tabs show the accreditation tab with the number waiting
    assert "Accreditation (1 waiting)" in page
    client.set_cookie("lang", "id")
    page = client.get(url(event)).get_data(as_text=True)
    assert "Akreditasi (1 menunggu)" in page and "tautan diteruskan" in page
    assert "Narahubung" in page


def test_the_tab_is_hidden_without_missions_and_from_staff_without_the_manage_right(
        client, auth, owner, make_user):
    event = registration_event(owner)
    auth.login(owner)
    assert "Accreditation" not in client.get(f"/manage/events/{event.id}").get_data(as_text=True)
    nominate(event)
    assert "Accreditation (1 waiting)" in client.get(
        f"/manage/events/{event.id}").get_data(as_text=True)
    viewer = make_user("staff")
    add_team_member(event, viewer, can_checkin=True, can_invite=True)
    auth.logout()
    auth.login(viewer)
    assert "Accreditation" not in client.get(
        f"/manage/events/{event.id}/registrations").get_data(as_text=True)


def test_nomination_page_shows_the_letter_members_and_photos(client, auth, owner):
    event = registration_event(owner)
    nomination = nominate(event, members=3, visa=(2,))
    auth.login(owner)
    response = client.get(url(event, nomination))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "data-letter-frame" in page and url(event, nomination, "/letter") in page
    assert "download=1" in page
    assert page.count("data-member-photo") == 3 and page.count('form="accredit-form"') >= 3
    assert "needs a visa letter" in page
    photo = client.get(url(event, nomination,
                           f"/members/{nomination.members[0].id}/photo?size=thumbnail"))
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.headers["Cache-Control"] == "private, no-store"


def test_letter_is_served_inline_sandboxed_and_audited(client, auth, owner):
    event = registration_event(owner)
    nomination = nominate(event)
    auth.login(owner)
    response = client.get(url(event, nomination, "/letter"))
    assert response.status_code == 200 and response.data == TINY_PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    download = client.get(url(event, nomination, "/letter?download=1"))
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert letter_reads() == 2


def test_letter_and_photos_are_refused_to_anyone_else(client, auth, app, owner, make_user):
    event = registration_event(owner)
    nomination = nominate(event)
    draft = nominate(event, status=NominationStatus.DRAFT)
    without_letter = nominate(event, letter=False)
    letter_url = url(event, nomination, "/letter")
    photo_url = url(event, nomination, f"/members/{nomination.members[0].id}/photo")
    for path in (letter_url, photo_url, url(event), url(event, nomination)):
        response = client.get(path)  # anonymous: to the login page
        assert response.status_code == 302 and "/manage/login" in response.headers["Location"]
    viewer = make_user("staff")
    add_team_member(event, viewer, can_checkin=True, can_invite=True)
    auth.login(viewer)
    for path in (letter_url, photo_url, url(event), url(event, nomination)):
        assert client.get(path).status_code == 403, path
    assert post_form(client, url(event, nomination, "/accredit"),
                     {"members": member_ids(nomination)}).status_code == 403
    auth.logout()
    auth.login(owner)
    other_event = registration_event(owner)
    assert client.get(url(other_event, nomination, "/letter")).status_code == 404
    assert client.get(url(event, draft)).status_code == 404
    assert client.get(url(event, draft, "/letter")).status_code == 404
    assert client.get(url(event, without_letter, "/letter")).status_code == 404
    other = nominate(other_event)
    assert client.get(url(event, nomination,
                          f"/members/{other.members[0].id}/photo")).status_code == 404
    assert letter_reads() == 0


# --- decisions through the forms -------------------------------------------------------------

def test_accredit_some_then_again_is_409_and_nothing_changes(client, auth, owner):
    event = registration_event(owner)
    nomination = nominate(event, members=3)
    auth.login(owner)
    ids = member_ids(nomination, [0, 1])
    response = post_form(client, url(event, nomination, "/accredit"), {"members": ids})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 members accredited and confirmed" in page
    assert page.count('data-member-status="accredited"') == 2
    count = db.session.scalar(select(func.count(Registration.id)))
    response = post_form(client, url(event, nomination, "/accredit"), {"members": ids})
    assert response.status_code == 409
    assert "already been decided" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Registration.id))) == count
    # accredited members appear in the participant list as registrations
    participants = client.get(f"/manage/events/{event.id}/registrations").get_data(as_text=True)
    assert nomination.members[0].family_name in participants


def test_accredit_all_when_full_goes_to_the_waiting_list(client, auth, owner):
    event = registration_event(owner, capacity=2)
    add_registration(event)
    nomination = nominate(event, members=2)
    auth.login(owner)
    response = post_form(client, url(event, nomination, "/accredit"),
                         {"members": member_ids(nomination)}, follow_redirects=True)
    assert response.status_code == 200
    assert "on the waiting list, together as one delegation" in response.get_data(as_text=True)
    statuses = [status for email, (status, _c) in stored(event).items() if email.startswith("m")]
    assert statuses == [WAITLISTED, WAITLISTED]
    assert fresh(Nomination, nomination.id).status == NominationStatus.DECIDED.value


@pytest.mark.parametrize(("language", "message"), [
    ("en", "Choose the members to accredit."),
    ("id", "Pilih anggota yang akan diakreditasi."),
])
def test_accrediting_nobody_is_refused_in_both_languages(client, auth, owner, language,
                                                          message):
    event = registration_event(owner)
    nomination = nominate(event)
    auth.login(owner)
    client.set_cookie("lang", language)
    response = post_form(client, url(event, nomination, "/accredit"), {"members": ["x"]})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize(("language", "message"), [
    ("en", "Please give a reason."),
    ("id", "Mohon tuliskan alasannya."),
])
def test_return_and_not_accredited_need_a_reason_in_both_languages(client, auth, owner,
                                                                   language, message):
    event = registration_event(owner)
    nomination = nominate(event)
    member = nomination.members[1]
    auth.login(owner)
    client.set_cookie("lang", language)
    response = post_form(client, url(event, nomination, "/return"), {"return-reason": "  "})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    response = post_form(client, url(event, nomination, f"/members/{member.id}/not-accredited"),
                         {f"m{member.id}-reason": ""})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    response = post_form(client, url(event, nomination, "/return"),
                         {"return-reason": "x" * 2001})
    assert response.status_code == 422
    assert fresh(Nomination, nomination.id).status == NominationStatus.SUBMITTED.value


def test_return_and_not_accredited_through_the_forms(client, auth, owner, smtp_server):
    event = registration_event(owner)
    nomination = nominate(event, members=2, focal_language="id")
    member = nomination.members[1]
    auth.login(owner)
    response = post_form(client, url(event, nomination, f"/members/{member.id}/not-accredited"),
                         {f"m{member.id}-reason": "Not in the note verbale."})
    assert response.status_code == 303
    assert fresh(NominationMember, member.id).status == "not_accredited"
    response = post_form(client, url(event, nomination, "/return"),
                         {"return-reason": "Please add the head of delegation's photo."})
    assert response.status_code == 303 and response.headers["Location"].endswith(url(event))
    [mail] = smtp_server.wait_for(1)
    assert mail["to"] == [nomination.invitee.email]
    text = mail["message"].get_body(("plain",)).get_content()
    assert "Please add the head of delegation's photo." in text and "Alasan" in text
    page = client.get(url(event, nomination)).get_data(as_text=True)
    assert "data-return-reason" in page and "Returned to the focal point" in page
    # a stale decision on a returned nomination: 409, nothing changed
    response = post_form(client, url(event, nomination, "/accredit"),
                         {"members": member_ids(nomination, [0])})
    assert response.status_code == 409


def test_forwarded_nomination_is_confirmed_before_accrediting(client, auth, owner):
    event = registration_event(owner)
    nomination = nominate(event, forwarded=True)
    auth.login(owner)
    page = client.get(url(event, nomination)).get_data(as_text=True)
    assert "data-forwarded-note" in page and 'form="accredit-form"' not in page
    response = post_form(client, url(event, nomination, "/accredit"),
                         {"members": member_ids(nomination)})
    assert response.status_code == 409
    assert "confirm the focal point first" in response.get_data(as_text=True)
    assert post_form(client, url(event, nomination, "/confirm-focal-point")).status_code == 303
    page = client.get(url(event, nomination)).get_data(as_text=True)
    assert "data-forwarded-note" not in page and 'form="accredit-form"' in page


# --- simultaneous decisions through the real server ------------------------------------------

def _staff_browsers(base: str, user, number: int) -> list[Browser]:
    email = user.email
    release_database()  # the server needs SQLite's write lock
    browsers = []
    for _ in range(number):
        browser = Browser(base)
        token = browser.csrf_token("/manage/login")
        status, _body, _headers = browser.request(
            "/manage/login", {"email": email, "password": PASSWORD, "csrf_token": token})
        assert status in (302, 303)
        browsers.append(browser)
    return browsers


def _at_once(jobs: list[tuple[Browser, str, dict]]) -> list[int]:
    barrier = threading.Barrier(len(jobs), timeout=60)

    def run(job):
        browser, path, payload = job
        csrf = browser.csrf_token(path.rsplit("/", 1)[0])
        body = urllib.parse.urlencode({**payload, "csrf_token": csrf}, doseq=True).encode()
        barrier.wait()
        try:  # Browser.request sends one value per field; the members are several
            with browser.opener.open(browser.base + path, data=body, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    release_database()  # the server needs SQLite's write lock
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def test_simultaneous_decisions_never_accredit_twice_nor_overbook(live_server, owner):  # noqa: F811
    """Four staff accredit the same members at once: one succeeds, the others get 409. Then
    three nominations of two members compete for the three places left at once: one fits,
    the two others wait whole; never more than five confirmed, never half a delegation."""
    event = registration_event(owner, capacity=5)
    nomination = nominate(event, members=2)
    path = url(event, nomination, "/accredit")
    ids = member_ids(nomination)
    browsers = _staff_browsers(live_server, owner, 4)
    codes = _at_once([(browser, path, {"members": ids}) for browser in browsers])
    assert sorted(codes) == [303, 409, 409, 409], codes
    assert len(stored(event)) == 2
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "nomination.member_accredit")) == 2
    others = [nominate(event, members=2, country=country) for country in ("VN", "PH", "MY")]
    jobs = [(browser, url(event, other, "/accredit"), {"members": member_ids(other)})
            for browser, other in zip(browsers, others, strict=False)]
    codes = _at_once(jobs)
    assert codes == [303, 303, 303], codes
    rows = stored(event)
    statuses = [status for status, _country in rows.values()]
    assert statuses.count(CONFIRMED) == 4 and statuses.count(WAITLISTED) == 4
    by_country = {}
    for status, country in rows.values():
        by_country.setdefault(country, set()).add(status)
    assert all(len(found) == 1 for found in by_country.values())  # never half a delegation
