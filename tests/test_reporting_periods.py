"""P1a: a quarter or a year is a roll-up of its billing months, in every command and function.

The tenant (hand-computed below): Sub-A (Care, primary and first AI holder) holds 10 Standard
agents at 100.00 (overage 150.00) and 1,000 AI Agent sessions at 0.50 (overage 0.80) all of
2025. Sub-B (Sales) holds 5 agents at 90.00 until 30 April 2025, **lapses in May**, and
**renews mid-quarter on 1 June** with 8 agents at 90.00 and 300 AI Agent sessions at 0.60.

Usage (agents: one sample per subscription at the same instant, so the tenant's peak is their
sum; AI Agent: sessions):

| month | agents A + B = peak | agent entitlement | agent overage | AI A + B | AI ent. | AI over |
|---|---|---|---|---|---|---|
| Jan | 10 + 6 = 16 | 10 + 5 = 15 | 1 → 150.00 | 1000 | 1000 | 0 |
| Feb, Mar | none | 15 | 0 | none | 1000 | 0 |
| Apr | 12 + 4 = 16 | 15 | 1 → 150.00 | 1100 | 1000 | 100 → 80.00 |
| May | 11 (B's 3 refused: lapsed) | 10 | 1 → 150.00 | 900 | 1000 | 0 |
| Jun | 8 + 9 = 17 | 10 + 8 = 18 | 0 | 1200 + 200 | 1300 | 100 → 80.00 |

2025Q2: agents usage 44 agent-months, entitlement 43, overage 2 (per month; the quarter as a
billing period would say 1) → 300.00; AI 3,400 vs 3,300, overage 200 (not 100) → 160.00.
Committed: A 3 × (1,000 + 500) = 4,500.00; B 450.00 (Apr) + 720.00 + 180.00 (Jun) = 1,350.00.
Care 4,500.00 + 460.00 = 4,960.00; Sales 1,350.00; the quarter 6,310.00.

2025 (January–June, the months with usage): agents 60 vs 88, overage 3 → 450.00; AI 4,400 vs
6,300, overage 200 → 160.00. Committed A 9,000.00, B 4 × 450.00 + 720.00 + 180.00 = 2,700.00.
Care 9,610.00; Sales 2,700.00; the year 12,310.00 (billed; ``caused`` moves January's 150.00
to Sales, whose 6 agents exceeded its own 5 while Care's 10 did not).

Budgets 1,600.00 a month for Care and 500.00 for Sales: Q2 Care 4,800.00 against 4,960.00 (a
breach), Sales 1,500.00 against 1,350.00 (90%, a warning); the year Care 9,600.00 against
9,610.00 (a breach), Sales 3,000.00 against 2,700.00 (a warning).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import D, usage
from toolkit import Line, Subscription, Tenant, Term, allocate
from toolkit.commands.cli import main
from toolkit.finance.budgets import budget_vs_actual
from toolkit.finance.chargeback import chargeback
from toolkit.finance.costs import costs
from toolkit.finance.focus import focus_table
from toolkit.finance.forecast import forecast
from toolkit.finance.money import to_cents
from toolkit.periods import as_of_date, default_bounds, roll_up
from toolkit.present.report import choose_window
from toolkit.workspace import Workspace

AGENTS, AI = "cc_standard_agent", "ai_agent"
YEAR = (D(2025, 1, 1), D(2026, 1, 1))


def renewal_tenant() -> Tenant:
    a = Subscription("Sub-A", "Care", "concurrent", "flex", "cloud", (Term(*YEAR, (
        Line(AGENTS, 10, 100.0, *YEAR, 150.0), Line(AI, 1000, 0.5, *YEAR, 0.8))),))
    first = (D(2025, 1, 1), D(2025, 5, 1))
    renewed = (D(2025, 6, 1), D(2026, 1, 1))
    b = Subscription("Sub-B", "Sales", "concurrent", "flex", "cloud", (
        Term(*first, (Line(AGENTS, 5, 90.0, *first, 140.0),)),
        Term(*renewed, (Line(AGENTS, 8, 90.0, *renewed, 140.0),
                        Line(AI, 300, 0.6, *renewed, 0.9))),
    ))
    return Tenant("Renewal", "EUR", (a, b))


def renewal_usage() -> pd.DataFrame:
    return usage(
        ("2025-01-10 10:00", AGENTS, 10, "Sub-A"), ("2025-01-10 10:00", AGENTS, 6, "Sub-B"),
        ("2025-01-12 09:00", AI, 1000, "Sub-A"),
        ("2025-04-10 10:00", AGENTS, 12, "Sub-A"), ("2025-04-10 10:00", AGENTS, 4, "Sub-B"),
        ("2025-04-12 09:00", AI, 1100, "Sub-A"),
        ("2025-05-10 10:00", AGENTS, 11, "Sub-A"), ("2025-05-10 10:00", AGENTS, 3, "Sub-B"),
        ("2025-05-12 09:00", AI, 900, "Sub-A"),
        ("2025-06-10 10:00", AGENTS, 8, "Sub-A"), ("2025-06-10 10:00", AGENTS, 9, "Sub-B"),
        ("2025-06-12 09:00", AI, 1200, "Sub-A"), ("2025-06-12 09:00", AI, 200, "Sub-B"),
    )


def budgets() -> pd.DataFrame:
    months = pd.period_range("2025-01", "2025-06", freq="M")
    rows = [(department, month, amount) for month in months
            for department, amount in (("Care", 1600.0), ("Sales", 500.0))]
    return pd.DataFrame(rows, columns=["department", "period", "amount"])


def picked(frame: pd.DataFrame, period: str, **keys) -> pd.Series:
    rows = frame[frame["period"].astype(str) == period]
    for column, value in keys.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# --- hand-computed quarter and year -----------------------------------------------------------

def test_the_quarter_adds_up_its_months_usage_entitlement_and_overage():
    allocation = allocate(renewal_tenant(), renewal_usage(), period="Q")
    agents = picked(allocation.pooled, "2025Q2", usage_type=AGENTS)
    assert (agents["usage"], agents["entitlement"], agents["overage"], agents["owner"]) == (
        44.0, 43.0, 2.0, "Sub-A")
    ai = picked(allocation.pooled, "2025Q2", usage_type=AI)
    assert (ai["usage"], ai["entitlement"], ai["overage"]) == (3400.0, 3300.0, 200.0)
    b = picked(allocation.by_subscription, "2025Q2", usage_type=AGENTS, subscription_id="Sub-B")
    assert (b["usage"], b["entitlement"], b["overage"]) == (13.0, 13.0, 0.0)
    refused = allocation.unallocated
    assert list(refused["period"].astype(str)) == ["2025Q2"]
    assert refused["reason"].tolist() == ["subscription not active on that day"]
    assert allocation.months is not None and allocation.months.period == "M"


def test_the_quarter_and_the_year_cost_what_their_months_cost():
    tenant = renewal_tenant()
    quarter = costs(allocate(tenant, renewal_usage(), period="Q"))
    a = picked(quarter, "2025Q2", usage_type=AGENTS, subscription_id="Sub-A")
    assert (a["entitlement"], a["committed_cost"], a["overage"], a["overage_cost"]) == (
        30.0, 3000.0, 2.0, 300.0)
    assert a["overage_price"] == 150.0 and a["price_source"] == "owner line"
    b = picked(quarter, "2025Q2", usage_type=AGENTS, subscription_id="Sub-B")
    assert (b["entitlement"], b["committed_cost"], b["overage_cost"]) == (13.0, 1170.0, 0.0)
    assert picked(quarter, "2025Q2", usage_type=AI, subscription_id="Sub-A")[
        "overage_cost"] == 160.0
    assert picked(quarter, "2025Q2", usage_type=AI, subscription_id="Sub-B")[
        "committed_cost"] == 180.0
    year = costs(allocate(tenant, renewal_usage(), period="Y"))
    assert year["period"].astype(str).unique().tolist() == ["2025"]
    assert to_cents(year["committed_cost"]).sum() == 1_170_000
    assert to_cents(year["overage_cost"]).sum() == 61_000


#: (committed, overage) per period and department. ``caused``: in January Sales' 6 agents
#: exceed its own 5 while Care's 10 do not, so January's 150.00 overage is Sales' (P5).
CHARGEBACKS = {
    ("billed", "Q"): {("2025Q1", "Care"): (4500.0, 150.0), ("2025Q1", "Sales"): (1350.0, 0.0),
                      ("2025Q2", "Care"): (4500.0, 460.0), ("2025Q2", "Sales"): (1350.0, 0.0)},
    ("billed", "Y"): {("2025", "Care"): (9000.0, 610.0), ("2025", "Sales"): (2700.0, 0.0)},
    ("caused", "Q"): {("2025Q1", "Care"): (4500.0, 0.0), ("2025Q1", "Sales"): (1350.0, 150.0),
                      ("2025Q2", "Care"): (4500.0, 460.0), ("2025Q2", "Sales"): (1350.0, 0.0)},
    ("caused", "Y"): {("2025", "Care"): (9000.0, 460.0), ("2025", "Sales"): (2700.0, 150.0)},
}


@pytest.mark.parametrize(("method", "period"), list(CHARGEBACKS))
def test_the_chargeback_of_a_quarter_and_a_year(method, period):
    frame = chargeback(allocate(renewal_tenant(), renewal_usage(), period=period), method=method)
    got = {(str(r.period), r.department): (r.committed_cost, r.overage_cost)
           for r in frame.itertuples()}
    assert got == CHARGEBACKS[method, period]
    assert (frame["total_cost"] == frame["committed_cost"] + frame["overage_cost"]).all()


def test_budgets_add_up_into_quarters_and_years():
    tenant = renewal_tenant()
    for period, rows in (("Q", {("2025Q2", "Care"): (4800.0, 4960.0, "breach"),
                                ("2025Q2", "Sales"): (1500.0, 1350.0, "warning")}),
                         ("Y", {("2025", "Care"): (9600.0, 9610.0, "breach"),
                                ("2025", "Sales"): (3000.0, 2700.0, "warning")})):
        versus = budget_vs_actual(chargeback(allocate(tenant, renewal_usage(), period=period)),
                                  budgets())
        got = {(str(r.period), r.department): (r.budget, r.actual, r.severity)
               for r in versus.itertuples()}
        assert {key: got[key] for key in rows} == rows


def test_the_workspace_carries_the_period_through_every_stage(tmp_path):
    book = Workspace(renewal_tenant(), renewal_usage(), budget_table=budgets(), period="Q")
    assert book.as_of == dt.date(2025, 6, 30)  # never the quarter's end past the data
    assert picked(book.billed, "2025Q2", department="Care")["total_cost"] == 4960.0
    assert picked(book.caused, "2025Q2", department="Sales")["total_cost"] == 1350.0
    assert picked(book.budgets, "2025Q2", department="Care")["severity"] == "breach"
    assert to_cents(book.priced["total_cost"]).sum() == 1_231_000
    assert "committed_exact" not in book.priced.columns


def test_the_as_of_day_never_moves_past_the_data():
    """Usage ends on 12 June: by month, quarter or year the as-of day is 30 June."""
    for period in ("M", "Q", "Y"):
        assert as_of_date(renewal_usage(), "UTC", period) == dt.date(2025, 6, 30)


def test_focus_charges_stay_in_billing_months():
    """FOCUS bills per billing period, and a quarter is never one (P1a): the charges of a
    quarterly allocation are its months', to the cent."""
    tenant = renewal_tenant()
    monthly = focus_table(allocate(tenant, renewal_usage()))
    quarterly = focus_table(allocate(tenant, renewal_usage(), period="Q"))
    pd.testing.assert_frame_equal(monthly, quarterly)
    assert to_cents(quarterly["BilledCost"]).sum() == 1_231_000


