"""Configuration classes, read from the environment when the app is created.

Every setting can also be given as ``FLASK_<KEY>`` (``app.config.from_prefixed_env``).
"""

import os
from email.utils import formataddr
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))

_TRUE = {"1", "true", "yes", "on"}


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean from the environment ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in _TRUE


def env_int(name: str, default: int) -> int:
    """Read an integer from the environment, falling back to ``default``."""
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common short forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Settings shared by every environment; values come from the environment."""

    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-insecure-change-me")
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'seminar_app.sqlite3'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = env_int("SQLITE_BUSY_TIMEOUT_MS", 30000)

    #: the installation's name in the page header, emails and letters, and the sender's name
    #: (the default is translated); ORGANISATION_NAME: who runs it, e.g. a ministry ("": none)
    SITE_NAME = os.environ.get("SITE_NAME", "Seminar registration")
    ORGANISATION_NAME = os.environ.get("ORGANISATION_NAME", "")

    # Mail: with no MAIL_SERVER, emails stay in the outbox marked as not delivered.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER") or formataddr(
        (SITE_NAME, "seminar-app@localhost"))
    MAIL_DOMAIN = os.environ.get("MAIL_DOMAIN", "seminar-app.localhost")
    MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 30)
    MAIL_BATCH_SIZE = env_int("MAIL_BATCH_SIZE", 100)
    MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 8)
    # Retries: wait BASE * 2**(attempt-1) seconds, at most MAX; rows "sending" for longer than
    # STUCK_AFTER go back to the queue (crashed worker); queued rows not handed to a worker
    # for REQUEUE_AFTER seconds are handed over again by the sweeper.
    MAIL_RETRY_BASE_SECONDS = env_int("MAIL_RETRY_BASE_SECONDS", 60)
    MAIL_RETRY_MAX_SECONDS = env_int("MAIL_RETRY_MAX_SECONDS", 3600)
    MAIL_STUCK_AFTER_SECONDS = env_int("MAIL_STUCK_AFTER_SECONDS", 600)
    MAIL_REQUEUE_AFTER_SECONDS = env_int("MAIL_REQUEUE_AFTER_SECONDS", 300)
    MAIL_SUPPRESS_SEND = False

    # Background queue: SqliteHuey in instance/ unless TASK_QUEUE_URL names Redis or PostgreSQL.
    TASK_QUEUE_URL = os.environ.get("TASK_QUEUE_URL", "")
    TASK_QUEUE_PATH = str(INSTANCE_DIR / "tasks.sqlite3")
    TASK_QUEUE_IMMEDIATE = False
    WORKER_THREADS = env_int("WORKER_THREADS", 2)
    # Documents (badges, report, exports) of this many delegates or more are built by the
    # worker as a job, kept for download DOCUMENT_JOB_HOURS; smaller ones stay instant.
    DOCUMENT_JOB_THRESHOLD = env_int("DOCUMENT_JOB_THRESHOLD", 300)
    DOCUMENT_JOB_HOURS = env_int("DOCUMENT_JOB_HOURS", 24)

    #: the public address emailed links start with. Unset (development): the address of the
    #: request that causes the email, else the one `flask serve` listens on (SERVED_URL, which
    #: `flask serve` sets for its worker too). Production refuses to start without it.
    BASE_URL = os.environ.get("BASE_URL", "").strip()
    SERVED_URL = os.environ.get("SEMINAR_SERVED_URL", "").strip()

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "id")

    WTF_CSRF_TIME_LIMIT = 8 * 3600
    WTF_I18N_ENABLED = False  # our forms translate WTForms messages with our own catalog

    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    REGISTRATION_RATE_LIMIT = os.environ.get(
        "REGISTRATION_RATE_LIMIT", "30 per minute;300 per hour"
    )
    MANAGE_LINK_RATE_LIMIT = os.environ.get("MANAGE_LINK_RATE_LIMIT", "60 per minute")
    #: delegates' personal links stop working this many days after their event ends
    PERSONAL_LINK_DAYS_AFTER_EVENT = env_int("PERSONAL_LINK_DAYS_AFTER_EVENT", 30)
    RESEND_LINK_RATE_LIMIT = os.environ.get("RESEND_LINK_RATE_LIMIT", "5 per minute")
    #: codes entered after the password, per address and per account (see
    # services.accounts.two_factor)
    TWO_FACTOR_RATE_LIMIT = os.environ.get("TWO_FACTOR_RATE_LIMIT", "5 per minute;30 per hour")
    PASSWORD_RESET_RATE_LIMIT = os.environ.get(
        "PASSWORD_RESET_RATE_LIMIT", "5 per minute;20 per hour"
    )

    #: administrators, organizers and managers must use two-factor sign-in (on in production)
    REQUIRE_TWO_FACTOR = env_bool("REQUIRE_TWO_FACTOR", False)
    #: a staff session ends after this many minutes without a request
    STAFF_IDLE_MINUTES = env_int("STAFF_IDLE_MINUTES", 60)

    #: anonymous registration-form pages kept rendered this long per worker (page_cache)
    FORM_PAGE_CACHE_SECONDS = env_int("FORM_PAGE_CACHE_SECONDS", 10)

    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 8 * 1024 * 1024)
    MAX_FORM_MEMORY_SIZE = env_int("MAX_FORM_MEMORY_SIZE", 2 * 1024 * 1024)
    UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 2 * 1024 * 1024)
    #: the largest nomination letter (PDF) a mission may upload (its page takes a body this
    #: large even above MAX_CONTENT_LENGTH); services.registration.nomination_letters
    NOMINATION_LETTER_MAX_BYTES = env_int("NOMINATION_LETTER_MAX_BYTES", 10 * 1024 * 1024)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PROXY_FIX = env_int("PROXY_FIX", 0)  # number of trusted proxies in front of the app

    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-password-2026")

    #: keys that encrypt personal data at rest, "<id>:<base64 key>,<id>:<base64 key>": the
    #: first encrypts, all decrypt (seminar_app.crypto; `flask data new-key` prints one).
    #: Empty: a key derived from SECRET_KEY (development and tests; production refuses)
    DATA_KEYS = os.environ.get("DATA_KEYS", "")


class DevelopmentConfig(Config):
    """Local development and ``make run``."""

    ENV_NAME = "development"


class TestingConfig(Config):
    """The test suite: an isolated database, immediate queue, rate limits in memory."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite:///:memory:")
    )
    TASK_QUEUE_IMMEDIATE = True
    #: the concurrency tests queue dozens of writers on one SQLite file on a busy CI machine
    SQLITE_BUSY_TIMEOUT_MS = 60000
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_SERVER = ""
    PASSWORD_HASH_FAST = True  # cheap argon2 parameters so the suite stays fast
    REQUIRE_TWO_FACTOR = False  # the tests that need it switch it on
    DATA_KEYS = ""  # derived from SECRET_KEY; the tests that need keys set them
    BASE_URL = "http://127.0.0.1:5000"  # fixed, so that tests can compare links


class ProductionConfig(Config):
    """Production: a real secret key is required, cookies only over HTTPS."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REQUIRE_TWO_FACTOR = env_bool("REQUIRE_TWO_FACTOR", True)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The config class named by APP_ENV (development by default)."""
    return CONFIGS[os.environ.get("APP_ENV", "development").strip().lower()]
