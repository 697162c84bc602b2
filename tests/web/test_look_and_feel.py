"""The look and feel every page shares, checked by walking the app as a signed-in officer over the
demo partnership: starting at /, every same-site link is followed (two addresses per route at most),
and each page is checked for a page title of its own, one main heading, and GOV.UK furniture on
detail pages. Then each form a person types into is posted with its fields left empty, as a
careless browser would: a refusal must come back as a page with the error summary, titled "Error:"."""

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from app.services import demo
from tests.test_route_auth import all_routes
from tests.web.conftest import sign_in

SUFFIX = " – School partnerships"
SKIP = re.compile(r"^/(api/|docs|openapi|static/|healthz|sign-in|password/|calendar/)|\.(csv|xlsx|ics|pdf)$"
                  r"|/agenda\.|/export\.")
PER_ROUTE = 2
# Pages that sit under another and say where: breadcrumbs (a detail page) or a back link (a form).
DETAIL = {"/collaboratives/{collaborative_id}", "/triads/{triad_id}", "/visits/{visit_id}", "/clinics/{clinic_id}",
          "/action-plans/{plan_id}", "/support/{deployment_id}"}
# Posts that are not a form to fill in (a switch, signing out) are not posted.
NOT_POSTED = re.compile(r"^/(sign-out|partnership)$")


class Page(HTMLParser):
    """What the checks need from a page: its title, headings, links, forms and furniture."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.title, self.h1, self.links, self.forms = "", 0, [], []
        self.breadcrumbs = self.back_link = self.error_summary = False
        self._in_title = False
        self._form: dict | None = None
        self._textarea: str | None = None
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):  # noqa: C901 (one branch per element of interest)
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "title":
            self._in_title = not self.title  # the page's, not an SVG chart's

        elif tag == "h1":
            self.h1 += 1
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
            self.back_link |= "govuk-back-link" in classes
        elif tag == "nav" and "govuk-breadcrumbs" in classes:
            self.breadcrumbs = True
        elif tag == "div" and "govuk-error-summary" in classes:
            self.error_summary = True
        elif tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "action": a.get("action") or "",
                          "fields": {}, "typed": 0}
            self.forms.append(self._form)
        elif self._form is not None and a.get("name"):
            name, kind = a["name"], a.get("type", "text")
            fields = self._form["fields"]
            if tag == "input" and kind == "hidden":
                fields[name] = a.get("value") or ""
            elif tag == "input" and kind in ("radio", "checkbox"):
                self._form["typed"] += 1  # left unticked
            elif tag == "input" and kind not in ("submit", "button", "file"):
                fields[name] = ""  # emptied
                self._form["typed"] += 1
            elif tag == "textarea":
                fields[name] = ""
                self._form["typed"] += 1
            elif tag == "select":
                self._select = name
                self._form["typed"] += 1
        # An option: the selected one, or else the first, as a browser sends.
        if (tag == "option" and self._form is not None and self._select
                and ("selected" in a or self._select not in self._form["fields"])):
            self._form["fields"][self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._in_title:
            self.title += data


@pytest.fixture
def officer(client, session):
    built = demo.build(session)
    assert sign_in(client, built.officer_email, built.officer_password).status_code == 303
    return client


def _routes(app) -> list[tuple[str, re.Pattern]]:
    found = []
    for path, methods in all_routes(app.routes):
        if "GET" in methods and not SKIP.search(path):
            pattern = re.sub(r"\{[a-z_]+\}", "[^/]+", path)
            found.append((path, re.compile(f"^{pattern}$")))
    # The most specific first: literal segments beat placeholders (/action-plans/new before /{plan_id}).
    return sorted(found, key=lambda item: (item[0].count("{"), -len(item[0])))


def _route_of(routes, path: str) -> str | None:
    return next((name for name, pattern in routes if pattern.match(path)), None)


def _walk(client, routes) -> dict[str, tuple[str, Page]]:
    """Every page reached by links from /, at most PER_ROUTE addresses per route: url -> (route, page)."""
    seen: dict[str, tuple[str, Page]] = {}
    per_route: dict[str, int] = {}
    queue = deque(["/"])
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if "text/html" not in response.headers["content-type"]:
            continue
        path = urlsplit(str(response.url)).path
        route = _route_of(routes, path) or path
        page = Page(response.text)
        seen[url] = (route, page)
        for href in page.links:
            target = urlsplit(urljoin(str(response.url), href))
            if target.netloc not in ("", "testserver") or SKIP.search(target.path):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            linked_route = _route_of(routes, target.path)
            if linked_route is None or link in seen or link in queue:
                continue
            if per_route.get(linked_route, 0) >= PER_ROUTE:
                continue
            per_route[linked_route] = per_route.get(linked_route, 0) + 1
            queue.append(link)
    return seen


def test_every_page_has_its_own_title_a_heading_and_its_way_back(officer):
    routes = _routes(officer.app)
    pages = _walk(officer, routes)
    reached = {route for route, _ in pages.values()}
    # The walk reaches the service's pages by links alone (each of these is linked from another).
    for route in ["/schools", "/schools/{urn}", "/schools/{urn}/edit", "/red-flags", "/red-flags/new",
                  "/collaboratives", "/collaboratives/{collaborative_id}", "/triads/{triad_id}", "/visits/{visit_id}",
                  "/visits/{visit_id}/edit/{section}", "/clinics", "/clinics/new", "/clinics/{clinic_id}",
                  "/action-plans", "/action-plans/{plan_id}", "/action-plans/import", "/my-milestones", "/support",
                  "/support/new", "/support/{deployment_id}", "/support/data-quality", "/reports/support-review",
                  "/settings/people", "/settings/partnership", "/settings/tokens", "/settings/flag-rules", "/audit",
                  "/imports/gias", "/indicators/import", "/account/password", "/account/calendar"]:
        assert route in reached, f"no link reaches {route}"

    titles: dict[str, str] = {}
    for url, (route, page) in pages.items():
        title = " ".join(page.title.split())
        assert title.endswith(SUFFIX.strip()) and len(title) > len(SUFFIX), (url, title)
        assert not title.startswith("–") and not title.startswith("Error:"), (url, title)
        assert page.h1 == 1, (url, page.h1)
        if route in DETAIL:
            assert page.breadcrumbs, f"{url}: a detail page without breadcrumbs"
        titles.setdefault(title, url)
    # Titles tell pages apart: the walk's distinct routes have nearly as many distinct titles.
    assert len(set(titles)) >= len(reached) - 5, sorted(titles)


def test_a_form_posted_empty_is_refused_with_the_error_summary(officer):
    routes = _routes(officer.app)
    pages = _walk(officer, routes)
    posted: set[str] = set()
    refused, wrong = [], []
    for url, (_, page) in pages.items():
        for form in page.forms:
            action = urlsplit(urljoin(url, form["action"] or url)).path
            if form["method"] != "post" or not form["typed"] or NOT_POSTED.match(action):
                continue
            key = re.sub(r"/\d+", "/{id}", action)
            if key in posted:
                continue
            posted.add(key)
            response = officer.post(action, data=form["fields"], follow_redirects=False)
            assert response.status_code < 500, (action, response.status_code)
            if response.status_code in (400, 409, 422):
                answer = Page(response.text)
                refused.append(action)
                if not answer.error_summary:
                    wrong.append(f"{action}: refused ({response.status_code}) with no error summary")
                if not " ".join(answer.title.split()).startswith("Error: "):
                    wrong.append(f"{action}: refused, titled {answer.title!r}")
    assert not wrong, "\n".join(wrong)
    assert len(refused) >= 15, refused
