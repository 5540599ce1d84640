"""Personal data encrypted at rest: keys, column types, wrong keys, rotate-keys (issue 13)."""

import base64
import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from config import ProductionConfig, TestingConfig
from seminar_app import create_app, crypto
from seminar_app.crypto import (
    DataKeyError,
    current_keyring,
    derived_key,
    key_id_of,
    keyring_from_config,
    new_key,
    parse_data_keys,
)
from seminar_app.models import OutboxEmail, OutboxStatus, Registration
from seminar_app.services.mail.smtp import send_outbox_batch
from tests.factories import make_registration, registration_event

#: fixed keys (test ids must be the same in every xdist worker)
KEY1 = "k1:" + base64.urlsafe_b64encode(bytes(range(32))).decode()
KEY2 = "k2:" + base64.urlsafe_b64encode(bytes(range(32, 64))).decode()
PASSPORT_COLUMNS = ("passport_number", "nationality", "birth_date", "birth_place",
                    "passport_expiry")


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return registration_event(owner)


def _with_passport(event, **overrides):
    values = {"needs_visa_letter": True, "passport_number": "K1234567", "nationality": "MY",
              "birth_date": date(1975, 4, 2), "birth_place": "Kuala Lumpur",
              "passport_expiry": (event.end_at + timedelta(days=400)).date()}
    return make_registration(event, **(values | overrides))


def _raw(db, registration_id: int) -> dict:
    row = db.session.execute(text(
        f"SELECT {', '.join(PASSPORT_COLUMNS)} FROM registrations WHERE id = :id"),
        {"id": registration_id}).one()
    return dict(zip(PASSPORT_COLUMNS, row, strict=True))


# --- the key ring ----------------------------------------------------------------------------

def test_keyring_encrypt_uses_a_fresh_nonce_and_hides_the_length():
    ring = keyring_from_config({"DATA_KEYS": f"{KEY1},{KEY2}"})
    first, second = (ring.encrypt("B1234567", "t.c") for _ in range(2))
    assert first != second and first.startswith("v1:k1:") and key_id_of(first) == "k1"
    assert ring.decrypt(first, "t.c") == ring.decrypt(second, "t.c") == "B1234567"
    assert len(ring.encrypt("a", "t.c")) == len(ring.encrypt("Kuala Lumpur", "t.c"))
    assert ring.decrypt(ring.encrypt("Bandar Sri Bégawan", "t.c"), "t.c") == "Bandar Sri Bégawan"


def test_keyring_decrypt_refuses_a_wrong_column_key_or_altered_value():
    ring = keyring_from_config({"DATA_KEYS": KEY1})
    stored = ring.encrypt("B1234567", "registrations.passport_number")
    with pytest.raises(DataKeyError, match="wrong key, or the value was altered"):
        ring.decrypt(stored, "registrations.birth_place")
    with pytest.raises(DataKeyError, match="wrong key"):
        keyring_from_config({"DATA_KEYS": new_key("k1")}).decrypt(
            stored, "registrations.passport_number")
    with pytest.raises(DataKeyError, match="key 'k1', which is not in DATA_KEYS"):
        keyring_from_config({"DATA_KEYS": KEY2}).decrypt(stored, "registrations.passport_number")
    altered = stored[:-6] + ("A" if stored[-6] != "A" else "B") + stored[-5:]
    with pytest.raises(DataKeyError):
        ring.decrypt(altered, "registrations.passport_number")
    with pytest.raises(DataKeyError, match="not encrypted"):
        ring.decrypt("B1234567", "registrations.passport_number")


@pytest.mark.parametrize("value, message", [
    ("k1", "each entry is"),
    ("k1:c2hvcnQ=", "not 32 bytes"),
    ("bad id!:" + KEY1.split(":")[1], "each entry is"),
    (f"{KEY1},{KEY1}", "given twice"),
])
def test_parse_data_keys_refuses_malformed_values(value, message):
    with pytest.raises(DataKeyError, match=message):
        parse_data_keys(value)


def test_parse_data_keys_first_encrypts_all_decrypt():
    assert [key_id for key_id, _key in parse_data_keys(f" {KEY2} , {KEY1} ")] == ["k2", "k1"]
    ring = keyring_from_config({"DATA_KEYS": f"{KEY2},{KEY1}"})
    old = keyring_from_config({"DATA_KEYS": KEY1}).encrypt("x", "t.c")
    assert ring.primary == "k2" and ring.decrypt(old, "t.c") == "x"


