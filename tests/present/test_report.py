"""``multisub report``: the review's window, figures and sentences, and the HTML it writes.

Figures are compared with the toolkit's own chargeback and budgets (so the tests follow any
change of the money rules); hand-computed cases pin the sentences exactly.
"""

import datetime as dt
import re
import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from toolkit import InputError
from toolkit.commands.cli import main
from toolkit.finance.money import to_cents
from toolkit.present import report, review_page
from toolkit.resources import sample_dir

Q3 = ("2026-07", "2026-09")


@pytest.fixture(scope="module")
def book():
    return report.load_book(sample_dir())


def cents_in(frame, first, last, department=None, column="total_cost"):
    periods = frame["period"]
    rows = frame[(periods >= pd.Period(first, "M")) & (periods <= pd.Period(last, "M"))]
    if department is not None:
        rows = rows[rows["department"] == department]
    return int(to_cents(rows[column]).sum())


# --- the window and the as-of day ---------------------------------------------------------------

def test_as_of_is_the_last_day_of_the_last_month_with_usage(book):
    assert book.as_of == dt.date(2026, 10, 31)


@pytest.mark.parametrize(("as_of", "first", "last"), [
    (dt.date(2026, 10, 31), "2026-07", "2026-09"),
    (dt.date(2026, 9, 30), "2026-07", "2026-09"),  # the quarter ends on the as-of day
    (dt.date(2026, 9, 29), "2026-04", "2026-06"),
    (dt.date(2026, 1, 15), "2025-10", "2025-12"),
])
def test_default_window_is_the_last_complete_quarter(as_of, first, last):
    window = report.default_window(as_of)
    assert (str(window.first), str(window.last)) == (first, last)
    assert window.length == 3


def test_previous_window_has_the_same_length_and_ends_before():
    window = report.choose_window(dt.date(2026, 10, 31), "2026-02", "2026-06")
    assert (str(window.previous.first), str(window.previous.last)) == ("2025-09", "2026-01")
    assert window.text == "February–June 2026"
    assert window.previous.text == "September 2025 – January 2026"


def test_one_bound_keeps_the_quarter_length():
    as_of = dt.date(2026, 10, 31)
    assert str(report.choose_window(as_of, last="2026-05").first) == "2026-03"
    assert str(report.choose_window(as_of, first="2026-01").last) == "2026-03"


@pytest.mark.parametrize(("first", "last", "option"), [
    ("banana", None, "first"), (None, "2026-13", "last"), ("2030-01", "2020-01", "first")])
def test_unreadable_or_reversed_bounds_are_input_errors(first, last, option):
    """The review speaks of its parameters; the command line names its flags (test below)."""
    with pytest.raises(InputError, match=rf"- {option}: found"):
        report.choose_window(dt.date(2026, 10, 31), first, last)


@pytest.mark.parametrize("argv", [["--from", "banana"], ["--from", "2030-01", "--to", "2020-01"],
                                  ["--format", "docx"], ["--as-of", "yesterday"],
                                  ["--from", "2030-01", "--to", "2030-03"],
                                  ["--from", "2020-01", "--to", "2020-03"],
                                  ["--to", "2026-10", "--as-of", "2026-10-30"]])
def test_bad_options_exit_2_without_traceback(argv, tmp_path, capsys):
    try:  # argument types refuse some at parse time (argparse exits), the review the rest
        code = main(["report", str(sample_dir()), "--all", "--out", str(tmp_path), *argv])
    except SystemExit as stop:
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err
    assert "multisub" in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_a_tenant_without_budgets_or_users_is_reviewed(tmp_path):
    target = tmp_path / "tenant"
    target.mkdir()
    for name in ("tenant.yaml", "usage.csv"):
        shutil.copy(sample_dir() / name, target / name)
    book = report.load_book(target)
    assert book.budgets is None and book.users is None
    review = report.department_review(book, "Claims")
    assert dict(review.summary)["Billed vs budget"].endswith(
        "no budget was set for these months.")
    assert "Budget (EUR)" not in review.monthly()
    page = review_page.department_html(review)
    assert "<h2>Budget</h2>" not in page and "<h2>Summary</h2>" in page


