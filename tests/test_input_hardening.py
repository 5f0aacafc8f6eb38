"""Reading inputs, hardened (issue 19, items 10-12, 15, 16 (CSV) and 17).

Each class of hostile or careless input is one parametrized test; every case failed on the
code before this change (a cut row read as a smaller number, an unknown column ignored, a
boolean read as 1, a Havana month that would not export, a 12 KB tenant that took minutes).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toolkit.errors import InputError
from toolkit.inputs import budgets, sessions, usage, users
from toolkit.inputs.budgets import load_budgets
from toolkit.inputs.tenant_file import MAX_TENANT_BYTES, load_tenant
from toolkit.inputs.usage import load_usage
from toolkit.inputs.users import load_users
from toolkit.inputs.yaml_text import MAX_ALIASED
from toolkit.workspace.stream import allocate_file

ROOT = Path(__file__).resolve().parents[1]
GIB = 1 << 30
TENANT = """\
tenant: T
currency: EUR
timezone: {zone}
subscriptions:
  - id: Sub-A
    department: Care
    license_model: named
    offer: flex
    deployment: cloud
    terms:
      - start: 2026-01-01
        end: 2027-01-01
        lines:
          - {{type: cc_standard_agent, quantity: {quantity}, unit_price: {price}}}
"""
USAGE_HEAD = "timestamp,usage_type,quantity,subscription_id\n"
USERS_HEAD = "user_id,role,license,subscription_id,start,end\n"


def write_tenant(folder: Path, zone: str = "UTC", quantity="1", price="10") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "tenant.yaml").write_text(TENANT.format(zone=zone, quantity=quantity,
                                                      price=price))
    return folder


@pytest.fixture
def tenant(tmp_path):
    return load_tenant(write_tenant(tmp_path / "t"))


@pytest.fixture(params=["typed", "text"])
def path_kind(request, monkeypatch):
    """Each CSV case runs through the Arrow fast path and, with it switched off, the text
    path: both must report the same."""
    if request.param == "text":
        for module in (usage, users, budgets, sessions):
            monkeypatch.setattr(module, "read_typed", lambda *args, **kwargs: None)
    return request.param


def problems(loader, path, *args) -> list[str]:
    with pytest.raises(InputError) as caught:
        loader(path, *args)
    return [str(p).removeprefix(f"{path}, ") for p in caught.value.problems]


# -- 10 and 16: ragged rows, an open quote, bytes that are not UTF-8 ----------------------

CSV_CASES = {
    "cut-quantity": (load_usage, "usage.csv", USAGE_HEAD
                     + "2026-03-01T10:00:00,cc_standard_agent,1500,Sub-A\n"
                     + "2026-03-01T11:00:00,cc_standard_agent,15\n",
                     ["row 3; expected 4 fields like the header, found 3"]),
    "mapping-cut-before-end": (load_users, "users.csv", USERS_HEAD
                               + "u1,agent,cc_standard_agent,Sub-A,2026-01-01,2026-02-01\n"
                               + "u2,agent,cc_standard_agent,Sub-A,2026-01-01\n",
                               ["row 3; expected 6 fields like the header, found 5"]),
    "open-quote": (load_usage, "usage.csv", USAGE_HEAD
                   + "2026-03-01T10:00:00,cc_standard_agent,1,Sub-A\n"
                   + '2026-03-01T11:00:00,"cc_standard_agent,1,Sub-A\n'
                   + "2026-03-01T12:00:00,cc_standard_agent,1,Sub-A\n",
                   ["row 3, column 'usage_type'; expected well-formed CSV (unexpected end "
                    "of data; a quote opened here is never closed)"]),
    "not-utf-8": (load_usage, "usage.csv", USAGE_HEAD
                  + "2026-03-01T10:00:00,cc_standard_agent,1,Sub-A\n"
                  + "2026-03-01T11:00:00,cc_standard_agent,1,Sub-\udcff\n",
                  ["row 3, column 'subscription_id'; expected UTF-8 text (invalid start "
                   "byte, line 3)"]),
}


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_a_malformed_csv_row_is_a_problem_with_its_row(tmp_path, tenant, path_kind, case):
    loader, name, text, expected = CSV_CASES[case]
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    assert problems(loader, path, tenant) == expected


# -- 11: unknown columns ------------------------------------------------------------------

COLUMN_CASES = {
    "usage-note": (load_usage, "usage.csv",
                   "timestamp,usage_type,quantity,note\n2026-03-01T10:00:00,cc_standard_agent,1,x\n",
                   ["row 1, column 'note'; expected a known column (timestamp, usage_type, "
                    "quantity, subscription_id, user_id); check its spelling"]),
    "users-end-date-typo": (load_users, "users.csv",
                            "user_id,role,license,subscription_id,end_date\n"
                            "u1,agent,cc_standard_agent,Sub-A,2026-02-01\n",
                            ["row 1, column 'end_date'; expected a known column (user_id, "
                             "role, license, subscription_id, department, email, start, end, "
                             "webex_agent_id); check its spelling"]),
    "budgets-in-another-currency": (load_budgets, "budgets.csv",
                                    "department,period,amount,currency\n"
                                    "Care,2026-03,100,EUR\nCare,2026-04,100,USD\n",
                                    ["row 3, column 'currency': found 'USD'; expected the "
                                     "tenant's currency EUR (budgets are not converted)"]),
    "budgets-typo": (load_budgets, "budgets.csv", "department,period,amount,ammount\n"
                     "Care,2026-03,100,1\n",
                     ["row 1, column 'ammount'; expected a known column (department, period, "
                      "amount, currency); check its spelling"]),
}


@pytest.mark.parametrize("case", list(COLUMN_CASES))
def test_an_unknown_column_is_a_problem(tmp_path, tenant, path_kind, case):
    loader, name, text, expected = COLUMN_CASES[case]
    path = tmp_path / name
    path.write_text(text)
    assert problems(loader, path, tenant) == expected


@pytest.mark.parametrize("case, loader, name, text, column", [
    ("users-webex-agent-id", load_users, "users.csv",
     "user_id,role,license,subscription_id,email,department,webex_agent_id\n"
     "u1,agent,cc_standard_agent,Sub-A,u1@x.example,Care,Y2lz\n", "webex_agent_id"),
    ("budgets-in-the-tenant-currency", load_budgets, "budgets.csv",
     "department,period,amount,currency\nCare,2026-03,100,EUR\n", None),
])
def test_columns_the_format_allows_are_accepted(tmp_path, tenant, path_kind, case, loader,
                                                name, text, column):
    path = tmp_path / name
    path.write_text(text)
    frame = loader(path, tenant)
    assert len(frame) == 1
    if column:
        assert frame[column].tolist() == ["Y2lz"]


# -- 12: YAML booleans are not numbers ----------------------------------------------------

@pytest.mark.parametrize("quantity, price, expected", [
    ("true", "10", ["quantity': found True; expected a number, not the boolean true"]),
    ("1", "yes", ["unit_price': found True; expected a number, not the boolean true"]),
    ("no", "off", ["quantity': found False; expected a number, not the boolean false",
                   "unit_price': found False; expected a number, not the boolean false"]),
])
def test_a_yaml_boolean_is_not_a_number(tmp_path, quantity, price, expected):
    folder = write_tenant(tmp_path / "t", quantity=quantity, price=price)
    where = f"{folder / 'tenant.yaml'}, subscriptions[0] (Sub-A).terms[0].lines[0], column '"
    assert problems(load_tenant, folder) == [where + e for e in expected]


# -- usage timestamps outside 2000-2100, in the loader and in the stream ------------------

@pytest.mark.parametrize("stamp, shown", [
    ("1970-01-01T00:00:00Z", "1970-01-01 00:00:00+00:00"),
    ("2101-01-01T00:00:00Z", "2101-01-01 00:00:00+00:00"),
    ("1999-12-31T23:59:59", "1999-12-31 23:59:59+00:00"),
])
@pytest.mark.parametrize("how", ["load", "stream"])
def test_a_usage_timestamp_outside_2000_to_2100_is_a_problem(tmp_path, tenant, path_kind,
                                                             stamp, shown, how):
    path = tmp_path / "usage.csv"
    path.write_text(USAGE_HEAD + "2026-03-01T10:00:00,cc_standard_agent,1,Sub-A\n"
                    + f"{stamp},cc_standard_agent,1,Sub-A\n")
    load = load_usage if how == "load" else (lambda p, t: allocate_file(t, p))
    assert problems(load, path, tenant) == [
        f"row 3, column 'timestamp': found '{shown}'; expected a date-time in the years 2000 "
        "to 2100"]


# -- 15: a month that starts at an ambiguous local midnight -------------------------------

HAVANA_COMMANDS = {
    "allocate": ["--out", "{out}/a.csv"],
    "costs": ["--out", "{out}/c.csv"],
    "focus": ["--out", "{out}/f.csv"],
    "report": ["--all", "--from", "2026-10", "--to", "2026-11", "--out", "{out}/r"],
    "workbook": ["--from", "2026-10", "--to", "2026-11", "--out", "{out}/w.xlsx"],
}


@pytest.mark.parametrize("command", list(HAVANA_COMMANDS))
def test_a_month_starting_at_an_ambiguous_midnight_exports(tmp_path, capsys, command):
    """Havana turns its clocks back from 01:00 to 00:00 on 2026-11-01: November's midnight
    occurs twice. The month starts at the first one (04:00 UTC)."""
    from toolkit.commands.cli import main

    folder = write_tenant(tmp_path / "havana", zone="America/Havana")
    (folder / "usage.csv").write_text(
        "timestamp,usage_type,quantity,subscription_id,user_id\n"
        "2026-10-31T10:00:00,cc_standard_agent,2,Sub-A,u1\n"
        "2026-11-02T10:00:00,cc_standard_agent,2,Sub-A,u1\n")
    out = tmp_path / "out"
    args = [a.format(out=out) for a in HAVANA_COMMANDS[command]]
    assert main([command, str(folder), *args]) == 0, capsys.readouterr().err
    if command == "focus":
        text = (out / "f.csv").read_text()
        assert "2026-11-01T04:00:00Z,2026-12-01T05:00:00Z" in text


def test_local_midnights_resolve_ambiguous_and_missing_midnights():
    import pandas as pd

    from toolkit.periods import local_midnights

    ambiguous = local_midnights([pd.Timestamp("2026-11-01")], "America/Havana")
    assert ambiguous.tz_convert("UTC")[0] == pd.Timestamp("2026-11-01T04:00:00Z")
    # Chile (America/Santiago) springs forward at midnight: 2026-09-06 00:00 does not exist
    missing = local_midnights([pd.Timestamp("2026-09-06")], "America/Santiago")
    assert missing[0] == pd.Timestamp("2026-09-06T01:00:00", tz="America/Santiago")


# -- 17: bounded cost ---------------------------------------------------------------------

LIMITED = """
import resource, runpy, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
sys.argv = ["multisub", *sys.argv[1:]]
begin = time.perf_counter()
try:
    runpy.run_module("toolkit.commands.cli", run_name="__main__")
