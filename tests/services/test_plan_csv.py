"""A plan as a CSV file (app.services.plan_csv): export then import gives back the same plan; a bad
file is refused line by line, naming the column, and writes nothing."""

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from app.db import as_tenant
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models.action_plan import (
    ActionPlan,
    PlanAction,
    PlanActionLead,
    PlanMilestone,
    PlanPriority,
    SuccessMeasure,
)
from app.models.audit import AuditEvent
from app.services import accounts, plan_csv
from app.services.plan_csv_cells import COLUMNS

HEADER = "priority,priority_title,action,action_description,lead,time_frame,milestone,due_date,status\n"


def officer(session, world):
    return accounts.principal_for(session, world.officer, world.ours.id)


def plans(session) -> int:
    return session.scalar(select(func.count()).select_from(ActionPlan))


def tree(session, plan_id: int) -> dict:
    """Everything a plan holds, without ids, for comparing two plans."""
    plan = session.get(ActionPlan, plan_id)
    priorities = session.scalars(select(PlanPriority).where(PlanPriority.plan_id == plan_id)
                                 .order_by(PlanPriority.number)).all()
    out = {"plan": (plan.title, plan.period_start, plan.period_end, plan.status, plan.school_id), "priorities": []}
    for p in priorities:
        actions = []
        for a in session.scalars(select(PlanAction).where(PlanAction.priority_id == p.id).order_by(PlanAction.number)):
            leads = session.scalars(select(PlanActionLead.code).where(PlanActionLead.action_id == a.id)
                                    .order_by(PlanActionLead.position)).all()
            milestones = [(m.description, m.due_on, m.status, m.evidence, m.evidence_links) for m in session.scalars(
                select(PlanMilestone).where(PlanMilestone.action_id == a.id).order_by(PlanMilestone.id))]
            actions.append((a.number, a.description, leads, a.time_frame, a.start_on, a.end_on, milestones))
        measures = [(m.measure, m.baseline, m.target, m.target_on, m.latest_value, m.latest_on)
                    for m in session.scalars(select(SuccessMeasure).where(SuccessMeasure.priority_id == p.id)
                                             .order_by(SuccessMeasure.id))]
        out["priorities"].append((p.number, p.title, p.success_criteria, p.areas, actions, measures))
    out["measures"] = [(m.measure, m.baseline, m.target, m.target_on, m.latest_value, m.latest_on) for m in
                       session.scalars(select(SuccessMeasure).where(SuccessMeasure.plan_id == plan_id,
                                                                    SuccessMeasure.priority_id.is_(None))
                                       .order_by(SuccessMeasure.id))]
    return out


