"""Summaries that disclose what they do not know (issue 20, items 4-8).

Coverage (months with and without usage, unallocated usage with its reason and its price), AI
Agent sessions as tenant usage through ``ai_agents.csv``, budget warnings in the review, one way
of writing dates, and the biggest driver found over departments and subscriptions too. Figures
are hand-computed on small tenants built here, or read off the bundled sample.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import subscription, tenant, usage
from toolkit.allocation import allocate
from toolkit.errors import InputError
from toolkit.finance.coverage import comparable, coverage
from toolkit.inputs.ai_agents import load_ai_agents
from toolkit.inputs.tenant_file import save_tenant
from toolkit.model import Line, Term
from toolkit.periods import last_day
from toolkit.present.words import budget_warning_text, term_text

D = dt.date
YEAR = (D(2026, 1, 1), D(2027, 1, 1))


def _line(usage_type, quantity, overage_price=None):
    return Line(usage_type, quantity, 1.0, *YEAR, overage_price=overage_price)


def ai_tenant():
    """Two subscriptions holding 100 AI Agent sessions a month each; A also 10 agents."""
    a = subscription("Sub-A", Term(*YEAR, (_line("ai_agent", 100, 2.0),
                                           _line("cc_standard_agent", 10, 50.0))),
                     department="Dept A")
    b = subscription("Sub-B", Term(*YEAR, (_line("ai_agent", 100, 3.0),)), department="Dept B")
    return tenant(a, b)


def ai_usage():
    """March 2026: 30 sessions of bot-a, 4 of the agent named "Bot B", 10 of unlisted bot-x,
    and a 3-agent sample of alice, whom the users table does not list."""
    rows = ([("2026-03-02T10:00", "ai_agent", 1, None, "bot-a")] * 30
            + [("2026-03-03T10:00", "ai_agent", 1, None, "Bot B")] * 4
            + [("2026-03-04T10:00", "ai_agent", 1, None, "bot-x")] * 10
            + [("2026-03-05T10:00", "cc_standard_agent", 3, None, "alice")])
    frame = usage(*rows)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"]).dt.tz_localize("UTC")
    return frame


USERS = pd.DataFrame({"user_id": ["bob"], "role": ["agent"], "license": ["cc_standard_agent"],
                      "subscription_id": ["Sub-A"]})
AGENTS = pd.DataFrame({"agent_id": ["bot-a", "bot-b"], "name": ["Bot A", "Bot B"],
                       "subscription_id": ["Sub-A", "Sub-B"]})


def _by_sub(allocation) -> dict[str, float]:
    rows = allocation.by_subscription
    rows = rows[rows["usage_type"] == "ai_agent"]
    return dict(zip(rows["subscription_id"], rows["usage"], strict=True))


# --- item 5: AI agents ----------------------------------------------------------------------

def test_ai_agent_sessions_follow_the_ai_agent_table_and_the_rest_pool_pro_rata():
    result = allocate(ai_tenant(), ai_usage(), USERS, ai_agents=AGENTS)
    # bot-a 30 → A; "Bot B" (by name) 4 → B; bot-x 10 unlisted: pooled 50/50 by entitlement
    assert _by_sub(result) == {"Sub-A": 35.0, "Sub-B": 9.0}
    reasons = result.unallocated.groupby("reason")["quantity"].sum().to_dict()
    assert reasons == {"user not in the users table": 3.0}  # alice only, never an AI agent


def test_without_the_table_every_ai_agent_session_is_pooled_not_unallocated():
    result = allocate(ai_tenant(), ai_usage(), USERS)
    assert _by_sub(result) == {"Sub-A": 22.0, "Sub-B": 22.0}
    assert set(result.unallocated["user_id"]) == {"alice"}


def test_a_person_of_the_users_table_is_never_taken_for_an_ai_agent():
    users = pd.concat([USERS, pd.DataFrame({"user_id": ["bot-x"], "role": ["agent"],
                                            "license": ["ai_agent"],
                                            "subscription_id": ["Sub-B"]})])
    result = allocate(ai_tenant(), ai_usage(), users, ai_agents=AGENTS)
    assert _by_sub(result) == {"Sub-A": 30.0, "Sub-B": 14.0}


def test_ai_agents_file_problems_are_all_reported_with_row_column_value(tmp_path):
    path = tmp_path / "ai_agents.csv"
    path.write_text("agent_id,name,subscription_id\nbot-a,Bot A,Sub-A\n,Nameless,Sub-A\n"
                    "bot-a,Bot A2,Sub-B\nbot-c,Bot A,Sub-Z\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_ai_agents(path, ai_tenant())
    found = [(p.where, p.column, p.value) for p in caught.value.problems]
    assert found == [("row 3", "agent_id", None),
                     ("row 4 (bot-a)", "agent_id", "bot-a"),
                     ("row 5 (bot-c)", "name", "Bot A"),
                     ("row 5 (bot-c)", "subscription_id", "Sub-Z")]
    assert all(p.file == str(path) for p in caught.value.problems)
    assert "Sub-A, Sub-B" in caught.value.problems[-1].expected


def test_the_workspace_reads_ai_agents_csv_and_allocate_uses_it(tmp_path):
    from toolkit.workspace import Workspace

    save_tenant(ai_tenant(), tmp_path / "tenant.yaml")
    frame = ai_usage()
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    frame.to_csv(tmp_path / "usage.csv", index=False)
    USERS.to_csv(tmp_path / "users.csv", index=False)
    AGENTS.to_csv(tmp_path / "ai_agents.csv", index=False)
    book = Workspace.open(tmp_path)
    assert _by_sub(book.allocation) == {"Sub-A": 35.0, "Sub-B": 9.0}


def test_the_sample_ai_agent_table_is_valid_and_names_the_page_agents():
    from toolkit.resources import sample_dir
    from toolkit.sample import sample_ai_agents, sample_tenant

    agents = load_ai_agents(sample_dir() / "ai_agents.csv", sample_tenant())
    assert list(agents["agent_id"]) == ["ai-assist", "ai-claims"]
    assert list(agents["subscription_id"].fillna("")) == ["", "Sub-1003"]
    assert list(sample_ai_agents()["agent_id"]) == list(agents["agent_id"])


# --- item 4: coverage -----------------------------------------------------------------------

def test_coverage_names_months_without_usage_and_prices_the_unallocated():
    result = allocate(ai_tenant(), ai_usage(), USERS, ai_agents=AGENTS)
    found = coverage(result, pd.period_range("2026-02", "2026-04", freq="M"))
    assert [str(p) for p in found.with_usage] == ["2026-03"]
    assert [str(p) for p in found.without_usage] == ["2026-02", "2026-04"]
    rows = found.unallocated.to_dict("records")
    assert len(rows) == 1
    row = rows[0]
    assert (row["reason"], row["usage_type"], row["rows"], row["quantity"]) == \
        ("user not in the users table", "cc_standard_agent", 1, 3.0)
    # a 3-agent peak at Sub-A's overage price of 50.00 (the primary owns agent overage)
    assert (row["owner"], row["overage_price"], row["cost"]) == ("Sub-A", 50.0, 150.0)
    assert found.unallocated_rows == 1 and found.unallocated_cost == 150.0
    assert not found.complete


def test_months_are_compared_only_where_both_windows_have_usage():
    result = allocate(ai_tenant(), ai_usage(), USERS, ai_agents=AGENTS)
    now = pd.period_range("2026-03", "2026-04", freq="M")
    before = pd.period_range("2026-01", "2026-02", freq="M")
    assert comparable(now, before, result) == []
    assert comparable(now, now, result) == [(now[0], now[0])]


# --- item 7: dates --------------------------------------------------------------------------

def test_a_half_open_term_reads_with_its_last_day():
    assert last_day(D(2026, 7, 1)) == D(2026, 6, 30)
    assert term_text(D(2024, 7, 1), D(2026, 7, 1)) == "1 July 2024 to 30 June 2026"


def test_one_wording_of_a_budget_warning():
    assert budget_warning_text(80) == "reached 80% of budget, not above it"


# --- item 8: the biggest driver -------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_book():
    from toolkit.present import report
    from toolkit.resources import sample_dir

    return report.load_book(sample_dir())


def test_the_biggest_driver_of_the_tenant_is_sales_returning_from_its_lapse(sample_book):
    from toolkit.present import report

    review = report.department_review(sample_book, None)
    assert dict(review.summary)["Biggest driver"] == (
        "The biggest driver of the change is the department Sales: up EUR 19,310.00; among "
        "usage types, Contact Center Standard agent: up EUR 6,650.00.")


def test_a_new_subscription_is_the_driver_over_its_usage_types():
    from toolkit.present import report
    from toolkit.workspace import Workspace

    old = subscription("Sub-1", Term(D(2025, 1, 1), D(2027, 1, 1), (
        Line("ai_agent", 100, 1.0, D(2025, 1, 1), D(2027, 1, 1)),)), department="X")
    new = subscription("Sub-2", Term(D(2026, 4, 1), D(2027, 1, 1), (
        Line("ai_agent", 100, 1.0, D(2026, 4, 1), D(2027, 1, 1)),
        Line("ai_assistant", 50, 1.0, D(2026, 4, 1), D(2027, 1, 1)))), department="X")
    rows = [(f"2026-{m:02d}-05T10:00", "ai_agent", 1, "Sub-1") for m in range(1, 7)]
    frame = usage(*rows)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"]).dt.tz_localize("UTC")
    book = Workspace(tenant(old, new), frame)
    review = report.department_review(book, "X")
    assert review.window.text == "April–June 2026"
    # Sub-2: 3 × (100 + 50) = +450.00; by type AI Agent +300.00, AI Assistant +150.00
    assert dict(review.summary)["Biggest driver"] == (
        "The biggest driver of the change is the subscription Sub-2 (X): up EUR 450.00; among "
        "usage types, AI Agent: up EUR 300.00.")


# --- item 6: warnings, item 7: dates, in the page itself ------------------------------------

def test_warnings_and_inclusive_terms_are_on_the_page(sample_book):
    from toolkit.present import report, review_page

    care = review_page.department_html(report.department_review(sample_book, "Customer Care"))
    assert ("Customer Care reached 80% of budget, not above it, in each month of "
            "July–September 2026.") in care
    operations = review_page.department_html(report.department_review(sample_book,
                                                                      "Operations"))
    assert "1 July 2024 to 30 June 2026" in operations
    assert "its last day was 2026-06-30" in operations  # the V3 finding says the same day
    assert "2026-07-01" not in operations and "ended on" not in operations


def test_costs_prints_the_coverage_and_the_unallocated_usage(tmp_path, capsys):
    from toolkit.commands.cli import main

    save_tenant(ai_tenant(), tmp_path / "tenant.yaml")
    frame = ai_usage()
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    frame.to_csv(tmp_path / "usage.csv", index=False)
    USERS.to_csv(tmp_path / "users.csv", index=False)
    assert main(["costs", str(tmp_path)]) == 0
    out = " ".join(capsys.readouterr().out.split())  # lines wrapped to the terminal, joined
    assert "coverage: 1 period with usage, none without" in out
    assert ("coverage: 1 usage row not allocated, on no department's bill; at the owner's "
            "price EUR 150.00:") in out
    assert ("Contact Center Standard agent: 1 row, quantity 3 (3 billable), user not in the "
            "users table; EUR 150.00") in out


def test_a_month_without_usage_is_never_part_of_the_change(sample_book):
    from toolkit.finance.money import to_cents
    from toolkit.present import report

    window = report.Window(pd.Period("2026-09", "M"), pd.Period("2026-11", "M"),
                           sample_book.as_of)
    review = report.department_review(sample_book, None, window)
    billed = sample_book.billed

    def cents(*months):
        return int(to_cents(billed.loc[billed["period"].astype(str).isin(months),
                                       "total_cost"]).sum())

    now, before = cents("2026-09", "2026-10"), cents("2026-06", "2026-07")
    assert (now, before) == (107_926_38, 110_010_00) and review.change_cents == (now, before)
    assert dict(review.summary)["Change"] == (
        "Compared only over the months both periods have usage (September–October 2026 "
        "against June–July 2026): EUR 107,926.38 billed, EUR 2,083.62 (1.9%) less than the "
        "EUR 110,010.00 billed in June–July 2026.")
    assert dict(review.summary)["Coverage"].startswith(
        "The figures rest on the usage of September–October 2026; November 2026 has no usage")
    table = review.department_table()
    assert int(to_cents(table["Change (EUR)"]).sum()) == now - before


def test_a_lapse_is_a_gap_in_the_forecast_line_and_no_band_is_named_undrawn(sample_book):
    from toolkit.present import plots, report, review_page

    review = report.department_review(sample_book, "Sales")
    ax = review_page.forecast_figure(review).axes[0]
    billed = ax.lines[0].get_xydata()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "2025-11"  # twelve months before the forecast, April–May 2026 inside
    lapse = billed[np.isin(billed[:, 0], [5, 6])]  # 2026-04 and 2026-05
    assert np.isnan(lapse[:, 1]).all() and not np.isnan(billed[[4, 7], 1]).any()
    one = pd.DataFrame({"period": pd.PeriodIndex(["2026-01"], freq="M"),
                        "total_cost_low": [5.0], "total_cost": [6.0], "total_cost_high": [8.0]})
    past = pd.DataFrame({"period": pd.PeriodIndex(["2025-12"], freq="M"), "total_cost": [6.0]})
    single = plots.forecast_chart(past, one, "EUR", "one month").axes[0]
    assert [t.get_text() for t in single.get_legend().get_texts()] == [
        "billed", "forecast (run rate)", "low–high range"]
    flat = plots.forecast_chart(past, one.assign(total_cost_low=6.0, total_cost_high=6.0),
                                "EUR", "no spread").axes[0]
    assert [t.get_text() for t in flat.get_legend().get_texts()] == [
        "billed", "forecast (run rate)"]


@settings(max_examples=40, deadline=None)
@given(sessions=st.lists(st.sampled_from(["bot-a", "bot-b", "bot-x", "Bot A"]), min_size=1,
                         max_size=40),
       homes=st.tuples(st.sampled_from(["Sub-A", "Sub-B", None]),
                       st.sampled_from(["Sub-A", "Sub-B", None])))
def test_every_ai_agent_session_is_allocated_once(sessions, homes):
    """M6 with an AI agent table: every session lands on exactly one subscription (none is
    unallocated), and an agent's sessions are at least on its own subscription."""
    agents = pd.DataFrame({"agent_id": ["bot-a", "bot-b"], "name": ["Bot A", "Bot B"],
                           "subscription_id": list(homes)})
    frame = usage(*[("2026-03-02T10:00", "ai_agent", 1, None, who) for who in sessions])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"]).dt.tz_localize("UTC")
    result = allocate(ai_tenant(), frame, USERS, ai_agents=agents)
    placed = _by_sub(result)
    assert result.unallocated.empty
    assert sum(placed.values()) == pytest.approx(len(sessions))
    own = {"bot-a": homes[0], "Bot A": homes[0], "bot-b": homes[1]}
    for sub in ("Sub-A", "Sub-B"):
        mine = sum(1 for who in sessions if own.get(who) == sub)
        assert placed.get(sub, 0.0) >= mine - 1e-9
