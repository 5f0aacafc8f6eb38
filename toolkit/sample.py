"""A seeded generator of a believable sample tenant, and the bundled ``data/sample`` it writes.

The sample is an Italian insurer with five departments whose subscriptions tell the seed's
stories: the oldest subscription is primary throughout; Sales lets its subscription lapse and
renews it two months later, so IVR outbound ownership moves to Collections and back; Collections
joins later; an Operations WFO subscription expires with users still mapped to it. Usage is
drawn around each subscription's entitlement with seasonality, so some months run into
overage. Run ``python -m toolkit.sample [DIR]`` to regenerate; same seed, same files.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import sys
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.frames import SESSION_COLUMNS
from toolkit.inputs.budgets import BUDGET_COLUMNS
from toolkit.inputs.tenant_file import save_tenant
from toolkit.inputs.webex.pages import PULL_STATE
from toolkit.model import Line, Subscription, Tenant, Term
from toolkit.resources import sample_dir

SEED = 20240101
USAGE_START = dt.date(2024, 1, 1)
USAGE_END = dt.date(2026, 11, 1)  # exclusive: 34 months of usage
AS_OF = dt.date(2026, 10, 31)
SESSIONS_START = dt.date(2026, 9, 1)  # raw agent sessions: the last two months only
SAMPLE_HOURS = (10, 11, 15)  # local sampling instants of concurrency on working days

#: Monthly list prices (EUR) per unit and the overage price the tenant falls back to.
PRICES = {
    "cc_standard_agent": (95.0, 120.0),
    "cc_premium_agent": (140.0, 175.0),
    "ivr_port": (38.0, 48.0),
    "ai_agent": (0.45, 0.60),
    "ai_assistant": (0.20, 0.26),
    "ivr_outbound_campaign": (0.03, 0.04),
    "webex_connect": (0.012, 0.016),
    "wfo": (42.0, 55.0),
}


def _line(usage_type: str, quantity: float, start: dt.date, end: dt.date) -> Line:
    unit_price, overage_price = PRICES[usage_type]
    return Line(usage_type, quantity, unit_price, start, end, overage_price)


def _term(start: dt.date, end: dt.date, *lines: tuple) -> Term:
    """A term whose lines run for the whole term unless given their own dates."""
    return Term(start, end, tuple(
        _line(t, q, *(rest or (start, end))) for t, q, *rest in lines
    ))


def sample_tenant() -> Tenant:
    d = dt.date
    subscriptions = (
        Subscription("Sub-1001", "Customer Care", "concurrent", "flex3", "cloud", (
            _term(d(2024, 1, 1), d(2027, 1, 1),
                  ("cc_standard_agent", 80), ("cc_premium_agent", 15, d(2025, 1, 1), d(2027, 1, 1)),
                  ("ivr_port", 60), ("ai_agent", 18000), ("ai_assistant", 12000),
                  ("webex_connect", 90000)),
        )),
        Subscription("Sub-1002", "Sales", "concurrent", "flex", "cloud", (
            _term(d(2024, 4, 1), d(2026, 4, 1),
                  ("cc_standard_agent", 35), ("cc_premium_agent", 10), ("ai_assistant", 6000),
                  ("ivr_outbound_campaign", 40000)),
            _term(d(2026, 6, 1), d(2028, 6, 1),
                  ("cc_standard_agent", 35), ("cc_premium_agent", 12), ("ai_assistant", 6000),
                  ("ai_agent", 5000), ("ivr_outbound_campaign", 40000)),
        )),
        Subscription("Sub-1003", "Claims", "concurrent", "flex3", "hybrid", (
            _term(d(2024, 3, 1), d(2027, 3, 1),
                  ("cc_standard_agent", 50), ("cc_premium_agent", 20), ("ivr_port", 30),
                  ("ai_agent", 8000), ("wfo", 70), ("webex_connect", 10000)),
        )),
        Subscription("Sub-1004", "Collections", "concurrent", "flex", "cloud", (
            _term(d(2025, 9, 1), d(2027, 9, 1),
                  ("cc_standard_agent", 25), ("ai_agent", 4000),
                  ("ivr_outbound_campaign", 30000)),
        )),
        Subscription("Sub-1005", "Operations", "concurrent", "flex", "cloud", (
            _term(d(2024, 7, 1), d(2026, 7, 1), ("wfo", 40)),
        )),
    )
    fallback = {t: overage for t, (_, overage) in PRICES.items()}
    return Tenant("Assicurazioni Aurora", "EUR", subscriptions, "Europe/Rome", fallback)


def _days() -> pd.DatetimeIndex:
    return pd.date_range(USAGE_START, USAGE_END - dt.timedelta(days=1), freq="D")


def _season(days: pd.DatetimeIndex) -> np.ndarray:
    """Busier in winter and in the run-up to renewals of motor policies (Jan, Nov, Dec)."""
    month = days.month.to_numpy()
    return 1.0 + 0.12 * np.cos((month - 1) / 12 * 2 * np.pi) + 0.03 * (days.year - 2024)


def _active_lines(tenant: Tenant, usage_type: str):
    for sub in tenant.subscriptions:
        for line in sub.lines:
            if line.usage_type == usage_type:
                yield sub, line


def _peak_samples(tenant: Tenant, rng: np.random.Generator) -> pd.DataFrame:
    """Concurrency samples of the peak-measured types at fixed hours of working days."""
    days = _days()
    workdays = days[days.day_of_week < 5]
    season = _season(workdays)
    parts = []
    for usage_type in ("cc_standard_agent", "cc_premium_agent", "ivr_port"):
        for sub, line in _active_lines(tenant, usage_type):
            held = (workdays.date >= line.start) & (workdays.date < line.end)
            for hour in SAMPLE_HOURS:
                load = 0.70 + 0.05 * (hour == 11)
                mean = line.quantity * load * season[held]
                counts = rng.poisson(mean).astype(float)
                stamps = workdays[held] + pd.Timedelta(hours=hour)
                parts.append(pd.DataFrame({"timestamp": stamps, "usage_type": usage_type,
                                           "quantity": counts, "subscription_id": sub.id}))
    return pd.concat(parts, ignore_index=True)


def _daily_sums(tenant: Tenant, rng: np.random.Generator) -> pd.DataFrame:
    """Daily totals of the summed types; some AI usage arrives without a subscription."""
    days = _days()
    season = _season(days)
    weekday = np.where(days.day_of_week < 5, 1.24, 0.4)  # averages 1 over a week
    parts = []
    for usage_type, load in (("ai_agent", 0.9), ("ai_assistant", 0.85),
                             ("ivr_outbound_campaign", 0.9), ("webex_connect", 0.88)):
        for sub, line in _active_lines(tenant, usage_type):
            held = (days.date >= line.start) & (days.date < line.end)
            mean = line.quantity / 30.4 * load * season[held] * weekday[held]
            quantity = rng.poisson(mean).astype(float)
            named = np.full(held.sum(), sub.id, dtype=object)
            named[rng.random(held.sum()) < 0.05] = None
            if tenant.usage_types[usage_type].rule.usage_to_primary:
                named = np.full(held.sum(), None)
            parts.append(pd.DataFrame({
                "timestamp": days[held] + pd.Timedelta(hours=18),
                "usage_type": usage_type, "quantity": quantity, "subscription_id": named,
            }))
    return pd.concat(parts, ignore_index=True)


def sample_users(tenant: Tenant, rng: np.random.Generator) -> pd.DataFrame:
    """Agents sized to each subscription's agent lines, plus supervisors, admins and WFO seats.

    A few provisioning problems are planted on purpose, as real tenants have them: admins and
    agents left on the Operations subscription after it expires, one admin mapped to nothing,
    one agent holding both Standard and Premium licenses.
    """
    rows: list[tuple] = []

    def add(role, license, sub, department):
        number = len({r[0] for r in rows}) + 1
        user_id = f"u{number:04d}"
        rows.append((user_id, role, license, sub, department,
                     f"{user_id}@aurora-assicurazioni.example"))
        return user_id

    for sub in tenant.subscriptions:
        agent_lines = {line.usage_type: line.quantity for line in sub.lines
                       if line.usage_type in ("cc_standard_agent", "cc_premium_agent")}
        for license, quantity in agent_lines.items():
            for _ in range(int(quantity * 1.2)):
                add("agent", license, sub.id, sub.department)
        if agent_lines:
            for _ in range(max(2, int(sum(agent_lines.values()) / 15))):
                add("supervisor", "cc_premium_agent", sub.id, sub.department)
            add("admin", None, sub.id, sub.department)
    frame = pd.DataFrame(rows, columns=["user_id", "role", "license", "subscription_id",
                                        "department", "email"])
    claims_agents = frame[(frame.department == "Claims") & (frame.role == "agent")]
    wfo_claims = claims_agents.sample(60, random_state=rng.integers(1 << 31))
    care_agents = frame[(frame.department == "Customer Care") & (frame.role == "agent")]
    wfo_ops = care_agents.sample(36, random_state=rng.integers(1 << 31))
    extra = [
        wfo_claims.assign(license="wfo"),
        wfo_ops.assign(license="wfo", subscription_id="Sub-1005"),
        pd.DataFrame([
            ("u9001", "admin", None, "Sub-1005", "Operations",
             "u9001@aurora-assicurazioni.example"),
            ("u9002", "agent", "cc_standard_agent", "Sub-1005", "Operations",
             "u9002@aurora-assicurazioni.example"),
            ("u9003", "admin", None, None, "Operations", "u9003@aurora-assicurazioni.example"),
        ], columns=frame.columns),
    ]
    dual = care_agents.iloc[[0]].assign(license="cc_premium_agent")
    users = pd.concat([frame, *extra, dual], ignore_index=True)
    return users.sort_values(["user_id", "license"], kind="stable", ignore_index=True)


def _wfo_usage(tenant: Tenant, users: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """WFO named users active each month (distinct measure): one row per active user."""
    seats = users[users.license == "wfo"]
    months = pd.period_range(USAGE_START, USAGE_END - dt.timedelta(days=1), freq="M")
    parts = []
    for month in months:
        day = month.start_time + pd.Timedelta(days=int(rng.integers(0, 27)), hours=9)
        for subscription_id, group in seats.groupby("subscription_id"):
            sub = tenant.subscription(subscription_id)
            if not sub.active_on(day.date()):
                continue
            active = group[rng.random(len(group)) < 0.92]
            parts.append(pd.DataFrame({"timestamp": day, "usage_type": "wfo", "quantity": 1.0,
                                       "subscription_id": None, "user_id": active.user_id}))
    return pd.concat(parts, ignore_index=True)


def sample_usage(tenant: Tenant, users: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    usage = pd.concat([_peak_samples(tenant, rng), _daily_sums(tenant, rng),
                       _wfo_usage(tenant, users, rng)], ignore_index=True)
    usage["timestamp"] = pd.to_datetime(usage["timestamp"]).dt.strftime("%Y-%m-%dT%H:%M:%S")
    usage = usage.sort_values(["timestamp", "usage_type", "subscription_id", "user_id"],
                              kind="stable", ignore_index=True)
    return usage[["timestamp", "usage_type", "quantity", "subscription_id", "user_id"]]


#: Shift patterns of the sample: (local start hour, length in hours, share of agents).
SHIFTS = ((8, 8.5, 0.55), (13, 8.5, 0.30), (22, 8.0, 0.15))


def sample_sessions(users: pd.DataFrame, start: dt.date, end: dt.date, seed: int,
                    timezone: str) -> pd.DataFrame:
    """Believable login/logout sessions of the users with role ``agent`` over ``[start, end)``.

    Each agent works one shift (day, afternoon or night; night shifts cross midnight) on
    weekdays, is absent on some days, and takes a break that splits the shift in two
    sessions. A few agents re-login on a second device before the first session ends, so
    their sessions overlap (the case where one user must count once). Times are whole
    minutes, local to ``timezone``. Deterministic for a given ``seed``.
    """
    rng = np.random.default_rng(seed)
    agents = users.loc[users["role"].astype("str").str.lower() == "agent", "user_id"]
    agents = pd.unique(agents.dropna())
    days = pd.date_range(start, end, freq="D", inclusive="left")
    days = days[days.day_of_week < 5]
    if len(agents) == 0 or len(days) == 0:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in SESSION_COLUMNS})
    shift = rng.choice(len(SHIFTS), size=len(agents), p=[s[2] for s in SHIFTS])
    agent = np.repeat(np.arange(len(agents)), len(days))
    day = np.tile(np.arange(len(days)), len(agents))
    present = rng.random(len(agent)) > 0.08
    agent, day = agent[present], day[present]
    hours = np.array([s[0] for s in SHIFTS])[shift[agent]]
    length = np.array([s[1] for s in SHIFTS])[shift[agent]]
    begin = hours * 60 + rng.integers(-20, 21, len(agent))
    finish = begin + (length * 60).astype(np.int64) + rng.integers(-15, 31, len(agent))
    pause = begin + ((finish - begin) * rng.uniform(0.4, 0.6, len(agent))).astype(np.int64)
    resume = pause + rng.integers(15, 61, len(agent))
    overlap = rng.random(len(agent)) < 0.03  # re-login on a second device before logging out
    resume = np.where(overlap, pause - rng.integers(2, 10, len(agent)), resume)
    minutes = np.concatenate([begin, resume])
    until = np.concatenate([pause, finish])
    who = np.concatenate([agent, agent])
    on = np.concatenate([day, day])
    base = days.to_numpy().astype("datetime64[m]")[on]
    login = _local(base + minutes.astype("timedelta64[m]"), timezone)
    logout = _local(base + until.astype("timedelta64[m]"), timezone)
    frame = pd.DataFrame({"user_id": pd.Series(agents[who], dtype="str"),
                          "login": login, "logout": logout})
    return frame.sort_values(["login", "user_id"], kind="stable", ignore_index=True)


def _local(naive: np.ndarray, timezone: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(naive.astype("datetime64[us]")).tz_localize(
        timezone, ambiguous=True, nonexistent="shift_forward")


#: How much room above its typical month finance leaves each department: some budget tightly,
#: some generously, so that the 80% and 100% flags mean something in the sample.
SAMPLE_HEADROOM = (1.05, 1.45)


def sample_budgets(tenant: Tenant, chargeback_frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Believable budgets for a sample tenant: one round monthly amount per department and year.

    Finance sets a budget per fiscal (calendar) year: the department's median monthly spend of
    that year times its own seeded headroom factor (see :data:`SAMPLE_HEADROOM`), rounded up to
    a round step (100, 500, 1,000 or 5,000 depending on size), flat across the year's months.
    Tightly budgeted departments then cross 80% or 100% in their busy months; generous ones
    never do.
    """
    rng = np.random.default_rng(seed)
    spend = chargeback_frame.groupby(["department", "period"])["total_cost"].sum()
    rows = []
    departments = sorted(set(tenant.departments.values()) & set(spend.index.get_level_values(0)))
    for department in departments:
        monthly = spend.loc[department]
        headroom = rng.uniform(*SAMPLE_HEADROOM)
        years = pd.PeriodIndex(monthly.index).year
        for _, year_spend in monthly.groupby(years):
            amount = _round_up(float(year_spend.median()) * headroom)
            rows += [(department, period, amount) for period in year_spend.index]
    frame = pd.DataFrame(rows, columns=BUDGET_COLUMNS)
    frame["department"] = frame["department"].astype("str")
    frame["amount"] = frame["amount"].astype("float64")
    return frame.sort_values(["period", "department"], ignore_index=True)


def _round_up(amount: float) -> float:
    steps = ((1_000, 100), (10_000, 500), (100_000, 1_000))
    step = next((s for limit, s in steps if amount < limit), 5_000)
    return float(max(step, np.ceil(amount / step) * step))


def write_sample(directory: str | Path | None = None, seed: int = SEED) -> Path:
    """Generate the sample tenant into ``directory`` (default: the bundled sample's folder);
    the same seed writes the same bytes.

    The raw pages come first: the agent usage of the months they cover is measured from them
    (what ``multisub measure`` makes of them), so the pages and ``usage.csv`` agree by
    construction.
    """
    directory = Path(directory) if directory is not None else sample_dir()
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    tenant = sample_tenant()
    save_tenant(tenant, directory / "tenant.yaml")
    users = sample_users(tenant, rng)
    users["webex_agent_id"] = person_ids(users["user_id"], seed)
    users.to_csv(directory / "users.csv", index=False)
    usage = sample_usage(tenant, users, rng)
    usage["quantity"] = usage["quantity"].astype(int)
    sessions = sample_sessions(users, SESSIONS_START, USAGE_END, seed, tenant.timezone)
    pulled = _licensed(sessions, users, tenant)
    raw = directory / RAW
    _write_pages(raw / "agentSession", sample_agent_session_pages(
        pulled.assign(user_id=pulled["user_id"].map(agent_ids(users))), seed,
        tenant.timezone))
    _write_pages(raw / "contactAIAgentSession",
                 sample_ai_agent_pages(usage, seed, tenant.timezone))
    _write_webex_export(raw, *sample_webex_export(tenant, users))
    usage = _with_measured_agents(usage, raw / "agentSession", tenant, directory)
    usage.to_csv(directory / "usage.csv", index=False)
    for column in ("login", "logout"):  # local wall time, as Webex reports show it
        sessions[column] = sessions[column].dt.strftime("%Y-%m-%dT%H:%M:%S")
    sessions.to_csv(directory / "sessions.csv", index=False)
    _sample_budgets(directory, seed).to_csv(directory / "budgets.csv", index=False)
    sample_ai_agents().to_csv(directory / "ai_agents.csv", index=False)
    write_sample_invoice(directory)
    return directory