def awkward_plan(session, world) -> int:
    """A plan made directly (not by an import), with everything the file must carry and the text a
    spreadsheet would mangle: line breaks inside list items, formula-like text, quotes, commas."""
    plan = ActionPlan(partnership_id=world.ours.id, title="=Raising standards, 2016-18", period_start=date(2016, 9, 1),
                      period_end=date(2018, 8, 1), status="active", school_id=world.our_school.id)
    session.add(plan)
    session.flush()
    first = PlanPriority(partnership_id=world.ours.id, plan_id=plan.id, number=1, title='Leadership "of" improvement',
                         success_criteria=["All schools good, or better", "Two lines\nin one criterion",
                                           "-5% gap", "'=quoted already", "indented\n  inside"],
                         areas=["Leadership and governance"])
    empty = PlanPriority(partnership_id=world.ours.id, plan_id=plan.id, number=3, title="A priority with no actions",
                         success_criteria=[], areas=[])
    session.add_all([first, empty])
    session.flush()
    led = PlanAction(partnership_id=world.ours.id, plan_id=plan.id, priority_id=first.id, number=2,
                     description="Challenge, and support", time_frame="From Sept 2016", start_on=date(2016, 9, 1),
                     end_on=date(2017, 7, 31))
    bare = PlanAction(partnership_id=world.ours.id, plan_id=plan.id, priority_id=first.id, number=5,
                      description="An action with no milestones yet", time_frame=None)
    session.add_all([led, bare])
    session.flush()
    for position, code in enumerate(["SIM", "DCS"]):
        session.add(PlanActionLead(partnership_id=world.ours.id, plan_id=plan.id, action_id=led.id, code=code,
                                   position=position))
    session.add(PlanActionLead(partnership_id=world.ours.id, plan_id=plan.id, action_id=bare.id, code="HSI"))
    session.add_all([
        PlanMilestone(partnership_id=world.ours.id, plan_id=plan.id, action_id=led.id, description="Termly reviews",
                      due_on=None, status="on_track", evidence="Notes,\nwith a comma\nand lines",
                      evidence_links=["https://example.org/a", "https://example.org/b?x=1,2"]),
        PlanMilestone(partnership_id=world.ours.id, plan_id=plan.id, action_id=led.id, description="+ a report",
                      due_on=date(2017, 3, 31), status="off_track", evidence=None, evidence_links=[]),
        SuccessMeasure(partnership_id=world.ours.id, plan_id=plan.id, priority_id=first.id,
                       measure="KS2 in the top half of LAs", baseline="62%", target="70%", target_on=date(2018, 9, 1),
                       latest_value="65%", latest_on=date(2017, 7, 1)),
        SuccessMeasure(partnership_id=world.ours.id, plan_id=plan.id, priority_id=None,
                       measure="Persistent absence below national", baseline=None, target=None),
    ])
    session.flush()
    return plan.id


def test_export_then_import_is_lossless(session, world):
    by = officer(session, world)
    plan_id = awkward_plan(session, world)
    _, exported = plan_csv.export(session, plan_id, by=by)
    assert exported.startswith("\ufeff".encode())
    result = plan_csv.import_bytes(session, exported, by=by)
    assert (result.priorities, result.actions, result.milestones, result.measures) == (2, 2, 2, 2)
    assert tree(session, result.plan_id) == tree(session, plan_id)
    assert plan_csv.export(session, result.plan_id, by=by)[1] == exported
    imported = session.get(ActionPlan, result.plan_id)
    assert imported.owner_user_id == world.officer.id and imported.updated_by == by.label


def test_the_export_reads_as_a_spreadsheet_would_show_it(session, world):
    by = officer(session, world)
    plan_id = awkward_plan(session, world)
    _, exported = plan_csv.export(session, plan_id, by=by)
    rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    assert tuple(rows[0]) == COLUMNS
    # One row per milestone, one for the action without any, one for the priority without actions,
    # one per measure; the plan's columns on the first row only.
    assert [(r["priority"], r["action"], r["milestone"], r["measure"]) for r in rows] == [
        ("1", "1.2", "Termly reviews", ""), ("1", "1.2", "'+ a report", ""), ("1", "1.5", "", ""),
        ("1", "", "", "KS2 in the top half of LAs"), ("3", "", "", ""),
        ("", "", "", "Persistent absence below national")]
    assert rows[0]["plan_title"] == "'=Raising standards, 2016-18" and rows[1]["plan_title"] == ""
    assert rows[0]["lead"] == "SIM / DCS" and rows[0]["due_date"] == "" and rows[1]["due_date"] == "2017-03-31"
    assert rows[0]["school_urn"] == world.our_school.urn and rows[0]["plan_start"] == "2016-09"
    assert rows[0]["evidence_links"] == "https://example.org/a\nhttps://example.org/b?x=1,2"


