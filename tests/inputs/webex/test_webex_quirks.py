"""Quirks of real /v1/people and /v1/licenses payloads (docs/rules.md §6)."""

import json

from builders import FIXTURES
from toolkit import load_webex_licenses, load_webex_people

WEBEX = FIXTURES / "webex"


def test_comma_joined_license_ids_are_several_licenses_and_names_ignore_case(tmp_path):
    licenses = load_webex_licenses(WEBEX / "licenses.json")
    by_name = licenses.set_index("license_id")
    people = json.loads((WEBEX / "people.json").read_text())
    person = people["items"][0]
    standard = person["licenses"][0]
    # "Contact center Standard Agent" (lower-case c) is a known name
    odd_case = licenses.loc[licenses["name"] == "Contact center Standard Agent", "license_id"]
    assert by_name.loc[odd_case.iloc[0], "usage_type"] == "cc_standard_agent"
    premium = licenses.loc[(licenses["usage_type"] == "cc_premium_agent")
                           & (licenses["subscription_id"]
                              == by_name.loc[standard, "subscription_id"]), "license_id"]
    person["licenses"] = [f"{standard}, {premium.iloc[0]}"]
    one = {"items": [person]}
    (tmp_path / "people.json").write_text(json.dumps(one))
    users = load_webex_people(tmp_path / "people.json", licenses)
    assert sorted(users["license"]) == ["cc_premium_agent", "cc_standard_agent"]
    assert set(users["subscription_id"]) == {by_name.loc[standard, "subscription_id"]}
