"""load_usage: typed frames from good files, every problem at once from bad ones."""

import pandas as pd
import pytest

from builders import seed_tenant
from toolkit import InputError, load_usage


def write(tmp_path, text, name="usage.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def problems_of(path, tenant=None):
    with pytest.raises(InputError) as caught:
        load_usage(path, tenant)
    return [str(p) for p in caught.value.problems]


def test_good_file_is_typed_and_read_in_the_tenants_zone(tmp_path):
    tenant = seed_tenant()
    tenant = type(tenant)(**{**tenant.__dict__, "timezone": "Europe/Rome"})
    path = write(tmp_path, "timestamp,usage_type,quantity,subscription_id\n"
                 "2025-03-01T10:00:00,ai_agent,3,Sub-A\n"
                 "2025-03-01T08:00:00Z,ai_agent,2.5,\n")
    frame = load_usage(path, tenant)
    assert str(frame["timestamp"].dt.tz) == "Europe/Rome"
    assert frame["timestamp"].dt.hour.tolist() == [9, 10]  # 08:00Z is 09:00 in Rome; sorted
    assert frame["quantity"].tolist() == [2.5, 3.0]
    assert frame["subscription_id"].isna().tolist() == [True, False]
    assert "user_id" in frame.columns and frame["user_id"].isna().all()


def test_every_bad_row_is_reported_with_row_column_and_value(tmp_path):
    path = write(tmp_path, "timestamp,usage_type,quantity,subscription_id\n"
                 "2025-03-01T10:00:00,ai_agent,3,Sub-A\n"          # row 2: fine
                 "yesterday,ai_agent,3,Sub-A\n"                     # row 3
                 "2025-03-01T10:00:00,ai_agnet,3,Sub-A\n"           # row 4
                 "2025-03-01T10:00:00,ai_agent,-4,Sub-A\n"          # row 5
                 "2025-03-01T10:00:00,ai_agent,lots,Sub-A\n"        # row 6
                 "2025-03-01T10:00:00,ai_agent,1,Sub-Z\n"           # row 7
                 ",ai_agent,1,Sub-A\n")                             # row 8
    problems = problems_of(path, seed_tenant())
    file = str(path)
    assert problems == [
        f"{file}, row 3, column 'timestamp': found 'yesterday'; expected an ISO 8601 date-time "
        "that exists in UTC (e.g. 2025-03-01T09:30:00, or with an offset)",
        f"{file}, row 8, column 'timestamp'; expected a date-time",
        f"{file}, row 6, column 'quantity': found 'lots'; expected a number",
        f"{file}, row 4, column 'usage_type': found 'ai_agnet'; expected a usage type: ai_agent, "
        "ai_assistant, cc_premium_agent, cc_standard_agent, ivr_outbound_campaign, ivr_port, "
        "webex_connect, wfo",
        f"{file}, row 5, column 'quantity': found -4.0; expected a finite number from 0 to 10^12",
        f"{file}, row 7, column 'subscription_id': found 'Sub-Z'; expected a subscription of the "
        "tenant: Sub-A, Sub-B, Sub-C",
    ]


def test_local_times_that_do_not_exist_are_reported_not_guessed(tmp_path):
    tenant = seed_tenant()
    tenant = type(tenant)(**{**tenant.__dict__, "timezone": "Europe/Rome"})
    path = write(tmp_path, "timestamp,usage_type,quantity\n2025-03-30T02:30:00,ai_agent,1\n")
    assert problems_of(path, tenant) == [
        f"{path}, row 2, column 'timestamp': found '2025-03-30T02:30:00'; expected an ISO 8601 "
        "date-time that exists in Europe/Rome (e.g. 2025-03-01T09:30:00, or with an offset)"]


@pytest.mark.parametrize("text, expected", [
    ("", "expected a header row naming the columns timestamp, usage_type, quantity"),
    ("timestamp,usage_type,quantity\n", "expected at least one data row after the header"),
    ("timestamp,quantity\n2025-01-01,1\n", "row 1, column 'usage_type'; expected this column"),
    ("timestamp,usage_type,quantity\n2025-01-01,ai_agent,1\n2025-01-02,ai_agent,1,extra\n"
     "2025-01-03,ai_agent\n", "row 3; expected 3 fields like the header, found 4"),
])
def test_malformed_files(tmp_path, text, expected):
    problems = problems_of(write(tmp_path, text))
    assert any(expected in p for p in problems), problems


def test_ragged_rows_are_all_listed(tmp_path):
    path = write(tmp_path, "timestamp,usage_type,quantity\n2025-01-01,ai_agent,1,9\n"
                 "2025-01-02,ai_agent,1\n2025-01-03,ai_agent\n")
    assert problems_of(path) == [
        f"{path}, row 2; expected 3 fields like the header, found 4",
        f"{path}, row 4; expected 3 fields like the header, found 2",
    ]


def test_missing_file(tmp_path):
    assert problems_of(tmp_path / "nope.csv") == [
        f"{tmp_path / 'nope.csv'}; expected an existing CSV file"]


def test_bundled_sample_loads_cleanly():
    from toolkit import load_tenant
    from toolkit.resources import sample_dir

    tenant = load_tenant(sample_dir())
    frame = load_usage(sample_dir() / "usage.csv", tenant)
    assert len(frame) > 20_000
    assert set(frame["usage_type"]) == set(tenant.usage_types)
    assert isinstance(frame["timestamp"].dtype, pd.DatetimeTZDtype)
