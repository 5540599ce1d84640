"""Forms of the organizer pages: event details, cancellation, co-hosts and the team."""

from zoneinfo import ZoneInfo

from babel import Locale
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import BaseForm, country_select_choices
from ..i18n import current_language, is_country_code, is_timezone, timezone_choices
from ..models import EventType, Visibility
from ..services.events.attendance import MODE_LABELS, check_attendance_settings, event_mode
from ..services.events.content_language import CONTENT_LANGUAGES, text_of
from ..services.events.event_values import (
    DESCRIPTION_MAX,
    EVENT_FIELDS,
    EVENT_LANGUAGES,
    PROMOTION_CONFIRM_DAYS_MAX,
    PROMOTION_CONFIRM_DAYS_MIN,
    SLUG_MAX,
    is_web_url,
)
from ..services.privacy.retention import ANONYMISE_MONTHS_MAX, PASSPORT_DAYS_MAX

#: WTForms' own parse errors, listed so that they are extracted into our catalog
WTFORMS_MESSAGES = (
    _l("Not a valid datetime value."),
    _l("Not a valid integer value."),
    _l("Not a valid choice."),
    _l("'%(value)s' is not a valid choice for this field."),
)
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
EVENT_TYPE_LABELS = {
    EventType.SEMINAR: _l("Seminar"),
    EventType.FORUM: _l("Forum"),
    EventType.CONFERENCE: _l("Conference"),
    EventType.WORKSHOP: _l("Workshop"),
}
VISIBILITY_LABELS = {
    Visibility.PUBLIC: _l("Public: listed on the home page, anyone may register"),
    Visibility.UNLISTED: _l("Unlisted: reachable by its link only"),
    Visibility.INVITATION_ONLY: _l("By invitation: only invitees may register"),
}
_strip = [lambda value: value.strip() if isinstance(value, str) else value]
#: the event's texts written in each language
EVENT_TEXT_FIELDS = ("title", "theme", "description")


def content_field_name(field: str, language: str) -> str:
    """The form field of ``field`` in ``language``: "title" for English, "title_id"..."""
    return field if language == CONTENT_LANGUAGES[0] else f"{field}_{language}"


def content_texts(form, fields) -> dict:
    """``{"en": {"title": ...}, "id": {...}}`` from a form's fields in both languages."""
    return {language: {field: form[content_field_name(field, language)].data or ""
                       for field in fields}
            for language in CONTENT_LANGUAGES}


def content_initial(obj, fields) -> dict:
    """The form data of ``obj``'s texts in both languages (empty where none was written)."""
    return {content_field_name(field, language): text_of(obj, field, language)
            for field in fields for language in CONTENT_LANGUAGES}


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def web_address(form, field):
    """An http:// or https:// address with a host name."""
    if field.data and not is_web_url(field.data):
        raise ValidationError(_l("Enter a web address starting with http:// or https://."))


def _local_time(label, *, required=False):
    first = InputRequired(_l("Please give a date and time.")) if required else Optional()
    return DateTimeLocalField(label, validators=[first], format=LOCAL_FORMATS)


