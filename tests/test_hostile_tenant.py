"""Hostile or careless tenant.yaml files (issue #12): each class ends in one InputError that
names the place (with the subscription's id), never in a traceback, a hang or a silent drop."""

import time

import pytest

from toolkit import InputError, load_tenant
from toolkit.errors import Problem

SUB = """\
  - id: {id}
    department: {department}
    license_model: concurrent
    offer: flex
    deployment: cloud
    terms:
      - start: {start}
        end: 2026-01-01
        lines:
          - {{type: ai_agent, quantity: 5, unit_price: 1}}
"""


def tenant_text(*subs: str, head: str = "tenant: T\ncurrency: EUR\n") -> str:
    return head + "subscriptions:\n" + "".join(subs)


def sub(id="Sub-A", department="Care", start="2024-01-01") -> str:
    return SUB.format(id=id, department=department, start=start)


def problems_of(tmp_path, text: str) -> list[str]:
    path = tmp_path / "tenant.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_tenant(path)
    return [str(p).removeprefix(f"{path}, ") for p in caught.value.problems]


@pytest.mark.parametrize("text, expected", [
    (  # a second subscriptions: list silently replaced the first
        tenant_text(sub()) + "subscriptions:\n" + sub("Sub-B"),
        ["line 14, column 'subscriptions'; expected each key once in a mapping "
         "(also on line 3)"],
    ),
    (  # a line with quantity twice kept one of them
        tenant_text(sub().replace("quantity: 5,", "quantity: 5, quantity: 7,")),
        ["subscriptions[0] (Sub-A).terms[0].lines[0], line 13, column 'quantity'; expected "
         "each key once in a mapping (also on line 13)"],
    ),
    (  # the id names the place even when the key repeats inside a subscription
        tenant_text(sub(), sub("Sub-B").replace("    offer: flex\n",
                                                 "    offer: flex\n    offer: ea\n")),
        ["subscriptions[1] (Sub-B), line 18, column 'offer'; expected each key once in a "
         "mapping (also on line 17)"],
    ),
], ids=["second-subscriptions", "quantity-twice", "offer-twice"])
def test_duplicate_keys_are_problems_with_their_place(tmp_path, text, expected):
    assert problems_of(tmp_path, text) == expected


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n"
    for i in range(8))


# A bomb whose expansion is used runs in test_hostile_limits.py, in a process capped at 1 GiB:
# here a regression would take the test run's memory with it.
@pytest.mark.parametrize("text", [
    tenant_text(sub()) + "extra:\n" + "".join(f"  {line}\n" for line in ALIAS_BOMB.split("\n")),
    "a: &a [*a, *a, *a]\nb: &b [*a, *a, *a, *a]\n",  # a recursive anchor
    "[" * 5000 + "]" * 5000,  # nested deeper than any parser recursion
], ids=["bomb-inside-a-tenant", "recursive-anchor", "deep-nesting"])
def test_alias_bombs_and_deep_nesting_are_refused_fast(tmp_path, text):
    begin = time.perf_counter()
    problems = problems_of(tmp_path, text)
    assert time.perf_counter() - begin < 5
    assert len(problems) == 1
    assert "expected a document of at most" in problems[0] or "nested less deeply" in problems[0]


def test_flow_nesting_beyond_the_limit_is_refused_at_its_line_before_parsing(tmp_path):
    text = tenant_text(sub()) + "extra:\n  - " + "[" * 51 + "]" * 51 + "\n"
    assert problems_of(tmp_path, text) == [
        "line 15; expected YAML nested less deeply (at most 50 levels of lists or mappings "
        "inside each other)"]


@pytest.mark.parametrize("extra", [
    "  note: '" + "[" * 60 + " it''s quoted'\n",
    '  note: "' + "{" * 60 + '"\n',
    "  # " + "[" * 60 + " a comment\n",
    "  - [" + "[], " * 60 + "[]]\n",  # wide, not deep
], ids=["single-quoted", "double-quoted", "comment", "wide-flow-list"])
def test_brackets_in_quotes_comments_or_side_by_side_are_not_depth(tmp_path, extra):
    """The pre-check counts only brackets that nest: the file reaches the schema, which
    refuses the unknown key ``extra`` (so the document was read whole)."""
    text = tenant_text(sub()) + "extra:\n" + extra
    problems = problems_of(tmp_path, text)
    assert not any("nested less deeply" in p for p in problems), problems
    assert any("extra" in p for p in problems), problems


