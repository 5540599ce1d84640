"""Forms of the agenda editor: a session with its speakers."""

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, FieldList, FormField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, Optional

from ..forms import BaseForm
from ..services.events.agenda import MAX_SPEAKERS
from .forms import content_initial, content_texts

#: a session's texts written in each language
SESSION_TEXT_FIELDS = ("title", "description")

_TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


def _max(count: int) -> Length:
    return Length(max=count, message=_l("Please use at most %(max)d characters."))


def _bound(count: int) -> dict:
    return {"maxlength": count}


class SpeakerForm(BaseForm):
    """One speaker row; a row left empty is ignored."""

    class Meta:
        csrf = False

    name = StringField(_l("Name"), validators=[Optional(), _max(200)], render_kw=_bound(200))
    title = StringField(_l("Position or title"), validators=[Optional(), _max(200)],
                        render_kw=_bound(200))
    organisation = StringField(_l("Organisation"), validators=[Optional(), _max(200)],
                               render_kw=_bound(200))


class AgendaSessionForm(BaseForm):
    """A session of the programme, its local date and times in the event's zone."""

    day = DateField(
        _l("Date"),
        validators=[InputRequired(message=_l("Please give the date."))],
        invalid_value_message=_l("Please give a date such as 2026-03-17."),
    )
    start_time = TimeField(
        _l("Starts at"), format=_TIME_FORMATS,
        validators=[InputRequired(message=_l("Please give the start time."))],
        invalid_value_message=_l("Please give a time such as 09:30."),
    )
    end_time = TimeField(
        _l("Ends at"), format=_TIME_FORMATS,
        validators=[InputRequired(message=_l("Please give the end time."))],
        invalid_value_message=_l("Please give a time such as 10:45."),
    )
    # title and description in English (title, description) and Indonesian (*_id)
    title = StringField(
        _l("Title"), validators=[Optional(), _max(300)], render_kw={**_bound(300), "lang": "en"},
    )
    title_id = StringField(
        _l("Title"), validators=[Optional(), _max(300)], render_kw={**_bound(300), "lang": "id"},
    )
    room = StringField(_l("Room"), validators=[Optional(), _max(200)], render_kw=_bound(200))
    description = TextAreaField(
        _l("Description"), validators=[Optional(), _max(5000)],
        render_kw={"maxlength": 5000, "rows": 3, "lang": "en"},
        description=_l("Optional. Markdown: **bold**, *italic*, lists and links."),
    )
    description_id = TextAreaField(
        _l("Description"), validators=[Optional(), _max(5000)],
        render_kw={"maxlength": 5000, "rows": 3, "lang": "id"},
        description=_l("Optional. Markdown: **bold**, *italic*, lists and links."),
    )
    speakers = FieldList(FormField(SpeakerForm), min_entries=MAX_SPEAKERS,
                         max_entries=MAX_SPEAKERS)

    def validate(self, extra_validators=None):
        """Each field, then: a title in at least one language."""
        valid = super().validate(extra_validators)
        if not (self.title.data or "").strip() and not (self.title_id.data or "").strip():
            self.title.errors = [*self.title.errors, _l(
                "Please give the session a title (in English, Indonesian or both).")]
            valid = False
        return valid

    @staticmethod
    def initial_texts(session) -> dict:
        """The session's title and description in both languages, as the form shows them."""
        return content_initial(session, SESSION_TEXT_FIELDS)

    def limit_days(self, first: date, last: date) -> None:
        """Let the browser's date picker offer only the event's days."""
        self.day.render_kw = {"min": first.isoformat(), "max": last.isoformat()}

    def session_values(self) -> dict:
        """The keyword arguments for services.events.agenda.add_session / update_session."""
        return {
            "day": self.day.data,
            "start": self.start_time.data,
            "end": self.end_time.data,
            "title": self.title.data or "",
            "room": self.room.data or "",
            "description": self.description.data or "",
            "translations": content_texts(self, SESSION_TEXT_FIELDS),
            "speakers": [entry.form.data for entry in self.speakers],
        }