def test_a_hand_written_file_in_the_brief_columns(session, world):
    by = officer(session, world)
    text = HEADER + (
        "1,Leadership of school improvement,1.1,Appoint a head of school improvement,DCS / DDCS,Sept 2016,"
        "Post filled,31/10/2016,Green\n"
        "1,,1.1,,,,Induction complete,2016-12-01,amber\n"
        "1,,2,Termly reviews of every school,HSI,Termly,Autumn review,,RED\n"
        "2,Data,2.1,Build the data dashboard,SIM,,,,\n")
    result = plan_csv.import_bytes(session, text.encode(), by=by, title="Partnership plan 2016-18")
    got = tree(session, result.plan_id)
    assert (got["plan"][0], got["plan"][3], got["plan"][4]) == ("Partnership plan 2016-18", "draft", None)
    first, second = got["priorities"]
    assert [m[:3] for m in first[4][0][6]] == [("Post filled", date(2016, 10, 31), "on_track"),
                                               ("Induction complete", date(2016, 12, 1), "at_risk")]
    assert first[4][0][2] == ["DCS", "DDCS"] and first[4][1][6][0][1:3] == (None, "off_track")
    assert second[4] == [(1, "Build the data dashboard", ["SIM"], None, None, None, [])]
    plan = session.get(ActionPlan, result.plan_id)
    first_year = int(world.ours.current_academic_year[:4])
    assert (plan.period_start, plan.period_end) == (date(first_year, 9, 1), date(first_year + 1, 8, 1))


def test_every_bad_line_is_reported_by_number_and_nothing_is_written(session, world):
    by = officer(session, world)
    before = plans(session)
    text = HEADER + (
        "1,Leadership,1.1,Appoint,HSI,,Post filled,2017-02-30,green\n"      # 2: no such day
        "1,Leadership,1.2,Review,WIZARD / HSI,,Reviewed,,purple\n"          # 3: unknown code and status
        "x,Leadership,1.3,Review,HSI,,Reviewed,,\n"                         # 4: priority not a number
        "2,Data,1.1,Dashboard,SIM,,Built,,\n"                               # 5: action not in its priority
        "2,Data,2.1,Dashboard,SIM,,Built,,on_track\n"                      # 6: good
        "2,Other title,2.2,Report,SIM,,Written,,\n"                         # 7: title differs from line 6's
        "2,Data,2.3,Report,SIM,,,2017-01-01,on_track\n"                     # 8: due date without a milestone
        "3,Attendance,3.1,Visit,HSI,,Visited,,\n"
        "3,Attendance,3.1,Another description,HSI,,Again,,\n")              # 10: duplicate action number
    with pytest.raises(plan_csv.PlanFileError) as caught:
        plan_csv.import_bytes(session, text.encode(), by=by, title="A plan")
    problems = caught.value.problems
    by_line: dict[int, list[str]] = {}
    for line, message in problems:
        by_line.setdefault(line, []).append(message)
    assert "due_date '2017-02-30' is not a date" in by_line[2][0]
    assert any("'WIZARD' is not a lead role" in m for m in by_line[3])
    assert any(m.startswith("status 'purple' is not a milestone status") for m in by_line[3])
    assert by_line[4] == ["priority 'x' is not a number from 1 to 999"]
    assert by_line[5] == ["action '1.1' is not in priority 2: its number starts with 2."]
    assert by_line[8] == ["due_date, status given but milestone is empty"]
    assert by_line[7] == ["priority_title differs from line 6's for priority 2: a column of priority 2 must say "
                          "the same on each row that fills it (or be left empty)"]
    assert "action_description differs from line 9's for action 3.1" in by_line[10][0]
    assert set(by_line) == {2, 3, 4, 5, 7, 8, 10}
    assert "line 2:" in caught.value.detail and caught.value.lines == 7
    assert plans(session) == before
    assert session.scalar(select(func.count()).select_from(PlanMilestone)) == 0


def test_unknown_lead_codes_name_the_glossary(session, world):
    by = officer(session, world)
    text = HEADER + "1,Leadership,1.1,Appoint,HSI / NOPE / ZZZ,,Done,,\n"
    with pytest.raises(plan_csv.PlanFileError) as caught:
        plan_csv.import_bytes(session, text.encode(), by=by, title="A plan")
    [(line, message)] = caught.value.problems
    assert line == 2 and message.startswith("lead 'HSI / NOPE / ZZZ': 'NOPE', 'ZZZ' are not lead roles")
    assert "DCS / DDCS / HI / HSI / SIM / SIO" in message.replace("CM / ", "")


