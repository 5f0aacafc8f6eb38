"""Reading a Cisco invoice (CSV or XLSX) so that it can be checked line by line (T2, SPEC §6).

An invoice file has one row per invoiced line: ``period`` (YYYY-MM), ``subscription_id``,
``sku`` or ``usage_type``, ``charge`` (``committed`` | ``overage``), ``quantity``,
``unit_price``, ``amount``, ``currency`` and optionally ``invoice_id`` and ``line_id``.

Invoices name products by SKU, the toolkit by usage type. :data:`DEFAULT_SKUS` is the table
between them (data, not code: pass ``skus=`` to :func:`load_invoice`, or a CSV ``sku,usage_type``
to ``multisub check-invoice --skus``, to extend or override it; SKUs are matched without regard
to case). A SKU the table does not know is a problem, never a dropped line: a dropped line is
money nobody checks. Unknown subscriptions, a currency other than the tenant's, a period that is
not a month and numbers that are not numbers are problems too, all reported at once with file,
row, column and value (:class:`~toolkit.errors.InputError`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from toolkit.checks import AMOUNT_LIMIT
from toolkit.errors import InputError, Problem, raise_if_any
from toolkit.inputs.csv_input import read_text_table
from toolkit.model import Tenant

#: Cisco Webex Contact Center Flex SKUs → usage types (the sample invoice uses these). A tenant
#: whose invoice spells them otherwise passes its own table; its rows win over these.
DEFAULT_SKUS: Mapping[str, str] = {
    "A-FLEX-CC-STD-AGT": "cc_standard_agent",
    "A-FLEX-CC-PRM-AGT": "cc_premium_agent",
    "A-FLEX-CC-IVR-PORT": "ivr_port",
    "A-FLEX-CC-AI-AGENT": "ai_agent",
    "A-FLEX-CC-AI-ASSIST": "ai_assistant",
    "A-FLEX-CC-IVR-OB-MIN": "ivr_outbound_campaign",
    "A-FLEX-CC-CONNECT-MSG": "webex_connect",
    "A-FLEX-CC-WFO": "wfo",
}
CHARGES = ("committed", "overage")
REQUIRED = ("period", "subscription_id", "charge", "quantity", "unit_price", "amount",
            "currency")
OPTIONAL = ("sku", "usage_type", "invoice_id", "line_id")
COLUMNS = ["invoice_id", "line_id", "period", "subscription_id", "usage_type", "charge",
           "quantity", "unit_price", "amount", "currency"]
NUMBERS = ("quantity", "unit_price", "amount")


def load_invoice(path: str | Path, tenant: Tenant,
                 skus: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The invoice at ``path`` as a frame of :data:`COLUMNS` (``period`` a monthly Period).

    ``skus`` adds to (and overrides) :data:`DEFAULT_SKUS`. Every problem of the file is raised
    at once as an :class:`~toolkit.errors.InputError`.

    Parameters
    ----------
    path : str or Path
        An invoice, CSV or XLSX (SPEC §6 columns).
    tenant : Tenant
        Subscriptions, usage types and currency the lines are checked against.
    skus : mapping, optional
        SKU → usage type, laid over :data:`DEFAULT_SKUS`.

    Returns
    -------
    DataFrame
        ``invoice_id, line_id, period, subscription_id, usage_type, charge, quantity,
        unit_price, amount, currency`` (amounts in the invoice's currency, the tenant's).
    """
    file = str(path)
    text = _read(path)
    problems: list[Problem] = []
    if "sku" not in text.columns and "usage_type" not in text.columns:
        problems.append(Problem(file, "row 1", "sku", None,
                                "a 'sku' or a 'usage_type' column in the header"))
    raise_if_any(problems)
    table = {key.casefold(): value for key, value in {**DEFAULT_SKUS, **(skus or {})}.items()}
    rows = [_line(file, number, row, tenant, table, problems)
            for number, row in enumerate(text.to_dict("records"), start=2)]
    raise_if_any(problems)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["period"] = pd.PeriodIndex(frame["period"], freq="M")
    for column in NUMBERS:
        frame[column] = frame[column].astype(float)
    return frame


