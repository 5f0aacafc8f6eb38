"""Real Webex exports as input: ``GET /v1/licenses`` and ``GET /v1/people`` responses (rules.md §6).

An analyst saves what the Webex REST API returns (one response, or a folder of the pages a
paged listing returns) and gets the entitlements Webex knows about and a ``users.csv``.

Be liberal in what is accepted, because real payloads and Cisco's own documentation differ:
older examples write ``displayName`` for a license's ``name``, quote numbers (``"42"``) and even
use single quotes (not JSON: read as YAML, which accepts them); licenses of free or trial
offers have no ``subscriptionId``; ``consumedByUsers`` may be ``null``; license names vary in
capitalization ("Contact center Standard Agent"). A folder of pages is read in file-name
order and identical repeats (overlapping pages) collapse; conflicting repeats are refused.

License names become usage types through :data:`LICENSE_NAMES`, a table (data, not code)
that a caller can extend or override. Licenses that are not Contact Center ones (Meetings,
Calling, …) are kept and marked ``contact_center = False``; Contact Center licenses whose
name the table does not know are kept with an empty ``usage_type`` and a ``note`` saying so.

People whose only Contact Center licenses have unknown names are listed (they cannot be
mapped to a usage type, but are not dropped silently); a person holding one usage type on two
subscriptions is refused, since ``users.csv`` maps a user to one subscription per type. An
empty page, or ``null``, is a problem rather than a page without items.

``consumed_units`` is what Webex calls ``consumedUnits``: licenses *assigned* to users. By
docs/rules.md §5, assigning a license is not usage, so it is never used as consumption here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from toolkit.checks import (
    NAME_RULE,
    clean_name,
    one_of,
    row_label,
    row_number,
    schema_problems,
)
from toolkit.errors import InputError, Problem, raise_if_any
from toolkit.frames import USER_COLUMNS, USER_OPTIONAL
from toolkit.inputs.csv_input import read_text_table
from toolkit.inputs.webex.pages import read_json
from toolkit.inputs.yaml_text import read_yaml
from toolkit.policy import AGENT_LICENSES, DEFAULT_USAGE_TYPES

#: What ``load_webex_people`` adds to the users.csv columns: the Webex person id, which a
#: Contact Center ``agentId`` joins (as it is, or as the UUID inside it; SPEC §6).
PERSON_COLUMNS = ["webex_agent_id"]

LICENSE_COLUMNS = ["license_id", "name", "usage_type", "subscription_id", "total_units",
                   "consumed_units", "contact_center", "site_url", "note"]

#: Webex license name (compared case-insensitively, spaces collapsed) → usage type.
#: Names as Control Hub and ``/v1/licenses`` show them; extend or override per call.
#: Quirks of real payloads: capitalization varies ("Contact center Standard Agent"), hence
#: the case-insensitive match; and a person's ``licenses`` may hold several ids comma-joined
#: in one string (``["idA,idB"]``, as in Cisco's documented example): that is two licenses.
LICENSE_NAMES = MappingProxyType({
    "contact center standard agent": "cc_standard_agent",
    "webex contact center standard agent": "cc_standard_agent",
    "contact center premium agent": "cc_premium_agent",
    "webex contact center premium agent": "cc_premium_agent",
    "contact center ivr": "ivr_port",
    "contact center ivr ports": "ivr_port",
    "contact center voice ports": "ivr_port",
    "webex contact center ivr": "ivr_port",
    "webex ai agent": "ai_agent",
    "contact center ai agent": "ai_agent",
    "ai agent": "ai_agent",
    "contact center ai assistant": "ai_assistant",
    "webex ai assistant for contact center": "ai_assistant",
    "ai assistant": "ai_assistant",
    "contact center ivr outbound campaign": "ivr_outbound_campaign",
    "ivr outbound campaign": "ivr_outbound_campaign",
    "webex connect": "webex_connect",
    "contact center webex connect": "webex_connect",
    "contact center workforce optimization": "wfo",
    "webex workforce optimization": "wfo",
    "workforce optimization": "wfo",
})
#: A name containing one of these words belongs to the Contact Center family even when the
#: table does not know it (it is then reported, not guessed).
CONTACT_CENTER_WORDS = ("contact center", "webex connect", "workforce optimization")
#: Agent license types: a person holding one is an agent.

NOT_CONTACT_CENTER = "not a Contact Center license: kept, not part of the allocation"
UNKNOWN_NAME = ("a Contact Center license whose name the license-name table does not know: "
                "add it (names=...) to count it")


def normalize_name(name: str) -> str:
    return re.sub(r"\s+", " ", str(name)).strip().casefold()


def license_name_table(names: Mapping[str, str] | str | Path | None = None,
                       usage_types: Iterable[str] | None = None) -> dict[str, str]:
    """The default name table with ``names`` laid over it.

    ``names`` is a mapping or a CSV file with columns ``name, usage_type``. Each usage type
    must be one of ``usage_types`` (default: the standard ones; pass ``tenant.usage_types``
    when the tenant adds its own): a typo would otherwise quietly leave the license out of
    every figure. Empty cells, unknown types and a name given two different types are
    reported all at once (InputError).
    """
    table = dict(LICENSE_NAMES)
    if names is None:
        return table
    known = sorted(usage_types if usage_types is not None else DEFAULT_USAGE_TYPES)
    if isinstance(names, Mapping):
        source = "names"
        frame = pd.DataFrame({"name": [str(k) for k in names],
                              "usage_type": [None if v is None else str(v)
                                             for v in names.values()]}, dtype="str")
    else:
        source = str(names)
        frame = read_text_table(names, ["name", "usage_type"])
    schema = pa.DataFrameSchema({
        "name": pa.Column("str", nullable=False),
        "usage_type": pa.Column("str", one_of(known, "a usage type"), nullable=False),
    }, strict=False)
    problems = schema_problems(frame, schema, source)
    keys = frame["name"].map(normalize_name, na_action="ignore")
    first: dict[str, int] = {}
    for i, (key, usage_type) in enumerate(zip(keys, frame["usage_type"], strict=True)):
        if pd.isna(key) or pd.isna(usage_type):
            continue
        if key in first and frame["usage_type"].iloc[first[key]] != usage_type:
            problems.append(Problem(source, row_label(i), "usage_type", usage_type,
                                    f"{frame['usage_type'].iloc[first[key]]!r} as on "
                                    f"{row_label(first[key])} (one name, one usage type)"))
        first.setdefault(key, i)
    raise_if_any(sorted(problems, key=lambda p: row_number(p.where)))
    table.update(dict(zip(keys, frame["usage_type"], strict=True)))
    return table


def load_webex_licenses(path: str | Path,
                        names: Mapping[str, str] | str | Path | None = None,
                        usage_types: Iterable[str] | None = None) -> pd.DataFrame:
    """A ``GET /v1/licenses`` response (a file, or a folder of pages) as a licenses table.

    Columns: ``license_id, name, usage_type, subscription_id, total_units, consumed_units``
    (assigned, not used), ``contact_center``, ``site_url``, ``note``. Raises InputError
    listing every item that cannot be read. ``names`` and ``usage_types``: see
    :func:`license_name_table`.

    Parameters
    ----------
    path : str or Path
        A ``/v1/licenses`` response, or a folder of its pages.
    names : mapping, str or Path, optional
        License name → usage type, laid over the default table (or a file of it).
    usage_types : iterable of str, optional
        The usage types names may map to (default: the policy table's).

    Returns
    -------
    DataFrame
        ``license_id, name, usage_type, subscription_id, total_units, consumed_units``
        (units: licenses assigned, not usage), then ``contact_center, site_url, note``.
    """
    table = license_name_table(names, usage_types)
    items, problems = _items(path)
    rows = []
    for file, where, item in items:
        row, bad = _license_row(file, where, item, table)
        problems += bad
        if row is not None:
            rows.append(row)
    frame = pd.DataFrame(rows, columns=[*LICENSE_COLUMNS, "_file", "_where"])
    problems += _conflicting_repeats(frame, "license_id")
    raise_if_any(problems)
    frame = frame.drop_duplicates("license_id").drop(columns=["_file", "_where"])
    for column in ("license_id", "name", "usage_type", "subscription_id", "site_url", "note"):
        frame[column] = frame[column].astype("str")
    for column in ("total_units", "consumed_units"):
        frame[column] = frame[column].astype("float64")
    frame["contact_center"] = frame["contact_center"].astype(bool)
    return frame.reset_index(drop=True)


def load_webex_people(path: str | Path, licenses: pd.DataFrame,
                      user_id: str = "email") -> pd.DataFrame:
    """A ``GET /v1/people`` response (a file, or a folder of pages) as ``users.csv`` rows.

    One row per person and Contact Center license with a usage type, mapped to that
    license's subscription. ``user_id`` is the person's first email (``user_id="email"``,
    what agent activity reports show) or the Webex person id (``"id"``); ``webex_agent_id``
    is always the person id, so that sessions keyed by a Contact Center ``agentId`` join.
    A person holding an agent license is an ``agent``; one with only other Contact Center
    licenses is an ``admin`` when Webex lists roles for them, else a ``supervisor``.
    People without any Contact Center license are not Contact Center users: they are counted
    in ``frame.attrs["skipped"]``.
    People whose only Contact Center licenses have names the table does not know are not
    rows either (their usage type is unknown), but they are not dropped silently: their ids
    are listed in ``frame.attrs["unknown_license_only"]``. A license listed twice for a person
    counts once.

    Problems (InputError, all at once): a license id that ``licenses`` does not contain
    (pages missing?), and a person holding two licenses of one usage type on two different
    subscriptions: ``users.csv`` maps a user to one subscription per license type at a time,
    and choosing one would be a guess (remove the extra license in Control Hub, or write
    the user's rows by hand with ``start``/``end``).

    Parameters
    ----------
    path : str or Path
        A ``/v1/people`` response, or a folder of its pages.
    licenses : DataFrame
        :func:`load_webex_licenses` of the same tenant.
    user_id : str
        ``"email"`` (the first email) or ``"id"`` (the Webex person id).

    Returns
    -------
    DataFrame
        The ``users.csv`` shape plus ``webex_agent_id``; ``attrs`` count the people skipped.
    """
    if user_id not in ("email", "id"):
        raise ValueError("user_id must be 'email' or 'id'")
    items, problems = _items(path)
    known = licenses.set_index("license_id")
    if "contact_center" not in known.columns:  # a frame of docs/rules.md §7's six columns only
        known = known.assign(contact_center=known["usage_type"].notna() | known["name"].map(
            lambda name: any(w in normalize_name(name) for w in CONTACT_CENTER_WORDS)))
    rows, skipped, unknown_only = [], 0, []
    seen: dict[str, Any] = {}
    for file, where, item in items:
        person, bad = _person(file, where, item, known, user_id)
        problems += bad
        if person is None:
            continue
        if isinstance(person, str):  # only Contact Center licenses of unknown names
            unknown_only.append(person)
            continue
        if not person:
            skipped += 1
            continue
        key = person[0]["user_id"]
        if key in seen:
            if seen[key][0] != person:  # identical repeats are overlapping pages
                problems.append(Problem(file, where, "id", key,
                                        f"one description per person (also {seen[key][1]})"))
            continue
        seen[key] = (person, f"{file} {where}")
        rows += person
    raise_if_any(problems)
    frame = pd.DataFrame(rows, columns=[*USER_COLUMNS, *USER_OPTIONAL, *PERSON_COLUMNS])
    for column in frame.columns:
        frame[column] = frame[column].astype("str")
    frame["start"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us, UTC]")
    frame["end"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us, UTC]")
    frame.attrs["skipped"] = skipped
    frame.attrs["unknown_license_only"] = sorted(set(unknown_only))
    return frame.sort_values(["user_id", "license"], kind="stable", ignore_index=True)


# --- reading payloads --------------------------------------------------------------------

def _items(path: str | Path) -> tuple[list[tuple[str, str, dict]], list[Problem]]:
    """Every item of every page, with the file and place it came from."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".json")
        if not files:
            raise InputError([Problem(str(path), "", "", None, "a folder of .json pages")])
    elif path.is_file():
        files = [path]
    else:
        raise InputError([Problem(str(path), "", "", None, "an existing JSON file or folder")])
    items, problems = [], []
    for file in files:
        payload, bad = _payload(file)
        problems += bad
        if bad:
            continue
        found, label = _item_list(payload)
        if found is None:
            problems.append(Problem(str(file), "", "items", None,
                                    "a response object with an 'items' list"))
            continue
        for index, item in enumerate(found):
            where = f"{label}[{index}]"
            if not isinstance(item, dict):
                problems.append(Problem(str(file), where, "", item, "an object"))
                continue
            items.append((str(file), where, {str(k).casefold(): v for k, v in item.items()}))
    return items, problems


def _payload(file: Path):
    """The parsed page, or problems. An empty page (or ``null``) is a problem, not zero
    items: a save that failed half-way must not pass for an export with fewer licenses."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        return None, [Problem(str(file), "", "", None, f"a readable file ({exc.strerror})")]
    payload, problems = read_json(data, str(file))
    if payload is None and problems and problems[0].expected.startswith("complete JSON ("):
        # Documentation examples with single quotes are YAML flow mappings; they are read
        # as such only without anchors and aliases (JSON has none), so an alias bomb saved
        # as .json is refused at once instead of expanding.
        try:
            payload, problems = read_yaml(data.decode("utf-8-sig"), str(file), aliases=False)
        except (InputError, UnicodeDecodeError):
            first = problems[0]
            return None, [replace(first, expected=first.expected.removeprefix("complete "))]
    if problems:
        return None, problems
    if payload is None:
        return None, [Problem(str(file), "", "", "null", "a JSON response object")]
    return payload, []


def _item_list(payload) -> tuple[list | None, str]:
    """The items of a list response, a bare list, or a single object (GET …/{id})."""
    if isinstance(payload, list):
        return payload, "items"
    if isinstance(payload, dict):
        lowered = {str(k).casefold(): v for k, v in payload.items()}
        if isinstance(lowered.get("items"), list):
            return lowered["items"], "items"
        if "id" in lowered:
            return [payload], "item"
    return None, ""


def _text(value) -> str | None:
    """Text of a scalar field; None for an empty one. Lists, objects and true/false are not
    text (see :func:`_fields`, which reports them): they give None here too."""
    if value is None or isinstance(value, dict | list | bool):
        return None
    text = str(value).strip()
    return text or None


def _fields(file, where, item, *fields) -> list[Problem]:
    """Fields that must be text (an id, a name) but hold a list, an object or true/false,
    or text that cannot be a name (see :func:`toolkit.checks.clean_name`)."""
    problems = []
    for field in fields:
        value = item.get(field.casefold())
        if isinstance(value, dict | list | bool):
            problems.append(Problem(file, where, field, value,
                                    "text, not a list, an object or true/false"))
        elif isinstance(value, str) and value.strip() and clean_name(value) is None:
            problems.append(Problem(file, where, field, value, NAME_RULE))
    return problems


#: "1,000": a comma is read only as a thousands separator; "1,5" (a decimal comma?) is refused.
THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")


def _units(file, where, item, field) -> tuple[float, list[Problem]]:
    """A count of license units: a whole, finite number of at least 0, or absent (NaN)."""
    value = item.get(field.casefold())
    if value is None or (isinstance(value, str) and not value.strip()):
        return np.nan, []
    text = value.strip() if isinstance(value, str) else None
    if text is not None and THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TypeError(value)
        number = float(text if text is not None else value)
    except (TypeError, ValueError, OverflowError):
        return np.nan, [Problem(file, where, field, value, "a whole number of license units "
                                "(a comma only as a thousands separator, e.g. 1,000)")]
    if not math.isfinite(number) or number < 0 or number != int(number):
        return np.nan, [Problem(file, where, field, value,
                                "a whole number of license units, at least 0")]
    return number, []


def _license_row(file, where, item, table):
    problems = _fields(file, where, item, "id", "name", "displayName", "subscriptionId",
                       "siteUrl")
    license_id = _text(item.get("id"))
    name = _text(item.get("name")) or _text(item.get("displayname"))
    if problems:
        license_id = name = ""  # reported above; not reported again as missing
    if license_id is None:
        problems.append(Problem(file, where, "id", None, "the license id"))
    if name is None:
        problems.append(Problem(file, where, "name", None, "the license name"))
    total, bad = _units(file, where, item, "totalUnits")
    problems += bad
    consumed, bad = _units(file, where, item, "consumedUnits")
    problems += bad
    if problems or name is None:
        return None, problems
    key = normalize_name(name)
    usage_type = table.get(key)
    family = usage_type is not None or any(word in key for word in CONTACT_CENTER_WORDS)
    note = None if usage_type else (UNKNOWN_NAME if family else NOT_CONTACT_CENTER)
    row = [license_id, name, usage_type, _text(item.get("subscriptionid")), total, consumed,
           family, _text(item.get("siteurl")), note, file, where]
    return row, []


def _conflicting_repeats(frame: pd.DataFrame, key: str) -> list[Problem]:
    """Items repeated across pages with different content cannot be reconciled silently."""
    data = [c for c in frame.columns if not c.startswith("_")]
    repeated = frame[frame.duplicated(key, keep=False)]
    problems = []
    for value, group in repeated.groupby(key, sort=False):
        if len(group[data].astype("str").drop_duplicates()) > 1:
            first = group.iloc[0]
            for _, other in group.iloc[1:].iterrows():
                problems.append(Problem(other["_file"], other["_where"], "id", value,
                                        f"the same values as {first['_file']} {first['_where']} "
                                        "(one license, two different descriptions)"))
    return problems


def _person(file, where, item, known: pd.DataFrame, user_id: str):
    """The users.csv rows of one person: [] when not a Contact Center user, the person's
    id alone when their only Contact Center licenses have unknown names."""
    bad = _fields(file, where, item, "id", "department")
    if bad:
        return None, bad
    person_id = _text(item.get("id"))
    emails = item.get("emails") or []
    if isinstance(emails, str):
        emails = [emails]
    if not isinstance(emails, list):
        return None, [Problem(file, where, "emails", emails, "a list of email addresses")]
    email = next((_text(e) for e in emails if _text(e)), None)
    ident = email if user_id == "email" and email else person_id
    if ident is None:
        return None, [Problem(file, where, "id", None, "a person id or an email")]
    held = item.get("licenses") or []
    if isinstance(held, str):
        held = [held]
    if not isinstance(held, list):
        return None, [Problem(file, where, "licenses", held, "a list of license ids")]
    odd = [lic for lic in held if not isinstance(lic, str)]
    if odd:
        return None, [Problem(file, where, "licenses", lic, "a license id (text)")
                      for lic in odd]
    # Cisco's own people example joins several ids with commas in one string: several licenses
    held = [part.strip() for lic in held for part in lic.split(",") if part.strip()]
    held = list(dict.fromkeys(held))  # a license listed twice is one license
    missing = [lic for lic in held if lic not in known.index]
    if missing:
        who = " ".join(filter(None, [_text(item.get("displayname")), email or person_id]))
        return None, [Problem(file, where, "licenses", lic,
                              f"a license id listed in the /v1/licenses response; {lic}, "
                              f"held by person {who}, is not there (pages missing?)")
                      for lic in missing]
    licenses = known.loc[held] if held else known.iloc[0:0]
    mine = licenses[licenses["usage_type"].notna()]
    if mine.empty:
        return (ident if licenses["contact_center"].any() else []), []
    clash = _same_type_twice(file, where, ident, mine)
    if clash:
        return None, clash
    types = set(mine["usage_type"])
    role = "agent" if types & set(AGENT_LICENSES) else ("admin" if item.get("roles") else
                                                      "supervisor")
    department = _text(item.get("department"))
    rows = [
        {"user_id": ident, "role": role, "license": lic["usage_type"],
         "subscription_id": lic["subscription_id"], "department": department,
         "email": email, "start": None, "end": None, "webex_agent_id": person_id}
        for _, lic in mine.sort_values("usage_type").iterrows()
    ]
    # two licenses of one type on one subscription give the same mapping: one row
    return list({(r["license"], r["subscription_id"]): r for r in rows}.values()), []


def _same_type_twice(file, where, ident, mine: pd.DataFrame) -> list[Problem]:
    """One problem per usage type the person holds on more than one subscription."""
    subs = mine.assign(sub=mine["subscription_id"].astype("object").fillna("(none)"))
    per_type = subs.groupby("usage_type")["sub"].unique()
    return [
        Problem(file, where, "licenses", ident,
                f"one {usage_type} license per person: it is held on "
                f"{' and '.join(sorted(held))}, and a user counts toward one subscription "
                "per license type (remove one in Control Hub, or map the user by hand)")
        for usage_type, held in per_type.items() if len(held) > 1
    ]
