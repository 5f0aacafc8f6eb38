"""Department cost review: the figures behind notebook 4, and the runner behind ``multisub report``.

A department head asks four questions: what did we commit to and what did overage add, would
we pay more or less if overage were charged to whoever caused it, are we inside the budget,
and where will we be at the end of the term? :func:`department_review` answers them from a
tenant directory in one call, so the report notebook holds no logic of its own, only calls
and prose; :func:`run_reports` executes that notebook with papermill for one or every
department and renders it to HTML without code, one file per department.

Amounts are in the tenant's currency, rounded to the cent by :mod:`toolkit.finance.costs` and
added up in integer cents, so the figures in a report add up exactly to the invoice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import InputError, Problem
from toolkit.finance.budgets import budget_vs_actual
from toolkit.finance.chargeback import chargeback
from toolkit.finance.costs import costs
from toolkit.finance.forecast import forecast
from toolkit.finance.money import from_cents, to_cents
from toolkit.inputs.budgets import BUDGETS_FILE, load_budgets
from toolkit.inputs.dataset import load_and_allocate
from toolkit.periods import select_periods
from toolkit.provisioning.validation import validate
from toolkit.resources import notebooks_dir

NOTEBOOK = "04_department_cost_review.ipynb"


def money_text(amount: float, currency: str) -> str:
    """``EUR 1,234,567.89``: how every amount appears in a report."""
    return f"{currency} {amount:,.2f}"


def _total(frame: pd.DataFrame, column: str) -> float:
    """Exact sum of a cents-valued column (added in integer cents)."""
    return float(from_cents(to_cents(frame[column]).sum())) if len(frame) else 0.0


@dataclass(frozen=True)
class DepartmentReview:
    """Every table of one department's cost review, for periods ``first``–``last``."""

    tenant_name: str
    department: str
    currency: str
    first: pd.Period
    last: pd.Period
    as_of: pd.Period
    subscriptions: pd.DataFrame  # subscription_id, license_model, offer, deployment, terms
    billed: pd.DataFrame  # chargeback rows of the department, billed view
    caused: pd.DataFrame  # same, caused view
    billed_all: pd.DataFrame  # every department, billed view (context for the views chart)
    caused_all: pd.DataFrame
    by_type: pd.DataFrame  # usage_type, committed_cost, overage_cost, total_cost
    budget: pd.DataFrame | None  # budget_vs_actual rows of the department, None: no budgets
    forecast: pd.DataFrame  # forecast rows of the department's subscriptions
    findings: pd.DataFrame  # validation findings about its subscriptions and users

    @property
    def committed_cost(self) -> float:
        return _total(self.billed, "committed_cost")

    @property
    def overage_billed(self) -> float:
        return _total(self.billed, "overage_cost")

    @property
    def overage_caused(self) -> float:
        return _total(self.caused, "overage_cost")

    def headline(self) -> pd.DataFrame:
        """The figures a department head reads first, formatted in the tenant's currency."""
        rows = [
            ("Committed cost", self.committed_cost),
            ("Overage cost, billed (the invoice)", self.overage_billed),
            ("Total cost, billed", self.committed_cost + self.overage_billed),
            ("Overage cost, caused (usage above own entitlement)", self.overage_caused),
            ("Total cost, caused", self.committed_cost + self.overage_caused),
        ]
        if self.budget is not None and len(self.budget):
            rows.append(("Budget", _total(self.budget.assign(
                budget=self.budget["budget"].fillna(0.0)), "budget")))
        ahead = _total(self.forecast, "total_cost")
        rows.append((f"Forecast total cost after {self.as_of} to term end (run rate)", ahead))
        return pd.DataFrame({"figure": [r[0] for r in rows],
                             "amount": [money_text(r[1], self.currency) for r in rows]})

    def views(self) -> pd.DataFrame:
        """Per period: committed, overage billed vs caused, and both totals, formatted."""
        merged = pd.merge(self.billed, self.caused[["period", "overage_cost", "total_cost"]],
                          on="period", how="outer", suffixes=("_billed", "_caused"))
        table = pd.DataFrame({
            "period": merged["period"].astype("str"),
            "committed": merged["committed_cost"],
            "overage billed": merged["overage_cost_billed"],
            "overage caused": merged["overage_cost_caused"],
            "total billed": merged["total_cost_billed"],
            "total caused": merged["total_cost_caused"],
        })
        return self._formatted(table)

    def cost_by_type(self) -> pd.DataFrame:
        return self._formatted(self.by_type)

    def budget_table(self) -> pd.DataFrame | None:
        if self.budget is None:
            return None
        table = self.budget[["period", "budget", "actual", "variance", "used", "flag"]].copy()
        table["period"] = table["period"].astype("str")
        table["used"] = [f"{u:.0%}" if pd.notna(u) else "" for u in table["used"]]
        return self._formatted(table)

    def forecast_by_subscription(self) -> pd.DataFrame:
        """Projected cost of each subscription from after ``as_of`` to its term end."""
        if self.forecast.empty:
            return pd.DataFrame(columns=["subscription_id", "term_end", "committed",
                                         "total low", "total", "total high"])
        grouped = self.forecast.groupby(["subscription_id", "term_end"], as_index=False)[
            ["committed_cost", "total_cost_low", "total_cost", "total_cost_high"]].sum()
        grouped.columns = ["subscription_id", "term_end", "committed", "total low", "total",
                           "total high"]
        grouped["term_end"] = grouped["term_end"].astype("str")
        return self._formatted(grouped)

    def _formatted(self, table: pd.DataFrame) -> pd.DataFrame:
        table = table.copy()
        for column in table.columns:
            if pd.api.types.is_float_dtype(table[column]):
                table[column] = [f"{v:,.2f}" if pd.notna(v) else "" for v in table[column]]
        return table


