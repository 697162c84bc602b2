"""One table of every benchmark's figures beside its target: bench/results/summary.md.

Reads the JSON files the benchmarks wrote (bench/results/*.json) and writes a markdown page that
opens with the targets of issue 11 (met or not, with the figure), then the API's lists against the
raw baseline, the pages, the load runs and the workers on PostgreSQL. Each row names the file and
the commit it came from, and the machine's load average when it was measured, so a stale or noisy
figure shows as one. Run by bench/run_all.sh at its end; on its own:

    .venv/bin/python bench/summary.py [--results bench/results]
"""

import argparse
import json
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def _load(folder: Path) -> dict[str, dict]:
    found = {}
    for path in sorted(folder.glob("*.json")):
        try:
            found[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return found


def _when(result: dict) -> str:
    measured = result.get("measured_at", "")[:16].replace("T", " ")
    load = result.get("load_average") or result.get("load_average_before")
    load_text = f", load {load[0]:.2f}" if isinstance(load, list) and load else ""
    commit = result.get("commit")
    return " ".join(part for part in (measured, f"@{commit}" if commit else "", load_text.lstrip(", ")) if part)


def _engine(name: str) -> str:
    return "PostgreSQL" if "postgresql" in name else "SQLite"


def _mark(met: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "not measured"}[met]


def targets(results: dict[str, dict]) -> list[str]:
    rows = ["| target | measured | engine | result | file |", "|---|---|---|---|---|"]
    for name, result in results.items():
        if not name.startswith("api_lists"):
            continue
        ratios = [r["ours_over_raw"] for r in result.get("results", []) if r.get("ours_over_raw") is not None]
        if ratios:
            lists = result.get("lists") or "schools"
            kept = " (ours: the order kept; raw: all worked out each request)" if lists == "red-flags" else ""
            rows.append(f"| API lists ({lists}) ≥ 0.5 × raw{kept} | {min(ratios):.2f} to {max(ratios):.2f} of raw "
                        f"| {_engine(name)} | {_mark(min(ratios) >= 0.5)} | {name}.json |")
    for name, result in results.items():
        if not name.startswith("flags"):
            continue
        for size, figures in result.get("sizes", {}).items():
            median = figures["flags_current"]["median_ms"]
            rows.append(f"| flags for {int(size):,} schools < {figures['target_ms']:,.0f} ms | {median:,.0f} ms "
                        f"| {_engine(name)} | {_mark(figures['met'])} | {name}.json |")
    for name, result in results.items():
        if not name.startswith("board"):
            continue
        for label, page in result.get("partnerships", {}).get("partnership", {}).get("pages", {}).items():
            if label != "board":
                continue
            for how in ("flags_kept", "flags_worked_out"):
                median = page[how]["ours"]["median_ms"]
                rows.append(f"| board for 80 schools < 100 ms ({how.replace('_', ' ')}) | {median:.0f} ms "
                            f"| {_engine(result.get('database', name))} | {_mark(median < 100)} | {name}.json |")
    gias = results.get("gias_import")
    if gias:
        first = gias["runs"][0]
        rows.append(f"| GIAS national import < 30 s | {first['seconds']:.1f} s ({first['rows']:,} rows) "
                    f"| {_engine(gias.get('database', ''))} | {_mark(first['seconds'] < 30)} | gias_import.json |")
    for name, result in results.items():
        assessment = result.get("assessment")
        if not name.startswith("load") or not assessment:
            continue
        meets = assessment.get("meets", {})
        workers = result.get("server", {}).get("workers", 1)
        engine = _engine(result.get("server", {}).get("database") or name)
        rows.append(f"| load ({name}): 0 errors, every write present | {assessment['errors']} errors, writes "
                    f"{'all present' if assessment.get('all_writes_present') else 'MISSING'} | {engine}, "
                    f"{workers} worker(s) | {_mark(meets.get('no_errors') and meets.get('writes_present'))} "
                    f"| {name}.json |")
        rows.append(f"| load ({name}): mixed p99 < 1 s | {assessment['mixed_p99_ms']:,.0f} ms | {engine}, "
                    f"{workers} worker(s) | {_mark(meets.get('p99_under_1_s'))} | {name}.json |")
        if "database_is_locked" in assessment:
            rows.append(f"| load ({name}): 0 \"database is locked\" | {assessment['database_is_locked']} | {engine} "
                        f"| {_mark(assessment['database_is_locked'] == 0)} | {name}.json |")
    return rows


def lists(results: dict[str, dict]) -> list[str]:
    rows = ["| list | size | engine | ours req/s | ours p50 / p99 ms | one client p50 ms | raw req/s "
            "| raw p50 / p99 ms | ours / raw | measured |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for name, result in results.items():
        if not name.startswith("api_lists"):
            continue
        for row in result.get("results", []):
            ours, raw = row["ours"], row.get("raw")
            raw_cells = (f"{raw['requests_per_second']:.0f} | {raw['p50_ms']:.0f} / {raw['p99_ms']:.0f}"
                         if raw else "– | –")
            ratio = f"{row['ours_over_raw']:.2f}" if row.get("ours_over_raw") is not None else "no baseline"
            rows.append(f"| {row['endpoint']} | {row['size']} | {_engine(name)} | {ours['requests_per_second']:.0f} "
                        f"| {ours['p50_ms']:.0f} / {ours['p99_ms']:.0f} | {ours.get('p50_ms_one_client', 0):.1f} "
                        f"| {raw_cells} | {ratio} | {_when(result)} |")
    return rows


def red_flags(results: dict[str, dict]) -> list[str]:
    """bench/flags.py: flags.current, and GET /api/v1/red-flags in process, ours worked out afresh
    against the raw baseline (bench/raw_flags.py), one request at a time."""
    rows = ["| schools | engine | flags.current ms | raw reads ms | request | ours afresh ms | raw ms | ours / raw "
            "| measured |", "|---|---|---|---|---|---|---|---|---|"]
    for name, result in results.items():
        if not name.startswith("flags"):
            continue
        for size, figures in result.get("sizes", {}).items():
            against = figures.get("http_against_raw") or {"GET /api/v1/red-flags": None}
            for label, pair in against.items():
                cells = (f"{pair['ours_worked_out']['median_ms']:,.1f} | {pair['raw']['median_ms']:,.1f} "
                         f"| {pair['ours_over_raw']:.2f}") if pair else "– | – | not measured"
                rows.append(f"| {int(size):,} | {_engine(name)} | {figures['flags_current']['median_ms']:,.1f} "
                            f"| {figures['raw_reads']['median_ms']:,.1f} | {label} | {cells} | {_when(result)} |")
    return rows


def pages(results: dict[str, dict]) -> list[str]:
    rows = ["| page | partnership (schools) | statements | ours median ms | raw median ms | ours / raw |",
            "|---|---|---|---|---|---|"]
    for name, result in results.items():
        if not name.startswith("pages"):
            continue
        for label, page in result.get("pages", {}).items():
            ours, raw = page.get("ours", {}), page.get("raw", {})
            rows.append(f"| {label} | {result['partnership']} ({result['schools']:,}) | {page.get('statements', '–')} "
                        f"| {ours.get('median_ms', '–')} | {raw.get('median_ms', '–')} "
                        f"| {page.get('ours_over_raw', '–')} |")
    return rows


def load_runs(results: dict[str, dict]) -> list[str]:
    rows = ["| run | engine | workers | read-only req/s | mixed req/s | mixed p50 / p99 ms | errors "
            "| writes checked | measured |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name, result in results.items():
        runs = result.get("runs")
        if not name.startswith("load") or not isinstance(runs, dict) or "mixed" not in runs:
            continue
        mixed, server = runs["mixed"], result.get("server", {})
        check = mixed.get("writes_check", {})
        checked = sum(v for k, v in check.items() if k.endswith("_checked"))
        read_only = runs.get("read_only", {}).get("requests_per_second", "–")
        rows.append(f"| {name} | {_engine(server.get('database') or name)} | {server.get('workers', 1)} "
                    f"| {read_only} | {mixed['requests_per_second']} "
                    f"| {mixed['all']['p50_ms']:.0f} / {mixed['all']['p99_ms']:.0f} | {mixed.get('server_errors', 0)} "
                    f"| {checked:,} ({check.get('missing', 0)} missing) | {_when(result)} |")
    return rows


def machine(results: dict[str, dict]) -> list[str]:
    """The machine and versions of the newest result that records them."""
    recorded = [r for r in results.values() if isinstance(r.get("versions"), dict)]
    if not recorded:
        return []
    newest = max(recorded, key=lambda r: r.get("measured_at", ""))
    versions = ", ".join(f"{k} {v}" for k, v in newest["versions"].items())
    return [f"- machine: {newest.get('machine')}, {newest.get('cpus')} CPUs, Python {newest.get('python')}, "
            f"SQLite {newest.get('sqlite')}", f"- versions (newest run, {_when(newest)}): {versions}"]


def _list_method(results: dict[str, dict]) -> str:
    """How the lists were loaded, as the newest list file records it."""
    methods = [r for name, r in results.items() if name.startswith("api_lists") and r.get("method")]
    if not methods:
        return ""
    m = max(methods, key=lambda r: r.get("measured_at", ""))["method"]
    return (f"{m.get('connections')} connections for {m.get('seconds')} s after {m.get('warmup_seconds')} s of "
            f"warm-up, {m.get('rounds')} round(s), one worker each ({m.get('pinned')}); \"one client\" is a "
            "request at a time (server time without a queue).")


def summary(folder: Path) -> str:
    results = _load(folder)
    parts = ["# Benchmark summary", "",
             "Written by `bench/summary.py` from the JSON files beside it (`make bench` runs everything, then this).",
             "Targets are recorded here, never asserted in tests. Each row names the file it came from; the "
             "files record the machine, CPU count, load average, commit and versions.", "",
             *machine(results), "", "## Targets", "", *targets(results), "",
             "## The API's lists against the raw baseline (bench/raw_app.py)", "",
             _list_method(results), "",
             *lists(results), "",
             "## Red flags: a whole partnership worked out (bench/flags.py)", "",
             "In process, one request at a time: ours worked out afresh each time (the kept order forgotten) "
             "against the raw baseline (bench/raw_flags.py: the same statements on the DB-API driver, the same "
             "rules, orjson, nothing kept). Under load (the red-flags rows above) ours pages from the kept order.",
             "", *red_flags(results), "",
             "## Pages (server time, one request at a time)", "", *pages(results), "",
             "## Load: 50 clients, read-only then 80 % reads / 20 % writes", "", *load_runs(results), ""]
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    target = args.results / "summary.md"
    target.write_text(summary(args.results), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
