"""Northfield's School Performance Clinic, for the demo partnership (app.services.demo): the figures
the red-flag rules read, for every school and for England (drawn by app.services.demo_figures); a
clinic chair and a member; last term's clinic, opened, minuted and approved, with its actions (some
open and overdue, some done) and targets; and the next clinic, planned. As fictional as the rest of
the demo.

The figures are drawn for each school from what is known of it already (its Ofsted history, its
head, its triad review: the flags those raise before any figure exists), so that they agree with
the rest of its record, and the LA's categories are reviewed from the same record; the rules then
raise a believable mix: some schools red, more amber, most none (Northfield counts a head as new
for a year, not the rule's default two). Seed 003's clinic reads "provision data, census,
financial profile, governor vacancies and changes, exclusions, attendance", with national figures
beside them: the last two years' results and attendance, three censuses' rolls, two budget
outturns and this year's forecast, and this year's governors, staffing, buildings and
interventions.

Everything goes through the services, done by whoever would do it: the officer loads the figures
(app.services.indicators_bulk), plans and opens the clinic (its agenda is generated from the flags
as they stand) and writes the explanations; the member takes the minutes and records the actions
and targets; the chair approves the minutes, which locks the clinic and plans the next meeting;
since then the officer has closed the actions done, moved the LA category the clinic agreed, and
fixed the next meeting's day. The rules apply, and the audit trail reads as the term would have
(except that the past clinic was opened today, so its agenda holds today's flags).
"""

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session

from app.db import all_tenants
from app.models.account import Role, User
from app.models.clinic import Clinic, ClinicAgendaItem, ClinicStatus
from app.models.clinic_api import (
    AgendaItemUpdate,
    ClinicActionCreate,
    ClinicActionUpdate,
    ClinicCreate,
    ClinicUpdate,
    TargetCreate,
)
from app.models.flag_api import FlagRuleUpdate
from app.models.partnership import Partnership
from app.models.school import SchoolUpdate
from app.services import (
    accounts,
    clinic_actions,
    clinic_agenda,
    clinics,
    demo_figures,
    flag_settings,
    partnerships,
)
from app.services import schools as school_register
from app.services.concurrency import etag
from app.services.demo_figures import FLAGSHIP_RULES
from app.services.demo_triads import EMAIL_DOMAIN, DemoAccount
from app.services.partnerships import previous_year
from app.services.principal import Principal

NEW_HEAD_MONTHS = 12
CLINIC = "School Performance Clinic"

# The clinic's members (seed 003: the Leader of the Council chairs; scrutiny members challenge) and
# the officers who report to it. Invented names.
COUNCILLORS = [("Margaret", "Penhaligon"), ("Idris", "Llewellyn"), ("Shabnam", "Qureshi"), ("Geoffrey", "Tolland"),
               ("Bernadette", "Fallowfield"), ("Kwabena", "Osei")]
OFFICERS = ["Alison Marwood", "Dev Raichura", "Fiona Gallacher", "Hugh Penberthy", "Joanna Whitlock",
            "Martin Ekwueme", "Rosalind Tate", "Suresh Balakrishnan"]
# Schools beyond Northfield that support its schools, by phase, and headteachers who lead one while
# leading another for a time (an interim executive head).
PARTNERS = {"primary": ["Kingfisher Primary School, Eastmere", "Brook Meadow Primary School, Hollinsby"],
            "other": ["Orchard Vale Academy, Eastmere", "Hollinsby Park School"]}
EXECUTIVE_HEADS = ["Mrs Lorna Achterberg", "Mr Tobias Wrenfield", "Dr Nadia Karimova"]


@dataclass
class ClinicYear:
    """What was made: the chair's and member's accounts, and a line for the credentials file."""

    accounts: list[DemoAccount] = field(default_factory=list)
    figures: int = 0
    national_figures: int = 0
    summary: str = ""



# --- the people -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Member:
    user: User
    by: Principal
    account: DemoAccount
    title: str


