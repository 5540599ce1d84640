"""Staff pages for API tokens: who may open them, creating (shown once), revoking, audit."""

import re

from sqlalchemy import select

from seminar_app.models import ApiToken, AuditEntry
from seminar_app.services.accounts import api_tokens
from tests.conftest import csrf_token, post_form
from tests.factories import add_team_member, logged_in, registration_event


def test_staff_on_no_team_is_refused(app, make_user):
    client = logged_in(app, make_user("staff"))
    assert client.get("/manage/api-tokens").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/manage/api-tokens")
    assert response.status_code == 302 and "/manage/login" in response.headers["Location"]


def test_create_shows_the_token_once_and_stores_only_its_hash(app, make_user, db):
    owner = make_user("organizer")
    event = registration_event(owner, title="Bali Forum")
    registration_event(owner, title="Other Forum")
    client = logged_in(app, owner)
    page = client.get("/manage/api-tokens")
    assert page.status_code == 200 and "Bali Forum" in page.get_data(as_text=True)
    response = post_form(client, "/manage/api-tokens", {
        "name": "Ministry website", "access": "write", "events": [str(event.id)],
        "expires_on": "2099-01-31"})
    assert response.status_code == 201
    secret = re.search(r'value="(sat_[^"]+)"', response.get_data(as_text=True)).group(1)
    token = db.session.scalar(select(ApiToken))
    assert token.token_hash == api_tokens.hash_api_token(secret) and secret not in (
        token.prefix, token.token_hash)
    assert token.can_write and not token.all_events and [e.id for e in token.events] == [event.id]
    assert token.expires_at.date().isoformat() == "2099-02-01"
    listing = client.get("/manage/api-tokens").get_data(as_text=True)
    assert secret not in listing and token.prefix in listing
    assert client.get("/api/v1/events", headers={"Authorization": f"Bearer {secret}"}) \
        .get_json()["meta"]["total"] == 1
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.create"))
    assert audit.user_id == owner.id and secret not in str(audit.details)


def test_refused_form_keeps_the_values(app, make_user, db):
    owner = make_user("organizer")
    client = logged_in(app, owner)
    response = post_form(client, "/manage/api-tokens", {"name": "", "access": "read"})
    assert response.status_code == 422
    response = post_form(client, "/manage/api-tokens", {"name": "Old", "access": "read",
                                                        "expires_on": "2001-01-01"})
    assert response.status_code == 422
    assert db.session.scalar(select(ApiToken)) is None


def test_events_outside_the_users_reach_are_refused(make_user):
    owner, stranger = make_user("organizer"), make_user("organizer")
    theirs = registration_event(stranger)
    import pytest

    from seminar_app.services.errors import ServiceError

    with pytest.raises(ServiceError) as refused:
        api_tokens.create_token(owner, name="Sneaky", event_ids=[theirs.id])
    assert refused.value.field == "events"


def test_revoke_own_token_and_not_others(app, make_user, db):
    owner, other = make_user("organizer"), make_user("organizer")
    token, secret = api_tokens.create_token(owner, name="Desk")
    client = logged_in(app, other)
    response = client.post(f"/manage/api-tokens/{token.id}/revoke",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 404
    client = logged_in(app, owner)
    response = client.post(f"/manage/api-tokens/{token.id}/revoke",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    db.session.refresh(token)
    assert token.revoked_at is not None
    assert client.get("/api/v1/events", headers={"Authorization": f"Bearer {secret}"}) \
        .status_code == 401
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.revoke"))


def test_admin_sees_every_token_and_team_staff_may_create(app, make_user):
    owner, admin, staff = make_user("organizer"), make_user("admin"), make_user("staff")
    event = registration_event(owner)
    add_team_member(event, staff, can_checkin=True)
    api_tokens.create_token(owner, name="Owner's token")
    assert "Owner&#39;s token" in logged_in(app, admin).get("/manage/api-tokens") \
        .get_data(as_text=True)
    client = logged_in(app, staff)
    page = client.get("/manage/api-tokens").get_data(as_text=True)
    assert client.get("/manage/api-tokens").status_code == 200
    assert "Owner&#39;s token" not in page


# --- deactivated and reactivated accounts ----------------------------------------------------


def _bearer(client, secret):
    return client.get("/api/v1/events", headers={"Authorization": f"Bearer {secret}"})


def test_reactivated_account_old_tokens_stay_revoked(app, make_user, db):
    from seminar_app.services.accounts.users import activate_user, deactivate_user

    owner = make_user("organizer")
    make_user("admin")
    registration_event(owner)
    _token, secret = api_tokens.create_token(owner, name="Website")
    client = app.test_client()
    assert _bearer(client, secret).status_code == 200
    deactivate_user(owner)
    assert _bearer(client, secret).status_code == 401
    activate_user(owner)
    response = _bearer(client, secret)
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "This API token has been revoked."
    revoked = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "api_token.revoke")).all()
    assert [entry.details["reason"] for entry in revoked] == ["account_deactivated"]
    _new, fresh = api_tokens.create_token(owner, name="Website again")
    assert _bearer(client, fresh).status_code == 200


def test_reactivated_through_the_admin_page_old_tokens_stay_revoked(app, make_user, db):
    owner, admin = make_user("organizer"), make_user("admin")
    _token, secret = api_tokens.create_token(owner, name="Desk")
    admin_client = logged_in(app, admin)
    form = {"name": owner.name, "role": "organizer", "language": "en"}
    assert post_form(admin_client, f"/manage/users/{owner.id}/edit", form).status_code == 302
    assert post_form(admin_client, f"/manage/users/{owner.id}/edit",
                     {**form, "active": "y"}).status_code == 302
    db.session.refresh(owner)
    assert owner.active
    assert _bearer(app.test_client(), secret).status_code == 401


def test_migration_revokes_the_tokens_of_accounts_already_deactivated(tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from config import TestingConfig
    from seminar_app import create_app
    from seminar_app.extensions import db as database

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.db'}",
                     TASK_QUEUE_PATH=str(tmp_path / "q.sqlite3"))
    with app.app_context():
        upgrade(revision="e13links0001")
        with database.engine.begin() as conn:
            for user_id, active in ((1, True), (2, False)):
                conn.execute(text(
                    "INSERT INTO users (id, email, name, password_hash, role, active, language, "
                    "session_nonce, created_at) VALUES (:id, :email, 'X', 'h', 'staff', :active, "
                    "'en', 'n', '2026-01-01 00:00:00')"),
                    {"id": user_id, "email": f"u{user_id}@example.org", "active": active})
                conn.execute(text(
                    "INSERT INTO api_tokens (name, prefix, token_hash, can_write, all_events, "
                    "created_by_id, created_at) VALUES ('T', 'sat_x', :hash, 0, 1, :user, "
                    "'2026-01-01 00:00:00')"), {"hash": f"{user_id:064d}", "user": user_id})
        upgrade(revision="e13auth00001")
        with database.engine.connect() as conn:
            rows = dict(conn.execute(text(
                "SELECT created_by_id, revoked_at IS NOT NULL FROM api_tokens")).all())
        database.engine.dispose()
    assert rows == {1: 0, 2: 1}
