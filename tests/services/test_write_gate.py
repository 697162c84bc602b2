"""The write queue of a SQLite process (app.write_gate): first come, first served, a deadline,
and a turn that is always given back, however the transaction ends."""

import asyncio
import threading
import time

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.db import build_engine, new_session
from app.write_gate import WriteBusy, WriteGate
from tests.conftest import alembic_config


def test_waiters_are_served_in_the_order_they_came():
    gate = WriteGate()
    first = gate.acquire(1)
    order: list[int] = []

    def waiter(n: int) -> None:
        turn = gate.acquire(5)
        order.append(n)
        turn.release()

    threads = []
    for n in range(5):
        thread = threading.Thread(target=waiter, args=(n,))
        thread.start()
        threads.append(thread)
        while gate.queued <= n:  # each is queued before the next arrives
            time.sleep(0.001)
    first.release()
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2, 3, 4]


def test_a_waiter_past_its_deadline_is_told_busy_and_leaves_the_queue():
    gate = WriteGate()
    held = gate.acquire(1)
    started = time.monotonic()
    with pytest.raises(WriteBusy) as refused:
        gate.acquire(0.1)
    assert 0.1 <= time.monotonic() - started < 1
    assert refused.value.status_code == 503 and refused.value.headers["Retry-After"] == "1"
    assert gate.queued == 0
    held.release()
    held.release()  # a turn is released once, however often it is let go
    gate.acquire(0.1).release()  # free again
    gate.acquire(0.1)


def test_threads_and_coroutines_share_one_queue_in_order():
    gate = WriteGate()
    held = gate.acquire(1)
    order: list[str] = []

    async def main() -> None:
        async def coroutine(name: str) -> None:
            turn = await gate.acquire_async(5)
            order.append(name)
            turn.release()

        first = asyncio.ensure_future(coroutine("coroutine 1"))
        while gate.queued < 1:
            await asyncio.sleep(0.001)
        def in_a_thread() -> None:
            turn = gate.acquire(5)
            order.append("thread")
            turn.release()

        thread = threading.Thread(target=in_a_thread)
        thread.start()
        while gate.queued < 2:
            await asyncio.sleep(0.001)
        second = asyncio.ensure_future(coroutine("coroutine 2"))
        while gate.queued < 3:
            await asyncio.sleep(0.001)
        held.release()
        await asyncio.gather(first, second)
        await asyncio.to_thread(thread.join, 5)

    asyncio.run(main())
    assert order == ["coroutine 1", "thread", "coroutine 2"]


def test_a_coroutine_past_its_deadline_is_told_busy():
    gate = WriteGate()
    held = gate.acquire(1)

    async def main() -> None:
        with pytest.raises(WriteBusy):
            await gate.acquire_async(0.05)
        assert gate.queued == 0
        held.release()
        (await gate.acquire_async(0.05)).release()

    asyncio.run(main())


@pytest.fixture
def sqlite_engine(fresh_database_url):
    if make_url(fresh_database_url).get_backend_name() != "sqlite":
        pytest.skip("the write queue is SQLite's")
    command.upgrade(alembic_config(fresh_database_url), "head")
    engine = build_engine(fresh_database_url, write_wait_seconds=0.5)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("ending", ["commit", "rollback", "close", "error"])
def test_the_turn_is_given_back_however_the_transaction_ends(sqlite_engine, ending):
    session = new_session(write=True, engine=sqlite_engine)
    try:
        session.execute(text("CREATE TABLE IF NOT EXISTS scratch (n INTEGER)"))
        if ending == "commit":
            session.commit()
        elif ending == "rollback":
            session.rollback()
        elif ending == "error":
            with pytest.raises(Exception):  # noqa: B017 (any database error)
                session.execute(text("INSERT INTO no_such_table VALUES (1)"))
            session.rollback()
    finally:
        session.close()
    with new_session(write=True, engine=sqlite_engine) as second:
        second.execute(text("SELECT 1"))  # would wait 0.5 s and fail if the turn were kept
        second.commit()


def test_readers_do_not_queue_behind_a_writer(sqlite_engine):
    with new_session(write=True, engine=sqlite_engine) as writer:
        writer.execute(text("SELECT 1"))
        with new_session(write=False, engine=sqlite_engine) as reader:
            assert reader.execute(text("SELECT 1")).scalar() == 1
        with new_session(write=True, engine=sqlite_engine) as other, pytest.raises(WriteBusy):
            other.execute(text("SELECT 1"))
        writer.rollback()


def test_sign_in_checks_the_password_without_holding_the_write_turn(sqlite_engine, monkeypatch):
    """argon2 takes ~100 ms by design; no other writer may wait for it."""
    from app.services import accounts
    from tests import factories

    with new_session(write=True, engine=sqlite_engine) as session:
        partnership = factories.make_partnership(session, slug="hash")
        user = factories.make_user(session, partnership, "officer")
        session.commit()
    real = accounts.verify_password
    others: list[str] = []

    def verify_while_another_writes(stored, password):  # noqa: ANN001, ANN202
        with new_session(write=True, engine=sqlite_engine) as other:
            other.execute(text("SELECT 1"))  # WriteBusy after 0.5 s if the sign-in kept the turn
            other.commit()
            others.append("wrote")
        return real(stored, password)

    monkeypatch.setattr(accounts, "verify_password", verify_while_another_writes)
    with new_session(write=True, engine=sqlite_engine) as session:
        result = accounts.sign_in(session, email=user.email, password=factories.PASSWORD, client_ip="192.0.2.1")
        session.commit()
    assert result.user is not None and others == ["wrote"]
