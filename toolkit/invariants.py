"""The rules every tenant obeys, however it was made: read from a file, built by a what-if
scenario, or written in a notebook.

They belong to the domain, not to the file format: a scenario that overlaps two terms must be
refused exactly as a ``tenant.yaml`` that does, without a round trip through YAML. The tenant
file loader applies the same helpers to the raw file (so a file with several kinds of problem
reports them all at once); :func:`tenant_problems` applies them to a :class:`Tenant`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from toolkit.checks import AMOUNT_EXPECTED, is_amount
from toolkit.errors import Problem
from toolkit.model import Line, Subscription, Tenant, Term
from toolkit.policy import DEPLOYMENTS, LICENSE_MODELS, OFFERS


def overlap_problems(bounds: Iterable[tuple[dt.date, dt.date, int]], where: str,
                     source: str) -> list[Problem]:
    """Terms of one subscription that overlap: ``bounds`` are ``(start, end, index)``."""
    dated = sorted((start, end, i) for start, end, i in bounds if start < end)
    return [
        Problem(source, f"{where}.terms[{b}]", "start", start_b,
                f"terms of one subscription that do not overlap: terms[{a}] runs "
                f"[{start_a}, {end_a}) (a renewal is a new term starting on or after the end)")
        for (start_a, end_a, a), (start_b, _, b) in zip(dated, dated[1:], strict=False)
        if start_b < end_a
    ]


def outside_message(start: dt.date, end: dt.date, outside: list[int]) -> str:
    """What a term whose lines stick out of it should have been."""
    names = ", ".join(f"lines[{k}]" for k in outside)
    return f"lines inside the term [{start}, {end}); outside: {names}"


def lines_outside(term: Term) -> list[int]:
    return [k for k, line in enumerate(term.lines)
            if not (term.start <= line.start < term.end and term.start < line.end <= term.end)]


def tenant_problems(tenant: Tenant, source: str) -> list[Problem]:
    """Every broken invariant of ``tenant``, each placed by subscription id (``Sub-A.terms[0]``)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for sub in tenant.subscriptions:
        if sub.id in seen:
            problems.append(Problem(source, sub.id, "id", sub.id, "a unique subscription id"))
        seen.add(sub.id)
        problems += _subscription_problems(sub, tenant, source)
    return problems


def _subscription_problems(sub: Subscription, tenant: Tenant, source: str) -> list[Problem]:
    problems = [
        Problem(source, sub.id, column, value, f"one of {', '.join(allowed)}")
        for column, value, allowed in (("license_model", sub.license_model, LICENSE_MODELS),
                                       ("offer", sub.offer, OFFERS),
                                       ("deployment", sub.deployment, DEPLOYMENTS))
        if value not in allowed
    ]
    if not sub.department.strip():
        problems.append(Problem(source, sub.id, "department", sub.department, "a non-empty value"))
    if not sub.terms:
        problems.append(Problem(source, sub.id, "terms", [], "at least one item"))
    problems += overlap_problems(((t.start, t.end, j) for j, t in enumerate(sub.terms)),
                                 sub.id, source)
    for j, term in enumerate(sub.terms):
        where = f"{sub.id}.terms[{j}]"
        if term.end <= term.start:
            problems.append(Problem(source, where, "end", term.end,
                                    f"an end after start {term.start}, found end {term.end}"))
        outside = lines_outside(term) if term.start < term.end else []
        if outside:
            problems.append(Problem(source, where, "lines", None,
                                    outside_message(term.start, term.end, outside)))
        for k, line in enumerate(term.lines):
            problems += _line_problems(line, f"{where}.lines[{k}]", tenant, source)
    return problems


def _line_problems(line: Line, where: str, tenant: Tenant, source: str) -> list[Problem]:
    problems = []
    if line.usage_type not in tenant.usage_types:
        known = ", ".join(sorted(tenant.usage_types))
        problems.append(Problem(source, where, "type", line.usage_type,
                                f"a known usage type ({known})"))
    for column in ("quantity", "unit_price", "overage_price"):
        value = getattr(line, column)
        if value is not None and not is_amount(value):
            problems.append(Problem(source, where, column, value, AMOUNT_EXPECTED))
    return problems
