"""Reading ``tenant.yaml`` (docs/rules.md §6) into a :class:`~toolkit.model.Tenant`.

Pydantic checks the shape of the file; the validators below add the rules a careful analyst
would check by hand (terms that overlap, lines outside their term, duplicate ids). Every
problem is turned into a :class:`~toolkit.errors.Problem` that names its place in the file,
e.g. ``subscriptions[2].terms[0]``, so one run reports them all.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails

from toolkit.atomic import write_text
from toolkit.checks import (
    AMOUNT_EXPECTED,
    NAME_RULE,
    clean_name,
    is_amount,
    look_alike_problems,
)
from toolkit.errors import InputError, Problem, excerpt, raise_if_any
from toolkit.inputs.yaml_text import read_yaml
from toolkit.invariants import outside_message, overlap_problems
from toolkit.model import TENANT_FILE, Line, Subscription, Tenant, Term
from toolkit.policy import (
    DEFAULT_USAGE_TYPES,
    DEPLOYMENTS,
    LICENSE_MODELS,
    MEASURES,
    OFFERS,
    POLICIES,
    Metering,
    UsageType,
)


def _name(value: object) -> object:
    """Names (tenant, subscription ids, departments) trimmed and in NFC; text that cannot be
    a name is refused here; other types are left to the field's type to report."""
    if not isinstance(value, str):
        return value
    name = clean_name(value)
    if name is None:
        raise ValueError(NAME_RULE)
    return name


