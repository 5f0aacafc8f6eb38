"""``multisub validate``: the readable findings table and its exit statuses 0 / 1 / 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from builders import FIXTURES, seed_provisioning_tenant
from toolkit.commands.cli import main
from toolkit.inputs.tenant_file import save_tenant
from toolkit.resources import sample_dir

SEED_USERS_CSV = """user_id,role,license,subscription_id,department,email
admin1,admin,,Sub-1,Care,admin1@example.com
agent1,agent,cc_standard_agent,Sub-1,Care,agent1@example.com
"""


@pytest.fixture
def tenant_dir(tmp_path):
    save_tenant(seed_provisioning_tenant(), tmp_path / "tenant.yaml")
    (tmp_path / "users.csv").write_text(SEED_USERS_CSV, encoding="utf-8")
    return tmp_path


def test_clean_day_exits_0(tenant_dir, capsys):
    assert main(["validate", str(tenant_dir), "--on", "2025-06-01"]) == 0
    out = capsys.readouterr().out
    assert "Test tenant: validation as of 2025-06-01 (given), horizon 60 days" in out
    assert "0 findings under 0 rules: 0 errors, 0 warnings, 0 infos" in out


def test_warnings_only_exit_0_and_are_listed(tenant_dir, capsys):
    assert main(["validate", str(tenant_dir), "--on", "2025-12-01"]) == 0
    out = capsys.readouterr().out
    assert "0 errors, 2 warnings, 0 infos" in out
    assert "WARNINGS (2)" in out and "ERRORS" not in out
    assert "access-at-risk" in out and "Sub-2" in out


def test_lost_access_exits_1_and_writes_the_plan(tenant_dir, capsys):
    plan = tenant_dir / "out" / "plan.csv"
    code = main(["validate", str(tenant_dir), "--on", "2026-01-15", "--plan", str(plan)])
    assert code == 1
    out = capsys.readouterr().out
    assert "2 errors, 0 warnings, 0 infos" in out
    assert out.index("ERRORS (2)") < out.index("user-on-inactive-subscription")
    written = pd.read_csv(plan, dtype="str")
    assert written[["user", "from", "to"]].values.tolist() == [
        ["admin1", "Sub-1", "Sub-2"], ["agent1", "Sub-1", "Sub-2"]]
    assert f"wrote {plan}: 2 mapping(s) to move, 0 without a target" in out


def test_shorter_horizon_silences_the_warning(tenant_dir, capsys):
    assert main(["validate", str(tenant_dir), "--on", "2025-12-01", "--horizon", "30"]) == 0
    assert "0 errors, 0 warnings, 0 infos" in capsys.readouterr().out


def test_default_day_is_the_latest_date_in_the_data(tenant_dir, capsys):
    assert main(["validate", str(tenant_dir)]) == 0
    assert "validation as of 2025-11-01 (the latest date in the data)" in capsys.readouterr().out


def test_without_users_only_tenant_rules_run(tmp_path, capsys):
    save_tenant(seed_provisioning_tenant(), tmp_path / "tenant.yaml")
    assert main(["validate", str(tmp_path), "--on", "2026-01-15"]) == 0
    assert "no users.csv: user mapping rules" in capsys.readouterr().out


def test_bad_input_exits_2_listing_every_problem(tenant_dir, capsys):
    (tenant_dir / "users.csv").write_text(
        "user_id,role,license,subscription_id\nu1,boss,cc_standard_agent,Sub-1\n"
        "u2,agent,cc_standard_agent,Sub-9\n", encoding="utf-8")
    assert main(["validate", str(tenant_dir), "--on", "2025-12-01"]) == 2
    err = capsys.readouterr().err
    assert "2 problems in the input" in err and "'boss'" in err and "'Sub-9'" in err


@pytest.mark.parametrize("args", [["--on", "yesterday"], ["--horizon", "-5"], ["--horizon", "x"]])
def test_bad_arguments_exit_2(tenant_dir, args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(tenant_dir), *args])
    assert exit_info.value.code == 2
    assert "usage: multisub validate" in capsys.readouterr().err


def test_mapping_windows_from_users_csv(tenant_dir, capsys):
    """Agent 1 was remapped to Sub-2 on 2025-12-15 (start/end columns read by load_users)."""
    (tenant_dir / "users.csv").write_text(
        "user_id,role,license,subscription_id,start,end\n"
        "agent1,agent,cc_standard_agent,Sub-1,,2025-12-15\n"
        "agent1,agent,cc_standard_agent,Sub-2,2025-12-15,\n", encoding="utf-8")
    assert main(["validate", str(tenant_dir), "--on", "2025-12-14"]) == 0
    assert "0 errors, 1 warning, 0 infos" in capsys.readouterr().out
    plan = tenant_dir / "plan.csv"
    assert main(["validate", str(tenant_dir), "--plan", str(plan)]) == 0  # default: 2025-12-15
    out = capsys.readouterr().out
    assert "validation as of 2025-12-15 (the latest date in the data)" in out
    assert "0 errors, 0 warnings, 0 infos" in out
    assert f"wrote {plan}: 0 mapping(s) to move, 0 without a target" in out
    assert plan.read_text(encoding="utf-8").splitlines() == [
        "user,email,from,to,license,status,access_ends,reason"]


def test_sample_defaults_to_the_as_of_day_and_groups_findings_by_rule(capsys, monkeypatch):
    """Sub-1005 ended on 2026-07-01; usage runs to 2026-10-31, so on the as-of day its users
    have lost access (errors), and the 36 identical WFO findings are printed once."""
    monkeypatch.setenv("COLUMNS", "90")
    assert main(["validate"]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("Assicurazioni Aurora: validation as of 2026-10-31 (the last day")
    assert "41 findings under 4 rules: 39 errors, 2 warnings, 0 infos" in out
    assert "user-on-inactive-subscription (V3): 38 findings" in out
    assert "  36 with the same finding:" in out
    assert out.count("lost access to Workforce Optimization") == 1
    assert "access-at-risk" not in out
    assert max(map(len, lines)) <= 90
    assert len(lines) < 60


def test_plan_json_writes_the_patch_bodies_and_says_what_it_could_not(tmp_path, capsys):
    plan = tmp_path / "plan.json"
    licenses = FIXTURES / "webex" / "licenses.json"
    code = main(["validate", str(sample_dir()), "--plan", str(plan), "--licenses", str(licenses)])
    assert code == 1
    out = " ".join(capsys.readouterr().out.split())
    assert json.loads(plan.read_text(encoding="utf-8")) == [{
        "email": "u9002@aurora-assicurazioni.example",
        "licenses": [{"id": _license_id(licenses, "Contact Center Standard Agent", "Sub-1001"),
                      "operation": "add"}]}]
    assert f"wrote {plan}: 1 PATCH /v1/licenses/users body for 39 mappings to move" in out
    assert "36 mappings: no body: no target subscription" in out
    assert "2 mappings: no body: the row has no license type" in out


def test_plan_json_without_a_license_export_is_an_input_error(tmp_path, capsys):
    code = main(["validate", str(sample_dir()), "--plan", str(tmp_path / "plan.json")])
    assert code == 2
    err = capsys.readouterr().err
    assert "licenses.csv" in err and "--licenses" in err
    assert not (tmp_path / "plan.json").exists()


def _license_id(path: Path, name: str, subscription: str) -> str:
    items = json.loads(path.read_text(encoding="utf-8"))["items"]
    return next(i["id"] for i in items if i["name"] == name and i["subscriptionId"] == subscription)
