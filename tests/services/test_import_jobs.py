"""GIAS imports as background jobs: the check writes nothing, the apply is all or nothing, a job
cut off by a restart is failed, progress reaches the row, and the threads really run them."""

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import func, select, update
from sqlmodel import Session

from app.db import all_tenants, build_engine, session_scope, write_gate
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models.base import utcnow
from app.models.import_job import ImportJob, ImportStatus, ImportUpload
from app.models.school import School
from app.services import accounts, import_jobs
from app.services.import_jobs import CUT_OFF, Live
from app.services.import_runner import JobRunner
from app.services.imports import gias
from app.services.principal import bind
from tests import factories
from tests.conftest import alembic_config
from tests.gias_csv import gias_row, write_gias_csv


@pytest.fixture
def by(session, world):
    principal = accounts.operator(world.ours)
    bind(session, principal)
    return principal


@pytest.fixture
def runner(connection):
    """Jobs run at once, on the test's connection (as the web tests' app does)."""
    return JobRunner(lambda write, turn=None: Session(bind=connection, join_transaction_mode="create_savepoint",
                                                      expire_on_commit=False),
                     inline=True, stale_after=60)


def csv_bytes(tmp_path, rows, name="edubasealldata.csv") -> bytes:
    return write_gias_csv(tmp_path / name, rows).read_bytes()


def schools(session) -> dict[str, str]:
    session.expire_all()
    return dict(session.execute(select(School.urn, School.name)).all())


def uploaded(session, tmp_path, rows, by, la_code="874") -> ImportJob:
    return import_jobs.upload_gias(session, file_name="edubasealldata.csv", content=csv_bytes(tmp_path, rows),
                                   la_code=la_code, by=by)


def reload(session, job) -> ImportJob:
    return session.scalars(select(ImportJob).where(ImportJob.id == job.id)
                           .execution_options(populate_existing=True)).one()


def test_dry_run_plans_the_same_import_and_writes_nothing(session, world, by, tmp_path):
    rows = [gias_row("300001", rating="Good", inspected="01-02-2019"), gias_row("300002"),
            gias_row(world.our_school.urn, name="Alder Primary Academy")]
    path = write_gias_csv(tmp_path / "edubasealldata.csv", rows)
    before = schools(session)

    checked = gias.import_file(session, path, by=by, dry_run=True)

    assert (checked.created, checked.updated, checked.inspections_added) == (2, 1, 1)
    assert schools(session) == before
    applied = gias.import_file(session, path, by=by)
    assert (applied.created, applied.updated, applied.unchanged, applied.skipped, applied.inspections_added) == (
        checked.created, checked.updated, checked.unchanged, checked.skipped, checked.inspections_added)
    assert schools(session)[world.our_school.urn] == "Alder Primary Academy"


def test_check_then_apply_writes_nothing_until_confirmed(session, world, by, runner, tmp_path):
    job = uploaded(session, tmp_path, [gias_row("300001"), gias_row(world.our_school.urn, name="Renamed")], by)
    assert job.status == "uploaded" and job.created_by_name == "command line" and job.file_size > 0

    runner.check(job.id, by)

    job = reload(session, job)
    assert job.status == "checked", job.message
    check = job.summary["check"]
    assert (check["created"], check["updated"], check["unchanged"]) == (1, 1, 0)
    assert job.progress_done == job.progress_total == 2
    assert "300001" not in schools(session) and schools(session)[world.our_school.urn] == "Alder Primary School"

    import_jobs.confirm(session, job.id, by=by, runner=runner)
    assert "300001" not in schools(session)
    runner.apply(job.id, by)

    job = reload(session, job)
    assert job.status == "applied", job.message
    assert job.summary["apply"]["created"] == 1 and job.finished_at is not None
    assert schools(session)["300001"] == "School 300001"
    assert schools(session)[world.our_school.urn] == "Renamed"
    # The uploaded bytes go once the job has ended.
    assert session.scalar(select(func.count()).select_from(ImportUpload).where(ImportUpload.job_id == job.id)) == 0
    with pytest.raises(Conflict, match="already been applied"):
        import_jobs.confirm(session, job.id, by=by, runner=runner)


def test_a_refused_file_keeps_every_bad_line_and_cannot_be_applied(session, by, runner, tmp_path):
    rows = [gias_row("12A456"), gias_row("300002"), gias_row("300003", opened="31-02-2019")]
    job = uploaded(session, tmp_path, rows, by)
    runner.check(job.id, by)

    job = reload(session, job)
    assert job.status == "refused"
    assert job.problems == [[2, "URN '12A456' is not 6 digits"],
                            [4, "OpenDate '31-02-2019' is not a date (dd-mm-yyyy)"]]
    with pytest.raises(Conflict, match="refused"):
        import_jobs.confirm(session, job.id, by=by, runner=runner)
    assert "300002" not in schools(session)


