"""How a served process logs: to stderr, one line per event, as JSON (for a log collector) or text
(LOG_FORMAT; docs/operations.md). `serve` hands uvicorn `log_config(...)`, which uvicorn applies in
each worker process it starts.

Uvicorn's own access log is off (`serve` passes access_log=False): it writes the concrete path with
its query string, and some paths carry a credential (/password/{key}, /calendar/{key}.ics). The
request log (app.request_log) writes the route's template instead."""

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

# Attributes every LogRecord has; anything else on a record came from `extra=` and is a field.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName",
                                                                                  "color_message"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", ...the record's extra fields, "exception"?} on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update((key, value) for key, value in record.__dict__.items()
                     if key not in _STANDARD and not key.startswith("_"))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def log_config(fmt: Literal["json", "text"], level: str = "INFO") -> dict[str, Any]:
    """A logging.config.dictConfig: every logger (uvicorn's too) to stderr in the one format."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "app.logging_setup.JsonFormatter"},
            "text": {"format": TEXT_FORMAT},
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": fmt, "stream": "ext://sys.stderr"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }
