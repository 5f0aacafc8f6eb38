"""Fuzzing every loader (issue #12): random bytes and random mutations of the sample files
end in a valid result or one InputError, nothing else (no traceback, no hang).

The mutations are what careless hands and hostile files do: cut or repeat a slice, insert
bytes from an alphabet of separators, quotes, YAML indicators, control and bidi characters,
swap bytes. Runs a few seconds by default; ``FUZZ_EXAMPLES=2000`` runs a longer campaign.
"""

import functools
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit import InputError
from toolkit.inputs.budgets import load_budgets
from toolkit.inputs.sessions import load_sessions
from toolkit.inputs.tenant_file import load_tenant
from toolkit.inputs.usage import load_usage
from toolkit.inputs.users import load_users
from toolkit.inputs.webex.control_hub import load_webex_licenses, load_webex_people
from toolkit.resources import sample_dir

ROOT = Path(__file__).resolve().parent
WEBEX = ROOT / "fixtures" / "webex"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
#: Bytes that mean something to CSV, YAML or JSON readers, or to a terminal.
HOSTILE = [b",", b'"', b"'", b"\n", b"\r", b"\t", b"\x00", b":", b"&a", b"*a", b"[", b"]",
           b"{", b"}", b"- ", b"#", b"!!", b"\xef\xbb\xbf", "\u202e".encode(), b"\xff",
           b"NaN", b"inf", b"1e999", b"9999-12-31", b"2025-02-29", b"-1", b" ", b"null",
           b"<<: *a", b"\\", b"%", b"=", b"0" * 5000]


@functools.cache
def sample(name: str) -> bytes:
    """A sample file; of a CSV, the first lines (whole ones are large; their shape is the
    point). YAML and JSON are whole: cut, they would never be valid."""
    path = WEBEX / name if name.endswith(".json") else sample_dir() / name
    if not name.endswith(".csv"):
        return path.read_bytes()
    return b"".join(path.read_bytes().splitlines(keepends=True)[:40])


@functools.cache
def sample_tenant():
    return load_tenant(sample_dir())


@functools.cache
def sample_licenses():
    return load_webex_licenses(WEBEX / "licenses.json")


@st.composite
def mutated(draw, name: str) -> bytes:
    data = bytearray(sample(name))
    for _ in range(draw(st.integers(0, 4))):  # none: the valid path is fuzzed too
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "cut", "repeat", "swap", "random"]))
        if kind == "insert":
            data[at:at] = draw(st.sampled_from(HOSTILE))
        elif kind == "cut":
            del data[at:at + draw(st.integers(1, 80))]
        elif kind == "repeat":
            data[at:at] = data[at:at + draw(st.integers(1, 200))]
        elif kind == "swap" and at + 1 < len(data):
            data[at], data[at + 1] = data[at + 1], data[at]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


def inputs(name: str):
    return st.one_of(mutated(name), st.binary(max_size=300))


LOADERS = {
    "tenant.yaml": lambda path: load_tenant(path),
    "usage.csv": lambda path: load_usage(path, sample_tenant()),
    "users.csv": lambda path: load_users(path, sample_tenant()),
    "sessions.csv": lambda path: load_sessions(path, sample_tenant()),
    "budgets.csv": lambda path: load_budgets(path, sample_tenant()),
    "licenses.json": lambda path: load_webex_licenses(path),
    "people.json": lambda path: load_webex_people(path, sample_licenses()),
}


@pytest.mark.parametrize("name", list(LOADERS))
def test_every_loader_returns_a_result_or_an_input_error(name):
    loader = LOADERS[name]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(inputs(name))
        def check(data: bytes):
            path.write_bytes(data)
            try:
                loader(path)
            except InputError as error:
                assert error.problems
                assert len(str(error)) < 200 * (len(error.problems) + 1) + 500

        check()
