"""Re-encrypting personal data under the newest key of DATA_KEYS (``flask data rotate-keys``).

Rules:
- Every column whose type is one of ``seminar_app.crypto``'s is read in batches of rows (by
  primary key); a value under another key than the first of DATA_KEYS (or, should one be
  found, in clear) is encrypted again under the first key, one short transaction per batch.
- An update applies only if the stored value has not changed since it was read: a delegate
  editing meanwhile wins, and their new value is under the newest key already.
- Idempotent: a second run finds nothing to do. ``dry_run`` (``--check``) only counts.
- A value that cannot be decrypted (its key is missing from DATA_KEYS, or is wrong) is left as
  it is and counted by reason; the command then fails and says which key is missing.
"""

import logging
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Text, and_, bindparam, column, select, table, update

from ...crypto import DataKeyError, KeyRing, current_keyring, encrypted_columns, key_id_of
from ...database import transaction
from ...extensions import db

log = logging.getLogger(__name__)

BATCH_SIZE = 500


@dataclass
class ColumnKeys:
    """What one encrypted column holds, by key, and what a rotation changed in it."""

    name: str
    #: values under each key id (before the rotation)
    by_key: Counter = field(default_factory=Counter)
    #: values found in clear (none, unless written around the application)
    clear: int = 0
    #: values encrypted again under the first key (0 with ``dry_run``)
    rotated: int = 0
    #: values that cannot be decrypted, by reason
    unreadable: Counter = field(default_factory=Counter)

    def old(self, primary: str) -> int:
        """Values under another key than ``primary`` (readable or not)."""
        return sum(count for key_id, count in self.by_key.items() if key_id != primary)


def _new_value(ring: KeyRing, raw: str, context: str, counts: ColumnKeys) -> str | None:
    """The value ``raw`` should become under the primary key; None when it stays."""
    key_id = key_id_of(raw)
    if key_id is None:
        counts.clear += 1
        return ring.encrypt(raw, context)
    counts.by_key[key_id] += 1
    if key_id == ring.primary:
        return None
    if key_id not in ring.ciphers:
        counts.unreadable[f"key {key_id!r} is not in DATA_KEYS"] += 1
        return None
    try:
        return ring.encrypt(ring.decrypt(raw, context), context)
    except DataKeyError:
        counts.unreadable[f"does not decrypt with key {key_id!r} (wrong key?)"] += 1
        return None


def _rotate_table(name: str, key: str, columns: list, *, dry_run: bool, batch_size: int
                  ) -> list[ColumnKeys]:
    """Scan one table in batches by its integer primary key ``key``; re-encrypt (unless
    ``dry_run``), commit per batch."""
    ring = current_keyring()
    raw = table(name, column(key), *(column(col, Text) for col, _type in columns))
    counts = [ColumnKeys(f"{name}.{col}") for col, _type in columns]
    last_id = 0
    while True:
        with transaction(dry_run=dry_run):  # one batch: committed, or rolled back (dry run)
            rows = db.session.execute(
                select(raw.c[key], *(raw.c[col] for col, _type in columns))
                .where(raw.c[key] > last_id).order_by(raw.c[key]).limit(batch_size)).all()
            if not rows:
                return counts
            last_id = rows[-1][0]
            for index, (col, type_) in enumerate(columns):
                changes = []
                for row in rows:
                    value = row[index + 1]
                    if value in (None, ""):
                        continue
                    new = _new_value(ring, value, type_.context, counts[index])
                    if new is not None:
                        changes.append({"row_id": row[0], "old": value, "new": new})
                if changes and not dry_run:
                    db.session.execute(
                        update(raw).where(and_(raw.c[key] == bindparam("row_id"),
                                               raw.c[col] == bindparam("old")))
                        .values({col: bindparam("new")}), changes)
                    counts[index].rotated += len(changes)


def rotate_keys(*, dry_run: bool = False, batch_size: int = BATCH_SIZE) -> list[ColumnKeys]:
    """Encrypt every value under the first key of DATA_KEYS; the counts per column."""
    tables: dict[str, list] = {}
    for name, col, type_ in encrypted_columns(db.metadata):
        tables.setdefault(name, []).append((col, type_))
    results = []
    for name, columns in tables.items():
        (key,) = db.metadata.tables[name].primary_key.columns  # one integer key per table
        results.extend(_rotate_table(name, key.name, columns, dry_run=dry_run,
                                     batch_size=batch_size))
    if not dry_run:
        rotated = sum(counts.rotated for counts in results)
        log.info("rotate-keys: %d value(s) encrypted again under key %s", rotated,
                 current_keyring().primary)
    return results
