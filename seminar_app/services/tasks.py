"""The background queue (Huey), built from the app's configuration.

SqliteHuey in instance/ by default; RedisHuey for redis:// URLs and PostgresHuey for
postgresql:// URLs in TASK_QUEUE_URL. In tests the queue runs tasks immediately.
"""

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey


def build_huey(config) -> Huey:
    """A Huey instance for the given configuration mapping."""
    url = config.get("TASK_QUEUE_URL") or ""
    immediate = bool(config.get("TASK_QUEUE_IMMEDIATE"))
    if url.startswith(("redis://", "rediss://", "unix://")):
        queue = RedisHuey("seminar_app", url=url, immediate=immediate)
    elif url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        from huey import PostgresHuey

        dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
        queue = PostgresHuey("seminar_app", dsn=dsn, immediate=immediate)
    else:
        queue = SqliteHuey("seminar_app", filename=config["TASK_QUEUE_PATH"], immediate=immediate)
    return queue


def init_queue(app: Flask) -> None:
    """Create the app's queue and register its tasks."""
    app.extensions["huey"] = build_huey(app.config)


def get_huey() -> Huey:
    """The current app's queue."""
    return current_app.extensions["huey"]
