"""Budgets: loading budgets.csv with every problem reported, and spend against budget."""

import pandas as pd
import pytest

from builders import march_usage, priced_tenant
from toolkit import InputError, allocate
from toolkit.finance.budgets import RESULT_COLUMNS, budget_vs_actual
from toolkit.finance.chargeback import chargeback
from toolkit.inputs.budgets import load_budgets
from toolkit.sample import sample_budgets


def write(tmp_path, text):
    path = tmp_path / "budgets.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_file_loads_with_monthly_periods(tmp_path):
    path = write(tmp_path, "department,period,amount\n"
                           "Sales,2025-03,2500\nSupport,2025-03,1700.50\n")
    frame = load_budgets(path, priced_tenant())
    assert frame["department"].tolist() == ["Sales", "Support"]
    assert frame["period"].astype(str).tolist() == ["2025-03", "2025-03"]
    assert frame["amount"].tolist() == [2500.0, 1700.5]


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path, "department,period,amount\n"
                           "Sales,2025-03,lots\n"        # row 2: not a number
                           "Marketing,2025-03,100\n"     # row 3: unknown department
                           "Sales,March,100\n"           # row 4: not a period
                           "Support,2025-03,-5\n"        # row 5: negative
                           "Support,2025-04,10\n"
                           "Support,2025-04,20\n"        # row 7: duplicate
                           ",2025-05,\n")                # row 8: empty department and amount
    with pytest.raises(InputError) as error:
        load_budgets(path, priced_tenant())
    message = str(error.value)
    for expected in ("row 2, column 'amount': found 'lots'; expected a number",
                     "row 3, column 'department': found 'Marketing'",
                     "row 4, column 'period': found 'March'",
                     "row 5, column 'amount': found -5.0",
                     "row 7, column 'period'", "Support repeats",
                     "row 8, column 'department'", "row 8, column 'amount'"):
        assert expected in message, expected


def test_unknown_departments_are_only_checked_against_a_tenant(tmp_path):
    path = write(tmp_path, "department,period,amount\nMarketing,2025-03,100\n")
    assert load_budgets(path)["department"].tolist() == ["Marketing"]


def test_spend_against_budget_with_thresholds():
    # March billed: Sales 2110.00, Support 1625.00 (see test_chargeback).
    spend = chargeback(allocate(priced_tenant(), march_usage()))
    budgets = pd.DataFrame({
        "department": ["Sales", "Support", "Legal"],
        "period": pd.PeriodIndex(["2025-03"] * 3, freq="M"),
        "amount": [2000.0, 2000.0, 50.0],
    })
    assert list(budget_vs_actual(spend, budgets).columns) == RESULT_COLUMNS
    frame = budget_vs_actual(spend, budgets).set_index("department")
    assert frame.loc["Sales", ["budget", "actual", "variance"]].tolist() == [2000.0, 2110.0,
                                                                            -110.0]
    assert frame.loc["Sales", "flag"] == "reached 100% of budget"
    assert frame["severity"].to_dict() == {"Legal": "", "Sales": "breach", "Support": "warning"}
    assert frame.loc["Support", "used"] == pytest.approx(0.8125)
    assert frame.loc["Support", ["threshold_crossed", "flag"]].tolist() == [
        0.8, "reached 80% of budget"]
    assert frame.loc["Legal", ["actual", "variance", "flag"]].tolist() == [0.0, 50.0, ""]
    unbudgeted = budget_vs_actual(spend, budgets.iloc[:1]).set_index("department")
    assert unbudgeted.loc["Support", ["flag", "severity"]].tolist() == ["no budget", "no budget"]
    assert pd.isna(unbudgeted.loc["Support", "budget"])
    strict = budget_vs_actual(spend, budgets, thresholds=(0.5,)).set_index("department")
    assert strict.loc["Support", "flag"] == "reached 50% of budget"
    exact = budget_vs_actual(spend, budgets.assign(amount=[2110.0, 2000.0, 50.0]))
    assert exact.set_index("department").loc["Sales", ["flag", "severity"]].tolist() == [
        "reached 100% of budget", "warning"]  # exactly on budget is not a breach


def test_sample_budgets_are_round_flat_and_reproducible(tmp_path):
    spend = chargeback(allocate(priced_tenant(), march_usage()))
    first = sample_budgets(priced_tenant(), spend, seed=7)
    assert first.equals(sample_budgets(priced_tenant(), spend, seed=7))
    assert first["department"].tolist() == ["Sales", "Support"]
    assert (first["amount"] % 100 == 0).all()
    for department, amount in zip(first["department"], first["amount"], strict=True):
        actual = spend.set_index("department").loc[department, "total_cost"]
        assert 1.05 * actual <= amount <= 1.45 * actual + 500  # rounded up to a 500 step
    path = tmp_path / "budgets.csv"
    first.to_csv(path, index=False)
    assert load_budgets(path, priced_tenant()).equals(first)
