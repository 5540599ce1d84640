"""Encryption at rest of personal data: the keys (``DATA_KEYS``) and the column types.

Rules:
- Keys live outside the database, in the ``DATA_KEYS`` setting: a comma-separated list of
  ``<id>:<key>``, the id 1-16 letters, digits, ``-`` or ``_``, the key 32 random bytes in
  URL-safe base64 (``flask --app seminar_app data new-key`` prints one). The first key
  encrypts; every key decrypts (rotation: put the new key first, run ``data rotate-keys``,
  then drop the old one).
- Without ``DATA_KEYS`` (development, tests) one key is derived from ``SECRET_KEY`` with HKDF
  and a warning is logged; production refuses to start (``seminar_app._check_production_settings``).
- A stored value is ``v1:<key id>:<base64 of nonce + AES-256-GCM ciphertext>`` with a random
  96-bit nonce; the column's name (``context``) is authenticated with it, so a value copied
  into another column does not decrypt. The plaintext is padded to a multiple of 16 bytes.
- ``""`` is stored as ``""`` and None as NULL (``needs_visa_letter`` already tells whether the
  passport fields are filled); any other value is never stored in clear.
- A value that cannot be decrypted (its key is not configured, or the key is wrong) raises
  ``DataKeyError`` (the command line and the worker stop with a clear message), except while
  a web request reads it: the page then shows it as empty ("—"), the error is logged, and the
  value is an ``UnreadableText`` / ``UnreadableDict`` (services.mail.compose refuses to send those).
- The derived AES keys are built once per configuration and cached in ``app.extensions``.
"""

import base64
import binascii
import hashlib
import json
import logging
import os
import re
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, has_request_context
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

PREFIX = "v1"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_NONCE_BYTES = 12
_BLOCK = 16
_CACHE = "data_keyring"
#: seconds between two log lines about the same unreadable key
_LOG_EVERY = 60.0
_last_logged: dict[str, float] = {}
#: set by ``lenient_decryption()``: mark unreadable values instead of raising
_lenient: ContextVar[bool] = ContextVar("lenient_decryption", default=False)


class DataKeyError(Exception):
    """A stored value cannot be decrypted, or DATA_KEYS cannot be used."""


class Unreadable:
    """Marks a value that could not be decrypted while a page was being shown."""

    error: str = ""


class UnreadableText(Unreadable, str):
    """An undecryptable text, shown as empty."""


class UnreadableDict(Unreadable, dict):
    """An undecryptable JSON object, shown as empty."""


@dataclass(frozen=True)
class KeyRing:
    """The configured keys: ``primary`` encrypts, every key in ``ciphers`` decrypts."""

    primary: str
    ciphers: dict
    derived: bool = False

    def encrypt(self, plaintext: str, context: str) -> str:
        """``plaintext`` encrypted under the primary key, as stored in the database."""
        data = plaintext.encode("utf-8") + b"\x80"
        data += b"\x00" * (-len(data) % _BLOCK)
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self.ciphers[self.primary].encrypt(nonce, data, context.encode("utf-8"))
        return f"{PREFIX}:{self.primary}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str, context: str) -> str:
        """The plaintext of a stored value; DataKeyError when it cannot be decrypted."""
        key_id = key_id_of(stored)
        if key_id is None:
            raise DataKeyError(f"a value of {context} is not encrypted")
        cipher = self.ciphers.get(key_id)
        if cipher is None:
            raise DataKeyError(f"a value of {context} is encrypted with key {key_id!r}, "
                               "which is not in DATA_KEYS")
        try:
            raw = base64.urlsafe_b64decode(stored.split(":", 2)[2])
            data = cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:],
                                  context.encode("utf-8"))
        except (InvalidTag, ValueError, binascii.Error):
            raise DataKeyError(f"a value of {context} does not decrypt with key {key_id!r}: "
                               "wrong key, or the value was altered") from None
        data = data.rstrip(b"\x00")
        if not data.endswith(b"\x80"):
            raise DataKeyError(f"a value of {context} has a bad padding")
        return data[:-1].decode("utf-8")


def key_id_of(stored: str | None) -> str | None:
    """The id of the key a stored value was encrypted with; None for a value in clear."""
    parts = (stored or "").split(":", 2)
    if len(parts) == 3 and parts[0] == PREFIX and _KEY_ID.match(parts[1]):
        return parts[1]
    return None


def new_key(key_id: str) -> str:
    """A fresh ``<id>:<key>`` entry for DATA_KEYS (32 random bytes)."""
    if not _KEY_ID.match(key_id):
        raise DataKeyError("A key id is 1-16 letters, digits, - or _.")
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


