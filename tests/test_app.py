"""The application shell: health check, languages, error pages, security headers, config."""

import pytest

from config import Config, ProductionConfig, TestingConfig
from seminar_app import create_app
from seminar_app.web import safe_next_url


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_home_declares_language_from_accept_language(client):
    response = client.get("/", headers={"Accept-Language": "id-ID,id;q=0.9,en;q=0.5"})
    assert '<html lang="id">' in response.get_data(as_text=True)


def test_home_defaults_to_english(client):
    response = client.get("/", headers={"Accept-Language": "fr-FR"})
    assert '<html lang="en">' in response.get_data(as_text=True)


def test_set_language_sets_cookie_and_redirects_back(client):
    response = client.get("/language/id?next=/events/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/events/"
    assert "lang=id" in response.headers["Set-Cookie"]
    page = client.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="id">' in page.get_data(as_text=True)


def test_set_language_unknown_code_is_404(client):
    assert client.get("/language/xx").status_code == 404


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example", "/\\evil", "javascript:alert(1)"]
)
def test_set_language_refuses_open_redirect(client, target):
    response = client.get("/language/en", query_string={"next": target})
    assert response.headers["Location"] in ("/", "/events/")


def test_safe_next_url_keeps_local_paths():
    assert safe_next_url("/manage/?page=2", "/") == "/manage/?page=2"
    assert safe_next_url(None, "/x") == "/x"
    assert safe_next_url("/a\nSet-Cookie: x", "/") == "/"


@pytest.mark.parametrize("lang", ["en", "id"])
def test_not_found_page_in_both_languages(client, lang):
    client.set_cookie("lang", lang)
    response = client.get("/no/such/page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in body
    assert "404" in body
    assert "Traceback" not in body


def test_method_not_allowed_is_405_page(client):
    response = client.post("/healthz")
    assert response.status_code in (400, 405)  # CSRF runs first on POST without a token
    assert "Traceback" not in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client):
    response = client.post("/manage/logout")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_security_headers_present(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def test_hsts_sent_over_https(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_use_no_external_assets(client):
    body = client.get("/").get_data(as_text=True)
    for needle in ("http://cdn", "https://cdn", "fonts.googleapis", "unpkg.com", "jsdelivr"):
        assert needle not in body


def test_production_refuses_default_secret_key(monkeypatch):
    class Prod(ProductionConfig):
        SECRET_KEY = Config.SECRET_KEY

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Prod)


def test_production_accepts_real_secret_key(tmp_path):
    class Prod(ProductionConfig):
        SECRET_KEY = "3f9a6c1e8b7d2045aa91c3e7f0b2d4c6e8a1b3c5d7e9f0a2"
        DATA_KEYS = "k1:" + "A" * 43
        BASE_URL = "https://events.example.org"
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.sqlite3'}"
        TASK_QUEUE_PATH = str(tmp_path / "q.sqlite3")

    app = create_app(Prod)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


@pytest.mark.parametrize(
    "lang, title", [("en", "Something went wrong"), ("id", "Terjadi kesalahan")]
)
def test_unexpected_error_gives_translated_500_page(tmp_path, lang, title):
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'e.sqlite3'}",
        TASK_QUEUE_PATH=str(tmp_path / "q.sqlite3"),
    )

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    client = app.test_client()
    client.set_cookie("lang", lang)
    response = client.get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert title in body
    assert "secret internal detail" not in body and "Traceback" not in body


def test_too_many_requests_page_is_translated(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "1 per minute")
    client.set_cookie("lang", "id")
    token_page = client.get("/manage/login").get_data(as_text=True)
    assert 'lang="id"' in token_page
    from tests.conftest import post_form

    post_form(client, "/manage/login", {"email": "a@example.org", "password": "x" * 12})
    response = post_form(client, "/manage/login", {"email": "a@example.org", "password": "x" * 12})
    assert response.status_code == 429
    assert "Terlalu banyak permintaan" in response.get_data(as_text=True)
