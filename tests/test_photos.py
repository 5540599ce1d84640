"""Delegates' photos: what is accepted, how it is cropped and re-encoded, who may see it, and
where it shows (staff page, badges, check-in desk, also offline)."""

import base64
import io
import json
import re
import time
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import AuditEntry, Registration, Upload
from seminar_app.services.documents.badges import render_badges_pdf
from seminar_app.services.privacy import retention
from seminar_app.services.registration import checkin, photos
from seminar_app.services.registration.photos import CropBox, InvalidPhoto
from tests.conftest import csrf_token
from tests.factories import (
    add_registration,
    add_team_member,
    logged_in,
    make_registration,
    registration_event,
)

RED, BLUE, GREEN, WHITE = (220, 20, 20), (20, 20, 220), (20, 160, 40), (255, 255, 255)


def image_bytes(fmt="JPEG", size=(700, 900), colour=WHITE, mode="RGB", exif=None,
                paint=None) -> bytes:
    image = Image.new(mode, size, colour if mode != "RGBA" else (*colour, 255))
    if paint:
        for box, fill in paint:
            image.paste(fill, box)
    out = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    image.save(out, format=fmt, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def close(pixel, colour, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def uploads_count() -> int:
    return db.session.scalar(select(func.count(Upload.id)))


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(db, owner):
    return registration_event(owner)


# --- the service: accepted, cropped, re-encoded --------------------------------------------

@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_accepted_formats_become_a_passport_jpeg_and_a_small_thumbnail(event, fmt):
    registration = add_registration(event)
    photos.set_photo(registration, image_bytes(fmt, size=(1200, 800)))
    photo, thumbnail = registration.photo, registration.photo_thumbnail
    assert photo.content_type == thumbnail.content_type == "image/jpeg"
    assert opened(photo.data).format == "JPEG" and opened(photo.data).size == photos.PHOTO_SIZE
    assert opened(thumbnail.data).size == photos.THUMBNAIL_SIZE
    assert len(thumbnail.data) <= photos.THUMBNAIL_MAX_BYTES == 30 * 1024
    assert photos.PHOTO_SIZE[0] * 45 == photos.PHOTO_SIZE[1] * 35


def test_exif_orientation_is_applied_then_removed(event):
    # stored sideways: left half red, right half blue; orientation 6 = turn 90° clockwise,
    # so upright the red half is on top
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Camera maker"
    exif[0x8825] = {2: (6.0, 10.0, 0.0)}  # a GPS position
    data = image_bytes("JPEG", size=(900, 700), colour=BLUE,
                       paint=[((0, 0, 450, 700), RED)], exif=exif.tobytes())
    registration = add_registration(event)
    photos.set_photo(registration, data)
    image = opened(registration.photo.data)
    assert close(image.getpixel((175, 20)), RED)
    assert close(image.getpixel((175, 430)), BLUE)
    assert not image.getexif() and "exif" not in image.info
    assert b"Camera maker" not in registration.photo.data


def test_the_chosen_crop_box_is_used_and_without_one_the_centred_box(event):
    # white with a green area bottom right
    data = image_bytes("PNG", paint=[((400, 500, 700, 900), GREEN)])
    chosen = add_registration(event)
    photos.set_photo(chosen, data, crop=CropBox(420, 520, 245, 315))
    image = opened(chosen.photo.data)
    assert all(close(image.getpixel(point), GREEN) for point in
               [(5, 5), (345, 5), (5, 445), (345, 445), (175, 225)])
    centred = add_registration(event)
    photos.set_photo(centred, data)
    image = opened(centred.photo.data)
    assert close(image.getpixel((5, 5)), WHITE) and close(image.getpixel((345, 445)), GREEN)


def test_crop_box_is_kept_inside_the_image_and_brought_to_35_45():
    assert photos.fitted_box(CropBox(-50, -50, 5000, 5000), 700, 900) == CropBox(0, 0, 700, 900)
    box = photos.fitted_box(CropBox(100, 100, 350, 350), 700, 900)
    assert box.width * 45 == pytest.approx(box.height * 35, abs=45)
    assert box.height == 350 and box.x >= 100 and box.x + box.width <= 450
    assert photos.centred_box(1600, 900) == CropBox(450, 0, 700, 900)
    assert photos.parse_crop_box("", "", "", "") is None
    assert photos.parse_crop_box("10", "20.4", "35", "45") == CropBox(10, 20, 35, 45)
    for values in (("a", "1", "2", "3"), ("0", "0", "0", "45"), ("0", "0", "35", "")):
        with pytest.raises(InvalidPhoto):
            photos.parse_crop_box(*values)


def _polyglots() -> dict:
    jpeg = image_bytes("JPEG", size=(70, 90))
    png = image_bytes("PNG", size=(70, 90))
    # a JPEG comment segment holding a script, inserted after the SOI marker
    comment = b"<script>alert(document.cookie)</script>"
    with_comment = jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment \
        + jpeg[2:]
    return {
        "html renamed": b"<!doctype html><html><body><script>alert(1)</script></body></html>",
        "jpeg + html": jpeg + b"<html><script>alert(1)</script></html>",
        "jpeg + zip": jpeg + b"PK\x03\x04" + b"\x00" * 26 + b"evil.exe",
        "png + html": png + b"<html></html>",
        "script in a jpeg comment": with_comment,
        "gif": image_bytes("GIF", size=(70, 90)),
        "truncated jpeg": jpeg[: len(jpeg) // 2],
        "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    }


@pytest.mark.parametrize("name", list(_polyglots()))
def test_non_images_and_polyglots_are_refused_and_nothing_is_stored(event, name):
    registration = add_registration(event)
    before = uploads_count()
    with pytest.raises(InvalidPhoto) as refused:
        photos.set_photo(registration, _polyglots()[name])
    assert refused.value.field == "photo" and refused.value.status_code == 422
    db.session.refresh(registration)
    assert registration.photo_id is None and uploads_count() == before


def test_a_decompression_bomb_is_refused_from_its_header(event, monkeypatch):
    bomb = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(bomb, format="PNG")  # 50 Mpx, a few KB
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self) or None)
    with pytest.raises(InvalidPhoto, match="pixels"):
        photos.prepare_photo(bomb.getvalue())
    assert decoded == []  # refused before any pixel was decoded


def test_size_limit_and_empty_file(app, event):
    limit = photos.photo_max_bytes()
    assert limit == 5 * 1024 * 1024
    with pytest.raises(InvalidPhoto, match="at most 5 MB"):
        photos.prepare_photo(b"\xff\xd8" + b"\x00" * limit)
    with pytest.raises(InvalidPhoto, match="choose a photo"):
        photos.prepare_photo(b"")


def test_replacing_a_photo_deletes_the_old_one_and_is_audited(event):
    registration = add_registration(event)
    photos.set_photo(registration, image_bytes(colour=RED))
    old = (registration.photo_id, registration.photo_thumbnail_id)
    photos.set_photo(registration, image_bytes(colour=BLUE))
    assert db.session.get(Upload, old[0]) is None and db.session.get(Upload, old[1]) is None
    assert close(opened(registration.photo.data).getpixel((10, 10)), BLUE)
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_id == registration.id,
        AuditEntry.action.like("registration.photo%"))).all()
    assert actions == ["registration.photo_set", "registration.photo_set"]
    assert photos.remove_photo(registration) is True
    assert registration.photo_id is None and uploads_count() == 0


