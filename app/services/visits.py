"""Visit records of every kind: find, page, create, change and remove them, each behind the role
rules of app.services.permissions. The workflow (status changes) is in visit_workflow.py, the
rules a record's fields must keep in visit_rules.py, the agreed actions in visit_actions.py.

A visit the caller may not read is 404 (as another partnership's is); one they may read but not
change is 403; a signed-off record refuses every change but reopening with 409."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select
from sqlmodel import Session

from app.errors import BadRequest, Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from app.models.collaborative import Triad, TriadSchool
from app.models.school import School
from app.models.visit import (
    SchoolVisitCreate,
    TriadVisit,
    TriadVisitCreate,
    VisitAction,
    VisitKind,
    VisitStatus,
    VisitUpdate,
)
from app.services import concurrency, partnerships, permissions, visit_rules, visit_workflow
from app.services.concurrency import require_match
from app.services.paging import SortKey, apply_keyset, clamp_limit, decode_cursor, encode_cursor
from app.services.principal import Principal, bind

DEFAULT_LIMIT = 50
# Newest first; the cursor carries the date as ISO text.
SORT = "-visit_date"
KIND_CHOICES = [k.value for k in VisitKind]
STATUS_CHOICES = [s.value for s in VisitStatus]


@dataclass
class VisitView:
    """A visit with what the faces show beside it: the host school, its triad's collaborative (for
    the role rules), its agreed actions and the partnership's grade labels."""

    visit: TriadVisit
    urn: str
    school_name: str
    collaborative_id: int | None
    actions: list[VisitAction] = field(default_factory=list)
    grade_labels: list[str] = field(default_factory=list)
    triad_name: str | None = None  # the triad's, for a triad's review (read with the visit)

    @property
    def grade_label(self) -> str | None:
        grade = self.visit.grade
        if grade is None or not 1 <= grade <= len(self.grade_labels):
            return None
        return self.grade_labels[grade - 1]


@dataclass
class VisitFilters:
    kind: list[str] = field(default_factory=list)
    urn: list[str] = field(default_factory=list)
    academic_year: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    triad_id: list[int] = field(default_factory=list)


@dataclass
class VisitPageResult:
    views: list[VisitView]
    total: int
    limit: int
    next_cursor: str | None


def _labels(session: Session, by: Principal) -> list[str]:
    return list(partnerships.current(session, by=by).grade_labels)


# --- reading ------------------------------------------------------------------------------------


def _load(session: Session, visit_id: int, by: Principal) -> VisitView | None:
    """The visit, its host, its triad (name and collaborative) and its actions, in one query."""
    rows = session.execute(
        select(TriadVisit, School.urn, School.name, Triad.collaborative_id, VisitAction, Triad.name)
        .join(School, School.id == TriadVisit.school_id)
        .outerjoin(Triad, Triad.id == TriadVisit.triad_id)
        .outerjoin(VisitAction, VisitAction.visit_id == TriadVisit.id)
        .where(TriadVisit.id == visit_id)
        .order_by(VisitAction.id)
    ).all()
    if not rows:
        return None
    visit, urn, name, collaborative_id, _, triad_name = rows[0]
    actions = [row[4] for row in rows if row[4] is not None]
    return VisitView(visit, urn, name, collaborative_id, actions, _labels(session, by), triad_name)


def get(session: Session, visit_id: int, *, by: Principal) -> VisitView:
    """A visit the caller may read, with its actions; 404 otherwise (also for other partnerships)."""
    bind(session, by)
    by.require_read()
    view = _load(session, visit_id, by)
    if view is None or not permissions.can_read_visit(permissions.visit_scope(session, by), view.visit,
                                                      view.collaborative_id):
        raise NotFound(f"no visit record {visit_id} in this partnership")
    return view


def require_edit(by: Principal, view: VisitView) -> None:
    """403 unless the caller may change this record (a headteacher only while it is not signed off)."""
    if not permissions.can_edit_visit(by, view.visit, view.collaborative_id):
        closed = " once it is signed off" if view.visit.status == VisitStatus.signed_off.value else ""
        raise Forbidden(f"you cannot change this visit record{closed}")


def refuse_signed_off(status: str) -> None:
    if status == VisitStatus.signed_off.value:
        raise Conflict("the visit record is signed off, so it cannot be changed; reopen it first "
                       "(status `submitted` with a reason)",
                       errors=[FieldError("status", "signed off: reopen the record to change it")])