def sample_ai_agents() -> pd.DataFrame:
    """The AI agent table (``ai_agents.csv``) of the two AI agents of the sample's AI Agent
    session pages: the claims bot runs on the Claims subscription; the general assistant is
    the tenant's, pooled pro rata (an empty ``subscription_id``, M5)."""
    return pd.DataFrame({"agent_id": ["ai-assist", "ai-claims"],
                         "name": ["General assistant", "Claims assistant"],
                         "subscription_id": ["", "Sub-1003"]})


def write_portfolio(directory: str | Path, tenants: int = 20, seed: int = SEED) -> Path:
    """A synthetic portfolio for :mod:`toolkit.portfolio`: ``tenants`` variants of the sample
    tenant in subfolders ``tenant-001``, ``tenant-002``, …, seeded and of varied sizes.

    Each variant has its own name, its own random usage, a usage level between 70% and 130%
    of the sample's (so some run into overage and some do not) and a history of 6 to 34
    months, and a random share of the users the sample leaves on its expired subscription
    (:func:`_partly_tidied`), so provisioning errors differ; every fifth is billed in USD, so a
    roll-up must keep currencies apart. Variants carry no budgets, raw pages or sessions: the
    portfolio needs only what allocation reads.
    The same seed writes the same bytes.
    """
    directory = Path(directory)
    base = sample_tenant()
    for number in range(1, tenants + 1):
        rng = np.random.default_rng([seed, number])
        tenant = dataclasses.replace(base, name=f"Portfolio tenant {number:03d}",
                                     currency="USD" if number % 5 == 0 else base.currency)
        folder = directory / f"tenant-{number:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        save_tenant(tenant, folder / "tenant.yaml")
        users = _partly_tidied(sample_users(tenant, rng), tenant, rng)
        users.to_csv(folder / "users.csv", index=False)
        usage = sample_usage(tenant, users, rng)
        months = int(rng.integers(6, 35))
        first = (pd.Period(USAGE_END, freq="M") - months).start_time.strftime("%Y-%m-%d")
        usage = usage[usage["timestamp"] >= first].reset_index(drop=True)
        level = rng.uniform(0.7, 1.3)
        usage["quantity"] = np.maximum(np.round(usage["quantity"] * level), 1).astype(int)
        usage.to_csv(folder / "usage.csv", index=False)
    return directory
