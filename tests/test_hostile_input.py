"""Hostile input: random, huge, malformed and forged form data never breaks the app.

Property-based (hypothesis): every main form gets payloads built from a valid one, with values
replaced by random text (control characters, huge strings), numbers where text is expected,
repeated keys (lists), dropped fields and forged extra fields (status, owner_id, is_admin...).
Each answer must be below 500, and a refusal (4xx) must leave the database as it was.

The autouse cleaning fixture runs per test function, not per hypothesis example, so every
example compares the database before and after its own request, and unique values (emails)
come from a counter.

A second part stores XSS payloads (through the forms where they are allowed, and directly for
the rest) and checks they come back escaped on every page, and that the CSV export
neutralises spreadsheet formulas.
"""

from datetime import timedelta
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from seminar_app.extensions import db, limiter
from seminar_app.models import (
    AgendaSession,
    AuditEntry,
    CoHost,
    Event,
    QuestionKind,
    Registration,
    RegistrationAnswer,
    User,
)
from tests.conftest import PASSWORD, csrf_token
from tests.factories import (
    add_question,
    form_fields,
    logged_in,
    make_registration,
    registration_event,
    visa_fields,
)

#: the tables whose row counts must not move when a request is refused
COUNTED = (Registration, Event, AgendaSession, CoHost, User, AuditEntry)
HYPOTHESIS = settings(max_examples=25, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])
SCRIPT = "<script>alert(1)</script>"
_numbers = count(1)

# --- strategies --------------------------------------------------------------------------------

#: fields an attacker might add to take over an object or raise their rights
FORGED_FIELDS = ("status", "event_id", "source", "owner_id", "is_admin", "role", "id",
                 "reference", "badge_code", "user_id", "created_at", "checked_in_at",
                 "confirmed_at", "token", "email_verified", "capacity")

control_text = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=50)
hostile_text = st.one_of(
    st.text(max_size=3000),
    control_text,
    st.sampled_from([SCRIPT, "=cmd|' /C calc'!A0", "' OR 1=1 --", "../../etc/passwd",
                     "\x00", "%s%s%n", "{{ 7*7 }}", "\u202e\u0000\ufeff", "😀" * 300,
                     "-1", "0", "99999999999999999999", "NaN", "2099-02-30", "T", ""]),
    st.builds(lambda n: "x" * n, st.sampled_from([255, 1001, 5001, 100_000])),
)
scalar = st.one_of(hostile_text, st.integers().map(str), st.floats().map(str))
#: a value as the test client sends it: one string, or a list (a repeated key)
value = st.one_of(scalar, scalar, scalar, st.lists(scalar, min_size=0, max_size=4))


@st.composite
def mutated(draw, base: dict) -> dict:
    """``base`` with some values replaced, some keys dropped and some forged keys added."""
    data = dict(base)
    keys = sorted(data)
    for key in draw(st.lists(st.sampled_from(keys), max_size=len(keys), unique=True)):
        data[key] = draw(value)
    for key in draw(st.lists(st.sampled_from(keys), max_size=3, unique=True)):
        data.pop(key, None)
    for key in draw(st.lists(st.sampled_from(FORGED_FIELDS), max_size=3, unique=True)):
        data[key] = draw(value)
    return data


#: query strings: any text, control characters (NUL included), any integer
query_text = st.text(st.characters(codec="utf-8"), max_size=300)
query_value = st.one_of(query_text, control_text,
                        st.integers(-10**30, 10**30).map(str),
                        st.sampled_from(["", "-1", "0", "2099-13",
                                         "abc", "1e9", SCRIPT, "%00", "x" * 5000]))


def query_strings(keys: tuple) -> st.SearchStrategy:
    """Query parameters: known keys and random ones, single or repeated."""
    key = st.one_of(st.sampled_from(keys), st.text(min_size=1, max_size=20))
    return st.dictionaries(key, st.one_of(query_value, st.lists(query_value, max_size=3)),
                           max_size=6)


# --- helpers -----------------------------------------------------------------------------------

