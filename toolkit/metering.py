"""Metering: the usage that agent sessions imply (M3, M4).

Analysts rarely have measured agent usage; they have login/logout records. This module turns
those into the ``usage.csv`` shape that :func:`toolkit.allocate` takes:

* ``concurrent`` licenses: per interval (default 15 minutes, starting at local midnight) the
  maximum, over the instants of the interval, of the number of *distinct* users logged in.
  Sessions are half-open ``[login, logout)``; a user with overlapping sessions (two
  browsers, a re-login before the old session timed out) counts once.
* ``named`` licenses: one row per user per local day on which the user was logged in, with
  ``user_id`` set, for ``distinct`` measures.

"Local" is the ``timezone`` argument (the tenant's, in ``multisub measure --tenant``), or
else the zone the ``login`` column is stored in (UTC for naive times): the same instants
stored as UTC or as New York time fall on different days.

**Split per subscription, so that parts add up (M4).** Allocation splits a ``peak`` measure by
each subscription's samples at the instant where the tenant-wide total peaks, summing the
samples that share a timestamp. So each interval row of a subscription is *not* that
subscription's own maximum in the interval (the maxima of the parts can occur at different
instants and would add up to more than the tenant's peak): it is the subscription's
concurrency at the instant where the tenant-wide concurrency of that agent type peaks in the
interval (the earliest such instant on ties). The rows of one interval therefore add up
exactly to the tenant's interval peak, and allocation's coincident peak stays exact.

Each user counts toward the subscription they are mapped to at that instant
(:func:`toolkit.mapping.subscriptions_of_users`, with the optional ``start``/``end`` mapping
columns), under the agent license type they hold at that instant (Premium wins when both
are held, as Webex applies it). Users not in the users table, or mapped to nothing, are
counted with an empty ``subscription_id``: allocation then attributes them pro rata (M5),
nothing is dropped.

The work is a sweep over sorted instants in numpy, not a loop over sessions: sessions are
merged per user (one sort by user and login), then the concurrency at every login instant is
``#logins <= t - #logouts <= t`` from two sorted arrays, and each interval's maximum is a
segmented reduction.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.findings import findings_frame
from toolkit.frames import (
    USAGE_COLUMNS,
    USAGE_OPTIONAL,
    checked_sessions,
    checked_users,
    micros,
)
from toolkit.mapping import active_user_rows, subscriptions_of_users
from toolkit.periods import local_days, local_midnights
from toolkit.policy import (
    AGENT_LICENSES,
    DEFAULT_AGENT_TYPE,
    LICENSE_MODELS,
    Metering,
    duration,
)

_LIMIT = 2**62  # packed sort keys must stay below this to fit int64
def cut_long_sessions(sessions: pd.DataFrame, max_session: str = "24h"
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sessions longer than ``max_session`` cut at login + ``max_session``, and a finding each.

    Real exports hold sessions "active" for months (a logout that was never recorded) and
    typed files hold logouts in 9999: trusting them would count an agent around the clock,
    and sweeping them interval by interval would exhaust memory. Such a session still counts
    up to the cut (M3a): never silently trusted, never silently dropped. The finding names the
    agent and, when the frame has one, the session id.
    """
    limit = duration(max_session, "max_session")
    length = sessions["logout"] - sessions["login"]
    long = (length > limit).fillna(False).to_numpy()
    if not long.any():
        return sessions, findings_frame([])
    cut = sessions.copy()
    cut.loc[long, "logout"] = cut.loc[long, "login"] + limit
    chosen = sessions[long]
    ids = "login " + chosen["login"].astype("str")
    if "session_id" in chosen.columns:
        ids = chosen["session_id"].astype("object").where(chosen["session_id"].notna(), ids)
    opened = chosen["open"] if "open" in chosen.columns else pd.Series(False, index=chosen.index)
    rows = [
        ("session-cut", "warning", f"{user} / {ident}",
         f"{'still active' if was_open else 'logged in'} for {_days_hours(span)} "
         f"from {login:%Y-%m-%d %H:%M %Z}: longer than max_session {max_session}, "
         f"counted up to login + {max_session} only")
        for user, ident, span, login, was_open in zip(
            chosen["user_id"], ids, length[long], chosen["login"], opened, strict=True)
    ]
    return cut, findings_frame(rows)


def _days_hours(span: pd.Timedelta) -> str:
    hours = span / pd.Timedelta(hours=1)
    return f"{hours / 24:,.1f} days" if hours >= 48 else f"{hours:,.1f} hours"