def _member(session: Session, partnership: Partnership, given: str, family: str, role: Role, title: str) -> _Member:
    name = f"Cllr {given} {family}"
    email, n = f"cllr.{family.lower()}@{EMAIL_DOMAIN}", 1
    with all_tenants(session):
        while accounts.find_user(session, email) is not None:
            n += 1
            email = f"cllr.{family.lower()}{n}@{EMAIL_DOMAIN}"
        password = secrets.token_urlsafe(12)
        user = accounts.create_user(session, email=email, name=name, password=password)
        accounts.grant(session, user, partnership, role.value)
    by = accounts.principal_for(session, user, partnership.id)
    return _Member(user, by, DemoAccount(role.value.replace("_", " "), CLINIC, name, email, password), title)


# --- the meetings -----------------------------------------------------------------------------------

def _third_thursday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 14)


def _last_meeting(cadence: list[dict], today: date) -> tuple[dict, date]:
    """The cadence's latest meeting at least a fortnight ago (held on its month's third Thursday)."""
    held = [(_third_thursday(year, m["month"]), m) for year in range(today.year - 2, today.year + 1) for m in cadence]
    day, meeting = max(((d, m) for d, m in held if d <= today - timedelta(days=14)), key=lambda pair: pair[0])
    return meeting, day


def _next_day(planned: date, today: date) -> date:
    """The third Thursday of the planned meeting's month; a week on if that has gone already."""
    day = _third_thursday(planned.year, planned.month)
    if day <= today:
        day = today + timedelta(days=7 + (3 - today.weekday()) % 7)
    return day


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


# Explanations (the officer's note on the agenda) and minutes, by the rule that puts a school on the agenda.
NOTES = {
    "flagship": (
        "{reason}. The governing body was replaced by an interim executive board in {ieb_month}; an interim "
        "executive head, {exec_head} (headteacher of {partner}), has led the school three days a week since "
        "{head_month}. HMI monitoring visit expected this half term. The post-inspection action plan was judged "
        "fit for purpose; safeguarding records and early reading are its first priorities.",
        "{adviser} summarised the action plan and the IEB's first meetings. {member} asked whether the interim "
        "arrangement would last until the monitoring visit: the executive head is committed to the end of the "
        "academic year and a deputy from {partner} covers the other two days. The chair asked what HMI will see on "
        "attendance and behaviour: the IEB looks at both at every meeting, with the attendance officer. Agreed: the "
        "adviser to keep weekly contact until the monitoring visit; a plan for the return to a governing body; "
        "the visit's outcome to the next clinic; a target for the monitoring visits (below).",
    ),
    "warning_notice": (
        "{reason}. The notice was issued over standards and the governors' slow response to the last "
        "inspection; the governors replied within the fifteen working days with an action plan.",
        "The chair asked whether the notice's conditions are being met: two of the four so far. {member} asked "
        "what happens if they are not: the LA would consider an interim executive board. Agreed: the adviser to "
        "check the conditions each month and report to the next clinic.",
    ),
    "ofsted": (
        "{reason}. The school has a post-inspection action plan and the LA has brokered support for leadership "
        "and the curriculum from {partner}. A monitoring visit is expected within the year.",
        "{adviser} reported that the safeguarding actions are all closed. The chair asked for evidence that the "
        "curriculum is improving: the subject reviews are not due until the spring. Agreed: support from "
        "{partner} to continue; the adviser to report the monitoring visit's outcome.",
    ),
    "ofsted_below_good_again": (
        "{reason}. Leadership has changed twice since the first of those inspections. The LA has commissioned a "
        "national leader of education to support the headteacher for two terms.",
        "{member} asked why earlier support had not secured a good judgement: leadership changed twice during "
        "it. The chair asked that the support be judged on pupils' work, not on plans. Agreed: the adviser's "
        "review of books and lessons with the NLE in the spring term, reported to the clinic.",
    ),
    "budget_deficit": (
        "{reason}. The school has drawn up a recovery plan with its finance advisers. The deficit follows falling "
        "numbers in the younger year groups and two years of staffing costs above the benchmark; a restructure "
        "of support staff has gone to consultation.",
        "The schools finance manager reported that the draft recovery plan balances the budget within three "
        "years if the restructure goes ahead. {member} challenged whether it protects SEND provision; the head "
        "has confirmed no cut to SEN support hours. Agreed: the recovery plan to be agreed by the governors "
        "and reported to the clinic.",
    ),
    "attainment_below_floor": (
        "{reason}. A third of the cohort were on the SEND register and Year 6 had long-term supply teachers for "
        "two terms. The school's own assessments predict 58% for this year's Year 6.",
        "The chair asked how secure the predictions are: {adviser} moderated writing last term and found about "
        "one book in five judged generously. Agreed: the triad's next review to look at Year 6 writing; the "
        "adviser to moderate the spring predictions.",
    ),
    "progress_below_floor": (
        "{reason}. Weakest in mathematics and the open subjects; English close to the national figure. The "
        "trust has appointed a specialist leader of mathematics shared with another of its academies.",
        "{member} asked what the council can do for an academy: the trust's director of education attended and "
        "agreed to share its termly data with the adviser. Agreed: the trust's improvement plan to come to the "
        "next clinic.",
    ),
    "governor_vacancies": (
        "{reason}, the chair's post among them since the summer. Governor services have advertised and two "
        "candidates are to be interviewed.",
        "The chair asked whether the governing body is quorate: it is, just. Agreed: the LA to appoint an "
        "additional governor with experience of school finance.",
    ),
    "attendance": (
        "{reason}. Most persistent absentees are in the older year groups and a third are disadvantaged; the "
        "attendance officer and the school's family support worker have begun home visits.",
        "{member} asked whether penalty notices are used: a few, after meetings with families. Agreed: a "
        "targeted audit of persistent absentees, reported to the next clinic.",
    ),
    "default": (
        "{reason}. {adviser} has no wider concern and will look at it at the school's next triad review.",
        "Noted. No action beyond the adviser's visit.",
    ),
}
NOTE_FOR = {"governance_intervention": "flagship", "ofsted_inadequate": "ofsted", "ofsted_report_card": "ofsted",
            "absence_high": "attendance", "persistent_absence_high": "attendance"}
