"""The base form every form of the app derives from."""

import re
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField
from wtforms.fields.choices import SelectChoice

from .i18n import country_choices, current_language, wtforms_translations

#: control characters other than tab, newline and carriage return (NUL breaks PostgreSQL)
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control_characters(value):
    """Drop control characters from text input; other values pass through."""
    if isinstance(value, str):
        return _CONTROL_CHARACTERS.sub("", value)
    if isinstance(value, list):
        return [strip_control_characters(item) for item in value]
    return value


class BaseForm(FlaskForm):
    """A Flask-WTF form for every form of the app.

    WTForms' built-in messages go through our own catalog (WTForms has no Indonesian), and
    control characters are removed from every submitted text before validation.
    """

    class Meta:
        def get_translations(self, form):
            return wtforms_translations

        def bind_field(self, form, unbound_field, options):
            if not issubclass(unbound_field.field_class, (FieldList, FormField)):
                filters = unbound_field.kwargs.get("filters", ())
                options = {**options, "filters": (strip_control_characters, *filters)}
            return super().bind_field(form, unbound_field, options)


#: the first choice of a country list
CHOOSE_COUNTRY = _l("— choose a country —")


def country_select_choices() -> tuple[SelectChoice, ...]:
    """A country select's choices in the current language, "choose a country" first: made
    once per language (250 choices are not rebuilt for every form; never change them)."""
    return _country_select_choices(current_language())


@lru_cache(maxsize=8)
def _country_select_choices(language: str) -> tuple[SelectChoice, ...]:
    return (SelectChoice("", CHOOSE_COUNTRY),
            *(SelectChoice(*pair) for pair in country_choices(language)))
