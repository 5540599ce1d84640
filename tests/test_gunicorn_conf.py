"""gunicorn.conf.py: the settings the README documents, read from the environment, and the
worker hook that freezes what a worker holds once its app is built."""

import gc
import importlib.util
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def _load(monkeypatch, **environ):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", CONF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_come_from_the_environment(monkeypatch):
    conf = _load(monkeypatch, WEB_CONCURRENCY="3", GUNICORN_THREADS="4", GUNICORN_TIMEOUT="45",
                 GUNICORN_MAX_REQUESTS="1000")
    assert (conf.workers, conf.threads, conf.worker_class) == (3, 4, "gthread")
    assert (conf.timeout, conf.max_requests, conf.max_requests_jitter) == (45, 1000, 100)
    assert conf.preload_app is False  # each worker builds its own pools and connections


def test_a_worker_freezes_its_start_up_objects(monkeypatch):
    """Full collections then walk only what requests make (bench/RESULTS.md, travel pages)."""
    conf = _load(monkeypatch)
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        conf.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
