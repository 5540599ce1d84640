"""Addresses that are not addresses at all ("http://[", a port that is not a number) get the
field's message, never a 500: on the event form, in the API and as a login's "next"."""

import pytest

from seminar_app.services.events.event_values import is_web_url
from seminar_app.web import safe_next_url


@pytest.mark.parametrize("url", ["http://[", "https://[::1", "http://example.org:port/",
                                 "http://", "ftp://example.org", "example.org"])
def test_not_a_web_address(url):
    assert not is_web_url(url)


@pytest.mark.parametrize("url", ["https://example.org", "http://[::1]:8080/x",
                                 "https://zoom.us/j/123?pwd=a"])
def test_a_web_address(url):
    assert is_web_url(url)


def test_a_next_url_that_cannot_be_parsed_falls_back():
    assert safe_next_url("//[", "/home") == "/home"


def test_the_api_refuses_an_online_address_that_is_not_one(client, make_user):
    from seminar_app.services.accounts import api_tokens
    owner = make_user("organizer")
    secret = api_tokens.create_token(owner, name="Website", can_write=True)[1]
    body = {"title": "Online", "start_at": "2027-03-01T09:00:00+07:00",
            "end_at": "2027-03-01T12:00:00+07:00", "online_url": "http://["}
    response = client.post("/api/v1/events", json=body,
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"online_url"}