def snapshot(*extra, audit_ignored=()) -> tuple:
    """Row counts of the counted tables, plus the column values of ``extra`` objects.

    Audit entries whose action is in ``audit_ignored`` are not counted (a failed login is
    recorded on purpose).
    """
    db.session.expire_all()
    counts = [db.session.scalar(select(func.count()).select_from(model))
              for model in COUNTED[:-1]]
    counts.append(db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.not_in(audit_ignored))))
    rows = []
    for obj in extra:
        fresh = db.session.get(type(obj), obj.id)
        rows.append({c.key: getattr(fresh, c.key) for c in fresh.__mapper__.column_attrs})
    return counts, rows


def check(response, before, *extra, audit_ignored=()):
    """Never a 500; a refusal changes nothing."""
    note(f"status {response.status_code}")
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    if 400 <= response.status_code < 500:
        after = snapshot(*extra, audit_ignored=audit_ignored)
        assert after == before, f"refused with {response.status_code} but stored"


def post(client, url, data, token, **kwargs):
    """POST ``data`` with a valid CSRF token (never replaced by a random one)."""
    payload = {key: val for key, val in data.items() if key != "csrf_token"}
    payload["csrf_token"] = token
    return client.post(url, data=payload, **kwargs)


@pytest.fixture(autouse=True)
def _no_rate_limits(monkeypatch):
    monkeypatch.setattr(limiter, "enabled", False)


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return registration_event(owner, capacity=10_000)


@pytest.fixture
def owner_client(app, owner):
    client = logged_in(app, owner)
    return client, csrf_token(client)


@pytest.fixture
def public_client(client):
    return client, csrf_token(client)


# --- public forms ------------------------------------------------------------------------------

@HYPOTHESIS
@given(data=st.data())
def test_register_survives_hostile_payloads(public_client, event, data):
    client, token = public_client
    payload = data.draw(mutated(form_fields(email=f"hostile{next(_numbers)}@example.org")))
    before = snapshot()
    check(post(client, f"/events/{event.slug}/register", payload, token), before)


@HYPOTHESIS
@given(data=st.data())
def test_personal_link_edit_survives_hostile_payloads(client, event, data):
    registration, link = make_registration(event)
    token = csrf_token(client)
    payload = data.draw(mutated(form_fields(email=registration.email)))
    before = snapshot(registration)
    check(post(client, f"/r/{link}/edit", payload, token), before, registration)


@HYPOTHESIS
@given(data=st.data())
def test_login_survives_hostile_payloads(app, owner, data):
    client = app.test_client()
    payload = data.draw(mutated({"email": owner.email, "password": PASSWORD, "next": "/manage/"}))
    ignored = ("user.login_failed",)
    before = snapshot(audit_ignored=ignored)
    response = post(client, "/manage/login", payload, csrf_token(client))
    check(response, before, audit_ignored=ignored)


# --- staff forms -------------------------------------------------------------------------------

def event_form() -> dict:
    year = 2099
    return {"title": f"Forum {next(_numbers)}", "slug": "", "event_type": "forum",
            "theme": "Growing Together", "description": "A **forum**.",
            "timezone": "Asia/Jakarta", "start_at": f"{year}-03-17T09:00",
            "end_at": f"{year}-03-18T17:00", "venue_name": "Gedung Pancasila",
            "venue_address": "Jl. Taman Pejambon No. 6", "venue_city": "Jakarta",
            "venue_country": "ID", "online_url": "", "languages": ["en", "id"],
            "capacity": "150", "registration_opens_at": f"{year}-01-10T08:00",
            "registration_closes_at": f"{year}-03-10T23:59", "visibility": "public",
            "contact_name": "Protocol Desk", "contact_email": "protocol@example.org",
            "contact_phone": "+62 21 344 1508"}


@HYPOTHESIS
@given(data=st.data())
def test_event_create_survives_hostile_payloads(owner_client, data):
    client, token = owner_client
    payload = data.draw(mutated(event_form()))
    before = snapshot()
    check(post(client, "/manage/events/new", payload, token), before)


