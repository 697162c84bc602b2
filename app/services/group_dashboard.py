"""A group's dashboard "as if one school" (seed 004): each indicator of the year, weighted by the
schools' pupils (School.pupils), beside the partnership's figure worked out the same way and the
national figure; the group's current red flags and its support deployments that year; its
targets with their progress and its stage on the route map.

A school is never silently dropped from a figure: one without that year's figure, or without a
pupil number to weigh it by, is named beside the figure with the reason. An empty group is a
dashboard of nulls. A fixed number of statements, whatever the group's size."""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select
from sqlmodel import Session

from app.errors import BadRequest, FieldError
from app.models.flag import NationalFigure
from app.models.group import SchoolGroupMember
from app.models.indicator import KNOWN_MEASURES, Indicator
from app.models.school import School
from app.models.support import SupportDeployment
from app.models.types import academic_year_problem
from app.services import flag_cache, flags, group_route_map, groups, partnerships, permissions
from app.services.flag_types import Flag
from app.services.groups import GroupView
from app.services.principal import Principal

# Markers and counts the red-flag rules read, which a group has no figure of "as if one school"
# (a pupil-weighted acting head or roll means nothing): left off the dashboard.
NOT_WEIGHTED = frozenset({"roll", "budget_balance", "governor_vacancies", "acting_head", "senior_staff_changes",
                          "building_condition", "warning_notice", "ieb"})
NO_FIGURE, NO_PUPILS = "no_figure", "no_pupils"


@dataclass
class LeftOut:
    urn: str
    name: str
    reason: str
    words: str


@dataclass
class FigureRow:
    measure: str
    group: float | None = None
    schools_counted: int = 0
    pupils_counted: int = 0
    left_out: list[LeftOut] = field(default_factory=list)
    partnership: float | None = None
    partnership_schools_counted: int = 0
    partnership_schools_left_out: int = 0
    national: float | None = None
    national_source: str | None = None


@dataclass
class Member:
    id: int
    urn: str
    name: str
    pupils: int | None
    added_on: date


@dataclass
class FlaggedMember:
    member: Member
    flag: Flag


@dataclass
class Dashboard:
    view: GroupView
    academic_year: str
    members: list[Member]
    figures: list[FigureRow]
    flags: list[FlaggedMember]
    flags_of_every_school: bool
    support: list  # rows of (deployment columns, urn, name)
    route_map: list[str]

    @property
    def pupils(self) -> int:
        return sum(m.pupils for m in self.members if m.pupils)

    def flag_count(self, severity: str) -> int:
        return sum(1 for f in self.flags if f.flag.severity == severity)


def weighted(values: list[tuple[float, int | None]]) -> tuple[float | None, int, int]:
    """The pupil-weighted mean of (figure, pupils) pairs that have pupils, with how many schools and
    pupils it counts. 50 at 100 pupils and 70 at 300 make 65."""
    counted = [(v, p) for v, p in values if p]
    pupils = sum(p for _, p in counted)
    if not pupils:
        return None, 0, 0
    return round(sum(v * p for v, p in counted) / pupils, 2), len(counted), pupils


def _order(measure: str) -> tuple[int, str]:
    return (KNOWN_MEASURES.index(measure) if measure in KNOWN_MEASURES else len(KNOWN_MEASURES), measure)


def check_year(year: str) -> None:
    problem = academic_year_problem(year)
    if problem is not None:
        raise BadRequest(problem, errors=[FieldError("year", problem, "query")])


def _members(session: Session, group_id: int) -> list[Member]:
    rows = session.execute(select(School.id, School.urn, School.name, School.pupils, SchoolGroupMember.added_on)
                           .join(SchoolGroupMember, SchoolGroupMember.school_id == School.id)
                           .where(SchoolGroupMember.group_id == group_id).order_by(School.name, School.urn)).all()
    return [Member(*row) for row in rows]


