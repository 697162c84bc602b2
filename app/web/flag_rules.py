"""The red-flag rules' settings in the browser: every rule with its thresholds, and a form per rule
(on or off, each threshold) on the form pattern: saved with a banner, refused with what was typed
kept (422), or shown beside what someone else saved first (409)."""

import re
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.models.flag_api import FlagRuleUpdate
from app.routing import Router
from app.services import accounts, flag_settings, permissions
from app.services.flag_rules import Rule
from app.services.flag_settings import RuleSetting
from app.services.principal import Principal
from app.web.forms import Form, FormData, as_text, attempt
from app.web.htmx import redirect, render
from app.web.security import WebPrincipal

router = Router(tags=["web: settings"])

URL = "/settings/flag-rules"
CATEGORY_ORDER = ("ofsted", "standards", "attendance", "finance", "governance", "leadership", "network")


def _chrome(session: Session, by: Principal) -> dict[str, Any]:
    return {"active_nav": "settings", "active_settings": "flag-rules",
            "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else []}


def field_name(threshold_name: str) -> str:
    return f"thresholds.{threshold_name}"


def _fields(rule: Rule) -> tuple[str, ...]:
    return ("enabled", *(field_name(t.name) for t in rule.thresholds))


def _labels(rule: Rule) -> dict[str, str]:
    named = {field_name(t.name): t.name.replace("_", " ").capitalize() for t in rule.thresholds}
    return {"enabled": "Rule on", **named}


def _values(setting: RuleSetting) -> dict[str, str]:
    return {"enabled": as_text(setting.enabled),
            **{field_name(name): as_text(value) for name, value in setting.thresholds.items()},
            "version": str(setting.version)}


@router.get(URL, summary="The red-flag rules and their thresholds")
def list_flag_rules(request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """Officers only (a viewer gets the 403 page)."""
    permissions.require_flag_manager(by)
    settings = flag_settings.list_rules(session, by=by)
    grouped = [(c, [s for s in settings if s.rule.category == c]) for c in CATEGORY_ORDER]
    return render(request, "flags/rules.html", {"grouped": grouped, **_chrome(session, by)})


def _form_page(request: Request, session: Session, by: Principal, setting: RuleSetting, form: Form) -> Response:
    context = {"setting": setting, "rule": setting.rule, "form": form, "labels": _labels(setting.rule),
               "field_name": field_name, **_chrome(session, by)}
    return render(request, "flags/rule_form.html", context, status_code=form.status_code)


@router.get(URL + "/{rule}", summary="The form to change one red-flag rule")
def edit_flag_rule(rule: str, request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    permissions.require_flag_manager(by)
    setting = flag_settings.get(session, rule, by=by)
    return _form_page(request, session, by, setting, Form(_values(setting)))


def _typed_value(kind: type, raw: Any) -> Any:
    """A typed threshold as the API would get it: blank is the default (None), a number as people
    write it a number, true/false a boolean; anything else goes on as typed, for the rule to refuse
    in its own words."""
    text = raw.strip() if isinstance(raw, str) else raw
    if text in ("", None):
        return None
    if kind is bool:
        return {"true": True, "false": False}.get(text, text)
    cleaned = text.replace(",", "")
    if not cleaned.isascii():
        return text
    if kind is int and re.fullmatch(r"-?[0-9]{1,9}", cleaned):
        return int(cleaned)
    try:
        return float(cleaned)
    except ValueError:
        return text


def _update(setting: RuleSetting, form: Form) -> FlagRuleUpdate:
    enabled = {"true": True, "false": False}.get(str(form.values.get("enabled") or ""))
    thresholds = {t.name: _typed_value(t.kind, form.values.get(field_name(t.name))) for t in setting.rule.thresholds}
    return FlagRuleUpdate(enabled=enabled, thresholds=thresholds) if enabled is not None else FlagRuleUpdate(
        thresholds=thresholds)


def _stored(setting: RuleSetting) -> SimpleNamespace:
    values = {k: v for k, v in _values(setting).items() if k != "version"}
    stamp: datetime | None = setting.updated_at
    return SimpleNamespace(**values, version=setting.version, updated_by=setting.updated_by, updated_at=stamp)


@router.post(URL + "/{rule}", summary="Change one red-flag rule")
def save_flag_rule(rule: str, request: Request, session: SessionDep, by: WebPrincipal, data: FormData) -> Response:
    """303 to the rules with a banner; 422 with the messages beside the thresholds; 409 when
    someone saved the rule first."""
    permissions.require_flag_manager(by)
    setting = flag_settings.get(session, rule, by=by)
    form = Form.typed(data, _fields(setting.rule))
    with attempt(session, form):
        flag_settings.update(session, rule, _update(setting, form), if_match=form.if_match, by=by)
    labels = _labels(setting.rule)
    for name, message in form.errors.items():
        if name.startswith("thresholds.") and message.startswith("Must "):
            form.errors[name] = f"{labels[name]} {message[:1].lower()}{message[1:]}"  # "Floor must be a number"
    if form.stale:
        form.conflict_with(_stored(flag_settings.get(session, rule, by=by)), labels)
    if form.refused:
        return _form_page(request, session, by, setting, form)
    return redirect(request, URL, banner=f"The rule ‘{rule.replace('_', ' ')}’ was saved")
