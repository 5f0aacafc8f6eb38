"""The cost review as a self-contained HTML page, and that page as a PDF.

Why a template and not an executed notebook: the figures come from
:mod:`toolkit.present.report` in one process, so ``report --all`` computes the tenant once
instead of starting a kernel per department, and the page is exactly what a finance reader
needs — no code, no prompts, no index columns, no developer notes.

Self-contained on purpose: the page is mailed as one file and opened offline, so it carries
its CSS inline and its charts as inline SVG, and refers to no resource at all (no script, no
font, no stylesheet, no image URL). Every string that comes from the tenant's files (tenant,
department, subscription and user names, finding messages) is HTML-escaped by the template's
autoescaping, and chart text is drawn with math parsing off so a ``$`` in a name stays a ``$``.

The PDF is the same HTML printed by Chromium (Debian's ``/usr/bin/chromium`` through
Playwright), A4, one section per page group: each department starts on a new page.
"""

from __future__ import annotations

import functools
import importlib.util
import math
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment
from markupsafe import Markup
from matplotlib import rc_context

from toolkit.atomic import atomic_paths
from toolkit.present import plots
from toolkit.present.report import (
    Review,
    coverage_sentence,
    peak_caption,
    renewal_question,
    untraced_sentence,
)
from toolkit.present.words import date_text, money_text, span_text

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclass(frozen=True)
class Table:
    """A table as the page shows it: header in words, cells already formatted."""

    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    caption: str = ""  # a sentence above the table, when a block holds several

    @property
    def align(self) -> list[str]:
        """The CSS class of each column: ``num`` (right-aligned) for numbers, ``short`` for
        text that should never wrap (ids, months), ``text`` for prose."""
        classes = []
        for col, numeric in enumerate(self.numeric):
            longest = max((len(row[col]) for row in self.rows), default=0)
            classes.append("num" if numeric else ("short" if longest <= 16 else "text"))
        return classes


@dataclass(frozen=True)
class Block:
    """One details block: a heading, a sentence, then an optional chart and tables."""

    heading: str
    intro: str = ""
    chart: Markup | None = None
    tables: tuple[Table, ...] = ()
    findings: tuple[tuple[str, str, list[tuple[str, str]]], ...] = ()
    notes: tuple[str, ...] = ()  # further sentences after the intro (each a paragraph)


@dataclass(frozen=True)
class Section:
    """A review on the page: title, key figures, the summary sentences, then the details."""

    title: str
    subtitle: str
    cards: list[tuple[str, str]]
    summary: list[tuple[str, str]]
    blocks: list[Block]


# --- cells ----------------------------------------------------------------------------------

