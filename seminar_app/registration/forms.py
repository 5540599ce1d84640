"""Forms of the public registration: the registration form (with the event's extra questions),
cancelling, and asking for the personal link again."""

import unicodedata
from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
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

from ..forms import BaseForm
from ..i18n import country_choices, country_name, current_language, is_country_code
from ..models import (
    DelegationRole,
    Event,
    ExtraQuestion,
    Honorific,
    OrganisationType,
    QuestionKind,
)
from ..services.content_language import choice_label, localized_text
from ..services.questions import event_questions
from ..services.registration_labels import (
    HONORIFIC_LABELS,
    ORGANISATION_TYPE_LABELS,
    ROLE_LABELS,
)
from ..services.registrations import passport_valid_for

REQUIRED = _l("This field is required.")
TOO_LONG = _l("Please use at most %(max)d characters.")
#: punctuation allowed in personal names besides letters, marks and spaces
_NAME_PUNCTUATION = set("'’‘-‐.")
EMAIL_LANGUAGES = (("en", "English"), ("id", "Bahasa Indonesia"))
MAX_AGE_YEARS = 120


def _length(maximum: int) -> Length:
    return Length(max=maximum, message=TOO_LONG)


def check_name(form, field) -> None:
    """Letters and marks of any script, spaces, apostrophes, hyphens and dots only."""
    value = field.data or ""
    if "<" in value or ">" in value:
        raise ValidationError(
            _l("Names cannot contain angle brackets or other symbols used in code."))
    for char in value:
        if char in _NAME_PUNCTUATION or char == " ":
            continue
        if unicodedata.category(char)[0] not in ("L", "M"):
            raise ValidationError(
                _l("Please use letters, spaces, apostrophes, hyphens and dots only."))


def check_no_markup(form, field) -> None:
    """Refuse < and > (organisation, position and other free text shown on badges)."""
    if "<" in (field.data or "") or ">" in (field.data or ""):
        raise ValidationError(_l("Please do not use angle brackets here."))


def check_country(form, field) -> None:
    """An ISO 3166 country from the list."""
    if field.data and not is_country_code(field.data):
        raise ValidationError(_l("Choose a country from the list."))


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


def _country_field(label, *validators, autocomplete="country") -> SelectField:
    return SelectField(label, choices=[], validate_choice=False, widget=LongSelect(),
                       validators=[*validators, _length(2), check_country],
                       render_kw={"autocomplete": autocomplete})


