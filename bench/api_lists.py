"""The API's lists against the raw baseline, at a region and at national scale: schools, the
peer-review lists of issue 7 (collaboratives, triads, visits, a triad's visits, audit events), and
issue 9's action plans and support deployments with their reports.

Serves the project (`python -m app serve`, one worker) and the raw baseline (bench/raw_app.py:
Starlette, the DB-API driver, orjson, the same SQL and token check) on the same generated data,
each pinned to CPU 0, and loads them from CPU 1 with wrk (installed from Debian if missing; an
httpx client otherwise): 3 s of warm-up, then 10 s measured, ours and raw one after the other,
alternating which goes first, twice. Measured, for the 2,500-school region and the 42,000-school
national partnership:

- ``GET /api/v1/schools`` (the first page), ``?phase=primary``, and page 2 (via ``next_cursor``),
- ``GET /api/v1/schools/{urn}``,
- the HTML ``/schools`` page (ours only; signed in through the sign-in form as a user made here);
- ``GET /api/v1/collaboratives``, ``/api/v1/triads``, ``/api/v1/visits``, ``/api/v1/triads/{id}/visits``
  (the triad of the newest triad review) and ``/api/v1/audit-events``: the first page of each (50);
- ``GET /api/v1/action-plans``, the partnership plan's ``/api/v1/action-plans/{id}/milestones`` (first
  page, and ``?overdue=true``), ``/api/v1/support-deployments``, ``/api/v1/reports/support-data-quality``
  (first pages, 50) and ``/api/v1/reports/support-review`` (the current academic year);
- issue 10's ``GET /api/v1/groups`` (ours only: the baseline has no groups), with an alliance of 30 of
  the partnership's schools made through the API first if the data has none;
- issue 11's ``GET /api/v1/red-flags`` (the first page of 50) and ``?severity=red``. The baseline
  (bench/raw_flags.py) works every school out for each request and keeps nothing; ours keeps the order
  between requests until the data changes (app.services.flag_cache), so after the warm-up ours pages
  from the kept order: bench/flags.py compares the two worked out afresh. A request of the baseline
  takes about a second at national size, so these are loaded with ``--red-flag-connections`` (4):
  32 would queue half a minute of work behind each request, past wrk's timeout.

``--lists schools``, ``--lists peer-review``, ``--lists plans-support``, ``--lists groups`` or
``--lists red-flags`` measures one group only (default: all of them).

Before measuring, each API request is sent to both apps once and the answers must parse to the
same JSON (otherwise the script stops): the baseline does the same work, not less.

Results go to bench/results/api_lists.json (api_lists_<group>.json for one group): requests/s and
p50/p99 per endpoint and size, each round's figures, the ratio ours/raw, the targets (every list under
50 ms p50; API endpoints at 0.5x raw or better), and the machine, its load and the versions.

    .venv/bin/python -m app migrate && .venv/bin/python -m app generate --scale national
    .venv/bin/python bench/api_lists.py [--database-url URL] [--seconds 10] [--warmup 3] [--rounds 2]
        [--lists all|schools|peer-review|plans-support|groups|red-flags] [--red-flag-connections 4]
"""

import argparse
import asyncio
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    PYTHON,
    RESULTS,
    can_pin,
    load_tokens,
    machine,
    percentile,
    project_server,
    raw_server,
    server_env,
    tokens_file_for,
    write_results,
)

TARGETS = {"list_p50_ms_below": 50, "list_p50_measured": "one client at a time (server time, no queue)",
           "api_ours_over_raw_at_least": 0.5,
           "note": "one worker each, pinned; recorded, not asserted"}
SIZES = (("region", "the 2,500-school region"), ("national", "the 42,000-school national register"))
PEER_REVIEW = ("collaboratives", "triads", "visits", "triad's visits", "audit events")
PLANS_SUPPORT = ("action plans", "plan's milestones", "plan's milestones ?overdue=true", "support deployments",
                 "support data quality", "support review")
RED_FLAGS = {"red-flags": "/api/v1/red-flags", "red-flags ?severity=red": "/api/v1/red-flags?severity=red"}
API_ENDPOINTS = ("list", "list ?phase=primary", "list page 2", "school", *PEER_REVIEW, *PLANS_SUPPORT, *RED_FLAGS)
LISTS = ("list", "list ?phase=primary", "list page 2", "html /schools", *PEER_REVIEW, *PLANS_SUPPORT, "groups")
GROUPS = ("all", "schools", "peer-review", "plans-support", "groups", "red-flags")