def test_a_quarterly_forecast_adds_up_the_monthly_one():
    tenant = renewal_tenant()
    quarterly = forecast(allocate(tenant, renewal_usage(), period="Q"), "2025Q1")
    monthly = forecast(allocate(tenant, renewal_usage()), "2025-03", lookback=9)
    assert set(quarterly["period"].astype(str)) == {"2025Q2", "2025Q3", "2025Q4"}
    for column in ("committed_cost", "overage_cost", "total_cost_high"):
        assert _cents_by(quarterly, "Q", [], column) == _cents_by(monthly, "Q", [], column)


def test_roll_up_sums_numbers_and_keeps_the_last_month_of_text():
    frame = pd.DataFrame({
        "period": pd.PeriodIndex(["2025-01", "2025-02", "2025-04"], freq="M"),
        "department": ["Care"] * 3, "amount": [1.0, 2.0, 4.0], "note": ["a", "b", "c"],
    })
    rolled = roll_up(frame, "Q", ["department"])
    assert rolled["period"].astype(str).tolist() == ["2025Q1", "2025Q2"]
    assert rolled["amount"].tolist() == [3.0, 4.0] and rolled["note"].tolist() == ["b", "c"]


# --- item 2: a review of the months a young tenant has ------------------------------------------

def test_a_tenant_with_one_month_of_usage_reviews_that_month():
    since = pd.Period("2026-10", freq="M")
    assert default_bounds(dt.date(2026, 10, 31), "M", since) == (since, since)
    window = choose_window(dt.date(2026, 10, 31), None, None, "M", since)
    assert (str(window.first), str(window.last)) == ("2026-10", "2026-10")
    two = pd.Period("2026-08", freq="M")  # two months of the last complete quarter
    assert tuple(map(str, default_bounds(dt.date(2026, 10, 31), "M", two))) == (
        "2026-08", "2026-09")
    assert tuple(map(str, default_bounds(dt.date(2026, 10, 31), "Y"))) == ("2025", "2025")


