"""The engine, the session and the tenant guard.

Every table that belongs to a partnership inherits ``TenantScoped``. A session is told its
tenant once (``set_tenant``); from then on every ORM query on a tenant table is filtered to
that partnership and every new row is stamped with it. A session with no tenant sees no
tenant rows at all, so forgetting to scope fails closed. Work that must cross partnerships
(signing in by token, the command line) says so explicitly with ``all_tenants``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.sql.lambdas import StatementLambdaElement
from sqlalchemy.sql.util import find_tables
from sqlmodel import Session

from app.config import get_settings
from app.models.base import TenantScoped
from app.write_gate import Turn, WriteGate

TENANT_KEY = "tenant_id"
ALL_TENANTS_KEY = "all_tenants"


class TenantViolation(RuntimeError):
    """A write tried to touch a row of another partnership."""


_GATE_HELD = "write_gate_held"
_PENDING_TURN = "write_turn_pending"


def build_engine(url: str, *, busy_timeout_ms: int = 5000, write_wait_seconds: float = 10.0,
                 pool_size: int = 16) -> Engine:
    """The engine. Its pool is fixed (no overflow): requests wait for a connection on the event
    loop (app.deps), never inside a worker thread, so pool_size is also how many requests work at
    once in a worker process."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            pool_size=pool_size, max_overflow=0,
        )
        gate = WriteGate(timeout=write_wait_seconds)
        engine.write_gate = gate  # type: ignore[attr-defined]  (for tests and the operator's curiosity)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # Let SQLAlchemy, not the driver, decide when a transaction begins (see _begin).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # A write transaction takes the write lock up front (IMMEDIATE). A deferred one that
            # reads and then writes can deadlock on the lock upgrade, and busy_timeout cannot help.
            # Before that, it has its turn among this process's writers (app.write_gate): the one
            # its request was given, or one it waits for here.
            options = conn.get_execution_options()
            mode = options.get("sqlite_begin", "DEFERRED")
            if mode != "IMMEDIATE":
                conn.exec_driver_sql(f"BEGIN {mode}")
                return
            given = options.get("write_turn")
            turn = given if given is not None and given.take() else gate.acquire()
            conn.info[_GATE_HELD] = turn
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                _let_go(conn.info)
                raise

        def _let_go(info: dict) -> None:
            turn = info.pop(_GATE_HELD, None)
            if turn is not None:
                turn.release()

        # The transaction ends here, and the next writer's turn begins only once it has: the
        # driver's COMMIT or ROLLBACK is issued now (SQLAlchemy's own then finds nothing to do),
        # so the next writer never meets this one's lock.
        def _end_then_let_go(conn, how: str) -> None:
            if conn.info.get(_GATE_HELD):
                try:
                    getattr(conn.connection.dbapi_connection, how)()
                finally:
                    _let_go(conn.info)

        event.listen(engine, "commit", lambda conn: _end_then_let_go(conn, "commit"))
        event.listen(engine, "rollback", lambda conn: _end_then_let_go(conn, "rollback"))

        # However a connection comes back to the pool (even invalidated mid-transaction), the
        # turn is never kept.
        def _returned(dbapi_conn, record) -> None:
            if record is not None:
                _let_go(record.info)

        event.listen(engine, "checkin", _returned)
        event.listen(engine, "close", _returned)

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=0)


def pool_capacity(engine: Engine) -> int:
    """How many connections the engine's pool can lend at once (it has no overflow)."""
    return engine.pool.size()


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return build_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms,
                        write_wait_seconds=settings.sqlite_write_wait_seconds, pool_size=settings.pool_size)


def new_session(*, write: bool, engine: Engine | None = None, turn: Turn | None = None) -> Session:
    """A session; a writing one begins its transactions IMMEDIATE on SQLite, with the write turn
    its request already holds (`turn`) or after waiting for one."""
    engine = engine or get_engine()
    if not write:
        return Session(bind=engine, expire_on_commit=False, info={"read_only": True})
    options = {"sqlite_begin": "IMMEDIATE"} | ({"write_turn": turn} if turn is not None else {})
    return Session(bind=engine.execution_options(**options), expire_on_commit=False)


def write_gate(engine: Engine) -> WriteGate | None:
    """The queue of this engine's writers (SQLite), or None where writers need no queue. An engine
    with execution options set (a writing session's) leads back to the engine it copies."""
    return getattr(getattr(engine, "_proxied", engine), "write_gate", None)


def set_tenant(session: Session, partnership_id: int) -> None:
    current = session.info.get(TENANT_KEY)
    if current is not None and current != partnership_id:
        raise TenantViolation("this session already belongs to another partnership")
    session.info[TENANT_KEY] = partnership_id


@contextmanager
def as_tenant(session: Session, partnership_id: int) -> Iterator[Session]:
    """Scope the session to one partnership for the block, then to none again (for work that
    visits each of a person's partnerships in turn, such as their calendar feed)."""
    previous = session.info.get(TENANT_KEY)
    session.info[TENANT_KEY] = partnership_id
    try:
        yield session
    finally:
        session.info[TENANT_KEY] = previous


@contextmanager
def all_tenants(session: Session) -> Iterator[Session]:
    """Lift the tenant filter for the block; for sign-in lookups and operator commands."""
    previous = session.info.get(ALL_TENANTS_KEY, False)
    session.info[ALL_TENANTS_KEY] = True
    try:
        yield session
    finally:
        session.info[ALL_TENANTS_KEY] = previous


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit the session's work when the block succeeds, roll it back on any error, then close."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        release_pending_turn(session)


