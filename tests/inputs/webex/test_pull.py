"""`multisub pull` against a real HTTP server on 127.0.0.1 that replays recorded pages."""

import json
import re
import time

import pytest
from werkzeug import Response

from builders import FIXTURES
from toolkit import load_agent_sessions, load_ai_agent_sessions, load_webex_licenses
from toolkit.commands.cli import main
from toolkit.inputs.webex.pull import search_windows

TOKEN = "tok-3f9c2a71-never-on-disk"
FIXTURES = FIXTURES
WEBEX = FIXTURES / "webex"
SEARCH = FIXTURES / "search"


class Tenant:
    """The replayed tenant: pages by path and cursor, a log of requests, scripted faults."""

    def __init__(self, server):
        self.server = server
        self.log = []
        self.faults = {}  # (path, cursor or page) -> list of (status, headers) to send first
        self.sessions = {None: (SEARCH / "agent_sessions" / "page-b.json").read_bytes(),
                         "0c000000-0000-4000-8000-000000000003":
                             (SEARCH / "agent_sessions" / "page-a.json").read_bytes()}
        self.ai = {None: (SEARCH / "ai_agent_sessions" / "page-1.json").read_bytes(),
                   "ai-2": (SEARCH / "ai_agent_sessions" / "page-2.json").read_bytes()}
        for route in ("/v1/licenses", "/v1/people", "/search"):
            server.expect_request(route).respond_with_handler(self.handle)

    def handle(self, request):
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Response('{"error": {"key": "401"}}', status=401)
        if request.path == "/search":
            query = request.get_json()["query"]
            cursor = re.search(r'cursor: "([^"]+)"', query)
            key = ("/search", query.split("(")[0].strip("{ "),
                   cursor.group(1) if cursor else None, re.search(r"from: (\d+)", query)[1])
        else:
            key = (request.path, request.args.get("page", "1"))
        self.log.append(key)
        faults = self.faults.get(key[:3] if request.path == "/search" else key)
        if faults:
            status, headers = faults.pop(0)
            return Response("busy", status=status, headers=headers)
        if request.path == "/search":
            body = (self.sessions if key[1] == "agentSession" else self.ai)[key[2]]
            return Response(body, content_type="application/json")
        return self.listing(request.path, key[1])

    def listing(self, path, page):
        name = "licenses_pages" if path.endswith("licenses") else "people_pages"
        body = (WEBEX / name / f"page-{page}.json").read_bytes()
        headers = {}
        if page == "1":
            headers["Link"] = f'<{self.server.url_for(path)}?page=2&max=100>; rel="next"'
        return Response(body, content_type="application/json", headers=headers)


@pytest.fixture
def tenant(httpserver):
    return Tenant(httpserver)


def pull(tenant, out, *extra):
    url = tenant.server.url_for("/").rstrip("/")
    return main(["pull", "--from", "2026-10-01", "--to", "2026-10-15", "--out", str(out),
                 "--base-url", url, "--cc-url", url, *extra])


def everything_written(out):
    return b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())


def test_a_whole_pull_saves_verbatim_pages_that_the_loaders_read(tenant, tmp_path,
                                                                 monkeypatch, capsys):
    monkeypatch.setenv("WEBEX_ACCESS_TOKEN", TOKEN)
    tenant.faults[("/search", "agentSession", None)] = [(429, {"Retry-After": "1"})]
    began = time.monotonic()
    assert pull(tenant, tmp_path) == 0
    assert time.monotonic() - began >= 1.0  # Retry-After honoured
    raw = tmp_path / "raw"
    assert sorted(p.name for p in (raw / "licenses").iterdir()) == [
        ".pull-state", "page-0001.json", "page-0002.json"]
    assert (raw / "licenses" / "page-0002.json").read_bytes() == (
        WEBEX / "licenses_pages" / "page-2.json").read_bytes()
    assert (raw / "agentSession" / "page-0002.json").read_bytes() == tenant.sessions[
        "0c000000-0000-4000-8000-000000000003"]
    # one query per request; the 429 was asked again, then the cursor was followed
    searches = [k for k in tenant.log if k[0] == "/search"]
    assert [k[1:3] for k in searches] == [
        ("agentSession", None), ("agentSession", None),
        ("agentSession", "0c000000-0000-4000-8000-000000000003"),
        ("contactAIAgentSession", None), ("contactAIAgentSession", "ai-2")]
    state = json.loads((raw / "agentSession" / ".pull-state").read_text())
    assert state["complete"] and state["to"] == "2026-10-15T00:00:00Z"
    out = capsys.readouterr()
    assert TOKEN.encode() not in everything_written(tmp_path)
    assert TOKEN not in out.out + out.err
    # the loaders read what was saved; open sessions end at the pull's end
    sessions = load_agent_sessions(raw / "agentSession").sessions
    assert len(sessions) == 5 and sessions["open"].sum() == 2
    # both end at the pull's end (2026-10-15), which is past login + 24h: both are cut
    assert [t.isoformat() for t in sessions.loc[sessions["open"], "logout"]] == [
        "2026-08-23T08:00:00+00:00", "2026-10-02T10:00:00+00:00"]
    assert len(load_webex_licenses(raw / "licenses")) > 0
    assert len(load_ai_agent_sessions(raw / "contactAIAgentSession")) == 3


