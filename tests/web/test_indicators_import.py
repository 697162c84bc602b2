"""/indicators/import in the browser: check a file (nothing written), import it (303 and a banner),
a refused file listed line by line (422, nothing written), officers only, CSRF, and the path's own
body limit."""

import html
import re

from sqlalchemy import select

from app.db import all_tenants
from app.models.flag import NationalFigure
from app.models.indicator import Indicator
from tests.web.conftest import csrf_from, sign_in

PAGE = "/indicators/import"
HEADER = "urn,national,measure,academic_year,value,source,recorded_on\n"


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def send(client, content: bytes | None, *, action: str = "apply", name: str = "figures.csv", token: str | None = None):
    token = token or csrf_from(client.get(PAGE).text)
    files = {"file": (name, content, "text/csv")} if content is not None else None
    return client.post(PAGE, data={"csrf_token": token, "action": action}, files=files, follow_redirects=False)


def stored(session) -> tuple[list[Indicator], list[NationalFigure]]:
    session.expire_all()
    with all_tenants(session):
        return list(session.scalars(select(Indicator))), list(session.scalars(select(NationalFigure)))


def good_file(world) -> bytes:
    urn = world.our_school.urn
    return (HEADER + f"{urn},no,absence,2025/26,5.2,DfE,\n{urn},no,roll,2025/26,210,DfE,01/10/2026\n"
            ",yes,absence,2025/26,6.1,DfE,\n").encode()


def test_the_form(signed_in):
    page = signed_in.get(PAGE)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'name="csrf_token"' in page.text
    assert 'aria-current="page">Imports' in page.text
    assert 'value="check"' in page.text and 'value="apply"' in page.text
    assert "<code>persistent_absence</code>" in page.text  # the measures the rules read


def test_check_counts_and_writes_nothing(signed_in, session, world):
    checked = send(signed_in, good_file(world), action="check")
    assert checked.status_code == 200, text_of(checked.text)
    assert "figures.csv is ready to import" in text_of(checked.text)
    assert 'data-count="created">3<' in checked.text and 'data-count="updated">0<' in checked.text
    assert "1 of those added or changed is a national figure" in text_of(checked.text)
    assert stored(session) == ([], [])


def test_import_applies_then_says_so_once(signed_in, session, world):
    done = send(signed_in, good_file(world))
    assert done.status_code == 303 and done.headers["location"] == PAGE
    schools, national = stored(session)
    assert sorted(i.measure for i in schools) == ["absence", "roll"] and [n.value for n in national] == [6.1]
    assert {i.updated_by for i in schools} == {world.officer.name}
    landed = signed_in.get(PAGE)
    assert "figures.csv imported: 3 figure(s) added, 0 changed, 0 already as in the file" in text_of(landed.text)
    assert "imported:" not in signed_in.get(PAGE).text

    again = send(signed_in, good_file(world))
    assert again.status_code == 303
    assert "0 figure(s) added, 0 changed, 3 already as in the file" in text_of(signed_in.get(PAGE).text)


def test_a_refused_file_lists_its_lines_and_writes_nothing(signed_in, session, world):
    content = (HEADER + f"{world.our_school.urn},no,absence,2025/26,5.2,DfE,\n"
               f"{world.their_school.urn},no,absence,2025/26,1,DfE,\n,no,absence,2025/26,x,DfE,\n").encode()
    page = send(signed_in, content)
    assert page.status_code == 422
    shown = text_of(page.text)
    assert page.text.count("<title>Error: ") == 1
    assert "There is a problem" in shown
    assert "figures.csv has 3 problem(s) on 2 line(s), listed below. Nothing was imported" in shown
    assert f"3 urn: no school with URN {world.their_school.urn} in this partnership" in shown
    assert "4 value 'x': enter a number" in shown
    assert '<a href="#file">' in page.text
    assert stored(session) == ([], [])


def test_many_problems_are_capped(signed_in, world):
    lines = "".join(f"{world.our_school.urn},no,m{n},2025/26,x,DfE,\n" for n in range(250))
    page = send(signed_in, (HEADER + lines).encode())
    assert page.status_code == 422
    assert page.text.count('<td class="govuk-table__cell govuk-table__cell--numeric">') == 200
    assert "… and 50 more problems, not shown" in text_of(page.text)


def test_no_file_or_not_a_csv_is_the_form_again(signed_in):
    nothing = send(signed_in, None)
    assert nothing.status_code == 422 and "Select a CSV file of figures to upload" in text_of(nothing.text)
    workbook = send(signed_in, b"PK\x03\x04...", name="figures.xlsx")
    assert workbook.status_code == 422 and "an Excel workbook or another zip file" in workbook.text


def test_a_file_over_the_general_body_limit_reaches_the_check(signed_in, world):
    """The path has its own limit (5 MB), above the 1 MiB of other requests: a 2 MB file is read,
    and refused for its rows, not for its size."""
    row = f"{world.our_school.urn},no,absence,2025/26,5.2,{'D' * 80},\n"
    content = (HEADER + row * (2 * 1024 * 1024 // len(row))).encode()
    page = send(signed_in, content)
    assert page.status_code == 422
    assert "the file has more than 5,000 figures" in text_of(page.text)


def test_a_viewer_gets_the_403_page(client, session, world):
    assert sign_in(client, world.viewer.email).status_code == 303
    token = csrf_from(client.get("/schools").text)
    assert client.get(PAGE).status_code == 403
    assert send(client, good_file(world), token=token).status_code == 403
    assert stored(session) == ([], [])


def test_csrf_is_required(signed_in, session, world):
    refused = signed_in.post(PAGE, data={"action": "apply"}, files={"file": ("f.csv", good_file(world), "text/csv")},
                             follow_redirects=False)
    assert refused.status_code == 403
    assert stored(session) == ([], [])


def test_the_imports_page_leads_to_the_figures_form(signed_in):
    imports = signed_in.get("/imports/gias")  # where the navigation's Imports link goes
    assert imports.status_code == 200
    assert 'href="/indicators/import"' in imports.text
