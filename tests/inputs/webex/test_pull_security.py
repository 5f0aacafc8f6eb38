"""`multisub pull` against a hostile server on 127.0.0.1 (issue 19.1-6): the token never leaks
or strays, every loop ends, every wait and page is bounded, ``.pull-state`` is an input."""

import datetime as dt
import json
import socket
import threading
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from builders import FIXTURES
from toolkit.commands.cli import main
from toolkit.inputs.webex.pull import Redactor, retry_after

TOKEN = "tok-9d1e-SECRET-never-shown"
LICENSES = (FIXTURES / "webex" / "licenses_pages" / "page-1.json"
            ).read_bytes()
LIST = '{"items": []}'


def pull(url, out, *extra, only="licenses"):
    return main(["pull", "--from", "2026-10-01", "--to", "2026-10-15", "--out", str(out),
                 "--base-url", url, "--cc-url", url, "--only", only, *extra])


def written(out: Path) -> bytes:
    return b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("WEBEX_ACCESS_TOKEN", TOKEN)
    return TOKEN


@pytest.fixture
def base(httpserver):
    return httpserver.url_for("/").rstrip("/")


def page(body, status=200, **headers):
    return lambda request: Response(body(request) if callable(body) else body, status=status,
                                    headers=headers, content_type="application/json")


def echo(request):
    return f'{{"error": "bad request", "sent": "{request.headers["Authorization"]}"}}'


def search_page(cursor, more=True, extra=""):
    info = {"hasNextPage": more, "endCursor": cursor}
    return json.dumps({"data": {"agentSession": {"agentSessions": [], "pageInfo": info}},
                       **({"note": extra} if extra else {})})


# --- 1. the token never appears ----------------------------------------------------------

ECHOES = {
    "a 400 body": ("licenses", page(echo, status=400)),
    "a body that is not JSON": ("licenses", page(lambda r: "<html>" + r.headers["Authorization"])),
    "GraphQL errors": ("agentSession", page(lambda r: json.dumps(
        {"errors": [{"message": "denied for " + r.headers["Authorization"]}]}))),
    "an unexpected page": ("agentSession", page(lambda r: json.dumps(
        {"data": {"other": r.headers["Authorization"]}}))),
    "another Bearer value": ("licenses", page('{"e": "Bearer other-secret-77"}', status=400)),
}


@pytest.mark.parametrize("case", ECHOES)
def test_a_server_echoing_the_token_never_gets_it_printed(httpserver, base, token, tmp_path,
                                                         capsys, case):
    only, handler = ECHOES[case]
    httpserver.expect_request("/v1/licenses").respond_with_handler(handler)
    httpserver.expect_request("/search").respond_with_handler(handler)
    assert pull(base, tmp_path, only=only) == 1
    err = capsys.readouterr().err
    assert TOKEN not in err and "other-secret-77" not in err
    assert "[redacted]" in err
    assert TOKEN.encode() not in written(tmp_path)


def test_a_page_holding_the_token_is_saved_without_it(httpserver, base, token, tmp_path):
    httpserver.expect_request("/v1/licenses").respond_with_handler(page(
        lambda r: json.dumps({"items": [], "by": r.headers["Authorization"]})))
    assert pull(base, tmp_path) == 0
    saved = (tmp_path / "raw" / "licenses" / "page-0001.json").read_bytes()
    assert TOKEN.encode() not in saved and b"Bearer [redacted]" in saved


@pytest.mark.parametrize("bad", ["part1\npart2", "part1\rpart2", "part1 part2",
                                 "part1\x7fpart2", "part1\u00e9part2"])
def test_a_token_no_header_can_carry_is_refused_without_echoing_it(httpserver, base,
                                                                   monkeypatch, tmp_path,
                                                                   capsys, bad):
    monkeypatch.setenv("WEBEX_ACCESS_TOKEN", bad)
    assert pull(base, tmp_path) == 2
    err = capsys.readouterr().err
    assert "access token holds" in err and "part1" not in err and "part2" not in err
    assert "Traceback" not in err and len(httpserver.log) == 0