def cell_text(value, column: str, currency: str) -> str:
    """A cell in words: money to the cent, shares as percentages, blanks as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, int | float | np.integer | np.floating):
        if column.startswith("Share"):
            return f"{float(value):.1%}"
        if f"({currency})" in column:
            return f"{float(value):,.2f}"
        return f"{float(value):,.0f}" if float(value).is_integer() else f"{float(value):,.2f}"
    return str(value)


def table_of(frame: pd.DataFrame, currency: str, caption: str = "") -> Table:
    """A frame as a :class:`Table` (its index is never shown)."""
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    rows = [[cell_text(v, str(c), currency) for v, c in zip(row, frame.columns, strict=True)]
            for row in frame.itertuples(index=False, name=None)]
    return Table([str(c) for c in frame.columns], rows, numeric, caption)


# --- charts ---------------------------------------------------------------------------------

def _plain_text(draw):
    """Run a chart function with math parsing off: a ``$`` in a tenant's name is data, not
    markup. (matplotlib escapes the text it writes into SVG.)"""

    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        with rc_context({"text.parse_math": False}):
            return draw(*args, **kwargs)

    return drawn


def svg(figure) -> Markup:
    """A figure as inline SVG, safe to place in the page (tick labels are made while it is
    drawn, so drawing too runs with math parsing off)."""
    with rc_context({"text.parse_math": False}):
        return Markup(plots.figure_svg(figure))


def _window_costs(review: Review) -> pd.DataFrame:
    """Billed costs per period over the whole window, lapsed periods as zero."""
    periods = review.window.periods
    by_period = review.billed.groupby("period")[["committed_cost", "overage_cost"]].sum()
    by_period = by_period.reindex(periods, fill_value=0.0)
    return by_period.rename_axis("period").reset_index()


@_plain_text
def cost_figure(review: Review):
    return plots.cost_chart(
        _window_costs(review), review.currency,
        f"{review.title}: committed and overage cost per month ({review.currency})")


@_plain_text
def budget_figure(review: Review):
    assert review.budget is not None
    per_period = review.budget.groupby("period", as_index=False)[["budget", "actual"]].sum(
        min_count=1)
    return plots.budget_chart(per_period, review.currency, f"{review.title}: budget and billed "
                                                           f"cost per month ({review.currency})")


@_plain_text
def forecast_figure(review: Review):
    """Up to twelve months of billed cost before the forecast, then the forecast."""
    history = review.book.billed
    if review.department is not None:
        history = history[history["department"] == review.department]
    if len(review.forecast):
        last = review.forecast["period"].min() - 1
        history = history[(history["period"] <= last) & (history["period"] > last - 12)]
    return plots.forecast_chart(
        history, review.forecast, review.currency,
        f"{review.title}: billed and forecast total cost per month ({review.currency})")


@_plain_text
def views_figure(review: Review):
    return plots.views_chart(review.billed, review.caused, review.currency,
                             f"Overage cost by department, billed vs caused ({review.currency})")


# --- sections -------------------------------------------------------------------------------

def _cards(review: Review) -> list[tuple[str, str]]:
    budget = review.budget_cents
    now, before = review.change_cents
    change = now - before
    sign = "+" if change > 0 else ("−" if change < 0 else "")
    label = f"Change vs {review.window.previous.text}"
    if not review.fully_compared:
        label += f" (over {len(review.compared)} of {review.window.length} months with usage)"
    return [
        ("Billed", review.money(review.billed_cents)),
        ("Budget", "none set" if budget is None else review.money(budget)),
        ("Share of budget", f"{review.billed_cents / budget:.1%}" if budget else "—"),
        (label, f"{sign}{money_text(abs(change) / 100, review.currency)}"
         if review.compared else "not compared"),
        ("Overage billed", review.money(review.overage_billed_cents)),
        ("Paid for, not used", review.money(review.unused_cents)),
    ]


def _money_blocks(review: Review) -> list[Block]:
    c = review.currency
    active = review.billed_cents > 0 or review.previous_cents > 0
    blocks = [Block(
        "Cost per month",
        "Billed is what the invoice says: the committed cost of the subscriptions plus the "
        "overage they own. Overage caused charges each pooled type's overage to the departments "
        "whose usage went above their own entitlement; both add up to the same total.",
        svg(cost_figure(review)) if review.billed_cents else None,
        (table_of(review.monthly(), c),))]
    if active:
        blocks.append(Block(
            "Cost by usage type",
            f"Each usage type's cost in {review.window.text} beside {review.window.previous.text}, "
            "the largest change first.", None, (table_of(review.by_type(), c),)))
    if review.budget is not None and review.budget_cents is not None:
        blocks.append(Block(
            "Budget",
            "Billed cost per month against the budget from budgets.csv; months over budget "
            "are drawn in orange.", svg(budget_figure(review))))
    return blocks


def _forecast_block(review: Review) -> Block:
    as_of = date_text(review.book.as_of)
    if review.forecast.empty:
        return Block("Forecast to term end",
                     f"No subscription of {review.title} runs past {as_of}: there is nothing "
                     "to forecast.")
    return Block(
        "Forecast to term end",
        f"A run-rate projection after {as_of}: each subscription's mean usage over its last "
        "three months, priced with the same rules as the invoice, to the end of its term. The "
        "quietest and busiest of those months give the low and high figures; they are the "
        "spread actually seen, not a confidence interval.",
        svg(forecast_figure(review)), (table_of(review.forecast_table(), review.currency),))


def _findings_block(review: Review) -> Block:
    groups = tuple(review.findings_by_rule())
    whom = "the tenant" if review.department is None else review.title
    intro = (f"Provisioning findings about {whom} on {date_text(review.book.as_of)}, grouped "
             "by rule." if groups else f"No provisioning finding concerns {whom}.")
    return Block("Findings", intro, findings=groups)


PEAKS_INTRO = (
    "Each agent peak billed in {window} with overage: the interval that set it (the first to "
    "reach the peak) and how many of the users counted in it each {group} had. Every user "
    "counted is listed in the workbook's \"Who made the peak\" sheet and in "
    "who-made-the-peak.csv.")


def peaks_block(review: Review) -> Block:
    """"Who made the peak" (T1): a small table per overage-bearing agent peak, the warning in
    its place when the sessions do not count what the bill counts, a line for a peak no
    session is in, and one line when there are no sessions at all."""
    heading = "Who made the peak"
    sections = review.peaks
    if sections is None:
        return Block(heading, "The billed peaks cannot be traced to the people in them without "
                              "sessions: the tenant directory has no raw/agentSession pages "
                              "and no sessions.csv.")
    untraced = review.untraced_peaks()
    gaps = tuple(untraced_sentence(review, row.period, row.usage_type, row.overage)
                 for row in untraced.itertuples())
    if not sections and not gaps:
        return Block(heading, f"No agent peak bore overage in {review.window.text}: there is "
                              "no peak to trace.")
    group = str(sections[0].by_team.columns[0]) if sections else "team"
    tables = tuple(table_of(review.peak_table(s), review.currency, peak_caption(review, s))
                   for s in sections if s.matches_bill)
    warnings = tuple(peak_caption(review, s) for s in sections if not s.matches_bill)
    intro = PEAKS_INTRO.format(window=review.window.text, group=group) if tables else \
        f"No agent peak billed in {review.window.text} with overage can be traced to people:"
    return Block(heading, intro, tables=tables, notes=(*warnings, *gaps))


RENEWAL_INTRO = (
    "Lines used under 60% of their entitlement in each of the last 12 months: what was paid "
    "for and not used, and the question it raises at renewal.")


def renewal_blocks(review: Review) -> list[Block]:
    """"Paid for, not used" (T3): the lines under 60% used all year, each with its renewal
    question; no block at all when there are none."""
    rows = review.renewals()
    if rows.empty:
        return []
    questions = tuple(renewal_question(review, row) for row in rows.itertuples())
    return [Block("Renewal questions", RENEWAL_INTRO, None,
                  (table_of(review.renewal_table(), review.currency),), notes=questions)]


def coverage_block(review: Review) -> Block:
    """What the figures rest on: the coverage sentence, and the unallocated usage (M6) with
    what it would cost at the owner's price, when there is any."""
    table = review.coverage_table()
    return Block("Coverage", coverage_sentence(review), None,
                 (table_of(table, review.currency),) if len(table) else ())


