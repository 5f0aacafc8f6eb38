"""P4's bound: quantities, prices and amounts that are negative, NaN, infinite or above 10^12
are input errors naming file, place, column and value; no figure ever overflows."""

from __future__ import annotations

import pytest
import yaml

from builders import D, priced_subscription, usage
from toolkit import InputError, Tenant, allocate
from toolkit.checks import AMOUNT_LIMIT, is_amount
from toolkit.commands.cli import main
from toolkit.finance.costs import costs

EXPECTED = "expected a finite number from 0 to 10^12"


def test_the_bound_itself():
    assert [is_amount(v) for v in (0, 1.5, AMOUNT_LIMIT, AMOUNT_LIMIT * 1.0000001, -0.01,
                                   float("nan"), float("inf"), "x", None)] == [
        True, True, True, False, False, False, False, False, False]


def test_tenant_file_amounts_out_of_bounds_are_all_listed(tenant_dir, capsys):
    path = tenant_dir / "tenant.yaml"
    data = yaml.safe_load(path.read_text())
    lines = data["subscriptions"][0]["terms"][0]["lines"]
    lines[0]["quantity"] = 1e300
    lines[0]["unit_price"] = float("inf")
    lines[1]["overage_price"] = -1
    data["overage_prices"] = {"ai_agent": float("nan")}
    path.write_text(yaml.safe_dump(data))
    assert main(["costs", str(tenant_dir)]) == 2
    error = capsys.readouterr().err
    assert "4 problems" in error and "Traceback" not in error
    for fragment in ("lines[0], column 'quantity': found 1e+300",
                     "lines[0], column 'unit_price': found inf",
                     "lines[1], column 'overage_price': found -1",
                     "overage_prices, column 'ai_agent': found nan"):
        assert fragment in error and EXPECTED in error, fragment


def test_usage_quantities_out_of_bounds_are_all_listed(tenant_dir, capsys):
    (tenant_dir / "usage.csv").write_text(
        "timestamp,usage_type,quantity,subscription_id\n"
        "2025-03-10T10:00:00,ai_agent,1e300,Sub-A\n"
        "2025-03-10T11:00:00,ai_agent,inf,Sub-A\n"
        "2025-03-10T12:00:00,ai_agent,-inf,Sub-A\n"
        "2025-03-10T13:00:00,ai_agent,1000000000001,Sub-A\n"
        "2025-03-10T14:00:00,ai_agent,1000000000000,Sub-A\n")
    assert main(["costs", str(tenant_dir)]) == 2
    error = capsys.readouterr().err
    assert "4 problems" in error
    for row, value in ((2, "1e+300"), (3, "inf"), (4, "-inf"), (5, "1000000000001.0")):
        assert f"usage.csv, row {row}, column 'quantity': found {value}; {EXPECTED}" in error


def test_budget_amounts_out_of_bounds_are_all_listed(tenant_dir, capsys):
    (tenant_dir / "budgets.csv").write_text(
        "department,period,amount\nSales,2025-03,inf\nSupport,2025-03,2e12\n")
    assert main(["costs", str(tenant_dir)]) == 2
    error = capsys.readouterr().err
    assert "2 problems" in error
    assert f"budgets.csv, row 2, column 'amount': found inf; {EXPECTED}" in error
    assert f"budgets.csv, row 3, column 'amount': found 2000000000000.0; {EXPECTED}" in error


def test_a_product_beyond_any_invoice_is_refused_not_overflowed():
    # 10^12 sessions over an entitlement of 1000 at an overage price of 10^6: each number is
    # in bounds, their product (about 10^18) is not: an input error, never a wrapped figure.
    a = priced_subscription("Sub-A", "Sales", D(2024, 1, 1), D(2026, 1, 1),
                            ("ai_agent", 1000, 0.5, 1e6))
    result = allocate(Tenant("T", "EUR", (a,)), usage(
        ("2025-03-12T09:00", "ai_agent", 1e12, "Sub-A")))
    with pytest.raises(InputError) as error:
        costs(result)
    assert "period 2025-03, column 'overage_cost'" in str(error.value)
    assert "at most 10^12 EUR" in str(error.value)


def test_the_largest_amounts_in_bounds_add_up_without_overflow():
    # One session-line priced at the bound: 10^14 cents, exactly.
    a = priced_subscription("Sub-A", "Sales", D(2024, 1, 1), D(2026, 1, 1),
                            ("ai_agent", 1, float(AMOUNT_LIMIT), 1.0))
    table = costs(allocate(Tenant("T", "EUR", (a,)), usage(
        ("2025-03-12T09:00", "ai_agent", 1, "Sub-A"))))
    assert table["committed_cost"].tolist() == [1e12]