def test_the_redactor_catches_every_form_of_the_token():
    redact = Redactor("a/b+c")
    assert redact.text('x a/b+c "a\\/b+c" a%2Fb%2Bc Bearer zz9') == (
        'x [redacted] "[redacted]" [redacted] Bearer [redacted]')
    assert redact.bytes(b"Authorization: bearer%20q1") == b"Authorization: bearer [redacted]"


# --- 2. the token never leaves the configured origin ---------------------------------------

@pytest.fixture
def other():
    server = HTTPServer(host="127.0.0.1")
    server.expect_request("/v1/licenses").respond_with_data(LIST)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


FOREIGN = {
    "another host": lambda s, o: "http://evil.invalid/v1/licenses?page=2",
    "another scheme": lambda s, o: s.url_for("/v1/licenses").replace("http:", "https:"),
    "another port": lambda s, o: o.url_for("/v1/licenses"),
}


@pytest.mark.parametrize("case", FOREIGN)
def test_a_link_to_another_origin_is_never_followed(httpserver, other, base, token, tmp_path,
                                                    capsys, case):
    target = FOREIGN[case](httpserver, other)
    httpserver.expect_request("/v1/licenses").respond_with_handler(
        page(LIST, Link=f'<{target}>; rel="next"'))
    assert pull(base, tmp_path) == 2
    err = capsys.readouterr().err
    foreign = target.split("/v1")[0].split("://")[1].split(":")[0]
    assert "another host" in err and foreign in err and "not asked" in err
    assert len(other.log) == 0 and len(httpserver.log) == 1
    assert (tmp_path / "raw" / "licenses" / "page-0001.json").is_file()  # kept


def test_a_pull_state_pointing_elsewhere_is_never_followed(httpserver, other, base, token,
                                                           tmp_path, capsys):
    folder = tmp_path / "raw" / "licenses"
    folder.mkdir(parents=True)
    (folder / ".pull-state").write_text(json.dumps({
        "from": "2026-10-01T00:00:00Z", "to": "2026-10-15T00:00:00Z", "pages": 1,
        "window": 0, "cursor": None, "next_url": other.url_for("/v1/licenses"),
        "complete": False}))
    assert pull(base, tmp_path) == 2
    assert f"127.0.0.1:{other.port}" in capsys.readouterr().err
    assert len(other.log) == 0


def test_a_redirect_is_not_followed(httpserver, other, base, token, tmp_path, capsys):
    httpserver.expect_request("/v1/licenses").respond_with_handler(
        page("", status=302, Location=other.url_for("/v1/licenses")))
    assert pull(base, tmp_path) == 2
    assert "redirect to 127.0.0.1: not followed" in capsys.readouterr().err
    assert len(other.log) == 0


def test_plain_http_to_another_machine_is_refused(token, tmp_path, capsys):
    assert pull("http://webex.example.com", tmp_path) == 2
    assert "an https:// URL" in capsys.readouterr().err


# --- 3. every loop ends ------------------------------------------------------------------

def test_a_link_back_to_a_page_already_fetched_stops_and_keeps_what_was_saved(
        httpserver, base, token, tmp_path, capsys):
    first = httpserver.url_for("/v1/licenses")

    def handler(request):
        following = first + ("?page=2" if request.args.get("page") != "2" else "")
        return Response(LIST, headers={"Link": f'<{following}>; rel="next"'})

    httpserver.expect_request("/v1/licenses").respond_with_handler(handler)
    assert pull(base, tmp_path) == 2
    assert "points back to" in capsys.readouterr().err
    assert len(httpserver.log) == 2
    folder = tmp_path / "raw" / "licenses"
    assert sorted(p.name for p in folder.iterdir()) == [".pull-state", "page-0001.json",
                                                        "page-0002.json"]
    assert pull(base, tmp_path) == 2  # a second run does not loop again
    assert "stopped here for good" in capsys.readouterr().err and len(httpserver.log) == 2


