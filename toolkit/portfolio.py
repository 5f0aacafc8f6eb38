"""A partner's portfolio: many tenants, each computed where its data is, and one roll-up.

A Cisco partner (or a group with a tenant per region) reviews hundreds of multi-subscription
tenants every month. Each tenant is an independent :class:`~toolkit.workspace.Workspace`, so
the portfolio is one Dask task per tenant: the task receives the tenant's *path* (a folder, or
an fsspec URI that the worker copies to a local folder), reads and computes everything on the
worker, and sends back only the small frames the roll-up needs — figures, the chargeback, the
billed peaks, optionally the FOCUS rows. No usage frame ever travels between the client and the
workers. ``client=None`` runs the same tasks with Dask's synchronous scheduler (a notebook
without a cluster); a ``distributed.Client`` runs them on its cluster (``LocalCluster`` on one
machine, a scheduler address for a real cluster).

A tenant that fails (an :class:`~toolkit.errors.InputError`, or anything unexpected) becomes a
row of ``failures`` with every problem, and never stops the others.

Peaks are never added across tenants: concurrency is billed per tenant, so the roll-up lists
each tenant's billed peak per month and type, and adds only money — per currency, because two
tenants may be billed in different currencies.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from toolkit.errors import InputError, Problem
from toolkit.finance.focus import focus_table
from toolkit.finance.money import from_cents, to_cents
from toolkit.model import TENANT_FILE, tenant_license_model
from toolkit.workspace import Workspace

TENANT_COLUMNS = ["tenant", "name", "status", "currency", "as_of", "first_period",
                  "last_period", "committed_cost", "overage_cost", "total_cost",
                  "budget_breaches", "access_at_risk", "errors", "unallocated_rows"]
PEAK_COLUMNS = ["tenant", "period", "usage_type", "peak", "entitlement", "overage"]
FAILURE_COLUMNS = ["tenant", "problems"]
MONEY = ("committed_cost", "overage_cost", "total_cost")


@dataclass(frozen=True)
class TenantResult:
    """What one tenant's task sends back: small frames and one row, never the usage."""

    tenant: str
    row: dict
    costs: pd.DataFrame
    peaks: pd.DataFrame
    focus: pd.DataFrame | None = None
    problems: str | None = None


@dataclass(frozen=True)
class Portfolio:
    """The roll-up: ``tenants`` (one row each, figures and status), ``costs`` (every tenant's
    billed chargeback with a ``tenant`` column), ``failures`` (``tenant, problems``), the
    billed ``peaks`` per tenant, month and peak-measured type, and the ``focus`` rows of every
    tenant when asked for (``BillingAccountId`` = the tenant)."""

    tenants: pd.DataFrame
    costs: pd.DataFrame
    failures: pd.DataFrame
    peaks: pd.DataFrame
    focus: pd.DataFrame | None = None

    @property
    def totals(self) -> pd.DataFrame:
        """Money per currency over the tenants that ran (never across currencies)."""
        done = self.tenants[self.tenants["status"] == "ok"]
        if done.empty:
            return pd.DataFrame(columns=["currency", "tenants", *MONEY])
        cents = pd.DataFrame({c: to_cents(done[c]) for c in MONEY}, index=done.index)
        cents["currency"] = done["currency"].to_numpy()
        grouped = cents.groupby("currency", sort=True)
        table = grouped[list(MONEY)].sum().apply(from_cents)
        table.insert(0, "tenants", grouped.size())
        return table.reset_index()

    def ranked(self) -> pd.DataFrame:
        """The tenants that ran, largest overage first (then by name, for a stable order)."""
        done = self.tenants[self.tenants["status"] == "ok"]
        return done.sort_values(["overage_cost", "tenant"], ascending=[False, True],
                                kind="stable").reset_index(drop=True)


def tenant_paths(source: str | Path) -> list[str]:
    """The tenants of a portfolio: the subfolders of ``source`` holding a ``tenant.yaml``, or,
    when ``source`` is a text file, the paths or fsspec URIs it lists (one a line; blank
    lines and ``#`` comments skipped), in the order given."""
    path = Path(source)
    if path.is_dir():
        return [str(child) for child in sorted(path.iterdir())
                if child.is_dir() and (child / TENANT_FILE).is_file()]
    if path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        return [line.strip() for line in lines if line.strip() and not line.lstrip()
                .startswith("#")]
    raise InputError([Problem(str(source), "", "", None,
                              "a folder of tenant directories or a text file listing them")])