@pytest.mark.parametrize("text, expected", [
    (tenant_text(sub(id="[Sub-A]")),  # a list, not an id: was a TypeError
     "subscriptions[0], column 'id'; expected input should be a valid string"),
    (tenant_text(sub(start="2025-02-29")),  # was a bare ValueError without a place
     "subscriptions[0] (Sub-A).terms[0], column 'start': found '2025-02-29'; expected a date "
     "written YYYY-MM-DD"),
    (tenant_text(sub(department="' '")),
     "subscriptions[0] (Sub-A), column 'department': found ' '; expected a name: not empty "
     "once trimmed"),
    (tenant_text(sub(department='"Care\\u202eevil"')),
     "subscriptions[0] (Sub-A), column 'department': found 'Care\\u202eevil'; expected a name"),
    (tenant_text(sub(), head='tenant: "\\t"\ncurrency: EUR\n'),
     "column 'tenant': found '\\t'; expected a name"),
    (tenant_text(sub(id='"Sub-\\x07"')),
     "subscriptions[0], column 'id': found 'Sub-\\x07'; expected a name"),
    (tenant_text(sub(), sub(start="2025-01-01")),  # overlap names the id too
     "subscriptions[1] (Sub-A), column 'id': found 'Sub-A'; expected a unique id"),
    (tenant_text(sub(), head="tenant: T\ncurrency: EUR\ntimezone: Europe/" + "0" * 5000 + "\n"),
     "column 'timezone': found 'Europe/0000"),  # found by the fuzz test: "name too long"
    (tenant_text(sub(), head="tenant: T\ncurrency: euro\n"),  # said "an id starting with Sub"
     "column 'currency': found 'euro'; expected a three-letter ISO 4217 code such as EUR"),
    ("tenant: T\ncurrency: EUR\nsubscriptions: [1" + "0" * 5000 + "]\n",  # int too long to print
     "subscriptions[0]: found '1000000"),
], ids=["id-list", "feb-29", "blank-department", "bidi-department", "tab-tenant", "bell-id",
        "repeated-id", "long-zone", "currency", "huge-int"])
def test_values_that_broke_loading_are_located_problems(tmp_path, text, expected):
    problems = problems_of(tmp_path, text)
    assert any(p.startswith(expected) for p in problems), problems


def test_names_are_trimmed_and_in_nfc(tmp_path):
    path = tmp_path / "tenant.yaml"
    path.write_text(tenant_text(sub(department='"Cafe\u0301 "'),
                                sub(id=" Sub-B", department="Café"),
                                head="tenant: ' T '\ncurrency: EUR\n"), encoding="utf-8")
    tenant = load_tenant(path)
    assert tenant.name == "T"
    assert tenant.departments == {"Sub-A": "Café", "Sub-B": "Café"}
    assert len(set(tenant.departments.values())) == 1


@pytest.mark.parametrize("value, shown", [
    ("x" * 10_000, "'" + "x" * 59 + "… (10,002 characters)"),
    (list(range(5000)), str(list(range(20)))[:60] + "…"),
    (10 ** 5000, "a number of 16,610 bits"),
    ("a\u202eb", "'a\\u202eb'"),
], ids=["long-text", "long-list", "huge-int", "bidi"])
def test_quoted_values_are_cut_to_an_excerpt(value, shown):
    text = str(Problem("f.csv", "row 2", "c", value, "e"))
    assert shown in text
    assert len(text) < 150


def test_repeated_keys_are_listed_with_the_files_other_problems(tmp_path):
    text = tenant_text(sub().replace("quantity: 5,", "quantity: 5, quantity: -7,"),
                       head="tenant: T\ncurrency: EUR\ntimezone: Mars/Olympus\n")
    assert problems_of(tmp_path, text) == [
        "subscriptions[0] (Sub-A).terms[0].lines[0], line 14, column 'quantity'; expected "
        "each key once in a mapping (also on line 14)",
        "column 'timezone': found 'Mars/Olympus'; expected an IANA time zone name such as "
        "'Europe/Rome'",
        "subscriptions[0] (Sub-A).terms[0].lines[0], column 'quantity': found -7; expected "
        "a finite number from 0 to 10^12",
    ]