@pytest.mark.parametrize("cursors", [["A", "A"], ["A", "B", "A"]])
def test_a_search_cursor_that_does_not_advance_stops(httpserver, base, token, tmp_path,
                                                     capsys, cursors):
    answers = iter(cursors)
    httpserver.expect_request("/search").respond_with_handler(
        lambda request: Response(search_page(next(answers))))
    assert pull(base, tmp_path, "--to", "2026-10-05", only="agentSession") == 2
    assert "does not advance" in capsys.readouterr().err
    assert len(list((tmp_path / "raw" / "agentSession").glob("page-*.json"))) == len(cursors)


# --- 4. every wait is bounded --------------------------------------------------------------

NOW = dt.datetime(2026, 10, 1, 12, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("header, seconds", [
    ("5", 5.0), (" 12 ", 12.0), ("0", 0.0), ("1.5", 1.5),
    ("Thu, 01 Oct 2026 12:00:30 GMT", 30.0), ("Thu, 01 Oct 2026 12:01:00", 60.0),
    ("Thu, 01 Oct 2026 14:00:10 +0200", 10.0), ("Thu, 01 Oct 2026 11:00:00 GMT", 0.0),
    ("nan", None), ("-3", None), ("inf", None), ("soon", None), ("", None), (None, None),
    ("Thu, 99 Oct 2026 12:00:30 GMT", None)])
def test_retry_after_in_both_forms_and_garbage(header, seconds):
    assert retry_after(header, NOW) == seconds


@pytest.mark.parametrize("header", ["999999", "nan", "-5", "garbage",
                                    "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_every_wait_is_capped_and_garbage_falls_back_to_the_backoff(httpserver, base, token,
                                                                    tmp_path, header):
    answers = [Response("busy", status=429, headers={"Retry-After": header}), Response(LIST)]
    httpserver.expect_request("/v1/licenses").respond_with_handler(lambda r: answers.pop(0))
    began = time.monotonic()
    assert pull(base, tmp_path, "--max-wait", "0.2") == 0
    assert time.monotonic() - began < 5


def test_the_whole_pull_has_a_deadline(httpserver, base, token, tmp_path, capsys):
    httpserver.expect_request("/v1/licenses").respond_with_data("busy", status=503,
                                                                headers={"Retry-After": "1"})
    began = time.monotonic()
    assert pull(base, tmp_path, "--deadline", "1.5") == 1
    assert time.monotonic() - began < 4
    assert "--deadline 1.5 s" in capsys.readouterr().err


@pytest.fixture(params=["headers", "body"])
def trickle(request):
    """A raw server that trickles one byte every 0.5 s: of its headers, or of its body."""
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n")
    trickled = iter(head) if request.param == "headers" else iter(b" " * 100000)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        listener.settimeout(10)
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            if request.param == "body":
                conn.sendall(head)
            while not stop.wait(0.5):
                try:
                    conn.sendall(bytes([next(trickled, 32)]))
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    listener.close()
    thread.join(5)


def test_a_server_trickling_bytes_cannot_hold_a_request(trickle, token, tmp_path, capsys):
    began = time.monotonic()
    assert pull(trickle, tmp_path, "--request-deadline", "1.5") == 1
    assert time.monotonic() - began < 5
    assert "--request-deadline 1.5 s" in capsys.readouterr().err


# --- 5. pages are bounded ----------------------------------------------------------------

@pytest.mark.parametrize("chunked", [False, True])
def test_a_page_too_big_is_refused_before_it_is_held(httpserver, base, token, tmp_path,
                                                     capsys, chunked):
    body = b'{"items": [' + b'"x",' * 2000 + b'"x"]}'
    stream = (body[i:i + 500] for i in range(0, len(body), 500))
    httpserver.expect_request("/v1/licenses").respond_with_response(
        Response(stream if chunked else body, content_type="application/json"))
    assert pull(base, tmp_path, "--max-page-bytes", "1000") == 2
    err = capsys.readouterr().err
    assert "too big" in err and "--max-page-bytes 1,000" in err
    assert ("Content-Length 8," in err) is not chunked
    assert not (tmp_path / "raw" / "licenses" / "page-0001.json").exists()


def test_json_nested_too_deeply_is_a_message_in_pull_and_in_measure(httpserver, base, token,
                                                                     tmp_path, capsys):
    httpserver.expect_request("/v1/licenses").respond_with_data("[" * 200_000)
    assert pull(base, tmp_path) == 1
    err = capsys.readouterr().err
    assert "nested less deeply (at most 200 levels)" in err and "Traceback" not in err
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "p.json").write_text("[" * 200_000)
    assert main(["measure", str(pages), "--out", str(tmp_path / "m.csv")]) == 2
    err = capsys.readouterr().err
    assert f"{pages / 'p.json'}, line 1; expected JSON nested less deeply" in err


# --- 6. .pull-state is an input ----------------------------------------------------------

GOOD_STATE = {"from": "2026-10-01T00:00:00Z", "to": "2026-10-15T00:00:00Z", "pages": 1,
              "window": 0, "cursor": None, "next_url": None, "complete": False}
BAD_STATES = {
    "negative pages": ({"pages": -2}, "'pages': found -2; expected a count of pages saved"),
    "pages as text": ({"pages": "3"}, "'pages': found '3'"),
    "pages true": ({"pages": True}, "'pages': found True"),
    "negative window": ({"window": -1}, "'window': found -1"),
    "complete as text": ({"complete": "yes"}, "'complete': found 'yes'; expected true or false"),
    "cursor a number": ({"cursor": 5}, "'cursor': found 5"),
    "to missing": ({"to": ...}, "'to'; expected an ISO 8601 instant"),
    "to not a date": ({"to": "soon"}, "'to': found 'soon'"),
}


def state_file(tmp_path, text):
    folder = tmp_path / "raw" / "licenses"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".pull-state").write_text(text)
    return folder