def _partly_tidied(users: pd.DataFrame, tenant: Tenant,
                   rng: np.random.Generator) -> pd.DataFrame:
    """``users`` with a random share of the rows left on an expired subscription moved back to
    the subscription the same user holds another license on. Partners' tenants are tidier or
    messier than the sample, so provisioning errors differ from tenant to tenant and a ranking
    by access at risk tells them apart; rows with nowhere to go stay as they are."""
    expired = {sub.id for sub in tenant.subscriptions
               if max(term.end for term in sub.terms) <= AS_OF}
    stranded = users["subscription_id"].isin(expired)
    home = users[~stranded & users["subscription_id"].notna()].drop_duplicates(
        "user_id").set_index("user_id")["subscription_id"]
    moved = stranded & users["user_id"].isin(home.index) & (
        rng.uniform(size=len(users)) < rng.uniform())
    tidied = users.copy()
    tidied.loc[moved, "subscription_id"] = users.loc[moved, "user_id"].map(home)
    return tidied


def _licensed(sessions: pd.DataFrame, users: pd.DataFrame, tenant: Tenant) -> pd.DataFrame:
    """The sessions Webex records: those of agents whose subscription is active on the day
    they log in. An agent left mapped to an expired subscription (u9002 on Operations) has
    no license to log in with; ``sessions.csv`` (typed by hand) still holds such sessions,
    the story its allocation refuses with a reason."""
    agents = users[users["license"].isin(AGENT_TYPES)]
    subs = agents.groupby("user_id")["subscription_id"].agg(lambda s: sorted(set(s.dropna())))
    days = sessions["login"].dt.date
    keep = [any(tenant.subscription(sub).active_on(day) for sub in subs.get(user, []))
            for user, day in zip(sessions["user_id"], days, strict=True)]
    return sessions[np.array(keep, dtype=bool)].reset_index(drop=True)


