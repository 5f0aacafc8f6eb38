"""The review's "Who made the peak" (issue 21 T1): the section per overage-bearing agent peak,
the full list in the workbook's sheet and beside the reviews in CSV, and what the review says
when the sessions do not explain the bill or there are no sessions at all.

Figures are the bundled sample's: October 2026's agent usage is measured from its
``raw/agentSession`` pages, and its Contact Center Premium peak is 50 agents at 14:00 on
8 October (Europe/Rome) against a pooled entitlement of 47, so 3 over; 19 of the 50 are in
Customer Care, 18 in Claims, 13 in Sales. Its Standard peak (186, entitlement 190) bears no
overage, so it has no section, but it is in the full list.
"""

from __future__ import annotations

import dataclasses
import shutil

import openpyxl
import pandas as pd
import pytest

from toolkit.commands.cli import main
from toolkit.inputs.session_sources import PULLED_SESSIONS, tenant_session_source
from toolkit.peaks import PEAK_COLUMNS, PeakSection
from toolkit.present import report
from toolkit.present.review_page import department_html, peaks_block
from toolkit.present.workbook import PEAKS_SHEET
from toolkit.resources import sample_dir
from toolkit.workspace import Workspace

PREMIUM = "cc_premium_agent"
OCTOBER_PEAK = pd.Timestamp("2026-10-08 14:00", tz="Europe/Rome")
CAPTION = ("Contact Center Premium agent, October 2026: 50 users at 14:00 on 8 October 2026, "
           "the first interval at the peak, against an entitlement of 47 (3 over).")
LARGEST = " Largest by department: Customer Care 19, Claims 18, Sales 13."


@pytest.fixture(scope="module")
def book() -> Workspace:
    return Workspace.open(sample_dir())


@pytest.fixture(scope="module")
def window(book):
    return report.choose_window(book.as_of, "2026-08", "2026-10")


def _copy(tmp_path, *remove: str):
    """The sample in ``tmp_path``, without the files or folders named."""
    target = tmp_path / "tenant"
    shutil.copytree(sample_dir(), target)
    for name in remove:
        path = target / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return target


def test_the_workspace_traces_the_bill_from_the_pulled_pages(book):
    assert tenant_session_source(sample_dir()) == sample_dir() / PULLED_SESSIONS
    rows = book.contributors
    assert list(rows.columns) == PEAK_COLUMNS
    sizes = rows.groupby(["usage_type", "interval_start"]).size()
    assert sizes.to_dict() == {
        ("cc_premium_agent", OCTOBER_PEAK): 50,
        ("cc_standard_agent", pd.Timestamp("2026-10-14 14:15", tz="Europe/Rome")): 186}
    assert book.contributors is rows  # a cached stage


def test_the_section_counts_the_billed_peak_of_its_type_and_month(book, window):
    review = report.department_review(book, None, window)
    [section] = review.peaks
    billed = book.allocation.pooled
    october = billed[(billed["period"].astype(str) == "2026-10")
                     & (billed["usage_type"] == PREMIUM)]
    assert section.period == "2026-10" and section.usage_type == PREMIUM
    assert section.interval_start == OCTOBER_PEAK
    assert section.peak == october["usage"].item() == 50 and section.matches_bill
    assert (section.entitlement, section.overage) == (47.0, 3.0)
    table = review.peak_table(section)
    assert table.to_dict("list") == {"Department": ["Customer Care", "Claims", "Sales"],
                                     "Users": [19, 18, 13],
                                     "Share of the peak": [0.38, 0.36, 0.26]}
    assert table["Users"].sum() == section.peak
    assert report.peak_caption(review, section) == CAPTION + LARGEST
    assert review.untraced_peaks().empty


