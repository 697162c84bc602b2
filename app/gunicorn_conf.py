"""gunicorn's settings, for running the service under gunicorn with the `uvicorn-worker` package
instead of `python -m app serve` (docs/operations.md):

    gunicorn -c python:app.gunicorn_conf --workers 4 --bind 0.0.0.0:8000 'app.main:create_app()'

What `serve` does for itself, done here for gunicorn: its workers speak ASGI (uvicorn's worker);
every log line, gunicorn's and uvicorn's too, goes to stderr in LOG_FORMAT; no access log (it would
write query strings; the request log says the same without them); and the workers' metrics meet
in PROMETHEUS_MULTIPROC_DIR, emptied (or made) before the first worker starts. Nothing here imports
prometheus_client: the workers must import it only once that variable is set."""

from app import metrics_dir
from app.config import get_settings
from app.logging_setup import log_config

worker_class = "uvicorn_worker.UvicornWorker"
errorlog = None  # gunicorn's own handler; its lines go through logconfig_dict instead
accesslog = None
logconfig_dict = log_config(get_settings().logs_as)
# The uvicorn worker gives uvicorn's loggers gunicorn.error's handlers.
logconfig_dict["loggers"] |= {
    "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
    "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
}

_metrics: tuple = (None, False)


def on_starting(server) -> None:  # noqa: ANN001
    global _metrics
    _metrics = metrics_dir.prepare(server.cfg.workers)


def on_exit(server) -> None:  # noqa: ANN001
    metrics_dir.release(*_metrics)
