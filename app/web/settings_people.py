"""The partnership's people in the browser (officers only): who is a member, adding someone, their
role, the action plans' lead role codes they hold, a one-time password link, signing them out
everywhere, removing them.

A new link is shown on the answer to the POST that made it, never carried to another page: a
redirect would have to put it in a cookie (the banner's is signed, not encrypted). Its key is
stored nowhere but as a hash."""

from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session

from app.config import get_settings
from app.deps import SessionDep
from app.models.account import MemberCreate, Role, RoleChange, User
from app.routing import Router
from app.services import accounts, partnerships, people, plan_roles
from app.services.principal import Principal
from app.web.auth import _client_ip
from app.web.forms import Form, FormData, attempt, parse
from app.web.htmx import redirect, render
from app.web.security import WebPrincipal

router = Router(tags=["web: settings"])

FIELDS = ("name", "email", "role")
LIST_URL = "/settings/people"
ROLE_CHOICES = [(Role.officer.value, "Officer: can change everything, including who is a member"),
                (Role.viewer.value, "Viewer: can see everything, change nothing")]


def link_url(request: Request, key: str) -> str:
    """The link to pass on, on the address this request came to."""
    return f"{str(request.base_url).rstrip('/')}/password/{key}"


def _shown_link(request: Request, user: User, key: str) -> dict:
    return {"user": user, "url": link_url(request, key), "hours": get_settings().password_link_hours}


