"""What a staff password must be, in one place for the web forms, the reset page and the CLI.

Rules:
- at least MIN_PASSWORD_LENGTH (12) and at most MAX_PASSWORD_LENGTH (200) characters;
- not a common or easily guessed password: compared in lower case with the list in
  ``common_passwords.txt`` (shipped with the code, never downloaded), also once spaces,
  dashes, dots and underscores are removed, and once the digits and symbols at its ends are
  removed (``Password2026!`` is ``password``);
- not a run along the keyboard or the alphabet, not made of fewer than 5 different characters,
  not a short piece repeated (``abcabcabcabc``);
- not the account's email address, the part of it before the ``@``, or the person's name.
"""

import re
import string
from functools import cache
from pathlib import Path

from flask_babel import gettext as _

from ..errors import ServiceError

#: the shortest password accepted anywhere (web, reset page, command line)
MIN_PASSWORD_LENGTH = 12
#: the longest password accepted (argon2 copes, but there is no reason to hash megabytes)
MAX_PASSWORD_LENGTH = 200
#: a password needs at least this many different characters
MIN_DISTINCT_CHARACTERS = 5

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
_SEPARATORS = re.compile(r"[\s\-_.]+")
_END_CHARACTERS = string.digits + string.punctuation + string.whitespace
_RUNS = (
    "0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "qazwsxedcrfvtgbyhnujmikolp",
)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case), read once per process."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as handle:
        return frozenset(
            line.strip() for line in handle if line.strip() and not line.startswith("#")
        )


def _variants(password: str) -> set[str]:
    """The lower-case password, without separators, and without digits/symbols at its ends."""
    lowered = password.lower()
    compact = _SEPARATORS.sub("", lowered)
    return {lowered, compact, lowered.strip(_END_CHARACTERS), compact.strip(_END_CHARACTERS)}


def _is_run(text: str) -> bool:
    """True when ``text`` runs along a keyboard row or the alphabet (either way, wrapping)."""
    for run in _RUNS:
        circle = run * 3
        if text in circle or text in circle[::-1]:
            return True
    return False


def _is_repeated(text: str) -> bool:
    """True when ``text`` is a piece of at most a third of its length, repeated."""
    for size in range(1, len(text) // 3 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return True
    return False


def is_guessable(password: str) -> bool:
    """True when ``password`` is common, a keyboard or alphabet run, or too repetitive."""
    variants = _variants(password)
    if variants & common_passwords():
        return True
    if len(set(password.lower())) < MIN_DISTINCT_CHARACTERS:
        return True
    return any(_is_run(text) or _is_repeated(text) for text in variants if len(text) >= 6)


def is_personal(password: str, *, email: str = "", name: str = "") -> bool:
    """True when ``password`` is the email address, its local part or the person's name."""
    email = (email or "").strip().lower()
    personal = {email, email.partition("@")[0], (name or "").strip().lower()}
    personal |= {_SEPARATORS.sub("", value) for value in personal}
    personal.discard("")
    return bool(_variants(password) & personal)


def check_password_rules(
    password: str, *, field: str = "password", email: str = "", name: str = ""
) -> None:
    """Raise a ServiceError (for ``field``) when ``password`` breaks one of the rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            _("The password must have at least %(count)d characters.", count=MIN_PASSWORD_LENGTH),
            field=field,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ServiceError(
            _("The password must have at most %(count)d characters.", count=MAX_PASSWORD_LENGTH),
            field=field,
        )
    if is_personal(password, email=email, name=name):
        raise ServiceError(
            _("The password must not be your email address or your name."), field=field
        )
    if is_guessable(password):
        raise ServiceError(
            _(
                "This password is too common or too easy to guess. Choose a phrase of several "
                "unrelated words."
            ),
            field=field,
        )