# --- figures -------------------------------------------------------------------------------------

def test_every_department_reads_the_chargeback(book):
    window = report.default_window(book.as_of)
    total = 0
    for department in book.departments:
        review = report.department_review(book, department, window)
        assert review.billed_cents == cents_in(book.billed, *Q3, department)
        assert review.previous_cents == cents_in(book.billed, "2026-04", "2026-06", department)
        assert review.overage_caused_cents == cents_in(book.caused, *Q3, department,
                                                       "overage_cost")
        total += review.billed_cents
    tenant = report.department_review(book, None, window)
    assert tenant.billed_cents == total == cents_in(book.billed, *Q3)
    assert tenant.overage_billed_cents == tenant.overage_caused_cents
    roll_up = tenant.department_table()
    assert list(roll_up["Department"]) == book.departments
    assert int(to_cents(roll_up["Billed (EUR)"]).sum()) == total


def test_hand_checked_summary_of_claims(book):
    # Claims holds Sub-1003 alone: 15,350.00 a month committed, a 20,000.00 monthly budget, and
    # the same cost in the quarter before; its usage above its own IVR entitlement in September
    # caused the tenant's only overage of the quarter (one port at 48.00, owned by Sub-1001).
    review = report.department_review(book, "Claims")
    assert review.billed_cents == 3 * 15_350_00
    assert dict(review.summary) == {
        "Billed vs budget": "Claims was billed EUR 46,050.00 for July–September 2026 against "
                            "a budget of EUR 60,000.00: 76.8% of the budget, EUR 13,950.00 "
                            "under.",
        "Change": "That is the same as the EUR 46,050.00 billed in April–June 2026.",
        "Overage": "No overage was billed to Claims; its usage above its own entitlement "
                   "caused EUR 48.00 of overage.",
        "Paid for, not used": "EUR 6,238.92 of the EUR 46,050.00 committed to Claims in "
                              "July–September 2026 was paid for and not used (13.5%).",
        "Budget breaches": "No month went over budget.",
        "Budget warnings": "No month reached the warning threshold of its budget.",
        "Biggest driver": "No department, subscription or usage type changed in cost from the "
                          "previous period.",
        "Coverage": "Usage covers every month of July–September 2026. All of the tenant's "
                    "usage in these months was allocated.",
    }


def test_overage_owner_is_named(book):
    review = report.department_review(book, None)
    sentence = dict(review.summary)["Overage"]
    assert sentence == ("EUR 48.00 of overage was billed, owned by Sub-1001 (Customer Care, "
                        "EUR 48.00); by usage above their own entitlement it was caused by "
                        "Claims EUR 48.00.")
    owners = review.overage_owners()
    assert owners.to_dict("records") == [{
        "Month": "September 2026", "Usage type": "IVR port", "Owner": "Sub-1001",
        "Department": "Customer Care", "Overage": 1.0, "Unit": "concurrent IVR sessions",
        "Overage price (EUR)": 48.0, "Overage cost (EUR)": 48.0}]


def test_budget_breaches_are_named_with_their_amounts(book):
    over = book.budgets[book.budgets["variance"] < 0]
    assert len(over) >= 1  # the sample holds a real breach
    row = over.iloc[0]
    window = report.choose_window(book.as_of, str(row.period), str(row.period))
    review = report.department_review(book, row.department, window)
    sentence = dict(review.summary)["Budget breaches"]
    assert sentence == (f"Over budget: {report.period_text(row.period)} "
                        f"({report.money_text(row.actual, 'EUR')} against "
                        f"{report.money_text(row.budget, 'EUR')}).")
    tenant = report.department_review(book, None, window)
    assert f"{row.department} in {report.period_text(row.period)}" in \
        dict(tenant.summary)["Budget breaches"]