class EventCreateForm(BaseForm):
    """An event's details, with times local to the event's time zone."""

    # the texts in English (title, theme, description) and in Indonesian (*_id), side by side
    title = StringField(_l("Title"), filters=_strip, validators=[
        Length(max=200, message=_l("At most %(max)d characters."))], render_kw={"lang": "en"})
    title_id = StringField(_l("Title"), filters=_strip, validators=[
        Length(max=200, message=_l("At most %(max)d characters."))], render_kw={"lang": "id"})
    slug = StringField(_l("Web address"), filters=_strip, validators=[
        Optional(), Length(max=SLUG_MAX, message=_l("At most %(max)d characters.")),
        Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
               message=_l("Use lower-case letters, digits and single hyphens only."))],
        description=_l("Part of the event's address, e.g. asean-forum-2026. "
                       "Leave empty to make one from the title."))
    event_type = SelectField(_l("Type"), choices=[SelectChoice(t.value, label) for t, label in
                                                  EVENT_TYPE_LABELS.items()],
                             validators=[InputRequired(_l("Please choose one of the options."))])
    theme = StringField(_l("Theme"), filters=_strip, validators=[
        Length(max=300, message=_l("At most %(max)d characters."))], render_kw={"lang": "en"})
    theme_id = StringField(_l("Theme"), filters=_strip, validators=[
        Length(max=300, message=_l("At most %(max)d characters."))], render_kw={"lang": "id"})
    description = TextAreaField(_l("Description"), validators=[
        Length(max=DESCRIPTION_MAX, message=_l(
            "The description is too long: at most %(max)d characters."))],
        description=_l("Markdown: **bold**, *italic*, lists, links, ## headings."),
        render_kw={"rows": 10, "lang": "en"})
    description_id = TextAreaField(_l("Description"), validators=[
        Length(max=DESCRIPTION_MAX, message=_l(
            "The description is too long: at most %(max)d characters."))],
        description=_l("Markdown: **bold**, *italic*, lists, links, ## headings."),
        render_kw={"rows": 10, "lang": "id"})
    timezone = SelectField(_l("Time zone"), validate_choice=False)
    start_at = _local_time(_l("Starts (local time)"), required=True)
    end_at = _local_time(_l("Ends (local time)"), required=True)
    attendance_mode = SelectField(
        _l("How the event is attended"),
        choices=[SelectChoice(mode.value, label) for mode, label in MODE_LABELS.items()],
        default="in_person",  # left out (older clients): in person, or online with only a link
        description=_l("In person needs a venue, online needs the online link, hybrid needs "
                       "both; with hybrid, each delegate says how they will attend."))
    venue_name = StringField(_l("Venue"), filters=_strip, validators=[
        Length(max=200, message=_l("At most %(max)d characters."))])
    venue_address = TextAreaField(_l("Address"), filters=_strip, validators=[
        Length(max=500, message=_l("At most %(max)d characters."))], render_kw={"rows": 2})
    venue_city = StringField(_l("City"), filters=_strip, validators=[
        Length(max=120, message=_l("At most %(max)d characters."))])
    venue_country = SelectField(_l("Country"), validate_choice=False)
    online_url = URLField(_l("Online link"), filters=_strip, validators=[
        Optional(), Length(max=500, message=_l("At most %(max)d characters.")), web_address],
        description=_l("For online or hybrid events: the meeting or streaming address. It "
                       "is private: only confirmed delegates attending online receive it."))
    languages = MultiCheckboxField(_l("Languages of the event"), validate_choice=False)
    capacity = IntegerField(_l("Capacity"), validators=[
        Optional(), NumberRange(min=1, max=1_000_000,
                                message=_l("Enter a number of at least 1, or leave empty."))],
        description=_l("Maximum number of participants; leave empty for no limit."))
    requires_approval = BooleanField(_l("Registrations need approval"), description=_l(
        "An organizer approves or rejects each registration before it is confirmed."))
    country_quota = IntegerField(_l("At most this many confirmed delegates per country"),
                                 validators=[Optional(), NumberRange(
                                     min=1, max=1_000_000,
                                     message=_l("Enter a number of at least 1, or leave empty."))],
                                 description=_l("Leave empty for no limit per country."))
    registration_opens_at = _local_time(_l("Registration opens (local time)"))
    registration_closes_at = _local_time(_l("Registration closes (local time)"))
    nomination_deadline = _local_time(_l("Nomination deadline (local time)"))
    promotion_confirm_days = IntegerField(
        _l("Promoted delegates must confirm within this many days"),
        validators=[Optional(), NumberRange(
            min=PROMOTION_CONFIRM_DAYS_MIN, max=PROMOTION_CONFIRM_DAYS_MAX,
            message=_l("Enter a number of days from %(min)d to %(max)d, or leave empty."))])
    visibility = SelectField(_l("Visibility"), choices=[SelectChoice(v.value, label) for v, label in
                                                        VISIBILITY_LABELS.items()],
                             validators=[InputRequired(_l("Please choose one of the options."))])
    contact_name = StringField(_l("Contact person"), filters=_strip, validators=[
        Length(max=200, message=_l("At most %(max)d characters."))])
    contact_email = EmailField(_l("Contact email"), filters=_strip, validators=[
        Optional(), Length(max=254, message=_l("At most %(max)d characters.")),
        Email(_l("Enter a valid email address."))])
    contact_phone = StringField(_l("Contact phone"), filters=_strip, validators=[
        Optional(), Length(max=40, message=_l("At most %(max)d characters.")),
        Regexp(r"^[0-9+()./ -]+$", message=_l("Use digits, spaces and + ( ) - only."))])
    # personal data (services.privacy.retention)
    passport_retention_days = IntegerField(
        _l("Delete passport data this many days after the event"), default=30,
        validators=[Optional(), NumberRange(min=0, max=PASSPORT_DAYS_MAX,
                                            message=_l("Enter a number from %(min)d to "
                                                       "%(max)d."))],
        description=_l("Passport number, nationality, birth date and place and passport "
                       "expiry are deleted then; whether a visa letter was asked stays. "
                       "Empty: 30 days."))
    anonymise_after_months = IntegerField(
        _l("Anonymise registrations this many months after the event"), default=24,
        validators=[Optional(), NumberRange(min=1, max=ANONYMISE_MONTHS_MAX,
                                            message=_l("Enter a number from %(min)d to "
                                                       "%(max)d, or leave empty."))],
        description=_l("Names, contact details and answers are erased then; country, role "
                       "and status stay for the reports. Leave empty to keep them."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = [SelectChoice(*pair) for pair in timezone_choices()]
        self.venue_country.choices = [SelectChoice("", _l("— none (online) —")),
                                      *country_select_choices()[1:]]
        names = Locale.parse(current_language()).languages
        self.languages.choices = [SelectChoice(code, names.get(code, code))
                                  for code in EVENT_LANGUAGES]

    def validate_attendance_mode(self, field):
        if field.data not in MODE_LABELS:
            raise ValidationError(_l("Choose in person, online or hybrid."))

    def validate_timezone(self, field):
        if not is_timezone(field.data or ""):
            raise ValidationError(_l("Unknown time zone."))

    def validate_venue_country(self, field):
        if field.data and not is_country_code(field.data):
            raise ValidationError(_l("Please choose a country from the list."))

    def validate_languages(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one language."))
        if any(code not in EVENT_LANGUAGES for code in field.data):
            raise ValidationError(_l("Please choose languages from the list."))

    def validate(self, extra_validators=None):
        """Check each field, then the rules between fields (times, venue or link)."""
        valid = super().validate(extra_validators)
        for name, message in self._cross_field_errors():
            getattr(self, name).errors.append(message)
            valid = False
        return valid

    def _cross_field_errors(self):
        if not self.title.data and not self.title_id.data:
            yield "title", _l("Please give the event a title (in English, Indonesian or both).")
        start, end = self.start_at.data, self.end_at.data
        opens, closes = self.registration_opens_at.data, self.registration_closes_at.data
        if start and end and end <= start:
            yield "end_at", _l("The end must be after the start.")
        if opens and end and opens >= end:
            yield "registration_opens_at", _l("Registration must open before the event ends.")
        if opens and closes and closes <= opens:
            yield "registration_closes_at", _l("Registration must close after it opens.")
        elif closes and end and closes > end:
            yield "registration_closes_at", _l("Registration cannot close after the event ends.")
        deadline = self.nomination_deadline.data
        if deadline and end and deadline >= end:
            yield "nomination_deadline", _l("The nomination deadline must be before the event "
                                            "ends.")
        if not self.online_url.errors and not self.attendance_mode.errors:
            problem = check_attendance_settings({  # services.events.attendance
                name: self[name].data for name in (
                    "attendance_mode", "online_url", "venue_name", "venue_address",
                    "venue_city")})
            if problem is not None:
                yield problem

    def event_data(self) -> dict:
        """The values for services.events.events.create_event / update_event."""
        data = {name: getattr(self, name).data for name in EVENT_FIELDS}
        data["translations"] = content_texts(self, EVENT_TEXT_FIELDS)
        return data


class EventEditForm(EventCreateForm):
    """The same details, when changing an existing event."""

    @staticmethod
    def initial_data(event) -> dict:
        """The event's values with the four times shown in the event's own zone."""
        data = {name: getattr(event, name) for name in EVENT_FIELDS}
        zone = ZoneInfo(event.timezone)
        for name in ("start_at", "end_at", "registration_opens_at", "registration_closes_at",
                     "nomination_deadline"):
            value = data[name]
            data[name] = value.astimezone(zone).replace(tzinfo=None) if value else None
        data.update(content_initial(event, EVENT_TEXT_FIELDS))
        data["languages"] = event.language_list
        data["event_type"] = event.event_type.value
        data["visibility"] = event.visibility.value
        data["attendance_mode"] = event_mode(event).value
        return data


class EventCancelForm(BaseForm):
    """Why the event is cancelled (shown on its page)."""

    reason = TextAreaField(_l("Reason (shown on the event page)"), filters=_strip, validators=[
        Length(max=2000, message=_l("At most %(max)d characters."))], render_kw={"rows": 3})


class CoHostCreateForm(BaseForm):
    """An organisation hosting the event together with the owner."""

    name = StringField(_l("Organisation"), filters=_strip, validators=[
        DataRequired(_l("Please give the organisation's name.")),
        Length(max=200, message=_l("At most %(max)d characters."))])
    role = StringField(_l("Role"), filters=_strip, validators=[
        Length(max=120, message=_l("At most %(max)d characters."))],
        description=_l('For example "Host", "Co-host" or "Supported by".'))
    url = URLField(_l("Website"), filters=_strip, validators=[
        Optional(), Length(max=500, message=_l("At most %(max)d characters.")), web_address])
    logo = FileField(_l("Logo"), description=_l(
        "PNG, JPEG, GIF or WebP, at most 2 MB. It is shown at most 600 pixels wide."),
        render_kw={"accept": "image/png,image/jpeg,image/gif,image/webp"})


class CoHostEditForm(CoHostCreateForm):
    """Changing a co-host; a new logo replaces the current one."""

    remove_logo = BooleanField(_l("Remove the current logo"))


class TeamMemberEditForm(BaseForm):
    """What a team member may do on the event."""

    can_manage = BooleanField(_l("Manage the event (details, agenda, co-hosts, team)"))
    can_invite = BooleanField(_l("Send invitations and emails"))
    can_checkin = BooleanField(_l("Check delegates in"))


class TeamMemberAddForm(TeamMemberEditForm):
    """A staff account to add to the team, by email."""

    email = EmailField(_l("Email of the staff account"), filters=_strip, validators=[
        DataRequired(_l("Please give an email address.")),
        Length(max=254, message=_l("At most %(max)d characters.")),
        Email(_l("Enter a valid email address."))])