def labels(paths: list[str]) -> list[str]:
    """Each tenant's name in the roll-up: its folder's name, or the whole path where two
    folders share a name (the roll-up never merges two tenants)."""
    names = [Path(p.rstrip("/")).name or p for p in paths]
    repeated = {n for n in names if names.count(n) > 1}
    return [p if n in repeated else n for p, n in zip(paths, names, strict=True)]


def run(paths: Iterable[str | Path], client=None, *, as_of=None, with_focus: bool = False,
        reviews: str | Path | None = None, progress: bool = False) -> Portfolio:
    """Compute every tenant of ``paths`` as one Dask task each and roll them up.

    ``client``: a ``distributed.Client`` (its cluster runs the tasks), or ``None`` for Dask's
    synchronous scheduler. ``as_of`` applies to every tenant (default: each its own, the last
    day of its last month with usage). ``with_focus`` adds each tenant's FOCUS rows;
    ``reviews`` a folder where each task writes its tenant's review (HTML) into a subfolder.
    The result is the same, to the byte, whatever the client and its number of workers.

    Parameters
    ----------
    paths : iterable of str or Path
        Tenant directories, or fsspec URIs of them (:func:`tenant_paths` lists a portfolio).
    client : distributed.Client, optional
        Where the tasks run; ``None``: Dask's synchronous scheduler, in this process.
    as_of : date or ISO text, optional
        One as-of day for every tenant.

    Returns
    -------
    Portfolio
        ``tenants`` (one row each: figures in the tenant's currency, status), ``costs`` (every
        tenant's billed chargeback, with a ``tenant`` column), ``failures`` (``tenant,
        problems``), ``peaks`` (billed peak units per tenant, month and type) and ``focus``.
    """
    wanted = [str(p) for p in paths]
    names = labels(wanted)
    day = None if as_of in (None, "") else pd.Timestamp(as_of).date()
    options = {"as_of": day, "with_focus": with_focus,
               "reviews": None if reviews is None else str(reviews)}
    if client is None:
        import dask

        tasks = [dask.delayed(tenant_task, pure=True)(path, name, **options)
                 for path, name in zip(wanted, names, strict=True)]
        results = list(dask.compute(*tasks, scheduler="synchronous"))
    else:
        futures = client.map(tenant_task, wanted, names, **options, pure=False)
        if progress:
            _show_progress(futures)
        results = client.gather(futures)
    return roll_up(results)


#: Dask settings for the portfolio's worker processes. A tenant is a short, CPU-bound task
#: (about 130 ms on the sample's variants); Dask's statistical profiler samples each task
#: thread's stack every 10 ms under the GIL, and its memory and system monitors wake ten
#: times a second: on two cores that cost 8-10% a tenant for figures nobody reads here.
WORKER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}


