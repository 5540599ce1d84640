"""One definition of a registration's input (services.registration.registration_input): the web
forms and
the API's schema are built from it, and the service cleans every entry point the same way."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import Registration
from seminar_app.registration.delegation_forms import MemberForm
from seminar_app.registration.forms import build_registration_form
from seminar_app.services.accounts import api_tokens
from seminar_app.services.registration import delegations as delegation_service
from seminar_app.services.registration import registration_input
from seminar_app.services.registration.registration_input import InvalidInput, check_phone
from tests.conftest import post_form
from tests.factories import (
    add_registration,
    form_fields,
    make_registration,
    registration_event,
    service_data,
    visa_fields,
)

#: fields of the web form that are not a registration's input
FORM_ONLY = {"csrf_token", "consent", "submit"}


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return registration_event(owner, capacity=20)


@pytest.fixture
def writer(owner, event):
    return api_tokens.create_token(owner, name="Website", can_write=True)[1]


def api_post(client, event, secret, **body):
    payload = {"honorific": "mr", "given_name": "Budi", "family_name": "Santoso",
               "email": "api@example.org", "country": "ID", "organisation": "Kemlu",
               "delegation_role": "delegate", **body}
    return client.post(f"/api/v1/events/{event.id}/registrations", json=payload,
                       headers={"Authorization": f"Bearer {secret}"})


def stored(email: str) -> Registration:
    return db.session.scalar(select(Registration).where(Registration.email == email))


def api_visa_fields(event) -> dict:
    return {"needs_visa_letter": True, "nationality": "MY", "birth_date": "1975-04-02",
            "birth_place": "Kuala Lumpur",
            "passport_expiry": (event.end_at + timedelta(days=365)).date().isoformat()}


# --- every entry point normalises the same way ------------------------------------------------

def test_web_form_and_api_store_passport_and_phone_the_same(client, event, writer):
    web = post_form(client, f"/events/{event.slug}/register", {
        **form_fields(email="web@example.org", country="ID", phone="021 344 1508"),
        **visa_fields(event), "passport_number": " b12 34 567 "})
    assert web.status_code == 303, web.get_data(as_text=True)[:2000]
    api = api_post(client, event, writer, email="api@example.org", phone="021 344 1508",
                   passport_number=" b12 34 567 ", **api_visa_fields(event))
    assert api.status_code == 201, api.get_json()
    from_web, from_api = stored("web@example.org"), stored("api@example.org")
    assert (from_web.passport_number, from_web.phone) == ("B1234567", "+62213441508")
    assert (from_api.passport_number, from_api.phone) == ("B1234567", "+62213441508")


def test_web_form_and_api_collapse_whitespace_the_same(client, event, writer):
    names = {"given_name": "  Siti   Nur ", "organisation": " Ministry  of Trade ",
             "dietary": "  Halal  food  "}
    assert post_form(client, f"/events/{event.slug}/register",
                     form_fields(email="web@example.org", **names)).status_code == 303
    assert api_post(client, event, writer, **names).status_code == 201
    for email in ("web@example.org", "api@example.org"):
        registration = stored(email)
        assert registration.given_name == "Siti Nur"
        assert registration.organisation == "Ministry of Trade"
        assert registration.dietary == "Halal  food"  # several lines: only stripped


def test_web_form_and_api_refuse_a_bad_phone_with_one_message(client, event, writer):
    page = post_form(client, f"/events/{event.slug}/register",
                     form_fields(country="ID", phone="12345"))
    api = api_post(client, event, writer, phone="12345")
    assert page.status_code == 422 and api.status_code == 422
    message = api.get_json()["error"]["fields"]["phone"]
    assert message.startswith("Enter a valid phone number for Indonesia")
    assert message in page.get_data(as_text=True).replace("&#43;", "+")


def test_check_phone_reads_the_number_for_the_country():
    assert check_phone("021 344 1508", "ID") == "+62213441508"
    assert check_phone("03-2161 2121", "my") == "+60321612121"
    assert check_phone("+62 21 3441508") == "+62213441508"  # no country: international only
    with pytest.raises(InvalidInput, match="with its country code"):
        check_phone("021 344 1508")
    with pytest.raises(InvalidInput, match="for Indonesia"):
        check_phone("12", "ID")


def test_api_drops_the_other_form_of_address_unless_other(client, event, writer):
    assert api_post(client, event, writer, honorific="mr", honorific_other="Hon.",
                    email="mr@example.org").status_code == 201
    assert stored("mr@example.org").honorific_other == ""
    refused = api_post(client, event, writer, honorific="other", honorific_other=" ")
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {
        "honorific_other": "Please write the form of address."}


def test_api_needs_a_valid_passport_with_a_visa_letter(client, event, writer):
    fields = {**api_visa_fields(event), "passport_number": "B1234567"}
    del fields["passport_expiry"]
    refused = api_post(client, event, writer, **fields)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {
        "passport_expiry": "The passport must be valid after the end of the event."}
    assert stored("api@example.org") is None


def test_api_checks_names_as_the_web_form_does(client, event, writer):
    refused = api_post(client, event, writer, family_name="Santoso2")
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {
        "family_name": "Please use letters, spaces, apostrophes, hyphens and dots only."}


def test_update_judges_only_the_values_it_changes(client, event, writer):
    registration = add_registration(event, given_name="Delegate7")  # older than the name rule
    url = f"/api/v1/events/{event.id}/registrations/{registration.id}"
    headers = {"Authorization": f"Bearer {writer}"}
    assert client.patch(url, json={"dietary": "Vegan"}, headers=headers).status_code == 200
    refused = client.patch(url, json={"given_name": "Delegate8"}, headers=headers)
    assert refused.status_code == 422 and set(refused.get_json()["error"]["fields"]) == {
        "given_name"}
    db.session.refresh(registration)
    assert (registration.given_name, registration.dietary) == ("Delegate7", "Vegan")


def test_delegation_members_are_cleaned_by_the_service(event):
    head = service_data(email="head@example.org", delegation_role="head", honorific="he")
    members = [{"honorific": "mr", "given_name": "  Ayu   Sri ", "family_name": "Delegasi",
                "email": " Row@Example.org ", "position": "  ", "honorific_other": "Hon.",
                "language": " "}]
    delegation, _tokens = delegation_service.register_delegation(event, head, members)
    member = stored("row@example.org")
    assert member.delegation_id == delegation.id
    assert (member.given_name, member.position, member.honorific_other, member.language) == (
        "Ayu Sri", "", "", head["language"])


def test_service_refuses_values_the_form_refuses(event):
    for overrides, field in (({"position": "<b>"}, "position"),
                             ({"organisation_type": "cult"}, "organisation_type"),
                             ({"language": "fr"}, "language"),
                             ({"given_name": "x" * 101}, "given_name"),
                             ({"needs_visa_letter": True, "passport_number": "AB-1"},
                              "passport_number")):
        with pytest.raises(InvalidInput) as raised:
            make_registration(event, **overrides)
        assert raised.value.field == field, overrides
    db.session.rollback()


def test_personal_link_keeps_passport_fields_left_blank(client, event):
    registration, token = make_registration(
        event, needs_visa_letter=True, passport_number="X99", nationality="MY",
        birth_date=date(1970, 1, 1), birth_place="Ipoh",
        passport_expiry=(event.end_at + timedelta(days=400)).date())
    fields = {**form_fields(), **visa_fields(event), "passport_number": "   ",
              "birth_place": " ", "birth_date": ""}
    fields.pop("email"), fields.pop("consent")
    assert post_form(client, f"/r/{token}/edit", fields).status_code == 303
    db.session.refresh(registration)
    assert (registration.passport_number, registration.birth_place) == ("X99", "Ipoh")


# --- one definition builds the web forms and the API's schema --------------------------------

def _form_shape(fields) -> dict:
    """name -> (max length, choices, required) of WTForms fields."""
    shape = {}
    for field in fields:
        if field.name in FORM_ONLY:
            continue
        choices = ()
        if field.type == "SelectField" and field.name not in ("country", "nationality"):
            choices = tuple(str(choice.value) for choice in field.choices if choice.value)
        shape[field.name] = (field.flags.maxlength or None, choices,
                             bool(field.flags.required))
    return shape


def _schema_shape(schema: dict) -> dict:
    required = set(schema.get("required", ()))
    def choices(name, prop):  # countries are listed by the API only; "" means "not given"
        if name in ("country", "nationality"):
            return ()
        return tuple(value for value in prop.get("enum", ()) if value != "")

    return {name: (prop.get("maxLength"), choices(name, prop), name in required)
            for name, prop in schema["properties"].items() if name != "answers"}


def test_web_form_and_api_schema_list_the_same_fields(app, client, event):
    document = client.get("/api/v1/openapi.json").get_json()
    schema = document["components"]["schemas"]["RegistrationInput"]
    with app.test_request_context(f"/events/{event.slug}/register"):
        form = build_registration_form(event)
        form_shape = _form_shape(form)
        member_shape = _form_shape(MemberForm(formdata=None))
    schema_shape = _schema_shape(schema)
    assert form_shape == schema_shape
    assert form_shape["passport_number"] == (30, (), False)
    assert form_shape["organisation_type"][1] == registration_input.FIELDS_BY_NAME[
        "organisation_type"].values
    for name, (maximum, choices, _required) in member_shape.items():
        assert (maximum, choices) == schema_shape[name][:2], name  # a member row: a subset
    patch = document["components"]["schemas"]["RegistrationPatch"]
    assert set(patch["properties"]) == set(schema["properties"]) - {"email"}
    assert "required" not in patch