def department_review(directory: str | Path, department: str, first=None, last=None,
                      as_of=None, period: str = "M") -> DepartmentReview:
    """Load a tenant directory and compute one department's review (see the module docstring).

    ``first``/``last`` bound the reviewed periods (default: every period with usage); ``as_of``
    is the last period whose actuals the forecast trusts (default: ``last``). Raises
    InputError when the department owns no subscription of the tenant.
    """
    data, allocation = load_and_allocate(directory, period)
    tenant = data.tenant
    departments = sorted(set(tenant.departments.values()))
    if department not in departments:
        raise InputError([Problem(str(Path(directory) / "tenant.yaml"), "", "department",
                                  department, "a department owning a subscription: "
                                  + ", ".join(departments))])
    priced = costs(allocation, tenant)
    periods = priced["period"]
    first = pd.Period(first, period) if first is not None else periods.min()
    last = pd.Period(last, period) if last is not None else periods.max()
    as_of = pd.Period(as_of, period) if as_of is not None else last
    billed_all = select_periods(chargeback(allocation, tenant, "billed", table=priced), first,
                                last)
    caused_all = select_periods(chargeback(allocation, tenant, "caused", table=priced), first,
                                last)
    own = [sub.id for sub in tenant.subscriptions if sub.department == department]
    mine = select_periods(priced[priced["department"] == department], first, last)
    return DepartmentReview(
        tenant_name=tenant.name, department=department, currency=tenant.currency,
        first=first, last=last, as_of=as_of,
        subscriptions=_subscriptions(tenant, own),
        billed=_rows_of(billed_all, department), caused=_rows_of(caused_all, department),
        billed_all=billed_all, caused_all=caused_all,
        by_type=_by_type(mine),
        budget=_budget(data.directory, tenant, billed_all, department, period),
        forecast=_forecast(allocation, as_of, own),
        findings=_findings(tenant, data.users, own, department, as_of),
    )


def _rows_of(frame: pd.DataFrame, department: str) -> pd.DataFrame:
    return frame[frame["department"] == department].reset_index(drop=True)


def _subscriptions(tenant, own: list[str]) -> pd.DataFrame:
    rows = []
    for sid in own:
        sub = tenant.subscription(sid)
        terms = ", ".join(f"[{t.start}, {t.end})" for t in sub.terms)
        rows.append((sid, sub.license_model, sub.offer, sub.deployment, terms))
    return pd.DataFrame(rows, columns=["subscription_id", "license_model", "offer",
                                       "deployment", "terms"])


