"""`python -m app import-plan` and `export-plan`, run for real: a bad file lists every bad line on
stderr, writes nothing and exits 1; a good one is a new plan, and its export imports back the same."""

from sqlalchemy import create_engine, func, select

from app.models.action_plan import ActionPlan
from app.models.audit import AuditEvent
from tests.test_cli import cli  # noqa: F401 (the fixture: the command line on a database of its own)

HEADER = "priority,priority_title,action,action_description,lead,time_frame,milestone,due_date,status,plan_title\n"


def _scalar(url: str, stmt):  # noqa: ANN001, ANN202
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(stmt).scalar_one()
    finally:
        engine.dispose()


def test_import_and_export_a_plan(cli, tmp_path, fresh_database_url):  # noqa: F811
    assert cli("create-partnership", "--name", "Fenland", "--slug", "fenland").returncode == 0
    plans = select(func.count()).select_from(ActionPlan.__table__)

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "1,Leadership,1.1,Appoint,HSI,,Post filled,2017-13-01,green,Plan\n"
                            "1,Leadership,1.2,Review,BOSS,,Reviewed,,,\n")
    refused = cli("import-plan", str(bad), "--partnership", "fenland")
    assert refused.returncode == 1
    assert "was not imported; nothing was written" in refused.stderr
    assert "line 2: due_date '2017-13-01' is not a date" in refused.stderr
    assert "line 3: lead 'BOSS': 'BOSS' is not a lead role of this partnership" in refused.stderr
    assert _scalar(fresh_database_url, plans) == 0

    good = tmp_path / "good.csv"
    good.write_text(HEADER + "1,Leadership,1.1,Appoint,DCS / DDCS,Sept 2016,Post filled,2017-01-31,green,Our plan\n"
                             "1,Leadership,1.2,Review every school,HSI,Termly,,,,\n")
    done = cli("import-plan", str(good), "--partnership", "fenland", "--title", "Improvement plan 2016-18")
    assert done.returncode == 0, done.stderr
    assert ("imported plan 1 (Improvement plan 2016-18): 1 priorities, 2 actions, 1 milestones, 0 success measures"
            in done.stdout)
    actors = select(func.count(func.distinct(AuditEvent.actor))).where(AuditEvent.actor == "command line")
    assert _scalar(fresh_database_url, actors) == 1

    printed = cli("export-plan", "1", "--partnership", "fenland")
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("priority,priority_title,action,action_description,lead,time_frame,milestone,")
    assert lines[1].startswith("1,Leadership,1.1,Appoint,DCS / DDCS,Sept 2016,Post filled,2017-01-31,on_track,")
    assert "Improvement plan 2016-18" in lines[1] and lines[2].startswith("1,Leadership,1.2,Review every school,HSI,")

    written = tmp_path / "out.csv"
    assert cli("export-plan", "1", "--partnership", "fenland", "--output", str(written)).returncode == 0
    assert written.read_bytes().startswith(b"\xef\xbb\xbf")
    again = cli("import-plan", str(written), "--partnership", "fenland")
    assert again.returncode == 0, again.stderr
    assert "imported plan 2 (Improvement plan 2016-18)" in again.stdout
    second = tmp_path / "second.csv"
    assert cli("export-plan", "2", "--partnership", "fenland", "--output", str(second)).returncode == 0
    assert second.read_bytes() == written.read_bytes()

    missing = cli("export-plan", "99", "--partnership", "fenland")
    assert missing.returncode == 1 and "no action plan 99" in missing.stderr
    nowhere = cli("import-plan", str(tmp_path / "none.csv"), "--partnership", "fenland")
    assert nowhere.returncode == 1 and "no such file" in nowhere.stderr
    stranger = cli("import-plan", str(good), "--partnership", "nowhere")
    assert stranger.returncode == 1 and "no partnership with slug 'nowhere'" in stranger.stderr
