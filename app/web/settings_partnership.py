"""The partnership's own settings in the browser: its name and its LA category scheme; and, in a
form of their own, the action plans' lead role codes and areas for improvement."""

from types import SimpleNamespace

from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.models.partnership import CADENCE_WORDS, Partnership, cadence_name
from app.routing import Router
from app.services import accounts, partnerships, plan_settings
from app.services.principal import Principal
from app.web import forms
from app.web.forms import Form, FormData
from app.web.htmx import redirect, render
from app.web.security import WebPrincipal

router = Router(tags=["web: settings"])

FIELDS = ("name", "category_scheme", "cadence")
LABELS = {"name": "Partnership name", "category_scheme": "LA categories", "cadence": "Clinic meetings"}
URL = "/settings/partnership"
PLANS_URL = "/settings/partnership/plans"
PLAN_FIELDS = ("plan_roles", "improvement_areas")


def _text(value: str | list[str] | None) -> str:
    return value if isinstance(value, str) else "\n".join(value or [])


def _categories(text: str) -> list[str]:
    """The textarea's categories, one a line. Blank lines at either end are no category; a blank line
    between two categories is one, for the service to refuse."""
    return [line.strip() for line in text.strip().splitlines()]


def roles_text(roles: list[dict]) -> str:
    return "\n".join(f"{role['code']}: {role.get('title') or ''}" for role in roles)


def read_roles(text: str) -> list[plan_settings.Role]:
    """The textarea's glossary, one role a line: "HSI: Head of School Improvement"."""
    roles = []
    for line in text.splitlines():
        if line.strip():
            code, _, title = line.partition(":")
            roles.append(plan_settings.Role(code.strip(), title.strip()))
    return roles


def _plan_form(partnership: Partnership) -> Form:
    return Form({"plan_roles": roles_text(partnership.plan_roles),
                 "improvement_areas": "\n".join(partnership.improvement_areas),
                 "version": str(partnership.version)})


def _main_form(partnership: Partnership) -> Form:
    form = Form.of(partnership, ("name", "category_scheme"))
    form.values["category_scheme"] = "\n".join(partnership.category_scheme)
    form.values["cadence"] = cadence_name(partnership.meeting_cadence) or ""
    return form


def _page(request: Request, session: Session, by: Principal, form: Form, *, scheme: list[str],
          leaving: dict[str, int], status_code: int = 200, plan_form: Form | None = None,
          partnership: Partnership | None = None) -> Response:
    """The form; `leaving` are the categories in use that the typed scheme drops (a select each)."""
    moves = [(partnerships.mapping_field(category), category, count, f"map-{n}")
             for n, (category, count) in enumerate(leaving.items(), 1)]
    context = {
        "active_nav": "settings",
        "active_settings": "partnership",
        "form": form,
        "labels": LABELS,
        "usage": partnerships.category_usage(session, by=by),
        "moves": moves,
        "targets": [(c, c) for c in scheme if c],
        "anchors": {field: anchor for field, _, _, anchor in moves},
        "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else [],
        "cadences": list(CADENCE_WORDS.items()),
        "plan_form": plan_form or _plan_form(partnership or partnerships.for_editing(session, by=by)),
    }
    return render(request, "settings/partnership.html", context, status_code=status_code)


@router.get("/settings/partnership", summary="The partnership's name and LA category scheme")
def edit_partnership(request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """Officers only: a viewer gets the 403 page."""
    partnership = partnerships.for_editing(session, by=by)
    return _page(request, session, by, _main_form(partnership), scheme=partnership.category_scheme, leaving={},
                 partnership=partnership)


def _conflict(form: Form, stored: Partnership, typed: list[str]) -> None:
    """The stale save's comparison, with each scheme as a list ("red, amber, green") rather than lines."""
    form.conflict_with(SimpleNamespace(name=stored.name, category_scheme="", version=stored.version,
                                       cadence=cadence_name(stored.meeting_cadence) or "",
                                       updated_by=stored.updated_by, updated_at=stored.updated_at), LABELS)
    for row in form.conflict.rows if form.conflict else []:
        if row.name == "category_scheme":
            row.stored, row.yours = ", ".join(stored.category_scheme), ", ".join(typed)


@router.post("/settings/partnership", summary="Save the partnership's name and LA category scheme")
def save_partnership(request: Request, session: SessionDep, by: WebPrincipal, data: FormData) -> Response:
    """303 with a banner; 422 with the messages (a category still in use needs somewhere for its
    schools to go: a select each); 409 when someone saved first."""
    text = _text(data.get("category_scheme"))
    scheme = _categories(text)
    leaving = partnerships.categories_leaving(session, category_scheme=scheme, by=by)
    fields = {partnerships.mapping_field(category): category for category in leaving}
    form = Form.typed(data, [*FIELDS, *fields])
    form.values["category_scheme"] = "\n".join(text.splitlines())
    mapping = {category: _text(form.values[field]) for field, category in fields.items()}
    with forms.attempt(session, form):
        partnerships.update_settings(session, name=_text(form.values["name"]), category_scheme=scheme,
                                     mapping=mapping, if_version=form.version, by=by,
                                     cadence=_text(form.values["cadence"]) or None)
    if not form.refused:
        moved = sum(leaving.values())
        banner = "Partnership settings saved" + (f"; {moved} {'school' if moved == 1 else 'schools'} moved to "
                                                 "their new category" if moved else "")
        return redirect(request, URL, banner=banner)
    if form.stale:
        _conflict(form, partnerships.for_editing(session, by=by), scheme)
    return _page(request, session, by, form, scheme=scheme, leaving=leaving, status_code=form.status_code)


@router.post(PLANS_URL, summary="Save the action plans' lead role codes and areas for improvement")
def save_plan_settings(request: Request, session: SessionDep, by: WebPrincipal, data: FormData) -> Response:
    """303 with a banner; 422 with the messages beside the fields (a code still leading an action,
    an area still named by a priority, cannot be taken out); 409 when someone saved first."""
    form = Form.typed(data, PLAN_FIELDS)
    for name in PLAN_FIELDS:
        form.values[name] = "\n".join(_text(form.values[name]).splitlines())
    with forms.attempt(session, form):
        plan_settings.update(session, roles=read_roles(form.values["plan_roles"]),
                             areas=_categories(form.values["improvement_areas"]), if_version=form.version, by=by)
    if not form.refused:
        return redirect(request, URL, banner="Lead roles and areas for improvement saved")
    stored = partnerships.for_editing(session, by=by)
    if form.stale:
        form.problem = (f"{stored.updated_by or 'Someone'} changed the partnership's settings after you opened this "
                        "page. Your lead roles and areas are kept below: check them against the saved ones and save "
                        "again")
        form.values["version"] = str(stored.version)
    return _page(request, session, by, _main_form(stored), scheme=stored.category_scheme, leaving={},
                 status_code=form.status_code, plan_form=form)
