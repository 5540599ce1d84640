"""Uploads are served only to who may see their event; public logos of shown events excepted."""

import io

import pytest
from PIL import Image

from seminar_app.extensions import db
from seminar_app.models import CoHost, EventStatus
from seminar_app.services.events.uploads import create_image_upload
from tests.factories import add_team_member, logged_in
from tests.public_factories import create_event


def _image() -> int:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, format="PNG")
    upload = create_image_upload(data=out.getvalue(), filename="x.png")
    db.session.commit()
    return upload.id


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def _letterhead(event) -> int:
    upload_id = _image()
    event.letterhead_id = upload_id
    db.session.commit()
    return upload_id


def _logo(event) -> int:
    upload_id = _image()
    db.session.add(CoHost(event_id=event.id, name="Partner", logo_id=upload_id))
    db.session.commit()
    return upload_id


@pytest.mark.parametrize("status", [EventStatus.PUBLISHED, EventStatus.DRAFT])
def test_upload_letterhead_is_404_for_anonymous_visitors(client, owner, status):
    upload_id = _letterhead(create_event(owner, status=status))
    assert client.get(f"/uploads/{upload_id}").status_code == 404


def test_upload_letterhead_is_404_for_staff_of_another_event(app, owner, make_user):
    upload_id = _letterhead(create_event(owner))
    other_owner = make_user("organizer")
    create_event(other_owner)
    for user in (other_owner, make_user("staff")):
        assert logged_in(app, user).get(f"/uploads/{upload_id}").status_code == 404


def test_upload_letterhead_is_served_to_the_events_team(app, owner, make_user):
    event = create_event(owner, status=EventStatus.DRAFT)
    upload_id = _letterhead(event)
    checker = make_user("staff")
    add_team_member(event, checker, can_checkin=True)  # view right only
    for user in (owner, checker, make_user("admin")):
        response = logged_in(app, user).get(f"/uploads/{upload_id}")
        assert response.status_code == 200, user
        assert response.mimetype == "image/png"
        assert "private" in response.headers["Cache-Control"]
        assert "public" not in response.headers["Cache-Control"]


def test_upload_logo_of_a_draft_event_is_staff_only(app, client, owner, make_user):
    event = create_event(owner, status=EventStatus.DRAFT)
    upload_id = _logo(event)
    assert client.get(f"/uploads/{upload_id}").status_code == 404
    assert logged_in(app, make_user("staff")).get(f"/uploads/{upload_id}").status_code == 404
    assert logged_in(app, owner).get(f"/uploads/{upload_id}").status_code == 200


@pytest.mark.parametrize("status", [EventStatus.PUBLISHED, EventStatus.CANCELLED])
def test_upload_logo_of_a_shown_event_is_public(client, owner, status):
    event = create_event(owner, status=status)
    upload_id = _logo(event)
    response = client.get(f"/uploads/{upload_id}")
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert f"/uploads/{upload_id}" in page  # the logo the public page shows


def test_upload_ids_cannot_be_probed(app, client, owner, make_user):
    """Missing, unused and forbidden ids all answer the same 404."""
    hidden = _letterhead(create_event(owner, status=EventStatus.DRAFT))
    unused = _image()
    answers = {client.get(f"/uploads/{upload_id}").status_code
               for upload_id in (hidden, unused, 999_999)}
    assert answers == {404}