Name = Annotated[str, BeforeValidator(_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UsageTypeRow(_Strict):
    policy: Literal[tuple(POLICIES)] | None = None  # type: ignore[valid-type]
    measure: Literal[MEASURES] | None = None  # type: ignore[valid-type]
    named_measure: Literal[MEASURES] | None = None  # type: ignore[valid-type]
    unit: str | None = None
    license_bound: bool | None = None
    label: str | None = None


def _bounded(value: float) -> float:
    """P4's bound (one home: :func:`toolkit.checks.is_amount`) on a number of the file."""
    if not is_amount(value):
        raise ValueError(AMOUNT_EXPECTED)
    return value


def _not_boolean(value: object) -> object:
    """YAML reads ``yes``/``true`` as a boolean, which pydantic would take as 1: a price or
    quantity written so is a slip, never a number."""
    if isinstance(value, bool):
        raise ValueError(f"a number, not the boolean {str(value).lower()}")
    return value


#: A quantity or price of the tenant file: a number (never a boolean), finite, 0 to 10^12 (P4).
Amount = Annotated[float, BeforeValidator(_not_boolean), AfterValidator(_bounded)]


class LineFile(_Strict):
    type: str
    quantity: Amount
    unit_price: Amount
    overage_price: Amount | None = None
    start: dt.date | None = None
    end: dt.date | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("usage_types", DEFAULT_USAGE_TYPES)
        if value not in known:
            raise ValueError(f"a known usage type ({', '.join(sorted(known))})")
        return value

    _ordered = field_validator("end")(classmethod(lambda cls, v, info: _after_start(v, info)))


def _after_start(end: dt.date | None, info: ValidationInfo) -> dt.date | None:
    """Checked on the field, so it is reported even when other fields of the model fail."""
    start = info.data.get("start")
    if end is not None and start is not None and end <= start:
        raise ValueError(f"an end after start {start}, found end {end}")
    return end


class TermFile(_Strict):
    start: dt.date
    end: dt.date
    lines: list[LineFile] = []

    _ordered = field_validator("end")(classmethod(lambda cls, v, info: _after_start(v, info)))

    @field_validator("lines")
    @classmethod
    def _lines_inside(cls, lines: list[LineFile], info: ValidationInfo) -> list[LineFile]:
        start, end = info.data.get("start"), info.data.get("end")
        if start is None or end is None:
            return lines
        outside = [
            i for i, line in enumerate(lines)
            if (line.start and not start <= line.start < end)
            or (line.end and not start < line.end <= end)
        ]
        if outside:
            raise ValueError(outside_message(start, end, outside))
        return lines


class SubscriptionFile(_Strict):
    id: Name = Field(min_length=1)  # any trimmed, NFC, non-empty text: "trialSub.e57285a3-…"
    department: Name = Field(min_length=1)
    license_model: Literal[LICENSE_MODELS]  # type: ignore[valid-type]
    offer: Literal[OFFERS]  # type: ignore[valid-type]
    deployment: Literal[DEPLOYMENTS]  # type: ignore[valid-type]
    terms: list[TermFile] = Field(min_length=1)


class MeteringFile(_Strict):
    """``metering:`` in tenant.yaml (docs/rules.md M3): durations such as ``15min`` or ``24h``."""

    interval: str = Metering.interval
    min_duration: str = Metering.min_duration
    max_session: str = Metering.max_session

    @field_validator("interval", "min_duration", "max_session", mode="before")
    @classmethod
    def _duration(cls, value: object, info: ValidationInfo) -> str:
        text = str(value)
        try:
            Metering(**{str(info.field_name): text})
        except ValueError as error:
            message = str(error)
            expected = ("a positive duration such as '15min'" if "positive" in message else
                        "a duration of zero or more" if "zero or more" in message else
                        "a fixed duration such as '15min' or '24h'")
            raise ValueError(expected) from None
        return text


class TenantFile(_Strict):
    tenant: Name = Field(min_length=1)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    timezone: str = "UTC"
    overage_prices: dict[str, Amount] = {}
    usage_types: dict[str, UsageTypeRow] = {}
    metering: MeteringFile = MeteringFile()
    subscriptions: list[SubscriptionFile] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
            raise ValueError("an IANA time zone name such as 'Europe/Rome'") from None
        return value

    @field_validator("overage_prices")
    @classmethod
    def _priced_types(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        known = (info.context or {}).get("usage_types", DEFAULT_USAGE_TYPES)
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise ValueError(f"known usage types; unknown: {', '.join(unknown)}")
        negative = sorted(name for name, price in value.items() if price < 0)
        if negative:
            raise ValueError(f"prices of at least 0; negative: {', '.join(negative)}")
        return value


def load_tenant(path: str | Path) -> Tenant:
    """Read a ``tenant.yaml`` (or a tenant directory holding one) into a :class:`Tenant`.

    Raises :class:`InputError` listing every problem in the file at once.

    Parameters
    ----------
    path : str or Path
        A ``tenant.yaml`` file, or a tenant directory holding one.

    Returns
    -------
    Tenant
        Subscriptions with their terms and lines (quantities in the type's unit, prices in
        the tenant's currency), the usage-type policy, the metering policy and time zone.
    """
    file = _tenant_path(Path(path))
    raw, repeated = _read_yaml(file)
    usage_types, problems = _usage_types(raw.get("usage_types") or {}, str(file))
    parsed, more = check_tenant_dict(raw, usage_types, str(file))
    raise_if_any(repeated + problems + more)
    assert parsed is not None  # a file that does not parse always has problems
    return _to_tenant(parsed, usage_types)


def check_tenant_dict(raw: dict, usage_types, file: str) -> tuple[TenantFile | None, list]:
    """Every rule of the tenant file applied to a mapping: the parsed file (None when it
    does not parse) and the problems found. Loaded and what-if tenants share these rules."""
    problems = _cross_checks(raw.get("subscriptions"), file)
    try:
        return TenantFile.model_validate(raw, context={"usage_types": usage_types}), problems
    except ValidationError as exc:
        return None, problems + [_problem(file, error, raw=raw) for error in exc.errors()]


def _tenant_path(path: Path) -> Path:
    file = path / TENANT_FILE if path.is_dir() else path
    if not file.exists():
        raise InputError([Problem(str(file), "", "", None, "a tenant.yaml file")])
    return file


#: The largest tenant file read (bytes). A tenant with hundreds of subscriptions writes a few
#: tens of KB; a device (``/dev/zero``) or a file far larger is refused before it is read.
MAX_TENANT_BYTES = 1 << 20


def _read_yaml(file: Path) -> tuple[dict, list[Problem]]:
    if not file.is_file():
        raise InputError([Problem(str(file), "", "", None, "a regular file (not a device, "
                                  "pipe or directory)")])
    size = file.stat().st_size
    if size > MAX_TENANT_BYTES:
        raise InputError([Problem(str(file), "", "", f"{size:,} bytes",
                                  f"a tenant file of at most {MAX_TENANT_BYTES:,} bytes")])
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(file), "", "", None, f"UTF-8 text ({exc.reason})")]
                         ) from None
    raw, repeated = read_yaml(text, str(file), place=place)
    if not isinstance(raw, dict):
        raise InputError(repeated + [Problem(str(file), "", "", raw, "a mapping with tenant, "
                                             "currency, subscriptions")])
    return raw, repeated


