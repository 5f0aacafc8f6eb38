"""Shared builders: small tenants written the way the seed article tells its stories.

(A plain module, not conftest.py, so that ``from builders import …`` cannot collide with the
notebooks' conftest.)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from toolkit.model import Line, Subscription, Tenant, Term

D = dt.date

#: The tests' folder, its fixtures (real payloads) and the checkout: a module's tests live in
#: ``tests/<wing>/test_<module>.py``, so they find shared files through these, not ``__file__``.
TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
ROOT = TESTS.parent


def term(start, end, *lines, unit_price=1.0):
    """A term with lines ``(type, quantity)`` or ``(type, quantity, start, end)``."""
    return Term(start, end, tuple(
        Line(t, q, unit_price, *(rest or (start, end))) for t, q, *rest in lines
    ))


def subscription(sub_id, *terms, department=None, license_model="concurrent", offer="flex",
                 deployment="cloud"):
    return Subscription(sub_id, department or f"Dept {sub_id}", license_model, offer,
                        deployment, tuple(terms))


def tenant(*subs, **kwargs):
    return Tenant("Test tenant", "EUR", tuple(subs), **kwargs)


AI = ("ai_agent", "ai_assistant")


def seed_tenant() -> Tenant:
    """rules.md §2's worked example: A (2024-01-01) and B (2024-06-01) hold the AI types; A expires
    2026-01-01; C starts 2026-02-01 with AI and IVR outbound; A renews 2026-06-01 adding
    outbound."""
    a = subscription(
        "Sub-A",
        term(D(2024, 1, 1), D(2026, 1, 1), *((t, 100) for t in AI)),
        term(D(2026, 6, 1), D(2028, 6, 1), *((t, 100) for t in AI), ("ivr_outbound_campaign", 100)),
    )
    b = subscription("Sub-B", term(D(2024, 6, 1), D(2027, 6, 1), *((t, 100) for t in AI)))
    c = subscription("Sub-C", term(D(2026, 2, 1), D(2029, 2, 1), *((t, 100) for t in AI),
                                   ("ivr_outbound_campaign", 100)))
    return tenant(a, b, c)


def cisco_agents_tenant(license_model="concurrent") -> Tenant:
    """Cisco's pooling example: Sub 1 has 10 agents, Sub 2 has 15."""
    return tenant(
        subscription("Sub-1", term(D(2024, 1, 1), D(2027, 1, 1), ("cc_standard_agent", 10)),
                     license_model=license_model),
        subscription("Sub-2", term(D(2024, 6, 1), D(2027, 1, 1), ("cc_standard_agent", 15)),
                     license_model=license_model),
    )


def usage(*rows, columns=("timestamp", "usage_type", "quantity", "subscription_id", "user_id")):
    """A usage frame from tuples; missing trailing fields are NA."""
    padded = [tuple(row) + (None,) * (len(columns) - len(row)) for row in rows]
    frame = pd.DataFrame(padded, columns=list(columns))
    frame["quantity"] = frame["quantity"].astype(float)
    return frame


# --- the priced two-subscription tenant of tests/finance/test_costs.py's docstring ---

def priced_line(usage_type, quantity, price, overage, start, end):
    return Line(usage_type, quantity, price, start, end, overage)


def priced_subscription(sub_id, department, start, end, *lines):
    return Subscription(sub_id, department, "concurrent", "flex", "cloud", (
        Term(start, end, tuple(priced_line(*line, start, end) for line in lines)),))


def priced_tenant(**kwargs) -> Tenant:
    """The two-subscription tenant of the module docstring."""
    a = priced_subscription("Sub-A", "Sales", D(2024, 1, 1), D(2026, 1, 1),
                            ("cc_standard_agent", 10, 100.0, 150.0), ("ai_agent", 1000, 0.5, 0.8))
    b = priced_subscription("Sub-B", "Support", D(2024, 6, 1), D(2026, 6, 1),
                            ("cc_standard_agent", 15, 90.0, 140.0), ("ai_agent", 500, 0.55, 0.85))
    return Tenant("Priced", "EUR", (a, b), **kwargs)


def ops_wfo_tenant() -> Tenant:
    """:func:`priced_tenant` plus Sub-C: Ops holds it alone, 10 WFO users at 40.00 a month
    through 2025 (the commitments tenant of ``test_commitments`` and ``test_review_unused``)."""
    ops = priced_subscription("Sub-C", "Ops", D(2025, 1, 1), D(2026, 1, 1),
                              ("wfo", 10, 40.0, 55.0))
    return Tenant("Priced", "EUR", (*priced_tenant().subscriptions, ops))


def march_usage() -> pd.DataFrame:
    return usage(
        ("2025-03-10T10:00", "cc_standard_agent", 12, "Sub-A"),
        ("2025-03-10T10:00", "cc_standard_agent", 16, "Sub-B"),  # the peak: 28
        ("2025-03-11T10:00", "cc_standard_agent", 20, "Sub-B"),
        ("2025-03-12T09:00", "ai_agent", 800, "Sub-A"),
        ("2025-03-13T09:00", "ai_agent", 900, "Sub-B"),
    )


# --- the seed's access example (tests/provisioning/test_validation.py) ---

def seed_provisioning_tenant():
    """The seed's access example: Subscription 1 expiring, Subscription 2 added to the tenant."""
    return tenant(
        subscription("Sub-1", term(D(2025, 1, 1), D(2026, 1, 1), ("cc_standard_agent", 10)),
                     department="Care"),
        subscription("Sub-2", term(D(2025, 11, 1), D(2026, 11, 1), ("cc_standard_agent", 10)),
                     department="Care"),
    )