def local_cluster(workers: int):
    """A ``LocalCluster`` of ``workers`` single-threaded processes (one task a core), started
    with :data:`WORKER_CONFIG`; the command, the tests and the benchmark share it. A cluster
    started elsewhere (``--scheduler``) takes these settings from its own Dask config."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(WORKER_CONFIG):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                            dashboard_address=None)


def _show_progress(futures) -> None:
    """Dask's own progress bar, on stderr (stdout stays for the command's own lines)."""
    import contextlib
    import sys

    from distributed import progress

    with contextlib.redirect_stdout(sys.stderr):
        progress(futures)
    print(file=sys.stderr)


def tenant_task(path: str, name: str, *, as_of: dt.date | None = None,
                with_focus: bool = False, reviews: str | None = None) -> TenantResult:
    """One tenant, run on a worker: read its folder there, compute, send back small frames."""
    try:
        with _local_folder(path) as folder:
            workspace = Workspace.open(folder, as_of=as_of)
            result = _measured(workspace, name, with_focus)
            if reviews is not None:
                _write_review(workspace, Path(reviews) / name)
            return result
    except InputError as error:
        return _failed(name, "\n".join(str(p) for p in error.problems))
    except Exception as error:  # a tenant must never stop the others; its failure is named
        return _failed(name, f"{type(error).__name__}: {error}")


class _local_folder:
    """A local folder holding the tenant: the path itself, or for a remote fsspec URI
    (``s3://…``, ``memory://…``) a temporary copy made on the worker and removed after."""

    def __init__(self, path: str):
        self.path = path
        self.temp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> str:
        protocol = self.path.split("://", 1)[0] if "://" in self.path else "file"
        if protocol in ("file", "local"):
            return self.path.removeprefix("file://")
        import fsspec

        filesystem = fsspec.filesystem(protocol)
        self.temp = temp = tempfile.TemporaryDirectory(prefix="multisub-tenant-")
        filesystem.get(self.path.rstrip("/") + "/", temp.name + os.sep, recursive=True)
        return temp.name

    def __exit__(self, *exc) -> None:
        if self.temp is not None:
            self.temp.cleanup()


def _measured(workspace: Workspace, name: str, with_focus: bool) -> TenantResult:
    tenant, billed = workspace.tenant, workspace.billed
    cents = {c: int(to_cents(billed[c]).sum()) for c in MONEY}
    budgets, findings = workspace.budgets, workspace.findings
    periods = workspace.allocation.by_subscription["period"]
    row = {
        "tenant": name, "name": tenant.name, "status": "ok", "currency": tenant.currency,
        "as_of": workspace.as_of.isoformat(),
        "first_period": str(periods.min()), "last_period": str(periods.max()),
        **{c: float(from_cents(v)) for c, v in cents.items()},
        "budget_breaches": 0 if budgets is None else int((budgets["severity"] == "breach").sum()),
        "access_at_risk": int((findings["rule"] == "access-at-risk").sum()),
        "errors": int((findings["severity"] == "error").sum()),
        "unallocated_rows": len(workspace.allocation.unallocated),
    }
    costs = billed.assign(tenant=name)
    costs = costs[["tenant", *[c for c in billed.columns]]]
    focus = None
    if with_focus:
        focus = focus_table(workspace.allocation, tenant, workspace.priced)
        focus = focus.assign(BillingAccountId=name)
    return TenantResult(name, row, costs, _peaks(workspace, name), focus)


def _peaks(workspace: Workspace, name: str) -> pd.DataFrame:
    """The tenant's billed peak of every month and peak-measured type (M2–M4): listed, never
    added to another tenant's."""
    tenant = workspace.tenant
    model = tenant_license_model(tenant)
    peak_types = [t for t, row in tenant.usage_types.items()
                  if row.measure_for(model) in ("peak", "distinct")]
    pooled = workspace.allocation.pooled
    rows = pooled[pooled["usage_type"].isin(peak_types)]
    frame = pd.DataFrame({"tenant": name, "period": rows["period"].astype("str").to_numpy(),
                          "usage_type": rows["usage_type"].to_numpy(),
                          "peak": rows["usage"].to_numpy(),
                          "entitlement": rows["entitlement"].to_numpy(),
                          "overage": rows["overage"].to_numpy()})
    return frame[PEAK_COLUMNS]


def _write_review(workspace: Workspace, folder: Path) -> None:
    from toolkit.present.report import default_window
    from toolkit.present.review_page import write_reviews

    window = default_window(workspace.as_of, workspace.freq)
    write_reviews(workspace, window, workspace.departments, folder, ["html"], tenant=True)


def _failed(name: str, problems: str) -> TenantResult:
    row: dict[str, object] = dict.fromkeys(TENANT_COLUMNS)
    row.update({"tenant": name, "status": "failed"})
    return TenantResult(name, row, pd.DataFrame(), pd.DataFrame(columns=PEAK_COLUMNS),
                        problems=problems)


def roll_up(results: list[TenantResult]) -> Portfolio:
    """The tenants' results as one :class:`Portfolio`, in tenant order (deterministic)."""
    results = sorted(results, key=lambda r: r.tenant)
    tenants = pd.DataFrame([r.row for r in results], columns=TENANT_COLUMNS)
    for column in MONEY:
        tenants[column] = tenants[column].astype("float64")
    for column in ("budget_breaches", "access_at_risk", "errors", "unallocated_rows"):
        tenants[column] = tenants[column].astype("Int64")
    costs = [r.costs for r in results if not r.costs.empty]
    peaks = [r.peaks for r in results if not r.peaks.empty]
    focus = [r.focus for r in results if r.focus is not None]
    failures = pd.DataFrame([(r.tenant, r.problems) for r in results if r.problems],
                            columns=FAILURE_COLUMNS)
    return Portfolio(
        tenants=tenants,
        costs=pd.concat(costs, ignore_index=True) if costs else pd.DataFrame(columns=["tenant"]),
        failures=failures.astype("str"),
        peaks=(pd.concat(peaks, ignore_index=True) if peaks else
               pd.DataFrame(columns=PEAK_COLUMNS)),
        focus=pd.concat(focus, ignore_index=True) if focus else None,
    )