# --- the Webex side of the sample: person ids, /v1/licenses, /v1/people --------------------

#: The Webex license name the sample's export gives each usage type (Control Hub's wording).
SAMPLE_LICENSE_NAMES = {
    "cc_standard_agent": "Contact Center Standard Agent",
    "cc_premium_agent": "Contact Center Premium Agent",
    "ivr_port": "Contact Center IVR Ports",
    "ai_agent": "Webex AI Agent",
    "ai_assistant": "Webex AI Assistant for Contact Center",
    "ivr_outbound_campaign": "Contact Center IVR Outbound Campaign",
    "webex_connect": "Webex Connect",
    "wfo": "Webex Workforce Optimization",
}
PEOPLE_PAGE = 100  # /v1/people pages of the sample export


def _webex_id(kind: str, key: str) -> str:
    """A Webex REST id: unpadded base64 of ``ciscospark://us/<KIND>/<key>``."""
    return base64.b64encode(f"ciscospark://us/{kind}/{key}".encode()).decode().rstrip("=")


def _person_uuids(user_ids: pd.Series, seed: int) -> dict[str, str]:
    rng = np.random.default_rng(seed + 3)
    return {user: _uuid(rng) for user in sorted(pd.unique(user_ids.dropna()))}


def person_ids(user_ids: pd.Series, seed: int = SEED) -> pd.Series:
    """Each user's Webex person id (``/v1/people`` ``id``), stable for the seed."""
    uuids = _person_uuids(user_ids, seed)
    return user_ids.map(lambda u: _webex_id("PEOPLE", uuids[u]))


def agent_ids(users: pd.DataFrame) -> dict[str, str]:
    """user_id → Contact Center ``agentId``: the UUID inside the person id, as Webex has it."""
    pairs = users[["user_id", "webex_agent_id"]].drop_duplicates()
    return {u: base64.b64decode(p + "=" * (-len(p) % 4)).decode().rsplit("/", 1)[-1]
            for u, p in zip(pairs["user_id"], pairs["webex_agent_id"], strict=True)}