def test_retries_are_bounded_and_a_second_run_resumes_without_duplicating(
        tenant, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WEBEX_ACCESS_TOKEN", TOKEN)
    tenant.faults[("/v1/people", "2")] = [(503, {"Retry-After": "0"})] * 6
    assert pull(tenant, tmp_path) == 1
    err = capsys.readouterr().err
    assert "people: gave up after 6 tries (HTTP 503)" in err
    assert "licenses 2 pages, people 1 page" in err and "again to resume" in err
    assert TOKEN not in err
    assert not (tmp_path / "raw" / "agentSession").exists()
    first_people = (tmp_path / "raw" / "people" / "page-0001.json").read_bytes()
    tenant.log.clear()
    assert pull(tenant, tmp_path) == 0
    # licenses were complete, people page 1 was saved: neither is asked for again
    assert ("/v1/licenses", "1") not in tenant.log and ("/v1/people", "1") not in tenant.log
    assert ("/v1/people", "2") in tenant.log
    people = sorted(p.name for p in (tmp_path / "raw" / "people").iterdir())
    assert people == [".pull-state", "page-0001.json", "page-0002.json"]
    assert (tmp_path / "raw" / "people" / "page-0001.json").read_bytes() == first_people
    tenant.log.clear()
    assert pull(tenant, tmp_path) == 0  # all complete: nothing fetched again
    assert tenant.log == []


def test_a_wrong_token_stops_at_once_and_no_token_without_a_terminal_names_the_variable(
        tenant, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WEBEX_ACCESS_TOKEN", "wrong-token-xyz")
    assert pull(tenant, tmp_path) == 1
    err = capsys.readouterr().err
    assert "refused (HTTP 401)" in err and "wrong-token-xyz" not in err
    assert len(tenant.server.log) == 1  # no retry of a refused token
    monkeypatch.delenv("WEBEX_ACCESS_TOKEN")
    assert pull(tenant, tmp_path / "b") == 2
    assert "WEBEX_ACCESS_TOKEN" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_search_windows_stay_within_the_api_limits_and_history(capsys):
    import datetime as dt

    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    windows = search_windows(start, dt.datetime(2026, 3, 15, tzinfo=dt.UTC))
    assert len(windows) == 3
    assert all(high - low <= 30 * 86_400_000 for low, high in windows)
    assert windows[0][0] == 1767225600000 and windows[-1][1] == 1773532800000
    assert all(b[0] == a[1] + 1 for a, b in zip(windows, windows[1:], strict=False))
    code = main(["pull", "--from", "2021-01-01", "--to", "2021-02-01", "--out", "/nonexistent"])
    assert code == 2 and "36 months" in capsys.readouterr().err


def test_an_unusable_url_is_a_message_not_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WEBEX_ACCESS_TOKEN", TOKEN)
    code = main(["pull", "--from", "2026-10-01", "--to", "2026-10-02", "--out", str(tmp_path),
                 "--base-url", "ftp://nowhere.invalid", "--only", "licenses"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("multisub pull: ") and TOKEN not in err
    assert "--base-url" in err and "https://" in err