def test_biggest_driver_is_the_largest_change_by_type(book):
    review = report.department_review(book, "Customer Care")
    changes = review.type_changes()
    assert changes["change"].abs().iloc[0] == changes["change"].abs().max()
    assert dict(review.summary)["Biggest driver"] == (
        "The biggest driver of the change is Contact Center Premium agent: down EUR 3,150.00, "
        "of which overage −EUR 3,150.00.")


def test_lapsed_months_are_shown_as_lapsed(book):
    # Sales' subscription lapsed from 2026-04-01 until its renewal on 2026-06-01.
    window = report.choose_window(book.as_of, "2026-03", "2026-06")
    monthly = report.department_review(book, "Sales", window).monthly()
    assert monthly["Month"].tolist() == ["March 2026", "April 2026", "May 2026", "June 2026"]
    assert monthly["Status"].tolist() == ["active", "lapsed (between terms)",
                                          "lapsed (between terms)", "active"]
    assert monthly["Total billed (EUR)"].isna().tolist() == [False, True, True, False]


def test_change_names_the_months_without_an_active_subscription(book):
    review = report.department_review(book, "Sales")
    before = cents_in(book.billed, "2026-04", "2026-06", "Sales")
    now = cents_in(book.billed, *Q3, "Sales")
    assert now - before == 19_310_00  # three active months against one
    assert dict(review.summary)["Change"] == (
        "That is EUR 19,310.00 (200.0%) more than the EUR 9,655.00 billed in April–June 2026, "
        "when its subscriptions were not active in April 2026 and May 2026.")


def test_expired_department_has_no_forecast(book):
    review = report.department_review(book, "Operations")
    assert review.forecast.empty and review.forecast_table().empty
    assert set(review.monthly()["Status"]) == {"ended"}
    assert dict(review.summary)["Overage"] == (
        "No overage: nothing was used on the subscriptions of Operations in July–September 2026.")
    page = review_page.department_html(review)
    assert "nothing to forecast" in page
    assert "forecast (run rate)" not in page and "low–high band" not in page


def test_findings_are_grouped_by_rule_in_full(book):
    review = report.department_review(book, None)
    groups = review.findings_by_rule()
    assert groups[0][2] == [("u9003", book.findings["message"].iloc[0])]
    assert [title for title, _, _ in groups] == [
        "User unmapped", "User on inactive subscription", "Unusable entitlement",
        "Duplicate agent license"]
    # findings worded alike are one row naming every subject: none is lost, none repeated
    for (_, _, items), (_, rows) in zip(groups, book.findings.groupby("rule", sort=False),
                                         strict=True):
        named = [subject for subject in rows["subject"].unique()
                 if any(subject == about or f" {subject}," in f" {message}" or
                        f" {subject}." in f" {message}" for about, message in items)]
        assert sorted(named) == sorted(rows["subject"].unique())
    assert groups[1][1] == ("error, "
                            f"{(book.findings['rule'] == 'user-on-inactive-subscription').sum()}"
                            " findings")
    inactive = dict(groups[1][2])
    assert len(inactive) < (book.findings["rule"] == "user-on-inactive-subscription").sum()
    assert all(m.startswith("The same finding for each of") for about, m in inactive.items()
               if about.endswith("alike"))
    page = review_page.tenant_html(review, [])
    for _, _, items in groups:
        for about, message in items:
            assert str(escape(message)) in page and str(escape(about)) in page


def test_unknown_department_is_a_clear_error(book, capsys):
    assert main(["report", str(sample_dir()), "--department", "Legal", "--out", "/nonexistent"]) \
        == 2
    message = capsys.readouterr().err
    assert "found 'Legal'" in message and "Claims, Collections, Customer Care" in message
    with pytest.raises(InputError, match="Legal"):
        report.department_review(book, "Legal")


# --- the page ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    assert main(["report", str(sample_dir()), "--all", "--out", str(out)]) == 0
    assert main(["report", str(sample_dir()), "--tenant", "--out", str(out)]) == 0
    return {path.stem: path.read_text(encoding="utf-8") for path in out.glob("*.html")}


def test_one_file_per_department_and_one_for_the_tenant(pages, book):
    assert sorted(pages) == sorted([report.file_name(d, "") for d in book.departments]
                                   + ["assicurazioni-aurora"])