@HYPOTHESIS
@given(data=st.data())
def test_agenda_session_add_survives_hostile_payloads(owner_client, event, data):
    client, token = owner_client
    day = (event.start_at + timedelta(hours=7)).date().isoformat()
    base = {"day": day, "start_time": "09:00", "end_time": "10:30", "title": "Opening",
            "room": "Nusantara Hall", "description": "", "speakers-0-name": "Dr. Ratna",
            "speakers-0-title": "Director", "speakers-0-organisation": "Kemlu",
            "speakers-1-name": "", "speakers-1-title": "", "speakers-1-organisation": ""}
    payload = data.draw(mutated(base))
    before = snapshot()
    check(post(client, f"/manage/events/{event.id}/agenda", payload, token), before)


@HYPOTHESIS
@given(data=st.data())
def test_cohost_add_survives_hostile_payloads(owner_client, event, data):
    client, token = owner_client
    payload = data.draw(mutated({"name": "Kemlu", "role": "Host", "url": "https://kemlu.go.id"}))
    before = snapshot()
    response = post(client, f"/manage/events/{event.id}/cohosts", payload, token,
                    content_type="multipart/form-data")
    check(response, before)


@HYPOTHESIS
@given(data=st.data())
def test_registration_on_behalf_survives_hostile_payloads(owner_client, event, data):
    client, token = owner_client
    payload = data.draw(mutated(form_fields(email=f"behalf{next(_numbers)}@example.org")))
    before = snapshot()
    check(post(client, f"/manage/events/{event.id}/registrations/new", payload, token), before)


@HYPOTHESIS
@given(data=st.data())
def test_question_add_survives_hostile_payloads(owner_client, event, data):
    client, token = owner_client
    payload = data.draw(mutated({"label": "Meal", "kind": "choice",
                                 "choices": "Halal\nVegetarian", "required": "y"}))
    before = snapshot()
    check(post(client, f"/manage/events/{event.id}/questions", payload, token), before)


@HYPOTHESIS
@given(data=st.data())
def test_checkin_scan_survives_hostile_payloads(owner_client, event, data):
    client, token = owner_client
    registration, _link = make_registration(event)
    payload = data.draw(mutated({"code": registration.badge_code}))
    before = snapshot()
    headers = {"HX-Request": "true"} if data.draw(st.booleans()) else {}
    response = post(client, f"/manage/events/{event.id}/checkin/scan", payload, token,
                    headers=headers)
    check(response, before)


# --- filters (GET) -----------------------------------------------------------------------------

@HYPOTHESIS
@given(query=query_strings(("status", "q", "event_id", "page")))
def test_outbox_filters_survive_hostile_query_strings(owner_client, query):
    client, _token = owner_client
    before = snapshot()
    response = client.get("/manage/emails", query_string=query)
    assert response.status_code < 500
    assert snapshot() == before


@HYPOTHESIS
@given(query=query_strings(("q", "type", "month", "page")))
def test_public_list_filters_survive_hostile_query_strings(client, event, query):
    before = snapshot()
    response = client.get("/", query_string=query)
    assert response.status_code < 500
    assert snapshot() == before


@HYPOTHESIS
@given(query=query_strings(("q", "status", "country", "role", "sort", "page", "per_page")))
def test_participant_list_filters_survive_hostile_query_strings(owner_client, event, query):
    client, _token = owner_client
    response = client.get(f"/manage/events/{event.id}/registrations", query_string=query)
    assert response.status_code < 500


#: pages that read ``page`` from the query string; (suffix, needs event id)
PAGED_URLS = ("/", "/manage/emails", "/manage/audit", "/manage/",
              "/manage/events/{event_id}/registrations")
@pytest.mark.parametrize("url", PAGED_URLS)
@pytest.mark.parametrize("page", ["99999999999999999999"])
def test_huge_page_number_is_not_a_500(app, make_user, event, url, page):
    client = logged_in(app, make_user("admin"))
    response = client.get(url.format(event_id=event.id), query_string={"page": page})
    assert response.status_code < 500


@HYPOTHESIS
@given(query=query_strings(("q",)))
def test_checkin_search_survives_hostile_query_strings(owner_client, event, query):
    client, _token = owner_client
    response = client.get(f"/manage/events/{event.id}/checkin/search", query_string=query)
    assert response.status_code < 500


