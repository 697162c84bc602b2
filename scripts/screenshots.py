"""The README's screenshots, made afresh from the demo data:

    .venv/bin/python scripts/screenshots.py

builds the demo partnership in a new SQLite file (`python -m app migrate`, `python -m app demo-data`),
serves it on a free loopback port, and drives Debian's Chromium (/usr/bin/chromium; never a
downloaded browser) to save docs/screenshots/board.png (the partnership board), visit.png (a demo
visit record) and clinic.png (last term's clinic). Offline: htmx comes from node_modules and any
request that would leave the machine is refused. A page that cannot be drawn is reported by name and
the others are still made; the exit status is then 1.
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
HTMX_LOCAL = ROOT / "node_modules" / "htmx.org" / "dist" / "htmx.min.js"
HTMX_CDN = "https://cdn.jsdelivr.net/npm/htmx.org@*/dist/htmx.min.js"
CSS = ROOT / "app" / "static" / "dist" / "app.css"
WIDTH, HEIGHT, TALLEST = 1280, 900, 1800  # a picture no taller than TALLEST pixels


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _app(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    if done.returncode:
        sys.exit(f"`python -m app {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("the server exited early")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit("the server did not answer within 30 s")


def _save(page, name: str) -> Path:
    path = OUT / f"{name}.png"
    height = min(page.evaluate("() => document.documentElement.scrollHeight"), TALLEST)
    page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": WIDTH, "height": height})
    return path


def _open(page, url: str) -> None:
    response = page.goto(url)
    if response is None or response.status != 200:
        raise RuntimeError(f"{url} answered {response.status if response else 'nothing'}")
    page.get_by_role("heading", level=1).wait_for()


def board(page) -> None:
    _open(page, "/board")


def visit(page) -> None:
    """A submitted record of the first collaborative's first triad: findings, grade, actions, history."""
    _open(page, "/collaboratives")
    _open(page, page.locator("#results tbody a").first.get_attribute("href"))
    for triad in page.locator(".app-card h3 a").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        _open(page, triad)
        rows = page.locator("tbody tr", has=page.locator("strong", has_text=re.compile("Submitted|Signed off")))
        if rows.count():
            _open(page, rows.first.locator("a[href^='/visits/']").first.get_attribute("href"))
            return
    raise RuntimeError("no submitted visit record in the first collaborative")


def clinic(page) -> None:
    """Last term's clinic, its minutes approved: the agenda with flags, evidence and minutes."""
    _open(page, "/clinics")
    _open(page, page.get_by_role("row", name=re.compile("Minutes approved")).get_by_role("link").first
          .get_attribute("href"))
    page.locator(".app-agenda-item details").first.evaluate("el => el.open = true")


SHOTS: dict[str, Callable] = {"board": board, "visit": visit, "clinic": clinic}


def main() -> int:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (a dev dependency)

    for needed, hint in [(CHROMIUM, "apt-get install -y chromium"), (HTMX_LOCAL, "npm ci"),
                         (CSS, "npm run build:css")]:
        if not needed.exists():
            sys.exit(f"{needed} is missing; run `{hint}`")
    OUT.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="screenshots-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'app.db'}", "ENVIRONMENT": "development",
           "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024"}
    _app(env, "migrate")
    found = re.search(r"officer: (\S+)\s+password: (\S+)", _app(env, "demo-data"))
    if not found:
        sys.exit("the demo printed no officer")
    email, password = found.groups()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (folder / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host",
                               "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    failed = []
    try:
        _wait_until_up(base, server)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
            context = browser.new_context(base_url=base, viewport={"width": WIDTH, "height": HEIGHT}, locale="en-GB")
            context.set_default_timeout(15_000)
            local = urlparse(base).netloc
            context.route(lambda url: urlparse(url).netloc != local, lambda route: route.abort())
            context.route(HTMX_CDN, lambda route: route.fulfill(path=HTMX_LOCAL, content_type="application/javascript",
                                                                headers={"Access-Control-Allow-Origin": "*"}))
            page = context.new_page()
            page.goto("/sign-in")
            page.get_by_label("Work email address").fill(email)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda url: "/sign-in" not in url)
            for name, shoot in SHOTS.items():
                try:
                    shoot(page)
                    print(f"saved {_save(page, name).relative_to(ROOT)}")
                except Exception as error:  # noqa: BLE001 (report each page's failure by name, make the others)
                    failed.append(name)
                    print(f"could not make {name}.png: {error}", file=sys.stderr)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
    if failed:
        print(f"failed: {', '.join(failed)} (server log: {folder / 'server.log'})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
