"""``multisub report``: the department review's figures, and the HTML reports the command writes
(papermill runs notebook 4, nbconvert renders it without code)."""

import re

import pytest

from toolkit import InputError, chargeback
from toolkit.commands.cli import main
from toolkit.finance.money import from_cents, to_cents
from toolkit.present import report
from toolkit.resources import sample_dir

DEPARTMENTS = ("Claims", "Sales")


@pytest.fixture(scope="module")
def billed(sample_data, sample_allocation):
    return chargeback(sample_allocation, sample_data.tenant, "billed")


def department_total(frame, department, column):
    rows = frame[frame["department"] == department]
    return float(from_cents(to_cents(rows[column]).sum()))


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    argv = ["report", str(sample_dir()), "--out", str(out), "--as-of", "2026-10"]
    for department in DEPARTMENTS:
        argv += ["--department", department]
    assert main(argv) == 0
    return {department: (out / report.file_name(department)).read_text(encoding="utf-8")
            for department in DEPARTMENTS}


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_report_shows_the_departments_own_figures(reports, billed, department):
    html = reports[department]
    committed = department_total(billed, department, "committed_cost")
    total = department_total(billed, department, "total_cost")
    assert f"EUR {committed:,.2f}" in html
    assert f"EUR {total:,.2f}" in html
    assert f"{department} · Assicurazioni Aurora · 2024-01 to 2026-10" in html
    others = [d for d in DEPARTMENTS if d != department]
    for other in others:  # another department's committed total is not this report's headline
        assert f"EUR {department_total(billed, other, 'committed_cost'):,.2f}" not in html


def test_report_html_has_no_code(reports):
    for html in reports.values():
        assert "department_review(" not in html
        assert "import toolkit" not in html
        assert "Budget vs actual" in html and "Forecast to term end" in html


def test_hand_checked_headline_of_claims():
    # Claims holds one subscription (Sub-1003) for 32 months at 15,350.00 a month, and owns no
    # pooled overage (Sub-1001 is primary and first holder throughout 2024-03..2026-10).
    review = report.department_review(sample_dir(), "Claims", as_of="2026-10")
    assert review.committed_cost == 32 * 15_350.00 == 491_200.00
    assert review.overage_billed == 0.0
    headline = dict(review.headline().values.tolist())
    assert headline["Committed cost"] == "EUR 491,200.00"
    assert headline["Total cost, billed"] == "EUR 491,200.00"
    # 4 months from 2026-11 to the end of its term (2027-03-01) at the committed 15,350.00.
    assert review.forecast["period"].astype("str").unique().tolist() == [
        "2026-11", "2026-12", "2027-01", "2027-02"]
    assert review.forecast_by_subscription()["committed"].tolist() == ["61,400.00"]
    assert review.findings["subject"].tolist() == ["Sub-1003"]


def test_both_views_add_up_to_the_same_total():
    review = report.department_review(sample_dir(), "Sales", first="2026-01", last="2026-06")
    # Sales' subscription lapsed from 2026-04-01 until its renewal on 2026-06-01: no cost then.
    assert review.billed["period"].astype("str").tolist() == [
        "2026-01", "2026-02", "2026-03", "2026-06"]
    billed_cents = to_cents(review.billed_all["total_cost"]).sum()
    caused_cents = to_cents(review.caused_all["total_cost"]).sum()
    assert billed_cents == caused_cents


def test_unknown_department_is_a_clear_error(capsys):
    assert main(["report", str(sample_dir()), "--department", "Legal", "--out", "/nonexistent"]) \
        == 2
    message = capsys.readouterr().err
    assert "found 'Legal'" in message and "Claims, Collections, Customer Care" in message
    with pytest.raises(InputError, match="Legal"):
        report.department_review(sample_dir(), "Legal")


def test_departments_whose_names_slug_alike_get_distinct_files():
    assert report.file_names(["R&D", "R D", "Sales", "r-d"]) == {
        "R&D": "r-d.html", "R D": "r-d-2.html", "Sales": "sales.html", "r-d": "r-d-3.html"}


def test_file_names_are_slugs():
    assert report.file_name("Customer Care") == "customer-care.html"
    assert report.file_name("R&D / Ops") == "r-d-ops.html"
    assert re.fullmatch(r"[a-z-]+\.html", report.file_name("Operations"))


def test_the_report_notebook_is_found_next_to_the_package():
    path = report.notebook_path()
    assert path.name == "04_department_cost_review.ipynb" and path.exists()
    import nbformat

    cells = nbformat.read(path, as_version=4).cells
    tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert not any("ipywidgets" in c.source or "ui." in c.source for c in cells
                   if c.cell_type == "code")


def test_money_text():
    assert report.money_text(1234567.891, "EUR") == "EUR 1,234,567.89"
    assert report.money_text(0, "USD") == "USD 0.00"
