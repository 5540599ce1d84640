"""The feedback survey's part of the post-event report (PDF and XLSX).

Per question: how many answered, the average of a rating, and a row per mark (1 to 5) or per
option with its count, share and, in the PDF, a bar; free-text answers listed in full (with
the delegate's name unless the survey is anonymous); the response rate on top. The report
module passes its own table and paragraph helpers so that the survey looks like the rest.
"""

from flask_babel import gettext as _
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.units import mm

from ..surveys.results import QuestionResult, SurveyResults
from .charts import format_number

BAR_FILL = colors.HexColor("#0b3d66")
BAR_WIDTH = 45 * mm


def summary_text(results: SurveyResults) -> str:
    """"12 delegates answered; response rate 40% (of 30 asked)." in the current language."""
    text = _("%(num)s delegate(s) answered.", num=format_number(results.respondents))
    if results.rate is not None:
        text += " " + _("Response rate: %(rate)s of %(asked)s delegates asked.",
                        rate=format_number(results.rate / 100, percent=True),
                        asked=format_number(results.asked))
    if results.survey.anonymous:
        text += " " + _("The survey is anonymous.")
    return text


def question_rows(item: QuestionResult) -> list[tuple[str, int, float]]:
    """(mark or option, count, share of those who answered) of a rating or choice question."""
    pairs = ([(str(mark), count) for mark, count in enumerate(item.ratings, start=1)]
             if item.kind == "rating" else list(item.choices))
    return [(label, count, count / item.answered if item.answered else 0.0)
            for label, count in pairs]


def question_heading(item: QuestionResult) -> str:
    """The question and how many answered it (with the average of a rating)."""
    text = _("%(question)s — %(num)s answer(s)", question=item.label,
             num=format_number(item.answered))
    if item.average is not None:
        text += " · " + _("Average: %(value)s of 5", value=format_number(round(item.average, 2)))
    return text


# --- XLSX ------------------------------------------------------------------------------------

def add_survey_sheets(workbook, formats, results: SurveyResults | None, *, table_sheet) -> None:
    """Two sheets: the counted answers (one row per mark or option) and the free text."""
    if results is None:
        return
    rows = []
    for item in results.questions:
        if item.kind == "text":
            continue
        for label, count, share in question_rows(item):
            rows.append([item.label, label, count, share,
                         round(item.average, 2) if item.average is not None else ""])
    sheet = table_sheet(workbook, formats, _("Survey"),
                        [_("Question"), _("Answer"), _("Answers"), _("Share"), _("Average")],
                        rows, percent_columns={3}, widths=[48, 30, 12, 12, 12])
    sheet.write_string(len(rows) + 2, 0, summary_text(results))
    texts = [[item.label, who, text] for item in results.questions if item.kind == "text"
             for who, text in item.texts]
    table_sheet(workbook, formats, _("Survey comments"), [_("Question"), _("Name"), _("Answer")],
                texts, widths=[40, 26, 90])


# --- PDF -------------------------------------------------------------------------------------

def _bar(share: float) -> Drawing:
    drawing = Drawing(BAR_WIDTH, 3 * mm)
    if share > 0:
        drawing.add(Rect(0, 0.5 * mm, max(0.5, BAR_WIDTH * share), 2 * mm, fillColor=BAR_FILL,
                         strokeColor=None))
    return drawing


def survey_story(results: SurveyResults | None, styles, width: float, *, table,
                 paragraph) -> list:
    """The flowables of the survey's part of the PDF report (none without a survey)."""
    if results is None:
        return []
    story = [paragraph(_("Feedback survey"), styles["h2"], bold=True),
             paragraph(summary_text(results), styles["muted"])]
    if not results.questions:
        story.append(paragraph(_("No questions yet."), styles["muted"]))
    widths = [width - BAR_WIDTH - 2 * 20 * mm - 4 * mm, 20 * mm, 20 * mm, BAR_WIDTH + 4 * mm]
    for item in results.questions:
        story.append(paragraph(question_heading(item), styles["h3"], bold=True))
        if item.kind == "text":
            for who, text in item.texts:
                story.append(paragraph(f"{text} — {who}" if who else text, styles["body"]))
            if not item.texts:
                story.append(paragraph(_("No data yet."), styles["muted"]))
            continue
        rows = question_rows(item)
        story.append(table([_("Answer"), _("Answers"), _("Share"), ""],
                           [[label, count, share, _bar(share)] for label, count, share in rows],
                           widths, styles, percent_columns={2}))
    return story