LEAD_ORDER = ("governance_intervention", "ofsted_inadequate", "ofsted_report_card", "ofsted_below_good_again",
              "budget_deficit", "attainment_below_floor", "progress_below_floor", "governor_vacancies",
              "persistent_absence_high", "absence_high")


def _notes(item: ClinicAgendaItem) -> list[tuple[str, dict]]:
    """The notes that would fit an item, best first, each with the flag whose reason it starts with:
    for the school with an interim executive board, its worst Ofsted flag's reason."""
    found = {f["rule"]: f for f in item.snapshot.get("flags", [])}
    fitting = []
    for rule in LEAD_ORDER:
        flag = found.get(rule)
        if flag is None:
            continue
        if rule == "governance_intervention":
            measures = {f.get("measure") for f in flag.get("evidence", {}).get("figures", [])}
            if "ieb" in measures:
                ofsted = [found[r] for r in FLAGSHIP_RULES if r in found]
                fitting.append(("flagship", ofsted[0] if ofsted else flag))
            else:
                fitting.append(("warning_notice", flag))
        else:
            fitting.append((NOTE_FOR.get(rule, rule), flag))
    return fitting or [("default", next(iter(found.values()), {"reason": "On the agenda"}))]


def _with(item: ClinicAgendaItem, *rules: str) -> bool:
    return any(f["rule"] in rules for f in item.snapshot.get("flags", []))