class RegistrationForm(BaseForm):
    """A delegate's details; ``build_registration_form`` adds the event's extra questions."""

    honorific = SelectField(
        _l("Form of address"), validators=[InputRequired(message=REQUIRED)],
        choices=[SelectChoice("", _l("— choose —")),
                 *(SelectChoice(h.value, label) for h, label in HONORIFIC_LABELS.items())],
        validate_choice=False, render_kw={"autocomplete": "honorific-prefix"})
    honorific_other = StringField(
        _l("Other form of address"), validators=[Optional(), _length(40), check_no_markup],
        description=_l("For example Hon. or Sen."))
    given_name = StringField(
        _l("Given name"), validators=[DataRequired(message=REQUIRED), _length(100), check_name],
        render_kw={"autocomplete": "given-name"})
    family_name = StringField(
        _l("Family name"), validators=[DataRequired(message=REQUIRED), _length(100), check_name],
        render_kw={"autocomplete": "family-name"})
    email = EmailField(
        _l("Email"), validators=[DataRequired(message=REQUIRED), _length(254)],
        render_kw={"autocomplete": "email", "inputmode": "email"})
    country = _country_field(_l("Country you represent"), DataRequired(message=REQUIRED))
    organisation = StringField(
        _l("Organisation"), validators=[DataRequired(message=REQUIRED), _length(200),
                                        check_no_markup],
        description=_l("Ministry, embassy, agency or institution"),
        render_kw={"autocomplete": "organization"})
    position = StringField(_l("Position"), validators=[Optional(), _length(200), check_no_markup],
                           render_kw={"autocomplete": "organization-title"})
    organisation_type = SelectField(
        _l("Type of organisation"), validators=[Optional()],
        choices=[SelectChoice("", _l("— choose —")),
                 *(SelectChoice(t.value, label) for t, label in ORGANISATION_TYPE_LABELS.items())],
        validate_choice=False)
    delegation_role = SelectField(
        _l("Role in the delegation"), validators=[InputRequired(message=REQUIRED)],
        choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()],
        validate_choice=False)
    phone = TelField(
        _l("Phone"), validators=[Optional(), _length(40)],
        description=_l("International format, e.g. +62 21 3441508"),
        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    language = SelectField(_l("Language for emails"),
                           choices=[SelectChoice(*pair) for pair in EMAIL_LANGUAGES],
                           validate_choice=False)
    dietary = TextAreaField(_l("Dietary requirements"), validators=[Optional(), _length(500)],
                            render_kw={"rows": 2})
    accessibility = TextAreaField(_l("Accessibility needs"),
                                  validators=[Optional(), _length(500)], render_kw={"rows": 2})
    needs_visa_letter = BooleanField(_l("I need a visa invitation letter"))
    passport_number = StringField(_l("Passport number"), validators=[
        Optional(), _length(30),
        Regexp(r"^[A-Za-z0-9 ]*$", message=_l("Please use letters and digits only."))],
                                  render_kw={"autocomplete": "off"})
    nationality = _country_field(_l("Nationality (passport issued by)"),
                                 Optional(strip_whitespace=False),
                                 autocomplete="off")
    birth_date = DateField(_l("Date of birth"), validators=[Optional()],
                           render_kw={"autocomplete": "bday"})
    birth_place = StringField(_l("Place of birth"),
                              validators=[Optional(), _length(120), check_no_markup])
    passport_expiry = DateField(_l("Passport expiry date"), validators=[Optional()])
    consent = BooleanField(
        _l("I agree that the organizers process my personal data to run this event."),
        validators=[DataRequired(message=_l("Please give your consent to register."))])
    submit = SubmitField(_l("Register"))

    #: the event the form is for (set by build_registration_form)
    event: Event | None = None

    def validate_honorific(self, field) -> None:
        if field.data not in {h.value for h in Honorific}:
            raise ValidationError(_l("Choose a form of address from the list."))

    def validate_delegation_role(self, field) -> None:
        if field.data not in {r.value for r in DelegationRole}:
            raise ValidationError(_l("Choose a role from the list."))

    def validate_organisation_type(self, field) -> None:
        if field.data and field.data not in OrganisationType._value2member_map_:
            raise ValidationError(_l("Choose a type of organisation from the list."))

    def validate_language(self, field) -> None:
        if field.data not in dict(EMAIL_LANGUAGES):
            raise ValidationError(_l("Choose a language from the list."))

    def validate_email(self, field) -> None:
        try:
            validate_email(field.data or "", check_deliverability=False, allow_smtputf8=False)
        except EmailNotValidError as error:
            raise ValidationError(_l("Enter a valid email address.")) from error

    def validate_phone(self, field) -> None:
        if not field.data or not is_country_code(self.country.data or ""):
            return
        region = self.country.data.upper()
        try:
            number = phonenumbers.parse(field.data, region)
            valid = phonenumbers.is_valid_number(number)
        except phonenumbers.NumberParseException:
            valid = False
        if not valid:
            raise ValidationError(_l("Enter a valid phone number for %(country)s, e.g. %(example)s",
                                     country=country_name(region), example=_example_phone(region)))

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the checks that span several fields."""
        valid = super().validate(extra_validators)
        if self.honorific.data == Honorific.OTHER and not (self.honorific_other.data or "").strip():
            self.honorific_other.errors.append(_l("Please write the form of address."))
        if self.needs_visa_letter.data:
            self._check_visa_fields()
        return valid and not any(field.errors for field in self)

    def _check_visa_fields(self) -> None:
        """With a visa letter, every passport field is required and the dates plausible."""
        for name in ("passport_number", "nationality", "birth_date", "birth_place",
                     "passport_expiry"):
            field = getattr(self, name)
            value = field.data.strip() if isinstance(field.data, str) else field.data
            if not value and not field.errors:
                field.errors.append(REQUIRED)
        today = date.today()
        born = self.birth_date.data
        if born and (born >= today or born.year < today.year - MAX_AGE_YEARS):
            self.birth_date.errors.append(_l("Please check the date of birth."))
        expiry = self.passport_expiry.data
        if expiry and self.event is not None and not passport_valid_for(self.event, expiry):
            self.passport_expiry.errors.append(
                _l("The passport must be valid after the end of the event."))


def _example_phone(region: str) -> str:
    example = phonenumbers.example_number_for_type(region,
                                                   phonenumbers.PhoneNumberType.FIXED_LINE)
    if example is None:
        return "+62 21 3441508"
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _question_field(question: ExtraQuestion):
    # strip_whitespace=False: a blank answer must still pass the choice check
    optional = Optional(strip_whitespace=False)
    validators = [InputRequired(message=REQUIRED)] if question.required else [optional]
    # the label and options in the visitor's language (or the other one); the value sent and
    # stored is always the base-language option, so answers mean the same in every language
    label = localized_text(question, "label")
    if question.kind == QuestionKind.CHOICE:
        choices = [SelectChoice("", _l("— choose —")),
                   *(SelectChoice(c, choice_label(question, c)) for c in question.choices or [])]
        return SelectField(label, choices=choices, validators=[
            *([DataRequired(message=REQUIRED)] if question.required else [optional])],
            validate_choice=True)
    if question.kind == QuestionKind.YES_NO:
        return RadioField(label,
                          choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
                          validators=validators, validate_choice=True)
    return StringField(label, validators=[*validators, _length(1000)])


def _form_class(event: Event, questions: list[ExtraQuestion]) -> type:
    """The form class with ``questions`` as ``q_<id>`` fields, built once per version of the
    event (``updated_at`` moves with every change of its questions) and language."""
    key = (event.id, event.updated_at, current_language(),
           tuple((question.id, question.kind, question.required) for question in questions))
    classes = current_app.extensions.setdefault("registration_form_classes", {})
    form_class = classes.get(key)
    if form_class is None:
        form_class = type("EventRegistrationForm", (RegistrationForm,), {
            f"q_{question.id}": _question_field(question) for question in questions})
        if len(classes) > 256:
            classes.clear()
        classes[key] = form_class
    return form_class


def build_registration_form(event: Event, *, formdata=None, obj=None, for_staff=False):
    """The registration form for ``event``: standard fields plus one ``q_<id>`` per question.

    ``formdata=None`` reads the request's form when it was submitted. With ``obj`` (a
    registration) the form edits it: no email (it stays as registered), no consent, and the
    answers are filled in. ``for_staff`` words the consent for staff registering a delegate.
    """
    questions = event_questions(event)
    form_class = _form_class(event, questions)
    data = {"language": current_language(), "honorific": "", "delegation_role": "delegate"}
    if obj is not None:
        data = {f"q_{answer.question_id}": answer.value for answer in obj.answers}
    options = {} if formdata is None else {"formdata": formdata}  # None: the request's form
    form = form_class(obj=obj, data=data, **options)
    form.event = event
    form.questions = questions
    choices = [SelectChoice("", _l("— choose a country —")),
               *(SelectChoice(*pair) for pair in country_choices())]
    form.country.choices = form.nationality.choices = choices
    if obj is not None:
        del form["email"]
        del form["consent"]
        form.submit.label.text = _l("Save changes")
    elif for_staff:
        form.consent.label.text = _l("The delegate agreed that the organizers process their "
                                     "personal data to run this event.")
    return form


def form_data(form) -> tuple[dict, dict[int, str]]:
    """The service's arguments from a validated registration form: (data, answers)."""
    data = {name: form[name].data for name in (
        "honorific", "honorific_other", "given_name", "family_name", "country", "organisation",
        "position", "delegation_role", "phone", "language", "dietary", "accessibility",
        "needs_visa_letter", "passport_number", "nationality", "birth_date", "birth_place",
        "passport_expiry", "organisation_type")}
    for key, value in data.items():
        if value is None and key not in ("birth_date", "passport_expiry"):
            value = data[key] = ""
        if isinstance(value, str):
            data[key] = " ".join(value.split()) if key not in ("dietary", "accessibility") \
                else value.strip()
    if "email" in form:
        data["email"] = form.email.data.strip().lower()
    if data["honorific"] != Honorific.OTHER:
        data["honorific_other"] = ""
    data["passport_number"] = data["passport_number"].replace(" ", "").upper()
    data["phone"] = _e164(data["phone"], data["country"])
    answers = {question.id: str(form[f"q_{question.id}"].data or "")
               for question in form.questions}
    return data, answers


def _e164(phone: str, country: str) -> str:
    if not phone:
        return ""
    number = phonenumbers.parse(phone, country.upper())
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class RegistrationCancelForm(BaseForm):
    """Confirm cancelling one's own registration."""

    submit = SubmitField(_l("Cancel my registration"))


class ManageLinkResendForm(BaseForm):
    """Ask for the personal link to one's registration again."""

    email = EmailField(_l("Email"), validators=[DataRequired(message=REQUIRED), _length(254)],
                       id="resend-email",
                       render_kw={"autocomplete": "email", "inputmode": "email"})
    submit = SubmitField(_l("Send me my link"), id="resend-submit")
