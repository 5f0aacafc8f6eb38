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
(seconds or an HTTP date; garbage falls back to 1, 2, 4, ... s), every wait capped at
``max_wait``, at most :data:`RETRIES` times per request; then :class:`PullError` says which
request failed and what was saved so far. 401/403 stop at once; redirects are not followed.
Each request has a total deadline (read as a stream, checked per chunk), the pull an overall
one, and a response larger than ``max_page_bytes`` is refused before it is held
(:class:`Limits`). A ``Link`` back to a page already fetched, or a cursor that does not
advance, stops the pull (recorded in ``.pull-state``: a resume refuses to loop again).

**The token** is only ever in the ``Authorization`` header of the client, sent only to the
origins of ``base_url`` and ``cc_url``; every text the pull lets out (pages, ``.pull-state``,
messages) passes through one :class:`Redactor`, so a server echoing it back cannot get it
written or printed.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import math
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpcore
import httpx
from tqdm import tqdm

from toolkit.atomic import write_bytes
from toolkit.inputs.webex.pages import PULL_STATE, read_json, read_pull_state

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
    """A pull that cannot go on; the message says what was saved and how to resume.

    ``code`` is the exit status: 1 when the service failed (HTTP errors, timeouts, a
    deadline), 2 when what it sent cannot be used (a foreign origin, a loop, a page too big).
    """

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


#: What replaces a secret in every text the pull lets out.
MASK = "[redacted]"
#: Any bearer credential, whoever's: ``Bearer xyz`` (also URL-encoded ``Bearer%20xyz``).
_BEARER = r"(?i)(bearer)(?:\s+|%20|\+)[^\s\"'<>,;\\]+"
#: What a token may hold: visible ASCII (RFC 9110 field values; Webex tokens are letters,
#: digits, ``-`` and ``_``). Anything else would break or smuggle a header.
_TOKEN_TEXT = re.compile(r"[!-~]+")


@dataclass(frozen=True)
class Redactor:
    """The one redaction step: every text the pull lets out (messages, exceptions, saved
    pages, ``.pull-state``) passes through it, so a server that echoes the token back
    (a 400 body, GraphQL ``errors``, a page) cannot get it printed or saved."""

    token: str = ""

    def _forms(self) -> list[str]:
        if not self.token:
            return []
        escaped = json.dumps(self.token)[1:-1]
        forms = {self.token, escaped, escaped.replace("/", "\\/"),
                 urllib.parse.quote(self.token, "")}
        return sorted(forms, key=len, reverse=True)

    def text(self, value: str) -> str:
        for form in self._forms():
            value = value.replace(form, MASK)
        return re.sub(_BEARER, rf"\1 {MASK}", value)

    def bytes(self, value: bytes) -> bytes:
        for form in self._forms():
            value = value.replace(form.encode(), MASK.encode())
        return re.sub(_BEARER.encode(), rb"\1 " + MASK.encode(), value)


def token_problem(token: str) -> str | None:
    """Why ``token`` cannot be sent, in words that do not quote it; None when it can."""
    if _TOKEN_TEXT.fullmatch(token):
        return None
    odd = next((i, c) for i, c in enumerate(token) if not _TOKEN_TEXT.fullmatch(c))
    kind = ("a line break" if odd[1] in "\r\n" else "a space" if odd[1].isspace()
            else "a control character" if ord(odd[1]) < 32 or ord(odd[1]) == 127
            else "a character that is not ASCII")
    return (f"the access token holds {kind} (character {odd[0] + 1} of {len(token)}), which "
            "an HTTP header cannot carry: copy it again")


@dataclass(frozen=True)
class Limits:
    """Every wait and every page of a pull is bounded (README "Security")."""

    max_wait: float = 60.0  # --max-wait: seconds of one wait before a retry
    request_deadline: float = 120.0  # --request-deadline: seconds of one request, in all
    deadline: float | None = 8 * 3600.0  # --deadline: seconds of the whole pull
    max_page_bytes: int = 64 * 2**20  # --max-page-bytes: bytes of one response


class DeadlinePassed(Exception):
    """A socket operation asked after the request's deadline (see :class:`DeadlineBackend`)."""


