"""The month so far (T4), hand-computed on the priced tenant of ``test_costs``.

March 2025 (31 days) seen to the 10th: AI Agent 100 sessions a day on Sub-A, 300 on the 5th
(1200 to date; the pool holds 1000 + 500 = 1500). Run rate: 120 a day × 21 remaining days →
1200 + 2520 = 3720 projected, 2220 over × 0.80 (Sub-A, first holder) = 1776.00. Band: lowest
day 100 → 3300, 1800 over = 1440.00; highest 300 → 7500, 6000 over = 4800.00. Agents peak at 28
on the 10th: 3 over × 150.00 = 450.00 in every version (a peak already reached stays).
Sales (Sub-A): committed 1500.00 + 450.00 = 1950.00 to date, 3726.00 projected, band 3390.00 to
6750.00; Support (Sub-B) 1625.00 throughout.
"""

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import priced_tenant, usage
from toolkit import allocate, chargeback
from toolkit.commands.cli import main
from toolkit.finance.preview import month_preview


def seen_to_the_10th() -> pd.DataFrame:
    rows = [(f"2025-03-{d:02d}T09:00", "ai_agent", 300 if d == 5 else 100, "Sub-A")
            for d in range(1, 11)]
    rows += [("2025-03-10T10:00", "cc_standard_agent", 12, "Sub-A"),
             ("2025-03-10T10:00", "cc_standard_agent", 16, "Sub-B")]
    return usage(*rows)


def test_mid_month_preview_hand_computed():
    preview = month_preview(priced_tenant(), seen_to_the_10th())
    assert (str(preview.period), preview.as_of, preview.days_seen, preview.days) == (
        "2025-03", dt.date(2025, 3, 10), 10, 31)
    sales = preview.departments.set_index("department").loc["Sales"]
    assert sales[["committed_cost", "total_to_date", "total_projected", "total_low",
                  "total_high"]].tolist() == [1500.0, 1950.0, 3726.0, 3390.0, 6750.0]
    support = preview.departments.set_index("department").loc["Support"]
    assert support[["total_to_date", "total_low", "total_projected", "total_high"]
                   ].tolist() == [1625.0] * 4
    ai = preview.usage.set_index("usage_type").loc["ai_agent"]
    assert ai[["usage_to_date", "usage_low", "usage_projected", "usage_high",
               "overage_projected"]].tolist() == [1200.0, 3300.0, 3720.0, 7500.0, 2220.0]
    by_sub = preview.subscriptions.set_index("subscription_id")
    assert by_sub.loc["Sub-A", "overage_projected"] == 2226.0  # 450.00 + 1776.00
    assert preview.breaches.empty


def test_predicted_budget_breach_is_named():
    budgets = pd.DataFrame({"period": pd.PeriodIndex(["2025-03", "2025-03"], freq="M"),
                            "department": ["Sales", "Support"], "amount": [3000.0, 2000.0]})
    preview = month_preview(priced_tenant(), seen_to_the_10th(), budgets=budgets)
    assert preview.breaches.values.tolist() == [["Sales", 3000.0, 3726.0, 726.0]]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 200), min_size=30, max_size=30), st.integers(0, 40))
def test_a_closed_months_preview_is_its_bill(daily, agents):
    rows = [(f"2025-04-{d + 1:02d}T09:00", "ai_agent", q, "Sub-A") for d, q in enumerate(daily)]
    rows.append(("2025-04-30T10:00", "cc_standard_agent", agents, "Sub-B"))
    tenant, frame = priced_tenant(), usage(*rows)
    preview = month_preview(tenant, frame, as_of=dt.date(2025, 4, 30))
    bill = chargeback(allocate(tenant, frame), tenant).set_index("department")["total_cost"]
    for name in ("to_date", "low", "projected", "high"):
        assert preview.departments.set_index("department")[f"total_{name}"].to_dict() == \
            bill.to_dict()


def test_the_sample_october_closed_equals_its_bill(sample_data):
    from toolkit.workspace import Workspace

    data = Workspace(sample_data.tenant, sample_data.usage, sample_data.users)
    preview = month_preview(data.tenant, data.usage, data.users, dt.date(2026, 10, 31))
    bill = data.billed[data.billed["period"].astype(str) == "2026-10"]
    assert preview.departments.set_index("department")["total_projected"].to_dict() == \
        bill.set_index("department")["total_cost"].to_dict()


def test_cli_preview_on_a_partial_month(tmp_path, capsys):
    from toolkit.inputs.tenant_file import save_tenant

    folder = tmp_path / "tenant"
    folder.mkdir()
    save_tenant(priced_tenant(), folder)
    seen_to_the_10th().to_csv(folder / "usage.csv", index=False)
    assert main(["preview", str(folder), "--out", str(tmp_path / "p.csv")]) == 0
    out = capsys.readouterr().out
    assert "2025-03 as of 2025-03-10 (10 of 31 days seen)" in out
    assert "Sales                         1,950.00      3,726.00      3,390.00      6,750.00" \
        in out
    assert "ai_agent 2,220.0 units (band 1,800.0 to 6,000.0)" in out
    assert (tmp_path / "p.departments.csv").is_file()