@contextmanager
def outside_transaction(session: Session) -> Iterator[None]:
    """Run slow work that needs no database (checking a password hash) with no transaction open.

    A SQLite write transaction holds the process's write turn from its first statement; hashing
    inside it would make every other writer wait ~100 ms. What the session read so far is ended
    here (it must have changed nothing yet), and the next statement begins a new transaction.

    That transaction needs the write turn again, and it is waited for here, before the session
    checks out a connection: a transaction waits for its turn only once it holds a connection, so
    a few requests waiting that way could hold every connection the turn's holder needs (found by
    twenty people signing in at once). The turn is handed to the session's next transaction;
    `release_pending_turn` lets it go if none comes."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("outside_transaction() would commit pending changes early")
    session.commit()
    yield
    bind = session.get_bind()
    gate = write_gate(bind) if isinstance(bind, Engine) else None
    if gate is not None and bind.get_execution_options().get("sqlite_begin") == "IMMEDIATE":
        turn = gate.acquire()
        session.info[_PENDING_TURN] = turn
        session.bind = bind.execution_options(write_turn=turn)


def release_pending_turn(session: Session) -> None:
    """Let go of a turn outside_transaction waited for, if no transaction took it over."""
    turn = session.info.pop(_PENDING_TURN, None)
    if turn is not None:
        turn.release()


def session_scope(*, write: bool = True, engine: Engine | None = None):  # noqa: ANN201
    """One unit of work on a new session (the command line's transactions)."""
    return unit_of_work(new_session(write=write, engine=engine))


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    session = state.session
    if session.info.get(ALL_TENANTS_KEY):
        return
    tenant_id = session.info.get(TENANT_KEY)
    if state.is_insert:
        _check_bulk_insert(state, tenant_id)
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    # Fail closed: with no tenant known, no tenant rows are visible. The criteria are lambdas of the
    # entity, so that every alias of a table (aliased(School) joined to School) gets its own
    # condition on its own columns; a plain expression would name the base table for each alias.
    classes = _tenant_classes_named_by(state.statement)
    if not classes:
        return
    if tenant_id is None:
        options = [with_loader_criteria(cls, lambda entity: entity.partnership_id.is_(None), include_aliases=True)
                   for cls in classes]
    else:
        options = [with_loader_criteria(cls, lambda entity: entity.partnership_id == tenant_id, include_aliases=True)
                   for cls in classes]
    state.statement = state.statement.options(*options)


def _tenant_classes_named_by(statement) -> tuple[type, ...]:  # noqa: ANN001
    """The tenant classes whose tables the statement names anywhere (its FROM, joins, columns,
    subqueries, CTEs, aliases). A criterion for a table the statement does not name changes
    nothing, and each costs about 30 µs to build, so a statement is given only its own: one or
    two instead of every tenant table's. A statement that cannot be walked (a lambda statement)
    gets every one, as before."""
    if isinstance(statement, StatementLambdaElement):
        return _tenant_classes()
    by_table = _tenant_class_by_table()
    named = {by_table[t] for t in find_tables(statement, check_columns=True, include_aliases=True,
                                              include_joins=True, include_selects=True, include_crud=True)
             if t in by_table}
    return tuple(sorted(named, key=lambda c: c.__name__))


def _check_bulk_insert(state: ORMExecuteState, tenant_id: int | None) -> None:
    """ORM bulk inserts (session.execute(insert(Model), rows)) skip before_flush: check each row."""
    mapper = state.bind_mapper
    if mapper is None or not issubclass(mapper.class_, TenantScoped):
        return
    params = state.parameters
    rows = params if isinstance(params, list) else [params or {}]
    values = getattr(state.statement, "_values", None) or {}
    for row in rows:
        given = row.get("partnership_id", values.get("partnership_id"))
        if given is None or (tenant_id is not None and given != tenant_id):
            raise TenantViolation(f"bulk insert into {mapper.class_.__name__} must name this session's partnership")


@lru_cache
def _tenant_classes() -> tuple[type, ...]:
    from sqlmodel import SQLModel

    mapped = [m.class_ for m in SQLModel._sa_registry.mappers]
    return tuple(sorted((c for c in mapped if issubclass(c, TenantScoped)), key=lambda c: c.__name__))


@lru_cache
def _tenant_class_by_table() -> dict:
    return {cls.__table__: cls for cls in _tenant_classes()}


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, _ctx, _instances) -> None:
    if session.info.get(ALL_TENANTS_KEY):
        return
    tenant_id = session.info.get(TENANT_KEY)
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if obj.partnership_id is None:
            if tenant_id is None:
                raise TenantViolation(f"cannot create {type(obj).__name__} without a partnership")
            obj.partnership_id = tenant_id
        elif tenant_id is not None and obj.partnership_id != tenant_id:
            raise TenantViolation(f"cannot create {type(obj).__name__} in another partnership")
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, TenantScoped) and tenant_id is not None and obj.partnership_id != tenant_id:
            raise TenantViolation(f"cannot change {type(obj).__name__} of another partnership")


@event.listens_for(Session, "after_flush")
def _audit(session: Session, _ctx) -> None:
    # After the flush, not before: new rows have their ids by now, and each changed attribute's
    # history still says what it was. Every partnership-owned table is audited this way.
    from app.services import audit

    audit.record_flush(session)
