"""The action plans' settings in the browser: the glossary of lead role codes and the areas for
improvement on the partnership settings page (a code leading an action, or an area a priority
names, cannot be taken out), and which codes each member holds on their people page."""

import html as htmllib
import re
from datetime import date

from sqlmodel import select

from app.db import all_tenants
from app.models.action_plan import ActionPlan, PlanAction, PlanActionLead, PlanPriority, PlanRoleHolder
from app.models.partnership import Partnership
from tests.web.conftest import csrf_from, sign_in

URL = "/settings/partnership"
PLANS = "/settings/partnership/plans"


def plan_form(client) -> dict[str, str]:
    page = client.get(URL).text
    form = page[page.index('action="/settings/partnership/plans"'):]
    return {"csrf_token": csrf_from(page), "version": re.search(r'name="version" value="(\d+)"', form).group(1),
            "plan_roles": textarea(form, "plan_roles"), "improvement_areas": textarea(form, "improvement_areas")}


def textarea(html: str, name: str) -> str:
    return htmllib.unescape(re.search(rf'name="{name}"[^>]*>([^<]*)</textarea>', html).group(1))


def stored(session, partnership_id: int) -> Partnership:
    with all_tenants(session):
        session.expire_all()
        return session.exec(select(Partnership).where(Partnership.id == partnership_id)).one()


def error_of(page: str, field: str) -> str:
    found = re.search(rf'id="{field}-error"[^>]*>(.*?)</p>', page, re.S)
    assert found, f"no error beside {field}"
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split()).removeprefix("Error: ")


def an_action_led_by(session, world, code: str, area: str) -> None:
    with all_tenants(session):
        plan = ActionPlan(partnership_id=world.ours.id, title="Plan", period_start=date(2025, 9, 1),
                          period_end=date(2026, 8, 1))
        session.add(plan)
        session.flush()
        priority = PlanPriority(partnership_id=world.ours.id, plan_id=plan.id, number=1, title="P", areas=[area])
        session.add(priority)
        session.flush()
        action = PlanAction(partnership_id=world.ours.id, plan_id=plan.id, priority_id=priority.id, number=1,
                            description="A")
        session.add(action)
        session.flush()
        session.add(PlanActionLead(partnership_id=world.ours.id, plan_id=plan.id, action_id=action.id, code=code))
        session.flush()


def test_the_glossary_and_areas_are_shown_one_a_line(signed_in):
    values = plan_form(signed_in)
    assert values["plan_roles"].splitlines()[:2] == ["DCS: Director of Children's Services",
                                                     "DDCS: Deputy Director of Children's Services - Education"]
    assert "Outcomes for disadvantaged pupils" in values["improvement_areas"].splitlines()


