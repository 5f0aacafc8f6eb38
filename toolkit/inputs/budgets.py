"""Department budgets (optional ``budgets.csv``: ``department, period, amount``) against spend.

Finance sets a budget per department and month; the analyst wants to see, per month, how much
of it the chargeback has used and to be warned *before* it is gone, hence the thresholds
(default 80% and 100%). Budgets are read like every other input: every bad cell is reported
at once, nothing is dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from toolkit.checks import (
    amount_check,
    clean_names,
    missing_values,
    names_as_written,
    parse_numbers,
    problem_rows,
    row_label,
    row_number,
    schema_problems,
)
from toolkit.errors import Problem, raise_if_any
from toolkit.inputs.csv_input import read_text_table
from toolkit.inputs.typed import NUMBER, read_typed
from toolkit.model import Tenant

BUDGET_COLUMNS = ["department", "period", "amount"]
#: An optional column: the currency the amounts are written in, which must be the tenant's
#: (a budget in USD read as EUR would be wrong by the exchange rate, silently).
BUDGET_OPTIONAL = ["currency"]


def _currency_problems(frame: pd.DataFrame, file: str, tenant: Tenant | None) -> list[Problem]:
    """Each ``currency`` cell that is not the tenant's currency (an empty cell means it)."""
    if tenant is None or "currency" not in frame.columns:
        return []
    return [Problem(file, row_label(i), "currency", value,
                    f"the tenant's currency {tenant.currency} (budgets are not converted)")
            for i, value in enumerate(frame["currency"])
            if isinstance(value, str) and value != tenant.currency]


def budgets_schema() -> pa.DataFrameSchema:
    """The typed amounts: present and not negative (departments are checked on their own so
    that a row with a bad amount still has its department checked)."""
    return pa.DataFrameSchema(
        {"amount": pa.Column("float64", amount_check(), nullable=False)},
        strict=False,
    )


def _department_problems(text: pd.DataFrame, file: str, departments) -> list[Problem]:
    problems = missing_values(text, "department", file, "a department")
    if departments is not None:
        expected = "a department of the tenant: " + ", ".join(sorted(departments))
        problems += [
            Problem(file, row_label(i), "department", value, expected)
            for i, value in enumerate(text["department"])
            if isinstance(value, str) and value not in departments
        ]
    return problems


def load_budgets(path: str | Path, tenant: Tenant | None = None, freq: str = "M") -> pd.DataFrame:
    """Read and validate ``budgets.csv``; raise InputError listing every problem.

    ``period`` is a month like ``2025-03`` (any pandas Period of ``freq``). With a ``tenant``,
    departments must be ones owning a subscription. One budget per department and period.
    """
    file = str(path)
    fast = read_typed(path, BUDGET_COLUMNS, BUDGET_OPTIONAL, {"amount": NUMBER}, "UTC",
                      extra=())
    typed = None if fast is None else _typed_budgets(fast, file, tenant, freq)
    if typed is not None:
        return typed
    text = read_text_table(path, BUDGET_COLUMNS, BUDGET_OPTIONAL, extra=())
    text["department"], bad_names = clean_names(text, "department", file)
    frame = text.copy()
    frame["amount"], bad_numbers = parse_numbers(text, "amount", file)
    frame["period"], bad_periods = _parse_periods(text, file, freq)
    problems = bad_names + bad_numbers + bad_periods + missing_values(text, "period", file,
                                                          "a period such as 2025-03")
    problems += schema_problems(frame, budgets_schema(), file,
                                skip_rows=problem_rows(bad_numbers))
    departments = set(tenant.departments.values()) if tenant else None
    refused = {p.where for p in bad_names}  # not names: not compared with the tenant's
    problems += [p for p in _department_problems(text, file, departments)
                 if p.where not in refused]
    problems += _duplicates(frame, file) + _currency_problems(text, file, tenant)
    raise_if_any(sorted(problems, key=lambda p: row_number(p.where)))
    frame["period"] = pd.PeriodIndex(frame["period"], freq=freq)
    return frame[BUDGET_COLUMNS].sort_values(["period", "department"], ignore_index=True)


def _typed_budgets(frame: pd.DataFrame, file: str, tenant: Tenant | None,
                   freq: str) -> pd.DataFrame | None:
    """The fast path's budgets, or ``None`` when any check fails (the text path reports it).

    Periods are parsed at once for the whole column; the same 4-digit-year rule holds.
    """
    period = frame["period"]
    if (period.isna().any() or not period.str.match(r"\d{4}\b").all()
            or not names_as_written(frame, ["department"])):
        return None
    try:
        frame["period"] = pd.PeriodIndex(period.to_numpy(dtype=object), freq=freq)
    except (ValueError, TypeError):
        return None
    departments = set(tenant.departments.values()) if tenant else None
    if (schema_problems(frame, budgets_schema(), file) or _duplicates(frame, file)
            or _department_problems(frame, file, departments)
            or _currency_problems(frame, file, tenant)):
        return None
    return frame[BUDGET_COLUMNS].sort_values(["period", "department"], ignore_index=True)


def _parse_periods(text: pd.DataFrame, file: str, freq: str) -> tuple[pd.Series, list[Problem]]:
    """Periods as pandas Periods; text that does not start with a 4-digit year is refused
    (pandas would read "March" as March of year 1)."""
    values: list = []
    problems: list[Problem] = []
    for i, cell in enumerate(text["period"]):
        if cell is None or pd.isna(cell):
            values.append(None)
            continue
        try:
            if not re.match(r"\d{4}\b", cell):
                raise ValueError(cell)
            values.append(pd.Period(cell, freq=freq))
        except (ValueError, TypeError):
            values.append(None)
            problems.append(Problem(file, row_label(i), "period", cell,
                                    "a period such as 2025-03"))
    return pd.Series(values, index=text.index, dtype=object), problems


def _duplicates(frame: pd.DataFrame, file: str) -> list[Problem]:
    known = frame.dropna(subset=["department", "period"])
    dup = known.duplicated(["department", "period"], keep="first")
    return [
        Problem(file, row_label(int(i)), "period", str(frame.at[i, "period"]),
                f"one budget per department and period ({frame.at[i, 'department']} repeats)")
        for i in known.index[dup.to_numpy()]
    ]


