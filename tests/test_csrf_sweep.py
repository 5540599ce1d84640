"""CSRF sweep: every route that accepts POST refuses a request without a CSRF token.

For every rule of the URL map that accepts POST (public, delegate and staff routes alike),
a POST without a ``csrf_token`` field or header, sent by an anonymous visitor and by a
logged-in administrator, must answer 400 and change nothing (counted rows of audit entries,
registrations, events and outbox emails stay the same). Flask-WTF checks the token before
any login check, so anonymous visitors get 400 on staff routes too.

URL arguments come from the world of tests/test_access_sweep.py; an argument this module
does not know fails the test, so a new route cannot slip past the sweep.
"""

import tempfile

import pytest
from sqlalchemy import func, select

from config import TestingConfig
from seminar_app import create_app
from seminar_app.models import AuditEntry, Event, OutboxEmail, Registration
from seminar_app.services.registration.registration_codes import new_manage_token
from tests.test_access_sweep import World, _logged_in, world  # noqa: F401 - fixture

#: tables whose row counts must not move when a request is refused
COUNTED = (AuditEntry, Registration, Event, OutboxEmail)
#: endpoint -> why it takes POSTs without a CSRF token (keep this list as short as possible)
EXEMPT = {
    # RFC 8058 one-click unsubscribe: mail clients POST to the List-Unsubscribe URL with no
    # page, cookie or token; the URL's HMAC is the proof, and it only sets unsubscribed_at.
    "rsvp.unsubscribe": "RFC 8058 one-click unsubscribe",
}


def _post_rules() -> list:
    """(endpoint, rule) of every route accepting POST, read from an app built for collection."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", TASK_QUEUE_PATH=f"{tmp}/q.db"
        )
        rules = [
            (rule.endpoint, rule.rule)
            for rule in app.url_map.iter_rules()
            if "POST" in rule.methods
        ]
    return sorted(rules, key=lambda item: (item[1], item[0]))


POST_RULES = _post_rules()


def _live_rule(app, endpoint: str, path: str):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == endpoint and rule.rule == path:
            return rule
    pytest.fail(f"route {endpoint} {path} disappeared between collection and run")


def _url_values(db, sweep: World) -> dict:
    """URL argument name -> value: the access sweep's, plus a real personal-link token."""
    values = sweep.url_values()
    values["token"] = new_manage_token(sweep.registration)
    db.session.commit()
    return values


def _url(rule, values: dict) -> str:
    unknown = sorted(set(rule.arguments) - set(values))
    if unknown:
        pytest.fail(
            f"{rule.endpoint} ({rule.rule}) takes URL argument(s) {unknown} that the CSRF "
            "sweep does not know: add them to World.url_values() in tests/test_access_sweep.py "
            "(or to _url_values() in tests/test_csrf_sweep.py for public tokens)."
        )
    built = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)
    assert built is not None, f"could not build a URL for {rule.endpoint} ({rule.rule})"
    return built[1]


def _counts(db) -> dict:
    db.session.expire_all()
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in COUNTED
    }


@pytest.mark.parametrize(
    ("endpoint", "path"),
    POST_RULES,
    ids=[f"{endpoint} {path}" for endpoint, path in POST_RULES],
)
def test_post_route_without_csrf_token_refused(app, db, world, endpoint, path):  # noqa: F811
    if endpoint in EXEMPT:
        pytest.skip(f"exempt from CSRF: {EXEMPT[endpoint]}")
    if endpoint.startswith("api."):  # /api/v1: bearer tokens only, cookies never authenticate
        pytest.skip("exempt from CSRF: JSON API authenticated by bearer tokens")
    rule = _live_rule(app, endpoint, path)
    url = _url(rule, _url_values(db, world))
    clients = {"anonymous": app.test_client(), "admin": _logged_in(app, world.admin)}
    for who, client in clients.items():
        before = _counts(db)
        response = client.post(url, data={"confirm": "y", "name": "CSRF probe"})
        after = _counts(db)
        assert response.status_code == 400, (
            f"{who} POST {url} ({endpoint}) without a CSRF token answered "
            f"{response.status_code}, not 400: CSRF protection is missing"
        )
        assert after == before, f"{who} POST {url} ({endpoint}) was refused but changed {after}"


def test_post_routes_found():
    endpoints = {endpoint for endpoint, _ in POST_RULES}
    assert {"registration.register", "registration.edit", "auth.login"} <= endpoints
    assert len(POST_RULES) > 30