def department_section(review: Review) -> Section:
    subs = Block("Subscriptions", "", None, (table_of(review.subscription_table(),
                                                     review.currency),))
    return Section(
        review.title, _subtitle(review), _cards(review), review.summary,
        [*_money_blocks(review), peaks_block(review), *renewal_blocks(review),
         _forecast_block(review), subs,
         coverage_block(review),
         _findings_block(review)])


def tenant_sections(review: Review) -> list[Section]:
    """The roll-up page (key figures, summary, one row per department), then the tenant's own
    details on the following pages."""
    c = review.currency
    roll_up = Block("Departments", f"Every department's cost in {review.window.text}; "
                    f"\"before\" is {review.window.previous.text}.",
                    None, (table_of(review.department_table(), c),))
    owners = review.overage_owners()
    overage = Block(
        "Overage and who owns it",
        "The overage billed, per month and usage type, with the subscription that owns it."
        if len(owners) else f"No overage was billed in {review.window.text}.",
        svg(views_figure(review)) if review.overage_billed_cents else None,
        (table_of(owners, c),) if len(owners) else ())
    details = Section(f"{review.title}: details", _subtitle(review), [], [],
                      [overage, peaks_block(review), *renewal_blocks(review),
                       *_money_blocks(review),
                       coverage_block(review),
                       _findings_block(review)])
    return [Section(review.title, _subtitle(review), _cards(review), review.summary, [roll_up]),
            details]