def read_skus(path: str | Path) -> dict[str, str]:
    """A SKU table from a CSV ``sku, usage_type`` (the ``--skus`` option)."""
    text = read_text_table(path, ["sku", "usage_type"])
    problems = [Problem(str(path), f"row {n}", column, None, "a value")
                for n, row in enumerate(text.to_dict("records"), start=2)
                for column in ("sku", "usage_type") if _blank(row[column])]
    raise_if_any(problems)
    return dict(zip(text["sku"], text["usage_type"], strict=True))


def _read(path: str | Path) -> pd.DataFrame:
    """The file as trimmed text (empty cells None), CSV or XLSX by extension."""
    if Path(path).suffix.lower() != ".xlsx":
        return read_text_table(path, REQUIRED, OPTIONAL)
    if not Path(path).is_file():
        raise InputError([Problem(str(path), "", "", None, "an existing XLSX file")])
    try:
        raw = pd.read_excel(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise InputError([Problem(str(path), "", "", None,
                                  f"a readable XLSX workbook ({type(exc).__name__})")]) from None
    raw.columns = [str(column).strip() for column in raw.columns]
    missing = [Problem(str(path), "row 1", column, None, "this column in the header")
               for column in REQUIRED if column not in raw.columns]
    if raw.empty:
        missing.append(Problem(str(path), "", "", None, "at least one data row after the header"))
    raise_if_any(missing)
    return raw.apply(lambda column: column.str.strip().replace("", None))


def _line(file: str, number: int, row: dict, tenant: Tenant, skus: Mapping[str, str],
          problems: list[Problem]) -> list:
    """One invoice row checked and converted; its problems appended to ``problems``."""
    where = f"row {number}"

    def problem(column: str, expected: str) -> None:
        problems.append(Problem(file, where, column, row.get(column), expected))

    period = row["period"]
    if _blank(period) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(period)):
        problem("period", "a month written YYYY-MM")
    subscription = row["subscription_id"]
    if subscription not in tenant.departments:
        problem("subscription_id", "a subscription of the tenant file: "
                + ", ".join(sorted(tenant.departments)))
    usage_type = _usage_type(row, skus, tenant, problem)
    if row["charge"] not in CHARGES:
        problem("charge", "committed or overage")
    numbers = [_number(row[column], column, problem) for column in NUMBERS]
    if row["currency"] != tenant.currency:
        problem("currency", f"the tenant's currency {tenant.currency}")
    return [row.get("invoice_id"), row.get("line_id"), period, subscription, usage_type,
            row["charge"], *numbers, row["currency"]]


def _usage_type(row: dict, skus: Mapping[str, str], tenant: Tenant, problem) -> str | None:
    """The row's usage type: its ``usage_type`` cell, else its SKU through the table."""
    if not _blank(row.get("usage_type")):
        if row["usage_type"] not in tenant.usage_types:
            problem("usage_type", "a usage type: " + ", ".join(sorted(tenant.usage_types)))
        return row["usage_type"]
    sku = row.get("sku")
    found = None if _blank(sku) else skus.get(str(sku).casefold())
    if found is None:
        problem("sku", "a SKU of the SKU table (docs/traceability.md), or a usage_type")
    return found


def _number(text, column: str, problem) -> float | None:
    """A finite number no larger than an invoice can hold; None (and a problem) otherwise."""
    try:
        value = float(str(text).replace(",", "")) if not _blank(text) else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > AMOUNT_LIMIT or (
            column != "amount" and value < 0):
        problem(column, "a number" + ("" if column == "amount" else " of at least 0")
                + f", at most {AMOUNT_LIMIT:,.0f}")
        return None
    return value


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""