def measure_sessions(sessions: pd.DataFrame, users: pd.DataFrame | None = None, *,
                     interval: str | None = None, license_model: str = "concurrent",
                     timezone: str | None = None, min_duration: str | None = None,
                     max_session: str | None = None,
                     metering: Metering | None = None) -> pd.DataFrame:
    """Usage rows (the ``usage.csv`` shape) measured from agent sessions (M3).

    The usage of :func:`sample_sessions` (same arguments), which also says who was counted.

    ``interval`` is a fixed duration (``"15min"``, ``"1h"``) for ``concurrent``; ``named``
    counts per local day. See the module docstring for the rules. ``interval``,
    ``min_duration`` and ``max_session`` default to ``metering`` (the tenant's policy,
    :class:`toolkit.policy.Metering`; its defaults without one): with ``min_duration`` > 0 a
    concurrency level counts only when held at least that long; a session longer than
    ``max_session`` counts up to login + ``max_session`` only (with a warning; the loaders
    report each such session as a finding, see :func:`cut_long_sessions`).

    ``timezone`` is where intervals and days begin; pass the tenant's (``tenant.timezone``),
    because a named license's "day" and a billing month are the tenant's. ``None`` keeps the
    zone the ``login`` timestamps are stored in, and UTC when they are naive: the same
    instants stored as UTC are then cut into UTC days. Naive times (and strings without an
    offset), in the sessions and in the users' ``start``/``end``, are local time in the
    zone used.

    Parameters
    ----------
    sessions : DataFrame
        The ``sessions.csv`` shape: ``user_id, login, logout``.
    users : DataFrame, optional
        The ``users.csv`` shape; without it every row is unmapped (``subscription_id`` null).
    interval, min_duration, max_session : str, optional
        Durations (``"15min"``, ``"0min"``, ``"12h"``); one policy, passed either way:
        ``metering`` is the preferred one, these override its fields.
    license_model : str
        ``"concurrent"`` (peak users per interval) or ``"named"`` (users active per day).
    timezone : str, optional
        IANA zone in which intervals and days begin.
    metering : Metering, optional
        The tenant's metering policy (:class:`toolkit.policy.Metering`).

    Returns
    -------
    DataFrame
        The ``usage.csv`` shape: ``timestamp`` (the interval's or day's start, tz-aware),
        ``usage_type``, ``quantity`` (agents), ``subscription_id``.
    """
    return sample_sessions(sessions, users, interval=interval, license_model=license_model,
                           timezone=timezone, min_duration=min_duration,
                           max_session=max_session, metering=metering).usage


@dataclass
class Sampled:
    """What sampling sessions found: the usage rows and, when kept, who made each of them.

    ``usage`` is :func:`measure_sessions`' result. With ``keep=True`` the sampling also keeps
    what T1 (:mod:`toolkit.peaks`) needs to name the people behind a row: ``pieces`` (each
    user's merged, mapping-cut stretches of presence, with their type and subscription),
    ``instants`` (per usage type, the interval starts with a value and the instant at which
    each was sampled, µs UTC) and the counted sessions (``login``/``logout`` µs after the
    max_session cut, ``user`` codes into ``pieces.user_ids``, in the input's row order).
    """

    usage: pd.DataFrame
    timezone: str
    pieces: _Pieces | None = None
    instants: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    login: np.ndarray | None = None
    logout: np.ndarray | None = None
    user: np.ndarray | None = None

    def counted_at(self, usage_type: str, instant: int) -> np.ndarray:
        """Positions of the pieces counted for ``usage_type`` at ``instant`` (µs UTC).

        The one home of "who is counted at t": a user is counted when one of their pieces of
        the type holds ``start <= t < end`` (sessions are half-open; pieces of one user are
        disjoint, so a user counts once). :func:`_counts_at` counts exactly these, per
        subscription, with sorted arrays instead of a mask.
        """
        pieces = self.pieces
        if pieces is None or usage_type not in pieces.types:
            return np.empty(0, dtype=np.int64)
        code = pieces.types.index(usage_type)
        return np.flatnonzero((pieces.type_code == code) & (pieces.start <= instant)
                              & (pieces.end > instant))


def sample_sessions(sessions: pd.DataFrame, users: pd.DataFrame | None = None, *,
                    interval: str | None = None, license_model: str = "concurrent",
                    timezone: str | None = None, min_duration: str | None = None,
                    max_session: str | None = None, metering: Metering | None = None,
                    keep: bool = False) -> Sampled:
    """The sampling behind :func:`measure_sessions` (same arguments), shared with T1.

    ``keep=False`` is measure_sessions' path: each big array is dropped (or sorted in place)
    as soon as it is used. ``keep=True`` keeps who was where (:class:`Sampled`), at the cost
    of one copy of the pieces' bounds, so that :func:`toolkit.peaks.peak_contributors` names
    the users behind each sample from the very same pieces and instants, never a recount.
    """
    if license_model not in LICENSE_MODELS:
        raise ValueError(f"license_model must be one of {', '.join(LICENSE_MODELS)}, "
                         f"not {license_model!r}")
    policy = Metering(interval=interval or (metering or Metering()).interval,
                      min_duration=min_duration or (metering or Metering()).min_duration,
                      max_session=max_session or (metering or Metering()).max_session)
    interval = policy.interval
    step = _step(interval)
    hold = int(duration(policy.min_duration, "min_duration") / pd.Timedelta(microseconds=1))
    frame, timezone = checked_sessions(sessions, timezone)
    frame = _cut_with_warning(frame, policy.max_session)
    if users is not None:
        users = checked_users(users, timezone)
    if frame.empty:
        return Sampled(_usage_frame({}, timezone), timezone)
    codes, user_ids = pd.factorize(frame["user_id"])
    user = codes.astype(_narrow(len(user_ids)))
    del codes  # 8 bytes a session; the narrow copy is all the sweep needs
    # one expression, so that no local keeps the merged stretches alive past _attribute
    pieces = _attribute(*_merge_per_user(micros(frame["login"]), micros(frame["logout"]), user),
                        np.asarray(user_ids, dtype=object), users, timezone)
    kept = Sampled(_usage_frame({}, timezone), timezone, pieces, {}, micros(frame["login"]),
                   micros(frame["logout"]), user) if keep else None
    del frame, user
    if license_model == "named":
        usage = _named(pieces, timezone)
    else:
        usage = _concurrency(pieces, interval, step, timezone, hold,
                             None if kept is None else kept.instants)
    if kept is None:
        return Sampled(usage, timezone)
    kept.usage = usage
    return kept