class Deadline:
    """The monotonic instant the current request must end by (``None``: no request)."""

    def __init__(self) -> None:
        self.at: float | None = None

    def bound(self, timeout: float | None) -> float | None:
        """``timeout`` shortened to what is left; :class:`DeadlinePassed` when nothing is."""
        if self.at is None:
            return timeout
        left = self.at - time.monotonic()
        if left <= 0:
            raise DeadlinePassed
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write, TLS handshake included, ends by the deadline:
    httpx's timeouts are per operation, so headers trickled a byte at a time would never
    end without this."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline):
        self._stream, self._deadline = stream, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.bound(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.bound(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname,
                                                      self._deadline.bound(timeout)),
                               self._deadline)

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.SyncBackend):
    """The network backend of the pull's client: connections bounded by :class:`Deadline`."""

    def __init__(self, deadline: Deadline):
        self.deadline = deadline

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = super().connect_tcp(host, port, self.deadline.bound(timeout), local_address,
                                     socket_options)
        return _DeadlineStream(stream, self.deadline)


def deadline_transport(deadline: Deadline) -> httpx.HTTPTransport:
    """An httpx transport whose sockets end by ``deadline`` (httpx has no total timeout;
    its pool takes a network backend, set here on the pool httpx built)."""
    transport = httpx.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    if not isinstance(pool, httpcore.ConnectionPool):  # pragma: no cover - httpx changed
        raise RuntimeError("httpx's transport has no connection pool to bound")
    pool._network_backend = DeadlineBackend(deadline)
    return transport


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
    stopped: str | None = None  # why a pull stopped for good (a loop): a resume refuses

    def to_json(self) -> str:
        data = {"from": self.start, "to": self.to, "pages": self.pages, "window": self.window,
                "cursor": self.cursor, "next_url": self.next_url, "complete": self.complete,
                "stopped": self.stopped}
        return json.dumps(data, indent=1) + "\n"


