"""The portfolio roll-up as a partner reads it: a workbook and one self-contained HTML page.

Both show the same tables, in the order a partner's questions come: money per currency (never
added across currencies), tenants ranked by overage, the tenants over a budget, the tenants
with users about to lose access, the tenants that failed and why, and each tenant's billed
peaks (listed, never added into a "portfolio peak"). Text is HTML-escaped and spreadsheet
cells are formula-safe (:mod:`toolkit.present.export`).
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from toolkit.atomic import write_text
from toolkit.present.export import write_table

#: Column headings in words, shared by the page and the workbook.
HEADINGS = {
    "tenant": "Tenant", "name": "Name", "status": "Status", "currency": "Currency",
    "as_of": "As of", "first_period": "First month", "last_period": "Last month",
    "committed_cost": "Committed", "overage_cost": "Overage", "total_cost": "Total",
    "budget_breaches": "Budget breaches", "access_at_risk": "Users at risk",
    "errors": "Provisioning errors", "unallocated_rows": "Unallocated rows",
    "tenants": "Tenants", "problems": "Problems", "period": "Month",
    "usage_type": "Usage type", "peak": "Billed peak", "entitlement": "Entitlement",
    "overage": "Overage (units)",
}


def sections(portfolio) -> dict[str, pd.DataFrame]:
    """The roll-up's tables, titled, in reading order."""
    ranked = portfolio.ranked()
    return {
        "Totals per currency": portfolio.totals,
        "Tenants by overage": ranked,
        "Budget breaches": ranked[ranked["budget_breaches"] > 0].reset_index(drop=True),
        "Access at risk": ranked[ranked["access_at_risk"] > 0].reset_index(drop=True),
        "Failures": portfolio.failures,
        "Largest billed peaks": largest_peaks(portfolio.peaks),
    }


def largest_peaks(peaks: pd.DataFrame) -> pd.DataFrame:
    """Each tenant's largest billed peak per usage type and the month it was billed in (the
    earliest such month): one tenant's concurrency, never summed with another's."""
    if peaks.empty:
        return peaks
    order = peaks.sort_values(["tenant", "usage_type", "peak", "period"],
                              ascending=[True, True, False, True], kind="stable")
    return order.drop_duplicates(["tenant", "usage_type"]).reset_index(drop=True)


def write_workbook(portfolio, path: str | Path) -> Path:
    """The roll-up as an XLSX workbook, one sheet per section (byte-identical across runs)."""
    tables = {title[:31]: table.rename(columns=HEADINGS)
              for title, table in sections(portfolio).items()}
    tables["Billed peaks"] = portfolio.peaks.rename(columns=HEADINGS)
    first, *rest = tables
    return write_table(tables[first], path, sheets={n: tables[n] for n in rest},
                       first_sheet=first)


def page_html(portfolio, title: str = "Portfolio review") -> str:
    """The roll-up as one self-contained HTML page."""
    counts = portfolio.tenants["status"].value_counts()
    intro = (f"{int(counts.get('ok', 0))} tenants computed, {int(counts.get('failed', 0))} "
             "failed. Money is added per currency only; billed peaks are each tenant's own "
             "and are never added across tenants.")
    parts = [f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(intro)}</p>"]
    for heading, table in sections(portfolio).items():
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if table.empty:
            parts.append("<p>None.</p>")
            continue
        parts.append(table_html(table))
    return _PAGE.format(title=html.escape(title), body="\n".join(parts))


#: Columns holding money, shown with two decimals; other numbers are counts or units.
MONEY_COLUMNS = {"committed_cost", "overage_cost", "total_cost"}
#: Ids, codes and dates: read whole, so never broken across lines ("tenant-" / "004").
SHORT_COLUMNS = {"tenant", "status", "currency", "as_of", "first_period", "last_period",
                 "period", "usage_type"}


def table_html(table: pd.DataFrame) -> str:
    """An HTML table: headings in words, text escaped, numbers right-aligned and formatted."""
    head = "".join(f"<th>{html.escape(HEADINGS.get(c, c))}</th>" for c in table.columns)
    numeric = {c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])}
    rows = []
    for record in table.itertuples(index=False):
        cells = []
        for column, value in zip(table.columns, record, strict=True):
            if column in numeric:
                text = "" if pd.isna(value) else (
                    f"{value:,.2f}" if column in MONEY_COLUMNS else f"{value:,.0f}")
                cells.append(f'<td class="num">{text}</td>')
            else:
                short = ' class="short"' if column in SHORT_COLUMNS else ""
                text = html.escape("" if pd.isna(value) else str(value))
                cells.append(f"<td{short}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="multisub-frame"><thead><tr>{head}</tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


def write_page(portfolio, path: str | Path, title: str = "Portfolio review") -> Path:
    """Write :func:`page_html` atomically."""
    return write_text(path, page_html(portfolio, title))


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em; color: #222; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.15em; margin-top: 1.6em; }}
table {{ border-collapse: collapse; font-size: 0.85em; }}
th, td {{ padding: 0.25em 0.6em; border-bottom: 1px solid #ddd; text-align: left; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
td.num, td.short {{ white-space: nowrap; }}
</style></head>
<body>
{body}
</body></html>
"""
