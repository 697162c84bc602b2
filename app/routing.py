"""The app's routers: FastAPI's, but a router says "not mine" at once for a path none of its routes could take.

FastAPI (0.165) finds a request's route by asking each included router in turn, each of which asks
every route it holds, at every level of the tree and again as it hands the request down: about 2 µs
a route, so a page found after the 240 routes before it paid 0.57 ms before its own code ran
(bench/request_overhead.py). Every router of the app is a `Router`, which answers a path that none
of its routes could match without asking them.

A router knows its routes' paths (its own prefix included) but not the prefix it is included under,
so it asks whether the path *ends* with something one of its routes would match, or, for a router
that holds other routers, whether the path contains its own prefix. A "no" is certain; a "yes" only
means FastAPI's own matching runs as before (which also answers 405 for a path with another method).
"""

import re

from fastapi import APIRouter
from starlette.routing import Match
from starlette.types import Scope

_NAMED_GROUP = re.compile(r"\(\?P<[^>]+>")


def _tail_pattern(route_patterns: list[str]) -> re.Pattern[str]:
    """One pattern that finds, at the end of a path, what any of these route patterns matches whole."""
    tails = []
    for pattern in route_patterns:
        body = pattern[1:] if pattern.startswith("^") else pattern
        tails.append("(?:" + _NAMED_GROUP.sub("(?:", body) + ")")
    return re.compile("|".join(tails))


class Router(APIRouter):
    """An APIRouter that declines at once a path none of its routes could match (see the module)."""

    _filter_for: int = -1
    _filter: re.Pattern[str] | str | None = None

    def _path_filter(self) -> re.Pattern[str] | str | None:
        """A pattern the path must contain at its end (a router of routes only), else the literal start
        of the router's prefix that the path must contain (a router of routers), else None."""
        if self._filter_for != len(self.routes):  # built at first use, again if routes were added since
            patterns = [getattr(route, "path_regex", None) for route in self.routes]
            if self.routes and all(p is not None for p in patterns):
                self._filter = _tail_pattern([p.pattern for p in patterns])
            else:
                self._filter = self.prefix.split("{", 1)[0] or None
            self._filter_for = len(self.routes)
        return self._filter

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http":
            wanted, path = self._path_filter(), scope["path"]
            if isinstance(wanted, str):
                if wanted not in path:
                    return Match.NONE, {}
            elif wanted is not None and wanted.search(path) is None:
                return Match.NONE, {}
        return super().matches(scope)