def _subtitle(review: Review) -> str:
    tenant = review.book.tenant.name
    who = f"{tenant} · " if review.department is not None else ""
    return (f"{who}{review.window.text}, compared with {review.window.previous.text} · "
            f"figures as of {date_text(review.book.as_of)} · amounts in {review.currency}")


# --- the page -------------------------------------------------------------------------------

STYLE = """
@page { size: A4; margin: 14mm 12mm 16mm; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #222;
       font-size: 10.5pt; line-height: 1.4; max-width: 60em; margin: 1.5em auto; padding: 0 1em; }
h1 { font-size: 19pt; margin: 0 0 .2em; }
h2 { font-size: 13pt; margin: 1.4em 0 .4em; border-bottom: 1px solid #ccc; padding-bottom: .15em;
     break-after: avoid; }
h3 { font-size: 11pt; margin: 1em 0 .3em; }
.subtitle { color: #555; margin: 0 0 1em; }
section.review + section.review { break-before: page; page-break-before: always;
                                  margin-top: 3em; }
.cards { display: flex; gap: .5em; margin: .8em 0; }
.card { border: 1px solid #d5dbe3; border-radius: 4px; padding: .35em .5em; flex: 1 1 0;
        background: #f6f8fa; }
.card .label { font-size: 8.5pt; color: #555; }
.card .value { font-size: 11pt; font-weight: bold; white-space: nowrap; }
.summary { margin: .5em 0 1em; }
.summary dt { font-weight: bold; margin-top: .4em; }
.summary dd { margin: 0 0 0 1.2em; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: 9pt; width: 100%; }
th, td { border-bottom: 1px solid #e2e2e2; padding: .25em .45em; text-align: left;
         vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; }
td.num, th.num { text-align: right; }
td.num, td.short, td:first-child { white-space: nowrap; }
tr { break-inside: avoid; }
thead { display: table-header-group; }  /* the header row repeats on every printed page */
.head { break-inside: avoid; }
/* a heading and its sentence stay with the chart or table they introduce */
.head.keep { break-after: avoid; page-break-after: avoid; }
/* a finding's long message may run on to the next page rather than push the page empty */
table.findings tr { break-inside: auto; }
h3 { break-after: avoid; page-break-after: avoid; }
@media print {
  body { margin: 0 auto; }
  /* each section starts a page; no margin above it, so alone it lays out as in the whole */
  section.review + section.review { margin-top: 0; }
  /* charts a little smaller on paper, so one fits in what a page has left more often
     instead of leaving the rest of the page empty */
  .chart { text-align: center; }
  .chart svg { width: 80%; }
}
.chart { break-inside: avoid; margin: .5em 0; }
.chart svg { width: 100%; height: auto; }
table.findings td.text { font-size: 8.5pt; }
.severity { color: #555; font-weight: normal; }
/* a small table under its own sentence (who made each peak): as wide as its figures */
.captioned { break-inside: avoid; }
.captioned p.caption { margin: .6em 0 .2em; }
.captioned table { width: auto; min-width: 50%; margin-top: .2em; }
p.note { color: #7a4b00; }
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ style }}</style>
</head>
<body>
{% for s in sections %}
<section class="review">
<h1>{{ s.title }}</h1>
<p class="subtitle">{{ s.subtitle }}</p>
{% if s.cards %}<div class="cards">
{% for label, value in s.cards %}<div class="card"><div class="label">{{ label }}</div>
<div class="value">{{ value }}</div></div>
{% endfor %}</div>{% endif %}
{% if s.summary %}<h2>Summary</h2>
<dl class="summary">
{% for topic, sentence in s.summary %}<dt>{{ topic }}</dt><dd>{{ sentence }}</dd>
{% endfor %}</dl>{% endif %}
{% for b in s.blocks %}
<div class="head{% if b.chart or b.tables or b.findings %} keep{% endif %}">
<h2>{{ b.heading }}</h2>
{% if b.intro %}<p>{{ b.intro }}</p>{% endif %}
{% for n in b.notes %}<p class="note">{{ n }}</p>
{% endfor %}
</div>
{% if b.chart %}<div class="chart">{{ b.chart }}</div>{% endif %}
{% for t in b.tables %}
{% if t.caption %}<div class="captioned"><p class="caption">{{ t.caption }}</p>{% endif %}
<table>
<thead><tr>{% for c in t.columns %}<th class="{{ t.align[loop.index0] }}">{{ c }}</th>
{% endfor %}</tr></thead>
<tbody>
{% for row in t.rows %}<tr>{% for v in row %}<td class="{{ t.align[loop.index0] }}">{{ v }}</td>
{% endfor %}</tr>
{% endfor %}</tbody>
</table>
{% if t.caption %}</div>{% endif %}
{% endfor %}
{% for rule, severity, items in b.findings %}
<h3>{{ rule }} <span class="severity">({{ severity }})</span></h3>
<table class="findings"><thead><tr><th class="short">About</th><th class="text">Finding</th></tr>
</thead><tbody>
{% for subject, message in items %}<tr><td class="short">{{ subject }}</td>
<td class="text">{{ message }}</td></tr>
{% endfor %}</tbody></table>
{% endfor %}
{% endfor %}
</section>
{% endfor %}
</body>
</html>
"""

