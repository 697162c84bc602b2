"""Two integrations posting overlapping bulk uploads at the same moment to a real server (its own
process, a fresh database of the engine under test): every answer is 200, never a 500, and every
figure is stored once. One worker is enough for a real race on PostgreSQL, whose writers run side by
side in the worker's threads; on SQLite they take turns. Nothing about speed is asserted."""

import os
import threading

import httpx
from alembic import command
from sqlalchemy import func, select

from app.db import all_tenants, build_engine, new_session
from app.models.flag import NationalFigure
from app.models.indicator import Indicator
from bench.common import project_server
from tests import factories
from tests.conftest import alembic_config

ROUNDS = 3


def _body(urns: list[str], year: str, value: float) -> dict:
    items = [{"urn": urn, "measure": f"m{n}", "academic_year": year, "value": value, "source": "DfE"}
             for urn in urns for n in range(20)]
    items += [{"national": True, "measure": f"m{n}", "academic_year": year, "value": value, "source": "DfE"}
              for n in range(20)]
    return {"items": items if value < 2 else items[::-1]}


def test_two_bulk_uploads_at_once_get_no_server_error(fresh_database_url, tmp_path):
    command.upgrade(alembic_config(fresh_database_url), "head")
    engine = build_engine(fresh_database_url)
    with new_session(write=True, engine=engine) as session:
        partnership = factories.make_partnership(session, slug="race")
        urns = [factories.make_school(session, partnership).urn for _ in range(30)]
        token = factories.make_token(session, partnership, "read write")
        session.commit()

    server = project_server(fresh_database_url, env={**os.environ}, log=tmp_path / "server.log")
    answers: list[tuple[int, str]] = []
    try:
        server.wait_ready()

        def post(body: dict, start: threading.Barrier) -> None:
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
                start.wait(10)
                response = c.post("/api/v1/indicators/bulk", json=body)
                answers.append((response.status_code, response.text[:300]))

        for n in range(ROUNDS):
            year = f"20{10 + n}/{11 + n}"
            start = threading.Barrier(2)
            threads = [threading.Thread(target=post, args=(_body(urns[:20], year, 1.0), start)),
                       threading.Thread(target=post, args=(_body(urns[10:], year, 2.0), start))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(90)
    finally:
        server.stop()

    try:
        assert [status for status, _ in answers] == [200] * (2 * ROUNDS), (answers, server.tail())
        with new_session(write=False, engine=engine) as session, all_tenants(session):
            per_key = session.execute(select(func.count()).select_from(Indicator)
                                      .group_by(Indicator.school_id, Indicator.measure, Indicator.academic_year,
                                                Indicator.source)).scalars().all()
            assert len(per_key) == ROUNDS * 30 * 20 and set(per_key) == {1}
            assert session.scalar(select(func.count()).select_from(NationalFigure)) == ROUNDS * 20
    finally:
        engine.dispose()