def test_summary_comes_first(pages):
    page = pages["claims"]
    order = [page.index(text) for text in ("<h1>Claims</h1>", "<h2>Summary</h2>",
                                           "<h2>Cost per month</h2>", "<h2>Findings</h2>")]
    assert order == sorted(order)


class Resources(HTMLParser):
    """Every tag and attribute of a page through which a browser would fetch something."""

    FETCHING_TAGS = {"script", "link", "img", "iframe", "object", "embed", "image", "audio",
                     "video", "source", "base", "form"}

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in self.FETCHING_TAGS:
            self.found.append(tag)
        for name, value in attrs:
            if name == "src" or (name.endswith("href") and not (value or "").startswith("#")):
                self.found.append(f"{tag} {name}={value}")
            if name.startswith("on") or re.search(r"url\((?!#)", value or ""):
                self.found.append(f"{tag} {name}={value}")

    def handle_data(self, data):
        opened = self.get_starttag_text() or ""
        if opened.startswith("<style") and re.search(r"url\(|@import", data):
            self.found.append("style fetches")


def external_resources(page: str) -> list[str]:
    parser = Resources()
    parser.feed(page)
    return parser.found


def test_pages_are_self_contained(pages):
    for name, page in pages.items():
        assert external_resources(page) == [], name
        assert "require.js" not in page and "MathJax" not in page
        assert page.count("<svg") >= (0 if name == "operations" else 2), name


def test_resource_finder_finds_resources():
    assert external_resources('<p><img src="x.png"></p><use xlink:href="#m1"/>'
                              '<a href="http://x">x</a><g clip-path="url(#p1)"></g>'
                              '<style>body{background:url(http://x)}</style>') == [
        "img", "img src=x.png", "a href=http://x", "style fetches"]


def test_pages_speak_to_finance_not_developers(pages):
    for page in pages.values():
        for code in ("subscription_id", "committed_cost", "usage_type", "cc_standard_agent",
                     "[2024-01-01", "SPEC", "papermill", "parameters", "<th></th>",
                     "Unnamed", "NaN", "dataframe"):
            assert code not in page, code
    assert "1 January 2024 to 31 December 2026" in pages["customer-care"]
    assert "Contact Center Premium agent" in pages["customer-care"]


def test_tenant_document_rolls_up_then_one_section_each(pages, book):
    page = pages["assicurazioni-aurora"]
    assert page.count('<section class="review">') == 2 + len(book.departments)
    first_section = page[:page.index('<section class="review">', page.index("<section") + 1)]
    for department in book.departments:
        assert f"<td class=\"short\">{department}</td>" in first_section


# --- hostile names (issue 12) -------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory):
    """The sample with Claims renamed to a script, the tenant to another, and a ``$`` name."""
    target = tmp_path_factory.mktemp("hostile") / "tenant"
    shutil.copytree(sample_dir(), target)
    for name in ("tenant.yaml", "budgets.csv", "users.csv"):
        path = target / name
        text = path.read_text(encoding="utf-8")
        text = text.replace("Claims", SCRIPT if name != "tenant.yaml" else f"'{SCRIPT}'")
        text = text.replace("department: Sales", "department: 'R$D$ & <b>Sales</b>'")
        text = text.replace("Sales,", '"R$D$ & <b>Sales</b>",')
        text = text.replace("tenant: Assicurazioni Aurora",
                            "tenant: '<img src=x onerror=alert(2)>'")
        path.write_text(text, encoding="utf-8")
    return target


def test_user_strings_are_escaped_in_html_and_charts(hostile_dir, tmp_path):
    assert main(["report", str(hostile_dir), "--tenant", "--out", str(tmp_path)]) == 0
    (path,) = tmp_path.glob("*.html")
    page = path.read_text(encoding="utf-8")
    assert SCRIPT not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    # chart titles: the SVG text is escaped and the dollars are drawn, not parsed as math
    titles = re.findall(r"<svg.*?</svg>", page, re.DOTALL)
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;: committed and overage" in t
               for t in titles)
    assert any("R$D$ &amp; &lt;b&gt;Sales&lt;/b&gt;: committed" in t for t in titles)
    assert external_resources(page) == []