@pytest.mark.parametrize("case", BAD_STATES)
def test_a_pull_state_of_the_wrong_shape_names_the_field(httpserver, base, token, tmp_path,
                                                          capsys, case):
    change, expected = BAD_STATES[case]
    state = {k: v for k, v in {**GOOD_STATE, **change}.items() if v is not ...}
    folder = state_file(tmp_path, json.dumps(state))
    assert pull(base, tmp_path) == 2
    err = capsys.readouterr().err
    assert f"{folder / '.pull-state'}, column {expected}" in err, err
    assert "Traceback" not in err and not list(folder.glob("page-*"))
    assert len(httpserver.log) == 0


@pytest.mark.parametrize("text, expected", [
    ('{"from": "2026', "line 1; expected complete JSON"),
    ("", "expected a JSON response (the file is empty)"),
    ("[1, 2]", "found 'a JSON list'; expected a pull-state object"),
])
def test_a_pull_state_that_is_not_a_state_object_is_a_problem(httpserver, base, token,
                                                               tmp_path, capsys, text, expected):
    folder = state_file(tmp_path, text)
    assert pull(base, tmp_path) == 2
    err = capsys.readouterr().err
    assert f"{folder / '.pull-state'}" in err and expected in err and "Traceback" not in err


def test_measure_names_a_broken_pull_state_beside_the_pages(tmp_path, capsys):
    pages = tmp_path / "agentSession"
    pages.mkdir()
    (pages / "page-0001.json").write_text(search_page(None, more=False))
    (pages / ".pull-state").write_text(json.dumps({**GOOD_STATE, "to": 7}))
    assert main(["measure", str(pages), "--out", str(tmp_path / "m.csv")]) == 2
    assert f"{pages / '.pull-state'}, column 'to': found 7" in capsys.readouterr().err
