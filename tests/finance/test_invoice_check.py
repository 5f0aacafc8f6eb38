"""The invoice check (T2), on the hand-computed March 2025 of ``test_costs``.

Computed bill of 2025-03 (test_costs' docstring): committed Sub-A agents 10 × 100.00 = 1000.00,
AI Agent 1000 × 0.50 = 500.00; Sub-B agents 15 × 90.00 = 1350.00, AI Agent 500 × 0.55 = 275.00;
overage, both owned by Sub-A: agents 3 × 150.00 = 450.00, AI Agent 200 × 0.80 = 160.00. Total
3735.00. The agents' peak of 28 was set at 2025-03-10 10:00.
"""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import march_usage, priced_tenant
from toolkit import InputError, allocate, check_invoice, load_invoice
from toolkit.commands.cli import main
from toolkit.finance.invoice_check import disputed, period_totals
from toolkit.finance.money import to_cents

HEADER = ["period", "subscription_id", "sku", "charge", "quantity", "unit_price", "amount",
          "currency"]
#: The invoice that agrees with the computed bill, line by line.
AGREEING = [
    ["2025-03", "Sub-A", "A-FLEX-CC-STD-AGT", "committed", "10", "100", "1000.00", "EUR"],
    ["2025-03", "Sub-A", "A-FLEX-CC-AI-AGENT", "committed", "1000", "0.5", "500.00", "EUR"],
    ["2025-03", "Sub-B", "A-FLEX-CC-STD-AGT", "committed", "15", "90", "1350.00", "EUR"],
    ["2025-03", "Sub-B", "A-FLEX-CC-AI-AGENT", "committed", "500", "0.55", "275.00", "EUR"],
    ["2025-03", "Sub-A", "A-FLEX-CC-STD-AGT", "overage", "3", "150", "450.00", "EUR"],
    ["2025-03", "Sub-A", "A-FLEX-CC-AI-AGENT", "overage", "200", "0.8", "160.00", "EUR"],
]


def write(tmp_path, rows, header=HEADER, name="invoice.csv"):
    path = tmp_path / name
    pd.DataFrame(rows, columns=header).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def march():
    tenant = priced_tenant()
    usage = march_usage()
    return tenant, allocate(tenant, usage), usage


def check(tmp_path, march, rows):
    tenant, allocation, usage = march
    invoice = load_invoice(write(tmp_path, rows), tenant)
    return invoice, check_invoice(tenant, allocation, invoice, usage)


def replaced(index, **cells):
    rows = [list(row) for row in AGREEING]
    for column, value in cells.items():
        rows[index][HEADER.index(column)] = value
    return rows


def test_an_agreeing_invoice_has_no_difference(tmp_path, march):
    invoice, result = check(tmp_path, march, AGREEING)
    assert result.empty
    assert list(result.columns) == ["period", "subscription_id", "usage_type", "charge",
                                    "invoiced_quantity", "computed_quantity", "invoiced_amount",
                                    "computed_amount", "difference", "cause", "explanation"]
    totals = period_totals(invoice, result)
    assert totals.to_dict("records") == [{"period": "2025-03", "invoiced": 3735.0,
                                          "computed": 3735.0, "difference": 0.0}]


def test_load_invoice_columns_and_sku_mapping(tmp_path, march):
    invoice = load_invoice(write(tmp_path, AGREEING), march[0])
    assert list(invoice.columns) == ["invoice_id", "line_id", "period", "subscription_id",
                                     "usage_type", "charge", "quantity", "unit_price", "amount",
                                     "currency"]
    assert invoice["usage_type"].tolist()[:2] == ["cc_standard_agent", "ai_agent"]
    assert str(invoice["period"].iloc[0]) == "2025-03"
    assert invoice["amount"].sum() == 3735.0