def sample_webex_export(tenant: Tenant, users: pd.DataFrame) -> tuple[dict, list[dict]]:
    """The ``GET /v1/licenses`` response and ``GET /v1/people`` pages of the sample.

    One license per subscription and usage type that a line or a user holds, with
    ``totalUnits`` the line's quantity on :data:`AS_OF` (0 when none is in effect) and
    ``consumedUnits`` the users holding it; one person per user, in the OpenAPI examples'
    shapes (``emails``, ``displayName``, ``department``, ``licenses`` ids, ``roles`` for
    admins).
    """
    held = users.dropna(subset=["license", "subscription_id"])
    pairs = {(sub.id, line.usage_type) for sub in tenant.subscriptions for line in sub.lines}
    pairs |= set(zip(held["subscription_id"], held["license"], strict=True))
    license_id = {pair: _webex_id("LICENSE", f"{pair[0]}:{pair[1]}") for pair in pairs}
    items = []
    for sub_id, usage_type in sorted(pairs):
        sub = tenant.subscription(sub_id)
        total = sum(line.quantity for line in sub.lines
                    if line.usage_type == usage_type and line.active_on(AS_OF))
        consumed = int(((held["subscription_id"] == sub_id)
                        & (held["license"] == usage_type)).sum())
        items.append({"id": license_id[(sub_id, usage_type)],
                      "name": SAMPLE_LICENSE_NAMES[usage_type], "totalUnits": int(total),
                      "consumedUnits": consumed, "consumedByUsers": consumed,
                      "consumedByWorkspaces": 0, "subscriptionId": sub_id,
                      "siteUrl": "aurora-assicurazioni.webex.com",
                      "siteType": "Control Hub managed site"})
    people = []
    for user_id, rows in users.groupby("user_id", sort=True):
        first = rows.iloc[0]
        mine = rows.dropna(subset=["license", "subscription_id"])
        person = {"id": first["webex_agent_id"], "emails": [first["email"]],
                  "displayName": f"Agent {user_id[1:]}" if first["role"] == "agent"
                  else f"{str(first['role']).title()} {user_id[1:]}",
                  "department": first["department"],
                  "licenses": [license_id[(s, t)] for s, t in
                               zip(mine["subscription_id"], mine["license"], strict=True)],
                  "type": "person", "status": "active"}
        if first["role"] == "admin":
            person["roles"] = [_webex_id("ROLE", "id_full_admin")]
        people.append(person)
    pages = [{"items": people[i:i + PEOPLE_PAGE], "notFoundIds": []}
             for i in range(0, len(people), PEOPLE_PAGE)]
    return {"items": items}, pages


def _write_webex_export(raw: Path, licenses: dict, people: list[dict]) -> None:
    for name, pages in (("licenses", [licenses]), ("people", people)):
        folder = raw / name
        if folder.exists():
            for old in folder.iterdir():
                old.unlink()
        folder.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(pages, start=1):
            (folder / f"page-{number:04d}.json").write_text(
                json.dumps(page, separators=(",", ":")) + "\n", encoding="utf-8")


#: The agent usage types the raw pages measure (the sessions' licenses).
AGENT_TYPES = ("cc_standard_agent", "cc_premium_agent")


def _with_measured_agents(usage: pd.DataFrame, pages: Path, tenant: Tenant,
                          directory: Path) -> pd.DataFrame:
    """``usage`` with the agent rows of the months the pages cover replaced by what the
    pages measure (``multisub measure PAGES --users users.csv --tenant DIR``)."""
    from toolkit.inputs.users import load_users
    from toolkit.inputs.webex.agents import match_agents
    from toolkit.inputs.webex.search import load_agent_sessions
    from toolkit.metering import measure_sessions

    users = load_users(directory / "users.csv", tenant)
    imported = match_agents(load_agent_sessions(pages, metering=tenant.metering), users)
    measured = measure_sessions(imported.sessions, users, timezone=tenant.timezone,
                                metering=tenant.metering)
    months = pd.unique(measured["timestamp"].dt.strftime("%Y-%m"))
    measured = pd.DataFrame({
        "timestamp": measured["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S"),
        "usage_type": measured["usage_type"], "quantity": measured["quantity"].astype(int),
        "subscription_id": measured["subscription_id"], "user_id": None})
    covered = usage["usage_type"].isin(AGENT_TYPES) & usage["timestamp"].str[:7].isin(months)
    both = pd.concat([usage[~covered], measured], ignore_index=True)
    both = both.sort_values(["timestamp", "usage_type", "subscription_id", "user_id"],
                            kind="stable", ignore_index=True)
    return both[["timestamp", "usage_type", "quantity", "subscription_id", "user_id"]]


#: Raw Search API pages of the sample: what ``multisub pull`` would have saved when run at
#: PULL_TO (local time) for October 2026. Agent sessions cover the whole pull; AI Agent
#: sessions (a thousand a day) only its last two days, to keep ``data/`` small.
RAW = "raw"
PULL_FROM = "2026-10-01T00:00:00"
PULL_TO = "2026-10-31T06:15:00"  # a Saturday morning: a few night-shift agents still in
AI_FROM = "2026-10-29T00:00:00"
STALE_DAY = "2026-10-05"  # the first session that day never got its logout recorded
PAGE_SIZE = 250  # the Search API's fixed page size for agentSession


