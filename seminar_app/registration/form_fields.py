"""The WTForms fields of the registration forms (single, delegation head and member rows),
built from the one definition of a registration's input (services.registration.registration_input).

Labels, lengths, choices, required fields, checks and messages come from the definition; this
module adds what only a browser needs: the widget, the HTML autocomplete token and input mode.
The checks are the definition's own functions, so the form shows next to each field the
message the service would give, before anything is sent to it.
"""

from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import Select, html_params

from ..i18n import is_country_code
from ..services.registration import registration_input as definition
from ..services.registration.registration_input import (
    BOOLEAN,
    COUNTRY,
    DATE,
    EMAIL,
    ENUM,
    FIELDS_BY_NAME,
    INPUT_FIELDS,
    PHONE,
    REQUIRED,
    TOO_LONG,
    InputField,
    InvalidInput,
)

#: "as the definition says", for the overrides of ``input_field``
_DEFAULT = object()


def length(maximum: int) -> Length:
    """At most ``maximum`` characters, told with our own (translated) message."""
    return Length(max=maximum, message=TOO_LONG)


def _validator(check):
    """A WTForms validator running ``check(field.data)`` of the definition."""

    def validate(form, field) -> None:
        try:
            check(field.data)
        except InvalidInput as error:
            raise ValidationError(error.message) from None

    validate.__name__, validate.__doc__ = check.__name__, check.__doc__
    return validate


check_name = _validator(definition.check_name)
check_no_markup = _validator(definition.check_no_markup)
check_country = _validator(definition.check_country)
check_email = _validator(definition.check_email)


def check_phone(form, field) -> None:
    """A phone number valid for the country chosen in the same form (checked once known)."""
    country = form.country.data or ""
    if not field.data or not is_country_code(country):
        return
    try:
        definition.check_phone(field.data, country)
    except InvalidInput as error:
        raise ValidationError(error.message) from None


def _check_choice(spec: InputField, blank):
    def validate(form, field) -> None:
        if field.data in spec.values or (blank is not None and not field.data):
            return
        raise ValidationError(spec.invalid)

    return validate


class LongSelect(Select):
    """A select for long lists such as countries: options written directly (WTForms' own
    widget builds each of the 250 options through html_params, which dominates the page).

    The options' HTML depends only on the choices (the same for every visitor of a language),
    so it is kept per list of choices; only the selected option is marked per request.
    """

    #: (choices as a tuple) -> the options' HTML; a few entries (languages x lists)
    _rendered: dict = {}

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        current = str(field.data or "")
        choices = tuple((str(choice.value), str(choice.label)) for choice in field.choices)
        options = self._rendered.get(choices)
        if options is None:
            option = Markup('<option value="{}">{}</option>')
            options = Markup("").join(option.format(value, label) for value, label in choices)
            if len(self._rendered) > 64:
                self._rendered.clear()
            self._rendered[choices] = options
        if current and any(value == current for value, _label in choices):
            plain = Markup('<option value="{}">').format(current)
            marked = Markup('<option value="{}" selected>').format(current)
            options = options.replace(plain, marked, 1)
        return Markup("<select {}>{}</select>").format(
            html_params(name=field.name, **kwargs), options)


def _validators(spec: InputField, required: bool, blank) -> list:
    """Required (or optional), length, pattern, content rule, then the kind's own check."""
    if required:
        validators = [(InputRequired if spec.kind == ENUM else DataRequired)(message=REQUIRED)]
    elif spec.kind == COUNTRY:
        validators = [Optional(strip_whitespace=False)]
    elif spec.kind == BOOLEAN or (spec.kind == ENUM and blank is None):
        validators = []  # a choice must be made (or the box is simply unticked)
    else:
        validators = [Optional()]
    if spec.max_length is not None and spec.kind not in (ENUM, DATE, BOOLEAN):
        validators.append(length(spec.max_length))
    if spec.pattern is not None:
        validators.append(Regexp(f"^{spec.pattern}$", message=spec.invalid))
    if spec.rule is not None:
        validators.append(_validator(spec.rule))
    kind_check = {EMAIL: check_email, COUNTRY: check_country, PHONE: check_phone}.get(spec.kind)
    if spec.kind == ENUM:
        kind_check = _check_choice(spec, blank)
    if kind_check is not None:
        validators.append(kind_check)
    return validators


def _render_kw(spec: InputField, autocomplete) -> dict | None:
    render_kw = {"autocomplete": autocomplete} if autocomplete else {}
    if spec.kind in (EMAIL, PHONE):
        render_kw["inputmode"] = "email" if spec.kind == EMAIL else "tel"
    if spec.multiline:
        render_kw["rows"] = 2
    return render_kw or None


def input_field(name: str, *, autocomplete=_DEFAULT, help=_DEFAULT, required=_DEFAULT,
                blank=_DEFAULT, default=None):
    """The WTForms field of the definition's field ``name``; the keyword arguments replace
    what the definition says for one form (a delegation's member rows)."""
    spec = FIELDS_BY_NAME[name]
    autocomplete = spec.autocomplete if autocomplete is _DEFAULT else autocomplete
    help = spec.help if help is _DEFAULT else help
    required = spec.required is True if required is _DEFAULT else required
    blank = spec.blank if blank is _DEFAULT else blank
    options = {"validators": _validators(spec, required, blank)}
    if help:
        options["description"] = help
    render_kw = _render_kw(spec, autocomplete)
    if render_kw:
        options["render_kw"] = render_kw
    if default is not None:
        options["default"] = default
    if spec.kind == ENUM:
        choices = [SelectChoice(value, label) for value, label in spec.choices]
        if blank is not None:
            choices.insert(0, SelectChoice("", blank))
        return SelectField(spec.label, choices=choices, validate_choice=False, **options)
    if spec.kind == COUNTRY:
        return SelectField(spec.label, choices=[], validate_choice=False, widget=LongSelect(),
                           **options)
    field_class = {EMAIL: EmailField, PHONE: TelField, DATE: DateField,
                   BOOLEAN: BooleanField}.get(spec.kind)
    if field_class is None:
        field_class = TextAreaField if spec.multiline else StringField
    return field_class(spec.label, **options)


def registration_form_fields() -> dict:
    """Every field of the definition, in its order, as the registration form shows it."""
    return {spec.name: input_field(spec.name) for spec in INPUT_FIELDS}
