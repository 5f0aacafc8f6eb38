"""Hostile Webex exports (issue #12): units that are not counts, ids and names that are not
text, every bad item listed, and a .json that is not JSON never expanded as YAML."""

import json

import pytest

from toolkit import InputError
from toolkit.inputs.webex.control_hub import load_webex_licenses, load_webex_people

NAME = "Contact Center Standard Agent"


def licenses_file(tmp_path, items, raw: str | None = None):
    path = tmp_path / "licenses.json"
    path.write_text(raw if raw is not None else json.dumps({"items": items}))
    return path


def problems_of(path):
    with pytest.raises(InputError) as caught:
        load_webex_licenses(path)
    return [str(p).removeprefix(f"{path}, ") for p in caught.value.problems]


@pytest.mark.parametrize("units", ["1,5", "1.5", 1.5, "NaN", "inf", "-inf", "1e400", True, [3],
                                   {"n": 3}, "12,34", "1,0000"])
def test_units_that_are_not_counts_are_refused(tmp_path, units):
    path = licenses_file(tmp_path, [{"id": "L1", "name": NAME, "totalUnits": units}])
    problems = problems_of(path)
    assert len(problems) == 1
    assert problems[0].startswith("items[0], column 'totalUnits': found ")
    assert "expected a whole number of license units" in problems[0]


@pytest.mark.parametrize("raw", ['{"items": [{"id": "L1", "name": "%s", "totalUnits": NaN}]}',
                                 '{"items": [{"id": "L1", "name": "%s", "totalUnits": Infinity}]}',
                                 '{"items": [{"id": "L1", "name": "%s", "totalUnits": 1e999}]}'])
def test_json_nan_and_infinity_literals_are_refused(tmp_path, raw):
    path = licenses_file(tmp_path, None, raw % NAME)
    assert "expected a whole number of license units" in problems_of(path)[0]


@pytest.mark.parametrize("units, expected", [("1,000", 1000.0), ("12", 12.0), (7, 7.0),
                                             (" 1,234,567 ", 1234567.0)])
def test_counts_with_thousands_separators_are_read(tmp_path, units, expected):
    path = licenses_file(tmp_path, [{"id": "L1", "name": NAME, "totalUnits": units}])
    assert load_webex_licenses(path)["total_units"].tolist() == [expected]


def test_every_bad_item_is_listed_with_ids_and_names_that_are_not_text(tmp_path):
    path = licenses_file(tmp_path, [
        {"id": ["L1"], "name": NAME, "totalUnits": 1},
        {"id": "L2", "name": {"en": NAME}, "totalUnits": 1},
        {"id": "L3", "name": NAME, "totalUnits": "1,5"},
        {"id": "L4", "name": "Contact\u202eCenter", "totalUnits": 2},
        {"id": "L5", "name": NAME, "totalUnits": 2},
        {"id": "L6", "name": NAME, "consumedUnits": float("nan")},
    ])
    assert [p.split(":")[0] for p in problems_of(path)] == [
        "items[0], column 'id'", "items[1], column 'name'", "items[2], column 'totalUnits'",
        "items[3], column 'name'", "items[5], column 'consumedUnits'"]


@pytest.mark.parametrize("person, column", [
    ({"id": ["p1"], "emails": ["a@x"], "licenses": []}, "id"),
    ({"id": "p1", "emails": 5, "licenses": []}, "emails"),
    ({"id": "p1", "emails": ["a@x"], "licenses": {"L1": 1}}, "licenses"),
    ({"id": "p1", "emails": ["a@x"], "licenses": 7}, "licenses"),
    ({"id": "p1", "emails": ["a@x"], "department": {"x": 1}, "licenses": []}, "department"),
])
def test_people_fields_of_the_wrong_shape_are_problems(tmp_path, person, column):
    licenses = load_webex_licenses(licenses_file(tmp_path, [{"id": "L1", "name": NAME,
                                                             "totalUnits": 3}]))
    path = tmp_path / "people.json"
    path.write_text(json.dumps({"items": [person, {**person, "id": "p2"}]}))
    with pytest.raises(InputError) as caught:
        load_webex_people(path, licenses)
    assert {p.column for p in caught.value.problems} == {column}
    assert len(caught.value.problems) >= 1


def test_a_json_file_with_yaml_aliases_is_refused_fast(tmp_path):
    """Single-quoted documentation examples are read leniently, but never with aliases: a
    bomb saved as .json must not expand (the expanding one runs in test_hostile_limits.py,
    in a process capped at 1 GiB)."""
    path = licenses_file(tmp_path, None, "{a: &a [{id: L1, name: x}], items: *a}")
    problems = problems_of(path)
    assert len(problems) == 1 and problems[0].startswith("line 1; expected JSON")


def test_deeply_nested_json_is_a_problem(tmp_path):
    path = licenses_file(tmp_path, None, "[" * 100_000 + "]" * 100_000)
    assert "nested less deeply" in problems_of(path)[0]


def test_a_number_too_long_for_python_is_a_problem(tmp_path):
    """Found by the fuzz test: json.loads raised a bare ValueError (4300-digit limit)."""
    item = '{"id": "L1", "name": "' + NAME + '", "totalUnits": 8' + "0" * 5000 + "}"
    path = licenses_file(tmp_path, None, '{"items": [' + item + "]}")
    with pytest.raises(InputError) as caught:
        load_webex_licenses(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}; expected JSON whose numbers have at most 4,300 digits"]