@HYPOTHESIS
@given(query=query_strings(("event_id", "action", "user_id", "page")))
def test_audit_filters_survive_hostile_query_strings(app, make_user, query):
    client = logged_in(app, make_user("admin"))
    response = client.get("/manage/audit", query_string=query)
    assert response.status_code < 500


#: whitespace passed Optional() on a SelectField, skipping the choice check (then int() or
#: the status enum raised a 500)
BLANK_SELECTS = [("/manage/emails", "status"), ("/manage/emails", "event_id"),
                 ("/manage/audit", "event_id"), ("/manage/audit", "user_id")]


@pytest.mark.parametrize(("url", "key"), BLANK_SELECTS)
@pytest.mark.parametrize("blank", [" ", "\r", "\t\n"])
def test_blank_filter_choice_is_refused_not_a_500(app, make_user, url, key, blank):
    client = logged_in(app, make_user("admin"))
    assert client.get(url, query_string={key: blank}).status_code == 422


@pytest.mark.parametrize("kind", [QuestionKind.CHOICE, QuestionKind.YES_NO])
@pytest.mark.parametrize("blank", [" ", "\r"])
def test_blank_answer_to_optional_question_is_not_stored(public_client, event, kind, blank):
    client, token = public_client
    question = add_question(event, "Meal", kind, choices=["Halal", "Vegetarian"])
    data = {**form_fields(), f"q_{question.id}": blank}
    response = post(client, f"/events/{event.slug}/register", data, token)
    assert response.status_code < 500
    stored = db.session.scalars(select(RegistrationAnswer.value)).all()
    assert set(stored) <= {"", "Halal", "Vegetarian", "yes", "no"}, stored


@pytest.mark.parametrize("field", ["nationality", "passport_number", "birth_place"])
@pytest.mark.parametrize("blank", [" ", "\r"])
def test_blank_passport_field_with_visa_letter_is_refused(public_client, event, field, blank):
    client, token = public_client
    data = {**form_fields(), **visa_fields(event), field: blank}
    before = snapshot()
    response = post(client, f"/events/{event.slug}/register", data, token)
    assert response.status_code == 422
    assert snapshot() == before


SEARCHES = (("/", "q"), ("/manage/", "q"), ("/manage/emails", "q"),
            ("/manage/events/{event_id}/registrations", "q"),
            ("/manage/events/{event_id}/checkin/search", "q"), ("/manage/audit", "action"))


@pytest.mark.parametrize(("url", "key"), SEARCHES)
def test_nul_in_search_is_not_a_500(app, make_user, event, url, key):
    client = logged_in(app, make_user("admin"))
    response = client.get(url.format(event_id=event.id), query_string={key: "a\x00b"})
    assert response.status_code < 500


# --- stored XSS --------------------------------------------------------------------------------

XSS_VARIANTS = (SCRIPT, '"><img src=x onerror=alert(1)>', "<svg/onload=alert(1)>")


def assert_escaped(body: str, *payloads):
    """No payload appears raw in ``body``."""
    for payload in payloads:
        assert payload not in body


def _xss_event(client, token, payload):
    data = event_form()
    data.update(title=f"Forum {payload}", theme=payload, description=f"Intro {payload}",
                venue_name=payload, contact_name=payload, registration_opens_at="")
    response = post(client, "/manage/events/new", data, token)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return db.session.scalars(select(Event).order_by(Event.id.desc())).first()


def _register_with(client, event, payload) -> Registration:
    """Register with ``payload`` in every free-text field the public form accepts it in."""
    token = csrf_token(client)
    accepted = {}
    for field in ("given_name", "family_name", "organisation", "position", "honorific_other",
                  "dietary", "accessibility", "phone"):
        data = form_fields(**{field: payload, **accepted})
        if field == "honorific_other":
            data["honorific"] = "other"
        response = post(client, f"/events/{event.slug}/register", data, token)
        assert response.status_code < 500
        if response.status_code in (302, 303):
            db.session.query(Registration).filter_by(email=data["email"]).delete()
            db.session.commit()
            accepted[field] = payload
    assert {"dietary", "accessibility"} <= set(accepted), accepted
    data = form_fields(**accepted)
    assert post(client, f"/events/{event.slug}/register", data, token).status_code in (302, 303)
    return db.session.scalars(select(Registration).filter_by(email=data["email"])).one()