def test_chart_text_is_never_parsed_as_math(hostile_dir):
    from matplotlib.text import Text

    book = report.load_book(hostile_dir)
    review = report.department_review(book, "R$D$ & <b>Sales</b>")
    tenant = report.department_review(book, None)
    for draw, which in ((review_page.cost_figure, review), (review_page.budget_figure, review),
                        (review_page.forecast_figure, review), (review_page.views_figure, tenant)):
        figure = draw(which)
        review_page.svg(figure)  # tick labels are made when the figure is drawn
        texts = figure.findobj(Text)
        assert "R$D$ & <b>Sales</b>" in " ".join(t.get_text() for t in texts)
        assert not any(t.get_parse_math() for t in texts), draw.__name__


def test_file_names_are_slugs():
    assert report.file_name("Customer Care") == "customer-care.html"
    assert report.file_name("R&D / Ops") == "r-d-ops.html"
    assert report.file_name(SCRIPT, ".pdf") == "script-alert-1-script.pdf"
    assert report.file_name("../../etc", "") == "etc"


def test_departments_whose_names_slug_alike_get_distinct_files():
    assert report.file_names(["R&D", "R D", "Sales", "r-d"]) == {
        "R&D": "r-d.html", "R D": "r-d-2.html", "Sales": "sales.html", "r-d": "r-d-3.html"}


def test_words_for_figures():
    assert report.money_text(1234567.891, "EUR") == "EUR 1,234,567.89"
    assert report.money_text(0, "USD") == "USD 0.00"
    assert report.date_text(dt.date(2026, 10, 31)) == "31 October 2026"
    assert report.span_text(pd.Period("2025-11", "M"), pd.Period("2026-01", "M")) == \
        "November 2025 – January 2026"
    assert report.rule_title("user-on-inactive-subscription") == "User on inactive subscription"


def test_notebook_parameters_are_read_by_papermill():
    import papermill

    from toolkit.resources import notebooks_dir

    declared = papermill.inspect_notebook(
        str(notebooks_dir() / "04_department_cost_review.ipynb"))
    assert sorted(declared) == ["as_of", "department", "first_period", "last_period",
                                "tenant_dir"]
    assert {p["inferred_type_name"] for p in declared.values()} == {"str"}


# --- invariants ---------------------------------------------------------------------------------

@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_default_window_is_the_latest_quarter_complete_on_the_as_of_day(as_of):
    window = report.default_window(as_of)
    assert window.length == 3 and window.first.month % 3 == 1
    assert window.last.end_time.date() <= as_of  # complete on the as-of day
    following = window.last + 3
    assert following.end_time.date() > as_of  # and the next one is not
    assert window.previous.last + 1 == window.first and window.previous.length == 3


@settings(max_examples=25, deadline=None)
@given(first=st.integers(0, 33), span=st.integers(0, 33))
def test_departments_add_up_to_the_tenant_in_any_window(book, first, span):
    start = pd.Period("2024-01", "M") + first
    end = min(start + span, pd.Period("2026-10", "M"))
    window = report.Window(start, end, book.as_of)
    tenant = report.department_review(book, None, window)
    parts = [report.department_review(book, d, window) for d in book.departments]
    assert sum(p.billed_cents for p in parts) == tenant.billed_cents == cents_in(
        book.billed, str(start), str(end))
    assert sum(p.previous_cents for p in parts) == tenant.previous_cents
    assert sum(p.overage_caused_cents for p in parts) == tenant.overage_caused_cents \
        == tenant.overage_billed_cents
    assert all(len(p.monthly()) == window.length for p in parts)


def test_pdf_without_chromium_is_a_clear_message(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(review_page, "CHROMIUM", tmp_path / "no-chromium")
    argv = ["report", str(sample_dir()), "--department", "Claims", "--format", "pdf",
            "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "PDF output needs Chromium" in err and "Traceback" not in err
