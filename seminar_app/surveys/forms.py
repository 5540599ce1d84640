"""Forms of the survey pages: a question, the survey's settings, and a delegate's answers."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from ..forms import BaseForm
from ..models import Survey, SurveyQuestion
from ..services.registration.questions import CHOICE_MAX, CHOICES_MAX, LABEL_MAX
from ..services.surveys.answering import TEXT_MAX
from ..services.surveys.surveys import question_choices, question_label

KIND_LABELS = {
    "rating": _l("Rating from 1 to 5"),
    "choice": _l("One choice from a list"),
    "text": _l("Free text"),
}
RATING_LABELS = {
    1: _l("1 – very poor"),
    2: _l("2 – poor"),
    3: _l("3 – fair"),
    4: _l("4 – good"),
    5: _l("5 – excellent"),
}
STATE_LABELS = {
    "draft": _l("Not open yet"),
    "open": _l("Open: taking answers"),
    "closed": _l("Closed"),
}


def _label(lang: str):
    return TextAreaField(_l("Question"), filters=[lambda v: v.strip() if v else v],
                         validators=[Length(max=LABEL_MAX,
                                            message=_l("At most %(max)d characters."))],
                         render_kw={"rows": 2, "lang": lang})


def _choices(lang: str, description):
    return TextAreaField(_l("Options"), description=description, render_kw={"rows": 4,
                                                                          "lang": lang},
                         validators=[Length(max=CHOICES_MAX * (CHOICE_MAX + 2),
                                            message=_l("At most %(max)d characters."))])


class SurveyQuestionForm(BaseForm):
    """A survey question in English (label_en, choices_en) and Indonesian (label_id,
    choices_id); options of the two languages match by position."""

    label_en = _label("en")
    label_id = _label("id")
    choices_en = _choices("en", _l("For a choice: one option per line, at least two."))
    choices_id = _choices("id", _l("The same options in the same order, one per line."))
    kind = RadioField(_l("Kind of answer"),
                      choices=[SelectChoice(kind, label) for kind, label in KIND_LABELS.items()],
                      default="rating",
                      validators=[InputRequired(_l("Please choose one of the options."))])
    required = BooleanField(_l("An answer is required"))

    def question_data(self) -> dict:
        return {"kind": self.kind.data, "required": bool(self.required.data), "texts": {
            code: {"label": self[f"label_{code}"].data or "",
                   "choices": self[f"choices_{code}"].data or ""} for code in ("en", "id")}}

    @staticmethod
    def initial_data(question: SurveyQuestion) -> dict:
        texts = question.translations or {}
        data = {"kind": question.kind, "required": question.required}
        for code in ("en", "id"):
            data[f"label_{code}"] = (texts.get(code) or {}).get("label", "")
            data[f"choices_{code}"] = "\n".join((texts.get(code) or {}).get("choices") or [])
        return data


class SurveySettingsForm(BaseForm):
    """Whether the survey's answers are anonymous."""

    anonymous = BooleanField(_l("Anonymous: answers are not linked to the delegate"))


class SurveyActionForm(BaseForm):
    """A button with only its CSRF token (open, close, delete, move)."""


def build_answer_form(survey: Survey, language: str, formdata=None) -> BaseForm:
    """The form of ``survey``'s questions in ``language``: a field ``q<id>`` per question."""

    class SurveyAnswerForm(BaseForm):
        pass

    for question in survey.questions:
        required = InputRequired(message=_l("Please answer this question.")) \
            if question.required else Optional()
        label = question_label(question, language)
        if question.kind == "rating":
            field = RadioField(label, validators=[required], validate_choice=False,
                               choices=[SelectChoice(str(value), text) for value, text
                                        in RATING_LABELS.items()])
        elif question.kind == "choice":
            field = RadioField(label, validators=[required], validate_choice=False,
                               choices=[SelectChoice(str(index), option) for index, option
                                        in enumerate(question_choices(question, language))])
        else:
            field = TextAreaField(label, render_kw={"rows": 4}, validators=[
                required, Length(max=TEXT_MAX, message=_l("Use at most %(max)d characters."))])
        setattr(SurveyAnswerForm, f"q{question.id}", field)
    return SurveyAnswerForm(formdata=formdata) if formdata is not None else SurveyAnswerForm()


def answers_of(form: BaseForm) -> dict:
    """{"q<id>": value} of an answer form."""
    return {name: field.data for name, field in form._fields.items() if name.startswith("q")}