def _chrome(session: Session, by: Principal) -> dict:
    return {"active_nav": "settings", "active_settings": "people",
            "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else []}


def _list_page(request: Request, session: SessionDep, by: Principal, form: Form, *, link: dict | None = None,
               status_code: int = 200) -> Response:
    context = {"members": people.list_members(session, by=by), "form": form, "role_choices": ROLE_CHOICES,
               "link": link, "holders": plan_roles.holders(session, by=by), **_chrome(session, by)}
    return render(request, "settings/people.html", context, status_code=status_code)


def _member_page(request: Request, session: SessionDep, by: Principal, user_id: int, form: Form | None = None, *,
                 link: dict | None = None, status_code: int = 200) -> Response:
    member = people.get_member(session, user_id=user_id, by=by)
    glossary = plan_roles.role_titles(partnerships.current(session, by=by))
    held = plan_roles.holders(session, by=by).get(member.user_id, [])
    form = form or Form({"role": member.role})
    form.values.setdefault("codes", held)
    context = {"member": member, "form": form, "role_choices": ROLE_CHOICES,
               "code_choices": [(code, f"{code}: {title}") for code, title in glossary.items()],
               "link": link, "is_you": member.user_id == by.user_id, **_chrome(session, by)}
    return render(request, "settings/person.html", context, status_code=status_code)


@router.get("/settings/people", summary="The partnership's members, and a form to add one")
def list_people(request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """Officers only: a viewer gets the 403 page."""
    return _list_page(request, session, by, Form({name: "" for name in FIELDS}))


@router.post("/settings/people", summary="Add a person; a new account's password link is shown on this answer only")
def add_person(request: Request, session: SessionDep, by: WebPrincipal, data: FormData) -> Response:
    """201 with the link to pass on (a new account); 303 with a banner (an existing account); 422 with
    the form again when refused."""
    form = Form.typed(data, FIELDS)
    added = None
    with attempt(session, form):
        person = parse(MemberCreate, form, FIELDS)
        added = people.add_member(session, name=person.name, email=person.email, role=person.role, by=by,
                                  client=_client_ip(request))
    if added is None:
        return _list_page(request, session, by, form, status_code=form.status_code)
    user, key = added
    if key is None:
        return redirect(request, LIST_URL, banner=f"{user.name} can now use {by.partnership_name} with the "
                                                  "account they already have")
    return _list_page(request, session, by, Form({name: "" for name in FIELDS}), link=_shown_link(request, user, key),
                      status_code=201)


@router.get("/settings/people/{user_id}", summary="One member: their role, password link, sessions")
def show_person(user_id: int, request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """Another partnership's person, like an unknown one, is the 404 page."""
    return _member_page(request, session, by, user_id)


@router.post("/settings/people/{user_id}/role", summary="Make a member an officer or a viewer")
def change_person_role(user_id: int, request: Request, session: SessionDep, by: WebPrincipal,
                       data: FormData) -> Response:
    """303 to the list with a banner; 422 with the member's page when refused (the last officer)."""
    form = Form.typed(data, ["role"])
    changed = None
    with attempt(session, form):
        choice = parse(RoleChange, form, ["role"])
        changed = people.change_role(session, user_id=user_id, role=choice.role, by=by)
    if changed is None:
        return _member_page(request, session, by, user_id, form, status_code=form.status_code)
    role = form.values["role"]
    if changed.id == by.user_id and role != Role.officer.value:
        return redirect(request, "/schools", banner=f"You are now a {role} in {by.partnership_name}")
    return redirect(request, LIST_URL, banner=f"{changed.name} is now {'an' if role == 'officer' else 'a'} {role}")


@router.post("/settings/people/{user_id}/plan-roles", summary="Say which lead role codes a member holds")
def change_person_codes(user_id: int, request: Request, session: SessionDep, by: WebPrincipal,
                        data: FormData) -> Response:
    """303 to the member's page with a banner; 422 with the page when a code is not the partnership's.
    The holders of a code update the milestones of the actions it leads."""
    form = Form.typed(data, ["codes"])
    chosen = form.values["codes"]
    codes = [chosen] if isinstance(chosen, str) and chosen else list(chosen or [])
    form.values["codes"] = codes
    held = None
    with attempt(session, form):
        held = plan_roles.set_holder_codes(session, user_id, codes, by=by)
    if held is None:
        return _member_page(request, session, by, user_id, form, status_code=form.status_code)
    said = ", ".join(held) if held else "no lead roles"
    return redirect(request, f"{LIST_URL}/{user_id}", banner=f"Lead roles saved: {said}")


@router.post("/settings/people/{user_id}/password-link",
             summary="A fresh one-time password link for a member, shown on this answer only")
def make_password_link(user_id: int, request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """201 with the link to pass on; 422 with the member's page when refused."""
    form = Form({})
    made = None
    with attempt(session, form):
        made = people.make_link(session, user_id=user_id, by=by, client=_client_ip(request))
    if made is None:
        return _member_page(request, session, by, user_id, form, status_code=form.status_code)
    return _member_page(request, session, by, user_id, link=_shown_link(request, *made), status_code=201)


@router.post("/settings/people/{user_id}/sign-out", summary="Sign a member out everywhere")
def end_person_sessions(user_id: int, request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """303 to the member's page with a banner; 422 for yourself (sign out, or change your password)."""
    form = Form({})
    ended = None
    with attempt(session, form):
        ended = people.end_sessions(session, user_id=user_id, by=by, client=_client_ip(request))
    if ended is None:
        return _member_page(request, session, by, user_id, form, status_code=form.status_code)
    noun = "session" if ended == 1 else "sessions"
    return redirect(request, f"{LIST_URL}/{user_id}", banner=f"Signed out everywhere: {ended} {noun} ended")


@router.post("/settings/people/{user_id}/remove", summary="Take a person out of the partnership")
def remove_person(user_id: int, request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """303 to the list with a banner; 422 with the member's page for the last officer. Removing
    yourself signs you out here."""
    form = Form({})
    removed = None
    with attempt(session, form):
        removed = people.remove_member(session, user_id=user_id, by=by)
    if removed is None:
        return _member_page(request, session, by, user_id, form, status_code=form.status_code)
    if removed.id == by.user_id:
        accounts.end_session(session, request.cookies.get(get_settings().session_cookie_name))
        response = redirect(request, "/sign-in", banner=f"You have left {by.partnership_name}")
        response.delete_cookie(get_settings().session_cookie_name, path="/")
        return response
    return redirect(request, LIST_URL, banner=f"{removed.name} has been removed from {by.partnership_name}")