def test_create_app_refuses_malformed_data_keys(tmp_path):
    with pytest.raises(RuntimeError, match="DATA_KEYS"):
        create_app(TestingConfig, DATA_KEYS="k1:tooshort",
                   SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'a.sqlite3'}",
                   TASK_QUEUE_PATH=str(tmp_path / "q.sqlite3"))


def test_production_refuses_to_start_without_data_keys(tmp_path):
    class Prod(ProductionConfig):
        SECRET_KEY = "3f9a6c1e8b7d2045aa91c3e7f0b2d4c6e8a1b3c5d7e9f0a2"
        DATA_KEYS = ""
        BASE_URL = "https://events.example.org"
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.sqlite3'}"
        TASK_QUEUE_PATH = str(tmp_path / "q.sqlite3")

    with pytest.raises(RuntimeError, match="DATA_KEYS must be set in production"):
        create_app(Prod)
    Prod.DATA_KEYS = KEY1
    assert create_app(Prod).config["DATA_KEYS"] == KEY1


def test_development_derives_a_key_from_secret_key_and_warns(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="seminar_app.crypto"):
        create_app(TestingConfig, SECRET_KEY="another-secret",
                   SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'd.sqlite3'}",
                   TASK_QUEUE_PATH=str(tmp_path / "q.sqlite3"))
    assert "DATA_KEYS is not set" in caplog.text and "derived from SECRET_KEY" in caplog.text
    assert derived_key("another-secret")[0] in caplog.text
    assert derived_key("another-secret") != derived_key("testing-secret-key")


def test_new_key_command_prints_a_key_for_data_keys(runner):
    result = runner.invoke(args=["data", "new-key", "--id", "k9"])
    assert result.exit_code == 0
    entry = result.output.splitlines()[0]
    assert [key_id for key_id, _key in parse_data_keys(entry)] == ["k9"]
    assert runner.invoke(args=["data", "new-key", "--id", "no way"]).exit_code == 2


# --- the columns -----------------------------------------------------------------------------

def test_registration_passport_fields_are_stored_encrypted(app, db, event, monkeypatch):
    monkeypatch.setitem(app.config, "DATA_KEYS", KEY1)
    registration, _token = _with_passport(event)
    without, _token = make_registration(event)
    raw = _raw(db, registration.id)
    assert all(key_id_of(value) == "k1" for value in raw.values()), raw
    assert "K1234567" not in str(raw) and "Kuala" not in str(raw)
    assert _raw(db, without.id) == {"passport_number": "", "nationality": "",
                                    "birth_date": None, "birth_place": "",
                                    "passport_expiry": None}
    db.session.expire_all()
    loaded = db.session.get(Registration, registration.id)
    assert (loaded.passport_number, loaded.nationality, loaded.birth_place) == (
        "K1234567", "MY", "Kuala Lumpur")
    assert type(loaded.passport_number) is str and loaded.birth_date == date(1975, 4, 2)
    assert db.session.get(Registration, without.id).birth_date is None


def test_staff_page_shows_a_dash_when_the_key_is_missing(
        app, db, client, auth, owner, event, monkeypatch, caplog):
    monkeypatch.setattr(crypto, "_last_logged", {})  # no earlier test's line holds the log back
    monkeypatch.setitem(app.config, "DATA_KEYS", KEY1)
    registration, token = _with_passport(event)
    url = f"/manage/events/{event.id}/registrations/{registration.id}"
    monkeypatch.setitem(app.config, "DATA_KEYS", KEY2)  # k1 lost
    db.session.expire_all()
    auth.login(owner)
    with caplog.at_level(logging.ERROR, logger="seminar_app.crypto"):
        response = client.get(url)
        assert client.get(f"/r/{token}").status_code == 200
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "K1234567" not in html and "Kuala Lumpur" not in html
    assert 'font-monospace">—</dd>' in html  # the passport number is shown as missing
    assert "key 'k1', which is not in DATA_KEYS" in caplog.text


def test_reading_outside_a_request_with_a_missing_key_raises(app, db, event, monkeypatch):
    monkeypatch.setitem(app.config, "DATA_KEYS", KEY1)
    registration, _token = _with_passport(event)
    monkeypatch.setitem(app.config, "DATA_KEYS", KEY2)
    db.session.expire_all()
    with pytest.raises(DataKeyError, match="key 'k1', which is not in DATA_KEYS"):
        db.session.get(Registration, registration.id)