@dataclass
class _Clinic:
    """What the past clinic's writing shares."""

    session: Session
    rng: random.Random
    clinic: Clinic
    officer: Principal
    chair: _Member
    member: _Member
    advisers: dict[str, str]  # by "primary" and "other"
    phases: dict[str, str]  # each school's phase, by URN
    today: date
    upcoming: date

    def kind(self, item: ClinicAgendaItem | None) -> str:
        phase = self.phases.get(item.snapshot.get("urn")) if item is not None else None
        return "primary" if phase in ("primary", "infant", "junior", "nursery") else "other"

    def write(self, item: ClinicAgendaItem, explanation: str | None, minutes: str | None) -> None:
        """The officer's explanation, then the member's minutes."""
        if explanation:
            item = clinic_agenda.update(self.session, self.clinic.id, item.id,
                                        AgendaItemUpdate(explanation=explanation), if_match=etag(item.version),
                                        by=self.officer)
        if minutes:
            clinic_agenda.update(self.session, self.clinic.id, item.id, AgendaItemUpdate(minutes=minutes),
                                 if_match=etag(item.version), by=self.member.by)

    def act(self, text: str, owner: str, due_on: date, item: ClinicAgendaItem | None = None) -> int:
        """An action agreed (the member records it), about the item's school if one."""
        urn = item.snapshot.get("urn") if item is not None else None
        agreed = clinic_actions.add_action(self.session, self.clinic.id,
                                           ClinicActionCreate(text=text, urn=urn, owner=owner, due_on=due_on),
                                           by=self.member.by)
        return agreed.record.id

    def target(self, item: ClinicAgendaItem, outcome: str, target_date: date) -> None:
        clinic_actions.add_target(self.session, self.clinic.id, TargetCreate(
            urn=item.snapshot["urn"], outcome=outcome, target_date=target_date), by=self.member.by)

    def overdue(self, days: int) -> date:
        """A due date `days` after the clinic, but gone by today."""
        return min(self.clinic.held_on + timedelta(days=days), self.today - timedelta(days=1))


def _minute(state: _Clinic, agenda: list[ClinicAgendaItem]) -> dict[str, ClinicAgendaItem]:
    """Explanations and minutes for the schools the clinic talked most about: the one with an
    interim executive board, up to five other red schools, each with a story not told yet, and the
    first two amber ones. Returns the item each story was told of (the first, for "default")."""
    rng, told, reds, ambers = state.rng, {}, 0, 0
    executive_head = rng.choice(EXECUTIVE_HEADS)
    for item in agenda:
        fitting = _notes(item)
        note, flag = next(((n, f) for n, f in fitting if n not in told), fitting[0])
        if note == "flagship":
            if note in told:
                continue
        elif item.snapshot.get("severity") == "red":
            if note in told or reds >= 5:
                continue
            reds += 1
        elif ambers >= 2:
            continue
        else:
            ambers += 1
        told.setdefault(note, item)
        kind = state.kind(item)
        held = state.clinic.held_on
        words = {"reason": flag["reason"].rstrip("."), "adviser": state.advisers[kind],
                 "member": state.member.account.name, "partner": rng.choice(PARTNERS[kind]),
                 "exec_head": executive_head,
                 "ieb_month": f"{held - timedelta(days=rng.randint(75, 120)):%B %Y}",
                 "head_month": f"{held - timedelta(days=rng.randint(20, 60)):%B %Y}"}
        explanation, minutes = NOTES[note]
        state.write(item, explanation.format(**words), minutes.format(**words))
    return told