def test_report_and_workbook_of_a_young_tenant_succeed(tmp_path, capsys):
    """One month pulled, measured and reported (the README's chain): no complaint about a
    ``--to`` nobody typed."""
    from toolkit.inputs.tenant_file import save_tenant
    directory = tmp_path / "young"
    directory.mkdir()
    save_tenant(renewal_tenant(), directory / "tenant.yaml")
    may = renewal_usage()
    may[may["timestamp"].str.startswith("2025-05")].to_csv(directory / "usage.csv", index=False)
    # the last complete quarter (2025Q1) ended before the usage began: it used to be refused
    # as "--to: found '2025-03'"
    assert main(["report", str(directory), "--all", "--out", str(tmp_path / "r")]) == 0
    assert "as of 31 May 2025: reviewing May 2025," in " ".join(capsys.readouterr().out.split())
    assert main(["workbook", str(directory), "--out", str(tmp_path / "w.xlsx")]) == 0


# --- hypothesis: a quarter's money is the sum of its months', to the cent ----------------------

MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


@st.composite
def random_usage(draw) -> pd.DataFrame:
    rows = []
    for month in draw(st.lists(st.sampled_from(MONTHS), min_size=1, max_size=8, unique=True)):
        for sub in ("Sub-A", "Sub-B"):
            rows.append((f"{month}-10 10:00", AGENTS, draw(st.integers(0, 25)), sub))
            rows.append((f"{month}-14 09:00", AI, draw(st.integers(0, 2500)), sub))
    return usage(*rows)