def test_a_department_review_names_its_part_of_the_peak(book, window):
    review = report.department_review(book, "Claims", window)
    [section] = review.peaks
    # counted by department (the sample's sessions name no team): every department is shown
    assert review.peak_table(section)["Users"].tolist() == [19, 18, 13]
    assert report.peak_caption(review, section) == CAPTION + " 18 of them in Claims." + LARGEST
    html = department_html(review)
    assert "<h2>Who made the peak</h2>" in html
    assert "18 of them in Claims" in html and "who-made-the-peak.csv" in html


def test_a_window_without_agent_overage_says_there_is_no_peak_to_trace(book):
    review = report.department_review(book, None, report.default_window(book.as_of))  # Q3
    assert review.peaks == [] and review.untraced_peaks().empty
    block = peaks_block(review)
    assert block.intro == "No agent peak bore overage in July–September 2026: there is no " \
                          "peak to trace."
    assert block.tables == ()


def test_a_peak_the_sessions_do_not_count_as_billed_is_a_warning_not_a_list(book, window):
    usage = book.usage.copy()
    october = (usage["usage_type"] == PREMIUM) & usage["timestamp"].astype(str).str.startswith(
        "2026-10")
    # as if October were measured from other sessions: each of the three subscriptions'
    # samples two agents more, so the pooled peak is 50 + 3 × 2
    usage.loc[october, "quantity"] += 2
    changed = dataclasses.replace(book, usage=usage)
    review = report.department_review(changed, None, window)
    [section] = review.peaks
    assert not section.matches_bill and section.billed_peak == 56.0
    block = peaks_block(review)
    assert block.tables == ()
    assert block.intro == ("No agent peak billed in August–October 2026 with overage can be "
                           "traced to people:")
    assert block.notes == (
        "Contact Center Premium agent, October 2026: the sessions count 50 users at their peak "
        "but the bill counts 56; the usage billed was not measured from these sessions, so "
        "they cannot say who made the billed peak.",)


def test_a_billed_peak_no_session_is_in_is_named(tmp_path):
    # without the pages, sessions.csv (September and October) is what the bill is traced with
    directory = _copy(tmp_path, str(PULLED_SESSIONS))
    book = Workspace.open(directory)
    review = report.department_review(book, None, report.choose_window(book.as_of, "2026-06",
                                                                       "2026-10"))
    assert [(s.period, s.usage_type, s.peak) for s in review.peaks] == [("2026-10", PREMIUM, 50)]
    block = peaks_block(review)
    assert len(block.tables) == 1 and block.tables[0].caption == CAPTION + LARGEST
    assert block.notes == (
        "Contact Center Premium agent, June 2026: 6 over the entitlement, but none of the "
        "sessions at hand is counted in that peak (the usage billed was not measured from "
        "them), so it cannot be traced to the people in it.",)


def test_without_sessions_the_review_says_the_peak_cannot_be_traced(tmp_path):
    directory = _copy(tmp_path, str(PULLED_SESSIONS), "sessions.csv")
    book = Workspace.open(directory)
    assert book.contributors is None
    october = report.choose_window(book.as_of, "2026-10", "2026-10")
    review = report.department_review(book, None, october)
    assert review.peaks is None
    block = peaks_block(review)
    assert block.intro.startswith("The billed peaks cannot be traced to the people in them "
                                  "without sessions")
    assert block.tables == () and block.notes == ()
    out = tmp_path / "out"
    assert main(["report", str(directory), "--tenant", "--from", "2026-10", "--to", "2026-10",
                 "--out", str(out)]) == 0
    assert not (out / "who-made-the-peak.csv").exists()
    assert main(["workbook", str(directory), "--from", "2026-10", "--to", "2026-10",
                 "--out", str(tmp_path / "w.xlsx")]) == 0
    assert PEAKS_SHEET not in openpyxl.load_workbook(tmp_path / "w.xlsx").sheetnames


