"""Travel in the API (issue 17): read and set a registration's plan, list hotels, the arrivals
and departures lists; the same rules as the web, errors in the language of Accept-Language,
nothing stored on a refusal; permissions as on the staff pages."""

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import TravelPlan
from seminar_app.services.accounts import api_tokens
from tests.factories import add_registration, add_team_member, make_registration
from tests.travel_helpers import day, travel_event


def bearer(secret: str, language: str = "en") -> dict:
    return {"Authorization": f"Bearer {secret}", "Accept-Language": language}


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def setup(owner):
    event, hotel = travel_event(owner)
    registration, _token = make_registration(event)
    writer = api_tokens.create_token(owner, name="Website", can_write=True)[1]
    reader = api_tokens.create_token(owner, name="Reader")[1]
    return event, hotel, registration, writer, reader


def body(event, hotel, **overrides) -> dict:
    values = {"arrival_at": f"{day(event, -1).isoformat()}T14:35:00+07:00",
              "arrival_mode": "flight", "arrival_number": "ga 881", "arrival_place": "dps",
              "arrival_pickup": True,
              "departure_at": f"{day(event, 2).isoformat()}T09:00:00+07:00",
              "departure_mode": "train", "departure_place": "Gambir",
              "lodging": "hotel", "hotel_id": hotel.id,
              "check_in": day(event, -1).isoformat(), "check_out": day(event, 2).isoformat()}
    values.update(overrides)
    return values


def _url(event, registration) -> str:
    return f"/api/v1/events/{event.id}/registrations/{registration.id}/travel"


def test_set_and_read_a_plan(client, setup):
    event, hotel, registration, writer, reader = setup
    response = client.put(_url(event, registration), json=body(event, hotel),
                          headers=bearer(writer))
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["arrival_place"] == "DPS" and data["arrival_number"] == "GA 881"
    assert data["arrival_at"] == f"{day(event, -1).isoformat()}T07:35:00Z"
    assert data["hotel_id"] == hotel.id and data["lodging"] == "hotel"
    read = client.get(_url(event, registration), headers=bearer(reader)).get_json()["data"]
    assert read == data
    hotels = client.get(f"/api/v1/events/{event.id}/hotels", headers=bearer(reader)).get_json()
    assert hotels["data"][0]["name"] == "Hotel Borobudur" and hotels["travel"] == "optional"
    arrivals = client.get(f"/api/v1/events/{event.id}/arrivals",
                          headers=bearer(reader)).get_json()
    assert arrivals["meta"]["total"] == 1
    entry = arrivals["data"][0]
    assert entry["reference"] == registration.reference and entry["pickup"] is True
    assert entry["local_time"].startswith(f"{day(event, -1).isoformat()}T14:35:00+07:00")
    departures = client.get(f"/api/v1/events/{event.id}/departures",
                            headers=bearer(reader)).get_json()
    assert departures["data"][0]["place"] == "Gambir"


@pytest.mark.parametrize(("language", "change", "field", "message"), [
    ("en", {"departure_at": "2020-01-01T00:00:00Z"}, "departure_at",
     "The departure must be after the arrival."),
    ("id", {"departure_at": "2020-01-01T00:00:00Z"}, "departure_at",
     "Keberangkatan harus setelah kedatangan."),
    ("en", {"arrival_place": "ZZZ"}, "arrival_place", "ZZZ is not a known IATA airport code"),
    ("id", {"arrival_place": "ZZZ"}, "arrival_place", "ZZZ bukan kode bandara IATA"),
    ("en", {"share_with": "ghost@example.org"}, "share_with", "Nobody taking part"),
    ("id", {"share_with": "ghost@example.org"}, "share_with", "Tidak ada peserta"),
    ("en", {"check_out": "2020-01-01"}, "check_out", "check-out date must be after"),
    ("id", {"check_out": "2020-01-01"}, "check_out", "Tanggal check-out harus setelah"),
])
def test_bad_plans_are_refused_in_both_languages(client, setup, language, change, field,
                                                 message):
    event, hotel, registration, writer, _reader = setup
    response = client.put(_url(event, registration), json=body(event, hotel, **change),
                          headers=bearer(writer, language))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert message in error["fields"][field]
    assert db.session.scalar(select(func.count()).select_from(TravelPlan)) == 0


def test_a_hotel_of_another_event_and_oneself_are_refused(client, owner, setup):
    event, hotel, registration, writer, _reader = setup
    _other, other_hotel = travel_event(owner)
    response = client.put(_url(event, registration),
                          json=body(event, hotel, hotel_id=other_hotel.id),
                          headers=bearer(writer, "id"))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["hotel_id"] == \
        "Pilih salah satu hotel acara ini."
    response = client.put(_url(event, registration),
                          json=body(event, hotel, share_with=registration.reference),
                          headers=bearer(writer))
    assert response.status_code == 422 and "share_with" in response.get_json()["error"]["fields"]


def test_permissions(client, app, owner, make_user, setup):
    event, hotel, registration, _writer, reader = setup
    assert client.get(_url(event, registration)).status_code == 401
    refused = client.put(_url(event, registration), json=body(event, hotel),
                         headers=bearer(reader))
    assert refused.status_code == 403
    stranger = make_user("organizer")
    secret = api_tokens.create_token(stranger, name="Other", can_write=True)[1]
    assert client.get(_url(event, registration), headers=bearer(secret)).status_code == 404
    viewer = make_user("staff")
    add_team_member(event, viewer)
    viewer_secret = api_tokens.create_token(viewer, name="Viewer", can_write=True)[1]
    assert client.get(_url(event, registration), headers=bearer(viewer_secret)).status_code \
        == 200
    assert client.put(_url(event, registration), json=body(event, hotel),
                      headers=bearer(viewer_secret)).status_code == 403
    other = add_registration(travel_event(owner)[0])
    response = client.get(f"/api/v1/events/{event.id}/registrations/{other.id}/travel",
                          headers=bearer(reader))
    assert response.status_code == 404


def test_document_lists_the_travel_operations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operations = {operation["operationId"] for item in document["paths"].values()
                  for key, operation in item.items() if key != "parameters"}
    assert {"getTravel", "setTravel", "listHotels", "listArrivals",
            "listDepartures"} <= operations
    assert "x-rules-beyond-schema" in document["components"]["schemas"]["TravelInput"]
