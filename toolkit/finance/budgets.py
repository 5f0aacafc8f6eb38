"""Budgets against actuals: each department-period's budget beside what it is billed.

The budgets come from ``budgets.csv`` (:mod:`toolkit.inputs.budgets`); the actuals from a
chargeback. Amounts are compared in integer cents so a flag never depends on float noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.finance.costs import cents_sum
from toolkit.finance.money import from_cents, to_cents
from toolkit.periods import freq_of, roll_up

RESULT_COLUMNS = ["period", "department", "budget", "actual", "variance", "used",
                  "threshold_crossed", "flag", "severity"]
#: How bad a department-period is, worst first: ``breach`` = billed more than the budget;
#: ``warning`` = reached a threshold below it; ``no budget`` = spending with no budget at all.
#: A breach is the news a finance team acts on, so it is never counted among the warnings.
SEVERITIES = ("breach", "warning", "no budget")


def budget_vs_actual(chargeback_frame: pd.DataFrame, budgets: pd.DataFrame,
                     thresholds=(0.8, 1.0)) -> pd.DataFrame:
    """Per ``period, department``: budget, actual spend (``total_cost``), and how far it went.

    ``variance`` = budget − actual (negative: over budget); ``used`` = actual ÷ budget;
    ``threshold_crossed`` = the highest threshold the spend reached (NaN when none) and
    ``flag`` says it in words. Spend with no budget is flagged ``no budget``; a budget with no
    spend shows an actual of 0. Only periods and departments present in either table appear.
    ``severity`` grades each row (:data:`SEVERITIES`; "" when nothing is wrong).
    """
    levels = np.sort(np.asarray(thresholds, dtype=np.float64))
    budgets = _budgets_at(budgets, chargeback_frame["period"].dtype)
    actual = chargeback_frame.groupby(["period", "department"], as_index=False)["total_cost"].sum()
    merged = pd.merge(budgets[["period", "department", "amount"]], actual,
                      on=["period", "department"], how="outer")
    budget_cents = to_cents(merged["amount"].fillna(0))
    actual_cents = to_cents(merged["total_cost"].fillna(0))
    has_budget = merged["amount"].notna().to_numpy()
    result = pd.DataFrame({
        "period": merged["period"],
        "department": merged["department"].astype("str"),
        "budget": np.where(has_budget, from_cents(budget_cents), np.nan),
        "actual": from_cents(actual_cents),
        "variance": np.where(has_budget, from_cents(budget_cents - actual_cents), np.nan),
    })
    with np.errstate(divide="ignore", invalid="ignore"):
        used = np.where(has_budget & (budget_cents > 0), actual_cents / budget_cents, np.nan)
    result["used"] = used
    crossed = _crossed(actual_cents, budget_cents, has_budget, levels)
    result["threshold_crossed"] = crossed
    result["flag"] = pd.Series(_flags(crossed, has_budget, actual_cents), dtype="str")
    result["severity"] = pd.Series(_severity(crossed, has_budget, actual_cents, budget_cents),
                                   dtype="str")
    return result.sort_values(["period", "department"], ignore_index=True)[RESULT_COLUMNS]


def _budgets_at(budgets: pd.DataFrame, dtype) -> pd.DataFrame:
    """Monthly budgets added up into the chargeback's quarters or years (P1a), in cents; at
    the budgets' own frequency they are left as they are."""
    if budgets["period"].dtype == dtype or not isinstance(dtype, pd.PeriodDtype):
        return budgets
    return roll_up(budgets[["period", "department", "amount"]], freq_of(dtype),
                   ["department"], {"amount": cents_sum})


def _crossed(actual_cents, budget_cents, has_budget, levels) -> np.ndarray:
    """The highest level with actual ≥ level × budget (a zero budget is crossed by any spend)."""
    crossed = np.full(len(actual_cents), np.nan)
    for level in levels:
        reached = has_budget & (actual_cents >= level * budget_cents) & (actual_cents > 0)
        crossed[reached] = level
    return crossed


def _flags(crossed, has_budget, actual_cents) -> list[str]:
    flags = []
    for level, budgeted, spent in zip(crossed, has_budget, actual_cents, strict=True):
        if not budgeted:
            flags.append("no budget" if spent > 0 else "")
        elif np.isnan(level):
            flags.append("")
        else:
            flags.append(f"reached {level:.0%} of budget")
    return flags


def _severity(crossed, has_budget, actual_cents, budget_cents) -> np.ndarray:
    over = has_budget & (actual_cents > budget_cents)
    near = has_budget & ~over & ~np.isnan(crossed)
    unbudgeted = ~has_budget & (actual_cents > 0)
    return np.select([over, near, unbudgeted], list(SEVERITIES), default="")
