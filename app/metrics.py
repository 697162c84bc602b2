"""Prometheus metrics: every request counted and timed by method, route template and status
(app.request_log records them), shown by GET /metrics in Prometheus' text format.

Several worker processes: each writes its figures to files in PROMETHEUS_MULTIPROC_DIR (set before
the workers start, by `serve --workers N` or the operator: app.metrics_dir), and /metrics, in
whichever worker answers, adds up every worker's files. One process: its own figures, in memory.

Who may read them: a client on this machine (loopback), or anyone sending
`Authorization: Bearer <METRICS_TOKEN>` when that setting is set. Anyone else gets the same 404
as an address that does not exist: the figures name every route, and how busy the service is."""

import hmac
import ipaddress

from fastapi import Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import values as prometheus_values
from prometheus_client.multiprocess import MultiProcessCollector

from app.config import get_settings
from app.errors import NotFound
from app.routing import Router

LABELS = ("method", "path", "status")
REQUESTS = Counter("http_requests", "HTTP requests answered, by method, route template and status", LABELS)
LATENCY = Histogram("http_request_duration_seconds",
                    "Time from a request's arrival to the end of its answer, by method, route template and status",
                    LABELS, buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))


def observe(method: str, path: str, status: int, seconds: float) -> None:
    labels = (method, path, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)


def multiprocess() -> bool:
    """Whether this process's metrics live in PROMETHEUS_MULTIPROC_DIR's files: decided by
    prometheus_client when it was first imported, from that variable."""
    return prometheus_values.ValueClass is not prometheus_values.MutexValue


def exposition() -> bytes:
    """Every metric in Prometheus' text format: this process's, or every worker's added up."""
    if multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def _loopback(host: str | None) -> bool:
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


FORWARDED = ("x-forwarded-for", "forwarded", "x-real-ip")


def may_read(request: Request) -> bool:
    """A loopback client, or the METRICS_TOKEN as a bearer token. A request that came through a
    proxy (it names a client) is never taken for a local one, whatever address the server was given
    for it: with FORWARDED_ALLOW_IPS=* the client writes that address itself."""
    proxied = any(name in request.headers for name in FORWARDED)
    if not proxied and _loopback(request.client.host if request.client else None):
        return True
    token = get_settings().metrics_token
    if not token:
        return False
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


router = Router(include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """PUBLIC to loopback clients, and to others with METRICS_TOKEN; 404 for anyone else."""
    if not may_read(request):
        raise NotFound()
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