_ENVIRONMENT = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)


def render_html(sections: Iterable[Section], title: str) -> str:
    """The page: one ``<section>`` per review, every user string escaped."""
    return _ENVIRONMENT.from_string(TEMPLATE).render(sections=list(sections), title=title,
                                                     style=Markup(STYLE))


def department_document(review: Review) -> Document:
    book = review.book
    return document([department_section(review)],
                    f"Cost review: {review.title}, {review.window.text}", book.tenant.name,
                    book.as_of, [review.title])


def department_html(review: Review) -> str:
    return department_document(review).html


def tenant_document(roll_up: Review, departments: Iterable[Review]) -> Document:
    """The roll-up of every department on its first page, then one section each."""
    departments = list(departments)
    sections = [*tenant_sections(roll_up), *(department_section(r) for r in departments)]
    footers = ["all departments", "all departments", *(r.title for r in departments)]
    return document(sections, f"Cost review: {roll_up.title}, "
                              f"{span_text(roll_up.window.first, roll_up.window.last)}",
                    roll_up.book.tenant.name, roll_up.book.as_of, footers)


def tenant_html(roll_up: Review, departments: Iterable[Review]) -> str:
    return tenant_document(roll_up, departments).html


# --- PDF ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Document:
    """One review file: its sections, the footer of each (tenant · department · as-of day),
    and the PDF's Title, Author and Subject. The HTML is :attr:`html`; the PDF prints each
    section's pages with its own footer and "Page x of y" of the whole document."""

    sections: tuple[Section, ...]
    title: str
    footers: tuple[str, ...]
    author: str
    subject: str = ""
    html_text: str | None = None  # a page given as HTML rather than as sections

    @property
    def html(self) -> str:
        return self.html_text if self.html_text is not None else \
            render_html(self.sections, self.title)

    def section_html(self, index: int) -> str:
        return render_html([self.sections[index]], self.title)