# --- load generators ---------------------------------------------------------------------------

def ensure_wrk() -> str | None:
    """wrk from Debian's packages (installing it if this machine allows), else None."""
    found = shutil.which("wrk")
    if found or not shutil.which("apt-get") or os.geteuid() != 0:
        return found
    print("installing wrk (apt-get install -y wrk) ...", file=sys.stderr)
    for attempt in (["apt-get", "install", "-y", "-qq", "wrk"], ["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "wrk"]):
        subprocess.run(attempt, capture_output=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if shutil.which("wrk"):
            break
    return shutil.which("wrk")


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)([a-z]+)", text).groups()
    return float(number) * _UNITS[unit]


def wrk_run(wrk: str, url: str, headers: dict[str, str], *, seconds: float, connections: int) -> dict:
    command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
               f"--timeout={max(10, round(seconds))}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if can_pin():
        command = ["taskset", "-c", "1", *command]
    out = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 120).stdout
    found = {m.group(1): _seconds(m.group(2)) for m in re.finditer(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M)}
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", out, re.M)
    total = re.search(r"^\s+(\d+) requests in", out, re.M)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    if rps is None:
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    return {"requests_per_second": round(float(rps.group(1)), 1), "requests": int(total.group(1)) if total else None,
            "p50_ms": round(found["50"] * 1000, 2) if "50" in found else None,
            "p99_ms": round(found["99"] * 1000, 2) if "99" in found else None,
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else None}


async def _httpx_load(url: str, headers: dict[str, str], seconds: float, connections: int) -> dict:
    latencies: list[float] = []
    bad = 0
    deadline = time.monotonic() + seconds

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal bad
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = await client.get(url, headers=headers)
            latencies.append(time.perf_counter() - started)
            bad += response.status_code >= 300

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=60.0) as client:
        started = time.monotonic()
        await asyncio.gather(*(one(client) for _ in range(connections)))
        elapsed = time.monotonic() - started
    return {"requests_per_second": round(len(latencies) / elapsed, 1), "requests": len(latencies),
            "p50_ms": round(percentile(latencies, 0.5) * 1000, 2) if latencies else None,
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 2) if latencies else None,
            "non_2xx": bad, "socket_errors": None}


def load(wrk: str | None, url: str, headers: dict[str, str], *, seconds: float, connections: int) -> dict:
    if wrk:
        found = wrk_run(wrk, url, headers, seconds=seconds, connections=connections)
    else:
        found = asyncio.run(_httpx_load(url, headers, seconds, connections))
    if connections > 1:
        settle(url, headers)
    return found


def settle(url: str, headers: dict[str, str]) -> None:
    """Wait for the requests still queued in the server when the load stopped: the server finishes
    what wrk sent before it hung up (up to 31 requests), and for a list that takes 100 ms or more that
    backlog would otherwise run into the next measurement on the same CPU."""
    for _ in range(2):
        try:
            httpx.get(url, headers=headers, timeout=300.0)
        except httpx.TransportError:
            time.sleep(1.0)


# --- the data, the requests and the checks ------------------------------------------------------

def sign_in(base_url: str, database_url: str, slug: str) -> dict[str, str]:
    """A new officer of the partnership, signed in through the form; the Cookie header it then sends."""
    email = f"bench-{uuid.uuid4().hex[:8]}@{slug}.example"
    password = secrets.token_urlsafe(18)
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
        f.write(password)
        f.flush()
        made = subprocess.run([PYTHON, "-m", "app", "create-user", "--email", email, "--name", "Benchmark Officer",
                               "--partnership", slug, "--role", "officer", "--password-file", f.name],
                              cwd=ROOT, env=server_env(database_url), capture_output=True, text=True, timeout=120)
    if made.returncode != 0:
        raise RuntimeError(f"could not create the benchmark user: {made.stderr}")
    with httpx.Client(base_url=base_url, timeout=60.0) as http:
        form = http.get("/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        cookies = _cookies(form)
        if token is None or not cookies:
            raise RuntimeError(f"the sign-in page has no CSRF token or cookie ({form.status_code})")
        signed = http.post("/sign-in", data={"csrf_token": token.group(1), "email": email, "password": password,
                                             "next": "/schools"},
                           headers={"Cookie": _cookie_header(cookies)}, follow_redirects=False)
        if signed.status_code != 303:
            raise RuntimeError(f"sign-in answered {signed.status_code}: {signed.text[:300]}")
        cookies |= _cookies(signed)
        header = {"Cookie": _cookie_header(cookies)}
        page = http.get("/schools", headers=header)
        if page.status_code != 200:
            raise RuntimeError(f"/schools answered {page.status_code} after signing in")
    return header


def _cookies(response: httpx.Response) -> dict[str, str]:
    """The cookies a response sets (read from the headers: a Secure cookie still counts on http)."""
    found = {}
    for line in response.headers.get_list("set-cookie"):
        name, _, rest = line.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items() if v)