def test_an_officer_saves_them(signed_in, session, world):
    values = plan_form(signed_in) | {"plan_roles": "HSI: Head of School Improvement\r\nSIM2: Data lead\r\n",
                                     "improvement_areas": "Reading\r\nAttendance\r\n"}
    saved = signed_in.post(PLANS, data=values, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == URL
    partnership = stored(session, world.ours.id)
    assert partnership.plan_roles == [{"code": "HSI", "title": "Head of School Improvement"},
                                      {"code": "SIM2", "title": "Data lead"}]
    assert partnership.improvement_areas == ["Reading", "Attendance"]
    assert "Lead roles and areas for improvement saved" in signed_in.get(URL).text


def test_bad_codes_are_refused_beside_the_field_keeping_what_was_typed(signed_in, session, world):
    typed = "hsi: lower case\nHSI: Head\nHSI: Again\nTOOLONGCODE123456789X: Long\nSIM\nSIO: Officers"
    refused = signed_in.post(PLANS, data=plan_form(signed_in) | {"plan_roles": typed, "improvement_areas": "A\nA"})
    assert refused.status_code == 422
    said = error_of(refused.text, "plan_roles")
    assert "'hsi' is not a code: use 1 to 20 capital letters or digits" in said
    assert "HSI is listed twice" in said and "'TOOLONGCODE123456789X' is not a code" in said
    assert "give SIM its full title" in said
    assert error_of(refused.text, "improvement_areas") == "'A' is listed twice"
    assert textarea(refused.text, "plan_roles") == typed
    assert stored(session, world.ours.id).plan_roles[0]["code"] == "DCS"


def test_a_code_leading_an_action_or_an_area_in_use_cannot_be_taken_out(signed_in, session, world):
    an_action_led_by(session, world, "HSI", "Outcomes for disadvantaged pupils")
    values = plan_form(signed_in)
    kept = "\n".join(line for line in values["plan_roles"].splitlines() if not line.startswith("HSI"))
    without = {"plan_roles": kept, "improvement_areas": "Reading"}
    refused = signed_in.post(PLANS, data=values | without)
    assert refused.status_code == 422
    assert error_of(refused.text, "plan_roles") == ("HSI leads 1 action in the partnership's plans: keep it, or give "
                                                    "those actions another lead first")
    assert error_of(refused.text, "improvement_areas") == (
        "'Outcomes for disadvantaged pupils' is named by 1 priority in the partnership's plans: keep it, or take it "
        "off those priorities first")
    assert "HSI" in {r["code"] for r in stored(session, world.ours.id).plan_roles}


def test_a_code_only_held_is_taken_from_its_holders(signed_in, session, world):
    with all_tenants(session):
        session.add(PlanRoleHolder(partnership_id=world.ours.id, user_id=world.viewer.id, code="SIM"))
        session.flush()
    values = plan_form(signed_in)
    kept = "\n".join(line for line in values["plan_roles"].splitlines() if not line.startswith("SIM"))
    assert signed_in.post(PLANS, data=values | {"plan_roles": kept}, follow_redirects=False).status_code == 303
    with all_tenants(session):
        assert session.exec(select(PlanRoleHolder).where(PlanRoleHolder.user_id == world.viewer.id)).all() == []


def test_a_stale_save_is_409_and_keeps_what_was_typed(signed_in, session, world):
    values = plan_form(signed_in)
    assert signed_in.post(PLANS, data=values, follow_redirects=False).status_code == 303
    again = signed_in.post(PLANS, data=values | {"improvement_areas": "Mine"})
    assert again.status_code == 409
    assert "changed the partnership&#39;s settings after you opened this page" in again.text
    assert textarea(again.text, "improvement_areas") == "Mine"
    assert stored(session, world.ours.id).improvement_areas != ["Mine"]


def test_viewers_and_forged_posts_are_refused(client, session, world):
    assert sign_in(client, world.viewer.email).status_code == 303
    token = csrf_from(client.get("/schools").text)
    assert client.post(PLANS, data={"csrf_token": token, "version": "1", "plan_roles": "X: Y",
                                    "improvement_areas": ""}).status_code == 403
    assert client.post(f"/settings/people/{world.viewer.id}/plan-roles",
                       data={"csrf_token": token, "codes": "HSI"}).status_code == 403


def test_without_csrf(signed_in, session, world):
    assert signed_in.post(PLANS, data={"version": "1", "plan_roles": "X: Y"}).status_code == 403


def test_an_officer_says_which_codes_a_member_holds(signed_in, session, world):
    page = f"/settings/people/{world.viewer.id}"
    shown = signed_in.get(page).text
    assert 'name="codes" type="checkbox" value="HSI"' in shown
    token = csrf_from(shown)
    saved = signed_in.post(f"{page}/plan-roles", data={"csrf_token": token, "codes": ["SIM", "HSI"]},
                           follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == page
    after = signed_in.get(page).text
    assert "Lead roles saved: HSI, SIM" in after
    assert re.search(r'value="HSI" checked', after) and not re.search(r'value="DCS" checked', after)
    assert re.search(r"<td class=\"govuk-table__cell\">HSI, SIM</td>", signed_in.get("/settings/people").text)
    refused = signed_in.post(f"{page}/plan-roles", data={"csrf_token": token, "codes": "WIZARD"})
    assert refused.status_code == 422 and "&#39;WIZARD&#39; is not a lead role" in refused.text
    cleared = signed_in.post(f"{page}/plan-roles", data={"csrf_token": token}, follow_redirects=False)
    assert cleared.status_code == 303
    with all_tenants(session):
        assert session.exec(select(PlanRoleHolder).where(PlanRoleHolder.user_id == world.viewer.id)).all() == []
    other = signed_in.post(f"/settings/people/{world.outsider.id}/plan-roles", data={"csrf_token": token,
                                                                                       "codes": "HSI"})
    assert other.status_code == 404
