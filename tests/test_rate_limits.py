"""Rate limits and request size limits on the public, delegate-facing routes.

Limits are read from the configuration when a request arrives, so each test lowers the one it
checks; the limiter's memory is reset between tests (conftest).
"""

import secrets

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import Registration
from tests.conftest import post_form
from tests.factories import form_fields, registration_event


@pytest.fixture
def event(db, make_user):
    return registration_event(make_user("organizer"))


def _registrations() -> int:
    return db.session.scalar(select(func.count(Registration.id)))


def test_registration_posts_are_limited_with_a_translated_page(app, client, event, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRATION_RATE_LIMIT", "2 per minute")
    client.set_cookie("lang", "id")
    url = f"/events/{event.slug}/register"
    codes = [post_form(client, url, form_fields(email=f"rush{n}@example.org")).status_code
             for n in range(3)]
    assert codes == [303, 303, 429]
    blocked = post_form(client, url, form_fields(email="late@example.org"))
    assert blocked.status_code == 429
    assert "Terlalu banyak permintaan" in blocked.get_data(as_text=True)
    assert _registrations() == 2  # the refused ones stored nothing
    assert client.get(url).status_code == 200  # reading the form is not limited


def test_personal_links_cannot_be_enumerated(app, client, event, monkeypatch):
    monkeypatch.setitem(app.config, "MANAGE_LINK_RATE_LIMIT", "3 per minute")
    guesses = [client.get(f"/r/{secrets.token_urlsafe(32)}").status_code for _ in range(4)]
    assert guesses == [404, 404, 404, 429]
    # the budget is shared by every personal-link page, not per token or per page
    assert client.get(f"/r/{secrets.token_urlsafe(32)}/edit").status_code == 429


def test_link_resend_is_limited_per_address(app, client, event, monkeypatch):
    monkeypatch.setitem(app.config, "RESEND_LINK_RATE_LIMIT", "1 per minute")
    url = f"/events/{event.slug}/register/resend"
    first = post_form(client, url, {"email": "someone@example.org"})
    second = post_form(client, url, {"email": "other@example.org"})
    assert (first.status_code, second.status_code) == (200, 429)


def test_oversized_request_gets_413_with_a_page(app, client, event, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    client.set_cookie("lang", "id")
    response = post_form(client, f"/events/{event.slug}/register",
                         form_fields(dietary="x" * (128 * 1024)))
    assert response.status_code == 413
    assert "<html" in response.get_data(as_text=True).lower()
    assert _registrations() == 0
