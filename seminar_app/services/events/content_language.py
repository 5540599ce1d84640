"""Texts organizers write in several languages: events, agenda sessions, extra questions.

Each translatable row has a JSON column ``translations``: ``{"en": {"title": ...}, "id":
{...}}``. Its plain columns (``title``, ``theme``, ...) keep the text of the event's *base*
language, the first of ``Event.languages`` that we hold texts in: older code, the slug, the
.ics file and searches read them. ``localized`` reads the text in the visitor's language and
falls back to the other language, saying so, so that the page can show a discreet note.

``merge_texts`` is what the services use to store what a form gives: it checks nothing
about the texts themselves (the services do), it only keeps the two in step.
"""

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from ...extensions import db
from ...i18n import current_language
from ...models import Event
from .cohost_roles import cohost_role_label

#: languages organizers write their texts in, in the order the forms show them
CONTENT_LANGUAGES = ("en", "id")
#: translatable fields that hold a list (the options of a question) rather than a text
LIST_FIELDS = frozenset({"choices"})


@dataclass(frozen=True)
class Localized:
    """A text in the language asked for, or the other one when that one is empty."""

    #: the text (a list for the choices of a question)
    text: Any
    #: the language ``text`` is in
    language: str
    #: True when ``text`` is not in the language asked for
    is_fallback: bool

    def __str__(self) -> str:
        return self.text if isinstance(self.text, str) else ", ".join(self.text or ())

    def __bool__(self) -> bool:
        return bool(self.text)


def _event_of(obj):
    if isinstance(obj, Event):
        return obj
    event = getattr(obj, "event", None)
    if event is None and getattr(obj, "event_id", None) is not None:
        event = db.session.get(Event, obj.event_id)
    return event


def base_language_of(languages: str | list[str] | None) -> str:
    """The language the plain columns are written in, from an event's languages."""
    if isinstance(languages, str):
        languages = languages.split(",")
    for code in languages or ():
        if code in CONTENT_LANGUAGES:
            return code
    return CONTENT_LANGUAGES[0]


def base_language(obj) -> str:
    """The base language of an event, or of the event a session or question belongs to."""
    event = _event_of(obj)
    return base_language_of(event.languages if event is not None else None)


def _languages_from(first: str, base: str) -> list[str]:
    order = [first, base, *CONTENT_LANGUAGES]
    return list(dict.fromkeys(code for code in order if code))


def localized(obj, field: str, language: str | None = None) -> Localized:
    """``obj``'s ``field`` in ``language`` (the current one by default), else another one.

    Rows written before translations existed have only their plain column: it counts as the
    base language's text.
    """
    language = language or current_language()
    translations = getattr(obj, "translations", None) or {}
    base = base_language(obj)
    for code in _languages_from(language, base):
        value = (translations.get(code) or {}).get(field)
        if value:
            return Localized(value, code, code != language)
    value = getattr(obj, field)
    return Localized(value, base, bool(value) and base != language)


def localized_text(obj, field: str, language: str | None = None):
    """Only the text of ``localized`` (for templates and emails)."""
    return localized(obj, field, language).text


def text_of(obj, field: str, language: str) -> Any:
    """What was written for ``field`` in exactly ``language`` (empty when nothing), for forms."""
    translations = getattr(obj, "translations", None) or {}
    if translations:
        return (translations.get(language) or {}).get(field) or _empty_like(getattr(obj, field))
    if language == base_language(obj):
        return getattr(obj, field)
    return _empty_like(getattr(obj, field))


def _empty_like(value):
    return [] if isinstance(value, list) else ""


def _empty_for(field: str):
    return [] if field in LIST_FIELDS else ""


def choice_label(question, value: str, language: str | None = None) -> str:
    """A stored answer to a choice question (its base-language option) in ``language``.

    Options of the two languages match by position; an answer that is no longer one of the
    options is shown as stored.
    """
    choices = list(question.choices or [])
    if value not in choices:
        return value
    shown = localized(question, "choices", language).text or []
    index = choices.index(value)
    return shown[index] if index < len(shown) else value


def fallback_note(item: Localized) -> str:
    """The discreet note under a text shown in the other language ("" when none is needed)."""
    if not item.is_fallback:
        return ""
    if item.language == "en":
        return _("Shown in English: no Indonesian text yet.")
    if item.language == "id":
        return _("Shown in Indonesian: no English text yet.")
    return ""


def base_source(translations: dict | None, field: str, base: str) -> str | None:
    """The language the plain column's ``field`` was taken from, None when from nowhere."""
    translations = translations or {}
    for code in _languages_from(base, base):
        if (translations.get(code) or {}).get(field):
            return code
    return None


def merge_texts(*, current: dict | None, given: dict[str, dict] | None, plain: dict,
                fields: tuple[str, ...], base: str,
                stored: dict | None = None) -> tuple[dict, dict]:
    """New ``translations`` and plain column values from what a form or caller gave.

    ``given`` maps languages to their texts (``{"en": {"title": ...}, "id": {...}}``): the
    languages given replace their stored texts, the others are kept. Without ``given``, the
    ``plain`` values are the base language's texts (callers that know one language only: the
    API, the demo, older code); a value equal to the ``stored`` plain column is left alone (it
    may have come from the other language). The plain columns get the base language's text,
    or the other language's when the base one is empty.
    """
    translations = {code: dict(texts) for code, texts in (current or {}).items()
                    if isinstance(texts, dict)}
    if given is None:
        stored = stored or {}
        given = {base: {field: plain[field] for field in fields
                        if field in plain and (field not in stored or plain[field] != stored[field]
                                               or not translations)}}
    for code, texts in given.items():
        if code not in CONTENT_LANGUAGES:
            continue
        entry = translations.setdefault(code, {})
        for field in fields:
            if field in texts:
                entry[field] = _cleaned(texts[field])
    values = {}
    for field in fields:
        values[field] = _empty_for(field)
        for code in _languages_from(base, base):
            text = (translations.get(code) or {}).get(field)
            if text:
                values[field] = text
                break
    # empty texts are not kept: "nothing written in this language" has one form
    translations = {code: {field: text for field, text in texts.items() if text}
                    for code, texts in translations.items()}
    translations = {code: texts for code, texts in translations.items() if texts}
    return translations, values


def _cleaned(value):
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    return (value or "").strip() if isinstance(value, str) else value


def register_template_helpers(app) -> None:
    """``localized`` (a Localized) and ``fallback_note`` globals, ``|localized`` filter."""
    app.add_template_global(localized, "localized")
    app.add_template_global(fallback_note, "fallback_note")
    app.add_template_filter(localized_text, "localized")
    app.add_template_global(cohost_role_label, "cohost_role")
