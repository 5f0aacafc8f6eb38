"""load_tenant: every bad-input case reported at once, with its place in the file."""

import textwrap

import pytest

from toolkit import InputError, load_tenant, save_tenant
from toolkit.sample import sample_tenant

GOOD_SUB = """
  - id: Sub-A
    department: Care
    license_model: concurrent
    offer: flex
    deployment: cloud
    terms:
      - start: 2024-01-01
        end: 2026-01-01
        lines:
          - {type: ai_agent, quantity: 5, unit_price: 1}
"""


def write(tmp_path, body):
    path = tmp_path / "tenant.yaml"
    path.write_text(textwrap.dedent(body))
    return path


def problems_of(path):
    with pytest.raises(InputError) as caught:
        load_tenant(path)
    return [str(p) for p in caught.value.problems], str(caught.value)


def test_a_file_with_many_problems_lists_them_all(tmp_path):
    path = write(tmp_path, """
        tenant: Bad
        currency: EUR
        timezone: Mars/Olympus
        subscriptions:
          - id: Sub-A
            department: Care
            license_model: concurrent
            offer: flexx
            deployment: cloud
            terms:
              - start: 2025-01-01
                end: 2024-01-01
                lines:
                  - {type: ai_agnet, quantity: -5, unit_price: 1}
          - id: Sub-A
            department: Sales
            license_model: nammed
            offer: flex
            deployment: onprem
            terms:
              - {start: 2024-01-01, end: 2026-01-01}
              - {start: 2025-06-01, end: 2027-01-01}
    """)
    problems, message = problems_of(path)
    expected_fragments = [
        "subscriptions[1] (Sub-A), column 'id': found 'Sub-A'; expected a unique id (also used by "
        "subscriptions[0])",
        "column 'timezone': found 'Mars/Olympus'; expected an IANA time zone name",
        "subscriptions[0] (Sub-A), column 'offer': found 'flexx'; expected one of 'flex', "
        "'flex3' or 'ea'",
        "subscriptions[0] (Sub-A).terms[0], column 'end': found 2024-01-01; expected an end "
        "after start "
        "2025-01-01",
        "subscriptions[0] (Sub-A).terms[0].lines[0], column 'type': found 'ai_agnet'; expected "
        "a known "
        "usage type",
        "subscriptions[0] (Sub-A).terms[0].lines[0], column 'quantity': found -5; expected a "
        "finite number from 0 to 10^12",
        "subscriptions[1] (Sub-A), column 'license_model': found 'nammed'; expected one of "
        "'concurrent' "
        "or 'named'",
        "subscriptions[1] (Sub-A), column 'deployment': found 'onprem'; expected one of 'cloud' or "
        "'hybrid'",
        "subscriptions[1] (Sub-A).terms[1], column 'start': found 2025-06-01; expected terms of "
        "one "
        "subscription that do not overlap: terms[0] runs [2024-01-01, 2026-01-01)",
    ]
    for fragment in expected_fragments:
        assert any(fragment in p for p in problems), fragment
    assert len(problems) == len(expected_fragments)
    assert message.startswith(f"{len(expected_fragments)} problems in the input:")
    assert all(p.startswith(str(path)) for p in problems)


@pytest.mark.parametrize("line, fragment", [
    ("{type: ai_agent, quantity: 5, unit_price: 1, start: 2023-06-01}",
     "expected lines inside the term [2024-01-01, 2026-01-01); outside: lines[0]"),
    ("{type: ai_agent, quantity: 5, unit_price: 1, start: 2025-01-01, end: 2024-06-01}",
     "column 'end': found 2024-06-01; expected an end after start 2025-01-01"),
    ("{type: ai_agent, quantity: many, unit_price: 1}", "column 'quantity': found 'many'; "
     "expected a number"),
    ("{type: ai_agent, quantity: 5, unit_price: 1, colour: red}", "column 'colour': found 'red'; "
     "expected no such field"),
    ("{type: ai_agent, unit_price: 1}", "column 'quantity'; expected this field (it is missing)"),
])
def test_line_problems(tmp_path, line, fragment):
    path = write(tmp_path, f"""
        tenant: T
        currency: EUR
        subscriptions:
          - id: Sub-A
            department: Care
            license_model: concurrent
            offer: flex
            deployment: cloud
            terms:
              - start: 2024-01-01
                end: 2026-01-01
                lines:
                  - {line}
    """)
    problems, _ = problems_of(path)
    assert len(problems) == 1 and fragment in problems[0], problems