def test_erasing_the_registration_deletes_the_photo(event, owner):
    registration = add_registration(event)
    photos.set_photo(registration, image_bytes())
    assert uploads_count() == 2
    retention.erase_registration(registration, actor=owner)
    db.session.refresh(registration)
    assert registration.photo_id is None and registration.photo_thumbnail_id is None
    assert uploads_count() == 0


# --- who may upload and see it -------------------------------------------------------------

def _upload(client, url, data, *, crop=None, language=None, filename="me.jpg"):
    fields = {"csrf_token": csrf_token(client), "photo": (io.BytesIO(data), filename)}
    fields.update({f"crop_{key}": str(value) for key, value in (crop or {}).items()})
    headers = {"Accept-Language": language} if language else {}
    return client.post(url, data=fields, content_type="multipart/form-data", headers=headers)


def test_the_delegate_uploads_through_their_personal_link_and_sees_only_their_own(app, event):
    registration, token = make_registration(event)
    other, other_token = make_registration(event)
    client = app.test_client()
    edit = client.get(f"/r/{token}/edit").get_data(as_text=True)
    assert 'name="photo"' in edit and 'enctype="multipart/form-data"' in edit
    assert "js/photo_crop.js" in edit and "<script>" not in edit.split("</head>")[1]
    response = _upload(client, f"/r/{token}/photo", image_bytes("PNG", paint=[
        ((400, 500, 700, 900), GREEN)]), crop={"x": 420, "y": 520, "width": 245, "height": 315})
    assert response.status_code == 303 and response.location.endswith(f"/r/{token}/edit#photo")
    db.session.refresh(registration)
    assert registration.photo_id is not None
    served = client.get(f"/r/{token}/photo")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert "no-store" in served.headers["Cache-Control"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert close(opened(served.data).getpixel((175, 225)), GREEN)
    assert opened(client.get(f"/r/{token}/photo?size=thumbnail").data).size == (105, 135)
    assert f'src="/r/{token}/photo"' in client.get(f"/r/{token}/edit").get_data(as_text=True)
    # another delegate's link shows their own (absent) photo, never this one
    assert client.get(f"/r/{other_token}/photo").status_code == 404
    assert client.get("/r/not-a-token/photo").status_code == 404
    # removing it
    response = client.post(f"/r/{token}/photo/remove", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert client.get(f"/r/{token}/photo").status_code == 404
    assert uploads_count() == 0


def test_only_the_events_team_sees_the_photo_and_only_managers_change_it(app, event, owner,
                                                                         make_user):
    registration = add_registration(event)
    photos.set_photo(registration, image_bytes())
    url = f"/manage/events/{event.id}/registrations/{registration.id}/photo"
    viewer, stranger = make_user("staff"), make_user("organizer")
    add_team_member(event, viewer, can_checkin=True)
    manager = logged_in(app, owner)
    served = manager.get(url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"] == "private, no-store"
    assert logged_in(app, viewer).get(url + "?size=thumbnail").status_code == 200
    assert logged_in(app, stranger).get(url).status_code == 403  # as every staff page
    assert app.test_client().get(url).status_code == 302  # to the staff login
    other_event = registration_event(owner)
    assert manager.get(f"/manage/events/{other_event.id}/registrations/{registration.id}"
                       "/photo").status_code == 404
    # the photo is not an upload anyone may fetch by its id
    assert app.test_client().get(f"/uploads/{registration.photo_id}").status_code == 404
    # changing it needs the manage right
    response = _upload(logged_in(app, viewer), url, image_bytes())
    assert response.status_code == 403


def test_staff_upload_on_the_registration_page(app, event, owner):
    registration = add_registration(event)
    client = logged_in(app, owner)
    page_url = f"/manage/events/{event.id}/registrations/{registration.id}"
    page = client.get(page_url).get_data(as_text=True)
    assert f'action="{page_url}/photo"' in page and "data-photo-img" not in page
    response = _upload(client, f"{page_url}/photo", image_bytes("WEBP"))
    assert response.status_code == 303
    page = client.get(page_url).get_data(as_text=True)
    assert f'src="{page_url}/photo"' in page and "data-photo-img" in page
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "registration.photo_set"))
    assert entry.user_id == owner.id


# --- bad input through the web: clear errors in both languages, nothing stored -------------

@pytest.mark.parametrize(("language", "expected"), [
    ("en", "This file is not a photo we accept"),
    ("id", "Berkas ini bukan foto yang dapat diterima"),
])
def test_a_renamed_page_or_a_polyglot_gets_a_translated_error(app, event, make_user, language,
                                                             expected):
    registration, token = make_registration(event)
    delegate = app.test_client()
    for data in (_polyglots()["html renamed"], _polyglots()["jpeg + html"]):
        response = _upload(delegate, f"/r/{token}/photo", data, language=language)
        assert response.status_code == 422
        assert expected in response.get_data(as_text=True)
    manager = make_user("staff", language=language)  # staff pages follow the account's language
    add_team_member(event, manager, can_manage=True)
    staff = logged_in(app, manager)
    response = _upload(staff, f"/manage/events/{event.id}/registrations/{registration.id}/photo",
                       _polyglots()["script in a jpeg comment"], language=language)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and expected in body and 'id="photo-error"' in body
    assert uploads_count() == 0


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "The photo is too large: at most 5 MB."),
    ("id", "Foto terlalu besar: maksimal 5 MB."),
])
def test_a_50_mb_photo_is_refused_by_its_size_before_it_is_read(app, event, language,
                                                                expected):
    _registration, token = make_registration(event)
    client = app.test_client()
    huge = b"\xff\xd8\xff\xe0" + b"\x00" * (50 * 1024 * 1024)
    response = _upload(client, f"/r/{token}/photo", huge, language=language)
    assert response.status_code == 413
    assert expected in response.get_data(as_text=True)
    # between the photo limit and the request limit the service says the same, next to the field
    response = _upload(client, f"/r/{token}/photo", b"\xff\xd8" + b"\x00" * (6 * 1024 * 1024),
                       language=language)
    assert response.status_code == 422 and expected in response.get_data(as_text=True)
    assert uploads_count() == 0