def sample_agent_session_pages(sessions: pd.DataFrame, seed: int,
                               timezone: str) -> tuple[dict, list[dict]]:
    """Search API ``agentSession`` pages of the sample sessions that began in the pull window.

    Sessions still logged in at PULL_TO are active (``isActive`` true, ``endTime`` −1), as
    are the first session of STALE_DAY (a lost logout: "active" for weeks, the case the
    max_session cut exists for). Records are ordered by session id, as the API pages them.
    """
    start, end = (pd.Timestamp(t, tz=timezone) for t in (PULL_FROM, PULL_TO))
    taken = sessions[(sessions["login"] >= start) & (sessions["login"] < end)]
    rng = np.random.default_rng(seed + 1)
    ids = [_uuid(rng) for _ in range(len(taken))]
    active = (taken["logout"] > end).to_numpy().copy()
    stale = np.flatnonzero((taken["login"].dt.strftime("%Y-%m-%d") == STALE_DAY).to_numpy())
    active[stale[0]] = True
    records = [
        {"agentSessionId": subscription_id, "agentId": user, "startTime": _ms(login),
         "endTime": -1 if is_active else _ms(logout), "isActive": bool(is_active)}
        for subscription_id, user, login, logout, is_active in zip(
            ids, taken["user_id"], taken["login"], taken["logout"], active, strict=True)
    ]
    records.sort(key=lambda r: r["agentSessionId"])
    return _window(start, end), _paged(records, "agentSession", "agentSessions")


def sample_ai_agent_pages(usage: pd.DataFrame, seed: int,
                          timezone: str) -> tuple[dict, list[dict]]:
    """Contact AI Agent Session pages: each day's ``ai_agent`` quantity of the sample's
    usage as that many sessions spread over the day (so the pages add up to the usage)."""
    start, end = (pd.Timestamp(t, tz=timezone) for t in (AI_FROM, PULL_TO))
    rows = usage[usage["usage_type"] == "ai_agent"]
    stamps = pd.to_datetime(rows["timestamp"]).dt.tz_localize(timezone)
    rows = rows[(stamps >= start) & (stamps < end)]
    rng = np.random.default_rng(seed + 2)
    records = []
    for stamp, quantity in zip(pd.to_datetime(rows["timestamp"]), rows["quantity"], strict=True):
        midnight = pd.Timestamp(stamp.date(), tz=timezone)
        offsets = np.sort(rng.integers(7 * 3600, 21 * 3600, int(quantity))) * 1000
        lengths = rng.integers(30, 600, int(quantity))
        kinds = rng.random(int(quantity)) < 0.7
        for offset, seconds, scripted in zip(offsets, lengths, kinds, strict=True):
            begin = _ms(midnight) + int(offset)
            records.append({
                "sessionId": _uuid(rng), "interactionId": _uuid(rng),
                "agentId": "ai-claims" if scripted else "ai-assist",
                "agentType": "Scripted" if scripted else "Autonomous",
                "channelType": "Voice", "sessionStartTime": begin,
                "sessionEndTime": begin + int(seconds) * 1000, "duration": int(seconds),
                "interactionOutcome": "HANDLED"})
    records.sort(key=lambda r: r["sessionId"])
    return _window(start, end), _paged(records, "contactAIAgentSession",
                                       "contactAIAgentSessions")


def _uuid(rng: np.random.Generator) -> str:
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def _ms(stamp: pd.Timestamp) -> int:
    return int((stamp - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1))


def _window(start: pd.Timestamp, end: pd.Timestamp) -> dict:
    """The bookkeeping a pull leaves beside its pages (the loaders read ``to`` as the
    extraction time, M3a)."""
    iso = [t.tz_convert("UTC").isoformat().replace("+00:00", "Z") for t in (start, end)]
    return {"from": iso[0], "to": iso[1], "complete": True}


def _paged(records: list[dict], query: str, listing: str) -> list[dict]:
    chunks = [records[i:i + PAGE_SIZE] for i in range(0, len(records), PAGE_SIZE)] or [[]]
    return [{"data": {query: {listing: chunk, "pageInfo": {
        "hasNextPage": i + 1 < len(chunks),
        "endCursor": chunk[-1][next(iter(chunk[-1]))] if i + 1 < len(chunks) else None}}}}
        for i, chunk in enumerate(chunks)]


def _write_pages(folder: Path, window_and_pages: tuple[dict, list[dict]]) -> None:
    window, pages = window_and_pages
    if folder.exists():
        for old in folder.iterdir():
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(pages, start=1):
        (folder / f"page-{number:04d}.json").write_text(
            json.dumps(page, separators=(",", ":")) + "\n", encoding="utf-8")
    (folder / PULL_STATE).write_text(json.dumps(window, indent=1) + "\n", encoding="utf-8")


def _sample_budgets(directory: Path, seed: int) -> pd.DataFrame:
    """Budgets set from what the written sample costs, read back as any analyst would."""
    from toolkit.workspace import Workspace

    data = Workspace.open(directory)
    return sample_budgets(data.tenant, data.billed, seed)