def _past_clinic(state: _Clinic, partnership: Partnership) -> dict:
    """Open the clinic, write it up, agree its actions and targets, close and approve it. Returns
    what has happened since that the officer records: actions done or dropped, a category moved."""
    session, clinic = state.session, state.clinic
    clinic = clinics.update(session, clinic.id, ClinicUpdate(status="in_session"), if_match=etag(clinic.version),
                            by=state.officer)
    agenda = clinic_agenda.items_of(session, [clinic.id])[clinic.id]
    stories = _minute(state, agenda)
    flagship = stories.get("flagship")

    def about(story: str, *rules: str) -> ClinicAgendaItem | None:
        """The school the story was told of, else the first on the agenda with one of these flags."""
        return stories.get(story) or next((item for item in agenda if _with(item, *rules)), None)

    attendance = about("attendance", "persistent_absence_high", "absence_high")
    deficit = about("budget_deficit", "budget_deficit")
    results = stories.get("attainment_below_floor") or about("progress_below_floor", "attainment_below_floor",
                                                             "progress_below_floor")
    later: dict = {}

    # Actions: some open (two overdue by now), some done since, one dropped.
    if flagship is not None:
        state.act("Agree with the IEB a plan and dates for the return to a governing body",
                  f"{state.advisers[state.kind(flagship)]} (adviser)", state.overdue(28), flagship)
        state.act(f"Report the outcome of the HMI monitoring visit to the next clinic ({_day(state.upcoming)})",
                  "Head of School Improvement", state.upcoming, flagship)
    state.act("Run a targeted audit of persistent absentees with the school's family support worker and report "
              "what it finds", "Attendance and Welfare Manager", state.overdue(35), attendance)
    if deficit is not None:
        later["recovery_plan"] = state.act("Agree a three-year recovery plan with the governors and report it to "
                                           "the clinic", "Schools Finance Manager", state.overdue(42), deficit)
    state.act("Moderate the spring term's predictions and bring them to the clinic",
              f"{state.advisers[state.kind(results)]} (adviser)", max(state.upcoming, state.today + timedelta(days=21)),
              results)
    later["data_pack"] = state.act("Add three years of census rolls to the clinic's data pack", "Performance Manager",
                                   clinic.held_on + timedelta(days=21))
    later["neighbours"] = state.act("Add statistical neighbours' figures to the data pack, school by school",
                                    "Performance Manager", clinic.held_on + timedelta(days=49))

    # A red school not yet in the LA's worst category: the clinic agrees to move it.
    at_risk = {a["urn"] for a in clinic.changes.get("at_risk", [])}
    moving = next((item for item in agenda if item.snapshot.get("urn") in at_risk and item is not flagship), None)
    if moving is not None:
        worst_one = partnership.category_scheme[0]
        state.write(moving, None, (f"{moving.minutes} " if moving.minutes else "") + "Agreed: the school to move to "
                    f"the LA's ‘{worst_one}’ category; the Service Director to write to the chair of governors.")
        later["category_letter"] = state.act(f"Write to the chair of governors about the school's move to the LA's "
                                             f"‘{worst_one}’ category", "Service Director – Education",
                                             clinic.held_on + timedelta(days=14), moving)
        later["moving"] = moving.snapshot["urn"]

    # Targets, to be reviewed at a later clinic.
    summer = date(int(clinic.academic_year[:4]) + 1, 7, 15)
    if flagship is not None:
        state.target(flagship, "Judged to be taking effective action at each HMI monitoring visit, and no longer "
                     "inadequate at the next inspection", summer)
    if deficit is not None:
        state.target(deficit, "An in-year balanced budget, and the deficit cleared within three years",
                     date(summer.year + 2, 3, 31))
    if results is not None:
        state.target(results, "Results above the partnership's floor, with the school's predictions moderated each "
                     "term", summer)

    clinic = clinics.update(session, clinic.id, ClinicUpdate(status="minutes_draft"), if_match=etag(clinic.version),
                            by=state.member.by)
    clinics.update(session, clinic.id, ClinicUpdate(status="minutes_approved"), if_match=etag(clinic.version),
                   by=state.chair.by)
    return later


def _since(state: _Clinic, later: dict, partnership: Partnership) -> None:
    """What has happened since the clinic: actions done or dropped, the agreed category moved."""
    session = state.session
    notes = {
        "recovery_plan": ("done", "Recovery plan agreed by the governors and shared with the finance team."),
        "data_pack": ("done", "Added: the pack now shows the rolls of the last three censuses."),
        "category_letter": ("done", "Letter sent; the chair of governors has asked to meet the adviser."),
        "neighbours": ("dropped", "Statistical neighbours' figures are not published school by school; the pack "
                               "shows the national figures instead."),
    }
    for key, (status, note) in notes.items():
        if key in later:
            action = clinic_actions.get_action(session, later[key], by=state.officer).record
            clinic_actions.update_action(session, action.id, ClinicActionUpdate(status=status, note=note),
                                         if_match=etag(action.version), by=state.officer)
    if "moving" in later:
        school = school_register.get(session, later["moving"], by=state.officer)
        school_register.update(session, school.urn, SchoolUpdate(la_category=partnership.category_scheme[0]),
                               if_match=etag(school.version), by=state.officer)


