"""Findings: what a check found, in one shape for every check that reports to a person.

Provisioning validation (V1–V7), reconciliation against Webex and the session importers all
report ``rule, severity, subject, message`` rows (docs/rules.md §5), so one table, one sort
order and one set of severities serve the CLI, the notebooks and the reports alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pandas as pd
import pandera.pandas as pa

#: Severities from the most to the least urgent: the order findings are listed in.
SEVERITIES = ("error", "warning", "info")


#: ``rule`` (a stable id such as ``user-unmapped``), ``severity`` (error, warning, info),
#: ``subject`` (what it is about: a user, a subscription, a session) and ``message`` (a
#: sentence a finance analyst understands). Producers may add columns after these.
FINDINGS_SCHEMA = pa.DataFrameSchema({
    "rule": pa.Column(str),
    "severity": pa.Column(str, pa.Check.isin(SEVERITIES)),
    "subject": pa.Column(str),
    "message": pa.Column(str),
}, coerce=True, strict=False)
FINDING_COLUMNS = list(FINDINGS_SCHEMA.columns)


def findings_frame(rows: Iterable[Sequence], columns: Sequence[str] = FINDING_COLUMNS,
                   schema: pa.DataFrameSchema = FINDINGS_SCHEMA) -> pd.DataFrame:
    """Rows as a typed findings frame (empty, it still has its columns and dtypes)."""
    frame = pd.DataFrame(list(rows), columns=list(columns))
    return schema.validate(frame)


def by_severity(frame: pd.DataFrame, *then: str) -> pd.DataFrame:
    """Errors first, then warnings, then information; ties by the ``then`` columns."""
    rank = frame["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    order = frame.assign(_rank=rank).sort_values(["_rank", *then], kind="stable")
    return order.drop(columns="_rank").reset_index(drop=True)


_EMAIL = re.compile(r" <[^<>\s]+@[^<>\s]+>")


def wording(message: str, subject: str) -> str:
    """The message with its subject and e-mail address taken out: findings with equal
    wording say the same thing about different subjects."""
    return _EMAIL.sub("", message.replace(subject, "\0"))


def alike(rows: pd.DataFrame) -> list[tuple[list[str], str]]:
    """Findings that say the same thing about different subjects, gathered: ``(subjects,
    an example message)`` per wording, in the order the findings come. A reader then sees
    "36 agents lost access to WFO" once, with the list, not 36 near-identical paragraphs."""
    keys = [wording(r.message, r.subject) for r in rows.itertuples(index=False)]
    groups: dict[str, tuple[list[str], str]] = {}
    for key, subject, message in zip(keys, rows["subject"], rows["message"], strict=True):
        subjects, _ = groups.setdefault(key, ([], str(message)))
        if subject not in subjects:
            subjects.append(str(subject))
    return list(groups.values())
