"""The charts of a feedback survey's results (inline SVG, as the dashboard's other charts).

A rating question is a bar per mark from 1 to 5 in that order, a choice question a bar per
option in the order offered; free-text questions have no chart (their answers are listed).
"""

from flask_babel import gettext as _
from markupsafe import Markup

from ..surveys.results import QuestionResult, SurveyResults
from .charts import ranked_bar_chart_svg


def question_chart(result: QuestionResult) -> Markup | None:
    """The chart of one question's answers; None for a text question."""
    if result.kind == "rating":
        items = [(str(mark), count) for mark, count in enumerate(result.ratings, start=1)]
        return ranked_bar_chart_svg(items, title=result.label, label_header=_("Rating"),
                                    value_header=_("Answers"))
    if result.kind == "choice":
        return ranked_bar_chart_svg(result.choices, title=result.label,
                                    label_header=_("Option"), value_header=_("Answers"))
    return None


def survey_charts(results: SurveyResults | None) -> dict[int, Markup | None]:
    """{question id: chart} for every question of the survey."""
    if results is None:
        return {}
    return {item.question.id: question_chart(item) for item in results.questions}
