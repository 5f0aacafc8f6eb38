"""Every Webex JSON file is read by one checked reader (issue 19.5, 19.13, 19.16): nesting
deeper than MAX_DEPTH, a key given twice, a lone surrogate and bytes that are not UTF-8 are
problems naming the file and the place, in every loader and in source detection."""

import json

import pytest

from toolkit import InputError, load_agent_sessions, load_ai_agent_sessions, load_webex_licenses
from toolkit.inputs.session_sources import FALLBACK_SOURCE, session_source
from toolkit.inputs.webex.activities import load_agent_activities
from toolkit.inputs.webex.pages import MAX_DEPTH, read_json

SESSION = ('{"agentSessionId": "s1", "agentId": "a1", "startTime": 1790000000000, '
           '"endTime": 1790000600000, "isActive": false%s}')
PAGES = {
    "licenses": ('{"items": [{"id": "L1", "name": "Contact Center Standard Agent"%s}]}',
                 load_webex_licenses, "items[0]"),
    "agentSession": ('{"data": {"agentSession": {"agentSessions": [' + SESSION + ']}}}',
                     load_agent_sessions, "data.agentSession.agentSessions[0]"),
    "activities": ('{"meta": {"orgId": "o"}, "data": [{"agentSessionId": "s1", "agentId": "a1",'
                   ' "startTime": 1790000000000, "endTime": 1790000600000, "isLogin": 1%s}]}',
                   load_agent_activities, "data[0]"),
    "aiAgent": ('{"data": {"contactAIAgentSession": {"sessions": [{"sessionId": "x1", '
                '"sessionStartTime": 1790000000000, "agentType": "scripted"%s}]}}}',
                load_ai_agent_sessions, "data.contactAIAgentSession.sessions[0]"),
}


def problems(load, path):
    with pytest.raises(InputError) as caught:
        load(path)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("kind", PAGES)
def test_a_key_given_twice_is_a_problem_naming_the_key_and_place(tmp_path, kind):
    template, load, where = PAGES[kind]
    path = tmp_path / "page.json"
    path.write_text(template % ', "agentId": "b2", "agentId": "b3"')
    assert problems(load, path) == [
        f"{path}, {where}, column 'agentId'; expected each key once per object (it is given "
        "twice; which value is meant?)"]


@pytest.mark.parametrize("kind", PAGES)
def test_a_lone_surrogate_names_the_file_and_record(tmp_path, kind):
    template, load, where = PAGES[kind]
    path = tmp_path / "page.json"
    path.write_text(template % ', "note": "ab\\ud800"')
    assert problems(load, path) == [
        f"{path}, {where}, column 'note': found 'ab\\ud800'; expected text without a lone "
        "surrogate (\\ud800-\\udfff is half of a character)"]


@pytest.mark.parametrize("kind", PAGES)
def test_invalid_utf8_names_the_file_and_record(tmp_path, kind):
    template, load, where = PAGES[kind]
    path = tmp_path / "page.json"
    path.write_bytes((template % ', "note": "abXY"').encode().replace(b"XY", b"\xff\xfe"))
    found = problems(load, path)
    assert len(found) == 1
    assert found[0].startswith(f"{path}, {where}, column 'note': found ")
    assert found[0].endswith("expected UTF-8 text (byte 0xff at line 1 is not UTF-8)")


@pytest.mark.parametrize("kind", PAGES)
def test_json_nested_deeper_than_the_limit_is_a_located_problem(tmp_path, kind):
    template, load, _ = PAGES[kind]
    path = tmp_path / "page.json"
    deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH  # one level more than allowed, inside the page
    path.write_text(template % f',\n "x": {deep}')
    assert problems(load, path) == [
        f"{path}, line 2; expected JSON nested less deeply (at most 200 levels)"]


def test_the_depth_limit_is_exact_and_brackets_in_strings_do_not_count():
    assert read_json("[" * MAX_DEPTH + "]" * MAX_DEPTH, "f")[1] == []
    assert read_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "f")[0] is None
    text = json.dumps({"a": "[" * 10_000})
    assert read_json(text, "f") == ({"a": "[" * 10_000}, [])


def test_an_unbounded_depth_never_reaches_recursion(tmp_path):
    payload, found = read_json(b"[" * 200_000, "f.json")
    assert payload is None and [str(p) for p in found] == [
        "f.json, line 1; expected JSON nested less deeply (at most 200 levels)"]


def test_source_detection_survives_hostile_pages(tmp_path):
    (tmp_path / "a.json").write_text("[" * 200_000)
    (tmp_path / "b.json").write_bytes(b'{"x": "\xff"}')
    assert session_source(tmp_path) == FALLBACK_SOURCE


def test_repeated_keys_are_listed_once_each_with_nested_places():
    payload, found = read_json('{"a": 1, "a": 2, "a": 3, "b": [{"c": 1, "c": 1}]}', "f")
    assert payload == {"a": 3, "b": [{"c": 1}]}
    assert [(p.where, p.column) for p in found] == [("", "a"), ("b[0]", "c")]