finally:
    print("cost", round(time.perf_counter() - begin, 2),
          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def run_limited(*args: str) -> tuple[subprocess.CompletedProcess, float, int]:
    """The command in a subprocess capped at 1 GiB and 20 s: result, seconds, peak KiB."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", LIMITED.format(limit=GIB), *args],
                            env=env, capture_output=True, text=True, timeout=20)
    cost = result.stderr.splitlines()[-1].split()
    print(f"{args[0]}: {cost[1]} s, {int(cost[2]) // 1024} MiB")  # for the closing note
    return result, float(cost[1]), int(cost[2])


def century_tenant(folder: Path, aliased: bool) -> Path:
    """Twelve subscriptions whose one term spans a century (1,200 months), with a hundred
    lines each: aliased, 7 KB (before: 32 s in ``report``, every line priced in every month);
    written out, four lines each (2.5 KB), which must run through in time."""
    line = "{type: cc_standard_agent, quantity: 1, unit_price: 1}"
    count = 100 if aliased else 4
    text = "tenant: T\ncurrency: EUR\nsubscriptions:\n"
    for n in range(12):
        lines = ([f"&l {line}"] + ["*l"] * (count - 1)) if aliased and n == 0 else (
            ["*l"] * count if aliased else [line] * count)
        text += (f"  - id: Sub-{n}\n    department: Care{n}\n    license_model: named\n"
                 "    offer: flex\n    deployment: cloud\n    terms:\n"
                 "      - start: 2000-01-01\n        end: 2100-01-01\n"
                 f"        lines: [{', '.join(lines)}]\n")
    folder.mkdir()
    (folder / "tenant.yaml").write_text(text)
    (folder / "usage.csv").write_text(USAGE_HEAD + "".join(
        f"2026-{month:02d}-02T10:00:00,cc_standard_agent,3,Sub-{month - 1}\n"
        for month in range(1, 13)))
    return folder


@pytest.mark.parametrize("command", ["report", "workbook"])
def test_aliases_within_the_value_limit_are_bounded_in_work(tmp_path, command):
    """Before: ``report`` 32 s, ``workbook`` 28 s on this 7 KB tenant (shared machine)."""
    folder = century_tenant(tmp_path / "t", aliased=True)
    assert sum(p.stat().st_size for p in folder.iterdir()) <= 16_384
    result, seconds, peak = run_limited(command, str(folder), *OUT[command](tmp_path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"at most {MAX_ALIASED:,} of them repeated through aliases" in result.stderr
    assert seconds < 20 and peak < GIB // 1024


OUT = {"report": lambda tmp: ["--all", "--out", str(tmp / "r")],
       "workbook": lambda tmp: ["--out", str(tmp / "w.xlsx")]}


def test_a_tenant_written_out_within_16_kb_runs_in_time(tmp_path):
    folder = century_tenant(tmp_path / "t", aliased=False)
    assert sum(p.stat().st_size for p in folder.iterdir()) <= 16_384
    result, seconds, peak = run_limited("report", str(folder), *OUT["report"](tmp_path))
    assert result.returncode == 0, result.stderr
    assert seconds < 20 and peak < GIB // 1024


@pytest.mark.parametrize("case", ["device", "too-large"])
def test_a_tenant_file_that_is_a_device_or_too_large_is_refused_before_reading(tmp_path, case):
    folder = tmp_path / "t"
    folder.mkdir()
    if case == "device":
        (folder / "tenant.yaml").symlink_to("/dev/zero")
        expected = "expected a regular file (not a device, pipe or directory)"
    else:
        (folder / "tenant.yaml").write_text("# " + "x" * MAX_TENANT_BYTES + "\n")
        expected = f"expected a tenant file of at most {MAX_TENANT_BYTES:,} bytes"
    begin = time.perf_counter()
    result, seconds, peak = run_limited("validate", str(folder))
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert seconds < 20 and peak < GIB // 1024
    assert time.perf_counter() - begin < 20


# -- 14: look-alike names and names mixing scripts ----------------------------------------

def test_skeletons_match_look_alikes_only():
    from toolkit.checks import look_alikes, skeleton

    assert skeleton("Sub\u2011A") == skeleton("Sub-A") == "Sub-A"
    assert skeleton("C\u0430re") == skeleton("Care")  # Cyrillic а
    assert look_alikes(["Sub-A", "Sub-B", "Sub\u2011A", "Care", "C\u0430re", "Café"]) == [
        ("Sub-A", "Sub\u2011A"), ("Care", "C\u0430re")]


LOOK_ALIKE_TENANT = """\
tenant: T
currency: EUR
usage_types:
  ivr_p\u043ert: {{policy: pooled_primary, measure: sum, unit: minutes}}
subscriptions:
  - id: Sub-A
    department: {first}
    license_model: named
    offer: flex
    deployment: cloud
    terms: [{{start: 2026-01-01, end: 2027-01-01}}]
  - id: {second_id}
    department: {second}
    license_model: named
    offer: flex
    deployment: cloud
    terms: [{{start: 2026-01-01, end: 2027-01-01}}]
"""


@pytest.mark.parametrize("second_id, first, second, expected", [
    ("Sub\u2011A", "Care", "Sales",
     ["subscriptions, column 'id': found 'Sub\u2011A'; expected a name that does not look "
      "like 'Sub-A' (they differ only by look-alike characters)"]),
    ("Sub-B", "Care-Desk", "Care\u2011Desk",
     ["subscriptions, column 'department': found 'Care\u2011Desk'; expected a name that does "
      "not look like 'Care-Desk' (they differ only by look-alike characters)"]),
])
def test_look_alike_ids_in_the_tenant_file_are_a_problem(tmp_path, second_id, first, second,
                                                         expected):
    folder = tmp_path / "t"
    folder.mkdir()
    text = LOOK_ALIKE_TENANT.format(second_id=second_id, first=first, second=second)
    (folder / "tenant.yaml").write_text(text)
    found = problems(load_tenant, folder)
    prefix = f"{folder / 'tenant.yaml'}, "
    # the usage type ivr_p\u043ert (Cyrillic o) looks like ivr_port
    assert [p.removeprefix(prefix) for p in found] == [
        "usage_types: found 'ivr_p\u043ert'; expected a name that does not look like "
        "'ivr_port' (they differ only by look-alike characters)", *expected]


def test_look_alike_user_ids_are_a_problem(tmp_path, tenant, path_kind):
    path = tmp_path / "users.csv"
    path.write_text(USERS_HEAD + "agent-a,agent,cc_standard_agent,Sub-A,,\n"
                    "agent\u2011a,agent,cc_standard_agent,Sub-A,,\n")
    assert problems(load_users, path, tenant) == [
        "column 'user_id': found 'agent\u2011a'; expected a name that does not look like "
        "'agent-a' (they differ only by look-alike characters)"]


@pytest.mark.parametrize("loader, name, text, column", [
    (load_users, "users.csv", USERS_HEAD + "agent-\u0430,agent,cc_standard_agent,Sub-A,,\n",
     "user_id"),
    (load_budgets, "budgets.csv", "department,period,amount\nC\u0430re,2026-03,1\n",
     "department"),
])
def test_a_name_mixing_scripts_is_refused(tmp_path, tenant, path_kind, loader, name, text,
                                          column):
    path = tmp_path / name
    path.write_text(text)
    value = text.splitlines()[1].split(",")[0]
    found = problems(loader, path, tenant)
    assert found[0].startswith("row 2")
    assert f"column '{column}': found '{value}'; expected a name: " in found[0]
    assert found[0].endswith("no word mixing scripts (e.g. Latin and Cyrillic letters)")