def test_the_check_keeps_the_warnings_as_the_command_line_prints_them(session, by, runner, tmp_path):
    rows = [gias_row("300001", rating="Not judged", inspected="01-02-2019"),
            gias_row("300002", rating="Not judged", inspected="01-03-2019")]
    job = uploaded(session, tmp_path, rows, by)
    runner.check(job.id, by)

    check = reload(session, job).summary["check"]
    assert check["warnings"] == ["OfstedRating (name) 'Not judged': 2 rows (lines 2, 3); not a rating this "
                                 "service knows, so no grade recorded"]


def test_a_failed_apply_rolls_back_everything(session, by, runner, tmp_path, monkeypatch):
    job = uploaded(session, tmp_path, [gias_row("300001"), gias_row("300002")], by)
    runner.check(job.id, by)
    import_jobs.confirm(session, job.id, by=by, runner=runner)
    real_finish = import_jobs.finish

    def failing(session, job, status, **kwargs):
        if status == ImportStatus.applied:  # after the schools were written, in the same transaction
            raise RuntimeError("disk full")
        return real_finish(session, job, status, **kwargs)

    monkeypatch.setattr(import_jobs, "finish", failing)
    runner.apply(job.id, by)

    job = reload(session, job)
    assert job.status == "failed"
    assert "RuntimeError" in job.message and "nothing was written" in job.message
    assert "300001" not in schools(session) and "300002" not in schools(session)


def test_upload_refusals_name_the_field(session, by):
    cases = [(None, b"x", "file", "select a GIAS file"), ("edubase.csv", b"", "file", "empty"),
             ("edubase.xlsx", b"URN\r\n", "file", "must be a CSV"),
             ("edubase.csv", b"PK\x03\x04rest", "file", "Excel workbook"),
             ("edubase.csv", b"URN\r\n", "la_code", "three digits")]
    for name, content, field, words in cases:
        with pytest.raises(ValidationFailed) as refused:
            import_jobs.upload_gias(session, file_name=name, content=content,
                                    la_code="87" if field == "la_code" else "", by=by)
        assert [(e.field, words in e.message) for e in refused.value.errors] == [(field, True)], name
    assert session.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_viewers_cannot_import_and_other_partnerships_jobs_are_not_found(session, world, by, runner, tmp_path):
    job = uploaded(session, tmp_path, [gias_row("300001")], by)
    viewer = accounts.principal_for(session, world.viewer, world.ours.id)
    with pytest.raises(Forbidden):
        import_jobs.get(session, job.id, by=viewer, runner=runner)
    with pytest.raises(Forbidden):
        import_jobs.upload_gias(session, file_name="a.csv", content=b"URN\r\n", la_code="", by=viewer)
    theirs = Session(bind=session.connection(), join_transaction_mode="create_savepoint")
    with pytest.raises(NotFound):
        import_jobs.get(theirs, job.id, by=accounts.operator(world.theirs), runner=runner)
    for wrong in ("abc", "99999999999999999999999", "-1"):
        with pytest.raises(NotFound):
            import_jobs.get(session, wrong, by=by, runner=runner)


def test_a_silent_running_job_is_cut_off_unless_this_process_runs_it(session, by, runner, tmp_path):
    job = uploaded(session, tmp_path, [gias_row("300001")], by)
    now = utcnow()
    job.status = ImportStatus.checking.value
    job.heartbeat_at = now - timedelta(seconds=61)
    session.flush()

    assert import_jobs.is_cut_off(job, None, now=now, stale_after=60)
    assert not import_jobs.is_cut_off(job, Live("checking", 10, 20), now=now, stale_after=60)
    assert not import_jobs.is_cut_off(job, None, now=now - timedelta(seconds=2), stale_after=60)
    shown = import_jobs.get(session, job.id, by=by, runner=runner)
    assert (shown.status, shown.message, shown.cut_off) == ("failed", CUT_OFF, True)

    runner.mark_cut_off([job.id], by)
    job = reload(session, job)
    assert (job.status, job.message) == ("failed", CUT_OFF)
    assert session.scalar(select(func.count()).select_from(ImportUpload).where(ImportUpload.job_id == job.id)) == 0


