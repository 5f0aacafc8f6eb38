"""The ``multisub`` command line.

Each subcommand lives in its own module under ``toolkit.commands`` and registers itself;
this module builds the parser, holds the argument types every command shares (days,
horizons, intervals, billing periods, months), and turns input problems into a clear message
and exit status 2 instead of a traceback. Arguments are checked when they are parsed, with
bounds, so a value no tenant could mean (``--on 9999-12-31``, ``--interval 1ns``,
``--period s``) is refused at once instead of overflowing or running for minutes later.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import errno
import os
import re
import signal
import sys
from pathlib import Path

import pandas as pd

from toolkit.errors import InputError
from toolkit.resources import sample_dir

#: Subcommands, in the order ``--help`` lists them, with the line it shows for each. A
#: command's module is imported only when that command runs (``--help`` imports none), so each
#: command loads only the layers it uses.
COMMANDS = {
    "owners": "who is primary and who owns each type's overage",
    "allocate": "split usage across subscriptions",
    "validate": "who is about to lose access, and other provisioning problems",
    "costs": "committed and overage cost per department",
    "focus": "export costs as a FOCUS-shaped table",
    "measure": "usage.csv from agent login/logout sessions",
    "peaks": "who made each billed peak: the users counted in it, from their sessions",
    "import-webex": "users.csv and a reconciliation from Webex API exports",
    "report": "cost reviews for department heads, as HTML and PDF",
    "workbook": "the cost review as an Excel workbook",
    "pull": "raw pages (licenses, people, agent and AI agent sessions) from a live Webex tenant",
    "portfolio": "many tenants at once, on Dask: one roll-up of money, peaks and risks",
    "check-invoice": "does Cisco's invoice agree? every difference with its cause",
    "preview": "the open month so far, and projected to its end",
}
EXIT_INPUT_ERROR = 2
#: What a shell reports for a program whose reader went away (128 + SIGPIPE), e.g. ``| head``.
EXIT_BROKEN_PIPE = 141
#: What a shell reports for a program stopped by Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130

#: Days the toolkit can mean: contracts, usage and evaluation days lie between these.
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(2199, 12, 31)
MAX_HORIZON_DAYS = 3660
#: Sampling intervals for concurrency: whole minutes, at least one, that divide a day.
MIN_INTERVAL, MAX_INTERVAL = pd.Timedelta("1min"), pd.Timedelta("1D")
#: Billing frequencies a subscription can have, as written on the command line → the pandas
#: Period frequency used. Data, so a new one is a row, not a branch.
BILLING_FREQUENCIES = {"M": "M", "1M": "M", "Q": "Q", "1Q": "Q", "3M": "Q", "Y": "Y",
                       "1Y": "Y", "12M": "Y"}


def tenant_dir_argument(parser: argparse.ArgumentParser) -> None:
    """The optional tenant directory every subcommand takes (default: the bundled sample)."""
    parser.add_argument("dir", nargs="?", type=Path, default=sample_dir(),
                        help="tenant directory (default: the bundled sample, data/sample)")


def output_argument(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--out", required=required, type=Path, metavar="FILE",
                        help="output file: .csv, .parquet or .xlsx")


def period_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--period", default="M", type=billing_period,
                        help="billing period: M (calendar month, the default), Q or Y")


def day(text: str) -> dt.date:
    """An argparse type: a day written YYYY-MM-DD between 1970 and 2199."""
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a day written YYYY-MM-DD, not {text!r}") from None
    if not FIRST_DAY <= value <= LAST_DAY:
        raise argparse.ArgumentTypeError(f"a day between {FIRST_DAY} and {LAST_DAY}, not {text}")
    return value


def horizon_days(text: str) -> int:
    """An argparse type: a whole number of days from 0 to about ten years."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number of days, not {text!r}") from None
    if not 0 <= value <= MAX_HORIZON_DAYS:
        raise argparse.ArgumentTypeError(
            f"a number of days from 0 to {MAX_HORIZON_DAYS}, not {value}")
    return value


def interval(text: str) -> str:
    """An argparse type: a sampling interval of whole minutes, 1min to 1D, dividing a day
    (intervals start at local midnight, so one must end there too)."""
    try:
        step = pd.Timedelta(text)
    except (ValueError, OverflowError):
        step = None
    if (step is None or not MIN_INTERVAL <= step <= MAX_INTERVAL
            or step % MIN_INTERVAL or MAX_INTERVAL % step):
        raise argparse.ArgumentTypeError(
            f"an interval of whole minutes from 1min to 1D that divides a day, such as 15min "
            f"or 1h, not {text!r}")
    return text


