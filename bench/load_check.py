"""The judgement of a scripts/load.sh run: locust's figures, the failures, "database is locked" in the
server's log, and every acknowledged write read back through the API.

Reads locust's CSV statistics (``--stats PREFIX``: PREFIX_stats.csv), the record bench/locustfile.py
left (``--record``: its acknowledged writes, 412 races and failure samples) and the server's logs; the
writes are read back with bench/load.py's `verify_writes` against ``--url`` (a server on the same
database, started again after the run). Prints one line and exits 1 on any of: no request, a failure
(5xx, dropped connection, unexpected status), "database is locked" in a log, no acknowledged write, or
an acknowledged write missing.

    .venv/bin/python bench/load_check.py --url http://127.0.0.1:PORT --tokens T.json --record R.json \\
        --stats /tmp/work/locust --log /tmp/work/server.log [--log ...] [--label sqlite]
"""

import argparse
import asyncio
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import Tally, Tenant, verify_writes  # noqa: E402

LOCKED = "database is locked"


def tally_of(record: dict) -> Tally:
    """The acknowledged writes in bench/load.py's shape, for its read-back."""
    tally = Tally()
    for w in record["writes"]:
        slug, kind = w["slug"], w["kind"]
        if kind == "school":
            tally.patches[(slug, w["urn"])].append((w["version"], w["value"]))
        elif kind == "indicator":
            tally.indicators[(slug, w["urn"])][w["id"]] = (w["source"], w["value"])
        elif kind == "visit":
            tally.peer.visits[(slug, w["id"])].append((w["version"], w["value"]))
        elif kind == "triad":
            tally.peer.triads[(slug, w["id"])].append((w["version"], w["value"]))
        elif kind == "action":
            tally.peer.actions[(slug, w["visit"])][w["id"]] = w["value"]
        elif kind == "flag":
            tally.flags.flags[(slug, w["urn"])][w["id"]] = w["value"]
        else:
            raise ValueError(f"unknown write {kind!r} in the record")
    return tally


def aggregated(prefix: str) -> dict:
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as f:
        rows = [row for row in csv.DictReader(f) if row["Name"] == "Aggregated"]
    if not rows:
        raise SystemExit(f"no Aggregated row in {prefix}_stats.csv")
    return rows[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--tokens", type=Path, required=True)
    parser.add_argument("--record", type=Path, required=True)
    parser.add_argument("--stats", required=True, help="locust's --csv prefix")
    parser.add_argument("--log", type=Path, action="append", default=[], help="a server log (repeat)")
    parser.add_argument("--label", default="load")
    args = parser.parse_args()

    stats = aggregated(args.stats)
    requests, failures = int(stats["Request Count"]), int(stats["Failure Count"])
    record = json.loads(args.record.read_text(encoding="utf-8"))
    locked = sum(log.read_text(errors="replace").count(LOCKED) for log in args.log if log.is_file())
    tokens = json.loads(args.tokens.read_text(encoding="utf-8"))
    tenants = [Tenant(p["slug"], p["token"]) for p in tokens["partnerships"]]
    check = asyncio.run(verify_writes(args.url, tenants, tally_of(record)))
    checked = sum(v for k, v in check.items() if k.startswith("acknowledged_") and k.endswith("_checked"))
    transport = sum(record["transport_errors"].values())
    problems = [what for what, bad in (
        ("no request was made", requests == 0), (f"{failures} failures", failures > 0),
        (f"{locked} '{LOCKED}' in the server log", locked > 0), ("no write was acknowledged", checked == 0),
        (f"{check['missing']} acknowledged writes missing", check["missing"] > 0)) if bad]
    races = sum(record["races"].values())
    print(f"{args.label}: {requests} requests, {float(stats['Requests/s']):.1f} req/s, p50 {stats['50%']} ms, "
          f"p99 {stats['99%']} ms; failures {failures} (5xx {len(record['server_errors'])}, transport {transport}, "
          f"unexpected {len(record['unexpected'])}); 412 races {races}; '{LOCKED}' {locked}; writes checked "
          f"{checked}, missing {check['missing']}: {'FAIL: ' + ', '.join(problems) if problems else 'ok'}")
    for sample in (record["server_errors"][:5] + record["unexpected"][:5] + check["missing_samples"][:10]):
        print(f"  {sample}")
    if record["transport_errors"]:
        print(f"  transport errors: {dict(record['transport_errors'])}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