def document(sections: Iterable[Section], title: str, tenant: str, as_of, footers) -> Document:
    """A :class:`Document` whose sections' footers read ``tenant · footer · as of day``."""
    day = date_text(as_of)
    return Document(tuple(sections), title,
                    tuple(f"{tenant} · {footer} · figures as of {day}" for footer in footers),
                    tenant, "Cost review by multisub")


def write_pdfs(pages: dict[Path, str | Document]) -> list[Path]:
    """Print each page to its PDF path with one Chromium (A4, backgrounds on), all of
    them or none (:mod:`toolkit.atomic`)."""
    if not pages:
        return []
    with atomic_paths(*pages) as temporaries:
        print_pdfs(dict(zip(temporaries, pages.values(), strict=True)))
    return list(pages)


def print_pdfs(pages: dict[Path, str | Document]) -> None:
    """Print each page (a :class:`Document`, or bare HTML) to its path (the caller makes the
    write atomic).

    Playwright's synchronous API refuses to run where an asyncio loop is running (a Jupyter
    kernel, another Playwright session), so the printing runs in a thread of its own.
    """
    if not CHROMIUM.exists():
        raise OSError(f"PDF output needs Chromium at {CHROMIUM} (apt-get install -y chromium)")
    for module in ("playwright", "pypdf"):
        if importlib.util.find_spec(module) is None:
            raise OSError(f"PDF output needs {module}: pip install 'multisub[pdf]'")
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(_print_pdfs, pages).result()


#: Page margins of the PDF (the footer sits in the bottom one).
MARGINS = {"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"}
FOOTER = ('<div style="font-size:7.5pt;color:#555;width:100%;margin:0 12mm;display:flex;'
          'justify-content:space-between;font-family:\'DejaVu Sans\',Arial,sans-serif">'
          '<span>{text}</span><span>Page <span class="pageNumber"></span> of '
          '<span class="totalPages"></span></span></div>')


def _print_pdfs(pages: dict[Path, str | Document]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS,
                                             headless=True)
        try:
            page = browser.new_page()
            for path, doc in pages.items():
                if isinstance(doc, str):  # bare HTML: one footer, no section of its own
                    doc = Document((), "", ("",), "", html_text=doc)
                _print(page, doc, path)
        finally:
            browser.close()


def _print(page, doc: Document, path: Path) -> None:
    """Print ``doc`` to ``path``: each section's pages carry its own footer.

    Chromium numbers the pages of a ``page_ranges`` print as in the whole document, so the
    document is printed once per section, each time only that section's pages, and the
    parts are joined. A section's pages are counted by printing it alone (each section
    begins on a new page, so alone it takes the same pages); should the counts not add up
    to the whole, the document is printed once with the first footer.

    A section alone can lay out differently (a block that fits beside its neighbour in the
    whole may not alone), so its pages are first found in the whole document itself: each
    section begins on a new page headed by its title (:func:`_section_starts`); counting
    sections printed alone is the fallback."""
    page.set_content(doc.html, wait_until="load")
    whole = _pdf(page, doc.footers[0])
    if len(doc.sections) <= 1:
        _join([whole], path, doc)
        return
    counts = _section_pages(whole, [section.title for section in doc.sections])
    if counts is None:
        counts = []
        for index in range(len(doc.sections)):
            page.set_content(doc.section_html(index), wait_until="load")
            counts.append(_page_count(_pdf(page, doc.footers[index])))
        page.set_content(doc.html, wait_until="load")
    if sum(counts) != _page_count(whole):
        _join([whole], path, doc)
        return
    parts, first = [], 1
    for count, footer in zip(counts, doc.footers, strict=True):
        parts.append(_pdf(page, footer, f"{first}-{first + count - 1}"))
        first += count
    _join(parts, path, doc)