def test_the_workbook_sheet_lists_as_many_users_per_interval_as_the_peak(tmp_path):
    out = tmp_path / "review.xlsx"
    assert main(["workbook", "--from", "2026-08", "--to", "2026-10", "--out", str(out)]) == 0
    rows = pd.read_excel(out, sheet_name=PEAKS_SHEET)
    assert list(rows.columns) == PEAK_COLUMNS
    per_interval = rows.groupby(["usage_type", "interval_start"]).size()
    assert per_interval.to_dict() == {("cc_premium_agent", "2026-10-08 14:00"): 50,
                                      ("cc_standard_agent", "2026-10-14 14:15"): 186}
    # each subscription's rows are its part of the peak (M4)
    parts = rows.groupby(["usage_type", "subscription_id"])["peak"].agg(["first", "size"])
    assert (parts["first"] == parts["size"]).all()


def test_the_report_writes_the_full_list_beside_the_reviews(tmp_path, capsys):
    out = tmp_path / "reviews"
    assert main(["report", "--department", "Claims", "--from", "2026-08", "--to", "2026-10",
                 "--out", str(out)]) == 0
    assert f"wrote {out / 'who-made-the-peak.csv'}" in capsys.readouterr().out
    rows = pd.read_csv(out / "who-made-the-peak.csv")
    assert list(rows.columns) == PEAK_COLUMNS
    assert rows.groupby("usage_type").size().to_dict() == {"cc_premium_agent": 50,
                                                           "cc_standard_agent": 186}
    assert rows["user_id"].notna().all()
    assert "<h2>Who made the peak</h2>" in (out / "claims.html").read_text(encoding="utf-8")


def test_the_peaks_command_defaults_to_the_sessions_the_bill_was_measured_from(tmp_path,
                                                                               capsys):
    out = tmp_path / "p.csv"
    assert main(["peaks", "--out", str(out)]) == 0
    assert "warning" not in capsys.readouterr().err  # October's bill is the pages'
    assert set(pd.read_csv(out)["period"]) == {"2026-10"}


def test_a_long_list_of_teams_ends_in_one_row_of_the_others(book, window):
    review = report.department_review(book, None, window)
    teams = pd.DataFrame({"team": [f"T{i}" for i in range(8)], "users": [8, 7, 6, 5, 4, 3, 2, 1]})
    section = PeakSection("2026-10", PREMIUM, OCTOBER_PEAK, 36, 30.0, 6.0, teams,
                          [("T0", 8)], "", 36.0)
    table = review.peak_table(section)
    assert table["Team"].tolist() == ["T0", "T1", "T2", "T3", "T4", "3 other teams"]
    assert table["Users"].tolist() == [8, 7, 6, 5, 4, 6]
    assert table["Users"].sum() == section.peak


def test_with_teams_a_department_review_counts_its_own_teams(book, window):
    # the sample's pages with a team per agent: Claims' users in "Claims A"/"Claims B" by the
    # parity of their number, everyone else in "Elsewhere"
    sessions = book.measured_sessions
    users = book.users.drop_duplicates("user_id").set_index("user_id")["department"]
    number = sessions["user_id"].str[1:].astype(int)
    team = pd.Series("Elsewhere", index=sessions.index)
    claims = sessions["user_id"].map(users) == "Claims"
    team[claims] = ["Claims A" if n % 2 else "Claims B" for n in number[claims]]
    teamed = dataclasses.replace(book, directory=None, sessions=sessions.assign(team=team))
    review = report.department_review(teamed, "Claims", window)
    [section] = review.peaks
    table = review.peak_table(section)
    assert list(table.columns) == ["Team", "Users", "Share of the peak"]
    assert set(table["Team"]) == {"Claims A", "Claims B"} and table["Users"].sum() == 18
    assert report.peak_caption(review, section).startswith(CAPTION + " 18 of them in Claims. "
                                                           "Largest by team: Claims ")
    whole = report.department_review(teamed, None, window).peaks[0]
    assert dict(zip(whole.by_team["team"], whole.by_team["users"], strict=True))[
        "Elsewhere"] == 50 - 18
