"""Nominations refuse bad input with a clear message in both languages, a 4xx, nothing stored:
letters that are web pages, programs or too large; photos that are polyglots or 50 MB; and the
letter is never served by /uploads/."""

import io

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import EventStatus, Nomination, NominationMember, Upload, utcnow
from seminar_app.services.registration import nominations
from seminar_app.services.registration.nomination_letters import InvalidLetter, check_letter
from tests.conftest import post_form
from tests.factories import add_invitee, logged_in, registration_event
from tests.test_nomination_flow import (
    MEMBER,
    add,
    base,
    jpeg_bytes,
    pdf_bytes,
    start,
    upload_letter,
)

MB = 1024 * 1024


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(db, owner):
    return registration_event(owner)


@pytest.fixture
def mission(event):
    return add_invitee(event, kind="organisation", name="Anong Chaiyaporn",
                       email="focal@thaiembassy.org", country="TH",
                       organisation="Royal Thai Embassy, Jakarta", language="en")


def uploads() -> int:
    return db.session.scalar(select(func.count()).select_from(Upload))


def letter_id(invitee):
    db.session.expire_all()
    return db.session.scalar(select(Nomination.letter_id).where(
        Nomination.invitee_id == invitee.id))


HTML_PAGE = (b"<!DOCTYPE html><html><head><title>Note</title></head><body><script>"
             b"alert(document.cookie)</script>%PDF-1.7</body></html>")
BAD_LETTERS = {
    "html renamed .pdf": (HTML_PAGE, "web page (HTML)"),
    "windows program renamed .pdf": (b"MZ\x90\x00" + b"\x00" * 2000, "program or an archive"),
    "elf program renamed .pdf": (b"\x7fELF\x02\x01\x01" + b"\x00" * 2000,
                                 "program or an archive"),
    "shell script renamed .pdf": (b"#!/bin/sh\nrm -rf /\n", "program or an archive"),
    "zip renamed .pdf": (b"PK\x03\x04" + b"\x00" * 200, "program or an archive"),
    "plain text": (b"Note verbale No. 123", "not a PDF"),
    "pdf without its end": (pdf_bytes()[:-200], "incomplete or damaged"),
    "pdf header and rubbish": (b"%PDF-1.7\n" + b"\x00garbage" * 50 + b"\n%%EOF\n",
                               "could not be read"),
}


@pytest.mark.parametrize("name", list(BAD_LETTERS))
def test_bad_letters_are_refused_and_nothing_is_stored(client, mission, name):
    data, message = BAD_LETTERS[name]
    start(client, mission)
    before = uploads()
    response = upload_letter(client, mission, data, name="letter.pdf")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert uploads() == before and letter_id(mission) is None


def test_a_bad_letter_in_indonesian(client, event):
    mission = add_invitee(event, kind="organisation", country="TH", language="id",
                          email="fokal@example.org")
    start(client, mission)
    response = upload_letter(client, mission, HTML_PAGE)
    assert response.status_code == 422
    assert "halaman web (HTML), bukan PDF" in response.get_data(as_text=True)


def test_an_11_mb_pdf_is_refused_by_its_size(client, mission):
    start(client, mission)
    big = pdf_bytes(padding=11 * MB)
    assert len(big) > 11 * MB
    before = uploads()
    response = upload_letter(client, mission, big)
    assert response.status_code == 422
    assert "too large: at most 10 MB" in response.get_data(as_text=True)
    assert uploads() == before and letter_id(mission) is None


def test_a_10_mb_pdf_passes_although_max_content_length_is_smaller(client, mission, app):
    assert app.config["MAX_CONTENT_LENGTH"] < 9 * MB
    start(client, mission)
    response = upload_letter(client, mission, pdf_bytes(padding=9 * MB))
    assert response.status_code == 303
    assert letter_id(mission) is not None


def test_a_body_far_over_the_limit_is_a_clear_413(client, mission):
    start(client, mission)
    response = upload_letter(client, mission, b"%PDF-1.7\n" + b"0" * (30 * MB))
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True).lower()
    assert letter_id(mission) is None


