"""Two bulk uploads of overlapping figures at the same moment, each in its own session and thread, on
a real database file or server: neither fails (no unique-key error, no deadlock), every figure is
stored once, and whichever came second updated what the first added (a new version, an audit event)."""

import threading

from alembic import command
from sqlalchemy import func, select

from app.db import all_tenants, build_engine, new_session
from app.models.audit import AuditEvent
from app.models.flag import NationalFigure
from app.models.indicator import Indicator
from app.models.indicator_bulk import IndicatorItem
from app.services import accounts, indicators_bulk
from tests import factories
from tests.conftest import alembic_config

ROUNDS = 4
MEASURES = [f"measure_{n}" for n in range(10)]


def _items(urns: list[str], year: str, value: float) -> list[IndicatorItem]:
    items = [IndicatorItem(urn=urn, measure=m, academic_year=year, value=value, source="DfE")
             for urn in urns for m in MEASURES]
    # Listed in opposite orders by the two uploads, as a careless client might.
    items += [IndicatorItem(national=True, measure=m, academic_year=year, value=value, source="DfE")
              for m in (MEASURES if value < 2 else reversed(MEASURES))]
    return items if value < 2 else list(reversed(items))


def test_two_uploads_of_overlapping_figures_at_once(fresh_database_url):
    command.upgrade(alembic_config(fresh_database_url), "head")
    engine = build_engine(fresh_database_url, busy_timeout_ms=10_000)
    with new_session(write=True, engine=engine) as session:
        partnership = factories.make_partnership(session, slug="race")
        urns = [factories.make_school(session, partnership).urn for _ in range(30)]
        session.commit()
    by = accounts.operator(partnership)

    outcomes: list[tuple[str, str, dict | None]] = []

    def upload(name: str, items: list[IndicatorItem], start: threading.Barrier) -> None:
        start.wait(5)
        with new_session(write=True, engine=engine) as session:
            try:
                result = indicators_bulk.upsert(session, items, by=by)
                session.commit()
                outcomes.append((name, "ok", result.as_dict()))
            except Exception as exc:  # noqa: BLE001 (the test reports any failure)
                session.rollback()
                outcomes.append((name, repr(exc), None))

    for n in range(ROUNDS):
        year = f"20{10 + n}/{11 + n}"
        start = threading.Barrier(2)
        # 20 schools each, 10 of them in both: 100 school figures and 10 national ones overlap.
        one = threading.Thread(target=upload, args=("one", _items(urns[:20], year, 1.0), start))
        two = threading.Thread(target=upload, args=("two", _items(urns[10:], year, 2.0), start))
        one.start(), two.start()
        one.join(60), two.join(60)

    try:
        assert [status for _, status, _ in outcomes] == ["ok"] * (2 * ROUNDS), outcomes
        with new_session(write=False, engine=engine) as session, all_tenants(session):
            per_key = session.execute(select(func.count()).select_from(Indicator)
                                      .group_by(Indicator.school_id, Indicator.measure, Indicator.academic_year,
                                                Indicator.source)).scalars().all()
            assert len(per_key) == ROUNDS * 30 * len(MEASURES) and set(per_key) == {1}
            national = session.execute(select(NationalFigure.version, func.count()).group_by(NationalFigure.version)
                                       ).all()
            assert dict(national) == {2: ROUNDS * len(MEASURES)}  # added by one upload, changed by the other
            # The 10 shared schools' figures were added by one upload and changed by the other.
            versions = session.execute(select(Indicator.version, func.count()).group_by(Indicator.version)).all()
            assert dict(versions) == {1: ROUNDS * 20 * len(MEASURES), 2: ROUNDS * 10 * len(MEASURES)}
            events = session.scalar(select(func.count()).select_from(AuditEvent)
                                    .where(AuditEvent.table_name.in_(["indicator", "national_figure"])))
        per_round = 40 * len(MEASURES) + 2 * len(MEASURES)  # each upload's figures, all created or changed
        assert events == ROUNDS * per_round
        totals = [result for _, _, result in outcomes]
        assert sum(r["created"] for r in totals) == ROUNDS * (30 + 1) * len(MEASURES)
        assert sum(r["updated"] for r in totals) == ROUNDS * (10 + 1) * len(MEASURES)
    finally:
        engine.dispose()
