"""The README's chain from raw pages to the department report runs as written (issue 20.11).

The fenced block under "From a real tenant" is read from README.md, as a newcomer would copy
it; only the live ``pull`` (the bundled ``data/sample/raw`` is copied where it would have
saved its pages) and the token export are substituted. ``multisub`` is this checkout's CLI,
run in-process.
"""

from __future__ import annotations

import base64
import re
import shlex
import shutil
from pathlib import Path

import pandas as pd
import pytest

from toolkit.commands.cli import main
from toolkit.resources import sample_dir

README = Path(__file__).resolve().parent.parent / "README.md"
AGENT_TYPES = {"cc_standard_agent", "cc_premium_agent"}


def readme_chain() -> list[list[str]]:
    """The commands of the first ``bash`` block of the README's raw-pages section."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## From a real tenant"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    joined = block.replace("\\\n", " ")
    return [shlex.split(line, comments=True) for line in joined.splitlines()
            if shlex.split(line, comments=True)]


def run(command: list[str], cwd: Path, capsys) -> str:
    if command[0] == "export":
        assert command[1].startswith("WEBEX_ACCESS_TOKEN=")  # offline: no token needed
        return ""
    if command[:2] == ["multisub", "pull"]:
        out = Path(command[command.index("--out") + 1])
        shutil.copytree(sample_dir() / "raw", cwd / out / "raw")
        return ""
    if command[0] == "cp":
        *sources, target = command[1:]
        for source in sources:
            shutil.copy(cwd / source, cwd / target)
        return ""
    assert command[0] == "multisub", command
    code = main(command[1:])
    printed = capsys.readouterr()
    assert code == 0, (command, printed.err)
    return printed.out


@pytest.fixture(scope="module")
def chain_commands():
    return readme_chain()


def test_the_readme_chain_runs_verbatim_and_joins_every_agent(tmp_path, monkeypatch, capsys,
                                                              chain_commands):
    verbs = [c[1] if c[0] == "multisub" else c[0] for c in chain_commands]
    assert verbs == ["export", "pull", "import-webex", "cp", "measure", "allocate", "report"]
    shutil.copy(sample_dir() / "tenant.yaml", tmp_path / "tenant.yaml")  # the analyst's own
    monkeypatch.chdir(tmp_path)
    printed = {verb: run(command, tmp_path, capsys)
               for verb, command in zip(verbs, chain_commands, strict=True)}
    out = Path(chain_commands[2][chain_commands[2].index("--out") + 1])
    users = pd.read_csv(tmp_path / out / "users.csv")
    assert users["webex_agent_id"].notna().all()
    findings = pd.read_csv(tmp_path / out / "session-findings.csv")
    assert "agent-unmatched" not in set(findings["rule"]) and "agent-unmatched" not in \
        printed["measure"]
    # every agent id of the pages is a person of users.csv (counted here from the pages)
    pages = tmp_path / out / "raw" / "agentSession"
    agents = set()
    for page in pages.glob("*.json"):
        agents |= set(re.findall(r'"agentId":"([^"]+)"', page.read_text()))
    known = set(users["webex_agent_id"])
    inner = {base64.b64decode(p + "=" * (-len(p) % 4)).decode().rsplit("/", 1)[-1].lower()
             for p in known}
    assert agents and {a.lower() for a in agents} <= inner
    usage = pd.read_csv(tmp_path / out / "usage.csv", keep_default_na=False)
    agent_rows = usage[usage["usage_type"].isin(AGENT_TYPES)]
    assert (agent_rows["subscription_id"] != "").all()  # every agent on its subscription
    assert (usage.loc[usage["usage_type"] == "cc_premium_agent", "quantity"] > 0).any()
    unallocated = pd.read_excel(tmp_path / out / "allocation.xlsx", sheet_name="unallocated")
    assert unallocated.empty, unallocated.groupby("reason").size()
    report_dir = Path(chain_commands[-1][chain_commands[-1].index("--out") + 1])
    assert list((tmp_path / report_dir).glob("*.html"))


def _agent_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Agent usage as (UTC instant, type, subscription) → quantity, sorted."""
    rows = frame[frame["usage_type"].isin(AGENT_TYPES)].copy()
    rows["timestamp"] = pd.to_datetime(rows["timestamp"], utc=True)
    rows["quantity"] = rows["quantity"].astype(float)
    rows = rows[["timestamp", "usage_type", "subscription_id", "quantity"]]
    return rows.sort_values(["timestamp", "usage_type", "subscription_id"],
                            ignore_index=True)


def test_measuring_the_bundled_pages_reproduces_the_sample_agent_usage_of_october(tmp_path,
                                                                                   capsys):
    """The README's one-line measure of data/sample/raw gives usage.csv's agent rows."""
    text = README.read_text(encoding="utf-8")
    line = re.search(r"`(multisub measure data/sample/raw/agentSession[^`]*)`", text).group(1)
    command = shlex.split(line)
    command[command.index("--out") + 1] = str(tmp_path / "usage.csv")
    root = README.parent
    command = [str(root / c) if c.startswith("data/") else c for c in command]
    assert main(command[1:]) == 0
    capsys.readouterr()
    measured = _agent_cells(pd.read_csv(tmp_path / "usage.csv", keep_default_na=False))
    sample = pd.read_csv(sample_dir() / "usage.csv", keep_default_na=False)
    zone = "Europe/Rome"
    local = pd.to_datetime(sample["timestamp"]).dt.tz_localize(zone)
    sample = sample.assign(timestamp=local)
    october = sample[local.dt.strftime("%Y-%m") == "2026-10"]
    expected = _agent_cells(october)
    assert len(expected) > 1000
    pd.testing.assert_frame_equal(measured, expected, check_dtype=False)


def test_every_command_is_in_the_readme_table_and_the_rules():
    """A new command is not done until a newcomer can find it: the README's table and
    docs/rules.md §7 name every command ``multisub`` has."""
    from toolkit.commands.cli import COMMANDS

    readme = README.read_text(encoding="utf-8")
    rules = (README.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    public = rules[rules.index("## §7"):rules.index("## §8")]
    assert [c for c in COMMANDS if f"| `multisub {c} " not in readme] == []
    assert [c for c in COMMANDS if f"`{c}`" not in public] == []
