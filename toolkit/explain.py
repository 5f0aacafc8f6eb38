"""Plain-language explanations of who owns a usage type's overage on a day, and why.

Analysts have to defend an invoice line to a department head; a sentence that names the
winner, the competitors it beat and the dates that decided it does that better than a table.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from toolkit.timeline import owner_change_points

if TYPE_CHECKING:  # the model asks for explanations; they only read it
    from toolkit.model import Tenant


def explain_owner(tenant: Tenant, usage_type: str, on: dt.date) -> str:
    """Who owns ``usage_type`` overage on ``on`` and why, naming the competitors it beat."""
    row = tenant.usage_types.get(usage_type)
    if row is None:
        known = ", ".join(sorted(tenant.usage_types))
        raise ValueError(f"unknown usage type {usage_type!r}; known: {known}")
    return row.rule.explain(tenant, row, on)


CHANGE_COLUMNS = ["shift", "date", "usage_type", "from_owner", "to_owner", "explanation"]


def owner_changes_explained(tenant: Tenant, start, end, usage_types=None) -> pd.DataFrame:
    """Every change of a usage type's overage owner inside ``(start, end)``, explained.

    Columns ``shift`` (1, 2, … as numbered on the ownership chart), ``date``, ``usage_type``,
    ``from_owner``, ``to_owner`` (empty when nobody owns it) and ``explanation``: the
    :meth:`Tenant.explain_owner` sentence for the day the shift takes effect.
    """
    points = owner_change_points(tenant, start, end, usage_types)
    frame = pd.DataFrame(points, columns=["date", "usage_type", "from_owner", "to_owner"])
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[us]")
    frame["explanation"] = [tenant.explain_owner(t, day) for day, t, *_ in points]
    frame.insert(0, "shift", np.arange(1, len(frame) + 1))
    frame = frame.astype({c: "str" for c in ("usage_type", "from_owner", "to_owner",
                                              "explanation")})
    return frame[CHANGE_COLUMNS]