def _cut_with_warning(frame: pd.DataFrame, max_session: str) -> pd.DataFrame:
    limit = duration(max_session, "max_session") // pd.Timedelta(microseconds=1)
    if not _any_longer(micros(frame["login"]), micros(frame["logout"]), limit):
        return frame  # the common case, without building a findings frame
    cut, findings = cut_long_sessions(frame, max_session)
    if len(findings):
        warnings.warn(f"{len(findings)} session(s) longer than max_session {max_session} "
                      f"counted up to login + {max_session} only (e.g. "
                      f"{findings['subject'].iloc[0]})", stacklevel=3)
    return cut


def _any_longer(login: np.ndarray, logout: np.ndarray, limit: int,
                chunk: int = 1 << 20) -> bool:
    """Whether some ``logout - login`` exceeds ``limit`` µs, a chunk at a time: the
    lengths of all sessions at once would be a fresh 8 bytes a session for one answer."""
    return any(bool(np.any(logout[i:i + chunk] - login[i:i + chunk] > limit))
               for i in range(0, len(login), chunk))


# --- input -------------------------------------------------------------------------------

def _step(interval: str) -> int:
    try:
        step = pd.Timedelta(interval)
    except ValueError:
        raise ValueError(f"interval must be a fixed duration such as '15min' or '1h', "
                         f"not {interval!r}") from None
    if step <= pd.Timedelta(0):
        raise ValueError(f"interval must be positive, not {interval!r}")
    return int(step / pd.Timedelta(microseconds=1))


def _narrow(n: int) -> type[np.signedinteger]:
    """The narrowest signed integer type that holds the codes 0..n-1 (and -1).

    Codes of users, types and subscriptions repeat once per session: at 10 million sessions
    each byte saved a code is 10 MB less to allocate and to touch.
    """
    for dtype in (np.int8, np.int16, np.int32):
        if n <= np.iinfo(dtype).max:
            return dtype
    return np.int64


# --- one user counts once --------------------------------------------------------------