def _group_figures(session: Session, group_id: int, year: str, partnership_id: int) -> dict[int, dict[str, float]]:
    """Each member's figures of the year, by school id and measure: of two sources for one year, the
    one recorded last (then entered last) stands, as the red-flag rules read them.

    A Core statement naming its partnership itself (as app.services.flag_data's reads do), written
    `partnership_id + 0 = ?` on the figures: SQLite, without statistics, otherwise read every figure
    of the partnership through its index to find the few schools' (the group's members lead here)."""
    member, figure = SchoolGroupMember.__table__.c, Indicator.__table__.c
    stmt = (select(figure.school_id, figure.measure, figure.value)
            .select_from(SchoolGroupMember.__table__.join(Indicator.__table__, figure.school_id == member.school_id))
            .where(member.partnership_id == partnership_id, member.group_id == group_id,
                   (figure.partnership_id + 0) == partnership_id, figure.academic_year == year,
                   figure.measure.not_in(sorted(NOT_WEIGHTED)))
            .order_by(figure.school_id, figure.measure, figure.recorded_on, figure.id))
    rows = session.connection().execute(stmt).all()
    found: dict[int, dict[str, float]] = {}
    for school_id, measure, value in rows:
        found.setdefault(school_id, {})[measure] = value  # the last in order stands
    return found


def _latest_year(session: Session, group_id: int, partnership_id: int, current: str) -> str:
    """The year a dashboard opens on: the latest, not after the current academic year, in which one
    of the group's schools has a figure (results come a year behind: in the autumn, last year's
    are the newest), or the current year when none has (an empty group, a group of new schools).
    Read from the members, as _group_figures reads, never across the partnership's figures."""
    member, figure = SchoolGroupMember.__table__.c, Indicator.__table__.c
    latest = session.connection().scalar(
        select(func.max(figure.academic_year))
        .select_from(SchoolGroupMember.__table__.join(Indicator.__table__, figure.school_id == member.school_id))
        .where(member.partnership_id == partnership_id, member.group_id == group_id,
               (figure.partnership_id + 0) == partnership_id, figure.academic_year <= current,
               figure.measure.not_in(sorted(NOT_WEIGHTED))))
    return latest or current


# The partnership's own figures of a year, kept while nothing they are worked out from has changed:
# the schools (their pupils) and their figures both move the partnership's flag stamp
# (app.models.flag.FlagStamp), so the stamp is the key, as app.services.flag_cache keeps the red-flag
# list's order by it. At national size working them out reads every school's figures of the year.
_KEPT_MAX = 64
_kept: OrderedDict[tuple[int, str], tuple[int, float, dict]] = OrderedDict()
_kept_lock = threading.Lock()


def clear_kept() -> None:
    with _kept_lock:
        _kept.clear()


def _partnership_figures_kept(session: Session, partnership_id: int,
                              year: str) -> dict[str, tuple[float | None, int, int]]:
    """_partnership_figures, kept by the partnership's flag stamp for sessions that read committed
    data only (flag_cache.usable: a writing session could see a stamp its own change moved)."""
    if not flag_cache.usable(session):
        return _partnership_figures(session, year)
    stamp = flag_cache.stamp(session, partnership_id)  # read before the data
    key = (partnership_id, year)
    with _kept_lock:
        held = _kept.get(key)
    if held is not None and held[0] == stamp and time.monotonic() - held[1] <= flag_cache.KEEP_FOR_SECONDS:
        return held[2]
    found = _partnership_figures(session, year)
    with _kept_lock:
        held = _kept.get(key)
        if held is None or held[0] <= stamp:
            _kept[key] = (stamp, time.monotonic(), found)
            _kept.move_to_end(key)
        while len(_kept) > _KEPT_MAX:
            _kept.popitem(last=False)
    return found


