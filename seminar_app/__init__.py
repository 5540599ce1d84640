"""seminar_app: event and seminar management for ministries, universities and partners."""

import logging
from pathlib import Path

from flask import Flask

from config import INSTANCE_DIR, Config, config_from_env

from .extensions import babel, csrf, db, limiter, login_manager, mail, migrate

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def create_app(config_class: type[Config] | None = None, **overrides) -> Flask:
    """Build the application: configuration, extensions, blueprints, errors, CLI."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    app.config.from_object(config_class or config_from_env())
    app.config.from_prefixed_env()
    app.config.update(overrides)
    _check_production_settings(app)
    from .crypto import init_data_keys

    init_data_keys(app)  # DATA_KEYS well formed (or derived from SECRET_KEY, with a warning)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from .web import register_converters, register_web_hooks

    register_converters(app)
    register_extensions(app)
    register_blueprints(app)
    from .errors import register_error_handlers

    register_error_handlers(app)
    register_web_hooks(app)
    from .cli import register_cli

    register_cli(app)
    return app


def _check_production_settings(app: Flask) -> None:
    if app.config.get("ENV_NAME") != "production":
        return
    key = app.config.get("SECRET_KEY") or ""
    if len(key) < 32 or key.startswith("dev-"):
        raise RuntimeError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production "
            '(python -c "import secrets; print(secrets.token_hex(32))").'
        )
    if len(set(key)) < 10:
        raise RuntimeError(
            f"SECRET_KEY does not look random: it has only {len(set(key))} different "
            "characters (at least 10 needed). Generate one with "
            '(python -c "import secrets; print(secrets.token_hex(32))").'
        )
    if not (app.config.get("DATA_KEYS") or "").strip():
        raise RuntimeError(
            "DATA_KEYS must be set in production: the keys that encrypt personal data, kept "
            "outside the database, e.g. DATA_KEYS=k1:<32 random bytes in URL-safe base64> "
            '(python -c "import base64, os; print(\'k1:\' + '
            'base64.urlsafe_b64encode(os.urandom(32)).decode())").'
        )
    if not (app.config.get("BASE_URL") or "").strip().startswith(("https://", "http://")):
        raise RuntimeError(
            "BASE_URL must be set in production: the public address delegates open, which "
            "emailed links start with, e.g. BASE_URL=https://events.example.org"
        )


def register_extensions(app: Flask) -> None:
    """Bind every extension to ``app``."""
    from . import models  # noqa: F401  (registers the tables)
    from .database import init_database
    from .i18n import select_locale
    from .services.jobs import init_queue

    db.init_app(app)
    init_database(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    mail.init_app(app)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(ROOT / "translations"),
    )
    limiter.init_app(app)
    login_manager.init_app(app)
    init_queue(app)


def register_blueprints(app: Flask) -> None:
    """Mount the public and the staff blueprints."""
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .checkin import bp as checkin_bp
    from .events import manage_bp, public_bp
    from .main import bp as main_bp
    from .outbox import bp as outbox_bp
    from .participants import bp as participants_bp

    for blueprint in (main_bp, auth_bp, public_bp, manage_bp, admin_bp, outbox_bp, checkin_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(participants_bp)
    from .registration import bp as registration_bp
    app.register_blueprint(registration_bp)
    from .documents import bp as documents_bp
    app.register_blueprint(documents_bp)
    from .invitations import bp as invitations_bp
    from .invitations import public_bp as rsvp_bp
    app.register_blueprint(invitations_bp)
    app.register_blueprint(rsvp_bp)
    from .surveys import bp as surveys_bp
    from .surveys import public_bp as surveys_public_bp
    app.register_blueprint(surveys_bp)
    app.register_blueprint(surveys_public_bp)
    from .api import register_api
    register_api(app)
    from .dashboard import bp as dashboard_bp
    app.register_blueprint(dashboard_bp)
