"""Hostile or careless CSV inputs (issue #12): repeated columns, names that are not names, and
problems that name the user beside the row."""

import pytest

from toolkit import InputError
from toolkit.inputs.budgets import load_budgets
from toolkit.inputs.sessions import load_sessions
from toolkit.inputs.usage import load_usage
from toolkit.inputs.users import load_users
from toolkit.sample import sample_tenant

USERS_HEAD = "user_id,role,license,subscription_id,department\n"


def problems_of(loader, path, *args):
    with pytest.raises(InputError) as caught:
        loader(path, *args)
    return [str(p).removeprefix(f"{path}, ") for p in caught.value.problems]


@pytest.mark.parametrize("loader, text, expected", [
    (load_usage, "timestamp,usage_type,quantity,quantity\n2025-01-01T00:00,ai_agent,1,2\n",
     "row 1, column 'quantity'; expected each column once in the header (also column 3)"),
    (load_users, "user_id,role,license,subscription_id,user_id\nu1,agent,wfo,,u2\n",
     "row 1, column 'user_id'; expected each column once in the header (also column 1)"),
    (load_sessions, "user_id,login,logout, logout\nu1,2025-01-01T00:00,2025-01-01T01:00,x\n",
     "row 1, column 'logout'; expected each column once in the header (also column 3)"),
    (load_budgets, "department,period,amount,,\nCare,2025-01,1,,\n",
     "row 1; expected each column once in the header (also column 4)"),
])
def test_a_repeated_column_name_is_a_problem_not_a_traceback(tmp_path, loader, text, expected):
    path = tmp_path / "input.csv"
    path.write_text(text)
    assert problems_of(loader, path) == [expected]


@pytest.mark.parametrize("cell, shown", [  # (blank cells are empty: the reader trims them)
    ('"a\u202eb"', "'a\\u202eb'"),
    ('"a\u2066b"', "'a\\u2066b'"),
    ('"a\x07b"', "'a\\x07b'"),
])
def test_names_that_cannot_be_names_are_refused_in_users(tmp_path, cell, shown):
    path = tmp_path / "users.csv"
    path.write_text(USERS_HEAD + f"u1,agent,wfo,Sub-A,{cell}\n{cell},agent,wfo,Sub-A,Care\n",
                    encoding="utf-8")
    problems = problems_of(load_users, path)
    assert f"row 2 (u1), column 'department': found {shown}; expected a name" in problems[0]
    assert any(f"column 'user_id': found {shown}; expected a name" in p for p in problems)


def test_user_names_are_trimmed_and_nfc(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text(USERS_HEAD + "Cafe\u0301,agent,wfo,Sub-A, Ops \n"
                    "Caf\u00e9,agent,cc_premium_agent,,\n", encoding="utf-8")
    users = load_users(path)
    assert users["user_id"].tolist() == ["Café", "Café"]
    assert users["department"].tolist()[0] == "Ops"


def test_budget_departments_match_the_tenant_in_nfc(tmp_path):
    tenant = sample_tenant()
    department = sorted(set(tenant.departments.values()))[0]
    nfd = __import__("unicodedata").normalize("NFD", department + "é")
    path = tmp_path / "budgets.csv"
    path.write_text(f"department,period,amount\n{department},2025-01,10\n"
                    f"\"{department}\u202e\",2025-02,10\n{nfd},2025-03,1\n", encoding="utf-8")
    problems = problems_of(load_budgets, path, tenant)
    assert problems[0].startswith("row 3, column 'department': found '"
                                  f"{department}\\u202e'; expected a name")
    # NFD text is compared in NFC: the problem shows the NFC name the tenant does not have
    assert problems[1].startswith(f"row 4, column 'department': found '{department}é'")


@pytest.mark.parametrize("loader, text, expected", [
    (load_sessions, "user_id,login,logout\nagent-7,2025-03-03T10:00,2025-03-03T09:00\n",
     "row 2 (agent-7), column 'logout'"),
    (load_users, USERS_HEAD + "agent-9,pilot,wfo,,\n", "row 2 (agent-9), column 'role'"),
])
def test_row_problems_name_the_user(tmp_path, loader, text, expected):
    path = tmp_path / "input.csv"
    path.write_text(text)
    assert problems_of(loader, path)[0].startswith(expected)


def test_an_unknown_offset_among_naive_times_is_one_problem(tmp_path):
    """Found by the fuzz test: pandas refused the whole column ("mixed timezones")."""
    path = tmp_path / "usage.csv"
    path.write_text("timestamp,usage_type,quantity\n2024-01-01T18:00-1:00,ai_agent,1\n"
                    "2024-01-01T18:00:00,ai_agent,1\n")
    assert problems_of(load_usage, path) == [
        "row 2, column 'timestamp': found '2024-01-01T18:00-1:00'; expected an ISO 8601 "
        "date-time that exists in UTC (e.g. 2025-03-01T09:30:00, or with an offset)"]


def test_a_huge_user_id_beside_a_row_is_cut(tmp_path):
    """Found by the fuzz test: a 1,000-character id made every message 1,000 characters."""
    path = tmp_path / "sessions.csv"
    path.write_text(f"user_id,login,logout\n{'0' * 1000},2025-03-03T10:00,\n")
    assert problems_of(load_sessions, path) == [
        f"row 2 ({'0' * 40}… (1,000 characters)), column 'logout'; expected a logout time "
        "(an open session is not guessed)"]


def test_a_ragged_file_with_a_huge_field_is_a_problem(tmp_path):
    """The reader that lists ragged rows stopped at a field of more than 128 KiB."""
    path = tmp_path / "usage.csv"
    path.write_text('timestamp,usage_type,quantity\n"' + "x" * 200_000 + '",a,1,extra\n')
    assert problems_of(load_usage, path) == [
        "row 2; expected well-formed CSV (field larger than field limit (131072))"]


@pytest.mark.parametrize("loader, text, column", [
    (load_users, USERS_HEAD + "Cafe\u0301,agent,wfo,Sub-A,Ops\n", "user_id"),
    (load_users, USERS_HEAD + "u1,agent,wfo,Sub-A,Cafe\u0301\n", "department"),
])
def test_a_clean_looking_file_is_still_normalised(tmp_path, loader, text, column):
    """NFD text reads like a clean file; the fast path must not keep it as written."""
    path = tmp_path / "users.csv"
    path.write_text(text, encoding="utf-8")
    assert loader(path)[column].tolist() == ["Caf\u00e9"]