def test_a_running_job_shows_this_process_progress_and_the_heartbeat_writes_it(session, by, runner, tmp_path):
    job = uploaded(session, tmp_path, [gias_row("300001")], by)
    job.status = ImportStatus.checking.value
    job.heartbeat_at = utcnow() - timedelta(minutes=5)
    session.flush()
    runner._set_live(job.id, Live("checking", 1500, 50000))

    shown = import_jobs.get(session, job.id, by=by, runner=runner)
    assert (shown.status, shown.done, shown.total, shown.percent) == ("checking", 1500, 50000, 3)

    runner.beat()
    job = reload(session, job)
    assert (job.progress_done, job.progress_total) == (1500, 50000)
    assert job.heartbeat_at > utcnow() - timedelta(seconds=5)
    version = job.version
    job.status = ImportStatus.checked.value  # an ended job is never written by the heartbeat
    session.flush()
    runner._set_live(job.id, Live("checking", 1600, 50000))
    runner.beat()
    job = reload(session, job)
    assert job.progress_done == 1500 and job.version == version + 1


def test_discard_leaves_the_register_as_it_was(session, by, runner, tmp_path):
    job = uploaded(session, tmp_path, [gias_row("300001")], by)
    runner.check(job.id, by)
    import_jobs.discard(session, job.id, by=by, runner=runner)
    assert reload(session, job).status == "discarded"
    with pytest.raises(Conflict, match="discarded"):
        import_jobs.confirm(session, job.id, by=by, runner=runner)
    runner.apply(job.id, by)  # even handed over, a job not confirmed is not applied
    assert "300001" not in schools(session)


def test_the_runner_threads_check_and_apply_on_a_real_engine(fresh_database_url, tmp_path):
    """The served path: background threads, separate transactions, SQLite's write queue or
    PostgreSQL's own engine and heartbeat."""
    command.upgrade(alembic_config(fresh_database_url), "head")
    engine = build_engine(fresh_database_url)
    runner = JobRunner.serving(engine, gate=write_gate(engine), stale_after=60)
    runner.start()
    try:
        with session_scope(engine=engine) as session:
            world = factories.make_world(session)
            by = accounts.operator(world.ours)
            rows = [gias_row(f"{300000 + n}") for n in range(1, 1201)]
            job_id = uploaded(session, tmp_path, rows, by).id
        runner.check(job_id, by)
        runner.drain(timeout=60)
        with session_scope(engine=engine) as session:
            job = import_jobs.load(session, job_id, by=by)
            assert job.status == "checked", job.message
            assert job.summary["check"]["created"] == 1200 and job.progress_done == 1200
            import_jobs.confirm(session, job_id, by=by, runner=runner)
        runner.apply(job_id, by)
        runner.drain(timeout=60)
        with session_scope(engine=engine) as session, all_tenants(session):
            assert session.scalar(select(ImportJob.status).where(ImportJob.id == job_id)) == "applied"
            assert session.scalar(select(func.count()).select_from(School)) == 1200 + 2
    finally:
        runner.close()
        engine.dispose()


def test_a_job_marked_failed_during_the_apply_makes_it_roll_back(fresh_database_url, tmp_path, monkeypatch):
    """The apply marks its job applied in its own transaction, version-checked: a job another
    worker found cut off meanwhile is never applied (real transactions, not the tests' savepoints)."""
    command.upgrade(alembic_config(fresh_database_url), "head")
    engine = build_engine(fresh_database_url)
    runner = JobRunner.serving(engine, gate=write_gate(engine), stale_after=60)
    try:
        with session_scope(engine=engine) as session:
            world = factories.make_world(session)
            by = accounts.operator(world.ours)
            job_id = uploaded(session, tmp_path, [gias_row("300001")], by).id
        runner.check(job_id, by)
        runner.drain(timeout=60)
        with session_scope(engine=engine) as session:
            import_jobs.confirm(session, job_id, by=by, runner=runner)
        real_import = gias.import_file

        def then_cut_off(session, path, **kwargs):
            summary = real_import(session, path, **kwargs)
            marked = update(ImportJob).where(ImportJob.id == job_id).values(status="failed",
                                                                            version=ImportJob.version + 1)
            if engine.dialect.name == "postgresql":
                with engine.begin() as other:  # another worker's poll found it cut off
                    other.execute(marked)
            else:  # one writer at a time: the same change, from inside the apply's transaction
                session.connection().execute(marked)
            return summary

        monkeypatch.setattr(gias, "import_file", then_cut_off)
        runner.apply(job_id, by)
        runner.drain(timeout=60)
        with session_scope(engine=engine) as session, all_tenants(session):
            assert session.scalar(select(func.count()).select_from(School).where(School.urn == "300001")) == 0
            assert session.scalar(select(ImportJob.status).where(ImportJob.id == job_id)) != "applied"
    finally:
        runner.close()
        engine.dispose()
