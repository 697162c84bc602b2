"""The year-end review of school-to-school support in the browser (app.services.reports): a year
chooser (a plain GET form), two server-rendered charts (projects by outcome, stacked, by school
type and by kind of support) each with its data table, and the review as CSV or XLSX. Every member
reads it.

The charts are SVG drawn here, with no script and no inline style (the content security policy
allows neither): each outcome has its own fill pattern as well as its colour, its count written on
the bar, a legend, a title per segment and a text alternative, and the tables below say the same in
numbers."""

from dataclasses import dataclass, field
from datetime import date

from fastapi import Path, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.errors import NotFound, ValidationFailed
from app.routing import Router
from app.services import accounts, partnerships, reports, spreadsheets
from app.services.principal import Principal
from app.services.reports import OUTCOME_WORDS, SupportReview, Tally
from app.web.htmx import render
from app.web.security import WebPrincipal

router = Router(tags=["web: reports"])

URL = "/reports/support-review"
TYPES = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

# The chart's drawing: a bar per group, its label to the left and its total to the right.
LABEL_WIDTH, BAR_WIDTH, TOTAL_WIDTH = 300, 400, 60
BAR_HEIGHT, GAP, TOP = 28, 12, 8
MIN_LABELLED = 22  # a segment narrower than this has its count in its title and the table only
# Per outcome: the base colour, and the pattern drawn over it (so that the chart reads without colour).
FILLS = {
    "green": {"colour": "#00703c", "pattern": "solid"},
    "amber": {"colour": "#f47738", "pattern": "stripes"},
    "red": {"colour": "#d4351c", "pattern": "crosshatch"},
    "not_yet_completed": {"colour": "#ffffff", "pattern": "dots"},
}


@dataclass
class Segment:
    outcome: str
    words: str
    count: int
    x: float
    width: float

    @property
    def labelled(self) -> bool:
        return self.width >= MIN_LABELLED

    @property
    def middle(self) -> float:
        return self.x + self.width / 2


@dataclass
class Bar:
    label: str
    total: int
    y: float
    segments: list[Segment] = field(default_factory=list)

    @property
    def words(self) -> str:
        parts = [f"{s.count} {s.words.lower()}" for s in self.segments if s.count]
        return f"{self.label}: {self.total} project{'s' if self.total != 1 else ''}" + (
            f" ({', '.join(parts)})" if parts else "")


@dataclass
class Chart:
    id: str
    title: str
    bars: list[Bar]
    height: float
    width: int = LABEL_WIDTH + BAR_WIDTH + TOTAL_WIDTH
    bar_x: int = LABEL_WIDTH
    total_x: int = LABEL_WIDTH + BAR_WIDTH + 8
    bar_height: int = BAR_HEIGHT

    @property
    def description(self) -> str:
        return ". ".join(bar.words for bar in self.bars) + "."


def chart(chart_id: str, title: str, tallies: list[Tally]) -> Chart:
    """Stacked bars of `tallies` by outcome, all to one scale (the largest group fills the width)."""
    most = max((t.projects for t in tallies), default=0) or 1
    bars = []
    for n, tally in enumerate(tallies):
        bar = Bar(tally.label, tally.projects, TOP + n * (BAR_HEIGHT + GAP))
        x = float(LABEL_WIDTH)
        for outcome, count in tally.outcomes():
            width = BAR_WIDTH * count / most
            bar.segments.append(Segment(outcome, OUTCOME_WORDS[outcome], count, x, width))
            x += width
        bars.append(bar)
    return Chart(chart_id, title, bars, TOP * 2 + len(bars) * (BAR_HEIGHT + GAP) - GAP)


def _year_choices(review: SupportReview | None, current: str) -> list[tuple[str, str]]:
    years = {current, *(review.years if review else [])}
    if review:
        years.add(review.academic_year)
    return [(y, f"{y} (this year)" if y == current else y) for y in sorted(years, reverse=True)]


def _page(request: Request, session: Session, by: Principal, year: str | None) -> Response:
    current = partnerships.current(session, by=by).current_academic_year
    review, errors = None, {}
    try:
        review = reports.support_review(session, year=year or None, by=by)
    except ValidationFailed:
        errors = {"year": f"Choose an academic year from the list, written like {current}"}
    context = {
        "active_nav": "reports", "review": review, "errors": errors, "current_year": current,
        "years": _year_choices(review, current),
        "chosen": review.academic_year if review else year,
        "charts": [chart("chart-school-type", "Projects by outcome and school type",
                         [review.overall, *review.by_school_type]),
                   chart("chart-kind", "Projects by outcome and kind of support",
                         [t for t in review.by_kind if t.projects] or review.by_kind)] if review else [],
        "fills": FILLS, "outcome_words": OUTCOME_WORDS,
        "other_years": [y for y in review.years if y != review.academic_year] if review else [],
        "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else [],
    }
    return render(request, "reports/support_review.html", context, status_code=400 if errors else 200)


@router.get(URL, summary="The year-end review of school-to-school support")
def support_review(request: Request, session: SessionDep, by: WebPrincipal, year: str = "") -> Response:
    """The chosen year's review (default: the current academic year)."""
    return _page(request, session, by, year.strip()[:20])


@router.get(URL + ".{kind}", summary="The support review as CSV or XLSX")
def support_review_download(session: SessionDep, by: WebPrincipal, year: str = "",
                            kind: str = Path(max_length=4)) -> Response:
    """One table: a line per group (all schools, each school type, establishment type and kind of
    support, and the most supported schools), with the counts by outcome and the days."""
    if kind not in TYPES:
        raise NotFound("the review downloads as .csv or .xlsx")
    review = reports.support_review(session, year=year or None, by=by)
    rows = reports.table_rows(review)
    body = (spreadsheets.to_csv(reports.TABLE_HEADER, rows) if kind == "csv"
            else spreadsheets.to_xlsx(f"Support review {review.academic_year.replace('/', '-')}",
                                      reports.TABLE_HEADER, rows))
    name = f"support-review-{by.partnership_slug}-{review.academic_year.replace('/', '-')}-{date.today()}.{kind}"
    return Response(body, media_type=TYPES[kind], headers={"Content-Disposition": f'attachment; filename="{name}"'})
