"""The CSV import of figures (app.services.imports.indicators_csv): every bad line named and nothing
written; what spreadsheets do to a CSV (a byte-order mark, Windows line ends, quoted commas, blank
rows, day-first dates, thousands separators, cp1252); undecodable bytes refused by line; a good file
applied, and applied again changes nothing."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app.config import PROJECT_ROOT
from app.db import all_tenants
from app.errors import Forbidden, ValidationFailed
from app.models.audit import AuditEvent
from app.models.flag import NationalFigure
from app.models.indicator import Indicator
from app.services import accounts
from app.services.imports import indicators_csv
from app.services.imports.indicators_csv import IndicatorFileError
from app.services.principal import Principal
from tests import factories

HEADER = "urn,national,measure,academic_year,value,source,recorded_on"


@pytest.fixture
def by(world) -> Principal:
    return accounts.operator(world.ours)


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8", newline: str = "\n") -> bytes:
    return newline.join([header, *lines, ""]).encode(encoding)


def stored(session) -> tuple[list[Indicator], list[NationalFigure]]:
    session.expire_all()
    with all_tenants(session):
        return (list(session.scalars(select(Indicator).order_by(Indicator.measure))),
                list(session.scalars(select(NationalFigure).order_by(NationalFigure.measure))))


def refused(session, content: bytes, by: Principal) -> list[tuple[int, str]]:
    with pytest.raises(IndicatorFileError) as caught:
        indicators_csv.import_bytes(session, content, by=by)
    assert stored(session) == ([], []), "a refused file wrote something"
    return caught.value.problems


def test_every_bad_line_is_named_and_nothing_is_written(session, world, by):
    urn = world.our_school.urn
    problems = refused(session, csv_bytes(
        f"{urn},no,absence,2025/26,5.2,DfE,",  # good, yet not written
        f"{urn},no,progress,2025/26,high,DfE,",
        f"{world.their_school.urn},no,absence,2025/26,1,DfE,",
        f"{urn},perhaps,absence,2025/26,1,DfE,",
        ",no,Absence,2025-26,,,",
        f"{urn},yes,absence,2025/26,1,DfE,",
        ",yes,absence,2025/26,1,DfE,2026-10-01",
        f"{urn},no,absence,2025/26,5.9,DfE,",  # the same figure as line 2
        f"{urn},no,roll,2025/26,210,DfE,31/02/2026",
        f"{urn},no,roll,2025/26,210,DfE,never",
        f"{urn},no,roll,2025/26,210,DfE,2026-10-01,extra",
    ), by)
    assert problems == [
        (3, "value 'high': enter a number"),
        (4, f"urn: no school with URN {world.their_school.urn} in this partnership"),
        (5, "national 'perhaps': write yes or no"),
        (6, "urn: required, unless the item is a national figure (\"national\": true)"),
        (6, "measure 'Absence': 2 to 60 lower-case letters, digits and underscores, starting with a letter"),
        (6, "academic_year '2025-26': an academic year is two consecutive years written like 2024/25, the first "
            "from 1900 to 2099"),
        (6, "value: required"),
        (6, "source: required"),
        (7, f"urn '{urn}': a national figure has no urn; leave it out"),
        (8, "recorded_on '2026-10-01': a national figure has no recorded_on; leave it out"),
        (9, "measure: the same school, measure, academic_year and source as line 2; send each figure once"),
        (10, "recorded_on '31/02/2026' is not a date (write 2026-10-01 or 01/10/2026)"),
        (11, "recorded_on 'never': use a date like 2026-09-01"),
        (12, "has a value in column 8, which has no heading"),
    ]


def test_the_header_is_checked_first(session, by):
    assert refused(session, b"", by) == [(1, "the file is empty; expected a header row naming the columns: urn, "
                                             "national, measure, academic_year, value, source, recorded_on")]
    assert refused(session, csv_bytes("100001,1", header="urn,notes,value,value"), by) == [
        (1, "unknown column(s) 'notes'; the columns are urn, national, measure, academic_year, value, source, "
            "recorded_on"),
        (1, "column(s) 'value' appear more than once"),
        (1, "missing column(s) 'measure', 'academic_year', 'source'"),
    ]
    assert refused(session, csv_bytes(header=HEADER), by) == [(2, "the file has a header but no figures")]


def test_a_good_file_is_applied_and_again_changes_nothing(session, world, by):
    urn = world.our_school.urn
    content = csv_bytes(f"{urn},no,absence,2025/26,5.2,DfE,2026-10-01", f"{urn},,roll,2025/26,210,DfE,",
                        ",yes,absence,2025/26,6.1,DfE,")
    result = indicators_csv.import_bytes(session, content, by=by)
    assert result.rows == 3
    assert result.counts.as_dict() == {"created": 3, "updated": 0, "unchanged": 0,
                                       "indicators": {"created": 2, "updated": 0, "unchanged": 0},
                                       "national_figures": {"created": 1, "updated": 0, "unchanged": 0}}
    schools, national = stored(session)
    assert [(i.measure, i.value, i.recorded_on, i.updated_by) for i in schools] == [
        ("absence", 5.2, date(2026, 10, 1), "command line"), ("roll", 210.0, date.today(), "command line")]
    assert [(n.measure, n.value) for n in national] == [("absence", 6.1)]
    with all_tenants(session):
        events = session.scalars(select(AuditEvent.action).where(AuditEvent.table_name == "indicator")).all()
    assert events == ["create", "create"]

    again = indicators_csv.import_bytes(session, content, by=by)
    assert again.counts.as_dict()["unchanged"] == 3
    assert [i.version for i in stored(session)[0]] == [1, 1]


def test_a_dry_run_counts_without_writing(session, world, by):
    factories.make_indicator(session, world.our_school, measure="absence", value=5.0, recorded_on=date(2026, 10, 1))
    content = csv_bytes(f"{world.our_school.urn},no,absence,2025/26,5.2,DfE,",
                        f"{world.our_school.urn},no,roll,2025/26,210,DfE,")
    result = indicators_csv.import_bytes(session, content, by=by, dry_run=True)
    assert result.counts.as_dict()["indicators"] == {"created": 1, "updated": 1, "unchanged": 0}
    assert [(i.measure, i.value) for i in stored(session)[0]] == [("absence", 5.0)]


def test_what_excel_writes_is_read(session, world, by):
    """A byte-order mark, CRLF, a quoted source with a comma and a doubled quote, a thousands separator,
    a day-first date, upper-case headings in another order, an empty trailing column and blank rows."""
    urn = world.our_school.urn
    content = "\ufeff" + "\r\n".join([
        "Source,URN,Measure,Academic_Year,Value,National,Recorded_On,",
        f'"KS2 results, ""provisional""",{urn},attainment,2024/25,58,No,10/12/2025,',
        f'Trust accounts,{urn},budget_balance,2025/26,"-42,500",no,,',
        ",,,,,,,",
        "",
        'DfE school census,,absence,2025/26,6.7,YES,,',
        "",
    ])
    indicators_csv.import_bytes(session, content.encode("utf-8"), by=by)
    schools, national = stored(session)
    assert [(i.measure, i.source, i.value) for i in schools] == [
        ("attainment", 'KS2 results, "provisional"', 58.0), ("budget_balance", "Trust accounts", -42500.0)]
    assert schools[0].recorded_on == date(2025, 12, 10)
    assert [(n.measure, n.value) for n in national] == [("absence", 6.7)]


