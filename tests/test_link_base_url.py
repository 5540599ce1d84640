"""Emailed links: BASE_URL in production, the served address in development (issue 14)."""

import os
import re

import pytest

from config import ProductionConfig
from seminar_app import create_app
from seminar_app.links import external_url, link_base_url
from seminar_app.worker import _remember_served_url
from tests.conftest import post_form

RESET_LINK = re.compile(r"https?://[^/\s]+/manage/password/reset/[^\s\"<]+")


def test_link_base_url_follows_the_request_that_caused_the_email(app, client, db, make_user,
                                                                 smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "")
    make_user("organizer", email="ratna@example.org")
    response = post_form(client, "/manage/password/forgot", {"email": "ratna@example.org"},
                         base_url="http://localhost:5093")
    assert response.status_code == 302
    [received] = smtp_server.wait_for(1)
    text = received["message"].get_body(("plain",)).get_content()
    assert RESET_LINK.search(text).group(0).startswith("http://localhost:5093/manage/password/")


def test_link_base_url_outside_a_request_uses_the_served_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "")
    monkeypatch.setitem(app.config, "SERVED_URL", "http://127.0.0.1:5093")
    assert external_url("outbox.show", email_id=5) == "http://127.0.0.1:5093/manage/emails/5"


def test_link_base_url_prefers_a_configured_base_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://events.example.org")
    with app.test_request_context("/", base_url="http://localhost:5093"):
        assert link_base_url() == "https://events.example.org"


@pytest.mark.parametrize("host, expected", [
    ("0.0.0.0", "http://127.0.0.1:5093"), ("127.0.0.1", "http://127.0.0.1:5093"),
    ("::1", "http://[::1]:5093")])
def test_remember_served_url_sets_the_worker_environment(app, monkeypatch, host, expected):
    monkeypatch.setenv("SEMINAR_SERVED_URL", "")
    monkeypatch.setitem(app.config, "SERVED_URL", "")
    _remember_served_url(app, host, 5093)
    assert app.config["SERVED_URL"] == expected and os.environ["SEMINAR_SERVED_URL"] == expected


@pytest.mark.parametrize("base", ["", "events.example.org"])
def test_production_refuses_to_start_without_base_url(tmp_path, base):
    class Prod(ProductionConfig):
        SECRET_KEY = "3f9a6c1e8b7d2045aa91c3e7f0b2d4c6e8a1b3c5d7e9f0a2"
        DATA_KEYS = "k1:" + "A" * 43
        BASE_URL = base
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.sqlite3'}"
        TASK_QUEUE_PATH = str(tmp_path / "q.sqlite3")

    with pytest.raises(RuntimeError, match="BASE_URL must be set in production"):
        create_app(Prod)


@pytest.mark.parametrize("lang, text", [("en", "Links in emails start with"),
                                        ("id", "Tautan dalam email diawali")])
def test_emails_page_warns_admins_when_the_host_differs(app, client, make_user, auth,
                                                        monkeypatch, lang, text):
    monkeypatch.setitem(app.config, "BASE_URL", "https://events.example.org")
    auth.login(make_user("admin"))
    client.set_cookie("lang", lang)
    body = client.get("/manage/emails").get_data(as_text=True)
    assert "data-link-mismatch" in body and text in body and "https://events.example.org" in body


def test_emails_page_no_warning_when_the_host_matches(app, client, make_user, auth,
                                                      monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "http://localhost")
    auth.login(make_user("admin"))
    assert "data-link-mismatch" not in client.get("/manage/emails").get_data(as_text=True)


def test_emails_page_no_warning_for_organizers(app, client, make_user, auth, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://events.example.org")
    auth.login(make_user("organizer"))
    body = client.get("/manage/emails").get_data(as_text=True)
    assert "data-link-mismatch" not in body