def billing_period(text: str) -> str:
    """An argparse type: a billing frequency (:data:`BILLING_FREQUENCIES`) as pandas spells
    it; a frequency nobody bills by (``2M``, ``15min``, ``s``) is refused."""
    try:
        return BILLING_FREQUENCIES[text.strip().upper()]
    except KeyError:
        raise argparse.ArgumentTypeError(
            f"a billing period, one of {', '.join(BILLING_FREQUENCIES)}, not {text!r}") from None


def month(text: str) -> str:
    """An argparse type: a month written YYYY-MM (between 1970 and 2199), returned as such."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{2})\s*", text)
    if not match or not 1 <= int(match[2]) <= 12 or not (
            FIRST_DAY.year <= int(match[1]) <= LAST_DAY.year):
        raise argparse.ArgumentTypeError(
            f"a month written YYYY-MM between {FIRST_DAY.year} and {LAST_DAY.year}, "
            f"not {text!r}")
    return f"{match[1]}-{match[2]}"


#: Arguments that bound a range, as (destination, option) of its first and last: a range that
#: ends before it starts is refused, not answered with an empty report.
RANGES = ((("first", "--from"), ("last", "--to")),)


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser, with the full arguments of the ``chosen`` command only (every command's
    when ``chosen`` is ``"*"``); the others are listed by name and help line alone."""
    from importlib import import_module

    parser = argparse.ArgumentParser(
        prog="multisub",
        description="Usage, overage and chargeback for a Webex Contact Center tenant with "
                    "several subscriptions.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, line in COMMANDS.items():
        if chosen in (name, "*"):
            import_module(f"toolkit.commands.{name.replace('-', '_')}").register(subparsers)
        else:
            subparsers.add_parser(name, help=line)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; an input problem, a file that cannot be written, Ctrl-C or a
    termination signal is one line on stderr and an exit status, never a traceback."""
    words = sys.argv[1:] if argv is None else argv
    command = next((word for word in words if word in COMMANDS), None)
    try:
        return _run(words, command)
    except KeyboardInterrupt:
        return _stopped(command, "interrupted", EXIT_INTERRUPTED)
    except Terminated as signal_:
        return _stopped(command, "terminated", 128 + signal_.signum)


def _run(argv: list[str], command: str | None) -> int:
    parser = build_parser(command)
    args = parser.parse_args(argv)
    for (first, first_option), (last, last_option) in RANGES:
        low, high = getattr(args, first, None), getattr(args, last, None)
        if low is not None and high is not None and low > high:
            parser.error(f"{last_option} {high} is before {first_option} {low}")
    try:
        status = args.run(args) or 0
        sys.stdout.flush()
        return status
    except BrokenPipeError:  # the reader (e.g. `| head`) has what it wanted
        _detach_stdout()
        return EXIT_BROKEN_PIPE
    except (InputError, OSError, ValueError, OverflowError) as error:
        print(f"multisub {args.command}: {error}", file=sys.stderr)
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            _flush_or_detach()  # stdout on a full disk: its final flush would fail again
        return EXIT_INPUT_ERROR


class Terminated(BaseException):
    """SIGTERM (``kill``), raised where the program is so that every write in progress is
    undone (:mod:`toolkit.atomic`) before the process ends. A ``BaseException``, like
    ``KeyboardInterrupt``, so no ``except Exception`` swallows it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame) -> None:
    raise Terminated(signum)


def _stopped(command: str | None, what: str, status: int) -> int:
    """The one line a stopped command prints; what it was writing has been undone."""
    _flush_or_detach()
    with contextlib.suppress(OSError, ValueError):
        print(f"multisub{' ' + command if command else ''}: {what}", file=sys.stderr)
    return status


def _flush_or_detach() -> None:
    """Show what stdout holds if it can still be written, else let it go quietly."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        _detach_stdout()


def _detach_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush of what could not be
    written does not print an "Exception ignored" traceback after the message."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):  # not a real file (e.g. under a test)
        pass


def entry() -> int:
    """The ``multisub`` console script: :func:`main` in a process of its own.

    pandera imports hypothesis, when it is installed, to offer data synthesis; no command
    synthesises data, and in a development environment that import alone is about a tenth of
    a second of every command's start-up (issue 13). A command's process therefore marks
    hypothesis as absent before pandera is imported, which pandera takes as "not installed".
    Only this entry point does it: :func:`main` called in a test or a notebook leaves the
    interpreter's modules alone. Likewise only here does SIGTERM become :class:`Terminated`
    (Ctrl-C is already ``KeyboardInterrupt``), so a ``kill`` part-way through a write leaves
    the previous file and no temporary, and exits 143 with one line.
    """
    sys.modules.setdefault("hypothesis", None)  # type: ignore[arg-type]
    signal.signal(signal.SIGTERM, _terminate)
    return main()


if __name__ == "__main__":
    sys.exit(entry())
