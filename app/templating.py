"""Jinja2 templates that can render a whole page or one named block (for HTMX)."""

from datetime import date, datetime

from jinja2_fragments.fastapi import Jinja2Blocks

from app.config import PROJECT_ROOT, get_settings

templates = Jinja2Blocks(directory=str(PROJECT_ROOT / "app" / "templates"))
# Templates are read once: checking every file's modification time on every render (Jinja's
# default) was a sixth of the schools page's time, a check per row. Restart to see a changed one.
templates.env.auto_reload = False


def _uk_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def _humanise(value: str | None) -> str:
    if not value:
        return ""
    return value.replace("_", " ").capitalize()


def _sentence(value: str | None) -> str:
    """The first letter a capital, the rest as written ("SEND", "URN 123456" stay as they are)."""
    return value[:1].upper() + value[1:] if value else ""


templates.env.filters["uk_date"] = _uk_date
templates.env.filters["sentence"] = _sentence
templates.env.filters["humanise"] = _humanise
templates.env.globals["settings"] = get_settings
