"""The chain, computed once: one tenant, one period and as-of choice, every stage on demand.

Every command, the department review, the dashboards and the sample generator need some prefix
of one chain — load → allocate → costs → chargeback (billed, caused) → budgets → forecast →
validate — for one tenant directory and one choice of billing period and as-of day. When each
of them assembled the chain itself the copies drifted (one read budgets monthly, another at
``--period``). A :class:`Workspace` is that chain's only home: each stage is a cached property,
computed the first time something asks for it and never again, so a command that only needs the
allocation pays for nothing more, and ``report --all`` prices the tenant once for every
department.

The workspace sits above ``finance`` and ``provisioning`` (it calls them) and below ``present``
and ``commands`` (they call it); ``toolkit.portfolio`` runs one workspace per tenant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from toolkit.allocation import Allocation, allocate
from toolkit.errors import InputError, Problem
from toolkit.finance.budgets import budget_vs_actual
from toolkit.finance.chargeback import chargeback
from toolkit.finance.commitments import commitments, renewal_candidates
from toolkit.finance.costs import COST_COLUMNS, exact_costs, roll_up_costs
from toolkit.finance.forecast import forecast
from toolkit.inputs.dataset import load_tenant_dir
from toolkit.inputs.session_sources import (
    CSV_SOURCE,
    measured_sessions,
    session_source,
    tenant_session_source,
)
from toolkit.model import USAGE_FILE, Tenant, as_date
from toolkit.peaks import peak_contributors
from toolkit.periods import as_of_date, last_complete_period
from toolkit.provisioning.validation import validate

#: Default budget thresholds: warn at 80% of a department-period's budget, breach above 100%.
BUDGET_THRESHOLDS = (0.8, 1.0)


@dataclass(frozen=True)
class Workspace:
    """A tenant and its tables, with every stage of the chain computed once, when first asked.

    Build it from a tenant directory with :meth:`open`, or from frames already in memory (a
    notebook, a what-if scenario) with the constructor. ``period`` is the billing frequency of
    every stage; ``given_as_of`` the as-of day asked for (``None``: the default,
    :func:`toolkit.periods.as_of_date`, the last day of the last period with usage).
    """

    tenant: Tenant
    usage: pd.DataFrame | None
    users: pd.DataFrame | None = None
    budget_table: pd.DataFrame | None = None  # budgets.csv as read, None: no budgets
    sessions: pd.DataFrame | None = None
    directory: Path | None = None
    period: str = "M"
    given_as_of: dt.date | None = None
    thresholds: tuple[float, ...] = field(default=BUDGET_THRESHOLDS)
    ai_agents: pd.DataFrame | None = None  # ai_agents.csv: AI agent → subscription (M5)

    @classmethod
    def open(cls, directory: str | Path, period: str = "M", as_of=None,
             thresholds: tuple[float, ...] = BUDGET_THRESHOLDS) -> Workspace:
        """Load a tenant directory (every file's problems at once, :func:`load_tenant_dir`)."""
        data = load_tenant_dir(directory)
        return cls(data.tenant, data.usage, data.users, data.budgets, data.sessions,
                   data.directory, period, _day(as_of), tuple(thresholds), data.ai_agents)

    # --- the as-of day ---------------------------------------------------------------------

    @cached_property
    def default_as_of(self) -> dt.date | None:
        """The last day of the last period with usage (None without usage)."""
        return as_of_date(self.usage, self.tenant.timezone, self.period)

    @cached_property
    def as_of(self) -> dt.date:
        """The day the figures are as of: the one given, else :attr:`default_as_of`."""
        day = self.given_as_of or self.default_as_of
        if day is None:
            raise InputError([self._no_usage()])
        return day

    # --- the chain -------------------------------------------------------------------------

    @cached_property
    def allocation(self) -> Allocation:
        """Usage split across subscriptions (:func:`toolkit.allocate`); no usage is a problem."""
        if self.usage is None:
            raise InputError([self._no_usage()])
        return allocate(self.tenant, self.usage, self.users, period=self.period,
                        ai_agents=self.ai_agents)

    @cached_property
    def billing_priced(self) -> pd.DataFrame:
        """The costs of every billing month, with their exact amounts: what a quarter or a
        year adds up (P1a), priced once for every stage."""
        return exact_costs(self.allocation.billing, self.tenant)

    @cached_property
    def priced(self) -> pd.DataFrame:
        """Committed and overage cost per period, usage type and subscription."""
        if self.allocation.months is None:
            return self.billing_priced[COST_COLUMNS]
        return roll_up_costs(self.billing_priced, self.period)[COST_COLUMNS]

    @cached_property
    def billed(self) -> pd.DataFrame:
        """The chargeback as invoiced (P5 ``billed``)."""
        return chargeback(self.allocation, self.tenant, "billed", table=self.billing_priced)

    @cached_property
    def caused(self) -> pd.DataFrame:
        """The chargeback by whoever caused the overage (P5 ``caused``)."""
        return chargeback(self.allocation, self.tenant, "caused", table=self.billing_priced)

    def chargeback(self, method: str) -> pd.DataFrame:
        """The chargeback of ``method`` (``billed`` or ``caused``), computed once each."""
        if method not in ("billed", "caused"):
            raise ValueError(f"method must be 'billed' or 'caused', not {method!r}")
        return self.billed if method == "billed" else self.caused

    @cached_property
    def budgets(self) -> pd.DataFrame | None:
        """The billed chargeback against the budgets (None when the tenant has none)."""
        return self.budgets_for("billed")

    def budgets_for(self, method: str) -> pd.DataFrame | None:
        """The chargeback of ``method`` against the budgets, computed once per method."""
        if self.budget_table is None:
            return None
        if method not in self._budget_checks:
            self._budget_checks[method] = budget_vs_actual(self.chargeback(method),
                                                           self.budget_table, self.thresholds)
        return self._budget_checks[method]

    @cached_property
    def _budget_checks(self) -> dict[str, pd.DataFrame]:
        return {}

    @cached_property
    def forecast(self) -> pd.DataFrame:
        """The run-rate forecast after the last complete period on the as-of day."""
        return forecast(self.allocation, last_complete_period(self.as_of, self.period))

    @cached_property
    def findings(self) -> pd.DataFrame:
        """Provisioning findings V1–V7 on the as-of day."""
        return validate(self.tenant, self.users, on=self.as_of)

    @cached_property
    def commitments(self) -> pd.DataFrame:
        """Per line: committed, used and projected unit-months and the unused committed cost
        (:func:`toolkit.commitments`, T3), once for every department's review."""
        return commitments(self.tenant, self.allocation)

    @cached_property
    def renewals(self) -> pd.DataFrame:
        """The lines used under 60% in each of the last twelve periods (T3's renewal
        question, :func:`toolkit.finance.commitments.renewal_candidates`), once."""
        return renewal_candidates(self.tenant, self.allocation)

    @cached_property
    def measured_sessions(self) -> pd.DataFrame | None:
        """The sessions the bill's agent usage was measured from (T1): the directory's pulled
        ``raw/agentSession`` pages, agent ids matched to the users, when it has them
        (:func:`toolkit.inputs.session_sources.tenant_session_source`, the rule ``multisub
        peaks`` follows too); else ``sessions.csv`` as loaded; None when there are none."""
        source = tenant_session_source(self.directory) if self.directory else None
        if source is None or session_source(source) == CSV_SOURCE:
            return self.sessions
        return measured_sessions(source, self.tenant, self.users).sessions

    @cached_property
    def contributors(self) -> pd.DataFrame | None:
        """The users counted in every billed peak (:func:`toolkit.peak_contributors`, T1),
        periods labelled at :attr:`period`; None when the tenant has no sessions to trace
        them with."""
        sessions = self.measured_sessions
        if sessions is None:
            return None
        return peak_contributors(self.tenant, sessions, self.users, period=self.period)

    def computed(self) -> Workspace:
        """Every stage computed now (a benchmark, or a worker about to hand the result on)."""
        for stage in ("allocation", "priced", "billed", "caused", "budgets", "forecast",
                      "findings"):
            getattr(self, stage)
        return self

    # --- plain facts -----------------------------------------------------------------------

    @property
    def departments(self) -> list[str]:
        return sorted(set(self.tenant.departments.values()))

    @property
    def freq(self) -> str:
        return self.period

    @property
    def currency(self) -> str:
        return self.tenant.currency

    def _no_usage(self) -> Problem:
        where = str(self.directory / USAGE_FILE) if self.directory else "usage"
        return Problem(where, "", "", None,
                       "a usage.csv (or usage.parquet) file in the tenant directory")


def _day(value) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        return as_date(value)
    except (ValueError, TypeError):
        raise InputError([Problem("as_of", "", "", value, "a date such as 2026-10-31")]) \
            from None
