"""A live pull from a Webex tenant into raw pages (docs/rules.md §6): the files the loaders read.

Four sources, each saved under ``DIR/raw/<source>/`` as ``page-NNNN.json`` files whose bytes
are exactly the response received (records outside the window asked for are kept: the
loaders decide, and an auditor can compare a page with what the API says):

* ``licenses`` and ``people``: ``GET {base}/v1/licenses`` and ``GET {base}/v1/people``,
  following the RFC 5988 ``Link: <...>; rel="next"`` header until there is none.
* ``agentSession`` and ``contactAIAgentSession``: ``POST {cc}/search`` with one GraphQL query
  per request, cursor pagination (``pageInfo.endCursor`` → ``pagination: {cursor: ...}``),
  over windows of at most :data:`SEARCH_WINDOW` (Cisco: 365 days, 13 months in the README,
  30 days for raw activity data: the strictest is used) and never older than
  :data:`SEARCH_HISTORY` (the API serves nothing older).

**Resuming.** Beside the pages, a hidden ``.pull-state`` records the window asked for, where
the source stands (window, cursor or next URL, pages saved) and whether it is complete. It is
rewritten after each page is saved, so a second run continues from the last page saved and
never saves a page twice (a page saved just before a crash is fetched again under the same
file name). The loaders read its ``to`` as the extraction time at which still-active sessions
end (M3a).

**Failures.** HTTP 429 and 5xx (and dropped connections) are retried after ``Retry-After``
seconds (else 1, 2, 4, ... s), at most :data:`RETRIES` times per request; then
:class:`PullError` says which request failed and what was saved so far. 401/403 stop at once.

**The token** is only ever in the ``Authorization`` header of the client: it is not written
to the pages, the bookkeeping, progress output or any error message.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from tqdm import tqdm

from toolkit.inputs.webex.pages import PULL_STATE

BASE_URL = "https://webexapis.com"
#: Contact Center API hosts per data centre (Cisco's samples): pass the tenant's as --cc-url.
CC_URLS = {
    "us1": "https://api.wxcc-us1.cisco.com",
    "eu1": "https://api.wxcc-eu1.cisco.com",
    "eu2": "https://api.wxcc-eu2.cisco.com",
    "anz1": "https://api.wxcc-anz1.cisco.com",
    "ca1": "https://api.wxcc-ca1.cisco.com",
    "jp1": "https://api.wxcc-jp1.cisco.com",
    "sg1": "https://api.wxcc-sg1.cisco.com",
    "in1": "https://api.wxcc-in1.cisco.com",
}
CC_URL = CC_URLS["us1"]
SEARCH_WINDOW = dt.timedelta(days=30)
SEARCH_HISTORY_MONTHS = 36
RETRIES = 5
LONGEST_WAIT = 120.0  # seconds: a Retry-After beyond this is capped
SOURCES = ("licenses", "people", "agentSession", "contactAIAgentSession")

#: GraphQL selections per Search API source: (query, record list, fields).
SEARCH_QUERIES = {
    "agentSession": ("agentSession", "agentSessions",
                     "agentSessionId agentId agentName teamName siteName startTime endTime "
                     "isActive"),
    # The dictionary documents the fields, not the list's name: this one is by analogy with
    # agentSession (the loader accepts any list under the query name).
    "contactAIAgentSession": ("contactAIAgentSession", "contactAIAgentSessions",
                              "sessionId interactionId agentId agentName agentType "
                              "channelType sessionStartTime sessionEndTime duration "
                              "interactionOutcome"),
}


class PullError(RuntimeError):
    """A pull that cannot go on; the message says what was saved and how to resume."""


@dataclass
class PullState:
    """Where one source stands; saved as ``.pull-state`` after every page."""

    start: str
    to: str
    pages: int = 0
    window: int = 0
    cursor: str | None = None
    next_url: str | None = None
    complete: bool = False

    def to_json(self) -> str:
        data = {"from": self.start, "to": self.to, "pages": self.pages, "window": self.window,
                "cursor": self.cursor, "next_url": self.next_url, "complete": self.complete}
        return json.dumps(data, indent=1) + "\n"


@dataclass
class Puller:
    """Fetches the sources of one pull into ``out/raw/<source>/``."""

    client: httpx.Client
    out: Path
    start: dt.datetime
    to: dt.datetime
    base_url: str = BASE_URL
    cc_url: str = CC_URL
    sleep: Callable[[float], None] = time.sleep
    saved: dict[str, int] = field(default_factory=dict)

    def run(self, sources: tuple[str, ...] = SOURCES) -> dict[str, int]:
        for source in sources:
            if source in SEARCH_QUERIES:
                self._search(source)
            else:
                self._listing(source)
        return self.saved

    # --- bookkeeping -------------------------------------------------------------------

    def _folder(self, source: str) -> Path:
        return self.out / "raw" / source

    def _state(self, source: str) -> PullState:
        iso = [_iso(t) for t in (self.start, self.to)]
        path = self._folder(source) / PULL_STATE
        if not path.is_file():
            return PullState(iso[0], iso[1])
        data = json.loads(path.read_text(encoding="utf-8"))
        if [data.get("from"), data.get("to")] != iso:
            raise PullError(f"{path.parent} holds a pull of {data.get('from')} to "
                            f"{data.get('to')}, not {iso[0]} to {iso[1]}: pull into "
                            "another --out directory")
        return PullState(data["from"], data["to"], data.get("pages", 0), data.get("window", 0),
                         data.get("cursor"), data.get("next_url"), data.get("complete", False))

    def _save(self, source: str, state: PullState, content: bytes) -> None:
        folder = self._folder(source)
        folder.mkdir(parents=True, exist_ok=True)
        state.pages += 1
        (folder / f"page-{state.pages:04d}.json").write_bytes(content)
        self._record(source, state)

    def _record(self, source: str, state: PullState) -> None:
        folder = self._folder(source)
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / (PULL_STATE + ".tmp")
        temporary.write_text(state.to_json(), encoding="utf-8")
        temporary.replace(folder / PULL_STATE)
        self.saved[source] = state.pages

    # --- /v1/licenses, /v1/people: Link headers ----------------------------------------

    def _listing(self, source: str) -> None:
        state = self._state(source)
        self.saved[source] = state.pages
        if state.complete:
            return
        url: str | None = state.next_url or f"{self.base_url.rstrip('/')}/v1/{source}"
        params = {"max": 100} if source == "people" and not state.next_url else None
        with _progress(source, state.pages) as bar:
            while url is not None:
                response = self._send(source, "GET", url, params=params)
                _json_or_fail(source, response)
                following = response.links.get("next", {}).get("url")
                state.next_url, state.complete = following, following is None
                self._save(source, state, response.content)
                bar.update(1)
                url, params = following, None

    # --- POST /search: cursor pagination, one query per request --------------------------

    def _search(self, source: str) -> None:
        state = self._state(source)
        self.saved[source] = state.pages
        if state.complete:
            return
        windows = search_windows(self.start, self.to)
        query, listing, fields = SEARCH_QUERIES[source]
        url = f"{self.cc_url.rstrip('/')}/search"
        with _progress(source, state.pages) as bar:
            while state.window < len(windows):
                low, high = windows[state.window]
                body = {"query": _graphql(query, listing, fields, low, high, state.cursor)}
                response = self._send(source, "POST", url, json=body)
                info = _page_info(source, query, response)
                more = bool(info.get("hasNextPage")) and info.get("endCursor") is not None
                state.cursor = info.get("endCursor") if more else None
                if not more:
                    state.window += 1
                state.complete = state.window >= len(windows)
                self._save(source, state, response.content)
                bar.update(1)
        if not state.complete:  # an empty window list: nothing to ask
            state.complete = True
            self._record(source, state)

    # --- one request, with bounded retries -----------------------------------------------

    def _send(self, source: str, method: str, url: str, **kwargs) -> httpx.Response:
        failure = ""
        for attempt in range(RETRIES + 1):
            try:
                response = self.client.request(method, url, **kwargs)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                failure, wait = f"{type(exc).__name__}", 2.0 ** attempt
            else:
                if response.status_code in (401, 403):
                    raise PullError(f"{source}: the access token was refused (HTTP "
                                    f"{response.status_code}); {self._so_far()}")
                if response.status_code != 429 and response.status_code < 500:
                    if response.is_error:
                        raise PullError(f"{source}: HTTP {response.status_code} from "
                                        f"{_safe(url)}: {response.text[:300]}; "
                                        f"{self._so_far()}")
                    return response
                failure = f"HTTP {response.status_code}"
                wait = _retry_after(response, 2.0 ** attempt)
            if attempt < RETRIES:
                self.sleep(min(wait, LONGEST_WAIT))
        raise PullError(f"{source}: gave up after {RETRIES + 1} tries ({failure}) at "
                        f"{_safe(url)}; {self._so_far()}")

    def _so_far(self) -> str:
        saved = ", ".join(f"{source} {n} page{'s' if n != 1 else ''}"
                          for source, n in self.saved.items()) or "nothing"
        return (f"saved so far under {self.out / 'raw'}: {saved}. Run the same command "
                "again to resume where it stopped")


def search_windows(start: dt.datetime, to: dt.datetime) -> list[tuple[int, int]]:
    """[from, to] epoch-ms windows of at most :data:`SEARCH_WINDOW` covering the pull."""
    windows, low = [], start
    while low < to:
        high = min(low + SEARCH_WINDOW, to)
        windows.append((_ms(low), _ms(high) - 1 if high < to else _ms(high)))
        low = high
    return windows


def oldest_allowed(now: dt.datetime) -> dt.datetime:
    """The oldest ``from`` the Search API serves: 36 months before ``now``."""
    months = now.year * 12 + now.month - 1 - SEARCH_HISTORY_MONTHS
    year, month = divmod(months, 12)
    day = min(now.day, 28)
    return now.replace(year=year, month=month + 1, day=day)


def _graphql(query: str, listing: str, fields: str, low: int, high: int,
             cursor: str | None) -> str:
    paging = f', pagination: {{cursor: "{cursor}"}}' if cursor else ""
    return (f"{{ {query}(from: {low}, to: {high}{paging}) {{ {listing} {{ {fields} }} "
            "pageInfo { hasNextPage endCursor } } }")


def _page_info(source: str, query: str, response: httpx.Response) -> dict:
    payload = _json_or_fail(source, response)
    if isinstance(payload, dict) and payload.get("errors"):
        raise PullError(f"{source}: the Search API answered with errors: "
                        f"{json.dumps(payload['errors'])[:300]}")
    block = (payload.get("data") or {}).get(query) if isinstance(payload, dict) else None
    if not isinstance(block, dict):
        raise PullError(f"{source}: the response is not a {query} page: {response.text[:200]}")
    info = block.get("pageInfo")
    return info if isinstance(info, dict) else {}


def _json_or_fail(source: str, response: httpx.Response):
    try:
        return response.json()
    except ValueError:
        raise PullError(f"{source}: the response is not JSON: {response.text[:200]!r}") from None


def _retry_after(response: httpx.Response, default: float) -> float:
    value = response.headers.get("Retry-After")
    if value is None:
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)


def _progress(source: str, done: int):
    return tqdm(desc=source, unit="page", initial=done, disable=None, leave=True)


def _safe(url: str) -> str:
    """The URL without its query string (cursors can be long; nothing secret is in it)."""
    return url.split("?", 1)[0]


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