def test_the_file_as_a_whole(session, world):
    by = officer(session, world)
    cases = {
        b"": [(1, "the file is empty; expected a header row naming the columns: priority, priority_title, action, "
                  "action_description, lead, milestone")],
        b"priority,title\n": [(1, "unknown column(s) 'title'; the columns are " + ", ".join(COLUMNS)),
                              (1, "missing column(s) 'priority_title', 'action', 'action_description', 'lead', "
                                  "'milestone'")],
        HEADER.encode(): [(2, "the file has a header row but no rows: one row per milestone")],
        HEADER.encode() + b"1,T,1.1,D,HSI,,M,,\n": [(1, "the plan has no title: fill plan_title on its first row, "
                                                       "or give a title when importing")],
        (HEADER.strip() + ",plan_start,school_urn\n1,T,1.1,D,HSI,,M,,,2017-01,999999\n").encode(): [
            (2, "plan_start is given but plan_end is not: give both, or neither for the partnership's academic year"),
            (2, "school_urn '999999': no school with that URN in this partnership")],
        (HEADER.strip() + ",measure,baseline\n1,T,,,,,,,,,50%\n2,,1,D,HSI,,,,,,\n").encode(): [
            (2, "baseline given but measure is empty"), (3, "priority 2 has no priority_title on any of its rows")],
    }
    for content, expected in cases.items():
        untitled = b"\n1,T,1.1,D,HSI,,M,,\n" in content
        with pytest.raises(plan_csv.PlanFileError) as caught:
            plan_csv.import_bytes(session, content, by=by, title=None if untitled else "A plan")
        assert caught.value.problems == expected, content
    assert plans(session) == 0


def test_a_school_of_another_partnership_is_not_ours(session, world):
    by = officer(session, world)
    text = (HEADER.strip() + ",plan_title,school_urn\n1,T,1.1,D,HSI,,M,,,P," + world.their_school.urn + "\n").encode()
    with pytest.raises(plan_csv.PlanFileError) as caught:
        plan_csv.import_bytes(session, text, by=by)
    assert caught.value.problems == [(2, f"school_urn '{world.their_school.urn}': no school with that URN in this "
                                         "partnership")]


def test_only_officers_import_and_members_export(session, world):
    viewer = accounts.principal_for(session, world.viewer, world.ours.id)
    with pytest.raises(Forbidden):
        plan_csv.import_bytes(session, (HEADER + "1,T,1.1,D,HSI,,M,,\n").encode(), by=viewer, title="P")
    plan_id = awkward_plan(session, world)
    assert plan_csv.export(session, plan_id, by=viewer)[0].id == plan_id
    outsider = accounts.principal_for(session, world.outsider, world.theirs.id)
    with as_tenant(session, world.theirs.id), pytest.raises(NotFound):
        plan_csv.export(session, plan_id, by=outsider)


def test_a_bad_title_option_names_the_field(session, world):
    with pytest.raises(ValidationFailed) as caught:
        plan_csv.import_bytes(session, (HEADER + "1,T,1.1,D,HSI,,M,,\n").encode(), by=officer(session, world),
                              title="x" * 201)
    assert caught.value.errors[0].field == "title"


def test_the_import_is_in_the_audit_trail(session, world):
    by = officer(session, world)
    result = plan_csv.import_bytes(session, (HEADER + "1,T,1.1,D,HSI,,M,,\n").encode(), by=by, title="Audited")
    events = session.execute(select(AuditEvent.table_name, AuditEvent.action, AuditEvent.actor)
                             .where((AuditEvent.record_id == result.plan_id) & (AuditEvent.table_name == "action_plan")
                                    | (AuditEvent.parent_id == result.plan_id))).all()
    assert {(table, action) for table, action, _ in events} >= {("action_plan", "create"), ("plan_priority", "create"),
                                                               ("plan_action", "create"), ("plan_milestone", "create")}
    assert {actor for _, _, actor in events} == {by.label}
