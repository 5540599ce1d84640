"""Organizer pages for co-hosts: adding with a logo, editing, ordering, removing, access."""

import io

import pytest
from sqlalchemy import select

from seminar_app.models import AuditEntry, CoHost, Event, Upload
from seminar_app.services.events import events as event_service
from tests.conftest import post_form
from tests.test_events_manage import field_errors
from tests.test_services_events import event_factory, png_bytes

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="5"/></svg>'


@pytest.fixture
def make_event(make_user):
    """Factory: ``make_event(owner=None, **overrides)`` through the service."""
    return event_factory(make_user)


@pytest.fixture
def event(make_user, make_event, auth):
    """A draft owned by a logged-in organizer."""
    owner = make_user("organizer")
    auth.login(owner)
    return make_event(owner=owner)


def _add(client, event, *, logo=None, filename="logo.png", **fields):
    data = {"name": "Ministry of Foreign Affairs", "role": "Host", "url": "https://kemlu.go.id"}
    data.update(fields)
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), filename)
    return post_form(client, f"/manage/events/{event.id}/cohosts", data,
                     content_type="multipart/form-data")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_cohosts_page_renders_in_both_languages(client, event, lang):
    client.set_cookie("lang", lang)
    response = client.get(f"/manage/events/{event.id}/cohosts")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in body
    assert 'enctype="multipart/form-data"' in body
    assert f'href="/manage/events/{event.id}/team"' in body


def test_cohost_add_with_logo_serves_the_reencoded_png(client, event, db):
    response = _add(client, event, logo=png_bytes(size=(1200, 400)), filename="kemlu.png")
    assert response.status_code == 302
    cohost = db.session.scalar(select(CoHost))
    assert (cohost.name, cohost.role, cohost.url) == (
        "Ministry of Foreign Affairs", "Host", "https://kemlu.go.id")
    page = client.get(f"/manage/events/{event.id}/cohosts").get_data(as_text=True)
    assert f"/uploads/{cohost.logo_id}" in page
    served = client.get(f"/uploads/{cohost.logo_id}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    from PIL import Image

    with Image.open(io.BytesIO(served.data)) as image:
        assert image.size == (600, 200)


@pytest.mark.parametrize(("logo", "filename"), [
    (SVG, "logo.svg"),
    (b"<html><script>alert(1)</script></html>", "logo.png"),
    (b"\x89PNG\r\n\x1a\nbroken", "logo.png"),
])
def test_cohost_add_refuses_non_images_next_to_logo(client, event, db, logo, filename):
    response = _add(client, event, logo=logo, filename=filename)
    assert response.status_code == 422
    assert "PNG, JPEG, GIF or WebP" in field_errors(response.get_data(as_text=True), "logo")
    assert db.session.scalar(select(CoHost.id)) is None
    assert db.session.scalar(select(Upload.id)) is None


def test_cohost_add_refuses_oversized_logo(client, event, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 2048)
    big = png_bytes(size=(400, 400)) + b"\x00" * 4096
    response = _add(client, event, logo=big)
    assert response.status_code == 422
    assert "too large" in field_errors(response.get_data(as_text=True), "logo")
    assert db.session.scalar(select(CoHost.id)) is None


def test_cohost_add_bad_url_and_missing_name(client, event):
    response = _add(client, event, name="", url="javascript:alert(1)")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "organisation's name" in field_errors(body, "name")
    assert "http:// or https://" in field_errors(body, "url")


def test_cohost_edit_changes_fields_and_replaces_logo(client, event, db):
    cohost = event_service.add_cohost(event, name="Kemlu", logo=png_bytes())
    old_logo = cohost.logo_id
    url = f"/manage/events/{event.id}/cohosts/{cohost.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="Kemlu"' in page and f"/uploads/{old_logo}" in page
    response = post_form(client, url, {"name": "Kemenlu RI", "role": "Co-host", "url": "",
                                       "logo": (io.BytesIO(png_bytes(color=(0, 0, 0))), "n.png")},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    cohost = db.session.get(CoHost, cohost.id)
    assert (cohost.name, cohost.role) == ("Kemenlu RI", "Co-host")
    assert cohost.logo_id not in (None, old_logo)
    assert client.get(f"/uploads/{old_logo}").status_code == 404


def test_cohost_edit_without_new_file_keeps_logo(client, event, db):
    cohost = event_service.add_cohost(event, name="Kemlu", logo=png_bytes())
    logo_id = cohost.logo_id
    response = post_form(client, f"/manage/events/{event.id}/cohosts/{cohost.id}/edit",
                         {"name": "Kemlu", "role": "", "url": ""},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CoHost, cohost.id).logo_id == logo_id


def test_cohost_edit_remove_logo(client, event, db):
    cohost = event_service.add_cohost(event, name="Kemlu", logo=png_bytes())
    response = post_form(client, f"/manage/events/{event.id}/cohosts/{cohost.id}/edit",
                         {"name": "Kemlu", "remove_logo": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CoHost, cohost.id).logo_id is None


def test_cohost_move_and_delete(client, event, db):
    first, second = (event_service.add_cohost(event, name=n) for n in ("First", "Second"))
    base = f"/manage/events/{event.id}/cohosts"
    assert post_form(client, f"{base}/{second.id}/move", {"direction": "up"}).status_code == 302
    db.session.expire_all()
    assert [c.name for c in db.session.get(Event, event.id).cohosts] == ["Second", "First"]
    assert post_form(client, f"{base}/{second.id}/move", {"direction": "sideways"}
                     ).status_code == 400
    assert post_form(client, f"{base}/{first.id}/delete").status_code == 302
    db.session.expire_all()
    assert [c.name for c in db.session.get(Event, event.id).cohosts] == ["Second"]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "cohost.delete"))


def test_cohost_of_another_event_is_404(client, event, make_event, db):
    other = make_event()
    cohost = event_service.add_cohost(other, name="Elsewhere")
    base = f"/manage/events/{event.id}/cohosts/{cohost.id}"
    assert client.get(f"{base}/edit").status_code == 404
    assert post_form(client, f"{base}/delete").status_code == 404
    assert db.session.get(CoHost, cohost.id) is not None


def test_cohosts_view_only_member_cannot_change(client, make_user, make_event, auth, db):
    event = make_event()
    cohost = event_service.add_cohost(event, name="Kemlu")
    staff = make_user("staff")
    event_service.add_team_member(event, email=staff.email, can_invite=True)
    auth.login(staff)
    base = f"/manage/events/{event.id}/cohosts"
    page = client.get(base)
    assert page.status_code == 200 and "Kemlu" in page.get_data(as_text=True)
    assert "Add a co-host" not in page.get_data(as_text=True)
    assert _add(client, event).status_code == 403
    assert client.get(f"{base}/{cohost.id}/edit").status_code == 403
    assert post_form(client, f"{base}/{cohost.id}/delete").status_code == 403
    assert post_form(client, f"{base}/{cohost.id}/move", {"direction": "up"}).status_code == 403
    assert db.session.scalar(select(CoHost.name)) == "Kemlu"