def _usage_types(overrides: object, file: str) -> tuple[dict[str, UsageType], list[Problem]]:
    """The default policy table with the file's ``usage_types:`` rows laid over it."""
    table = dict(DEFAULT_USAGE_TYPES)
    if not isinstance(overrides, dict):
        return table, [Problem(file, "usage_types", "", overrides, "a mapping of usage types")]
    problems = []
    for name, row in overrides.items():
        try:
            parsed = UsageTypeRow.model_validate(row or {})
        except ValidationError as exc:
            problems += [_problem(file, e, prefix=("usage_types", name)) for e in exc.errors()]
            continue
        given = parsed.model_dump(exclude_none=True)
        if name in table:
            table[name] = UsageType(**{**table[name].__dict__, **given})
        elif {"policy", "measure", "unit"} <= given.keys():
            table[name] = UsageType(name=name, **given)
        else:
            problems.append(Problem(file, f"usage_types.{name}", "", row,
                                    "policy, measure and unit for a new usage type"))
    problems += look_alike_problems([str(name) for name in table], file, "usage_types", "")
    return table, problems


def _cross_checks(subscriptions: object, file: str) -> list[Problem]:
    """Checks across list items, run on the raw file so that they are reported even when
    an item has other problems: duplicate subscription ids and overlapping terms."""
    if not isinstance(subscriptions, list):
        return []
    seen: dict[str, int] = {}
    problems = []
    for index, sub in enumerate(subscriptions):
        if not isinstance(sub, dict):
            continue
        where = place(("subscriptions", index), {"subscriptions": subscriptions})
        sub_id = _sub_id(sub)
        if sub_id in seen:
            problems.append(Problem(file, where, "id", sub_id,
                                    f"a unique id (also used by subscriptions[{seen[sub_id]}])"))
        elif sub_id is not None:
            seen[sub_id] = index
        problems += _overlapping_terms(sub.get("terms"), where, file)
    subs = [sub for sub in subscriptions if isinstance(sub, dict)]
    problems += look_alike_problems([_sub_id(sub) for sub in subs], file, "subscriptions", "id")
    problems += look_alike_problems([clean_name(sub["department"]) for sub in subs
                                     if isinstance(sub.get("department"), str)],
                                    file, "subscriptions", "department")
    return problems


def _sub_id(sub: object) -> str | None:
    """The subscription's id as a reader would search for it, None when it is not one."""
    value = sub.get("id") if isinstance(sub, dict) else None
    return clean_name(value) if isinstance(value, str) else None


def place(path: tuple | list, raw: object) -> str:
    """A path of the tenant file, ``subscriptions[0] (Sub-A).terms[1]``: the subscription's
    id beside its index, because the reader finds the place by searching for the id."""
    subscriptions = raw.get("subscriptions") if isinstance(raw, dict) else None
    parts = []
    for depth, part in enumerate(path):
        text = f"[{part}]" if isinstance(part, int) else f".{part}"
        if (depth == 1 and path[0] == "subscriptions" and isinstance(part, int)
                and isinstance(subscriptions, list) and 0 <= part < len(subscriptions)):
            sub_id = _sub_id(subscriptions[part])
            text += f" ({excerpt(sub_id, 40, False)})" if sub_id else ""
        parts.append(text)
    return "".join(parts).lstrip(".")


def _overlapping_terms(terms: object, where: str, file: str) -> list[Problem]:
    if not isinstance(terms, list):
        return []
    bounds = [(_date_or_none(term.get("start")), _date_or_none(term.get("end")), i)
              for i, term in enumerate(terms) if isinstance(term, dict)]
    return overlap_problems(((start, end, i) for start, end, i in bounds
                             if start is not None and end is not None), where, file)


