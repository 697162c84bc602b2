"""Browser tests: a real server on a fresh database, driven through Debian's Chromium, offline.

Run them in a pytest process of their own (Playwright's sync API keeps an event loop running):
    .venv/bin/pytest tests/browser -p no:cacheprovider
Needs /usr/bin/chromium (apt-get install -y chromium), node_modules (npm ci) and the built CSS
(npm run build:css). Screenshots go to test-artifacts/.
"""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import pytest
from alembic import command
from sqlalchemy import text

from app.config import PROJECT_ROOT
from app.db import build_engine, session_scope
from tests import factories
from tests.conftest import alembic_config

CHROMIUM = Path("/usr/bin/chromium")
NODE_MODULES = PROJECT_ROOT / "node_modules"
HTMX_LOCAL = NODE_MODULES / "htmx.org" / "dist" / "htmx.min.js"
AXE_LOCAL = NODE_MODULES / "axe-core" / "axe.min.js"
AXE_PATH = "/__tests__/axe.min.js"
CSS = PROJECT_ROOT / "app" / "static" / "dist" / "app.css"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
HTMX_CDN = "https://cdn.jsdelivr.net/npm/htmx.org@*/dist/htmx.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):  # noqa: ANN001
    """In a run that mixes them with other tests, skip these (they need a process of their own)."""
    mine = [item for item in items if HERE in Path(str(item.path)).parents]
    if len(mine) != len(items):
        skip = pytest.mark.skip(reason="browser tests run apart: pytest tests/browser -p no:cacheprovider")
        for item in mine:
            item.add_marker(skip)


