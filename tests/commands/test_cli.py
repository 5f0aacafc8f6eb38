"""The foundation's commands: owners and allocate, on the bundled sample and on bad input."""

import shutil

import pandas as pd
import pytest

from toolkit.commands.cli import main
from toolkit.resources import sample_dir


def test_owners_explains_every_type(capsys):
    assert main(["owners", "--on", "2026-05-01"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # explanations are wrapped to the terminal
    assert out.startswith("Assicurazioni Aurora as of 2026-05-01 (given): primary subscription "
                          "Sub-1001")
    # Sales lapsed on 2026-04-01, so Collections owns IVR outbound until Sales renews.
    assert "ivr_outbound_campaign Sub-1004" in out
    assert "Sub-1002 held ivr_outbound_campaign earlier (since 2024-04-01)" in out


def test_owners_defaults_to_the_as_of_day_and_fits_the_terminal(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "72")
    assert main(["owners"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Assicurazioni Aurora as of 2026-10-31 (the last day of the last month"
    assert max(map(len, lines)) <= 72
    explained = " ".join(" ".join(lines).split())
    assert "On 2026-10-31 Sub-1001 owns Contact Center Standard agent" in explained


def test_allocate_writes_three_tables(tmp_path, capsys):
    out = tmp_path / "alloc.csv"
    assert main(["allocate", str(sample_dir()), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "0 unallocated" in printed
    assert "Assicurazioni Aurora (as of 2026-10-31)" in printed  # the one as-of day
    by_sub = pd.read_csv(out)
    pooled = pd.read_csv(tmp_path / "alloc.pooled.csv")
    assert list(by_sub.columns) == ["period", "usage_type", "subscription_id", "department",
                                    "usage", "entitlement", "overage"]
    assert by_sub["period"].min() == "2024-01" and by_sub["period"].max() == "2026-10"
    assert pooled["usage"].sum() == pytest.approx(by_sub["usage"].sum())
    assert (tmp_path / "alloc.unallocated.csv").exists()


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_allocate_other_formats(tmp_path, suffix):
    out = tmp_path / f"alloc{suffix}"
    assert main(["allocate", "--out", str(out)]) == 0
    if suffix == ".xlsx":
        sheets = pd.read_excel(out, sheet_name=None)
        assert set(sheets) == {"data", "pooled", "unallocated"}
    else:
        assert len(pd.read_parquet(out)) > 100


def test_bad_input_gives_a_message_and_exit_2_not_a_traceback(tmp_path, capsys):
    shutil.copy(sample_dir() / "tenant.yaml", tmp_path)
    (tmp_path / "usage.csv").write_text("timestamp,usage_type,quantity\n"
                                        "2025-01-01,ai_agent,-1\nnope,teleport,1\n")
    assert main(["allocate", str(tmp_path), "--out", str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err
    assert "multisub allocate: 3 problems in the input:" in err
    assert "row 2, column 'quantity': found -1.0" in err
    assert "row 3, column 'usage_type': found 'teleport'" in err
    assert "Traceback" not in err
    assert main(["owners", str(tmp_path / "missing"), "--on", "2025-01-01"]) == 2


def test_unsupported_output_format(tmp_path, capsys):
    assert main(["allocate", "--out", str(tmp_path / "a.json")]) == 2
    assert "use one of .csv, .parquet, .xlsx" in capsys.readouterr().err


def test_csv_output_cannot_run_formulas(tmp_path):
    from toolkit.present.export import write_table

    frame = pd.DataFrame({"name": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "plain"],
                          "amount": [1.0, -2.0, 3.0, 4.0, 5.0]})
    path = write_table(frame, tmp_path / "t.csv")
    back = pd.read_csv(path, dtype="str")
    assert back["name"].tolist() == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "plain"]
    assert back["amount"].tolist() == ["1.0", "-2.0", "3.0", "4.0", "5.0"]  # numbers untouched
    xlsx = pd.read_excel(write_table(frame, tmp_path / "t.xlsx"))
    assert xlsx["name"].tolist()[:2] == ["'=HYPERLINK(\"x\")", "'+1"]
