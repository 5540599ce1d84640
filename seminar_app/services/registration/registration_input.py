"""What a valid registration is: every field a delegate (or staff, or an API client) gives,
defined once.

``INPUT_FIELDS`` names each field's kind, length, choices, whether it is required, its label
and messages. The web forms (registration.form_fields builds their WTForms fields), the API's
Field list and schema (api.registrations) and the services (``clean_registration``, called by
services.registration.registrations and services.registration.delegations) all read it, so every
entry point checks
and normalises a registration the same way.

Rules:
- Text on one line is collapsed: whitespace around it dropped, runs of whitespace inside
  become one space. Dietary and accessibility needs (several lines) are only stripped.
- An email address must be one our mail server can send to (no SMTPUTF8, no DNS lookup);
  it is stored lower-case.
- A passport number is letters and digits; it is stored without spaces, upper-case.
- A phone number is read for the delegate's country (or, without a known country, in
  international format) and stored as E.164; ``check_phone`` is the only phone check.
- Country and nationality are ISO 3166-1 alpha-2 codes, stored upper-case.
- Personal names take letters and marks of any script, spaces, apostrophes, hyphens and
  dots; the other free text printed on badges and letters refuses < and >.
- Form of address, role, type of organisation and language are one of their choices (the
  model's enums); an empty type of organisation means OTHER.
- The other form of address is required with the honorific OTHER and dropped otherwise.
- With a visa letter the passport must be valid after the event's last day and the date of
  birth plausible; the web forms also require every passport field (``VISA``), while staff
  tools and the API may leave the others to be completed later. Without a visa letter the
  passport fields are emptied.
- How the delegate attends ("in_person" or "online") is chosen only at a hybrid event, where
  it is required; other events store their own mode (services.events.attendance decides).
  A delegate attending online needs no visa letter: asking for one is refused.
- A change to a registration is judged on what it changes: a value equal to the stored one
  stays as it is (it may predate a rule), though a required field still needs a value.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...i18n import country_name, is_country_code
from ...models import Event, Honorific, OrganisationType
from ..errors import ServiceError
from ..events.attendance import (
    ATTENDANCE_LABELS,
    CHOICE_LABEL,
    NO_VISA_ONLINE,
    ONLINE,
    registration_attendance,
)
from .registration_labels import HONORIFIC_LABELS, ORGANISATION_TYPE_LABELS, ROLE_LABELS

TEXT, EMAIL, ENUM, COUNTRY, DATE, BOOLEAN, PHONE = (
    "text", "email", "enum", "country", "date", "boolean", "phone")
#: ``required`` of the passport fields: the web forms require them with a visa letter (the
#: services require a passport valid after the event, the rest may be completed later)
VISA = "when needs_visa_letter"
REQUIRED = _l("This field is required.")
TOO_LONG = _l("Please use at most %(max)d characters.")
EMAIL_LANGUAGES = (("en", "English"), ("id", "Bahasa Indonesia"))
#: a passport number (before its spaces are removed), as a regular expression
PASSPORT_PATTERN = r"[A-Za-z0-9 ]*"
MAX_AGE_YEARS = 120
#: punctuation allowed in personal names besides letters, marks and spaces
_NAME_PUNCTUATION = set("'’‘-‐.")
_CHOOSE = _l("— choose —")


class InvalidInput(ServiceError):
    """A value of a registration was refused; ``field`` names it (None from a bare check)."""


# --- the checks (each raises InvalidInput with the message to show) --------------------------

def check_name(value: str) -> None:
    """Letters and marks of any script, spaces, apostrophes, hyphens and dots only."""
    value = value or ""
    if "<" in value or ">" in value:
        raise InvalidInput(_("Names cannot contain angle brackets or other symbols used in code."))
    for char in value:
        if char not in _NAME_PUNCTUATION and char != " " \
                and unicodedata.category(char)[0] not in ("L", "M"):
            raise InvalidInput(_("Please use letters, spaces, apostrophes, hyphens and dots only."))


def check_no_markup(value: str) -> None:
    """Refuse < and > (free text shown on badges, letters and pages)."""
    if "<" in (value or "") or ">" in (value or ""):
        raise InvalidInput(_("Please do not use angle brackets here."))


def check_country(value: str) -> None:
    """An ISO 3166 country code from the list (empty passes: required is checked apart)."""
    if value and not is_country_code(value):
        raise InvalidInput(_("Choose a country from the list."))


def check_email(value: str) -> str:
    """``value`` as given, when our mail server can send to it; its normalised form."""
    try:
        return validate_email(value or "", check_deliverability=False,
                              allow_smtputf8=False).normalized
    except EmailNotValidError:
        raise InvalidInput(_("Enter a valid email address.")) from None


def check_phone(phone: str, country: str = "") -> str:
    """``phone`` read for ``country`` (an ISO code; without one, international format only)
    as E.164; the message names the country and shows an example of its numbers."""
    region = (country or "").upper() if is_country_code(country or "") else None
    try:
        number = phonenumbers.parse(phone, region)
        valid = phonenumbers.is_valid_number(number)
    except phonenumbers.NumberParseException:
        valid = False
    if not valid:
        if region is None:
            raise InvalidInput(_("Enter a valid phone number with its country code, e.g. "
                                 "+62 21 3441508."))
        raise InvalidInput(_("Enter a valid phone number for %(country)s, e.g. %(example)s",
                             country=country_name(region), example=example_phone(region)))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def example_phone(region: str) -> str:
    """A fixed-line number of ``region`` in international format (Jakarta's by default)."""
    example = phonenumbers.example_number_for_type(region,
                                                   phonenumbers.PhoneNumberType.FIXED_LINE)
    if example is None:
        return "+62 21 3441508"
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def check_birth_date(born: date | None) -> None:
    """A date of birth in the past, at most ``MAX_AGE_YEARS`` ago."""
    today = date.today()
    if born and (born >= today or born.year < today.year - MAX_AGE_YEARS):
        raise InvalidInput(_("Please check the date of birth."))


def passport_valid_for(event: Event, expiry: date | None) -> bool:
    """True when a passport expiring on ``expiry`` is still valid after the event's last day."""
    if expiry is None:
        return False
    return expiry > event.end_at.astimezone(ZoneInfo(event.timezone)).date()


def check_passport_expiry(event: Event, expiry: date | None) -> None:
    """The passport must still be valid after the event's last day."""
    if not passport_valid_for(event, expiry):
        raise InvalidInput(_("The passport must be valid after the end of the event."))


# --- the definition --------------------------------------------------------------------------

def collapse(value) -> str:
    """One line of text: whitespace around dropped, inner runs made one space."""
    return " ".join(str(value).split()) if value is not None else ""


def _strip(value) -> str:
    return str(value).strip() if value is not None else ""


def _passport_number(value) -> str:
    return "".join(str(value).split()).upper() if value is not None else ""


def _email(value) -> str:
    return str(value).strip().lower() if value is not None else ""


def _country(value) -> str:
    return collapse(value).upper()


def _organisation_type(value) -> str:
    return collapse(value) or OrganisationType.OTHER.value


def _date(value):
    return value or None


@dataclass(frozen=True)
class InputField:
    """One field of a registration (see the module's rules)."""

    name: str
    kind: str  # TEXT, EMAIL, ENUM, COUNTRY, DATE, BOOLEAN or PHONE
    label: object
    max_length: int | None = None
    #: (value, label) of each choice of an ENUM
    choices: tuple = ()
    #: label of an empty first choice: the field may be left empty (ENUM)
    blank: object = None
    required: bool | str = False  # True, False or VISA
    #: the normalisation applied by the services (``collapse`` for text on one line)
    clean: Callable = collapse
    #: a check of the content, raising InvalidInput (check_name, check_no_markup)
    rule: Callable | None = None
    #: a regular expression the whole value must match, told with ``invalid``
    pattern: str | None = None
    #: the message for a value that is not one of the choices or does not match the pattern
    invalid: object = None
    multiline: bool = False
    #: help shown under the web form's field
    help: object = None
    #: the HTML autocomplete token of the web form's field
    autocomplete: str | None = None
    #: what the API's documentation says about the field (English)
    api_description: str = ""

    @property
    def values(self) -> tuple[str, ...]:
        """The values an ENUM accepts."""
        return tuple(str(value) for value, _label in self.choices)

    def check_choice(self, value) -> None:
        """An ENUM's value is one of its choices (or empty, when it has an empty choice)."""
        if value in self.values or (self.blank is not None and not value):
            return
        raise InvalidInput(str(self.invalid))


def _labels(labels: dict) -> tuple:
    return tuple((member.value, label) for member, label in labels.items())


INPUT_FIELDS = (
    InputField("honorific", ENUM, _l("Form of address"), choices=_labels(HONORIFIC_LABELS),
               blank=_CHOOSE, required=True, autocomplete="honorific-prefix",
               invalid=_l("Choose a form of address from the list.")),
    InputField("honorific_other", TEXT, _l("Other form of address"), 40, rule=check_no_markup,
               help=_l("For example Hon. or Sen.")),
    InputField("given_name", TEXT, _l("Given name"), 100, required=True, rule=check_name,
               autocomplete="given-name"),
    InputField("family_name", TEXT, _l("Family name"), 100, rule=check_name,
               autocomplete="family-name",
               help=_l("Leave empty if you have a single name (common in Indonesia and "
                       "Myanmar): write it as your given name."),
               api_description="Empty for a delegate with a single name."),
    InputField("email", EMAIL, _l("Email"), 254, required=True, clean=_email,
               autocomplete="email"),
    InputField("country", COUNTRY, _l("Country you represent"), 2, required=True,
               clean=_country, autocomplete="country",
               api_description="ISO 3166-1 alpha-2 of the country the delegate represents."),
    InputField("organisation", TEXT, _l("Organisation"), 200, required=True,
               rule=check_no_markup, help=_l("Ministry, embassy, agency or institution"),
               autocomplete="organization"),
    InputField("position", TEXT, _l("Position"), 200, rule=check_no_markup,
               autocomplete="organization-title"),
    InputField("organisation_type", ENUM, _l("Type of organisation"),
               choices=_labels(ORGANISATION_TYPE_LABELS), blank=_CHOOSE,
               clean=_organisation_type,
               invalid=_l("Choose a type of organisation from the list.")),
    InputField("delegation_role", ENUM, _l("Role in the delegation"),
               choices=_labels(ROLE_LABELS), required=True,
               invalid=_l("Choose a role from the list.")),
    InputField("phone", PHONE, _l("Phone"), 40, autocomplete="tel",
               help=_l("International format, e.g. +62 21 3441508"),
               api_description="Any format; stored as E.164."),
    InputField("language", ENUM, _l("Language for emails"), choices=EMAIL_LANGUAGES,
               invalid=_l("Choose a language from the list."),
               api_description="Language of the emails."),
    InputField("dietary", TEXT, _l("Dietary requirements"), 500, clean=_strip,
               multiline=True),
    InputField("accessibility", TEXT, _l("Accessibility needs"), 500, clean=_strip,
               multiline=True),
    InputField("attendance", ENUM, CHOICE_LABEL, choices=tuple(ATTENDANCE_LABELS.items()),
               blank=_CHOOSE, invalid=_l("Choose in person or online."),
               help=_l("The online link is sent to delegates attending online once their "
                       "registration is confirmed."),
               api_description="in_person or online. Required when the event is hybrid; an "
                               "in-person or online event stores its own mode (another value "
                               "is refused). Online attendance takes no visa letter."),
    InputField("needs_visa_letter", BOOLEAN, _l("I need a visa invitation letter"), clean=bool),
    InputField("passport_number", TEXT, _l("Passport number"), 30, required=VISA,
               clean=_passport_number, pattern=PASSPORT_PATTERN, autocomplete="off",
               invalid=_l("Please use letters and digits only."),
               api_description="Stored without spaces, upper-case."),
    InputField("nationality", COUNTRY, _l("Nationality (passport issued by)"), 2,
               required=VISA, clean=_country, autocomplete="off",
               api_description="ISO 3166-1 alpha-2 of the country that issued the passport."),
    InputField("birth_date", DATE, _l("Date of birth"), required=VISA, clean=_date,
               autocomplete="bday"),
    InputField("birth_place", TEXT, _l("Place of birth"), 120, required=VISA,
               rule=check_no_markup),
    InputField("passport_expiry", DATE, _l("Passport expiry date"), required=VISA, clean=_date,
               api_description="Required with a visa letter: after the event's last day."),
)
FIELDS_BY_NAME = {spec.name: spec for spec in INPUT_FIELDS}
#: the columns a delegate (or staff on their behalf) fills in
REGISTRATION_FIELDS = tuple(FIELDS_BY_NAME)
#: the fields required when a visa letter is asked for
VISA_FIELDS = tuple(spec.name for spec in INPUT_FIELDS if spec.required == VISA)
OTHER_HONORIFIC_MISSING = _l("Please write the form of address.")
_EMPTY_VISA = {name: None if FIELDS_BY_NAME[name].kind == DATE else "" for name in VISA_FIELDS}


# --- cleaning and checking for the services --------------------------------------------------

def clean_registration(data: dict, *, event: Event, keep_email: str | None = None,
                       stored=None) -> dict:
    """The known fields of ``data`` normalised and checked (anything else is ignored).

    Raises InvalidInput naming the first refused field: the values given are judged first,
    then what is missing. With ``keep_email`` (a change to a registration) that address
    stands for the email, whatever ``data`` says; with ``stored`` (the registration being
    changed) a value equal to the stored one is kept without being judged again.
    """
    values = {spec.name: spec.clean(data[spec.name]) for spec in INPUT_FIELDS
              if spec.name in data}
    if keep_email:
        values["email"] = keep_email
    visa = bool(values.get("needs_visa_letter"))
    if not visa:
        values.update(_EMPTY_VISA, needs_visa_letter=False)
    if values.get("honorific") != Honorific.OTHER:
        values["honorific_other"] = ""
    for judge in (_check_value, _check_given):
        for spec in INPUT_FIELDS:
            if spec.name == "email" and keep_email:
                continue
            try:
                judge(spec, values, event=event, visa=visa, stored=stored)
            except InvalidInput as error:
                raise InvalidInput(error.message, field=spec.name) from None
    _check_attendance(values, event=event, stored=stored)
    return values


def _check_attendance(values: dict, *, event: Event, stored) -> None:
    """The attendance to store (services.events.attendance); no visa letter online."""
    given = values.get("attendance")
    stored_value = getattr(stored, "attendance", None) if stored is not None else None
    if not given and stored_value:
        given = stored_value
    try:
        values["attendance"] = registration_attendance(event, given, stored_value)
    except ValueError as error:
        raise InvalidInput(str(error), field="attendance") from None
    kept = stored is not None and getattr(stored, "needs_visa_letter", False)
    if values["attendance"] == ONLINE and values.get("needs_visa_letter") and not kept:
        raise InvalidInput(str(NO_VISA_ONLINE), field="needs_visa_letter")


def _check_given(spec: InputField, values: dict, *, event: Event, visa: bool,
                 **_context) -> None:
    """A required field (or one the other values make required) has a value."""
    if values.get(spec.name) not in (None, ""):
        return
    if spec.required is True:
        raise InvalidInput(str(REQUIRED))
    if spec.name == "passport_expiry" and visa:  # no letter without a valid passport
        check_passport_expiry(event, None)
    if spec.name == "honorific_other" and values.get("honorific") == Honorific.OTHER:
        raise InvalidInput(str(OTHER_HONORIFIC_MISSING))


def _check_value(spec: InputField, values: dict, *, event: Event, stored, **_context) -> None:
    """Check (and for an email or a phone, convert) the value given for ``spec``."""
    value = values.get(spec.name)
    if value in (None, "") or (stored is not None and getattr(stored, spec.name) == value):
        return
    if spec.max_length is not None and len(str(value)) > spec.max_length:
        raise InvalidInput(_("Please use at most %(max)d characters.", max=spec.max_length))
    if spec.pattern is not None and not re.fullmatch(spec.pattern, str(value)):
        raise InvalidInput(str(spec.invalid))
    if spec.rule is not None:
        spec.rule(value)
    if spec.kind == ENUM:
        spec.check_choice(value)
    elif spec.kind == COUNTRY:
        check_country(value)
    elif spec.kind == EMAIL:
        values[spec.name] = check_email(value).lower()
    elif spec.kind == PHONE:
        values[spec.name] = check_phone(value, values.get("country") or "")
    elif spec.name == "birth_date":
        check_birth_date(value)
    elif spec.name == "passport_expiry":
        check_passport_expiry(event, value)