def _merge_per_user(login: np.ndarray, logout: np.ndarray, user: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each user's sessions merged into disjoint intervals (overlapping or touching).

    After this, counting intervals that cover an instant counts distinct users. Sorting by
    (user, login) then a running maximum of logouts per user finds where a new stretch
    begins. Returns ``start, end, who`` sorted by (user, start), ``who`` as int32.

    Memory is the limit at ten million sessions, so the sorted copies are worked in place
    and each big array is dropped as soon as it is used.
    """
    n_users = int(user.max()) + 1
    counts = np.bincount(user, minlength=n_users)
    order = _user_login_order(login, user, n_users)
    lo = login[order]
    hi = logout[order]
    del order
    user_first = (np.cumsum(counts) - counts)[counts > 0]
    _running_max_per_user(hi, counts)
    fresh = np.empty(len(lo), dtype=bool)
    np.greater(lo[1:], hi[:-1], out=fresh[1:])
    fresh[user_first] = True  # a user's first session always starts a stretch
    start = lo[fresh]
    del lo
    last = np.empty_like(fresh)  # a stretch ends where the next one starts
    last[:-1] = fresh[1:]
    last[-1] = True
    end = hi[last]
    del hi, last
    stretches = np.add.reduceat(fresh, user_first, dtype=np.int64)
    who = np.repeat(np.flatnonzero(counts).astype(np.int32), stretches)
    return start, end, who


def _running_max_per_user(hi: np.ndarray, counts: np.ndarray) -> None:
    """In place, the running maximum of ``hi`` within each user's block (``counts`` long).

    Each user's values are lifted above the previous user's, so one running maximum
    restarts at each user by itself; lifted back afterwards. When users × time span do not
    fit in int64 (centuries of sessions, many users), a grouped running maximum does it.
    """
    low = int(hi.min())
    span = int(hi.max()) - low + 1
    if len(counts) * span < _LIMIT:
        lift = np.repeat(np.arange(len(counts), dtype=np.int64) * span - low, counts)
        hi += lift
        np.maximum.accumulate(hi, out=hi)
        hi -= lift
        return
    user = np.repeat(np.arange(len(counts)), counts)
    hi[:] = pd.Series(hi).groupby(user).cummax().to_numpy()


def _user_login_order(login, user, n_users) -> np.ndarray:
    if n_users < 2**15 and bool(np.all(login[1:] >= login[:-1])):
        # Already in login order (as load_sessions returns it): a stable radix pass by user.
        return np.argsort(user.astype(np.int16, copy=False), kind="stable")
    origin = int(login.min())
    span = int(login.max()) - origin + 1
    if n_users * span < _LIMIT:
        key = user.astype(np.int64) * span
        key += login
        key -= origin
        return np.argsort(key)
    return np.lexsort((login, user))


# --- who and what at each instant --------------------------------------------------------

class _Pieces:
    """Disjoint-per-user stretches of presence, each with one agent type and subscription."""

    def __init__(self, start, end, who, type_code, sub_code, types, subs, user_ids):
        self.start, self.end, self.who = start, end, who
        self.type_code, self.sub_code = type_code, sub_code
        self.types, self.subs, self.user_ids = types, subs, user_ids


def _attribute(start, end, who, user_ids, users, timezone) -> _Pieces:
    """Cut stretches where a user's mapping changes, then give each piece a type and a sub.

    Pieces come sorted by segment (user, mapping stretch), so each segment is one run of
    pieces: one probe per run, and each piece's codes are its run's repeated (one byte or
    two a piece, no index arrays over all pieces).
    """
    cuts, cut_user = _mapping_changes(users, user_ids)
    start, end, who, segment = _cut(start, end, who, cuts, cut_user, len(user_ids))
    first = _run_starts(segment)
    del segment
    probe = pd.DataFrame({
        "user_id": user_ids[who[first]],
        "timestamp": pd.DatetimeIndex(start[first].astype("datetime64[us]"), tz="UTC")
        .tz_convert(timezone),
    })
    types, subs = _type_and_subscription(probe, users)
    type_names = list(AGENT_LICENSES)
    sub_names = sorted(pd.unique(subs[pd.notna(subs)]).tolist())
    type_code = pd.Categorical(types, categories=type_names).codes.astype(
        _narrow(len(type_names)))
    sub_code = pd.Categorical(subs, categories=sub_names).codes.astype(
        _narrow(len(sub_names) + 1))
    sub_code[sub_code < 0] = len(sub_names)  # not attributed to a subscription
    length = np.diff(first, append=len(start))
    return _Pieces(start, end, who, np.repeat(type_code, length), np.repeat(sub_code, length),
                   type_names, sub_names, user_ids)


def _run_starts(codes: np.ndarray) -> np.ndarray:
    """Where each run of equal values of the sorted ``codes`` begins."""
    change = np.empty(len(codes), dtype=bool)
    change[:1] = True
    np.not_equal(codes[1:], codes[:-1], out=change[1:])
    return np.flatnonzero(change)


def _mapping_changes(users, user_ids):
    """Instants (µs) at which some user's mapping starts or ends, with the user's code.

    ``users`` went through :func:`toolkit.frames.checked_users`: its bounds are tz-aware, read
    by the same rule :func:`toolkit.mapping.active_user_rows` applies when it probes them.
    """
    if users is None:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    parts = []
    for column in ("start", "end"):
        if users[column].notna().any():
            stamps = users[column]
            keep = stamps.notna().to_numpy()
            parts.append((users["user_id"].to_numpy(dtype=object)[keep],
                          micros(stamps[keep])))
    if not parts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    ids = np.concatenate([p[0] for p in parts])
    times = np.concatenate([p[1] for p in parts])
    code = pd.Index(user_ids).get_indexer(ids)
    keep = code >= 0
    order = np.lexsort((times[keep], code[keep]))
    times, code = times[keep][order], code[keep][order].astype(np.int64)
    # one row's end is often the next row's start: the same change, counted once
    new = np.ones(len(times), dtype=bool)
    new[1:] = (times[1:] != times[:-1]) | (code[1:] != code[:-1])
    return times[new], code[new]


def _cut(start, end, who, cuts, cut_user, n_users):
    """Split each stretch at the mapping changes of its user strictly inside it.

    Returns the pieces and, for each, a segment code (user, index of the mapping stretch)
    that is the same for every piece between the same two changes of the same user.
    """
    # A change at or before every login, or at or after every logout, splits nothing and
    # shifts all of a user's segment indices alike: dropping it keeps the packed keys of
    # _rank_within small (an open-ended mapping written as 9999-12-31 is common).
    inside = (cuts > start.min()) & (cuts < end.max())
    cuts, cut_user = cuts[inside], cut_user[inside]
    if len(cuts) == 0:
        return start, end, who, who
    who = who.astype(np.int64)  # packed into keys below
    per_user = np.bincount(cut_user, minlength=n_users)
    first_cut = np.concatenate([[0], np.cumsum(per_user)[:-1]])
    width = int(per_user.max()) + 1
    # position of the stretch's start and end among its user's changes
    lo = _rank_within(cuts, cut_user, first_cut, who, start, "right")
    hi = _rank_within(cuts, cut_user, first_cut, who, end, "left")
    inner = hi - lo
    count = inner + 1
    piece = np.repeat(np.arange(len(start)), count)
    j = np.arange(len(piece)) - np.repeat(np.cumsum(count) - count, count)
    owner = who[piece]
    index = lo[piece] + j  # change index (within the user) that ends this piece's stretch
    base = first_cut[owner]
    p_start = np.where(j == 0, start[piece], cuts[np.minimum(base + index - 1, len(cuts) - 1)])
    p_end = np.where(j == inner[piece], end[piece], cuts[np.minimum(base + index, len(cuts) - 1)])
    return p_start, p_end, owner, owner * width + index


def _rank_within(cuts, cut_user, first_cut, who, times, side):
    """For each (user, time), how many of the user's changes are before (or at) the time.

    Users are packed into the high part of the key, so one ``searchsorted`` over all
    changes answers for every user at once. When users × time span do not fit in int64
    (centuries of sessions, many users), one stable sort of changes and queries together
    by (user, time) counts the same thing.
    """
    origin = min(int(times.min()), int(cuts.min()))
    span = max(int(times.max()), int(cuts.max())) - origin + 1
    if (max(int(who.max()), int(cut_user.max())) + 1) * span < _LIMIT:
        keys = cut_user * span + (cuts - origin)
        found = np.searchsorted(keys, who * span + (times - origin), side=side)
        return found - first_cut[who]
    # side "right": a change at the same instant comes first (counted); "left": after
    query_first = 0 if side == "left" else 1
    kind = np.concatenate([np.full(len(cuts), 1 - query_first), np.full(len(times), query_first)])
    order = np.lexsort((kind, np.concatenate([cuts, times]), np.concatenate([cut_user, who])))
    is_cut = order < len(cuts)
    changes_before: np.ndarray = np.cumsum(is_cut) - is_cut
    found = np.empty(len(times), dtype=np.int64)
    found[order[~is_cut] - len(cuts)] = changes_before[~is_cut]
    return found - first_cut[who]


def _type_and_subscription(probe: pd.DataFrame, users) -> tuple[np.ndarray, np.ndarray]:
    """The agent type and subscription of each probe (user, instant)."""
    n = len(probe)
    if users is None:
        return np.full(n, DEFAULT_AGENT_TYPE, dtype=object), np.full(n, None, dtype=object)
    pairs = active_user_rows(users, probe)
    rank = pd.Index(list(AGENT_LICENSES), dtype="str").get_indexer(pairs["license"])
    held = pairs.assign(rank=rank)[rank >= 0].sort_values(["pos", "rank"], kind="stable")
    held = held.drop_duplicates("pos")
    types = np.full(n, DEFAULT_AGENT_TYPE, dtype=object)
    types[held["pos"].to_numpy()] = held["license"].to_numpy(dtype=object)
    subs, _ = subscriptions_of_users(users, probe.assign(usage_type=types))
    return types, subs.to_numpy(dtype=object, na_value=None)


# --- concurrent: the sweep ---------------------------------------------------------------

def _concurrency(pieces: _Pieces, interval: str, step: int, timezone: str,
                 hold: int = 0, instants: dict | None = None) -> pd.DataFrame:
    """Usage rows of the concurrent model; with ``instants`` (a dict to fill) the pieces are
    kept and each type's (interval starts, instants sampled) are recorded in it."""
    grid = _grid(int(pieces.start.min()), int(pieces.end.max()), interval, step, timezone)
    n_subs = len(pieces.subs) + 1
    if instants is None:  # the pieces' own instants become the sorted keys: no copy of either
        starts = _sorted_by(pieces.type_code, pieces.start, pieces.sub_code, n_subs)
        ends = _sorted_by(pieces.type_code, pieces.end, pieces.sub_code, n_subs)
        pieces.start = pieces.end = None  # consumed
    else:
        starts = _sorted_by(pieces.type_code, pieces.start.copy(), pieces.sub_code, n_subs)
        ends = _sorted_by(pieces.type_code, pieces.end.copy(), pieces.sub_code, n_subs)
    columns: dict[str, list] = {"timestamp": [], "usage_type": [], "quantity": [],
                                "subscription_id": []}
    sub_names = np.array([*pieces.subs, None], dtype=object)
    for t, name in enumerate(pieces.types):
        s_time, s_sub = starts.block(t)
        e_time, e_sub = ends.block(t)
        if len(s_time) == 0:
            continue
        if hold:
            value, instant = _held_interval_peaks(s_time, e_time, grid, hold)
        else:
            value, instant = _interval_peaks(s_time, e_time, grid)
        busy = np.flatnonzero(value > 0)
        if instants is not None:
            instants[name] = (grid[busy], instant[busy])
        order = np.argsort(instant[busy], kind="stable")  # the counting needs ascending instants
        shares = np.empty((len(busy), n_subs), dtype=np.int64)
        shares[order] = _counts_at(s_time, s_sub, e_time, e_sub, instant[busy][order], n_subs)
        k, s = np.nonzero(shares)
        columns["timestamp"].append(grid[busy][k])
        columns["usage_type"].append(np.full(len(k), name, dtype=object))
        columns["quantity"].append(shares[k, s].astype(np.float64))
        columns["subscription_id"].append(sub_names[s])
    return _usage_frame(columns, timezone)


def _grid(first: int, last: int, interval: str, step: int, timezone: str) -> np.ndarray:
    """Interval starts (µs, UTC) from the local midnight before ``first`` to past ``last``.

    An interval that divides a day starts wherever the local clock reads a multiple of it
    since midnight, so every day's intervals begin on its wall-clock grid, also across a
    daylight-saving change: a 23-hour day has 92 quarter hours and a 25-hour day 100 (the
    repeated hour's readings each start one), and ``24h`` is one interval per local day.
    A grid reading the clock skips (02:00 on a spring-forward night) starts its interval
    where the clock resumes. Other intervals step a fixed duration from the first midnight.
    """
    midnight = _local_midnight(first, timezone)
    if DAY_MICROS % step or step > DAY_MICROS:
        periods = (last - midnight) // step + 2
        return midnight + np.arange(periods, dtype=np.int64) * step
    naive_first = _wall_clock(midnight, timezone)
    naive_last = _wall_clock(last, timezone)
    days = (naive_last - naive_first) // DAY_MICROS + 2  # through the midnight after last
    readings = (naive_first + np.arange(days, dtype=np.int64)[:, None] * DAY_MICROS
                + np.arange(DAY_MICROS // step, dtype=np.int64) * step).ravel()
    readings = readings[:(days - 1) * (DAY_MICROS // step) + 1]
    wall = pd.DatetimeIndex(readings.astype("datetime64[us]"))
    both = [wall.tz_localize(timezone, ambiguous=flag, nonexistent="shift_forward")
            .as_unit("us").asi8 for flag in (True, False)]
    return np.unique(np.concatenate(both))


DAY_MICROS = 86_400_000_000


def _local_midnight(instant: int, timezone: str) -> int:
    """The instant (µs, UTC) at which the local day holding ``instant`` begins."""
    local = pd.Timestamp(instant, unit="us", tz="UTC").tz_convert(timezone)
    midnight = local_midnights([local.tz_localize(None).normalize()], timezone)
    return int(midnight.as_unit("us").asi8[0])  # .value is in nanoseconds


def _wall_clock(instant: int, timezone: str) -> int:
    """What the local clock reads at ``instant``, as naive µs since the epoch."""
    local = pd.Timestamp(instant, unit="us", tz="UTC").tz_convert(timezone)
    return int(local.tz_localize(None).value) // 1000


class _Sorted:
    """Instants sorted by (type, time, subscription), with each type's block bounds."""

    def __init__(self, time, sub, bounds):
        self.time, self.sub, self.bounds = time, sub, bounds

    def block(self, t: int):
        lo, hi = self.bounds[t], self.bounds[t + 1]
        return self.time[lo:hi], self.sub[lo:hi]


def _sorted_by(type_code, time, sub_code, n_subs) -> _Sorted:
    """One sort of packed keys (type | time | subscription bits) when they fit in int64.

    ``time`` is consumed: the keys are built, sorted and unpacked in its buffer, since every
    fresh array of ten million instants costs 80 MB to allocate and touch. Bit fields rather
    than products keep unpacking to shifts and masks, which cost a fraction of integer
    division on ten million keys.
    """
    origin = int(time.min())
    time_bits = (int(time.max()) - origin).bit_length()
    sub_bits = max(int(n_subs - 1).bit_length(), 1)
    type_bits = max(int(type_code.max()).bit_length(), 1)
    if time_bits + sub_bits + type_bits >= 63:
        order = np.lexsort((sub_code, time, type_code))
        bounds = np.searchsorted(type_code[order], np.arange(len(AGENT_LICENSES) + 1))
        return _Sorted(time[order], sub_code[order], bounds)
    key = time
    key -= origin
    key <<= sub_bits
    key |= sub_code
    for t in range(1, int(type_code.max()) + 1):
        np.bitwise_or(key, t << (time_bits + sub_bits), out=key, where=type_code == t)
    key.sort()
    edges = np.arange(len(AGENT_LICENSES) + 1, dtype=np.int64) << (time_bits + sub_bits)
    bounds = np.searchsorted(key, edges, side="left")
    sub = np.empty(len(key), dtype=sub_code.dtype)
    np.bitwise_and(key, (1 << sub_bits) - 1, out=sub, casting="unsafe")
    key >>= sub_bits
    key &= (1 << time_bits) - 1
    key += origin
    return _Sorted(key, sub, bounds)


def _interval_peaks(s_time: np.ndarray, e_time: np.ndarray, grid: np.ndarray):
    """Per interval, the tenant's peak concurrency and the earliest instant it is reached.

    Concurrency only rises at logins, so within an interval the maximum is either the value
    carried in at the interval start or the value at some login instant in it. The value at
    an instant counts every login at or before it and every logout at or before it (half-open
    sessions), so simultaneous events are settled before the instant is read.
    """
    # the value at each distinct login instant: the logins up to it (the end of its run of
    # equal instants) less the logouts up to it; fewer instants than logins, no per-login array
    run_end = np.append(_run_starts(s_time)[1:], len(s_time))
    at = s_time[run_end - 1]
    at_value = run_end - np.searchsorted(e_time, at, side="right")
    starts = grid[:-1]
    carried = (np.searchsorted(s_time, starts, side="right")
               - np.searchsorted(e_time, starts, side="right"))
    value, instant = carried.copy(), starts.copy()
    k = np.searchsorted(grid, at, side="right") - 1
    seg_first = _run_starts(k)
    seg_k = k[seg_first]
    seg_max = np.maximum.reduceat(at_value, seg_first)
    lengths = np.diff(np.append(seg_first, len(at)))
    reaches = np.flatnonzero(at_value == np.repeat(seg_max, lengths))
    first_reach = reaches[_run_starts(k[reaches])]
    higher = seg_max > carried[seg_k]
    value[seg_k[higher]] = seg_max[higher]
    instant[seg_k[higher]] = at[first_reach[higher]]
    return value, instant


def _held_interval_peaks(s_time: np.ndarray, e_time: np.ndarray, grid: np.ndarray, hold: int):
    """Per interval, the highest level held at least ``hold`` µs, and an instant at that level.

    A level L counts in an interval when the concurrency stays >= L throughout some window
    ``[s, s + hold)`` that overlaps the interval (a 20-agent spike lasting 5 minutes does not
    count under a 15-minute hold; the 18 agents present around it do). The value of a window
    is the minimum of the concurrency over it; it can only drop as the window's end passes
    more changes, so its maxima start just after the interval start minus ``hold`` or exactly
    at a change. Windows are answered by range-minimum tables over the step function, so the
    work stays vectorised. The instant returned is where the window reaches its minimum, so
    the subscriptions' counts there add up exactly to the value (M4).
    """
    x = np.unique(np.concatenate([s_time, e_time]))
    level = np.searchsorted(s_time, x, side="right") - np.searchsorted(e_time, x, side="right")
    x = np.concatenate([[grid[0] - hold - 1], x])  # before the first login: nobody
    level = np.concatenate([[0], level])
    # each change m as a window start: [x_m, x_m + hold)
    last = np.searchsorted(x, x + hold, side="left") - 1
    low_at = _range_best(level, np.arange(len(x)), last, lowest=True)
    held = level[low_at]
    starts, ends = grid[:-1], grid[1:]
    # the window starting just after the interval start minus hold
    a0 = np.searchsorted(x, starts - hold, side="right") - 1
    b0 = np.searchsorted(x, starts, side="right") - 1
    j0 = _range_best(level, a0, b0, lowest=True)
    value, instant = level[j0], np.maximum(x[j0], starts - hold + 1)
    # windows starting at a change inside (start - hold, end)
    lo = np.searchsorted(x, starts - hold, side="right")
    hi = np.searchsorted(x, ends, side="left") - 1
    some = np.flatnonzero(hi >= lo)
    best = _range_best(held, lo[some], hi[some], lowest=False)
    better = held[best] > value[some]
    value[some[better]] = held[best[better]]
    instant[some[better]] = x[low_at[best[better]]]
    return value, instant


def _range_best(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, lowest: bool) -> np.ndarray:
    """For each inclusive range [lo, hi] of ``values``, the position of its minimum
    (``lowest``) or maximum, the earliest on ties: a sparse table of doubling ranges."""
    if len(lo) == 0:
        return np.empty(0, dtype=np.int64)
    span = hi - lo + 1
    levels = [np.arange(len(values), dtype=np.int64)]
    width = 1
    while width * 2 <= int(span.max()):
        prev = levels[-1]
        left, right = prev[:len(prev) - width], prev[width:]
        levels.append(_pick(values, left, right, lowest))
        width *= 2
    k = np.floor(np.log2(span)).astype(np.int64)
    found = np.empty(len(lo), dtype=np.int64)
    for level_k in np.unique(k):
        rows = np.flatnonzero(k == level_k)
        table = levels[level_k]
        found[rows] = _pick(values, table[lo[rows]], table[hi[rows] - (1 << level_k) + 1],
                            lowest)
    return found


def _pick(values: np.ndarray, left: np.ndarray, right: np.ndarray, lowest: bool) -> np.ndarray:
    """Element-wise the better of two positions (the left one on ties)."""
    a, b = values[left], values[right]
    keep_left = a <= b if lowest else a >= b
    return np.where(keep_left, left, right)


def _counts_at(s_time, s_sub, e_time, e_sub, instants, n_subs) -> np.ndarray:
    """counts[i, s]: users of subscription s logged in at instants[i] (instants ascending)."""
    return (_counted_up_to(s_time, s_sub, instants, n_subs)
            - _counted_up_to(e_time, e_sub, instants, n_subs))


def _counted_up_to(times, subs, instants, n_subs) -> np.ndarray:
    """counts[i, s]: how many of the sorted ``times`` of subscription s are <= instants[i].

    The instants cut the sorted times into consecutive runs; one ``bincount`` over (run,
    subscription) and a cumulative sum give every count without sorting by subscription.
    """
    cut = np.searchsorted(times, instants, side="right")
    if len(cut) == 0:
        return np.zeros((0, n_subs), dtype=np.int64)
    key = np.repeat(np.arange(0, len(cut) * n_subs, n_subs, dtype=np.int64),
                    np.diff(cut, prepend=0))  # run * n_subs, then + subscription in place
    key += subs[:cut[-1]]
    counts = np.bincount(key, minlength=len(cut) * n_subs)
    return np.cumsum(counts.reshape(len(cut), n_subs), axis=0)


# --- named: who was there each day -------------------------------------------------------

def _named(pieces: _Pieces, timezone: str) -> pd.DataFrame:
    """One row per user, local day, type and subscription on which the user was logged in."""
    first_day = _local_days(pieces.start, timezone)
    last_day = _local_days(pieces.end - 1, timezone)
    count = last_day - first_day + 1
    piece = np.repeat(np.arange(len(count)), count)
    day = first_day[piece] + np.arange(len(piece)) - np.repeat(np.cumsum(count) - count, count)
    n_subs = len(pieces.subs) + 1
    rows = pd.DataFrame({
        "day": day, "who": pieces.who[piece],
        "group": pieces.type_code[piece].astype(np.int64) * n_subs + pieces.sub_code[piece],
    }).drop_duplicates()
    midnight = local_midnights(rows["day"].to_numpy().astype("datetime64[D]"), timezone)
    group = rows["group"].to_numpy()
    sub_names = np.array([*pieces.subs, None], dtype=object)
    columns = {
        "timestamp": [np.asarray(midnight.as_unit("us").asi8)],
        "usage_type": [np.array(pieces.types, dtype=object)[group // n_subs]],
        "quantity": [np.ones(len(rows))],
        "subscription_id": [sub_names[group % n_subs]],
        "user_id": [pieces.user_ids[rows["who"].to_numpy()]],
    }
    return _usage_frame(columns, timezone)


def _local_days(micros: np.ndarray, timezone: str) -> np.ndarray:
    return local_days(pd.Series(pd.DatetimeIndex(micros.astype("datetime64[us]"), tz="UTC")),
                      timezone)


def _usage_frame(columns: dict, timezone: str) -> pd.DataFrame:
    """The ``usage.csv`` shape: tz-aware timestamps, str labels, float quantities."""
    def joined(name, dtype):
        parts = columns.get(name) or []
        return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

    stamps = joined("timestamp", np.int64)
    frame = pd.DataFrame({
        "timestamp": pd.DatetimeIndex(stamps.astype("datetime64[us]"), tz="UTC")
        .tz_convert(timezone),
        "usage_type": pd.Series(joined("usage_type", object), dtype="str"),
        "quantity": joined("quantity", np.float64).astype(np.float64),
        "subscription_id": pd.Series(joined("subscription_id", object), dtype="str"),
        "user_id": pd.Series(joined("user_id", object) if "user_id" in columns
                             else np.full(len(stamps), None, dtype=object), dtype="str"),
    })
    frame = frame[USAGE_COLUMNS + USAGE_OPTIONAL]
    return frame.sort_values(["timestamp", "usage_type", "subscription_id", "user_id"],
                             kind="stable", ignore_index=True)


#: Policies worth comparing (docs/metering.md): the default and what Cisco's peers do.
PEER_POLICIES = {
    "multisub default (15min, every instant)": Metering("15min", "0min"),
    "Cisco CCE (level held 15min)": Metering("15min", "15min"),
    "Genesys-like (peaks under 30min ignored)": Metering("15min", "30min"),
    "hourly samples": Metering("1h", "0min"),
    "NICE-like (daily peak)": Metering("24h", "0min"),
}


def policy_effect(sessions: pd.DataFrame, users: pd.DataFrame | None = None, *,
                  policies: dict[str, Metering] | None = None,
                  timezone: str | None = None, period: str = "M") -> pd.DataFrame:
    """The billed peak (the tenant-wide maximum per period) of each agent type under each
    metering policy: how much the choice of ``interval`` and ``min_duration`` moves what a
    concurrent tenant pays for. Columns ``policy, interval, min_duration, period,
    usage_type, peak``; policies in the order given (default :data:`PEER_POLICIES`)."""
    rows = []
    for name, policy in (policies or PEER_POLICIES).items():
        usage = measure_sessions(sessions, users, timezone=timezone, metering=policy)
        per_instant = usage.groupby(["usage_type", "timestamp"], as_index=False)["quantity"].sum()
        stamps = per_instant["timestamp"].dt.tz_localize(None)
        per_instant["period"] = stamps.dt.to_period(period).astype("str")
        peaks = per_instant.groupby(["period", "usage_type"], as_index=False)["quantity"].max()
        for row in peaks.itertuples(index=False):
            rows.append((name, policy.interval, policy.min_duration, row.period,
                         row.usage_type, int(row.quantity)))
    return pd.DataFrame(rows, columns=["policy", "interval", "min_duration", "period",
                                       "usage_type", "peak"])
