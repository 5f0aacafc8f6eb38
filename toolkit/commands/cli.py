"""The ``multisub`` command line.

Each subcommand lives in its own module under ``toolkit.commands`` and registers itself;
this module only builds the parser and turns input problems into a clear message and a
non-zero exit status instead of a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from toolkit.errors import InputError
from toolkit.resources import sample_dir

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS = ["owners", "allocate", "validate", "costs", "focus", "measure", "import-webex",
            "report", "workbook", "pull"]
EXIT_INPUT_ERROR = 2


def tenant_dir_argument(parser: argparse.ArgumentParser) -> None:
    """The optional tenant directory every subcommand takes (default: the bundled sample)."""
    parser.add_argument("dir", nargs="?", type=Path, default=sample_dir(),
                        help="tenant directory (default: the bundled sample, data/sample)")


def output_argument(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--out", required=required, type=Path, metavar="FILE",
                        help="output file: .csv, .parquet or .xlsx")


def period_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--period", default="M",
                        help="billing period as a pandas frequency (default M: calendar month)")


def build_parser() -> argparse.ArgumentParser:
    from importlib import import_module

    parser = argparse.ArgumentParser(
        prog="multisub",
        description="Usage, overage and chargeback for a Webex Contact Center tenant with "
                    "several subscriptions.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        import_module(f"toolkit.commands.{name.replace('-', '_')}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except InputError as error:
        print(f"multisub {args.command}: {error}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except (OSError, ValueError) as error:
        print(f"multisub {args.command}: {error}", file=sys.stderr)
        return EXIT_INPUT_ERROR


if __name__ == "__main__":
    sys.exit(main())