INVOICE_FILE = "invoice.csv"
INVOICE_PERIODS = ("2026-09", "2026-10")
#: The sample invoice's deliberate discrepancies, one per cause of the invoice check (T2):
#: (cause, period, subscription, usage type, charge) → what the invoice says instead. A
#: ``None`` change drops the line; ``moved_to`` bills the line to another subscription.
INVOICE_DISCREPANCIES = (
    ("quantity", "2026-10", "Sub-1001", "cc_premium_agent", "overage", {"quantity": 4}),
    ("owner", "2026-09", "Sub-1001", "ivr_port", "overage", {"moved_to": "Sub-1003"}),
    ("price", "2026-10", "Sub-1003", "ivr_port", "committed", {"unit_price": 39.0}),
    ("proration", "2026-09", "Sub-1002", "cc_standard_agent", "committed", {"quantity": 28}),
    ("missing_on_invoice", "2026-10", "Sub-1001", "webex_connect", "overage", None),
    ("rounding", "2026-09", "Sub-1003", "webex_connect", "committed", {"cents": 1}),
)
#: A line the invoice has and the tenant file does not (``missing_in_tenant``): WFO on Sub-1001.
INVOICE_EXTRA = ("2026-10", "Sub-1001", "wfo", "committed", 10.0, 42.0)


def sample_invoice(costs_table: pd.DataFrame, currency: str) -> pd.DataFrame:
    """A Cisco-style invoice of :data:`INVOICE_PERIODS` from the sample's computed costs, with
    the discrepancies of :data:`INVOICE_DISCREPANCIES` and :data:`INVOICE_EXTRA` (documented
    in docs/traceability.md), in the SKU spelling of the default SKU table."""
    from toolkit.inputs.invoice import DEFAULT_SKUS

    sku_of = {usage_type: sku for sku, usage_type in DEFAULT_SKUS.items()}
    table = costs_table[costs_table["period"].astype(str).isin(INVOICE_PERIODS)]
    lines = []
    for row in table.itertuples(index=False):
        lines.append([str(row.period), row.subscription_id, row.usage_type, "committed",
                      row.entitlement, row.unit_price])
        if row.overage > 0:
            lines.append([str(row.period), row.subscription_id, row.usage_type, "overage",
                          row.overage, row.overage_price])
    frame = pd.DataFrame(lines, columns=["period", "subscription_id", "usage_type", "charge",
                                         "quantity", "unit_price"])
    frame["cents"] = 0
    frame["quantity"] = frame["quantity"].astype(float)
    frame["unit_price"] = frame["unit_price"].astype(float)
    for _cause, *key, change in INVOICE_DISCREPANCIES:
        at = (frame[["period", "subscription_id", "usage_type", "charge"]] == key).all(axis=1)
        if change is None:
            frame = frame[~at]
            continue
        for column, value in change.items():
            frame.loc[at, {"moved_to": "subscription_id"}.get(column, column)] = value
    extra = pd.DataFrame([[*INVOICE_EXTRA, 0]], columns=frame.columns)
    frame = pd.concat([frame, extra], ignore_index=True)
    frame["amount"] = (frame["quantity"] * frame["unit_price"]).round(2) \
        + frame.pop("cents") / 100
    frame = frame.sort_values(["period", "subscription_id", "usage_type", "charge"],
                              ignore_index=True, kind="stable")
    return _invoice_columns(frame, sku_of, currency)


def _invoice_columns(frame: pd.DataFrame, sku_of: dict, currency: str) -> pd.DataFrame:
    out = pd.DataFrame({
        "invoice_id": "INV-" + frame["period"].str.replace("-", ""),
        "line_id": [f"{n:03d}" for n in range(1, len(frame) + 1)],
        "period": frame["period"], "subscription_id": frame["subscription_id"],
        "sku": frame["usage_type"].map(sku_of), "charge": frame["charge"],
        "quantity": frame["quantity"], "unit_price": frame["unit_price"],
        "amount": frame["amount"].map(lambda value: f"{value:.2f}"), "currency": currency})
    return out


def write_sample_invoice(directory: str | Path | None = None) -> Path:
    """Write :func:`sample_invoice` of the tenant in ``directory`` (default: the bundled
    sample) to its ``invoice.csv``, atomically."""
    from toolkit.present.export import write_table
    from toolkit.workspace import Workspace

    directory = Path(directory) if directory is not None else sample_dir()
    data = Workspace.open(directory)
    return write_table(sample_invoice(data.priced, data.currency), directory / INVOICE_FILE)


if __name__ == "__main__":
    # python -m toolkit.sample [DIR]                      the bundled sample (or into DIR)
    # python -m toolkit.sample --portfolio N DIR          a synthetic portfolio of N tenants
    if sys.argv[1:2] == ["--portfolio"] and len(sys.argv) == 4:
        print(write_portfolio(sys.argv[3], int(sys.argv[2])))
    else:
        print(write_sample(sys.argv[1] if len(sys.argv) > 1 else None))
