"""``multisub validate``: the readable findings table and its exit statuses 0 / 1 / 2."""

from __future__ import annotations

import pandas as pd
import pytest
from test_validation import seed_provisioning_tenant

from toolkit.commands.cli import main
from toolkit.inputs.tenant_file import save_tenant

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
    assert "Test tenant: validation on 2025-06-01 (given), horizon 60 days" in out
    assert "0 errors, 0 warnings, 0 infos" in out


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
    assert "validation on 2025-11-01 (the latest date in the data)" in capsys.readouterr().out


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
    assert "validation on 2025-12-15 (the latest date in the data)" in out
    assert "0 errors, 0 warnings, 0 infos" in out
    assert f"wrote {plan}: 0 mapping(s) to move, 0 without a target" in out
    assert plan.read_text(encoding="utf-8").splitlines() == [
        "user,email,from,to,license,status,access_ends,reason"]