@dataclass
class LiveServer:
    url: str
    email: str
    password: str
    database_url: str
    rich_urn: str  # a school with inspections on several frameworks, for the school page
    # The demo's first lead headteacher and its clinic chair, when the demo data was loaded (None on
    # the factories' data).
    lead: tuple[str, str] | None = None
    chair: tuple[str, str] | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seed_with_factories(url: str) -> tuple[str, str]:
    """About sixty schools with inspections on all three frameworks, categories and indicators."""
    phases = ["primary", "primary", "primary", "infant", "junior", "secondary", "special", "nursery"]
    places = ["Ash", "Birch", "Cedar", "Damson", "Elder", "Fir", "Gorse", "Hazel", "Ivy", "Juniper", "Larch",
              "Maple", "Oak", "Pine", "Rowan", "Spruce", "Teak", "Willow", "Yew", "Alder"]
    engine = build_engine(url)
    with session_scope(engine=engine) as session:
        world = factories.make_world(session)
        for n in range(60):
            phase = phases[n % len(phases)]
            area = ("Park", "Vale", "Hill")[n // 20]
            school = factories.make_school(
                session, world.ours, name=f"{places[n % 20]} {area} {phase.title()} School",
                phase=phase, pupils=80 + 17 * n, fsm_percent=round(5 + (n * 7) % 40, 1),
                la_category=[None, "red", "amber", "green"][n % 4],
                establishment_type=["Community school", "Academy converter", "Voluntary aided school"][n % 3],
                engaged=n % 9 != 0, not_engaged_reason=None if n % 9 else "Headteacher vacancy",
            )
            if n % 5:
                factories.make_inspection(session, school, inspected_on=date(2018 + n % 5, 3, 1),
                                          overall_effectiveness=1 + n % 4,
                                          grades={"quality_of_education": 1 + n % 4})
            if n % 3 == 0:
                factories.make_inspection(session, school, inspected_on=date(2024, 11, 1 + n % 20),
                                          overall_effectiveness=None, grades={"quality_of_education": 2})
            if n % 7 == 0:
                factories.make_inspection(session, school, inspected_on=date(2026, 1, 5 + n % 20),
                                          overall_effectiveness=None, safeguarding="met",
                                          grades={"inclusion": "strong_standard", "achievement": "needs_attention"})
            factories.make_indicator(session, school, measure="absence", value=4 + n % 5)
        email = world.officer.email
    engine.dispose()
    return email, factories.PASSWORD


def _seed(env: dict[str, str], url: str) -> tuple[str, str, dict[str, tuple[str, str]]]:
    """The project's demo data when its command exists; the test factories otherwise."""
    demo = subprocess.run([sys.executable, "-m", "app", "demo-data"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    found = re.search(r"officer: (\S+)\s+password: (\S+)", demo.stdout)
    people = {}
    for key, label in (("lead", r"lead headteacher \([^)]*\)"), ("chair", r"clinic chair \([^)]*\)")):
        match = re.search(label + r": (\S+)\s+password: (\S+)", demo.stdout)
        if match:
            people[key] = (match.group(1), match.group(2))
    if demo.returncode == 0 and found:
        return found.group(1), found.group(2), people
    return (*_seed_with_factories(url), {})


def _rich_urn(url: str) -> str:
    engine = build_engine(url)
    with engine.connect() as conn:
        urn = conn.execute(text(
            "SELECT s.urn FROM school s JOIN inspection i ON i.school_id = s.id "
            "GROUP BY s.urn ORDER BY COUNT(DISTINCT i.framework) DESC, COUNT(*) DESC, s.urn LIMIT 1"
        )).scalar_one()
    engine.dispose()
    return urn


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the server did not answer within 30 s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> LiveServer:
    """uvicorn on a free loopback port, over a fresh SQLite file built by the migrations."""
    for needed, hint in [(CHROMIUM, "apt-get install -y chromium"), (HTMX_LOCAL, "npm ci"),
                         (AXE_LOCAL, "npm ci"), (CSS, "npm run build:css")]:
        if not needed.exists():
            pytest.fail(f"{needed} is missing; run `{hint}`")
    folder = tmp_path_factory.mktemp("live-server")
    url = f"sqlite:///{folder / 'app.db'}"
    env = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "test",
           "SECRET_KEY": "browser-tests-secret-key-0123456789", "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024"}
    command.upgrade(alembic_config(url), "head")
    email, password, people = _seed(env, url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = folder / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(base, process, log)
        yield LiveServer(base, email, password, url, _rich_urn(url), people.get("lead"), people.get("chair"))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "headless": True,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync"]}


def _offline(context, server: LiveServer) -> None:
    """Nothing leaves the machine: htmx comes from node_modules, anything else not local is aborted."""
    local = urlparse(server.url).netloc
    # Routes registered later win, so the htmx answer goes after the catch-all refusal.
    context.route(lambda url: urlparse(url).netloc != local, lambda route: route.abort())
    context.route(HTMX_CDN, lambda route: route.fulfill(
        path=HTMX_LOCAL, content_type="application/javascript",
        headers={"Access-Control-Allow-Origin": "*"},  # the page loads it with crossorigin="anonymous"
    ))
    # axe-core is served as if from the site itself: the pages' content security policy allows
    # scripts from 'self' only, and the tests keep that policy in force rather than bypass it.
    context.route(f"**{AXE_PATH}", lambda route: route.fulfill(path=AXE_LOCAL, content_type="application/javascript"))


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900},
                                  locale="en-GB")
    context.set_default_timeout(10_000)
    _offline(context, live_server)
    refused: list[str] = []
    context.on("page", lambda page: page.on("console", lambda message: refused.append(message.text)
                                            if "Content Security Policy" in message.text else None))
    yield context
    context.close()
    # The policy is in force in every test: anything it blocked would be a broken page.
    assert not refused, refused


@pytest.fixture
def no_js_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900},
                                  java_script_enabled=False)
    context.set_default_timeout(10_000)
    _offline(context, live_server)
    yield context.new_page()
    context.close()


@pytest.fixture
def signed_in_page(page, live_server):
    sign_in(page, live_server)
    return page


def sign_in(page, server: LiveServer, as_person: tuple[str, str] | None = None) -> None:
    email, password = as_person or (server.email, server.password)
    page.goto("/sign-in")
    page.get_by_label("Work email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/(schools|board)"))  # the sign-in default, wherever it is


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.x A and AA violations on the page as it is now."""
    if page.url == "about:blank":  # a page the test wrote itself: no site, no policy to respect
        page.add_script_tag(path=str(AXE_LOCAL))
    else:
        page.add_script_tag(url=AXE_PATH)
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    return result["violations"]


def describe(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes'][:3]]}"
                     for v in violations)
