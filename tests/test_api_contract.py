"""The API accepts what its OpenAPI document allows and refuses what it forbids (issue 18):
the cases Schemathesis found, pinned as plain tests."""

import re

import pytest

from seminar_app.services.accounts import api_tokens
from tests.factories import add_registration, registration_event


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return registration_event(owner, title="Jakarta Forum")


@pytest.fixture
def headers(owner, event):
    secret = api_tokens.create_token(owner, name="Website", can_write=True)[1]
    return {"Authorization": f"Bearer {secret}"}


def _document(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def error_fields(response) -> set:
    return set(response.get_json()["error"]["fields"])


@pytest.mark.parametrize("query", ["to=", "from=", "status=", "page=", "to=2026-13-01",
                                   "from=1899-12-31", "to=2026-05-01&to=2026-05-02"])
def test_invalid_query_arguments_are_refused_never_ignored(client, headers, event, query):
    response = client.get(f"/api/v1/events?{query}", headers=headers)
    assert response.status_code == 400
    assert error_fields(response) == {query.split("=")[0]}


def test_unknown_query_arguments_are_refused(client, headers, event):
    response = client.get("/api/v1/events?colour=red", headers=headers)
    assert response.status_code == 400 and error_fields(response) == {"colour"}
    response = client.get(f"/api/v1/events/{event.id}?page=1", headers=headers)
    assert response.status_code == 400 and error_fields(response) == {"page"}
    assert client.get("/api/v1/events?q=&page=1", headers=headers).status_code == 200


def test_the_document_states_the_year_range_and_the_api_follows_it(client, headers, event):
    document = _document(client)
    params = {p["name"]: p["schema"] for p in document["paths"]["/events"]["get"]["parameters"]}
    assert params["from"]["format"] == "date" and "9000" in params["from"]["pattern"]
    assert client.get("/api/v1/events?from=9000-12-31", headers=headers).status_code == 200
    assert client.get("/api/v1/events?from=9001-01-01", headers=headers).status_code == 400
    # the year is judged as written, whatever the offset
    body = {"title": "Late", "start_at": "9000-12-31T20:00:00-05:00",
            "end_at": "9000-12-31T22:00:00-05:00", "online_url": "https://example.org/x"}
    assert client.post("/api/v1/events", headers=headers, json=body).status_code == 201
    # RFC 3339 only: no ISO 8601 basic format
    body = {**body, "start_at": "90001231T200000-0500"}
    response = client.post("/api/v1/events", headers=headers, json=body)
    assert response.status_code == 422 and error_fields(response) == {"start_at"}


def test_countries_are_iso_codes_in_the_document_and_the_api(client, headers, event):
    add_registration(event, country="MY", email="my@example.org")
    document = _document(client)
    registration = document["components"]["schemas"]["RegistrationInput"]
    assert "ID" in registration["properties"]["country"]["enum"]
    assert "" not in registration["properties"]["country"]["enum"]
    assert "" in registration["properties"]["nationality"]["enum"]
    url = f"/api/v1/events/{event.id}/registrations"
    assert client.get(f"{url}?country=MY", headers=headers).get_json()["meta"]["total"] == 1
    for value in ("my", "ZZ", ""):
        response = client.get(f"{url}?country={value}", headers=headers)
        assert response.status_code == 400 and error_fields(response) == {"country"}


def test_conditional_requirements_are_in_the_document(client):
    registration = _document(client)["components"]["schemas"]["RegistrationInput"]
    conditions = {next(iter(rule["if"]["properties"])): rule["then"]["required"]
                  for rule in registration["allOf"]}
    assert conditions == {"honorific": ["honorific_other"],
                          "needs_visa_letter": ["passport_expiry"]}
    assert set(registration["required"]) >= {"given_name", "email", "country", "organisation"}
    assert "passport_expiry" in registration["x-rules-beyond-schema"]


def test_a_blank_date_is_refused_as_the_document_says(client, headers, event):
    body = {"honorific": "he", "given_name": "Retno", "email": "retno@example.org",
            "country": "ID", "organisation": "Ministry", "delegation_role": "head",
            "birth_date": ""}
    response = client.post(f"/api/v1/events/{event.id}/registrations", headers=headers,
                           json=body)
    assert response.status_code == 422 and error_fields(response) == {"birth_date"}
    body["birth_date"] = None
    response = client.post(f"/api/v1/events/{event.id}/registrations", headers=headers,
                           json=body)
    assert response.status_code == 201


def test_a_required_text_must_not_be_blank(client, headers, event):
    body = {"honorific": "he", "given_name": "Retno", "email": "retno@example.org",
            "country": "ID", "organisation": " \t", "delegation_role": "head"}
    response = client.post(f"/api/v1/events/{event.id}/registrations", headers=headers,
                           json=body)
    assert response.status_code == 422 and error_fields(response) == {"organisation"}


def test_an_empty_idempotency_header_is_refused(client, headers, event):
    response = client.post(f"/api/v1/events/{event.id}/mailings",
                           headers={**headers, "Idempotency-Key": ""},
                           json={"kind": "invitation", "idempotency_key": "k" * 20})
    assert response.status_code == 422 and error_fields(response) == {"idempotency_key"}


def test_not_blank_in_the_document_refuses_all_the_services_take_for_blank():
    """JSON Schema patterns are ECMA-262 regexes, whose \\s lacks some characters Python
    strips (U+0085): the documented "not blank" must refuse every character the services
    collapse away, read with ECMA's \\s."""
    import unicodedata

    from seminar_app.api.core import NOT_BLANK
    ecma_space = ("\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029"
                  "\\u202f\\u205f\\u3000\\ufeff")
    as_ecma = re.compile(NOT_BLANK.replace("\\s", ecma_space))
    blank = [chr(c) for c in range(0x3001)
             if chr(c).isspace() or unicodedata.category(chr(c)) == "Cc"]
    assert "\x85" in blank
    assert [c for c in blank if as_ecma.fullmatch(c)] == []
    assert as_ecma.fullmatch("a")
