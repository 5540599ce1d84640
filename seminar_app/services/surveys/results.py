"""The results of an event's survey: response rate, rating and choice counts, free text.

Rules:
- The response rate is the number of delegates who answered over the number of people the
  survey's mailings reached (distinct addresses with a sent email); without a sent survey
  mailing there is no rate.
- Free-text answers of an anonymous survey are listed in the random order of their
  submissions' keys, with no name; those of a named survey carry the delegate's name.
- Everything is read in a constant number of queries, whatever the number of answers.
"""

from dataclasses import dataclass, field

from sqlalchemy import func, select

from ...extensions import db
from ...models import (
    Event,
    Mailing,
    MailingKind,
    OutboxEmail,
    OutboxStatus,
    Registration,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveySubmission,
)
from .answering import RATINGS
from .surveys import find_survey, question_choices, question_label, respondent_count


@dataclass
class QuestionResult:
    """The answers to one question, counted."""

    question: SurveyQuestion
    kind: str
    label: str
    #: how many answered it
    answered: int = 0
    #: rating questions: how many gave 1, 2, 3, 4, 5
    ratings: list[int] = field(default_factory=lambda: [0] * len(RATINGS))
    #: choice questions: (option, how many)
    choices: list[tuple[str, int]] = field(default_factory=list)
    #: text questions: (delegate's name or "", text)
    texts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def average(self) -> float | None:
        total = sum(self.ratings)
        if not total:
            return None
        return sum(value * count for value, count in zip(RATINGS, self.ratings,
                                                         strict=True)) / total


@dataclass
class SurveyResults:
    """The results of one survey."""

    survey: Survey
    respondents: int
    #: how many people a survey mailing reached (None before any was sent)
    asked: int | None
    questions: list[QuestionResult]

    @property
    def rate(self) -> float | None:
        """The response rate in percent, or None without a sent survey mailing."""
        if not self.asked:
            return None
        return round(100 * self.respondents / self.asked, 1)


def asked_count(event: Event) -> int:
    """How many distinct addresses the event's survey mailings reached."""
    return db.session.scalar(
        select(func.count(func.distinct(OutboxEmail.recipient)))
        .join(Mailing, OutboxEmail.mailing_id == Mailing.id)
        .where(Mailing.event_id == event.id, Mailing.kind == MailingKind.SURVEY,
               OutboxEmail.status == OutboxStatus.SENT)) or 0


def survey_results(event: Event, language: str) -> SurveyResults | None:
    """The results of the event's survey with the wording in ``language``; None without one."""
    survey = find_survey(event)
    if survey is None:
        return None
    results = {question.id: QuestionResult(
        question=question, kind=question.kind, label=question_label(question, language))
        for question in survey.questions}
    for question in survey.questions:
        if question.kind == "choice":
            results[question.id].choices = [(option, 0) for option in
                                            question_choices(question, language)]
    _count(survey, results)
    _texts(survey, results)
    asked = asked_count(event)
    return SurveyResults(survey=survey, respondents=respondent_count(survey),
                         asked=asked or None, questions=list(results.values()))


def _count(survey: Survey, results: dict[int, QuestionResult]) -> None:
    rows = db.session.execute(
        select(SurveyAnswer.question_id, SurveyAnswer.rating, SurveyAnswer.choice, func.count())
        .join(SurveySubmission, SurveyAnswer.submission_id == SurveySubmission.id)
        .where(SurveySubmission.survey_id == survey.id)
        .group_by(SurveyAnswer.question_id, SurveyAnswer.rating, SurveyAnswer.choice))
    for question_id, rating, choice, count in rows:
        result = results.get(question_id)
        if result is None:
            continue
        result.answered += count
        if result.kind == "rating" and rating in RATINGS:
            result.ratings[rating - 1] += count
        elif result.kind == "choice" and choice is not None and choice < len(result.choices):
            option, before = result.choices[choice]
            result.choices[choice] = (option, before + count)


def _texts(survey: Survey, results: dict[int, QuestionResult]) -> None:
    name = func.coalesce(Registration.given_name + " " + Registration.family_name, "")
    rows = db.session.execute(
        select(SurveyAnswer.question_id, SurveyAnswer.text, name)
        .join(SurveySubmission, SurveyAnswer.submission_id == SurveySubmission.id)
        .outerjoin(Registration, SurveySubmission.registration_id == Registration.id)
        .where(SurveySubmission.survey_id == survey.id, SurveyAnswer.text != "")
        .order_by(SurveyAnswer.question_id, SurveySubmission.id))
    for question_id, text, who in rows:
        result = results.get(question_id)
        if result is not None and result.kind == "text":
            result.texts.append(("" if survey.anonymous else who, text))