def test_worker_keeps_an_email_it_cannot_decrypt_and_sends_it_once_the_key_is_back(
        app, db, event, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "DATA_KEYS", KEY1)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")  # the confirmation waits in the outbox
    monkeypatch.setitem(app.config, "MAIL_RETRY_BASE_SECONDS", 0)
    registration, _token = make_registration(event)
    address = registration.email
    email_id = db.session.scalar(select(OutboxEmail.id))
    monkeypatch.setitem(app.config, "MAIL_SERVER", smtp_server.host)
    monkeypatch.setitem(app.config, "DATA_KEYS", KEY2)
    assert send_outbox_batch([email_id]) == {"sent": 0, "retry": 1, "failed": 0}
    db.session.expire_all()
    monkeypatch.setitem(app.config, "DATA_KEYS", f"{KEY2},{KEY1}")
    email = db.session.get(OutboxEmail, email_id)
    assert email.status == OutboxStatus.QUEUED and smtp_server.messages == []
    assert "Cannot be decrypted" in email.last_error and "'k1'" in email.last_error
    assert send_outbox_batch([email_id])["sent"] == 1
    assert smtp_server.wait_for(1)[0]["to"] == [address]


def test_outbox_page_of_an_undecryptable_email_is_shown(
        app, db, client, auth, make_user, event, monkeypatch):
    monkeypatch.setitem(app.config, "DATA_KEYS", KEY1)
    make_registration(event)
    email_id = db.session.scalar(select(OutboxEmail.id))
    monkeypatch.setitem(app.config, "DATA_KEYS", KEY2)
    db.session.expire_all()
    auth.login(make_user("admin"))
    response = client.get(f"/manage/emails/{email_id}")
    assert response.status_code == 200
    assert client.get("/manage/emails").status_code == 200


# --- rotate-keys -----------------------------------------------------------------------------

def _key_ids(db) -> set:
    ids = set()
    for row in db.session.execute(text(
            f"SELECT {', '.join(PASSPORT_COLUMNS)} FROM registrations")):
        ids |= {key_id_of(value) for value in row if value}
    for row in db.session.execute(text("SELECT body_text, headers FROM outbox_emails")):
        ids |= {key_id_of(value) for value in row if value}
    return ids


def test_rotate_keys_encrypts_everything_under_the_first_key(
        app, db, runner, event, monkeypatch):
    monkeypatch.setitem(app.config, "DATA_KEYS", KEY1)
    ids = [_with_passport(event)[0].id for _ in range(3)]
    assert _key_ids(db) == {"k1"}
    monkeypatch.setitem(app.config, "DATA_KEYS", f"{KEY2},{KEY1}")

    check = runner.invoke(args=["data", "rotate-keys", "--check"])
    assert check.exit_code == 0, check.output
    assert "registrations.passport_number: 3 under k1" in check.output
    assert _key_ids(db) == {"k1"}  # --check changes nothing

    result = runner.invoke(args=["data", "rotate-keys", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "registrations.birth_date: 3 under k1; 3 re-encrypted" in result.output
    assert _key_ids(db) == {"k2"}
    again = runner.invoke(args=["data", "rotate-keys"])
    assert "0 value(s) re-encrypted under key k2" in again.output
    assert "registrations.passport_number: 3 under k2 (current); 0 re-encrypted" in again.output

    monkeypatch.setitem(app.config, "DATA_KEYS", KEY2)  # the old key can go now
    db.session.expire_all()
    assert {db.session.get(Registration, i).passport_number for i in ids} == {"K1234567"}
    assert {db.session.get(Registration, i).birth_date for i in ids} == {date(1975, 4, 2)}
    assert all(email.body_text for email in db.session.scalars(select(OutboxEmail)))


def test_rotate_keys_fails_clearly_when_a_key_is_missing(app, db, runner, event, monkeypatch):
    monkeypatch.setitem(app.config, "DATA_KEYS", KEY1)
    _with_passport(event)
    monkeypatch.setitem(app.config, "DATA_KEYS", KEY2)
    for args in (["data", "rotate-keys"], ["data", "rotate-keys", "--check"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1
        assert "cannot be decrypted: key 'k1' is not in DATA_KEYS" in result.output
        assert "add the missing key(s) to DATA_KEYS" in result.output
        assert "Traceback" not in result.output
    assert _key_ids(db) == {"k1"}  # left as it was
    assert current_keyring().primary == "k2"