def test_a_broken_crop_box_is_a_clear_error(app, event):
    _registration, token = make_registration(event)
    response = _upload(app.test_client(), f"/r/{token}/photo", image_bytes(),
                       crop={"x": "left", "y": "0", "width": "35", "height": "45"})
    assert response.status_code == 422
    assert "could not be read" in response.get_data(as_text=True)
    assert uploads_count() == 0


# --- badges --------------------------------------------------------------------------------

def _count_upload_queries():
    statements = []

    def record(conn, cursor, statement, *args):
        if "FROM uploads" in statement:
            statements.append(statement)
    return statements, record


def test_badges_draw_the_photo_only_when_there_is_one(app, event):
    with_photo = add_registration(event)
    photos.set_photo(with_photo, image_bytes(colour=RED))
    without = [add_registration(event) for _ in range(8)]
    for registration in [with_photo, *without]:
        db.session.refresh(registration)
    for layout in ("a4", "single"):
        pdf = render_badges_pdf([with_photo], layout=layout, compress=False)
        assert b"/Subtype /Image" in pdf and b"/DCTDecode" in pdf
        assert b"/Subtype /Image" not in render_badges_pdf(without, layout=layout,
                                                           compress=False)
    # badges without photo load nothing from the uploads table
    statements, record = _count_upload_queries()
    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        db.session.expire_all()
        again = db.session.scalars(select(Registration).where(
            Registration.id.in_([r.id for r in without]))).all()
        render_badges_pdf(again)
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    assert statements == []


