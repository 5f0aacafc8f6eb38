"""Entitlements in ``tenant.yaml`` against what Webex reports (``/v1/licenses``).

The tenant file is what finance believes was bought; ``totalUnits`` is what Webex
provisioned. They should agree per subscription and usage type; where they do not, an
analyst wants a list, not a silent preference for one side. The result is a findings table
like :func:`toolkit.validate`'s (``rule, severity, subject, message``) plus the figures.

Webex's ``consumedUnits`` counts licenses *assigned* to users. Assigning a license is not
usage (rules.md §5): it is shown as ``assigned_units``, for provisioning, and never compared with
entitlements as if it were consumption.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pandera.pandas as pa

from toolkit.findings import FINDINGS_SCHEMA, by_severity, findings_frame
from toolkit.model import Tenant, as_date

#: Findings about one subscription and usage type: the tenant's entitlement beside what
#: Webex reports (``totalUnits``) and has assigned (``consumedUnits``, never usage).
LICENSE_FINDINGS_SCHEMA = FINDINGS_SCHEMA.add_columns({
    "subscription_id": pa.Column(str, nullable=True),
    "usage_type": pa.Column(str, nullable=True),
    "entitled": pa.Column(float, nullable=True),
    "webex_total_units": pa.Column(float, nullable=True),
    "assigned_units": pa.Column(float, nullable=True),
})

FINDING_COLUMNS = list(LICENSE_FINDINGS_SCHEMA.columns)

#: rule id → severity. Rules are data so a report can be filtered without knowing the code.
RULES = {
    "entitlement-mismatch": "warning",
    "missing-in-webex": "warning",
    "missing-in-tenant": "warning",
    "unknown-webex-total": "warning",
    "unknown-license-name": "warning",
    "license-without-subscription": "warning",
    "entitlement-match": "info",
    "not-contact-center": "info",
}


def reconcile(tenant: Tenant, licenses: pd.DataFrame, on: dt.date | str | None = None
              ) -> pd.DataFrame:
    """Findings comparing the tenant's entitlements on ``on`` with Webex's ``totalUnits``.

    ``on`` defaults to the start of the tenant's most recent term (the state the last
    purchase or renewal describes); pass the day the licenses were exported to compare
    like with like. Figures are compared per subscription and usage type, summing the
    tenant's active lines and the Webex licenses of that pair.
    """
    day = as_date(on) if on is not None else max(
        term.start for sub in tenant.subscriptions for term in sub.terms)
    entitled = _entitlements(tenant, day)
    both = entitled.join(_webex_totals(licenses), how="outer").reset_index()
    findings = [_compare(row, day) for row in both.itertuples(index=False)]
    findings += _license_findings(licenses)
    frame = by_severity(findings_frame(findings, FINDING_COLUMNS, LICENSE_FINDINGS_SCHEMA),
                        "rule", "subject")
    return frame.reset_index(drop=True)


def _webex_totals(licenses: pd.DataFrame) -> pd.DataFrame:
    """Per (subscription, usage type): Webex's total and assigned units and how many licenses.

    A sum is unknown (NaN) when any license of the pair lacks the figure: a partial sum
    would read as a smaller entitlement, and a pair whose only license lacks it must not
    read as zero.
    """
    mapped = licenses[licenses["usage_type"].notna() & licenses["subscription_id"].notna()]
    groups = mapped.groupby(["subscription_id", "usage_type"], sort=True)
    totals = pd.DataFrame({
        "webex_total_units": groups["total_units"].sum(min_count=1),
        "assigned_units": groups["consumed_units"].sum(min_count=1),
        "licenses": groups.size(),
    })
    for column, source in (("webex_total_units", "total_units"),
                           ("assigned_units", "consumed_units")):
        partial = mapped[source].isna().groupby(
            [mapped["subscription_id"], mapped["usage_type"]], sort=True).any()
        totals.loc[partial[partial].index, column] = np.nan
    return totals


def _entitlements(tenant: Tenant, day: dt.date) -> pd.DataFrame:
    rows = [
        (sub.id, line.usage_type, line.quantity)
        for sub in tenant.subscriptions for term in sub.terms if term.active_on(day)
        for line in term.lines if line.active_on(day)
    ]
    frame = pd.DataFrame(rows, columns=["subscription_id", "usage_type", "entitled"])
    return frame.groupby(["subscription_id", "usage_type"], sort=True).agg(
        entitled=("entitled", "sum"))


def _compare(row, day: dt.date) -> tuple:
    sub, usage_type = row.subscription_id, row.usage_type
    entitled, total, assigned = row.entitled, row.webex_total_units, row.assigned_units
    subject = f"{sub} {usage_type}"
    assigned_text = "" if pd.isna(assigned) else (
        f" ({assigned:g} assigned to users; assignment is not usage)")
    if pd.isna(total) and pd.notna(row.licenses):
        rule = "unknown-webex-total"
        held = f"tenant.yaml entitles {sub} to {entitled:g} on {day}" if pd.notna(entitled) \
            else f"tenant.yaml has no active line of that type for it on {day}"
        message = (f"Webex lists {row.licenses:g} {usage_type} license(s) on {sub} but gives no "
                   f"totalUnits for at least one of them{assigned_text}, so the number "
                   f"provisioned is unknown ({held}); check Control Hub")
    elif pd.isna(total):
        rule = "missing-in-webex"
        message = (f"tenant.yaml entitles {sub} to {entitled:g} {usage_type} on {day}, but the "
                   "Webex export has no license of that type for the subscription")
    elif pd.isna(entitled):
        rule = "missing-in-tenant"
        message = (f"Webex reports {total:g} {usage_type} units on {sub}{assigned_text}, but "
                   f"tenant.yaml has no active line of that type for it on {day}")
    elif np.isclose(entitled, total):
        rule = "entitlement-match"
        message = f"{sub} {usage_type}: {entitled:g} in tenant.yaml and in Webex{assigned_text}"
    else:
        rule = "entitlement-mismatch"
        message = (f"{sub} {usage_type}: tenant.yaml says {entitled:g} on {day}, Webex "
                   f"reports {total:g} total units{assigned_text}")
    return (rule, RULES[rule], subject, message, sub, usage_type, entitled, total, assigned)


def unmatched_licenses(licenses: pd.DataFrame) -> pd.DataFrame:
    """Only the license findings (no tenant to compare with): what could not be mapped."""
    frame = findings_frame(_license_findings(licenses), FINDING_COLUMNS, LICENSE_FINDINGS_SCHEMA)
    return frame.sort_values(["severity", "rule", "subject"], ascending=[False, True, True],
                             kind="stable", ignore_index=True)


def _license_findings(licenses: pd.DataFrame) -> list[tuple]:
    """Licenses that could not take part in the comparison, each said out loud."""
    findings = []
    for lic in licenses.itertuples(index=False):
        figures = (lic.subscription_id, lic.usage_type, np.nan, lic.total_units,
                   lic.consumed_units)
        if not lic.contact_center:
            rule, message = "not-contact-center", (
                f"{lic.name!r} is not a Contact Center license: kept in the export, "
                "not part of the allocation")
        elif pd.isna(lic.usage_type):
            rule, message = "unknown-license-name", (
                f"Contact Center license {lic.name!r} ({_units(lic.total_units)}) has a name "
                "the license-name table does not know; add it to count it")
        elif pd.isna(lic.subscription_id):
            rule, message = "license-without-subscription", (
                f"{lic.name!r} ({_units(lic.total_units)}) names no subscription (trial or "
                "free offer?): it cannot be matched to tenant.yaml")
        else:
            continue
        findings.append((rule, RULES[rule], str(lic.name), message, *figures))
    return findings


def _units(total: float) -> str:
    return "total units not given" if pd.isna(total) else f"{total:g} units"