def _cents_by(frame: pd.DataFrame, freq: str, keys: list[str], column: str) -> dict:
    periods = frame["period"].dt.asfreq(freq).astype(str).to_numpy()
    grouped = pd.Series(to_cents(frame[column]), index=frame.index).groupby(
        [periods, *[frame[k].to_numpy() for k in keys]]).sum()
    return {key: int(value) for key, value in grouped.items() if value}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_usage(), st.sampled_from(["Q", "Y"]))
def test_a_roll_up_is_the_sum_of_its_months_to_the_cent(frame, period):
    tenant = renewal_tenant()
    months, rolled = allocate(tenant, frame), allocate(tenant, frame, period=period)
    for column in ("usage", "entitlement", "overage"):
        assert _cents_by(rolled.by_subscription, period, ["usage_type", "subscription_id"],
                         column) == _cents_by(months.by_subscription, period,
                                              ["usage_type", "subscription_id"], column)
    monthly_costs, rolled_costs = costs(months), costs(rolled)
    for column in ("committed_cost", "overage_cost", "total_cost"):
        assert _cents_by(rolled_costs, period, ["usage_type", "subscription_id"], column) == \
            _cents_by(monthly_costs, period, ["usage_type", "subscription_id"], column)
    for method in ("billed", "caused"):
        by_month, by_roll_up = chargeback(months, method=method), chargeback(rolled,
                                                                             method=method)
        for column in ("committed_cost", "overage_cost", "total_cost"):
            assert _cents_by(by_roll_up, period, ["department"], column) == \
                _cents_by(by_month, period, ["department"], column)
        versus = budget_vs_actual(by_roll_up, budgets())
        assert _cents_by(versus, period, ["department"], "actual") == \
            _cents_by(by_month, period, ["department"], "total_cost")
        budgeted = versus.dropna(subset=["budget"])
        assert _cents_by(budgeted, period, ["department"], "budget") == _cents_by(
            budgets().assign(period=budgets()["period"].astype("period[M]")), period,
            ["department"], "amount")
    assert to_cents(focus_table(rolled)["BilledCost"]).sum() == to_cents(
        monthly_costs["total_cost"]).sum()


