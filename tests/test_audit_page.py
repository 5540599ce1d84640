"""The audit log page for administrators: access, filters, escaping, hostile parameters."""

import re

import pytest
from sqlalchemy import event as sa_event

from seminar_app.models import AuditEntry
from seminar_app.services.audit import record_action
from tests.test_access_sweep import World, _logged_in, world  # noqa: F401 - fixture

XSS = "<script>alert(1)</script>"


def _entry_ids(response) -> list[int]:
    return [int(value) for value in re.findall(r'data-audit-id="(\d+)"', response.get_data(True))]


def _add_entries(db, sweep: World) -> dict:
    """One entry of each kind: event by the owner, registration by the admin, a delegate's."""
    entries = {
        "publish": record_action("event.publish", sweep.event, user=sweep.owner),
        "update": record_action("registration.update", sweep.registration, user=sweep.admin,
                                fields=["given_name"], given_name=XSS),
        "cancel": record_action("registration.cancel", sweep.registration, user=None),
        "login": record_action("user.login", sweep.admin, user=sweep.admin),
    }
    db.session.commit()
    return {key: entry.id for key, entry in entries.items()}


def test_audit_admin_sees_entries_newest_first(app, db, world):  # noqa: F811
    ids = _add_entries(db, world)
    response = _logged_in(app, world.admin).get("/manage/audit")
    assert response.status_code == 200
    shown = _entry_ids(response)
    assert set(ids.values()) <= set(shown)
    assert shown == sorted(shown, reverse=True)
    html = response.get_data(as_text=True)
    assert f'/manage/events/{world.event.id}"' in html
    assert f"/manage/events/{world.event.id}/registrations/{world.registration.id}" in html
    assert "system/delegate" in html and world.owner.name in html


def test_audit_filters_narrow_the_list(app, db, world):  # noqa: F811
    ids = _add_entries(db, world)
    client = _logged_in(app, world.admin)
    by_action = _entry_ids(client.get("/manage/audit?action=registration."))
    assert set(by_action) == {ids["update"], ids["cancel"]}
    by_user = _entry_ids(client.get(f"/manage/audit?user_id={world.owner.id}"))
    assert [entry for entry in by_user if entry in set(ids.values())] == [ids["publish"]]
    by_event = _entry_ids(client.get(f"/manage/audit?event_id={world.event.id}"))
    made_here = set(ids.values())  # the world fixture itself recorded earlier entries
    assert set(by_event) & made_here == {ids["publish"], ids["update"], ids["cancel"]}
    assert all(entry_id < min(made_here) for entry_id in set(by_event) - made_here)
    combined = client.get(f"/manage/audit?event_id={world.event.id}&action=event.&user_id=")
    assert _entry_ids(combined) == [ids["publish"]]


def test_audit_action_prefix_is_literal(app, db, world):  # noqa: F811
    _add_entries(db, world)
    response = _logged_in(app, world.admin).get("/manage/audit?action=%25")
    assert response.status_code == 200
    assert _entry_ids(response) == []


def test_audit_details_escaped(app, db, world):  # noqa: F811
    world.registration.given_name = XSS
    record_action("registration.update", world.registration, user=world.admin,
                  given_name=world.registration.given_name)
    db.session.commit()
    html = _logged_in(app, world.admin).get("/manage/audit").get_data(as_text=True)
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_audit_non_admin_refused(app, db, world):  # noqa: F811
    _add_entries(db, world)
    for user in (world.owner, world.outsider):
        assert _logged_in(app, user).get("/manage/audit").status_code == 403
    response = app.test_client().get("/manage/audit")
    assert response.status_code == 302
    assert "/manage/login" in response.headers["Location"]


@pytest.mark.parametrize("query", [
    "event_id=abc", "event_id=999999", "user_id=abc", "user_id=-1", "page=-1", "page=abc",
    "page=999999", "action=" + "x" * 500, "action=%00%01", "per_page=100000",
])
def test_audit_bad_filter_values_never_500(app, db, world, query):  # noqa: F811
    _add_entries(db, world)
    response = _logged_in(app, world.admin).get(f"/manage/audit?{query}")
    assert response.status_code in (200, 422), f"{query} answered {response.status_code}"


def test_audit_paginates_fifty_per_page(app, db, world):  # noqa: F811
    for number in range(55):
        record_action("event.update", world.event, user=world.owner, number=number)
    db.session.commit()
    client = _logged_in(app, world.admin)
    first = client.get(f"/manage/audit?event_id={world.event.id}&action=event.update")
    second = client.get(f"/manage/audit?event_id={world.event.id}&action=event.update&page=2")
    assert len(_entry_ids(first)) == 50 and len(_entry_ids(second)) == 5
    pager = first.get_data(as_text=True).split('class="pagination')[1]
    assert f"event_id={world.event.id}" in pager and "page=2" in pager


def _count_queries(app, db, client, url) -> int:
    statements = []

    def _record(*args):
        statements.append(args[2])

    sa_event.listen(db.engine, "before_cursor_execute", _record)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", _record)
    return len(statements)


def test_audit_query_count_does_not_grow(app, db, world, make_user):  # noqa: F811
    client = _logged_in(app, world.admin)
    record_action("event.update", world.event, user=world.owner)
    db.session.commit()
    few = _count_queries(app, db, client, "/manage/audit")
    for _ in range(20):
        record_action("event.update", world.event, user=make_user("staff"))
    db.session.commit()
    many = _count_queries(app, db, client, "/manage/audit")
    assert many == few


def test_audit_links_for_admins_only(app, db, world):  # noqa: F811
    overview = f"/manage/events/{world.event.id}"
    admin_html = _logged_in(app, world.admin).get(overview).get_data(as_text=True)
    assert f"/manage/audit?event_id={world.event.id}" in admin_html
    assert 'href="/manage/audit"' in admin_html
    owner_html = _logged_in(app, world.owner).get(overview).get_data(as_text=True)
    assert "/manage/audit" not in owner_html


def test_audit_page_in_indonesian(app, db, world):  # noqa: F811
    _add_entries(db, world)
    client = _logged_in(app, world.admin)
    client.set_cookie("lang", "id")
    response = client.get("/manage/audit")
    assert response.status_code == 200
    assert '<html lang="id"' in response.get_data(as_text=True)
    assert db.session.query(AuditEntry).count() >= 4