def test_windows_1252_is_read(session, world, by):
    urn = world.our_school.urn
    # Excel's plain "CSV" is Windows-1252: a pound sign is one byte, A3.
    indicators_csv.import_bytes(session, csv_bytes(f"{urn},no,budget_balance,2025/26,1,Budget £ plan,",
                                                   encoding="cp1252"), by=by)
    assert stored(session)[0][0].source == "Budget £ plan"


def test_undecodable_bytes_are_refused_by_line(session, world, by):
    urn = world.our_school.urn
    # 81 means nothing in Windows-1252; in a file marked UTF-8, FF is no UTF-8 at all.
    cp1252 = csv_bytes(f"{urn},no,absence,2025/26,1,DfE,", f"{urn},no,roll,2025/26,1,Bad \x81 byte,",
                       encoding="latin-1")
    assert refused(session, cp1252, by) == [(3, "has bytes that are not cp1252 text; save the file as CSV UTF-8")]
    marked = b"\xef\xbb\xbf" + csv_bytes(f"{urn},no,absence,2025/26,1,DfE,", f"{urn},no,roll,2025/26,1,Caf\xc3\xa9,")
    marked = marked.replace(b"DfE", b"D\xfffE", 1)
    assert refused(session, marked, by) == [(2, "has bytes that are not UTF-8 text; save the file as CSV UTF-8")]


def test_a_quoted_line_break_counts_its_line_numbers(session, world, by):
    urn = world.our_school.urn
    content = csv_bytes(f'{urn},no,absence,2025/26,1,"two\nlines",', f"{urn},no,roll,2025/26,x,DfE,")
    assert refused(session, content, by) == [(4, "value 'x': enter a number")]


def test_too_many_rows(session, world, by):
    lines = [f"{world.our_school.urn},no,m{n},2025/26,1,DfE," for n in range(4)]
    with pytest.raises(IndicatorFileError) as caught:
        indicators_csv.import_bytes(session, csv_bytes(*lines), by=by, max_rows=3)
    assert caught.value.problems == [(5, "the file has more than 3 figures; split it, or use the command line "
                                         "(python -m app import-indicators)")]


def test_only_those_who_may_write_import(session, world):
    viewer = Principal(partnership_id=world.ours.id, partnership_slug=world.ours.slug,
                       partnership_name=world.ours.name, roles=frozenset({"viewer"}), user_name="A Viewer")
    with pytest.raises(Forbidden):
        indicators_csv.import_bytes(session, csv_bytes(f"{world.our_school.urn},no,absence,2025/26,1,DfE,"),
                                    by=viewer)


@pytest.mark.parametrize(("name", "content", "message"), [
    (None, b"x", "select a CSV file of figures to upload"),
    ("figures.csv", b"", "the selected file is empty"),
    ("figures.csv", b"PK\x03\x04rest", "the selected file is an Excel workbook or another zip file, not a CSV"),
    ("figures.xlsx", b"urn", "the selected file must be a CSV (a name ending .csv)"),
])
def test_an_upload_that_is_not_a_csv(name, content, message):
    with pytest.raises(ValidationFailed) as caught:
        indicators_csv.check_upload(name, content)
    assert caught.value.errors[0].field == "file" and caught.value.errors[0].message.startswith(message)


def test_the_example_file_in_the_docs_reads(session, world, by):
    """docs/examples/indicators.csv is well formed: its only problems are URNs not in this partnership."""
    path = Path(PROJECT_ROOT, "docs", "examples", "indicators.csv")
    with pytest.raises(IndicatorFileError) as caught:
        indicators_csv.import_file(session, path, by=by)
    assert caught.value.problems and all(message.startswith("urn: no school with URN 1904")
                                         or message.startswith("urn: no school with URN 1905")
                                         for _, message in caught.value.problems)
