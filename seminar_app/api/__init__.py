"""The JSON API under /api/v1 (blueprint ``api``) and the staff pages for its tokens
(blueprint ``api_tokens`` under /manage/api-tokens).

Modules: ``core`` (authentication, errors, input, pagination), ``events``, ``registrations``,
``invitations``, ``privacy``, ``delegations``, ``program`` (agenda and extra questions),
``event_actions`` (unpublishing, a new invitation link), ``dashboard`` (figures and bounces),
``surveys`` (the feedback survey's questions and results), ``travel`` (travel plans, hotels,
arrivals and departures)
(the endpoints), ``openapi`` (the OpenAPI document and the docs page), ``tokens_views`` (staff
pages).
"""

from flask import Flask

from ..extensions import csrf, limiter
from . import (  # noqa: F401 - routes
    accreditation,
    certificates,
    dashboard,
    delegations,
    event_actions,
    events,
    invitations,
    openapi,
    privacy,
    program,
    registrations,
    surveys,
    travel,
)
from .core import bp, rate_limit_key, rate_limit_value
from .tokens_views import bp as tokens_bp

# Only bearer tokens authenticate on /api/v1, never cookies: no CSRF token is needed there.
csrf.exempt(bp)
# API_RATE_LIMIT (default "300 per minute"), counted per token.
limiter.limit(rate_limit_value, key_func=rate_limit_key)(bp)


def register_api(app: Flask) -> None:
    """Mount the API and the staff pages for its tokens."""
    app.register_blueprint(bp)
    app.register_blueprint(tokens_bp)