def requests_for(project_url: str, token: str) -> dict[str, str]:
    """The path of each API endpoint to measure, for this partnership."""
    auth = {"Authorization": f"Bearer {token}"}
    first = httpx.get(f"{project_url}/api/v1/schools", headers=auth, timeout=600.0)
    first.raise_for_status()
    page = first.json()
    if not page["items"] or not page["next_cursor"]:
        raise RuntimeError("the partnership needs more than one page of schools")
    return {"list": "/api/v1/schools", "list ?phase=primary": "/api/v1/schools?phase=primary",
            "list page 2": "/api/v1/schools?" + urlencode({"cursor": page["next_cursor"]}),
            "school": f"/api/v1/schools/{page['items'][0]['urn']}"}


def peer_review_requests(project_url: str, token: str) -> dict[str, str]:
    """The path of each peer-review list to measure: the first page of each, and the visits of the
    triad whose review is the newest."""
    auth = {"Authorization": f"Bearer {token}"}
    reviews = httpx.get(f"{project_url}/api/v1/visits", params={"kind": "triad_review", "limit": "1"}, headers=auth,
                        timeout=600.0)
    reviews.raise_for_status()
    if not reviews.json()["items"]:
        raise RuntimeError("the partnership has no triad visits: generate the data again (issue 7's generator)")
    triad_id = reviews.json()["items"][0]["triad_id"]
    return {"collaboratives": "/api/v1/collaboratives", "triads": "/api/v1/triads", "visits": "/api/v1/visits",
            "triad's visits": f"/api/v1/triads/{triad_id}/visits", "audit events": "/api/v1/audit-events"}


def plans_support_requests(project_url: str, token: str) -> dict[str, str]:
    """The path of each of issue 9's lists to measure: the first page of plans, of the partnership
    plan's milestones (all, and the overdue ones), of support deployments and of the data-quality
    report, and the support review of the current year."""
    auth = {"Authorization": f"Bearer {token}"}
    found = httpx.get(f"{project_url}/api/v1/action-plans", params={"scope": "partnership", "limit": "1"},
                      headers=auth, timeout=600.0)
    found.raise_for_status()
    if not found.json()["items"]:
        raise RuntimeError("the partnership has no plan of its own: generate the data again (issue 9's generator)")
    plan_id = found.json()["items"][0]["id"]
    return {"action plans": "/api/v1/action-plans", "plan's milestones": f"/api/v1/action-plans/{plan_id}/milestones",
            "plan's milestones ?overdue=true": f"/api/v1/action-plans/{plan_id}/milestones?overdue=true",
            "support deployments": "/api/v1/support-deployments",
            "support data quality": "/api/v1/reports/support-data-quality",
            "support review": "/api/v1/reports/support-review"}


def groups_requests(project_url: str, token: str) -> dict[str, str]:
    """The groups list (issue 10). The generator makes no groups: an alliance of 30 of the
    partnership's open schools is made through the API the first time."""
    auth = {"Authorization": f"Bearer {token}"}
    found = httpx.get(f"{project_url}/api/v1/groups", headers=auth, timeout=600.0)
    found.raise_for_status()
    if not found.json()["items"]:
        schools = httpx.get(f"{project_url}/api/v1/schools", params={"status": "open", "limit": "30"}, headers=auth,
                            timeout=600.0)
        schools.raise_for_status()
        made = httpx.post(f"{project_url}/api/v1/groups", headers=auth, timeout=600.0,
                          json={"name": "Bench alliance", "kind": "alliance",
                                "schools": [school["urn"] for school in schools.json()["items"]]})
        made.raise_for_status()
    return {"groups": "/api/v1/groups"}