def test_badges_without_photos_stay_fast(app, event):
    """A rough guard (the photo layout must not slow badges without photos): 40 badges well
    under 25 ms each; bench/RESULTS.md-style measurements are in the README."""
    registrations = [add_registration(event) for _ in range(40)]
    render_badges_pdf(registrations[:1])  # fonts registered, caches warm
    started = time.perf_counter()
    render_badges_pdf(registrations)
    assert (time.perf_counter() - started) / 40 < 0.025


# --- the check-in desk ---------------------------------------------------------------------

def test_the_desk_shows_the_photo_online_and_carries_thumbnails_offline(app, event, owner,
                                                                        make_user):
    siti = add_registration(event, given_name="Siti", family_name="Aaa")
    budi = add_registration(event, given_name="Budi", family_name="Bbb")
    plain = add_registration(event, given_name="Cici", family_name="Ccc")
    photos.set_photo(siti, image_bytes(colour=RED))
    photos.set_photo(budi, image_bytes(colour=BLUE))
    desk_user = make_user("staff")
    add_team_member(event, desk_user, can_checkin=True)
    client = logged_in(app, desk_user)
    page = client.get(f"/manage/events/{event.id}/checkin").get_data(as_text=True)
    assert "at most 30 KB each and 2 MB in all" in page
    roster = client.get(f"/manage/events/{event.id}/checkin/roster").get_json()
    assert {row[0] for row in roster["rows"]} == {siti.id, budi.id, plain.id}
    response = client.get(f"/manage/events/{event.id}/checkin/roster/photos")
    entries = response.get_json()["photos"]
    assert str(plain.id) not in entries
    url = entries[str(siti.id)]
    assert url.startswith("data:image/jpeg;base64,")
    thumbnail = base64.b64decode(url.split(",", 1)[1])
    assert thumbnail == siti.photo_thumbnail.data and len(thumbnail) <= 30 * 1024
    assert opened(thumbnail).size == (105, 135)
    # the scan result and the search results show the photo
    response = client.post(f"/manage/events/{event.id}/checkin/scan",
                           data={"csrf_token": csrf_token(client), "code": siti.badge_code},
                           headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    thumb_url = f"/manage/events/{event.id}/registrations/{siti.id}/photo?size=thumbnail"
    assert response.status_code == 200 and thumb_url in body and "data-desk-photo" in body
    results = client.get(f"/manage/events/{event.id}/checkin/search?q=Siti",
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    assert thumb_url in results
    assert client.get(thumb_url).status_code == 200


def test_the_offline_list_keeps_within_its_photo_budget(event, monkeypatch):
    people = [add_registration(event, family_name=f"Name{index:02d}") for index in range(5)]
    for person in people:
        photos.set_photo(person, image_bytes(colour=RED))
    one = len("data:image/jpeg;base64,") + len(base64.b64encode(people[0].photo_thumbnail.data))
    monkeypatch.setattr(checkin, "ROSTER_PHOTO_BUDGET_BYTES", one * 2 + one // 2)
    bundle = checkin.roster_photos(event)
    assert list(bundle) == [people[0].id, people[1].id]
    assert len(json.dumps(bundle)) < checkin.ROSTER_PHOTO_BUDGET_BYTES + 5 * 40
    assert checkin.ROSTER_PHOTO_BUDGET_BYTES < 5 * 1024 * 1024 / 2


def test_the_crop_script_is_csp_safe():
    script = (Path(__file__).parent.parent / "static/js/photo_crop.js").read_text("utf-8")
    assert not re.search(r"\beval\s*\(|new Function|innerHTML|setTimeout\(\s*['\"]", script)
    for key in ("ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "[data-crop=",
                "readAsDataURL"):
        assert key in script