def test_check_letter_accepts_a_real_pdf_and_counts_pages():
    assert check_letter(pdf_bytes(3)).pages == 3
    with pytest.raises(InvalidLetter):
        check_letter(b"")


def test_replacing_the_letter_deletes_the_old_one(client, mission):
    start(client, mission)
    upload_letter(client, mission, pdf_bytes(1), name="first.pdf")
    first = letter_id(mission)
    upload_letter(client, mission, pdf_bytes(2), name="second.pdf")
    assert letter_id(mission) != first
    assert db.session.get(Upload, first) is None


# --- photos ----------------------------------------------------------------------------------

def _member(client, mission):
    start(client, mission)
    add(client, mission)
    db.session.expire_all()
    return db.session.scalar(select(NominationMember))


def _photo(client, mission, member, data):
    return post_form(client, f"{base(mission)}/nominate/members/{member.id}/photo",
                     {"photo": (io.BytesIO(data), "photo.jpg")},
                     content_type="multipart/form-data")


@pytest.mark.parametrize("data", [
    jpeg_bytes((70, 90)) + b"<html><script>alert(1)</script></html>",
    jpeg_bytes((70, 90)) + b"PK\x03\x04" + b"\x00" * 26 + b"evil.exe",
    b"<!doctype html><html><body><script>alert(1)</script></body></html>",
], ids=["jpeg+html", "jpeg+zip", "html renamed .jpg"])
def test_polyglot_photos_are_refused_and_nothing_is_stored(client, mission, data):
    member = _member(client, mission)
    before = uploads()
    response = _photo(client, mission, member, data)
    assert response.status_code == 422
    assert "not a photo we accept" in response.get_data(as_text=True)
    assert uploads() == before
    db.session.expire_all()
    assert db.session.get(NominationMember, member.id).photo_id is None


def test_a_50_mb_photo_is_refused_by_size_before_decoding(client, mission):
    member = _member(client, mission)
    before = uploads()
    response = _photo(client, mission, member, b"\xff\xd8\xff" + b"\x00" * (50 * MB))
    assert response.status_code == 413
    assert "The photo is too large: at most 5 MB" in response.get_data(as_text=True)
    assert uploads() == before


def test_a_6_mb_photo_is_refused_with_the_photo_limit(client, mission):
    member = _member(client, mission)
    response = _photo(client, mission, member, b"\xff\xd8\xff" + b"\x00" * (6 * MB))
    assert response.status_code == 422
    assert "The photo is too large: at most 5 MB" in response.get_data(as_text=True)


# --- privacy of the letter -------------------------------------------------------------------

def test_the_letter_and_photos_are_never_served_by_uploads(app, client, mission, owner):
    start(client, mission)
    upload_letter(client, mission, pdf_bytes())
    member = _member(client, mission)
    _photo(client, mission, member, jpeg_bytes())
    db.session.expire_all()
    member = db.session.get(NominationMember, member.id)
    staff = logged_in(app, owner)
    for upload_id in (letter_id(mission), member.photo_id, member.photo_thumbnail_id):
        assert upload_id is not None
        assert staff.get(f"/uploads/{upload_id}").status_code == 404
        assert client.get(f"/uploads/{upload_id}").status_code == 404


def test_services_refuse_after_the_deadline_without_the_web(event, mission):
    nomination = nominations.get_or_start_nomination(mission)
    event.nomination_deadline = utcnow()
    db.session.commit()
    with pytest.raises(nominations.NominationClosed):
        nominations.add_member(nomination, MEMBER)
    with pytest.raises(nominations.NominationClosed):
        nominations.set_letter(nomination, pdf_bytes(), "x.pdf")
    assert db.session.scalar(select(func.count()).select_from(NominationMember)) == 0


def test_a_cancelled_event_closes_nominations(event, mission):
    event.status = EventStatus.CANCELLED
    db.session.commit()
    assert nominations.nomination_refusal(event).kind == "cancelled"