def _pdf(page, footer: str, ranges: str = "") -> bytes:
    from markupsafe import escape

    return page.pdf(format="A4", print_background=True, margin=MARGINS, page_ranges=ranges,
                    display_header_footer=True, header_template="<div></div>",
                    footer_template=FOOTER.format(text=escape(footer)))


def _section_pages(data: bytes, titles: list[str]) -> list[int] | None:
    """How many pages of the printed whole each section takes, read off the PDF: section k
    starts at the first page after section k-1's whose first line is its title. ``None`` when
    a title is not found in order (the caller then counts another way)."""
    import io

    import pypdf

    firsts = [(page.extract_text() or "").strip().split("\n")[0].strip()
              for page in pypdf.PdfReader(io.BytesIO(data)).pages]
    starts: list[int] = []
    at = 0
    for title in titles:
        found = next((i for i in range(at, len(firsts)) if firsts[i] == title.strip()), None)
        if found is None or (not starts and found != 0):
            return None
        starts.append(found)
        at = found + 1
    return [end - start for start, end in zip(starts, [*starts[1:], len(firsts)], strict=True)]


def _page_count(data: bytes) -> int:
    import io

    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def _join(parts: list[bytes], path: Path, doc: Document) -> None:
    import io

    import pypdf

    writer = pypdf.PdfWriter()
    for part in parts:
        writer.append(pypdf.PdfReader(io.BytesIO(part)))
    _metadata(writer, doc)
    with open(path, "wb") as handle:
        writer.write(handle)


def _metadata(writer, doc: Document) -> None:
    """Title, Author (the tenant) and Creator (multisub), not the browser's user agent."""
    writer.add_metadata({"/Title": doc.title, "/Author": doc.author, "/Subject": doc.subject,
                         "/Creator": f"multisub {_version()}", "/Producer": "multisub"})


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("multisub")
    except PackageNotFoundError:
        return "(source)"


# --- files ----------------------------------------------------------------------------------

REVIEW_FORMATS = ("html", "pdf")


def write_reviews(book, window, departments: list[str], out_dir: str | Path,
                  formats: Iterable[str] = ("html",), tenant: bool = False,
                  tables: Mapping[str, pd.DataFrame] | None = None) -> list[Path]:
    """Write one review per department (or, with ``tenant``, one roll-up of all of them) in
    each format; returns the paths written, HTML first, then ``tables`` (file name in
    ``out_dir`` → frame, format by extension: the list behind "Who made the peak"). The
    files land together or not at all: every page is written (and every PDF printed) to a
    temporary file first, and they replace their targets only when all are complete
    (:mod:`toolkit.atomic`)."""
    from toolkit.present.export import write_table
    from toolkit.present.report import department_review, file_name, file_names

    out = Path(out_dir)
    reviews = [department_review(book, d, window) for d in departments]
    if tenant:
        pages = {file_name(book.tenant.name, ""): tenant_document(
            department_review(book, None, window), reviews)}
    else:
        names = file_names(departments, "")
        pages = {names[r.title]: department_document(r) for r in reviews}
    html = {out / f"{stem}.html": page.html for stem, page in pages.items()} \
        if "html" in formats else {}
    pdf = {out / f"{stem}.pdf": page for stem, page in pages.items()} if "pdf" in formats else {}
    frames = {out / name: frame for name, frame in (tables or {}).items()}
    out.mkdir(parents=True, exist_ok=True)
    with atomic_paths(*frames, *html, *pdf) as temporaries:
        for temporary, frame in zip(temporaries, frames.values(), strict=False):
            write_table(frame, temporary)  # a temporary keeps its target's extension
        documents = temporaries[len(frames):]
        for temporary, page in zip(documents, html.values(), strict=False):
            temporary.write_text(page, encoding="utf-8")
        if pdf:
            print_pdfs(dict(zip(documents[len(html):], pdf.values(), strict=True)))
    return [*html, *pdf, *frames]