def _difference(a: object, b: object, path: str = "") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: only in {'ours' if key in a else 'raw'}"
            found = _difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items (ours) against {len(b)} (raw)"
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _difference(x, y, f"{path}[{n}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {a!r} (ours) against {b!r} (raw)"


def check_same_answers(project_url: str, raw_url: str, paths: dict[str, str], token: str) -> None:
    """The raw baseline must answer exactly what the project answers, or it measures something else."""
    auth = {"Authorization": f"Bearer {token}"}
    for name, path in paths.items():
        ours = httpx.get(project_url + path, headers=auth, timeout=600.0)
        raw = httpx.get(raw_url + path, headers=auth, timeout=600.0)
        if ours.status_code != 200 or raw.status_code != 200:
            raise SystemExit(f"{name}: {path} answered {ours.status_code} (ours) and {raw.status_code} (raw)")
        difference = _difference(ours.json(), raw.json())
        if difference:
            raise SystemExit(f"{name}: the raw baseline's JSON differs from the project's at {difference}")
        if name == "school" and ours.headers.get("etag") != raw.headers.get("etag"):
            raise SystemExit(f"{name}: ETag {ours.headers.get('etag')} (ours) against {raw.headers.get('etag')} (raw)")


def summarise(rounds: list[dict]) -> dict:
    def mean(key: str) -> float | None:
        values = [r[key] for r in rounds if r.get(key) is not None]
        return round(statistics.fmean(values), 2) if values else None

    return {"requests_per_second": mean("requests_per_second"), "p50_ms": mean("p50_ms"), "p99_ms": mean("p99_ms"),
            "p50_ms_one_client": mean("p50_ms_one_client"), "p99_ms_one_client": mean("p99_ms_one_client"),
            "non_2xx": sum(r["non_2xx"] for r in rounds), "rounds": rounds}


# --- the run -----------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url",
                        default=os.environ.get("DATABASE_URL", f"sqlite:///{ROOT / 'data' / 'app.db'}"))
    parser.add_argument("--tokens", type=Path, help="bench-tokens.json (default: the one beside the database)")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--results", type=Path, help="default: api_lists.json, or api_lists_<group>.json for one group")
    parser.add_argument("--lists", choices=GROUPS, default="all", help="which lists to measure")
    parser.add_argument("--red-flag-connections", type=int, default=4, help="connections for the red-flag list")
    args = parser.parse_args()
    if args.results is None:
        group = "" if args.lists == "all" else "_" + args.lists.replace("-", "_")
        args.results = RESULTS / f"api_lists{group}.json"

    tokens = load_tokens(args.tokens or tokens_file_for(args.database_url))
    by_slug = {p["slug"]: p for p in tokens["partnerships"]}
    sizes = [(kind, label, by_slug[tokens[kind]]) for kind, label in SIZES if tokens.get(kind)]
    if not sizes:
        raise SystemExit("the tokens file names neither a region nor a national partnership; generate with "
                         "--scale national (or partnership)")
    wrk = ensure_wrk()
    info = machine()
    project = project_server(args.database_url, cpu=0)
    raw = raw_server(args.database_url, cpu=0)
    measured: dict[tuple[str, str], dict[str, list]] = {}
    try:
        project.wait_ready()
        raw.wait_ready()
        plans = []
        for kind, _, partnership in sizes:
            paths = {}
            if args.lists in ("all", "schools"):
                paths |= requests_for(project.url, partnership["token"])
            if args.lists in ("all", "peer-review"):
                paths |= peer_review_requests(project.url, partnership["token"])
            if args.lists in ("all", "plans-support"):
                paths |= plans_support_requests(project.url, partnership["token"])
            if args.lists in ("all", "red-flags"):
                paths |= RED_FLAGS
            check_same_answers(project.url, raw.url, paths, partnership["token"])
            auth = {"Authorization": f"Bearer {partnership['token']}"}
            for endpoint, path in paths.items():
                plans.append((kind, endpoint, path, auth, True))
            if args.lists in ("all", "groups"):
                for endpoint, path in groups_requests(project.url, partnership["token"]).items():
                    plans.append((kind, endpoint, path, auth, False))
            if args.lists in ("all", "schools"):
                cookie = sign_in(project.url, args.database_url, partnership["slug"])
                plans.append((kind, "html /schools", "/schools", cookie, False))
        print(f"the raw baseline answers the same JSON as the project; load from {'wrk' if wrk else 'httpx'}"
              f"{', pinned' if can_pin() else ''}", file=sys.stderr)
        for round_number in range(args.rounds):
            for kind, endpoint, path, headers, compare in plans:
                stacks = [("ours", project), ("raw", raw)] if compare else [("ours", project)]
                if round_number % 2:
                    stacks.reverse()
                connections = args.red_flag_connections if endpoint in RED_FLAGS else args.connections
                for stack, server in stacks:
                    url = server.url + path
                    load(wrk, url, headers, seconds=args.warmup, connections=connections)
                    figures = load(wrk, url, headers, seconds=args.seconds, connections=connections)
                    # The time one request takes in the server, with no queue in front of it: with
                    # 32 connections open, p50 is mostly the wait behind the other 31.
                    alone = load(wrk, url, headers, seconds=min(args.seconds, 5), connections=1)
                    figures["p50_ms_one_client"], figures["p99_ms_one_client"] = alone["p50_ms"], alone["p99_ms"]
                    measured.setdefault((kind, endpoint), {}).setdefault(stack, []).append(figures)
                    print(f"round {round_number + 1} {kind:<9} {endpoint:<20} {stack:<5} "
                          f"{figures['requests_per_second']:>8} req/s  p50 {figures['p50_ms']} ms  "
                          f"p99 {figures['p99_ms']} ms  alone: p50 {alone['p50_ms']} ms", file=sys.stderr)
    finally:
        project.stop()
        raw.stop()

    results = []
    for (kind, endpoint), stacks in measured.items():
        label, partnership = next((lb, p) for k, lb, p in sizes if k == kind)
        entry = {"size": kind, "what": label, "partnership": partnership["slug"], "schools": partnership["schools"],
                 **{k: partnership[k] for k in ("collaboratives", "triads", "visits", "plans", "milestones",
                                                "deployments") if k in partnership},
                 "endpoint": endpoint, "ours": summarise(stacks["ours"])}
        if "raw" in stacks:
            entry["raw"] = summarise(stacks["raw"])
            if entry["raw"]["requests_per_second"]:
                entry["ours_over_raw"] = round(entry["ours"]["requests_per_second"]
                                               / entry["raw"]["requests_per_second"], 3)
        meets = {}
        if endpoint in LISTS:
            alone = entry["ours"]["p50_ms_one_client"] or float("inf")
            meets["p50_under_50_ms"] = alone < TARGETS["list_p50_ms_below"]
        if endpoint in API_ENDPOINTS:
            meets["at_least_half_of_raw"] = entry.get("ours_over_raw", 0) >= TARGETS["api_ours_over_raw_at_least"]
        # A stack that answered errors under load measured something else: its figures do not count.
        meets["no_errors"] = all(stacks_figures["non_2xx"] == 0 and not any(
            (r.get("socket_errors") or "").replace("connect 0, read 0, write 0, timeout 0", "") for r in
            stacks_figures["rounds"]) for stacks_figures in (entry["ours"], entry.get("raw", entry["ours"])))
        entry["meets"] = meets
        results.append(entry)

    write_results(args.results, {
        "benchmark": "the API's lists (and one school): the project against the raw baseline (bench/raw_app.py)",
        "lists": args.lists,
        **info,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "database": args.database_url.split("://")[0],
        "data": {"scale": tokens.get("scale"), "seed": tokens.get("seed")},
        "method": {"load_tool": "wrk" if wrk else "httpx", "connections": args.connections,
                   "red_flag_connections": args.red_flag_connections,
                   "warmup_seconds": args.warmup, "seconds": args.seconds, "rounds": args.rounds, "server_workers": 1,
                   "pinned": "server on CPU 0, load on CPU 1" if can_pin() else "not pinned (fewer than 2 CPUs)",
                   "raw_json": "orjson" if info["versions"].get("orjson") else "json (orjson missing)"},
        "targets": TARGETS,
        "all_targets_met": all(all(e["meets"].values()) for e in results),
        "results": results,
    })
    for e in results:
        ratio = f"  {e['ours_over_raw']:.2f}x raw" if "ours_over_raw" in e else ""
        print(f"{e['size']:<9} {e['endpoint']:<20} ours {e['ours']['requests_per_second']:>8} req/s  "
              f"p50 {e['ours']['p50_ms']} ms  p99 {e['ours']['p99_ms']} ms  one client: p50 "
              f"{e['ours']['p50_ms_one_client']} ms{ratio}  {e['meets']}")
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
