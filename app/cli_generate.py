"""`python -m app generate`: a fictional register of real size for benchmarks and load tests
(app/services/generate.py), registered on the command line of app.cli."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.cli import cli, err, explain, fail, out
from app.config import get_settings
from app.db import session_scope
from app.errors import AppError


class Scale(StrEnum):
    national = "national"
    partnership = "partnership"
    small = "small"


@cli.command()
def generate(
    scale: Annotated[Scale, typer.Option(help="national: 42,000 schools in one partnership and 150 LA-sized "
                                              "ones; partnership: a 2,500-school region and a few small "
                                              "ones; small: two partnerships of about 100 schools")],
    seed: Annotated[int, typer.Option(help="the same seed gives the same schools")] = 20261124,
    force: Annotated[bool, typer.Option("--force", help="add to a database that has data, replacing what an "
                                                        "earlier generate made")] = False,
    tokens_file: Annotated[Path | None, typer.Option(help="where to write the partnerships' slugs and API "
                                                          "tokens (default: bench-tokens.json beside a SQLite "
                                                          "database, else data/bench-tokens-<database>.json)")] = None,
) -> None:
    """Generate a fictional register of real size for benchmarks and load tests, with an API token per partnership."""
    import json
    import os
    import time

    from sqlalchemy import inspect

    from app.db import get_engine
    from app.services import generate as generator

    settings = get_settings()
    if not inspect(get_engine()).has_table("school"):
        raise fail("the database has no schema yet; run `python -m app migrate` first")
    tokens_file = tokens_file or generator.default_tokens_file(settings.database_url)
    started = time.perf_counter()
    progress = Progress(TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True)

    def report(label: str, done: int, total: int | None) -> None:
        progress.update(task, description=label, completed=done, total=total)

    try:
        with progress, session_scope() as session:
            task = progress.add_task("starting", total=None)
            result = generator.generate(session, scale.value, seed=seed, force=force, progress=report)
    except (generator.DatabaseNotEmpty, generator.ExtractUnavailable) as exc:
        raise fail(str(exc)) from None
    except AppError as exc:
        raise explain(exc) from None
    seconds = time.perf_counter() - started
    tokens_file.parent.mkdir(parents=True, exist_ok=True)
    tokens_file.unlink(missing_ok=True)
    # The plain tokens: readable by this user only, from the moment the file exists.
    with os.fdopen(os.open(tokens_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as f:
        f.write(json.dumps(result.as_json() | {"seconds": round(seconds, 1)}, indent=2, ensure_ascii=False) + "\n")
    kinds: dict[str, list] = {}
    for p in result.partnerships:
        kinds.setdefault(p.kind, []).append(p)
    for kind, members in kinds.items():
        schools = sum(p.schools for p in members)
        named = members[0].slug if len(members) == 1 else f"{len(members)} partnerships"
        out.print(f"{kind}: {named}: {schools} schools, {sum(p.inspections for p in members)} inspections, "
                  f"{sum(p.indicators for p in members)} indicators, {sum(p.collaboratives for p in members)} "
                  f"collaboratives, {sum(p.triads for p in members)} triads, {sum(p.visits for p in members)} "
                  f"visit records with {sum(p.visit_actions for p in members)} actions, "
                  f"{sum(p.plans for p in members)} action plans with {sum(p.milestones for p in members)} "
                  f"milestones, {sum(p.deployments for p in members)} support deployments")
    out.print(f"generated the {scale.value} register in {seconds:.1f} s")
    out.print(f"slugs and API tokens (read, write): {tokens_file}")
