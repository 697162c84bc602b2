"""The command line: python -m app <command>. Each command exits non-zero with a clear message on bad input."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from app.config import PROJECT_ROOT, get_settings
from app.db import all_tenants, session_scope
from app.errors import AppError, ValidationFailed

cli = typer.Typer(help="School partnerships: run the service and manage its data.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
err = Console(stderr=True)
out = Console(highlight=False)


def fail(message: str, code: int = 1) -> typer.Exit:
    # What the message quotes (a file name, a tool's own words) is text, never markup.
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def explain(exc: AppError) -> typer.Exit:
    if isinstance(exc, ValidationFailed) and exc.errors:
        for e in exc.errors:
            err.print(f"[bold red]error:[/] {escape(e.field)}: {escape(e.message)}")
        return typer.Exit(1)
    return fail(exc.detail)


def refused_file(file: Path, exc: Exception) -> typer.Exit:
    """A checked import file refused whole: its first problems by line on stderr, and how many more
    (`exc`: the import's file error, with problems, MAX_IN_DETAIL and lines); exit 1."""
    err.print(f"[bold red]error:[/] {file} was not imported; nothing was written. Fix these lines:", soft_wrap=True)
    for line, message in exc.problems[:exc.MAX_IN_DETAIL]:
        err.print(f"  line {line}: {message}", soft_wrap=True, markup=False)
    if len(exc.problems) > exc.MAX_IN_DETAIL:
        err.print(f"  ... and {len(exc.problems) - exc.MAX_IN_DETAIL} more problem(s); {exc.lines} line(s) "
                  "in all have one")
    return typer.Exit(1)


@contextmanager
def reported() -> Iterator[None]:
    """Turn the services' errors into a message on stderr and a non-zero exit."""
    try:
        yield
    except AppError as exc:
        raise explain(exc) from None


def _partnership(session, slug: str):  # noqa: ANN001, ANN202
    from app.services import partnerships

    with all_tenants(session):
        return partnerships.by_slug(session, slug)


@cli.command()
def migrate() -> None:
    """Bring the database schema up to date (alembic upgrade head)."""
    from alembic import command
    from alembic.config import Config

    settings = get_settings()
    if settings.is_sqlite:
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", settings.database_url)
    command.upgrade(config, "head")
    out.print("database is up to date")


@cli.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the web pages and the API."""
    import uvicorn

    settings = get_settings()  # refuse a default secret outside development before binding the port
    stylesheet = settings.static_dir / "dist" / "app.css"
    if not stylesheet.is_file():
        # Unstyled pages are not merely plain: they fail the accessibility checks the styles pass.
        raise fail(f"the stylesheet {stylesheet} has not been built; run `npm ci && npm run build:css` "
                   "(make run and the Docker image do it for you)")
    if settings.is_sqlite and workers > 1:
        out.print(f"[yellow]warning:[/] {workers} workers on SQLite: writers in different processes cannot "
                  "queue for their turn and may be answered 503 under load. One worker is the SQLite setup; "
                  "use PostgreSQL for several (README, 'How many workers').")
    from app import metrics_dir
    from app.logging_setup import log_config

    # Uvicorn's access log is off: the request log (app.request_log) says the same without query strings.
    with metrics_dir.for_workers(workers):
        uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers, proxy_headers=True,
                    loop="uvloop", http="httptools", log_config=log_config(settings.logs_as), access_log=False)


@cli.command("create-partnership")
def create_partnership(
    name: Annotated[str, typer.Option(help="e.g. 'Peterborough Schools Partnership'")],
    slug: Annotated[str, typer.Option(help="short id, e.g. 'peterborough'")],
    la_code: Annotated[str | None, typer.Option("--la-code", help="3-digit LA code")] = None,
    categories: Annotated[str, typer.Option(help="the LA category scheme, most support first")] = "red,amber,green",
) -> None:
    """Create a partnership (a tenant)."""
    from app.services import partnerships

    with reported(), session_scope() as session:
        p = partnerships.create(session, name=name, slug=slug, la_code=la_code,
                                category_scheme=categories.split(","))
        out.print(f"created partnership {p.slug} ({p.name}); academic year {p.current_academic_year}")


@cli.command("create-user")
def create_user(
    email: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    partnership: Annotated[str, typer.Option(help="partnership slug")],
    role: Annotated[str, typer.Option(help="officer, viewer, clinic_chair, clinic_member, lead_headteacher or "
                                           "headteacher")],
    password_file: Annotated[Path | None, typer.Option(help="read the password from this file")] = None,
    collaborative: Annotated[int | None, typer.Option(help="the collaborative a lead_headteacher leads (id)")] = None,
    school: Annotated[str | None, typer.Option(help="the school a headteacher heads (its URN)")] = None,
) -> None:
    """Create an account with a role in a partnership (or add the role to an existing account)."""
    from app.models.account import SCOPED_ROLES
    from app.services import accounts

    needs = SCOPED_ROLES.get(role)
    given = {"collaborative": collaborative is not None, "school": school is not None}
    if needs is not None and not given[needs]:
        raise fail(f"a {role} needs --{needs}: the {needs} the role is over")
    if any(given.values()) and (needs is None or sum(given.values()) > 1 or not given[needs]):
        extra = next(k for k, v in given.items() if v and k != needs)
        raise fail(f"--{extra} belongs to the {'lead_headteacher' if extra == 'collaborative' else 'headteacher'} "
                   f"role, not {role}")
    with reported(), session_scope() as session:
        p = _partnership(session, partnership)
        scope_id = _scope_id(session, p, collaborative=collaborative, school=school)
        user = accounts.find_user(session, email)
        if user is None:
            if password_file is not None:
                if not password_file.is_file():
                    raise fail(f"no such password file: {password_file}")
                password = password_file.read_text().rstrip("\n")
            elif sys.stdin.isatty():
                password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
            else:
                raise fail("give --password-file, or run in a terminal to be asked for the password")
            user = accounts.create_user(session, email=email, name=name, password=password)
            out.print(f"created {user.email}")
        else:
            out.print(f"{user.email} already has an account; adding the role")
        if needs is None:
            accounts.grant(session, user, p, role)
            out.print(f"{user.email} is {role} of {p.slug}")
        else:
            accounts.grant(session, user, p, role, scope_kind=needs, scope_id=scope_id)
            over = f"collaborative {collaborative}" if needs == "collaborative" else f"school {school}"
            out.print(f"{user.email} is {role} of {over} in {p.slug}")


def _scope_id(session, partnership, *, collaborative: int | None, school: str | None) -> int | None:  # noqa: ANN001
    """The id of the collaborative or school named, in this partnership; exits 1 if it is not there."""
    from sqlalchemy import select

    from app.models.collaborative import Collaborative
    from app.models.school import School

    with all_tenants(session):
        if collaborative is not None:
            found = session.scalar(select(Collaborative.id).where(
                Collaborative.id == collaborative, Collaborative.partnership_id == partnership.id))
            if found is None:
                raise fail(f"no collaborative {collaborative} in {partnership.slug}")
            return found
        if school is not None:
            found = session.scalar(select(School.id).where(School.urn == school,
                                                           School.partnership_id == partnership.id))
            if found is None:
                raise fail(f"no school with URN {school} in {partnership.slug}")
            return found
    return None


@cli.command("create-token")
def create_token(
    partnership: Annotated[str, typer.Option(help="partnership slug")],
    name: Annotated[str, typer.Option(help="what integration uses it")],
    scopes: Annotated[str, typer.Option(help="read, or read,write")] = "read",
) -> None:
    """Issue an API token. It is printed once, alone on the last line, and stored only as a hash."""
    from app.services import accounts, tokens

    with reported(), session_scope() as session:
        p = _partnership(session, partnership)
        token, plain = tokens.create(session, name=name, scopes=scopes, by=accounts.operator(p))
        out.print(f"token {token.prefix} for {p.slug} ({token.scopes}); copy it now, it is not shown again:")
    print(plain)


@cli.command("list-tokens")
def list_tokens(partnership: Annotated[str, typer.Option(help="partnership slug")]) -> None:
    """List a partnership's tokens (prefix, name, scopes, last used, revoked)."""
    from app.services import accounts, tokens

    with reported(), session_scope(write=False) as session:
        p = _partnership(session, partnership)
        for t in tokens.list_all(session, by=accounts.operator(p)):
            used = t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "never"
            state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
            out.print(f"{t.prefix}\t{t.name}\t{t.scopes}\tlast used {used}\t{state}")


@cli.command("revoke-token")
def revoke_token(
    partnership: Annotated[str, typer.Option(help="partnership slug")],
    prefix: Annotated[str, typer.Option(help="the token's visible prefix, e.g. sp_1a2b3c4d")],
) -> None:
    """Revoke a token; it stops working at once."""
    from app.services import accounts, tokens

    with reported(), session_scope() as session:
        p = _partnership(session, partnership)
        token = tokens.revoke(session, prefix, by=accounts.operator(p))
        out.print(f"revoked {token.prefix} ({token.name})")


@cli.command("import-gias")
def import_gias(
    file: Annotated[Path, typer.Argument(help="a GIAS establishment extract (edubasealldata*.csv)")],
    partnership: Annotated[str, typer.Option(help="partnership slug")],
    la: Annotated[str | None, typer.Option("--la", help="only this LA code")] = None,
) -> None:
    """Load or refresh the partnership's schools from a GIAS extract; all or nothing."""
    from app.services import accounts
    from app.services.imports import gias

    if not file.is_file():
        raise fail(f"no such file: {file}")
    progress = Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=err, transient=True)
    try:
        with progress, session_scope() as session:
            task = progress.add_task("rows", total=None)
            p = _partnership(session, partnership)
            summary = gias.import_file(session, file, by=accounts.operator(p), la_code=la,
                                       progress=lambda done, total: progress.update(task, completed=done, total=total))
    except gias.GiasFileError as exc:
        err.print(f"[bold red]error:[/] {file} was not imported; nothing was written. Fix these lines:")
        for line, message in exc.problems:
            err.print(f"  line {line}: {message}")
        raise typer.Exit(1) from None
    except AppError as exc:
        raise explain(exc) from None
    out.print(f"created {summary.created}, updated {summary.updated}, unchanged {summary.unchanged}, "
              f"skipped {summary.skipped}; inspections added {summary.inspections_added}")
    for line, reason in summary.skipped_reasons[:20]:
        out.print(f"  skipped line {line}: {reason}")
    if len(summary.skipped_reasons) > 20:
        out.print(f"  ... and {len(summary.skipped_reasons) - 20} more skipped for a reason")
    if summary.warnings:
        out.print("warnings (values this service does not know; the rows were imported without them):")
        for line in summary.warning_lines():
            out.print(f"  {line}", soft_wrap=True)