@dataclass
class Puller:
    """Fetches the sources of one pull into ``out/raw/<source>/``.

    Requests go only to the origins (scheme, host, port) of ``base_url`` and ``cc_url``; the
    client never follows redirects (``commands.pull`` builds it so).
    """

    client: httpx.Client
    out: Path
    start: dt.datetime
    to: dt.datetime
    base_url: str = BASE_URL
    cc_url: str = CC_URL
    sleep: Callable[[float], None] = time.sleep
    saved: dict[str, int] = field(default_factory=dict)
    redactor: Redactor = field(default_factory=Redactor)
    limits: Limits = field(default_factory=Limits)
    clock: Callable[[], float] = time.monotonic
    deadline: Deadline = field(default_factory=Deadline)  # the client's transport's, if any

    def run(self, sources: tuple[str, ...] = SOURCES) -> dict[str, int]:
        self._began = self.clock()
        self._origins = {_origin(self.base_url), _origin(self.cc_url)}
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
        data = read_pull_state(path)
        if [data["from"], data["to"]] != iso:
            raise self._fail(f"{path.parent} holds a pull of {data['from']} to "
                             f"{data['to']}, not {iso[0]} to {iso[1]}: pull into "
                             "another --out directory", 2)
        state = PullState(data["from"], data["to"], data["pages"], data["window"],
                          data["cursor"], data["next_url"], data["complete"], data["stopped"])
        if state.stopped and not state.complete:
            raise self._fail(f"{source}: a previous pull stopped here for good: "
                             f"{state.stopped}. Delete {path} to pull {source} again from "
                             "the start", 2)
        return state

    def _save(self, source: str, state: PullState, content: bytes) -> None:
        folder = self._folder(source)
        folder.mkdir(parents=True, exist_ok=True)
        state.pages += 1
        write_bytes(folder / f"page-{state.pages:04d}.json", self.redactor.bytes(content))
        self._record(source, state)

    def _record(self, source: str, state: PullState) -> None:
        folder = self._folder(source)
        folder.mkdir(parents=True, exist_ok=True)
        write_bytes(folder / PULL_STATE, self.redactor.text(state.to_json()).encode())
        self.saved[source] = state.pages

    def _fail(self, message: str, code: int = 1) -> PullError:
        """The error to raise, its message redacted (it may quote what a server sent)."""
        return PullError(self.redactor.text(message), code)

    # --- /v1/licenses, /v1/people: Link headers ----------------------------------------

    def _listing(self, source: str) -> None:
        state = self._state(source)
        self.saved[source] = state.pages
        if state.complete:
            return
        url: str | None = state.next_url or f"{self.base_url.rstrip('/')}/v1/{source}"
        params = {"max": 100} if source == "people" and not state.next_url else None
        fetched: set[str] = set()
        with _progress(source, state.pages) as bar:
            while url is not None:
                fetched.add(str(httpx.URL(url, params=params)))
                response, content = self._send(source, "GET", url, params=params)
                self._parsed(source, url, content)
                following = _next_link(url, response)
                state.next_url, state.complete = following, following is None
                if following in fetched:
                    state.stopped = (f"the Link header of {_safe(url)} points back to "
                                     f"{_safe(following)}, a page already fetched (the "
                                     "paging loops)")
                self._save(source, state, content)
                bar.update(1)
                if state.stopped:
                    raise self._fail(f"{source}: {state.stopped}; stopped. {self._so_far()}",
                                     2)
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
        asked: set[tuple[int, str | None]] = set()
        with _progress(source, state.pages) as bar:
            while state.window < len(windows):
                low, high = windows[state.window]
                asked.add((state.window, state.cursor))
                body = {"query": _graphql(query, listing, fields, low, high, state.cursor)}
                response, content = self._send(source, "POST", url, json=body)
                info = self._page_info(source, query, url, content)
                more = bool(info.get("hasNextPage")) and info.get("endCursor") is not None
                sent, state.cursor = state.cursor, info.get("endCursor") if more else None
                if more and (state.window, state.cursor) in asked:
                    state.stopped = (f"the Search API answered cursor {sent!r} with endCursor "
                                     f"{state.cursor!r}, already asked for (the cursor does "
                                     "not advance)")
                if not more:
                    state.window += 1
                state.complete = state.window >= len(windows)
                self._save(source, state, content)
                bar.update(1)
                if state.stopped:
                    raise self._fail(f"{source}: {state.stopped}; stopped. {self._so_far()}",
                                     2)
        if not state.complete:  # an empty window list: nothing to ask
            state.complete = True
            self._record(source, state)

    # --- one request, with bounded retries -----------------------------------------------

    def _send(self, source: str, method: str, url: str,
              **kwargs) -> tuple[httpx.Response, bytes]:
        self._check_origin(source, url)
        failure, asked = "", None
        for attempt in range(RETRIES + 1):
            wait = 2.0 ** attempt
            try:
                response, content = self._fetch(source, method, url, **kwargs)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                failure = f"{type(exc).__name__}"
            else:
                status = response.status_code
                if status in (401, 403):
                    raise self._fail(f"{source}: the access token was refused (HTTP "
                                     f"{status}); {self._so_far()}")
                if 300 <= status < 400:
                    where = _host(response.headers.get("Location", "")) or "elsewhere"
                    raise self._fail(f"{source}: HTTP {status} from {_safe(url)}, a redirect "
                                     f"to {where}: not followed (the token goes only to "
                                     f"--base-url and --cc-url); {self._so_far()}", 2)
                if status != 429 and status < 500:
                    if response.is_error:
                        body = content[:300].decode("utf-8", "replace")
                        raise self._fail(f"{source}: HTTP {status} from {_safe(url)}: "
                                         f"{body}; {self._so_far()}")
                    return response, content
                failure = f"HTTP {status}"
                asked = response.headers.get("Retry-After")
                seconds = retry_after(asked, dt.datetime.now(dt.UTC))
                wait = wait if seconds is None else seconds
            if attempt < RETRIES:
                self._wait(source, url, min(wait, self.limits.max_wait))
        header = f"the last Retry-After: {asked[:40]!r}, " if asked is not None else ""
        raise self._fail(f"{source}: gave up after {RETRIES + 1} tries ({failure}) at "
                         f"{_safe(url)} ({header}each wait at most --max-wait "
                         f"{self.limits.max_wait:g} s); {self._so_far()}")

    def _fetch(self, source: str, method: str, url: str,
               **kwargs) -> tuple[httpx.Response, bytes]:
        """One request, read as a stream against a monotonic deadline checked per chunk, so
        a server trickling a byte every few seconds cannot hold the pull; a body longer than
        ``max_page_bytes`` is refused before it is held (Content-Length, then counted)."""
        budget = min(self.limits.request_deadline, self._left(source, url))
        deadline = self.clock() + budget
        self.deadline.at = time.monotonic() + budget
        try:
            return self._read(source, method, url, budget, deadline, **kwargs)
        except (DeadlinePassed, httpx.TimeoutException):  # each timeout is the whole budget
            raise self._slow(source, url, budget) from None
        finally:
            self.deadline.at = None

    def _slow(self, source: str, url: str, budget: float) -> PullError:
        return self._fail(f"{source}: no complete answer from {_safe(url)} within "
                          f"--request-deadline {budget:g} s (the server sends too slowly); "
                          f"{self._so_far()}")

    def _read(self, source: str, method: str, url: str, budget: float, deadline: float,
              **kwargs) -> tuple[httpx.Response, bytes]:
        limit = self.limits.max_page_bytes
        with self.client.stream(method, url, timeout=httpx.Timeout(budget), **kwargs) as response:
            length = response.headers.get("Content-Length", "")
            if length.strip().isdigit() and int(length) > limit:
                raise self._too_big(source, url, f"Content-Length {int(length):,}")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise self._too_big(source, url, f"more than {limit:,} bytes")
                chunks.append(chunk)
                if self.clock() > deadline:
                    raise self._slow(source, url, budget)
        return response, b"".join(chunks)

    def _too_big(self, source: str, url: str, what: str) -> PullError:
        return self._fail(f"{source}: the response from {_safe(url)} is too big ({what}; "
                          f"--max-page-bytes {self.limits.max_page_bytes:,}): refused before "
                          f"it is held; {self._so_far()}", 2)

    def _left(self, source: str, url: str) -> float:
        """Seconds left of the whole pull's --deadline; stops the pull when none are."""
        if self.limits.deadline is None:
            return math.inf
        left = self.limits.deadline - (self.clock() - self._began)
        if left <= 0:
            raise self._fail(f"{source}: the pull ran past --deadline "
                             f"{self.limits.deadline:g} s before {_safe(url)}; "
                             f"{self._so_far()}")
        return left

    def _wait(self, source: str, url: str, seconds: float) -> None:
        if seconds >= self._left(source, url):
            raise self._fail(f"{source}: waiting {seconds:g} s to retry {_safe(url)} would run "
                             f"past --deadline {self.limits.deadline:g} s; {self._so_far()}")
        self.sleep(seconds)

    def _check_origin(self, source: str, url: str) -> None:
        """The token goes only to the configured origins: a Link or a ``.pull-state``
        ``next_url`` naming another scheme, host or port is never asked."""
        try:
            origin = _origin(url)
        except httpx.InvalidURL:
            raise self._fail(f"{source}: the next page is not a URL ({url[:80]!r}); "
                             f"{self._so_far()}", 2) from None
        if origin not in self._origins:
            allowed = ", ".join(sorted(f"{s}://{h}:{p}" for s, h, p in self._origins))
            raise self._fail(f"{source}: the next page is on another host, "
                             f"{origin[0]}://{origin[1]}:{origin[2]}, not {allowed}: not "
                             f"asked (the access token goes only to --base-url and --cc-url); "
                             f"{self._so_far()}", 2)

    def _parsed(self, source: str, url: str, content: bytes):
        payload, problems = read_json(content, f"{source} response from {_safe(url)}")
        if payload is None:
            body = content[:200].decode("utf-8", "replace")
            raise self._fail(f"{source}: the response is not usable JSON: {problems[0]} "
                             f"(it begins {body!r}); {self._so_far()}")
        return payload

    def _page_info(self, source: str, query: str, url: str, content: bytes) -> dict:
        payload = self._parsed(source, url, content)
        if isinstance(payload, dict) and payload.get("errors"):
            raise self._fail(f"{source}: the Search API answered with errors: "
                             f"{json.dumps(payload['errors'])[:300]}; {self._so_far()}")
        block = (payload.get("data") or {}).get(query) if isinstance(payload, dict) else None
        if not isinstance(block, dict):
            raise self._fail(f"{source}: the response is not a {query} page: "
                             f"{content[:200].decode('utf-8', 'replace')}; {self._so_far()}")
        info = block.get("pageInfo")
        return info if isinstance(info, dict) else {}

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


def retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds a ``Retry-After`` asks for (RFC 9110: delay-seconds or an HTTP date, with or
    without a zone; no zone is GMT), or None for garbage, ``nan`` or a negative number (the
    backoff applies then). A date in the past is 0."""
    text = (value or "").strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        seconds = float(text)
        return seconds if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - now).total_seconds(), 0.0)


def check_url(url: str) -> str | None:
    """Why ``url`` cannot receive the token, or None: https, or http to this machine only."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "a URL such as https://webexapis.com"
    if parsed.scheme == "https" and parsed.host:
        return None
    if parsed.scheme == "http" and parsed.host in LOOPBACK:
        return None
    return ("an https:// URL (plain http only to this machine: the token must not cross a "
            "network unencrypted)")


LOOPBACK = ("127.0.0.1", "localhost", "::1")
DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int]:
    parsed = httpx.URL(url)
    return parsed.scheme, parsed.host, parsed.port or DEFAULT_PORTS.get(parsed.scheme, 0)


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host
    except httpx.InvalidURL:
        return ""


def _next_link(url: str, response: httpx.Response) -> str | None:
    """The ``rel="next"`` URL, resolved against the page's own (RFC 8288 allows relative)."""
    following = response.links.get("next", {}).get("url")
    return str(httpx.URL(url).join(following)) if following else None


def _progress(source: str, done: int):
    return tqdm(desc=source, unit="page", initial=done, disable=None, leave=True)


def _safe(url: str) -> str:
    """The URL without its query string (cursors can be long; nothing secret is in it)."""
    return url.split("?", 1)[0]


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
