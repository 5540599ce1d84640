"""Deeply nested or oversized JSON bodies are refused with a 4xx and a message, never a 500."""

import json

import pytest

from seminar_app.json_input import MAX_JSON_DEPTH, JsonBodyError, json_depth, parse_json
from seminar_app.services.accounts import api_tokens
from tests.conftest import csrf_token
from tests.factories import add_registration, add_team_member, logged_in, registration_event

DEEP = "[" * 100_000 + "]" * 100_000  # 200 KB: under the size limits
MEGABYTE_DEEP = "[" * 500_000 + "]" * 500_000  # 1 MB of nesting


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return registration_event(owner)


@pytest.fixture
def api(client, owner, event):
    """(post, url): POST a raw JSON body to the API's registration endpoint with a token."""
    secret = api_tokens.create_token(owner, name="Site", can_write=True)[1]

    def post(body: str, language="en"):
        return client.post(f"/api/v1/events/{event.id}/registrations", data=body,
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {secret}",
                                    "Accept-Language": language})
    return post


@pytest.fixture
def desk(app, event, make_user):
    """POST a raw body to the check-in desk's sync endpoint as a check-in officer."""
    officer = make_user("staff")
    add_team_member(event, officer, can_checkin=True)
    client = logged_in(app, officer)
    headers = {"X-CSRFToken": csrf_token(client)}

    def post(body: str, language="en"):
        client.set_cookie("lang", language)
        return client.post(f"/manage/events/{event.id}/checkin/sync", data=body,
                           content_type="application/json", headers=headers)
    return post


@pytest.mark.parametrize("text, depth", [
    ("1", 0), ("[]", 1), ('{"a": [1, {"b": []}]}', 4), ('["[[[[", "]]"]', 1),
    ('{"a\\"[[": "{{"}', 1), (DEEP, 100_000),
])
def test_json_depth_counts_brackets_outside_strings(text, depth):
    assert json_depth(text) == depth


def test_parse_json_refuses_more_than_the_maximum_depth():
    limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    parsed = parse_json(limit.encode(), max_bytes=10_000)
    assert isinstance(parsed, list) and json_depth(json.dumps(parsed)) == MAX_JSON_DEPTH
    with pytest.raises(JsonBodyError) as refused:
        parse_json(("[" + limit + "]").encode(), max_bytes=10_000)
    assert refused.value.reason == "too_deep"
    with pytest.raises(JsonBodyError) as refused:
        parse_json(b'{"a": "\xff"}', max_bytes=10_000)
    assert refused.value.reason == "broken"


@pytest.mark.parametrize("body", [DEEP, '{"given_name": ' + DEEP + "}", "{" * 50_000])
def test_api_nested_json_is_a_400_with_the_api_error_body(api, body):
    response = api(body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request"
    assert error["message"]


def test_api_nested_json_message_in_indonesian(api):
    response = api(DEEP, language="id")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == (
        f"Isi permintaan bersarang terlalu dalam (paling banyak {MAX_JSON_DEPTH} tingkat).")


def test_api_megabyte_of_nesting_is_refused_as_too_large(api):
    response = api(MEGABYTE_DEEP)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_api_still_accepts_a_normal_body(api):
    response = api('{"given_name": "Retno", "family_name": "Marsudi", "honorific": "he", '
                   '"email": "retno@example.org", "country": "ID", "organisation": "Kemlu", '
                   '"delegation_role": "head", "language": "id"}')
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("body", [DEEP, '{"arrivals": [' + DEEP + "]}", MEGABYTE_DEEP])
def test_checkin_sync_nested_json_is_a_400(desk, body):
    response = desk(body)
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_checkin_sync_nested_json_message_in_indonesian(desk):
    response = desk('{"arrivals": [' + DEEP + "]}", language="id")
    assert response.status_code == 400
    assert "bersarang terlalu dalam" in response.get_json()["error"]


def test_checkin_sync_still_records_arrivals(desk, event):
    siti = add_registration(event)
    response = desk(json.dumps({"arrivals": [{"code": siti.badge_code}]}))
    assert response.status_code == 200
    assert response.get_json()["results"][0]["outcome"] == "checked_in"