def test_usage_type_overrides_add_and_change_rows(tmp_path):
    path = write(tmp_path, """
        tenant: T
        currency: EUR
        usage_types:
          sms_campaign: {policy: pooled_first_holder, measure: sum, unit: messages}
          wfo: {policy: pooled_primary}
        overage_prices: {sms_campaign: 0.02}
        subscriptions:
          - id: Sub-A
            department: Care
            license_model: concurrent
            offer: flex
            deployment: cloud
            terms:
              - start: 2024-01-01
                end: 2026-01-01
                lines:
                  - {type: sms_campaign, quantity: 5, unit_price: 1}
    """)
    tenant = load_tenant(path)
    assert tenant.usage_types["sms_campaign"].rule.owner == "first_holder"
    assert tenant.usage_types["wfo"].policy == "pooled_primary"
    assert tenant.usage_types["wfo"].unit == "named users"  # the rest of the row is kept
    assert tenant.overage_owner("sms_campaign", "2025-01-01") == "Sub-A"
    assert tenant.overage_owner("wfo", "2025-01-01") == "Sub-A"


def test_bad_usage_type_overrides(tmp_path):
    path = write(tmp_path, textwrap.dedent("""
        tenant: T
        currency: EUR
        usage_types:
          sms_campaign: {policy: pooled_first_holder}
          wfo: {policy: cheapest_wins}
        subscriptions:
    """) + GOOD_SUB)
    problems, _ = problems_of(path)
    assert any("usage_types.sms_campaign" in p and "policy, measure and unit" in p
               for p in problems)
    assert any("usage_types.wfo, column 'policy': found 'cheapest_wins'" in p for p in problems)


@pytest.mark.parametrize("body, fragment", [
    ("", "expected a mapping with tenant, currency, subscriptions"),
    ("tenant: [unclosed", "expected valid YAML"),
    ("tenant: T\ncurrency: euro\nsubscriptions: []\n", "column 'currency': found 'euro'"),
])
def test_malformed_files(tmp_path, body, fragment):
    problems, _ = problems_of(write(tmp_path, body))
    assert any(fragment in p for p in problems), problems


def test_missing_file_and_directory(tmp_path):
    problems, _ = problems_of(tmp_path)
    assert problems == [f"{tmp_path / 'tenant.yaml'}; expected a tenant.yaml file"]


def test_save_and_load_round_trip(tmp_path):
    tenant = sample_tenant()
    loaded = load_tenant(save_tenant(tenant, tmp_path / "tenant.yaml"))
    assert loaded.subscriptions == tenant.subscriptions
    assert dict(loaded.overage_prices) == dict(tenant.overage_prices)
    assert loaded.timezone == "Europe/Rome"


def test_overlapping_terms_are_found_when_dates_are_quoted(tmp_path):
    path = write(tmp_path, """
        tenant: T
        currency: EUR
        subscriptions:
          - id: Sub-A
            department: Care
            license_model: concurrent
            offer: flex
            deployment: cloud
            terms:
              - {start: "2024-01-01", end: "2026-01-01"}
              - {start: "2025-06-01", end: "2027-01-01"}
    """)
    problems, _ = problems_of(path)
    assert len(problems) == 1
    assert "subscriptions[0] (Sub-A).terms[1], column 'start': found 2025-06-01; expected terms " \
        "of one " \
        "subscription that do not overlap: terms[0] runs [2024-01-01, 2026-01-01)" in problems[0]
