"""``multisub pull --from DATE --to DATE --out DIR``: raw pages from a live Webex tenant.

Fetches ``/v1/licenses``, ``/v1/people``, and the Search API's Agent Session and AI Agent
Session records into ``DIR/raw/<source>/`` (see :mod:`toolkit.inputs.webex.pull`); then
``multisub measure DIR/raw/agentSession`` and ``multisub import-webex`` read them. A second
run with the same arguments resumes where the first stopped.

The access token comes from ``WEBEX_ACCESS_TOKEN``, or from a prompt when a terminal is
attached; it is never written anywhere, and every message passes through one redaction step.
It is sent only over https (plain http only to this machine) and only to the origins of
``--base-url`` and ``--cc-url``. ``--max-wait``, ``--request-deadline``, ``--deadline`` and
``--max-page-bytes`` bound every wait and page (README "Security",
docs/security.md). ``--base-url`` (default ``https://webexapis.com``)
serves licenses and people; ``--cc-url`` is the tenant's Contact Center API host
(``https://api.wxcc-<dc>.cisco.com``; dc one of us1, eu1, eu2, anz1, ca1, jp1, sg1, in1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import math
import os
import sys
from pathlib import Path

import httpx

from toolkit.commands.cli import COMMANDS
from toolkit.errors import InputError, Problem
from toolkit.inputs.webex.pull import (
    BASE_URL,
    CC_URL,
    CC_URLS,
    SOURCES,
    Deadline,
    Limits,
    Puller,
    PullError,
    Redactor,
    check_url,
    deadline_transport,
    oldest_allowed,
    token_problem,
)

TOKEN_VARIABLE = "WEBEX_ACCESS_TOKEN"


def register(subparsers) -> None:
    parser = subparsers.add_parser("pull", help=COMMANDS["pull"])
    parser.add_argument("--from", dest="start", required=True, metavar="DATE",
                        help="start of the sessions to fetch (ISO 8601; no offset: UTC)")
    parser.add_argument("--to", dest="to", required=True, metavar="DATE",
                        help="end of the sessions to fetch, exclusive (a future time is "
                             "clamped to now)")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="tenant directory: pages go to DIR/raw/<source>/")
    parser.add_argument("--base-url", default=BASE_URL,
                        help=f"Webex API for /v1/licenses and /v1/people (default {BASE_URL})")
    parser.add_argument("--cc-url", default=CC_URL,
                        help=f"Contact Center API host for POST /search (default {CC_URL}; "
                             f"regions: {', '.join(CC_URLS)} as https://api.wxcc-<dc>.cisco.com)")
    parser.add_argument("--only", choices=SOURCES, action="append",
                        help="fetch only this source (repeatable; default all)")
    limits = Limits()
    parser.add_argument("--max-wait", type=_seconds, default=limits.max_wait, metavar="S",
                        help=f"longest wait before a retry, whatever Retry-After asks "
                             f"(default {limits.max_wait:g})")
    parser.add_argument("--request-deadline", type=_seconds, default=limits.request_deadline,
                        metavar="S", help="longest time of one request, connect to last byte "
                                          f"(default {limits.request_deadline:g})")
    parser.add_argument("--deadline", type=_seconds, default=limits.deadline, metavar="S",
                        help=f"longest time of the whole pull (default {limits.deadline:g}); "
                             "a second run resumes")
    parser.add_argument("--max-page-bytes", type=_bytes, default=limits.max_page_bytes,
                        metavar="N", help="largest response accepted, in bytes (default "
                                          f"{limits.max_page_bytes:,} = 64 MiB)")
    parser.set_defaults(run=run)


def run(args) -> int:
    now = dt.datetime.now(dt.UTC)
    start, to = _window(args.start, args.to, now)
    bad = [Problem("command line", flag, "", url, reason)
           for flag, url in (("--base-url", args.base_url), ("--cc-url", args.cc_url))
           if (reason := check_url(url)) is not None]
    if bad:
        raise InputError(bad)
    token = _token()
    if token is None:
        print(f"multisub pull: no access token: set {TOKEN_VARIABLE} (or run it in a "
              "terminal to be asked for one)", file=sys.stderr)
        return 2
    if (reason := token_problem(token)) is not None:
        print(f"multisub pull: {reason}", file=sys.stderr)  # never the token itself
        return 2
    redactor = Redactor(token)
    limits = Limits(args.max_wait, args.request_deadline, args.deadline, args.max_page_bytes)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    deadline = Deadline()
    with httpx.Client(headers=headers, timeout=limits.request_deadline,
                      follow_redirects=False, transport=deadline_transport(deadline)) as client:
        puller = Puller(client, args.out, start, to, args.base_url, args.cc_url,
                        redactor=redactor, limits=limits, deadline=deadline)
        try:
            saved = puller.run(tuple(args.only or SOURCES))
        except PullError as error:
            return _say(redactor, str(error), error.code)
        except InputError as error:  # a .pull-state that cannot be read
            return _say(redactor, str(error), 2)
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            return _say(redactor, f"{type(error).__name__}: {error}", 1)
    for source, pages in saved.items():
        print(f"{source}: {pages} page{'s' if pages != 1 else ''} in "
              f"{args.out / 'raw' / source}")
    return 0


def _say(redactor: Redactor, message: str, code: int) -> int:
    """The one way a pull's failure reaches stderr: through the redaction step."""
    print(f"multisub pull: {redactor.text(message)}", file=sys.stderr)
    return code


def _seconds(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


def _bytes(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of bytes above 0")
    return int(text)


def _token() -> str | None:
    token = os.environ.get(TOKEN_VARIABLE, "").strip()  # a trailing newline of a paste
    if token:
        return token
    if sys.stdin.isatty():
        return getpass.getpass("Webex access token: ").strip() or None
    return None


def _window(start_text: str, to_text: str, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    problems, moments = [], []
    for flag, text in (("--from", start_text), ("--to", to_text)):
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            problems.append(Problem("command line", flag, "", text, "an ISO 8601 date or "
                                    "date-time such as 2026-10-01 or 2026-10-01T00:00:00Z"))
            continue
        moments.append(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))
    if problems:
        raise InputError(problems)
    start, to = moments[0], min(moments[1], now)
    oldest = oldest_allowed(now)
    if start < oldest:
        problems.append(Problem("command line", "--from", "", start_text,
                                f"a date from {oldest:%Y-%m-%d} on (the Search API keeps 36 "
                                "months)"))
    if to <= start:
        problems.append(Problem("command line", "--to", "", to_text,
                                "a time after --from (and not after now)"))
    if problems:
        raise InputError(problems)
    return start, to
