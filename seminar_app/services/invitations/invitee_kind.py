"""Who an invitee is: a person, or an organisation (embassy, permanent mission, ministry,
agency) whose focal point nominates its delegation (models.nominations.InviteeKind).

``read_kind`` is the one reading of the value given by the staff form, an import's "kind" /
"type" column (English or Bahasa Indonesia words) and the API; ``kind_refusal`` says what an
organisation invitee must have (its country: the delegation represents it).
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...models import InviteeKind

KIND_LABELS = {InviteeKind.PERSON: _l("Person"), InviteeKind.ORGANISATION: _l("Organisation")}
#: the words accepted for each kind (lower case), in both languages
KIND_WORDS = {
    InviteeKind.PERSON: ("person", "individual", "people", "orang", "perorangan",
                         "perseorangan", "individu", "pribadi"),
    InviteeKind.ORGANISATION: ("organisation", "organization", "org", "mission", "embassy",
                               "organisasi", "lembaga", "instansi", "misi", "kedutaan",
                               "perwakilan"),
}
_BY_WORD = {word: kind.value for kind, words in KIND_WORDS.items() for word in words}


def read_kind(value) -> str | None:
    """The InviteeKind value ``value`` names ("" or None: a person); None when unknown."""
    word = " ".join(str(value or "").split()).lower()
    if not word:
        return InviteeKind.PERSON.value
    return _BY_WORD.get(word)


def kind_message() -> str:
    return _("Choose person or organisation.")


def kind_refusal(kind: str, country: str) -> tuple[str, str] | None:
    """(field, message) when an invitee of ``kind`` lacks what it needs, else None."""
    if kind == InviteeKind.ORGANISATION.value and not country:
        return "country", _("An organisation needs its country: the delegation it nominates "
                            "represents that country.")
    return None
