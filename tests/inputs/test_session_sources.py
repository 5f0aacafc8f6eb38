"""A second vendor's session export is one module and one registry line (issue 18.2): a toy
vendor registered here is recognised by content and measured by ``multisub measure``."""

from __future__ import annotations

import json

import pandas as pd

from toolkit.commands.cli import main
from toolkit.inputs import session_sources
from toolkit.inputs.session_sources import SessionSource, load_session_source, session_source
from toolkit.inputs.webex.session_records import SessionImport


def _is_toy_page(page) -> bool:
    return isinstance(page, dict) and isinstance(page.get("toyLogins"), list)


def _load_toy(path, *, as_of=None, metering=None) -> SessionImport:
    records = [record for file in sorted(path.glob("*.json"))
               for record in json.loads(file.read_text())["toyLogins"]]
    sessions = pd.DataFrame({
        "user_id": pd.Series([r["who"] for r in records], dtype="str"),
        "login": pd.to_datetime([r["in"] for r in records], utc=True).as_unit("us"),
        "logout": pd.to_datetime([r["out"] for r in records], utc=True).as_unit("us"),
        "session_id": pd.Series([r["id"] for r in records], dtype="str"),
        "open": False,
    })
    return SessionImport(sessions)


def _toy_pages(folder):
    folder.mkdir()
    (folder / "p1.json").write_text(json.dumps({"toyLogins": [
        {"id": "s1", "who": "ann", "in": "2026-03-02T09:00:00Z", "out": "2026-03-02T11:00:00Z"},
        {"id": "s2", "who": "bob", "in": "2026-03-02T10:00:00Z", "out": "2026-03-02T12:00:00Z"},
    ]}))
    return folder


def test_a_registered_vendor_source_is_recognised_and_measured(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(session_sources.SOURCES, "toy", SessionSource(_is_toy_page, _load_toy))
    pages = _toy_pages(tmp_path / "pages")
    assert session_source(pages) == "toy"
    assert list(load_session_source(pages).sessions["user_id"]) == ["ann", "bob"]
    out = tmp_path / "usage.csv"
    assert main(["measure", str(pages), "--out", str(out), "--interval", "60min"]) == 0
    assert "(toy)" in capsys.readouterr().out
    usage = pd.read_csv(out)
    assert usage["quantity"].max() == 2  # ann and bob overlap from 10:00 to 11:00


def test_an_unregistered_shape_is_not_taken_for_the_toy_vendor(tmp_path):
    pages = _toy_pages(tmp_path / "pages")
    assert session_source(pages) == session_sources.FALLBACK_SOURCE
