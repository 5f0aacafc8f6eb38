"""The portfolio on a real Dask LocalCluster (two worker processes, as in CI): failures are
isolated, the roll-up is the same to the byte whatever the workers, and a tenant's figures are
those it has when run alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from toolkit import portfolio
from toolkit.commands.cli import main
from toolkit.finance.money import to_cents
from toolkit.present import portfolio_page
from toolkit.sample import write_portfolio
from toolkit.workspace import Workspace

TENANTS = 5  # the fifth is billed in USD


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = write_portfolio(tmp_path_factory.mktemp("portfolio"), tenants=TENANTS, seed=7)
    broken = root / "tenant-broken"
    broken.mkdir()
    (broken / "tenant.yaml").write_text("tenant: Broken\ncurrency: EUR\nsubscriptions: []\n")
    return root


@pytest.fixture(scope="module")
def cluster_client():
    distributed = pytest.importorskip("distributed")
    with portfolio.local_cluster(2) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def _digest(result: portfolio.Portfolio, tmp_path, name: str) -> str:
    book = portfolio_page.write_workbook(result, tmp_path / f"{name}.xlsx")
    page = portfolio_page.write_page(result, tmp_path / f"{name}.html")
    return hashlib.sha256(book.read_bytes() + page.read_bytes()).hexdigest()


def test_a_failing_tenant_is_listed_and_never_stops_the_others(folder, cluster_client):
    result = portfolio.run(portfolio.tenant_paths(folder), cluster_client)
    assert list(result.tenants["status"]).count("ok") == TENANTS
    assert list(result.failures["tenant"]) == ["tenant-broken"]
    assert "subscriptions" in result.failures["problems"].iloc[0]
    assert set(result.costs["tenant"]) == {f"tenant-{n:03d}" for n in range(1, TENANTS + 1)}


def test_the_roll_up_is_the_same_bytes_on_one_or_two_workers(folder, cluster_client, tmp_path):
    paths = portfolio.tenant_paths(folder)
    on_cluster = portfolio.run(paths, cluster_client)
    in_process = portfolio.run(paths, None)
    for frame in ("tenants", "costs", "failures", "peaks"):
        pd.testing.assert_frame_equal(getattr(on_cluster, frame), getattr(in_process, frame))
    assert _digest(on_cluster, tmp_path, "two") == _digest(in_process, tmp_path, "one")


def test_a_tenants_figures_are_those_it_has_alone(folder, cluster_client):
    result = portfolio.run(portfolio.tenant_paths(folder), cluster_client)
    alone = Workspace.open(folder / "tenant-002")
    mine = result.costs[result.costs["tenant"] == "tenant-002"].drop(columns="tenant")
    pd.testing.assert_frame_equal(mine.reset_index(drop=True), alone.billed)
    row = result.tenants.set_index("tenant").loc["tenant-002"]
    assert to_cents(pd.Series([row["total_cost"]]))[0] == to_cents(alone.billed["total_cost"]).sum()


def test_money_adds_per_currency_and_peaks_are_never_added(folder):
    result = portfolio.run(portfolio.tenant_paths(folder), None)
    totals = result.totals.set_index("currency")
    done = result.tenants[result.tenants["status"] == "ok"]
    for currency, rows in done.groupby("currency"):
        assert totals.loc[currency, "tenants"] == len(rows)
        assert to_cents(pd.Series([totals.loc[currency, "total_cost"]]))[0] == \
            to_cents(rows["total_cost"]).sum()
    assert set(totals.index) == {"EUR", "USD"}
    # one row per tenant, month and peak type: the roll-up lists peaks, it never sums them
    assert not result.peaks.duplicated(["tenant", "period", "usage_type"]).any()
    largest = portfolio_page.largest_peaks(result.peaks)
    assert not largest.duplicated(["tenant", "usage_type"]).any()


def test_a_list_file_names_the_tenants(folder, tmp_path):
    listing = tmp_path / "tenants.txt"
    listing.write_text(f"# the two first\n{folder / 'tenant-001'}\n\n{folder / 'tenant-002'}\n")
    assert portfolio.tenant_paths(listing) == [str(folder / "tenant-001"),
                                               str(folder / "tenant-002")]


def test_a_remote_uri_is_read_on_the_worker(folder):
    fsspec = pytest.importorskip("fsspec")
    memory = fsspec.filesystem("memory")
    memory.put(str(folder / "tenant-001") + "/", "/remote/tenant-001/", recursive=True)
    result = portfolio.run(["memory://remote/tenant-001"], None)
    local = portfolio.run([str(folder / "tenant-001")], None)
    assert list(result.tenants["status"]) == ["ok"]
    assert result.tenants["total_cost"].iloc[0] == local.tenants["total_cost"].iloc[0]


def test_the_command_writes_the_roll_up_and_exits_1_on_a_failure(folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["portfolio", str(folder), "--out", str(out), "--workers", "1"]) == 1
    printed = capsys.readouterr().out
    assert f"{TENANTS + 1} tenants, {TENANTS} computed, 1 failed" in printed
    assert sorted(p.name for p in out.iterdir()) == ["portfolio.focus.csv", "portfolio.html",
                                                     "portfolio.xlsx"]
    focus = pd.read_csv(out / "portfolio.focus.csv")
    assert set(focus["BillingAccountId"]) == {f"tenant-{n:03d}" for n in range(1, TENANTS + 1)}


def test_the_roll_up_is_written_all_or_none(folder, tmp_path, capsys, monkeypatch):
    """A disk that fills while the FOCUS file is written leaves last run's workbook and page."""
    import errno

    from toolkit.present import export

    out = tmp_path / "out"
    assert main(["portfolio", str(folder), "--out", str(out), "--workers", "1"]) == 1
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def full_disk(frame, path):
        Path(path).write_bytes(b"half a FOCUS file")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export, "write_focus", full_disk)
    earlier = ["--as-of", "2026-06-30"]  # other figures, so a replaced file would show
    assert main(["portfolio", str(folder), "--out", str(out), "--workers", "1", *earlier]) == 2
    assert "No space left" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