def test_quantity_difference_names_the_peak_interval(tmp_path, march):
    _, result = check(tmp_path, march, replaced(4, quantity="4", amount="600.00"))
    row = result.iloc[0]
    assert len(result) == 1
    assert (row.cause, row.invoiced_quantity, row.computed_quantity, row.difference) == (
        "quantity", 4.0, 3.0, 150.0)
    assert "2025-03-10 10:00:00" in row.explanation


def test_price_difference(tmp_path, march):
    _, result = check(tmp_path, march, replaced(2, unit_price="92", amount="1380.00"))
    assert result[["subscription_id", "cause", "difference"]].values.tolist() == [
        ["Sub-B", "price", 30.0]]
    assert "92" in result["explanation"].iloc[0] and "90" in result["explanation"].iloc[0]


def test_overage_billed_to_another_subscription_is_an_owner_difference(tmp_path, march):
    _, result = check(tmp_path, march, replaced(4, subscription_id="Sub-B"))
    assert result[["subscription_id", "cause", "difference"]].values.tolist() == [
        ["Sub-A", "owner", -450.0], ["Sub-B", "owner", 450.0]]
    assert result["explanation"].iloc[0] == march[0].explain_owner("cc_standard_agent",
                                                                   "2025-03-31")


def test_whole_day_proration_is_proration(tmp_path, march):
    # the invoice bills Sub-B's 15 agents for 21 of March's 31 days: 15 × 21/31 = 10.1612…,
    # × 90.00 = 914.516… → 914.52, against the full month's 1350.00
    rows = replaced(2, quantity="10.161290322580646", amount="914.52")
    _, result = check(tmp_path, march, rows)
    assert result[["cause", "difference"]].values.tolist() == [["proration", -435.48]]


def test_missing_lines_both_ways_and_rounding(tmp_path, march):
    rows = [row for i, row in enumerate(AGREEING) if i != 5]  # AI Agent overage not invoiced
    rows[1] = replaced(1, amount="500.01")[1]
    rows.append(["2025-03", "Sub-B", "A-FLEX-CC-WFO", "committed", "5", "40", "200.00", "EUR"])
    invoice, result = check(tmp_path, march, rows)
    assert result[["subscription_id", "usage_type", "charge", "cause", "difference"]
                  ].values.tolist() == [
        ["Sub-A", "ai_agent", "committed", "rounding", 0.01],
        ["Sub-A", "ai_agent", "overage", "missing_on_invoice", -160.0],
        ["Sub-B", "wfo", "committed", "missing_in_tenant", 200.0]]
    totals = period_totals(invoice, result)
    assert totals[["invoiced", "computed", "difference"]].values.tolist() == [
        [3775.01, 3735.0, 40.01]]
    assert disputed(result).values.tolist() == [["Sub-B", 200.0, 1], ["Sub-A", -160.0, 1]]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(-500, 500), st.integers(-3, 3)),
                max_size=6))
def test_differences_add_up_to_invoiced_minus_computed(tmp_path_factory, march, changes):
    rows = [list(row) for row in AGREEING]
    for index, cents, quantity in changes:
        row = rows[index]
        row[HEADER.index("amount")] = f"{float(row[6]) + cents / 100:.2f}"
        row[HEADER.index("quantity")] = str(max(0.0, float(row[4]) + quantity))
    invoice, result = check(tmp_path_factory.mktemp("inv"), march, rows)
    assert to_cents(result["difference"]).sum() == to_cents(invoice["amount"]).sum() - 373500
    assert set(result["cause"]) <= {"quantity", "price", "owner", "proration",
                                    "missing_on_invoice", "missing_in_tenant", "rounding"}