# --- the whole -----------------------------------------------------------------------------------

def build(session: Session, partnership: Partnership, officer: User, rng: random.Random) -> ClinicYear:
    """Figures, a clinic chair and member, last term's clinic and the next, for `partnership`."""
    today = date.today()
    by_officer = accounts.principal_for(session, officer, partnership.id)
    now = partnerships.academic_year_for(today)
    years = (previous_year(previous_year(now)), previous_year(now), now)
    result = ClinicYear()

    # The figures, drawn to agree with what the school's record says already.
    # Northfield counts a headteacher as new for their first year (the rule's default is two).
    flag_settings.update(session, "new_or_acting_head", FlagRuleUpdate(thresholds={"months": NEW_HEAD_MONTHS}),
                         if_match=etag(0), by=by_officer)

    drawn = demo_figures.draw(session, rng, list(partnership.category_scheme), years, today, by=by_officer)
    result.figures, result.national_figures = drawn.figures, drawn.national_figures

    # The chair (the Leader of the Council, as in seed 003) and a member from scrutiny.
    (chair_given, chair_family), (member_given, member_family) = rng.sample(COUNCILLORS, 2)
    chair = _member(session, partnership, chair_given, chair_family, Role.clinic_chair,
                    "Leader of the Council and Portfolio Holder for Education")
    member = _member(session, partnership, member_given, member_family, Role.clinic_member,
                     "Chair of the Children and Education Scrutiny Committee")
    result.accounts = [chair.account, member.account]

    # Last term's clinic and the next.
    officers = rng.sample(OFFICERS, 5)
    advisers = {"primary": officers[2], "other": officers[3]}
    attendees = [f"{chair.account.name} (Chair; {chair.title})", f"{member.account.name} ({member.title})",
                 f"{officers[0]} (Chief Executive)", f"{officers[1]} (Service Director – Education)",
                 f"{officer.name} (Head of School Improvement)",
                 f"{advisers['primary']} (Senior School Improvement Adviser, Primary)",
                 f"{advisers['other']} (Senior School Improvement Adviser, Secondary and Special)",
                 f"{officers[4]} (Performance Manager)"]
    meeting, held_on = _last_meeting(partnership.meeting_cadence, today)
    _, planned = clinics.next_meeting(partnership.meeting_cadence, held_on)
    clinic = clinics.create(session, ClinicCreate(held_on=held_on, meeting=meeting["meeting"],
                                                  chair_name=chair.account.name, attendees=attendees), by=by_officer)
    state = _Clinic(session, rng, clinic, by_officer, chair, member, advisers, {s.urn: s.phase for s in drawn.schools},
                    today, _next_day(planned, today))
    later = _past_clinic(state, partnership)
    _since(state, later, partnership)

    # Approving the minutes planned the next meeting; the officer fixes its day.
    upcoming = session.scalars(select(Clinic).where(Clinic.status == ClinicStatus.planned.value)
                               .order_by(Clinic.held_on)).one()
    if upcoming.held_on != state.upcoming:
        upcoming = clinics.update(session, upcoming.id, ClinicUpdate(held_on=state.upcoming),
                                  if_match=etag(upcoming.version), by=by_officer)
    agenda = clinic_agenda.items_of(session, [clinic.id])[clinic.id]
    actions, _, _ = clinic_actions.agreed_at(session, clinic)
    still_open = sum(1 for a in actions if a.record.status == "open")
    result.summary = (f"clinics: {result.figures:,} school figures and {result.national_figures} national ones "
                      f"({years[0]} to {years[2]}); the {clinic.meeting} clinic of {_day(clinic.held_on)} (minutes "
                      "approved; "
                      f"{len(agenda)} schools on its agenda, {len(actions)} actions, {still_open} open); the "
                      f"{upcoming.meeting} clinic planned for {_day(upcoming.held_on)}")
    return result