def parse_data_keys(value: str) -> list[tuple[str, bytes]]:
    """The (id, 32-byte key) pairs of a DATA_KEYS value; DataKeyError when malformed."""
    keys = []
    for entry in (part.strip() for part in (value or "").split(",")):
        if not entry:
            continue
        key_id, _colon, encoded = entry.partition(":")
        if not _KEY_ID.match(key_id) or not encoded:
            raise DataKeyError("DATA_KEYS: each entry is <id>:<base64 key>, the id 1-16 "
                               "letters, digits, - or _.")
        try:
            key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise DataKeyError(f"DATA_KEYS: key {key_id!r} is not 32 bytes in URL-safe base64.")
        if key_id in dict(keys):
            raise DataKeyError(f"DATA_KEYS: key id {key_id!r} is given twice.")
        keys.append((key_id, key))
    return keys


def derived_key(secret_key: str | bytes) -> tuple[str, bytes]:
    """(id, key) derived from SECRET_KEY with HKDF: development and tests only."""
    secret = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"seminar_app data keys",
               info=b"personal data v1").derive(secret)
    return f"dev{hashlib.sha256(key).hexdigest()[:8]}", key


def keyring_from_config(config) -> KeyRing:
    """The key ring DATA_KEYS describes, or one derived from SECRET_KEY (logged)."""
    keys = parse_data_keys(config.get("DATA_KEYS") or "")
    derived = not keys
    if derived:
        keys = [derived_key(config.get("SECRET_KEY") or "")]
        log.warning("DATA_KEYS is not set: personal data is encrypted with key %s, derived from "
                    "SECRET_KEY (development only: changing SECRET_KEY makes that data "
                    "unreadable). Set DATA_KEYS; `flask --app seminar_app data new-key` "
                    "prints a key.", keys[0][0])
    return KeyRing(primary=keys[0][0], derived=derived,
                   ciphers={key_id: AESGCM(key) for key_id, key in keys})


def current_keyring() -> KeyRing:
    """The current app's key ring, built once per DATA_KEYS / SECRET_KEY value."""
    config = current_app.config
    source = (config.get("DATA_KEYS") or "", config.get("SECRET_KEY") or "")
    cached = current_app.extensions.get(_CACHE)
    if cached is None or cached[0] != source:
        cached = (source, keyring_from_config(config))
        current_app.extensions[_CACHE] = cached
    return cached[1]


def init_data_keys(app) -> None:
    """Check DATA_KEYS when the app starts (RuntimeError if malformed); say if it is derived."""
    with app.app_context():
        try:
            current_keyring()
        except DataKeyError as error:
            raise RuntimeError(str(error)) from None


@contextmanager
def lenient_decryption():
    """Within this block, values that cannot be decrypted are marked, never raised (the
    worker reads a batch of emails this way and retries the unreadable ones later)."""
    token = _lenient.set(True)
    try:
        yield
    finally:
        _lenient.reset(token)


def _unreadable(marker_class, error: DataKeyError, empty=""):
    """Outside a web request: raise. During one: log (at most once a minute) and mark."""
    if not (has_request_context() or _lenient.get()):
        raise error
    now = time.monotonic()
    message = str(error)
    if now - _last_logged.get(message, -_LOG_EVERY) >= _LOG_EVERY:
        _last_logged[message] = now
        log.error("personal data cannot be decrypted, shown as empty: %s", message)
    if marker_class is None:
        return None
    value = marker_class(empty)
    value.error = message
    return value


class _Encrypted(TypeDecorator):
    """A Text column holding values encrypted by ``current_keyring()`` under ``context``."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str):
        super().__init__()
        #: "<table>.<column>", authenticated with every value
        self.context = context

    def encrypt(self, plaintext: str) -> str:
        return current_keyring().encrypt(plaintext, self.context)

    def decrypt(self, stored: str) -> str:
        return current_keyring().decrypt(stored, self.context)


class EncryptedText(_Encrypted):
    """A ``str`` stored encrypted; ``""`` stays ``""``."""

    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or value == "":
            return value
        return self.encrypt(str(value))

    def process_result_value(self, value, dialect):
        if value is None or value == "":
            return value
        try:
            return self.decrypt(value)
        except DataKeyError as error:
            return _unreadable(UnreadableText, error)


class EncryptedDate(_Encrypted):
    """A ``date | None`` stored encrypted (its ISO form); NULL stays NULL."""

    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, date):
            raise TypeError(f"{self.context} takes a date, not {type(value).__name__}")
        return self.encrypt(value.isoformat())

    def process_result_value(self, value, dialect):
        if value is None or value == "":
            return None
        try:
            return date.fromisoformat(self.decrypt(value))
        except DataKeyError as error:
            return _unreadable(None, error)


class EncryptedJSON(_Encrypted):
    """A JSON object (``dict``) stored encrypted."""

    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return self.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value, dialect):
        if value is None or value == "":
            return None
        try:
            return json.loads(self.decrypt(value))
        except DataKeyError as error:
            return _unreadable(UnreadableDict, error, {})


def encrypted_columns(metadata) -> list[tuple[str, str, _Encrypted]]:
    """(table, column, type) of every encrypted column in ``metadata``, in a stable order."""
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, _Encrypted):
                found.append((table.name, column.name, column.type))
    return found