def test_every_problem_of_the_file_at_once(tmp_path, march):
    rows = [list(row) for row in AGREEING]
    rows[0][2] = "A-FLEX-UNKNOWN"
    rows[1][1] = "Sub-Z"
    rows[2][7] = "USD"
    rows[3][6] = "twelve"
    rows[4][0] = "2025-13"
    with pytest.raises(InputError) as raised:
        load_invoice(write(tmp_path, rows), march[0])
    text = str(raised.value)
    assert len(raised.value.problems) == 5
    for piece in ("row 2, column 'sku': found 'A-FLEX-UNKNOWN'",
                  "row 3, column 'subscription_id': found 'Sub-Z'",
                  "row 4, column 'currency': found 'USD'",
                  "row 5, column 'amount': found 'twelve'",
                  "row 6, column 'period': found '2025-13'"):
        assert piece in text


def test_a_sku_table_overrides_and_usage_type_column(tmp_path, march):
    rows = [[*row[:2], "MY-AGENTS" if "STD" in row[2] else row[2], *row[3:]] for row in AGREEING]
    invoice = load_invoice(write(tmp_path, rows), march[0], {"my-agents": "cc_standard_agent"})
    assert invoice["usage_type"].tolist().count("cc_standard_agent") == 3
    typed = [[*row[:2], t, *row[3:]] for row, t in zip(AGREEING, [
        "cc_standard_agent", "ai_agent"] * 3, strict=True)]
    header = [*HEADER[:2], "usage_type", *HEADER[3:]]
    assert load_invoice(write(tmp_path, typed, header, "typed.csv"), march[0])[
        "usage_type"].tolist()[:2] == ["cc_standard_agent", "ai_agent"]


def test_xlsx_invoice(tmp_path, march):
    path = tmp_path / "invoice.xlsx"
    pd.DataFrame(AGREEING, columns=HEADER).to_excel(path, index=False)
    assert check_invoice(march[0], march[1], load_invoice(path, march[0])).empty


def test_the_sample_invoice_has_each_documented_discrepancy(sample_data, sample_allocation):
    from toolkit.resources import sample_dir
    from toolkit.sample import INVOICE_DISCREPANCIES, INVOICE_EXTRA

    invoice = load_invoice(sample_dir() / "invoice.csv", sample_data.tenant)
    result = check_invoice(sample_data.tenant, sample_allocation, invoice, sample_data.usage)
    found = {tuple(row) for row in result[["cause", "period", "subscription_id", "usage_type",
                                           "charge"]].astype(str).values.tolist()}
    for cause, *key, _change in INVOICE_DISCREPANCIES:
        assert (cause, *key) in found
    assert ("owner", "2026-09", "Sub-1003", "ivr_port", "overage") in found
    assert ("missing_in_tenant", *INVOICE_EXTRA[:4]) in found
    assert len(result) == len(INVOICE_DISCREPANCIES) + 2  # the owner pair, the extra line
    assert sorted(set(result["cause"])) == sorted(
        ["quantity", "price", "owner", "proration", "missing_on_invoice", "missing_in_tenant",
         "rounding"])


def test_cli_exit_status(tmp_path, tenant_dir, capsys):
    good = write(tmp_path, [row for row in AGREEING])
    assert main(["check-invoice", str(good), str(tenant_dir), "--out",
                 str(tmp_path / "out.csv")]) == 0
    assert "the invoice agrees" in capsys.readouterr().out
    bad = write(tmp_path, replaced(2, unit_price="92", amount="1380.00"), name="bad.csv")
    assert main(["check-invoice", str(bad), str(tenant_dir), "--out",
                 str(tmp_path / "out.csv")]) == 1
    out = capsys.readouterr().out
    assert "in dispute: Sub-B 30.00 (1 line)" in out
    assert main(["check-invoice", str(bad), str(tenant_dir), "--out", str(tmp_path / "o.csv"),
                 "--tolerance", "50"]) == 0
    written = pd.read_csv(tmp_path / "out.csv")
    assert written["cause"].tolist() == ["price"]
    broken = write(tmp_path, replaced(0, currency="USD"), name="broken.csv")
    assert main(["check-invoice", str(broken), str(tenant_dir), "--out",
                 str(tmp_path / "x.csv")]) == 2
