"""The query plans of a school's profile, on the engine under test: every record of the school (its
inspections, figures, clinics' agenda items and actions, deployments, plans' milestones, the audit
trail of them all) is found through an index led by the school or the record, never by reading the
partnership's whole table through its partnership index, nor by walking its audit trail backwards.
At national size those reads took 700 ms for one school (bench/results/pages-national.json).

The school's history is made in both partnerships (the other's shorter), so that the planner has other
tenants' rows to pass over. On PostgreSQL scans are priced out (tests/services/test_query_plans.py's
`plans`), so one left in the plan means no index could serve the query."""

import re

from app.db import as_tenant
from app.services import accounts, school_profile
from tests.services.test_query_plans import plans
from tests.services.test_school_profile import TODAY, build_history

# The tables a school's history fills: read through a partnership-only index, a national
# partnership's whole table is read for one school.
BIG = ("audit_event|inspection|indicator|clinic_agenda_item|clinic_action|support_deployment|plan_milestone|"
       "triad_visit|review_judgement")
_SQLITE_WHOLE = re.compile(rf"^(SCAN ({BIG})\b|SEARCH ({BIG}) USING (COVERING )?INDEX \w+ \(partnership_id=\?\)$)")
_PG_SCAN = re.compile(rf"^Seq Scan on ({BIG})$")


def test_a_schools_profile_reads_only_its_own_records(session, engine, world):
    with as_tenant(session, world.theirs.id):
        build_history(session, world.__class__(**{**world.__dict__, "ours": world.theirs}), 2, name="Theirs Primary")
    history = build_history(session, world, 4)
    by = accounts.operator(world.ours)
    profile = school_profile.build(session, history.school, by=by, today=TODAY)
    assert profile.audit and profile.clinics and profile.support and profile.visits, "a section is empty"
    found = plans(session, engine, lambda: school_profile.build(session, history.school, by=by, today=TODAY))
    for statement, steps in found:
        for step in steps:
            assert not _SQLITE_WHOLE.match(step) and not _PG_SCAN.match(step), f"whole table: {step}\n{statement}"