def _collaborative_of_visit():  # noqa: ANN202
    return select(Triad.collaborative_id).where(Triad.id == TriadVisit.triad_id).scalar_subquery()


def _year_range(year: str) -> tuple[date, date]:
    start = int(year[:4])
    return date(start, 9, 1), date(start + 1, 8, 31)


def _filtered(stmt, filters: VisitFilters, scope: permissions.VisitScope):  # noqa: ANN001, ANN202
    stmt = stmt.where(permissions.readable_visits(scope, _collaborative_of_visit()))
    if filters.kind:
        stmt = stmt.where(TriadVisit.kind.in_(filters.kind))
    if filters.status:
        stmt = stmt.where(TriadVisit.status.in_(filters.status))
    if filters.triad_id:
        stmt = stmt.where(TriadVisit.triad_id.in_(filters.triad_id))
    if filters.urn:
        stmt = stmt.where(TriadVisit.school_id.in_(select(School.id).where(School.urn.in_(filters.urn))))
    if filters.academic_year:
        # A year is a range of dates, so that the list reads the (partnership, date) index in order.
        stmt = stmt.where(or_(*(TriadVisit.visit_date.between(*_year_range(y)) for y in filters.academic_year)))
    return stmt


def _check_filters(filters: VisitFilters) -> None:
    for name, values, choices in (("kind", filters.kind, KIND_CHOICES), ("status", filters.status, STATUS_CHOICES)):
        bad = [v for v in values if v not in choices]
        if bad:
            message = f"unknown {name} {bad[0]!r}; use one of: {', '.join(choices)}"
            raise BadRequest(message, errors=[FieldError(name, message, "query")])


def _after(cursor: str) -> tuple[date, int]:
    value, row_id = decode_cursor(cursor, SORT, str)
    try:
        return date.fromisoformat(value), row_id
    except ValueError:
        message = "the cursor is not one this service issued"
        raise BadRequest(message, errors=[FieldError("cursor", message, "query")]) from None


