"""``multisub costs`` and ``multisub focus`` on a small tenant directory."""

import pandas as pd
import pytest

from builders import D, priced_subscription, priced_tenant
from toolkit import Tenant
from toolkit.commands.cli import main
from toolkit.finance.focus import FOCUS_COLUMNS
from toolkit.inputs.tenant_file import save_tenant


def test_costs_prints_totals_and_writes_the_tables(tenant_dir, tmp_path, capsys):
    (tenant_dir / "budgets.csv").write_text(
        "department,period,amount\nSales,2025-03,2000\nSupport,2025-03,2000\n")
    out = tmp_path / "out" / "chargeback.csv"
    assert main(["costs", str(tenant_dir), "--method", "caused", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "chargeback (caused) in EUR" in printed
    assert "1,800.00" in printed and "1,935.00" in printed and "3,735.00" in printed
    assert "budgets: no breach" in printed
    assert "budget warnings: 2 department-periods reached 80% of budget, not above it:\n" \
           "  Sales 1, Support 1\n" in printed
    frame = pd.read_csv(out)
    assert frame.set_index("department")["total_cost"].to_dict() == {"Sales": 1800.0,
                                                                   "Support": 1935.0}
    assert len(pd.read_csv(out.with_suffix(".costs.csv"))) == 4
    budgets = pd.read_csv(out.with_suffix(".budgets.csv")).set_index("department")
    assert budgets.loc["Sales", "flag"] == "reached 80% of budget"
    assert budgets.loc["Support", "flag"] == "reached 80% of budget"


def test_costs_names_each_breach_with_its_amount_apart_from_warnings(tenant_dir, capsys):
    """Billed March: Sales 2,110.00 (over its 2,000.00), Support 1,625.00 (81.25%)."""
    (tenant_dir / "budgets.csv").write_text(
        "department,period,amount\nSales,2025-03,2000\nSupport,2025-03,2000\n")
    assert main(["costs", str(tenant_dir)]) == 0
    printed = capsys.readouterr().out
    assert "as of 2025-03-31" in " ".join(printed.split())
    assert ("budget breaches: 1 department-period billed above budget (EUR)\n"
            "  Sales, 2025-03: billed 2,110.00 against a budget of 2,000.00, 110.00 over "
            "(105.5% of budget)\n") in printed
    assert "budget warnings: 1 department-period reached 80% of budget, not above it:\n" \
           "  Support 1" in printed
    assert main(["costs", str(tenant_dir), "--warn-at", "90%"]) == 0
    printed = capsys.readouterr().out
    assert "Sales, 2025-03: billed 2,110.00" in printed and "budget warnings" not in printed


@pytest.mark.parametrize("value", ["0", "101", "eighty"])
def test_warn_at_must_be_a_percentage_up_to_100(tenant_dir, value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["costs", str(tenant_dir), "--warn-at", value])
    assert exit_info.value.code == 2
    assert "--warn-at" in capsys.readouterr().err


def test_costs_to_xlsx_puts_details_in_sheets(tenant_dir, tmp_path):
    out = tmp_path / "chargeback.xlsx"
    assert main(["costs", str(tenant_dir), "--out", str(out)]) == 0
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets) == ["data", "costs"]
    assert sheets["data"]["total_cost"].sum() == 3735.0


def test_bad_budgets_are_reported_with_exit_status_2(tenant_dir, capsys):
    (tenant_dir / "budgets.csv").write_text("department,period,amount\nLegal,2025-03,x\n")
    assert main(["costs", str(tenant_dir)]) == 2
    error = capsys.readouterr().err
    assert "2 problems" in error and "'Legal'" in error and "'x'" in error


def test_a_missing_usage_file_is_an_input_error(tenant_dir, capsys):
    (tenant_dir / "usage.csv").unlink()
    assert main(["focus", str(tenant_dir), "--out", str(tenant_dir / "f.csv")]) == 2
    assert "usage.csv" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["costs", "focus"])
def test_a_missing_overage_price_is_an_input_error(tenant_dir, capsys, command):
    # Sub-A owns March's 3 agents over (test_costs) but neither its agents line nor the
    # tenant has an overage price for Standard agents.
    a = priced_subscription("Sub-A", "Sales", D(2024, 1, 1), D(2026, 1, 1),
                            ("cc_standard_agent", 10, 100.0, None), ("ai_agent", 1000, 0.5, 0.8))
    save_tenant(Tenant("Priced", "EUR", (a, priced_tenant().subscriptions[1])), tenant_dir)
    out = tenant_dir / "out.csv"
    assert main([command, str(tenant_dir), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        f"multisub {command}: 1 problem in the input:",
        "  - tenant.yaml, subscription Sub-A, column 'overage_price'; expected an overage "
        "price for cc_standard_agent (on a cc_standard_agent line of Sub-A or in "
        "overage_prices): Sub-A owns 3 units of overage in 2025-03"]
    assert "Traceback" not in captured.err and not out.exists()


def test_focus_writes_the_table(tenant_dir, tmp_path, capsys):
    out = tmp_path / "focus.parquet"
    assert main(["focus", str(tenant_dir), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "wrote 8 FOCUS charges" in printed and "(as of 2025-03-31)" in printed
    frame = pd.read_parquet(out)
    assert list(frame.columns) == FOCUS_COLUMNS
    assert frame["BilledCost"].sum() == 3735.0