def _partnership_figures(session: Session, year: str) -> dict[str, tuple[float | None, int, int]]:
    """The partnership as if one school, by measure: (weighted figure, schools counted, schools with
    the figure but no pupil number). One statement; the year's figures ranked within each school."""
    ranked = (select(Indicator.school_id, Indicator.measure, Indicator.value,
                     func.row_number().over(partition_by=(Indicator.school_id, Indicator.measure),
                                            order_by=(Indicator.recorded_on.desc(), Indicator.id.desc()))
                     .label("rank"))
              .where(Indicator.academic_year == year, Indicator.measure.not_in(sorted(NOT_WEIGHTED))).subquery())
    weighs = School.pupils > 0
    rows = session.execute(
        select(ranked.c.measure,
               func.sum(case((weighs, ranked.c.value * School.pupils), else_=0)),
               func.sum(case((weighs, School.pupils), else_=0)),
               func.sum(case((weighs, 1), else_=0)),
               func.count())
        .join(School, School.id == ranked.c.school_id).where(ranked.c.rank == 1)
        .group_by(ranked.c.measure)).all()
    return {measure: (round(total / pupils, 2) if pupils else None, int(counted or 0), int(everyone - (counted or 0)))
            for measure, total, pupils, counted, everyone in rows}


def _nationals(session: Session, year: str) -> dict[str, tuple[float, str]]:
    rows = session.execute(select(NationalFigure.measure, NationalFigure.value, NationalFigure.source)
                           .where(NationalFigure.academic_year == year).order_by(NationalFigure.id)).all()
    return {measure: (value, source) for measure, value, source in rows}  # the last entered stands


def _support(session: Session, group_id: int, year: str) -> list:
    sd = SupportDeployment
    return list(session.execute(
        select(sd.id, School.urn, School.name, sd.provider_kind, sd.provider_name, sd.objective, sd.days_planned,
               sd.days_delivered, sd.outcome)
        .select_from(SchoolGroupMember)
        .join(sd, sd.school_id == SchoolGroupMember.school_id).join(School, School.id == sd.school_id)
        .where(SchoolGroupMember.group_id == group_id, sd.academic_year == year).order_by(School.name, sd.id)).all())


def figure_rows(members: list[Member], figures: dict[int, dict[str, float]], year: str,
                partnership: dict[str, tuple[float | None, int, int]],
                nationals: dict[str, tuple[float, str]]) -> list[FigureRow]:
    """One row per measure that the group or the partnership has a figure of that year."""
    measures = {m for values in figures.values() for m in values} | set(partnership)
    rows = []
    for measure in sorted(measures, key=_order):
        row = FigureRow(measure)
        pairs = []
        for member in members:
            value = figures.get(member.id, {}).get(measure)
            if value is None:
                row.left_out.append(LeftOut(member.urn, member.name, NO_FIGURE, f"no {measure} figure for {year}"))
            elif not member.pupils:
                row.left_out.append(LeftOut(member.urn, member.name, NO_PUPILS,
                                            "no pupil number on the register, so nothing to weigh the figure by"))
            else:
                pairs.append((value, member.pupils))
        row.group, row.schools_counted, row.pupils_counted = weighted(pairs)
        if measure in partnership:
            row.partnership, row.partnership_schools_counted, row.partnership_schools_left_out = partnership[measure]
        if measure in nationals:
            row.national, row.national_source = nationals[measure]
        rows.append(row)
    return rows


def dashboard(session: Session, group_id: int, *, year: str | None = None, by: Principal,
              today: date | None = None) -> Dashboard:
    """The group's dashboard for an academic year (by default the latest in which its schools have
    figures, up to the partnership's current year: _latest_year)."""
    view = groups.view(session, group_id, by=by)
    members = _members(session, group_id)
    if year is None:
        year = _latest_year(session, group_id, by.partnership_id,
                            partnerships.current(session, by=by).current_academic_year)
    check_year(year)
    found = flags.current(session, by=by, school_ids=[m.id for m in members], today=today) if members else {}
    by_id = {m.id: m for m in members}
    flagged = [FlaggedMember(by_id[school_id], flag) for school_id, school_flags in found.items()
               for flag in school_flags]
    flagged.sort(key=lambda f: (f.flag.severity != "red", f.member.name, f.flag.category, f.flag.rule))
    return Dashboard(
        view=view, academic_year=year, members=members,
        figures=figure_rows(members, _group_figures(session, group_id, year, by.partnership_id), year,
                            _partnership_figures_kept(session, by.partnership_id, year),
                            _nationals(session, year)),
        flags=flagged, flags_of_every_school=permissions.sees_every_flag(by),
        support=_support(session, group_id, year), route_map=group_route_map.route_map(session))