def _by_type(priced: pd.DataFrame) -> pd.DataFrame:
    cents = priced.assign(**{c: to_cents(priced[c]) for c in ("committed_cost", "overage_cost",
                                                               "total_cost")})
    grouped = cents.groupby("usage_type", as_index=False, sort=True)[
        ["committed_cost", "overage_cost", "total_cost"]].sum()
    for column in ("committed_cost", "overage_cost", "total_cost"):
        grouped[column] = from_cents(grouped[column].to_numpy(np.int64))
    return grouped


def _budget(directory: Path, tenant, billed_all: pd.DataFrame, department: str, period: str):
    path = directory / BUDGETS_FILE
    if not path.exists():
        return None
    budgets = load_budgets(path, tenant, period)
    comparison = budget_vs_actual(billed_all, budgets)
    comparison = comparison[comparison["department"] == department]
    periods = billed_all["period"]
    if len(periods):
        comparison = select_periods(comparison, periods.min(), periods.max())
    return comparison.reset_index(drop=True)


def _forecast(allocation, as_of: pd.Period, own: list[str]) -> pd.DataFrame:
    projected = forecast(allocation, as_of)
    if projected.empty:
        return projected
    return projected[projected["subscription_id"].isin(own)].reset_index(drop=True)


def _findings(tenant, users, own: list[str], department: str, as_of: pd.Period) -> pd.DataFrame:
    """Findings whose subject is one of the department's subscriptions or users."""
    findings = validate(tenant, users, on=as_of.end_time.date())
    subjects = set(own)
    if users is not None and "department" in users:
        subjects |= set(users.loc[users["department"] == department, "user_id"])
    return findings[findings["subject"].isin(subjects)].reset_index(drop=True)


# --- running the notebook --------------------------------------------------------------------

def notebook_path() -> Path:
    """The report notebook, found next to the installed (editable) package."""
    path = notebooks_dir() / NOTEBOOK
    if not path.exists():
        raise FileNotFoundError(f"the report notebook {path} is missing; multisub report needs "
                                "the repository's notebooks/ folder (install with pip -e)")
    return path


def file_name(department: str) -> str:
    """``Customer Care`` → ``customer-care.html``."""
    slug = re.sub(r"[^a-z0-9]+", "-", department.lower()).strip("-")
    return f"{slug or 'department'}.html"


def file_names(departments: list[str]) -> dict[str, str]:
    """A distinct file name per department: "R&D" and "R D" both slug to ``r-d``, so the
    second becomes ``r-d-2.html`` instead of overwriting the first."""
    names, taken = {}, set()
    for department in departments:
        stem = file_name(department).removesuffix(".html")
        name, number = f"{stem}.html", 1
        while name in taken:
            number += 1
            name = f"{stem}-{number}.html"
        names[department] = name
        taken.add(name)
    return names


def render_report(directory: str | Path, department: str, out_dir: str | Path, first=None,
                  last=None, as_of=None, name: str | None = None) -> Path:
    """Execute the report notebook for one department and write it as HTML without code
    (to ``name``, by default the department's :func:`file_name`)."""
    import papermill
    from nbconvert import HTMLExporter

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    source = notebook_path()
    parameters = {"tenant_dir": str(Path(directory).resolve()), "department": department,
                  "first_period": None if first is None else str(first),
                  "last_period": None if last is None else str(last),
                  "as_of": None if as_of is None else str(as_of)}
    executed = papermill.execute_notebook(
        str(source), None, parameters=parameters, cwd=str(source.parent), kernel_name="python3",
        progress_bar=False, log_output=False, report_mode=True,
        # The kernel is local and short-lived; its start-up and shutdown chatter (unencrypted
        # TCP on localhost, the interrupt at shutdown) would only alarm an analyst.
        extra_arguments=["--IPKernelApp.log_level=ERROR"])
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    html, _ = exporter.from_notebook_node(executed)
    target = out_dir / (name or file_name(department))
    target.write_text(html, encoding="utf-8")
    return target


def run_reports(directory: str | Path, departments: list[str], out_dir: str | Path,
                first=None, last=None, as_of=None, progress: bool = False) -> list[Path]:
    """One HTML report per department; ``progress`` shows a tqdm bar on stderr."""
    from tqdm import tqdm

    names = file_names(departments)
    return [
        render_report(directory, department, out_dir, first, last, as_of, names[department])
        for department in tqdm(departments, desc="department reports", unit="report",
                               disable=not progress)
    ]