@cli.command("import-indicators")
def import_indicators(
    file: Annotated[Path, typer.Argument(help="a CSV of figures (docs/indicators.md)")],
    partnership: Annotated[str, typer.Option(help="partnership slug")],
) -> None:
    """Load schools' figures and national figures from a CSV file; all or nothing."""
    from app.services import accounts
    from app.services.imports import indicators_csv

    if not file.is_file():
        raise fail(f"no such file: {file}")
    try:
        with session_scope() as session:
            result = indicators_csv.import_file(session, file, by=accounts.operator(_partnership(session, partnership)))
    except indicators_csv.IndicatorFileError as exc:
        raise refused_file(file, exc) from None
    except AppError as exc:
        raise explain(exc) from None
    school, national = result.counts.indicators, result.counts.national_figures
    out.print(f"{result.rows} rows: schools' figures created {school.created}, updated {school.updated}, "
              f"unchanged {school.unchanged}; national figures created {national.created}, updated "
              f"{national.updated}, unchanged {national.unchanged}", soft_wrap=True)


@cli.command("demo-data")
def demo_data(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="do nothing if the demo partnership exists")] = False,
) -> None:
    """Build a fictional partnership of about 70 schools, its people, an API token, a term of peer review,
    a year of figures and last term's clinic (minutes approved) with the next one planned."""
    from app.services import demo

    credentials = Path(get_settings().database_url.removeprefix("sqlite:///")).parent / "demo-credentials.txt"
    with session_scope() as session:
        if demo.exists(session):
            if if_empty:
                out.print("demo partnership already present; leaving it as it is")
                if get_settings().is_sqlite and credentials.is_file():
                    out.print(credentials.read_text().rstrip())
                return
            raise fail("the demo partnership already exists")
        result = demo.build(session)
    lines = demo.credential_lines(result)
    if get_settings().is_sqlite:
        demo.write_credentials(credentials, lines)
    for line in lines:
        out.print(line, soft_wrap=True)


# Commands kept in modules of their own, registered on `cli` when imported.
from app import cli_generate, cli_ops, cli_plans  # noqa: E402, F401


def main() -> None:
    try:
        cli()
    except ValueError as exc:  # settings refused (e.g. the default secret outside development)
        err.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