def page(session: Session, filters: VisitFilters, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None,
         by: Principal) -> VisitPageResult:
    """A page of the visits the caller may read, newest first, each with its actions; a constant
    number of queries whatever the page's size."""
    bind(session, by)
    by.require_read()
    _check_filters(filters)
    limit = clamp_limit(limit)
    key = SortKey(SORT, TriadVisit.visit_date, True, str)
    after = _after(cursor) if cursor else None
    scope = permissions.visit_scope(session, by)

    total = session.scalar(_filtered(select(func.count(TriadVisit.id)), filters, scope)) or 0
    stmt = _filtered(select(TriadVisit, School.urn, School.name).join(School, School.id == TriadVisit.school_id),
                     filters, scope)
    rows = session.execute(apply_keyset(stmt, key, TriadVisit.id, after).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = encode_cursor(SORT, last.visit_date.isoformat(), last.id)
    rows = rows[:limit]

    actions: dict[int, list[VisitAction]] = {}
    if rows:
        ids = [row[0].id for row in rows]
        for action in session.scalars(select(VisitAction).where(VisitAction.visit_id.in_(ids))
                                      .order_by(VisitAction.visit_id, VisitAction.id)):
            actions.setdefault(action.visit_id, []).append(action)
    labels = _labels(session, by) if rows else []
    # The list shows no collaborative: it is needed only to decide a change, which loads the visit.
    views = [VisitView(visit, urn, name, None, actions.get(visit.id, []), labels) for visit, urn, name in rows]
    return VisitPageResult(views, total, limit, next_cursor)


# --- writing ------------------------------------------------------------------------------------


def _new_visit(session: Session, *, kind: VisitKind, host: School, triad: Triad | None,
               data: TriadVisitCreate | SchoolVisitCreate, by: Principal) -> TriadVisit:
    visit = TriadVisit(kind=kind.value, triad_id=triad.id if triad else None, school_id=host.id,
                       status=VisitStatus.draft.value, updated_by=by.label)
    changes = {name: getattr(data, name) for name in visit_rules.EDITABLE}
    if changes["focus_areas"] is None:
        changes["focus_areas"] = visit_rules.default_focus_areas(kind)
    visit_rules.apply(session, visit, changes, triad_year=triad.academic_year if triad else None, by=by)
    session.add(visit)
    session.flush()
    return visit


def get_triad(session: Session, triad_id: int, *, by: Principal) -> Triad:
    """The triad whose visits are asked for (every member may see the triads), or 404."""
    bind(session, by)
    by.require_read()
    # A query, not session.get: that would answer from the identity map, past the tenant filter.
    triad = session.scalars(select(Triad).where(Triad.id == triad_id)).first()
    if triad is None:
        raise NotFound(f"no triad {triad_id} in this partnership")
    return triad


def create_for_triad(session: Session, triad_id: int, data: TriadVisitCreate, *, by: Principal) -> VisitView:
    """Record a triad's peer review, hosted by one of its schools (a draft)."""
    triad = get_triad(session, triad_id, by=by)
    host = session.scalars(select(School).where(School.urn == data.urn)).first()
    if host is None:
        raise ValidationFailed([FieldError("urn", f"no school with URN {data.urn} in this partnership")])
    member = session.scalar(select(TriadSchool.id).where(TriadSchool.triad_id == triad.id,
                                                         TriadSchool.school_id == host.id))
    if member is None:
        raise ValidationFailed([FieldError("urn", f"{host.name} is not a member of the triad {triad.name}")])
    if not permissions.can_create_visit(by, school_id=host.id, collaborative_id=triad.collaborative_id):
        raise Forbidden("you cannot record visits for this school in this triad")
    visit = _new_visit(session, kind=VisitKind.triad_review, host=host, triad=triad, data=data, by=by)
    return VisitView(visit, host.urn, host.name, triad.collaborative_id, [], _labels(session, by), triad.name)


def create_for_school(session: Session, school: School, data: SchoolVisitCreate, *, by: Principal) -> VisitView:
    """Record a visit that is not a triad's: a support partner's, or a governing body's peer review."""
    bind(session, by)
    by.require_read()
    if not permissions.can_create_visit(by, school_id=school.id, collaborative_id=None):
        raise Forbidden("you cannot record visits to this school")
    visit = _new_visit(session, kind=VisitKind(data.kind.value), host=school, triad=None, data=data, by=by)
    return VisitView(visit, school.urn, school.name, None, [], _labels(session, by))


def update(session: Session, visit_id: int, data: VisitUpdate, *, if_match: str | None,
           by: Principal) -> VisitView:
    """Change some fields of a visit record, or move it through its workflow (`status`, on its own)."""
    view = get(session, visit_id, by=by)
    visit = view.visit
    require_edit(by, view)
    require_match(if_match, visit.version, what="visit record")
    changes = {name: getattr(data, name) for name in data.model_fields_set}
    status, reason = changes.pop("status", None), changes.pop("reason", None)
    if status is not None and status.value == visit.status:
        status = None  # already there: not a change of status
    if status is not None and changes:
        raise ValidationFailed([FieldError("status", "change the status on its own, without other changes")])
    if status is not None:
        visit_workflow.transition(session, view, VisitStatus(status), reason=reason, by=by)
        return view
    refuse_signed_off(visit.status)
    if reason is not None:
        raise ValidationFailed([FieldError("reason", "a reason is given only to reopen a signed-off record")])
    triad_year = None
    if visit.triad_id is not None and "visit_date" in changes:
        triad_year = session.scalar(select(Triad.academic_year).where(Triad.id == visit.triad_id))
    visit_rules.apply(session, visit, changes, triad_year=triad_year, by=by)
    if session.is_modified(visit):
        visit.touch(by.label)
        concurrency.flush(session, what="visit record")
    return view


def delete(session: Session, visit_id: int, *, if_match: str | None, by: Principal) -> None:
    """Remove a visit record and its actions: an officer, until it is signed off; whoever may edit
    it, while it is a draft."""
    view = get(session, visit_id, by=by)
    visit = view.visit
    require_edit(by, view)
    require_match(if_match, visit.version, what="visit record")
    refuse_signed_off(visit.status)
    if visit.status != VisitStatus.draft.value and not permissions.manages(by):
        raise Forbidden("only an officer can delete a visit record once it is submitted")
    # Deleted one by one, not left to the database's cascade, so that each is audited.
    for action in view.actions:
        session.delete(action)
    concurrency.flush(session, what="visit record")
    session.delete(visit)
    concurrency.flush(session, what="visit record")