@pytest.mark.parametrize("payload", XSS_VARIANTS)
def test_stored_xss_comes_back_escaped_everywhere(app, owner_client, payload):
    client, token = owner_client
    event = _xss_event(client, token, payload)
    assert post(client, f"/manage/events/{event.id}/publish", {}, token).status_code < 400
    registration = _register_with(app.test_client(), event, payload)
    db.session.get(Registration, registration.id).organisation = payload
    db.session.commit()
    urls = [f"/events/{event.slug}", "/", "/events/", "/manage/",
            f"/manage/events/{event.id}", f"/manage/events/{event.id}/edit",
            f"/manage/events/{event.id}/registrations",
            f"/manage/events/{event.id}/registrations/{registration.id}",
            f"/manage/events/{event.id}/registrations/{registration.id}/edit",
            f"/manage/events/{event.id}/checkin"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.get_data(as_text=True), payload)
    shown = str(escape(payload))
    for url in (f"/events/{event.slug}", "/",
                f"/manage/events/{event.id}/registrations/{registration.id}"):
        assert shown in client.get(url).get_data(as_text=True), url
    anonymous = app.test_client()
    link_page = anonymous.get(f"/events/{event.slug}").get_data(as_text=True)
    assert_escaped(link_page, payload)


def test_csv_export_neutralises_formulas(owner_client, event):
    client, _token = owner_client
    make_registration(event, organisation="=HYPERLINK(\"http://x\")", position="+1+1",
                      dietary="@SUM(A1)", accessibility="-2+3")
    response = client.get(f"/manage/events/{event.id}/export.csv")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for formula in ('=HYPERLINK', "+1+1", "@SUM(A1)", "-2+3"):
        assert f",{formula}" not in body and f'"{formula}' not in body
        assert f"'{formula}" in body.replace('""', '"')


#: numbers no row can have: one past PostgreSQL's integer, and one past SQLite's
HUGE_IDS = (2**31, 10**20)


@pytest.mark.parametrize("number", HUGE_IDS)
def test_out_of_range_ids_in_any_path_are_not_found(app, make_user, event, number):
    """Every GET route whose path holds a number answers 404 (or sends the visitor on) for
    a number beyond the id range: it never reaches the database, which would refuse it."""
    admin_client = logged_in(app, make_user("admin"))
    anonymous = app.test_client()
    answers = {}
    for rule in app.url_map.iter_rules():
        numbers = [name for name, converter in rule._converters.items()
                   if isinstance(converter, IntegerConverter)]
        if not numbers or "GET" not in rule.methods:
            continue
        path = rule.rule
        for name in rule.arguments:
            value = number if name in numbers else "x"
            path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        path = path.replace("<path:", "<").split("<")[0] if "<" in path else path
        client = admin_client if path.startswith(("/manage/", "/api/")) else anonymous
        answers[path] = client.get(path).status_code
    assert answers and all(status < 500 for status in answers.values()), answers
    assert all(status in (302, 401, 404) for status in answers.values()), \
        {path: status for path, status in answers.items() if status not in (302, 401, 404)}


@pytest.mark.parametrize("number", ("2147483648", "99999999999"))
@pytest.mark.parametrize("link", ("/v/{n}.AAAAAAAAAAAAAAAA", "/c/{n}.AAAAAAAAAAAAAAAAAAAAAA.pdf",
                                  "/s/s{n}.AAAAAAAAAAAAAAAAAAAAAA",
                                  "/u/r{n}.AAAAAAAAAAAAAAAAAAAAAA",
                                  "/u/i{n}.AAAAAAAAAAAAAAAAAAAAAA",
                                  "/api/v1/certificates/{n}.AAAAAAAAAAAAAAAA"))
def test_signed_links_with_out_of_range_ids_are_not_found(client, link, number):
    """Public links carry a row id and a MAC: an id no row can have is a link that is not
    valid (404), also on PostgreSQL, which refuses such a number in a query."""
    assert client.get(link.format(n=number)).status_code == 404
