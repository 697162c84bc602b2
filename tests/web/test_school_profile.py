"""A school's profile page: each section on known data, the charts beside their tables, what a
viewer and a headteacher see, another partnership's school, and a fixed number of statements."""

from app.db import all_tenants
from app.services import accounts, school_profile
from tests import factories
from tests.services.test_school_profile import build_history
from tests.web.conftest import sign_in


def page(client, urn: str) -> str:
    response = client.get(f"/schools/{urn}")
    assert response.status_code == 200, response.text
    return response.text


def section(html: str, anchor: str) -> str:
    """The HTML from the section heading with this id to the next section's heading."""
    start = html.index(f'id="{anchor}"')
    end = html.find('<h2 class="govuk-heading-m"', start)
    return html[start:end if end > 0 else len(html)]


def test_every_section_on_known_data(signed_in, session, world):
    built = build_history(session, world, 2)
    html = page(signed_in, built.school.urn)
    # the register entry and Ofsted history as before
    assert "Priya Okafor" in html and 'id="inspections"' in html and "10 May 2011" in html
    # indicators: a chart and its table per measure
    trends = section(html, "indicators")
    assert trends.index("Persistent absence (%)") < trends.index("Budget balance")
    for words in ["Threshold: 20 (above it is an amber flag when there is no national figure to compare with)",
                  "Deficit let pass: £0 (a deficit beyond it is a red flag)", "−£20,000", "£10,000", "LA finance"]:
        assert words in trends, words
    # flags with their evidence, and the clinics' record
    flags = section(html, "flags")
    assert 'govuk-tag--red">Red' in flags and "Evidence" in flags and "budget" in flags.lower()
    clinics = section(html, "clinics")
    assert clinics.index("1 December 2026") < clinics.index("1 December 2025")
    assert "Persistent absence high in 2026/27" in clinics and "Explained in 2025/26" in clinics
    assert "Attendance plan 2026/27" in clinics and "Persistent absence under 20% by 2026/27" in clinics
    # triads and visits with grades
    triads = section(html, "triads")
    assert "Triad 2026/27" in triads and f'href="/schools/{built.partner.urn}"' in triads
    assert "2 – Secure, with areas to develop" in triads and "1 open of 2" in triads
    # support and outcomes
    support = section(html, "support")
    assert "2 deployments: 1 green, 1 amber; 8 days delivered." in " ".join(support.split())
    assert "Improve attendance 1" in support and 'govuk-tag--green">Green' in support
    # the plans naming the school
    plans = section(html, "plans")
    assert f'href="/action-plans/{built.plan_ids[0]}"' in plans
    assert "Action 1.1 of" in plans and "Overdue visits" in plans and "Overdue</strong>" in plans
    # recent changes, with the way to the full trail
    changes = section(html, "changes")
    assert "Changed the register entry" in changes and "Headteacher name" in changes
    assert f'href="/audit?table=school&amp;record_id={built.school.id}"' in changes


def test_the_chart_is_described_by_its_table_and_readable_without_colour(signed_in, session, world):
    school = world.our_school
    factories.make_indicator(session, school, measure="attainment", academic_year="2024/25", value=55.0)
    factories.make_indicator(session, school, measure="attainment", academic_year="2025/26", value=48.0)
    html = page(signed_in, school.urn)
    chart = html[html.index('<svg class="app-chart" id="trend-attainment-chart"'):]
    chart = chart[:chart.index("</svg>")]
    assert 'role="img"' in chart and 'aria-describedby="trend-attainment-table"' in chart
    assert ('<title id="trend-attainment-chart-title">Attainment: the school&#39;s figure each year and the '
            "partnership&#39;s threshold</title>") in chart
    assert "Attainment, 2024/25 to 2025/26: 48 in 2025/26; floor 50." in chart
    assert 'stroke-dasharray="10 3 2 3"' in chart and ">Floor 50<" in chart  # the threshold drawn and named
    assert "<circle" in chart and ">55<" in chart and ">48<" in chart  # markers with their values written
    assert 'id="trend-attainment-table"' in html
    legend = html[html.index('class="govuk-list govuk-body-s app-chart-legend"'):]
    assert "This school (solid line, filled circles)" in legend and "Floor: 50 (dash-dot line" in legend


def test_a_school_with_nothing_says_so(signed_in, world):
    html = page(signed_in, world.our_school.urn)
    for words in ["No figures recorded yet.", "No red or amber flags now.", "Not on any clinic's agenda yet.",
                  "Not in a triad.", "No visit records.", "No support recorded.", "None recorded."]:
        assert words in html, words
    assert "<svg class=\"app-chart\"" not in html


def test_the_page_needs_no_script_to_read(signed_in, session, world):
    built = build_history(session, world, 1)
    html = page(signed_in, built.school.urn)
    body = html[html.index('id="indicators"'):]
    assert "hx-get" not in body and "hx-trigger" not in body  # nothing is loaded after the page
    assert "<details" in body  # evidence opens without script


def test_a_viewer_sees_no_audit_and_a_stranger_head_no_flags(client, session, world):
    built = build_history(session, world, 1)
    assert sign_in(client, world.viewer.email).status_code == 303
    html = page(client, built.school.urn)
    assert 'id="flags"' in html and 'id="clinics"' in html
    assert 'id="changes"' not in html and "/audit?" not in html
    head = factories.make_user(session)
    with all_tenants(session):
        accounts.grant(session, head, world.ours, "headteacher", scope_kind="school", scope_id=world.our_school.id)
        session.flush()
    client.cookies.clear()
    assert sign_in(client, head.email).status_code == 303
    html = page(client, built.school.urn)
    assert 'id="flags"' not in html and 'id="clinics"' not in html and 'id="changes"' not in html
    assert "No visit records." in html and "Improve attendance 1" in html


def test_another_partnerships_school_is_not_found(signed_in, world):
    response = signed_in.get(f"/schools/{world.their_school.urn}")
    assert response.status_code == 404
    assert world.their_school.name not in response.text


def test_the_same_statements_for_one_year_of_history_as_for_six(signed_in, session, world, count_statements):
    one = build_history(session, world, 1, name="Ash School")
    many = build_history(session, world, 6, name="Beech School")
    counts = []
    for built in (one, many):
        session.expire_all()
        with count_statements() as counter:
            html = page(signed_in, built.school.urn)
        counts.append(counter.count)
        assert "Attendance plan" in html
    assert counts[0] == counts[1], counts
    # the profile's own, and what every signed-in page reads (the session, the person, the partnerships)
    assert counts[1] <= school_profile.MAX_STATEMENTS + 6, counts