def _date_or_none(value: object) -> dt.date | None:
    """A YAML date, or a quoted ISO date; anything else is left to pydantic to report."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


#: Pydantic error types in the words of someone fixing a tenant file.
_EXPECTED: dict[str | tuple[str, str], str] = {
    "missing": "this field (it is missing)",
    "greater_than_equal": "a number of at least 0",
    "string_too_short": "a non-empty value",
    "too_short": "at least one item",
    "string_pattern_mismatch": "an id starting with 'Sub' (e.g. Sub-A, Sub119911)",
    ("string_pattern_mismatch", "currency"): "a three-letter ISO 4217 code such as EUR",
    "date_from_datetime_parsing": "a date written YYYY-MM-DD",
    "date_parsing": "a date written YYYY-MM-DD",
    "date_type": "a date written YYYY-MM-DD",
    "float_parsing": "a number",
    "float_type": "a number",
    "extra_forbidden": "no such field (check its spelling)",
}


def _problem(file: str, error: ErrorDetails, prefix: tuple = (), raw: object = None) -> Problem:
    """A pydantic error as a Problem: model path as the place, the last field as the column."""
    loc = [*prefix, *error["loc"]]
    column = loc.pop() if loc and isinstance(loc[-1], str) else ""
    where = place(loc, raw)
    kind = error["type"]
    if kind == "value_error":
        expected = error["msg"].removeprefix("Value error, ")
    elif kind == "literal_error":
        expected = "one of " + error["msg"].removeprefix("Input should be ")
    else:
        expected = _EXPECTED.get((kind, column)) or _EXPECTED.get(
            kind, error["msg"][0].lower() + error["msg"][1:])
    value = None if kind == "missing" else error.get("input")
    if isinstance(value, dict | list) and value:
        value = None
    return Problem(file, where, column, value, expected)


def _to_tenant(parsed: TenantFile, usage_types: dict[str, UsageType]) -> Tenant:
    return Tenant(
        name=parsed.tenant,
        currency=parsed.currency,
        timezone=parsed.timezone,
        overage_prices=parsed.overage_prices,
        usage_types=usage_types,
        subscriptions=tuple(_to_subscription(sub) for sub in parsed.subscriptions),
        metering=Metering(**parsed.metering.model_dump()),
    )


def _to_subscription(sub: SubscriptionFile) -> Subscription:
    terms = tuple(
        Term(
            start=term.start,
            end=term.end,
            lines=tuple(
                Line(
                    usage_type=line.type,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    overage_price=line.overage_price,
                    start=line.start or term.start,
                    end=line.end or term.end,
                )
                for line in term.lines
            ),
        )
        for term in sorted(sub.terms, key=lambda t: t.start)
    )
    return Subscription(sub.id, sub.department, sub.license_model, sub.offer, sub.deployment, terms)


def tenant_to_dict(tenant: Tenant) -> dict:
    """The tenant as the ``tenant.yaml`` mapping, so generated or what-if tenants can be saved."""
    defaults = DEFAULT_USAGE_TYPES
    overrides = {
        name: {k: v for k, v in row.__dict__.items() if k != "name"}
        for name, row in tenant.usage_types.items()
        if defaults.get(name) != row
    }
    data: dict = {"tenant": tenant.name, "currency": tenant.currency, "timezone": tenant.timezone}
    if tenant.overage_prices:
        data["overage_prices"] = dict(tenant.overage_prices)
    if overrides:
        data["usage_types"] = overrides
    if tenant.metering != Metering():
        data["metering"] = dict(tenant.metering.__dict__)
    data["subscriptions"] = [
        {
            "id": sub.id,
            "department": sub.department,
            "license_model": sub.license_model,
            "offer": sub.offer,
            "deployment": sub.deployment,
            "terms": [
                {
                    "start": term.start,
                    "end": term.end,
                    "lines": [_line_to_dict(line, term) for line in term.lines],
                }
                for term in sub.terms
            ],
        }
        for sub in tenant.subscriptions
    ]
    return data


def _line_to_dict(line: Line, term: Term) -> dict:
    data = {"type": line.usage_type, "quantity": line.quantity, "unit_price": line.unit_price}
    if line.overage_price is not None:
        data["overage_price"] = line.overage_price
    if line.start != term.start:
        data["start"] = line.start
    if line.end != term.end:
        data["end"] = line.end
    return data


def save_tenant(tenant: Tenant, path: str | Path) -> Path:
    """Write the tenant as YAML (to ``path/tenant.yaml`` when ``path`` is a directory),
    atomically: a failure part-way leaves the previous tenant file (:mod:`toolkit.atomic`)."""
    path = Path(path)
    file = path / TENANT_FILE if path.is_dir() else path
    return write_text(file, yaml.safe_dump(tenant_to_dict(tenant), sort_keys=False))