# --- the command line on the bundled sample ----------------------------------------------------

@pytest.fixture(scope="module")
def monthly_tables(tmp_path_factory):
    out = tmp_path_factory.mktemp("monthly")
    assert main(["costs", "--out", str(out / "cb.csv")]) == 0
    assert main(["allocate", "--out", str(out / "alloc.csv")]) == 0
    assert main(["focus", "--out", str(out / "focus.csv")]) == 0
    return out


def _by(frame: pd.DataFrame, freq: str, keys: list[str], column: str) -> dict:
    """Money in whole cents (exact); quantities as floats (their pro rata parts carry float
    noise, compared with ``approx``)."""
    periods = pd.PeriodIndex(frame["period"].astype(str), freq=freq).astype(str)
    values = frame[column].to_numpy(dtype=float)
    if "cost" in column or column == "actual":
        values = np.round(values * 100).astype(np.int64)
    grouped = pd.Series(values).groupby([periods, *[frame[k] for k in keys]]).sum()
    return dict(grouped.items())


@pytest.mark.parametrize("period", ["Q", "Y"])
def test_the_commands_agree_with_monthly_sums_on_the_sample(period, monthly_tables, tmp_path,
                                                            capsys):
    months = monthly_tables
    assert main(["costs", "--period", period, "--out", str(tmp_path / "cb.csv")]) == 0
    assert main(["allocate", "--period", period, "--out", str(tmp_path / "alloc.csv")]) == 0
    assert main(["focus", "--period", period, "--out", str(tmp_path / "focus.csv")]) == 0
    assert main(["report", "--all", "--period", period, "--out", str(tmp_path / "r")]) == 0
    assert main(["workbook", "--period", period, "--out", str(tmp_path / "w.xlsx")]) == 0
    printed = capsys.readouterr().out
    assert "as of 2026-10-31" in " ".join(printed.split())
    assert len(list((tmp_path / "r").glob("*.html"))) == 5 and (tmp_path / "w.xlsx").exists()
    freq = "Q" if period == "Q" else "Y"
    for name, keys, columns in (
            ("cb.csv", ["department"], ["committed_cost", "overage_cost", "total_cost"]),
            ("cb.costs.csv", ["usage_type", "subscription_id"], ["committed_cost",
                                                                "overage_cost"]),
            ("cb.budgets.csv", ["department"], ["actual"]),
            ("alloc.csv", ["usage_type", "subscription_id"], ["usage", "entitlement",
                                                              "overage"]),
            ("alloc.pooled.csv", ["usage_type"], ["usage", "entitlement", "overage"])):
        rolled, monthly = pd.read_csv(tmp_path / name), pd.read_csv(months / name)
        for column in columns:
            assert _by(rolled, freq, keys, column) == pytest.approx(
                _by(monthly, freq, keys, column), abs=1e-6), (name, column)
    rolled_focus = pd.read_csv(tmp_path / "focus.csv")["BilledCost"]
    monthly_focus = pd.read_csv(months / "focus.csv")["BilledCost"]
    assert round(rolled_focus.sum(), 2) == round(monthly_focus.sum(), 2)
    total = pd.read_csv(tmp_path / "cb.csv")["total_cost"].sum()
    assert round(rolled_focus.sum(), 2) == round(total, 2)
    # the workbook's default window (2026Q3; the year 2025) bills what its months bill
    first, last = {"Q": ("2026-07", "2026-09"), "Y": ("2025-01", "2025-12")}[period]
    assert main(["workbook", "--from", first, "--to", last, "--out",
                 str(tmp_path / "m.xlsx")]) == 0
    assert _billed(tmp_path / "w.xlsx") == _billed(tmp_path / "m.xlsx")


def _billed(path) -> float:
    import openpyxl
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True)["Summary"]
    return next(row[1] for row in sheet.iter_rows(values_only=True) if row[0] == "Billed")
