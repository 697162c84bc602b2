"""`python -m app import-indicators`, run for real: a good file prints its counts; a bad one lists
every bad line on stderr, writes nothing and exits 1."""

from sqlalchemy import create_engine, func, select

from app.models.indicator import Indicator
from tests.gias_csv import gias_row, write_gias_csv
from tests.test_cli import cli  # noqa: F401 (the fixture: the command line on a database of its own)

HEADER = "urn,national,measure,academic_year,value,source,recorded_on\n"


def _count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(Indicator.__table__)).scalar_one()
    finally:
        engine.dispose()


def test_import_indicators(cli, tmp_path, fresh_database_url):  # noqa: F811
    assert cli("create-partnership", "--name", "Fenland", "--slug", "fenland").returncode == 0
    schools = write_gias_csv(tmp_path / "extract.csv", [gias_row("303001"), gias_row("303002")])
    assert cli("import-gias", str(schools), "--partnership", "fenland").returncode == 0

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "303001,no,absence,2025/26,5.2,DfE,\n303009,no,absence,2025/26,1,DfE,\n"
                            "303002,no,absence,2025/26,lots,DfE,\n")
    refused = cli("import-indicators", str(bad), "--partnership", "fenland")
    assert refused.returncode == 1
    assert "was not imported; nothing was written" in refused.stderr
    assert "line 3: urn: no school with URN 303009 in this partnership" in refused.stderr
    assert "line 4: value 'lots': enter a number" in refused.stderr
    assert _count(fresh_database_url) == 0

    good = tmp_path / "good.csv"
    good.write_bytes(("\ufeff" + HEADER + "303001,no,absence,2025/26,5.2,DfE,\r\n303002,no,absence,2025/26,4.8,"
                      "\"DfE, census\",01/10/2026\r\n,yes,absence,2025/26,6.1,DfE,\r\n").encode())
    done = cli("import-indicators", str(good), "--partnership", "fenland")
    assert done.returncode == 0, done.stderr
    assert ("3 rows: schools' figures created 2, updated 0, unchanged 0; national figures created 1, updated 0, "
            "unchanged 0") in done.stdout
    assert _count(fresh_database_url) == 2

    missing = cli("import-indicators", str(tmp_path / "none.csv"), "--partnership", "fenland")
    assert missing.returncode == 1 and "no such file" in missing.stderr
