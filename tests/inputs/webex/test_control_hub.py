"""Importing real Webex API payloads: /v1/licenses and /v1/people (docs/rules.md §6)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from builders import FIXTURES
from toolkit.commands.cli import main
from toolkit.errors import InputError
from toolkit.inputs.users import load_users
from toolkit.inputs.webex.control_hub import LICENSE_NAMES, load_webex_licenses, load_webex_people

FIXTURES = FIXTURES / "webex"


@pytest.fixture(scope="module")
def licenses() -> pd.DataFrame:
    return load_webex_licenses(FIXTURES / "licenses.json")


def test_licenses_are_mapped_through_the_name_table(licenses):
    assert licenses.columns.tolist()[:6] == ["license_id", "name", "usage_type",
                                             "subscription_id", "total_units", "consumed_units"]
    cc = licenses[licenses["usage_type"].notna() & licenses["subscription_id"].notna()]
    got = sorted(zip(cc["subscription_id"], cc["usage_type"], cc["total_units"], strict=True))
    assert got == [("Sub-1001", "ai_assistant", 20000.0),
                   ("Sub-1001", "cc_premium_agent", 15.0),
                   ("Sub-1001", "cc_standard_agent", 80.0),
                   ("Sub-1002", "cc_premium_agent", 10.0),
                   ("Sub-1002", "cc_standard_agent", 40.0)]  # "Contact center Standard Agent"


def test_non_contact_center_licenses_are_kept_and_marked(licenses):
    assert len(licenses) == 11
    other = licenses[~licenses["contact_center"]]
    assert sorted(other["name"]) == ["Basic Messaging", "Webex Calling - Professional",
                                     "Webex Calling - Route List Calls", "Webex Meetings Suite"]
    assert other["usage_type"].isna().all()
    assert other["note"].str.startswith("not a Contact Center license").all()
    meetings = licenses.set_index("name").loc["Webex Meetings Suite"]
    assert meetings["site_url"] == "aurora-example.webex.com"


def test_unknown_contact_center_names_are_reported_not_guessed(licenses):
    unknown = licenses[licenses["contact_center"] & licenses["usage_type"].isna()]
    assert unknown["name"].tolist() == ["Epic Desktop Connector for Webex Contact Center"]
    assert "does not know" in unknown["note"].iloc[0]


def test_the_name_table_can_be_extended(tmp_path):
    table = tmp_path / "names.csv"
    table.write_text("name,usage_type\nEpic Desktop Connector for Webex Contact Center,wfo\n")
    extended = load_webex_licenses(FIXTURES / "licenses.json", names=table)
    epic = extended.set_index("name").loc["Epic Desktop Connector for Webex Contact Center"]
    assert epic["usage_type"] == "wfo"
    assert load_webex_licenses(FIXTURES / "licenses.json",
                               names={"webex calling - professional": "ivr_port"}
                               ).set_index("name").loc["Webex Calling - Professional",
                                                       "usage_type"] == "ivr_port"
    assert "contact center standard agent" in LICENSE_NAMES


def test_a_folder_of_overlapping_pages_reads_like_one_response(licenses):
    pages = load_webex_licenses(FIXTURES / "licenses_pages")
    pd.testing.assert_frame_equal(pages.sort_values("license_id", ignore_index=True),
                                  licenses.sort_values("license_id", ignore_index=True))


def test_the_documentation_example_with_its_quirks_is_accepted():
    # single quotes (not JSON), 'displayName' instead of 'name', numbers as strings
    frame = load_webex_licenses(FIXTURES / "licenses_doc_example.json")
    assert frame["name"].tolist() == ["Spark Calling", "Contact Center Premium Agent"]
    assert frame["total_units"].tolist() == [42.0, 12.0]
    assert frame["consumed_units"].tolist() == [8.0, 3.0]
    assert frame["usage_type"].isna().tolist() == [True, False]


def test_a_single_license_object_is_accepted(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"id": "L1", "name": "Contact Center Premium Agent",
                                "totalUnits": 3, "consumedUnits": 1, "subscriptionId": "Sub-9"}))
    assert load_webex_licenses(path)["usage_type"].tolist() == ["cc_premium_agent"]


def test_bad_license_payloads_list_every_problem(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps({"items": [
        {"name": "Contact Center Premium Agent", "totalUnits": 3},            # no id
        {"id": "L2", "name": "Contact Center Standard Agent", "totalUnits": "many"},
        {"id": "L3", "name": "Contact Center Standard Agent", "totalUnits": -1},
        {"id": "L4", "name": "Contact Center Standard Agent", "totalUnits": 5},
    ]}))
    (folder / "b.json").write_text(json.dumps({"items": [
        {"id": "L4", "name": "Contact Center Standard Agent", "totalUnits": 6},  # conflicts
    ]}))
    (folder / "c.json").write_text("{not json")
    with pytest.raises(InputError) as caught:
        load_webex_licenses(folder)
    found = [(Path(p.file).name, p.where, p.column) for p in caught.value.problems]
    assert found == [("c.json", "line 1", ""), ("a.json", "items[0]", "id"),
                     ("a.json", "items[1]", "totalUnits"), ("a.json", "items[2]", "totalUnits"),
                     ("b.json", "items[0]", "id")]


def test_people_become_users_rows(licenses):
    users = load_webex_people(FIXTURES / "people.json", licenses)
    rows = list(zip(users["user_id"], users["role"], users["license"],
                    users["subscription_id"].fillna("-"), strict=True))
    assert rows == [
        ("giulia.rossi@aurora-example.com", "agent", "cc_standard_agent", "Sub-1001"),
        ("luca.ferrari@aurora-example.com", "admin", "ai_assistant", "Sub-1001"),
        ("marco.bianchi@aurora-example.com", "agent", "ai_assistant", "Sub-1001"),
        ("marco.bianchi@aurora-example.com", "agent", "cc_premium_agent", "Sub-1001"),
        ("paolo.romano@aurora-example.com", "agent", "cc_standard_agent", "-"),  # trial
        ("sara.conti@aurora-example.com", "agent", "cc_premium_agent", "Sub-1002"),
        ("sara.conti@aurora-example.com", "agent", "cc_standard_agent", "Sub-1002"),
    ]
    assert users.attrs["skipped"] == 1  # Anna (Meetings only)
    # Elena holds only a Contact Center license of an unknown name: listed, not dropped
    assert users.attrs["unknown_license_only"] == ["elena.costa@aurora-example.com"]
    assert users.loc[0, "department"] == "Customer Care"
    spec_columns = licenses.iloc[:, :6]  # docs/rules.md §7's columns only: same people
    pd.testing.assert_frame_equal(load_webex_people(FIXTURES / "people.json", spec_columns),
                                  users)
    by_id = load_webex_people(FIXTURES / "people_pages", licenses, user_id="id")
    assert by_id["user_id"].str.startswith("Y2lzY29zcGFyazovL3VzL1BFT1BMRS").all()
    assert len(by_id) == len(users)


def test_people_naming_a_license_not_in_the_export_are_refused(tmp_path, licenses):
    path = tmp_path / "people.json"
    path.write_text(json.dumps({"items": [
        {"id": "P1", "emails": ["a@x.example"], "licenses": ["NOPE", "NOPE2"]},
        {"id": "P2", "emails": [], "licenses": []},
        {"emails": [], "licenses": []},
    ]}))
    with pytest.raises(InputError) as caught:
        load_webex_people(path, licenses)
    found = [(p.where, p.column, p.value) for p in caught.value.problems]
    assert found == [("items[0]", "licenses", "NOPE"), ("items[0]", "licenses", "NOPE2"),
                     ("items[2]", "id", None)]


def test_cli_import_webex_writes_users_and_reconciliation(tmp_path, capsys):
    out = tmp_path / "out"
    status = main(["import-webex", str(FIXTURES / "licenses.json"),
                   str(FIXTURES / "people_pages"), "--out", str(out)])
    assert status == 0
    users = load_users(out / "users.csv")
    assert users["user_id"].nunique() == 5
    findings = pd.read_csv(out / "reconciliation.csv")
    assert set(findings["rule"]) == {"not-contact-center", "unknown-license-name",
                                     "license-without-subscription"}
    assert len(pd.read_csv(out / "licenses.csv")) == 11
    assert "wrote" in capsys.readouterr().out


def test_cli_import_webex_bad_input_exits_2(tmp_path, capsys):
    status = main(["import-webex", str(tmp_path / "missing.json"),
                   str(FIXTURES / "people.json"), "--out", str(tmp_path / "out")])
    assert status == 2
    assert capsys.readouterr().err == (
        f"multisub import-webex: 1 problem in the input:\n  - {tmp_path / 'missing.json'}; "
        "expected an existing JSON file or folder\n")
    assert not (tmp_path / "out").exists()


def test_cli_import_webex_reports_people_with_unknown_license_names(tmp_path, capsys):
    assert main(["import-webex", str(FIXTURES / "licenses.json"),
                 str(FIXTURES / "people.json"), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "(1 people without a Contact Center license)" in out
    assert ("1 people hold only Contact Center licenses whose names the license-name table "
            "does not know, so they are not in users.csv (add the names with --names): "
            "elena.costa@aurora-example.com") in out


def write_json(path: Path, payload) -> Path:
    path.write_text(json.dumps(payload))
    return path


def test_import_webex_output_loads_back(tmp_path):
    # a license id listed twice, and two Standard licenses of one subscription (two sites)
    licenses = write_json(tmp_path / "licenses.json", {"items": [
        {"id": "L1", "name": "Contact Center Standard Agent", "totalUnits": 5,
         "subscriptionId": "Sub-A"},
        {"id": "L2", "name": "Contact Center Standard Agent", "totalUnits": 5,
         "subscriptionId": "Sub-A", "siteUrl": "second.webex.com"},
        {"id": "L3", "name": "Contact Center Premium Agent", "totalUnits": 2,
         "subscriptionId": "Sub-B"},
    ]})
    people = write_json(tmp_path / "people.json", {"items": [
        {"id": "P1", "emails": ["a@x.example"], "licenses": ["L1", "L1", "L3"]},
        {"id": "P2", "emails": ["b@x.example"], "licenses": ["L1", "L2"]},
    ]})
    out = tmp_path / "out"
    assert main(["import-webex", str(licenses), str(people), "--out", str(out)]) == 0
    users = load_users(out / "users.csv")
    assert list(zip(users["user_id"], users["license"], users["subscription_id"],
                    strict=True)) == [("a@x.example", "cc_premium_agent", "Sub-B"),
                                      ("a@x.example", "cc_standard_agent", "Sub-A"),
                                      ("b@x.example", "cc_standard_agent", "Sub-A")]
    # the reference fixtures too
    assert main(["import-webex", str(FIXTURES / "licenses.json"),
                 str(FIXTURES / "people.json"), "--out", str(out)]) == 0
    assert len(load_users(out / "users.csv")) == 7


def test_one_type_on_two_subscriptions_is_a_problem_not_a_guess(tmp_path):
    licenses = load_webex_licenses(write_json(tmp_path / "licenses.json", {"items": [
        {"id": "L1", "name": "Contact Center Standard Agent", "subscriptionId": "Sub-A"},
        {"id": "L2", "name": "Contact Center Standard Agent", "subscriptionId": "Sub-B"},
        {"id": "L3", "name": "Contact Center Premium Agent", "subscriptionId": "Sub-B"},
    ]}))
    people = write_json(tmp_path / "people.json", {"items": [
        {"id": "P1", "emails": ["a@x.example"], "licenses": ["L1", "L2", "L3"]},
        {"id": "P2", "emails": ["b@x.example"], "licenses": ["L1", "L3"]},
        {"id": "P3", "emails": ["c@x.example"], "licenses": [{"id": "L1"}]},
    ]})
    with pytest.raises(InputError) as caught:
        load_webex_people(people, licenses)
    assert [(p.where, p.column, p.value) for p in caught.value.problems] == [
        ("items[0]", "licenses", "a@x.example"), ("items[2]", "licenses", {"id": "L1"})]
    assert caught.value.problems[0].expected.startswith(
        "one cc_standard_agent license per person: it is held on Sub-A and Sub-B")


def test_empty_and_null_pages_are_problems(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a.json").write_text("  \n")
    (folder / "b.json").write_text("null")
    write_json(folder / "c.json", {"items": [
        {"id": "L1", "name": "Contact Center Standard Agent", "totalUnits": 5}]})
    with pytest.raises(InputError) as caught:
        load_webex_licenses(folder)
    assert [(Path(p.file).name, p.value, p.expected) for p in caught.value.problems] == [
        ("a.json", None, "a JSON response (the file is empty)"),
        ("b.json", "null", "a JSON response object")]


def test_the_name_table_is_checked_like_any_input(tmp_path):
    table = tmp_path / "names.csv"
    table.write_text("name,usage_type\n"
                     "Contact Center Foo,cc_standrad_agent\n"     # typo
                     ",wfo\n"                                     # no name
                     "Contact Center Bar,\n"                      # no type
                     "Contact Center Baz,wfo\n"
                     "contact  center BAZ,ivr_port\n")            # same name, other type
    with pytest.raises(InputError) as caught:
        load_webex_licenses(FIXTURES / "licenses.json", names=table)
    assert [(p.where, p.column, p.value) for p in caught.value.problems] == [
        ("row 2", "usage_type", "cc_standrad_agent"), ("row 3", "name", None),
        ("row 4", "usage_type", None), ("row 6", "usage_type", "ivr_port")]
    assert caught.value.problems[0].expected.startswith("a usage type: ai_agent, ")
    with pytest.raises(InputError, match="found 'wfo_seat'"):
        load_webex_licenses(FIXTURES / "licenses.json", names={"Epic Desktop": "wfo_seat"})
    custom = load_webex_licenses(FIXTURES / "licenses.json", usage_types=["desktop_seat"],
                                 names={"Epic Desktop Connector for Webex Contact Center":
                                        "desktop_seat"})
    assert custom.set_index("name").loc["Epic Desktop Connector for Webex Contact Center",
                                        "usage_type"] == "desktop_seat"
