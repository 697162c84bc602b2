"""The action plans' commands: a plan from or to its CSV file (docs/action-plans.md)."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from app.cli import _partnership, cli, err, explain, fail, out, refused_file, reported
from app.db import session_scope
from app.errors import AppError


@cli.command("import-plan")
def import_plan(
    file: Annotated[Path, typer.Argument(help="a plan's CSV file, one row per milestone (docs/action-plans.md)")],
    partnership: Annotated[str, typer.Option(help="partnership slug")],
    title: Annotated[str | None, typer.Option(help="the plan's title (instead of the file's plan_title)")] = None,
) -> None:
    """Import an action plan from a CSV file as a new plan; all or nothing."""
    from app.services import accounts, plan_csv

    if not file.is_file():
        raise fail(f"no such file: {file}")
    try:
        with session_scope() as session:
            result = plan_csv.import_file(session, file, by=accounts.operator(_partnership(session, partnership)),
                                          title=title)
    except plan_csv.PlanFileError as exc:
        raise refused_file(file, exc) from None
    except AppError as exc:
        raise explain(exc) from None
    out.print(f"imported plan {result.plan_id} ({result.title}): {result.priorities} priorities, {result.actions} "
              f"actions, {result.milestones} milestones, {result.measures} success measures", soft_wrap=True,
              markup=False)


@cli.command("export-plan")
def export_plan(
    plan_id: Annotated[int, typer.Argument(help="the plan's id")],
    partnership: Annotated[str, typer.Option(help="partnership slug")],
    output: Annotated[Path | None, typer.Option(help="write the CSV here (default: standard output)")] = None,
) -> None:
    """Write an action plan as CSV, in the format import-plan reads back."""
    from app.services import accounts, plan_csv

    with reported(), session_scope(write=False) as session:
        _, body = plan_csv.export(session, plan_id, by=accounts.operator(_partnership(session, partnership)))
    if output is None:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return
    output.write_bytes(body)
    err.print(f"wrote plan {plan_id} to {output}")
