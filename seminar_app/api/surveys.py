"""An event's feedback survey for staff: its questions (both languages) and its results
(response rate, counts per mark and option, averages, free-text answers), read-only.

Both need a token reaching the event (Permission.VIEW); an event without a survey answers 404.
Free-text answers carry the delegate's name only when the survey is not anonymous.
"""

from flask_babel import gettext as _

from ..database import MAX_ID
from ..models import SURVEY_QUESTION_KINDS, SURVEY_STATES, Survey, SurveyQuestion
from ..services.access import Permission
from ..services.events.content_language import CONTENT_LANGUAGES
from ..services.surveys import surveys as survey_service
from ..services.surveys.results import survey_results
from . import core
from .core import ApiError, bp, iso


def _survey(event_id: int) -> Survey:
    event, _permissions = core.load_event(event_id, Permission.VIEW)
    survey = survey_service.find_survey(event)
    if survey is None:
        raise ApiError(404, _("This event has no feedback survey."))
    return survey


def question_json(question: SurveyQuestion) -> dict:
    texts = question.translations or {}
    return {
        "id": question.id,
        "position": question.position,
        "kind": question.kind,
        "required": question.required,
        "labels": {code: (texts.get(code) or {}).get("label", "") for code in CONTENT_LANGUAGES},
        "choices_by_language": {code: list((texts.get(code) or {}).get("choices") or [])
                                for code in CONTENT_LANGUAGES},
    }


def survey_json(survey: Survey) -> dict:
    return {
        "event_id": survey.event_id,
        "state": survey.state,
        "anonymous": survey.anonymous,
        "opened_at": iso(survey.opened_at),
        "closed_at": iso(survey.closed_at),
        "respondents": survey_service.respondent_count(survey),
        "questions": [question_json(question) for question in survey.questions],
    }


@bp.get("/events/<int:event_id>/survey")
def get_survey(event_id: int):
    """The event's feedback survey: state, anonymity and questions in both languages."""
    return core.data_response(survey_json(_survey(event_id)))


def _result_json(item, anonymous: bool) -> dict:
    return {
        "question_id": item.question.id,
        "kind": item.kind,
        "answered": item.answered,
        "average": round(item.average, 4) if item.average is not None else None,
        "ratings": ([{"rating": mark, "count": count}
                     for mark, count in enumerate(item.ratings, start=1)]
                    if item.kind == "rating" else []),
        "choices": [{"option": index, "count": count}
                    for index, (_label, count) in enumerate(item.choices)],
        "texts": [{"text": text, "name": None if anonymous else (who or None)}
                  for who, text in item.texts],
    }


@bp.get("/events/<int:event_id>/survey/results")
def get_survey_results(event_id: int):
    """The survey's results: response rate, counts and averages, free-text answers."""
    event, _permissions = core.load_event(event_id, Permission.VIEW)
    results = survey_results(event, "en")
    if results is None:
        raise ApiError(404, _("This event has no feedback survey."))
    survey = results.survey
    return core.data_response({
        "event_id": event.id,
        "anonymous": survey.anonymous,
        "respondents": results.respondents,
        "asked": results.asked,
        "response_rate": (round(results.respondents / results.asked, 4) if results.asked
                          else None),
        "questions": [_result_json(item, survey.anonymous) for item in results.questions],
    })


# --- OpenAPI ---------------------------------------------------------------------------------

_EVENT_ID = {"name": "event_id", "in": "path", "required": True, "description": "The event's id",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
_READ_ERRORS = (400, 401, 403, 404, 429)


def _s(kind="string", **extra) -> dict:
    return {"type": kind, **extra}


def _null(kind="string", **extra) -> dict:
    return {"type": [kind, "null"], **extra}


def _object(properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties)}


def _texts(item: dict) -> dict:
    return _object({code: item for code in CONTENT_LANGUAGES})


def openapi_schemas() -> dict:
    """The components/schemas of these operations."""
    count = _s("integer", minimum=0)
    question = _object({
        "id": _s("integer"), "position": _s("integer"),
        "kind": _s(enum=list(SURVEY_QUESTION_KINDS)), "required": _s("boolean"),
        "labels": _texts(_s()),
        "choices_by_language": _texts({"type": "array", "items": _s()}),
    })
    result = _object({
        "question_id": _s("integer"), "kind": _s(enum=list(SURVEY_QUESTION_KINDS)),
        "answered": count, "average": _null("number"),
        "ratings": {"type": "array", "items": _object({
            "rating": _s("integer", minimum=1, maximum=5), "count": count})},
        "choices": {"type": "array", "items": _object({
            "option": _s("integer", minimum=0, description="The option's position"),
            "count": count})},
        "texts": {"type": "array", "items": _object({
            "text": _s(), "name": _null(description="None for an anonymous survey")})},
    })
    return {
        "Survey": _object({
            "event_id": _s("integer"), "state": _s(enum=list(SURVEY_STATES)),
            "anonymous": _s("boolean"), "opened_at": _null(format="date-time"),
            "closed_at": _null(format="date-time"), "respondents": count,
            "questions": {"type": "array", "items": question},
        }),
        "SurveyResults": _object({
            "event_id": _s("integer"), "anonymous": _s("boolean"), "respondents": count,
            "asked": _null("integer", description="Distinct addresses a survey email reached; "
                                                  "null before any was sent"),
            "response_rate": _null("number", description="respondents / asked (0 to 1)"),
            "questions": {"type": "array", "items": result},
        }),
    }


def _data(schema_name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _object(
        {"data": {"$ref": f"#/components/schemas/{schema_name}"}})}}}


def _errors(*codes) -> dict:
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in codes}


def openapi_paths() -> dict:
    """The paths of these operations."""
    return {
        "/events/{event_id}/survey": {
            "parameters": [_EVENT_ID],
            "get": {
                "operationId": "getSurvey", "tags": ["surveys"],
                "summary": "The event's feedback survey: state (draft, open, closed), whether "
                           "it is anonymous, how many answered, its questions in order in both "
                           "languages (404 when the event has none)",
                "responses": {"200": _data("Survey", "The survey"),
                              **_errors(*_READ_ERRORS)},
            },
        },
        "/events/{event_id}/survey/results": {
            "parameters": [_EVENT_ID],
            "get": {
                "operationId": "getSurveyResults", "tags": ["surveys"],
                "summary": "The survey's results: response rate, per question the number of "
                           "answers, the count of each rating (1-5) or option (by position) "
                           "and the average rating, and the free-text answers (with the "
                           "delegate's name unless the survey is anonymous)",
                "responses": {"200": _data("SurveyResults", "The results"),
                              **_errors(*_READ_ERRORS)},
            },
        },
    }
