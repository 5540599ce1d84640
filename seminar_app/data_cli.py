"""``flask data ...``: the life cycle of delegates' personal data from the command line.

``rotate-keys`` re-encrypts personal data under the newest key of ``DATA_KEYS`` (``--check``
counts what is under old keys), ``new-key`` prints a key to add to it; ``purge``
applies each event's retention rules (``--dry-run`` only counts).
"""

import click
from flask.cli import AppGroup

from .crypto import DataKeyError, current_keyring, new_key
from .services.privacy.key_rotation import rotate_keys
from .services.privacy.retention import purge_personal_data

data_cli = AppGroup("data", help="Personal data: encryption keys, retention and erasure.")


@data_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def purge_command(dry_run: bool) -> None:
    """Delete passport data and anonymise registrations as each event's settings say."""
    results = purge_personal_data(dry_run=dry_run)
    changed = [counts for counts in results if counts.total]
    verb = "would change" if dry_run else "changed"
    for counts in changed:
        click.echo(f"{counts.slug} (event {counts.event_id}): {verb} "
                   f"{counts.passports} passport(s), {counts.registrations} registration(s), "
                   f"{counts.invitees} invitee(s), {counts.emails} email(s), "
                   f"{counts.audit_entries} audit entr(y/ies)")
    total = sum(counts.total for counts in changed)
    click.echo(f"{len(results)} event(s) past their retention delay; {total} row(s) {verb}"
               + (" (dry run: nothing was changed)." if dry_run else "."))


@data_cli.command("rotate-keys")
@click.option("--check", is_flag=True,
              help="Only count the values under old keys; change nothing.")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000),
              help="Rows read and updated per transaction.")
def rotate_keys_command(check: bool, batch_size: int) -> None:
    """Encrypt all personal data again under the first key of DATA_KEYS."""
    ring = current_keyring()
    results = rotate_keys(dry_run=check, batch_size=batch_size)
    for counts in results:
        keys = ", ".join(f"{count} under {key_id}" + (" (current)" if key_id == ring.primary
                                                      else "")
                         for key_id, count in sorted(counts.by_key.items())) or "empty"
        extra = f"; {counts.clear} in clear" if counts.clear else ""
        done = "" if check else f"; {counts.rotated} re-encrypted"
        click.echo(f"{counts.name}: {keys}{extra}{done}")
        for reason, count in sorted(counts.unreadable.items()):
            click.echo(f"  {count} cannot be decrypted: {reason}", err=True)
    old = sum(counts.old(ring.primary) + counts.clear for counts in results)
    rotated = sum(counts.rotated for counts in results)
    unreadable = sum(sum(counts.unreadable.values()) for counts in results)
    if check:
        click.echo(f"{old} value(s) under old keys or in clear; current key {ring.primary}.")
    else:
        click.echo(f"{rotated} value(s) re-encrypted under key {ring.primary}.")
    if ring.derived:
        click.echo("Note: DATA_KEYS is not set; the key is derived from SECRET_KEY.", err=True)
    if unreadable:
        raise click.ClickException(
            f"{unreadable} value(s) cannot be decrypted with the keys in DATA_KEYS (see above): "
            "add the missing key(s) to DATA_KEYS, after the first, and run this again.")


@data_cli.command("new-key")
@click.option("--id", "key_id", default=None,
              help="The key's id (1-16 letters, digits, - or _); default: k<today's date>.")
def new_key_command(key_id: str | None) -> None:
    """Print a new random key to put first in DATA_KEYS."""
    from datetime import date

    try:
        entry = new_key(key_id or f"k{date.today():%Y%m%d}")
    except DataKeyError as error:
        raise click.BadParameter(str(error), param_hint="--id") from None
    click.echo(entry)
    click.echo("Put it first in DATA_KEYS (keep the older keys after it), restart, then run "
               "`flask --app seminar_app data rotate-keys`.", err=True)
