"""What each run publishes in the Prefect UI, under stable keys (so the Artifacts page keeps
their history across runs):

    cgt-monitor-digest      Markdown an analyst reads first: a headline with the counts; new
                            developments, stage moves, new happenings of known developments (a
                            later report at a stage already stored: a second death, a renewed
                            approval) and earlier stages reported, each with its report
                            ([outlet: title](url)) and an evidence quote; undated reports apart;
                            failures with their reasons
    cgt-monitor-new-claims  table: the claims first stored in this run and the new happenings,
                            short columns first
    cgt-monitor-timeline    Markdown with a PNG chart (a data URI; the UI renders it, see
                            PREFECT-UI notes): claims reported per month by therapy, every month
                            of the window shown, dated reports only
    cgt-monitor-progress    progress of the run, updated as sources complete

The builders are pure functions of the run summary, ``storage.queries.NewClaimRow``s and
``NewEventRow``s.
"""

from __future__ import annotations

import base64
import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from flows.llm import llm_line
from flows.summary import RunSummary
from storage.queries import NewClaimRow, NewEventRow

DIGEST_KEY = "cgt-monitor-digest"
TABLE_KEY = "cgt-monitor-new-claims"
TIMELINE_KEY = "cgt-monitor-timeline"
PROGRESS_KEY = "cgt-monitor-progress"
_MAX_ROWS = 100
_QUOTE_CHARS = 160
CHART_MONTHS = 36  # the chart's window: the last three years, up to the current month

# Colours that read on Prefect's dark theme and its light one (a transparent figure).
_TEXT = "#c9d1d9"
_GRID = "#4b5563"
_PALETTE = ["#60a5fa", "#f59e0b", "#34d399", "#f472b6", "#a78bfa", "#f87171", "#22d3ee", "#facc15", "#94a3b8"]


def _md(text: object) -> str:
    """Text safe inside Markdown (tables and link labels)."""
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ").replace("]", ")")


def _href(url: str) -> str:
    """A URL safe as a Markdown link target (brackets and spaces would end it)."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _quote(evidence: str, limit: int = _QUOTE_CHARS) -> str:
    text = " ".join(evidence.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def headline(
    summary: RunSummary, new_claims: Sequence[NewClaimRow], new_events: Sequence[NewEventRow] = ()
) -> str:
    """One line with what matters: developments, moves, new happenings, articles, failures."""
    kinds = _by_kind(new_claims)
    parts = [
        _plural(len({c.development_id for c in kinds["new"]}), "new development"),
        _plural(len(kinds["move"]), "stage move"),
    ]
    if new_events:
        parts.append(_plural(len(new_events), "new happening"))
    if kinds["earlier"]:
        parts.append(_plural(len(kinds["earlier"]), "earlier stage") + " reported")
    line = " · ".join(parts)
    line += (
        f" — {_plural(summary.articles_new, 'new article')}, {_plural(summary.mentions_new, 'new mention')}"
        f" from {_plural(summary.sources, 'source')}"
    )
    if summary.failed:
        line += f" · **{_plural(summary.failed, 'failure')}**"
    if summary.warnings:
        line += f" · {_plural(summary.warnings, 'warning')}"
    return line


def _by_kind(new_claims: Sequence[NewClaimRow]) -> dict[str, list[NewClaimRow]]:
    out: dict[str, list[NewClaimRow]] = {"new": [], "move": [], "earlier": []}
    for c in new_claims:
        out[c.kind].append(c)
    return out


def _item(r: NewClaimRow | NewEventRow) -> list[str]:
    """One claim or new happening as three short Markdown lines: when and what; who and with
    what result (for a happening, when its previous one was reported); the report it comes
    from, with a quote."""
    if isinstance(r, NewEventRow):
        stage = f"{r.stage} · {f'occurrence {r.occurrence}' if r.occurrence > 1 else 'again'}"
        previous = f"previous report {r.previous}"
    else:
        stage = f"{r.moved_from} → {r.stage}" if r.kind == "move" else r.stage
        previous = ""
    result = " · ".join(
        x
        for x in (
            r.institution or "(no party named)",
            _plural(r.patients, "patient") if r.patients else "",
            r.outcome or "",
            previous,
        )
        if x
    )
    label = ": ".join(x for x in (r.outlet or r.source, r.title) if x)
    report = f"[{_md(label)}]({_href(r.url)})" if r.url else _md(label or r.source)
    quote = f" — “{_md(_quote(r.evidence))}”" if r.evidence else ""
    return [
        f"- **{r.reported} · {stage}** · {_md(r.therapy)} · {_md(r.indication)}  ",
        f"  {_md(result)}  ",
        f"  {report}{quote}",
    ]


def digest_markdown(
    summary: RunSummary, new_claims: Sequence[NewClaimRow], new_events: Sequence[NewEventRow] = ()
) -> str:
    """The run digest (see the module docstring)."""
    kinds = _by_kind(new_claims)
    lines = ["# What is new", "", headline(summary, new_claims, new_events), ""]
    happenings = "New happenings of known developments (a stage already stored, reported for another event)"
    sections: tuple[tuple[str, Sequence[NewClaimRow | NewEventRow], str | None], ...] = (
        ("New developments", [c for c in kinds["new"] if c.dated], "None this run."),
        ("Stage moves", [c for c in kinds["move"] if c.dated], "None this run."),
        (happenings, new_events, None),
        (
            "Earlier stages reported (a development already stored at a later stage; not a move)",
            [c for c in kinds["earlier"] if c.dated],
            None,
        ),
        (
            "Undated reports (the article states no date; shown with the day it was read)",
            [c for c in new_claims if not c.dated],
            None,
        ),
    )
    for title, items, empty in sections:
        if not items and empty is None:
            continue
        lines += [f"## {title}", ""]
        if not items:
            lines.append(empty or "")
        for c in items[:_MAX_ROWS]:
            lines += _item(c)
        if len(items) > _MAX_ROWS:
            lines.append(f"\n… and {len(items) - _MAX_ROWS} more (see the {TABLE_KEY} table).")
        lines.append("")
    failures = [f for f in summary.failures if not f.optional]
    warnings = [f for f in summary.failures if f.optional]
    for title, entries in (("Failures", failures), ("Warnings (optional sources)", warnings)):
        if not entries and title.startswith("Warnings"):
            continue
        lines += [f"## {title}", ""]
        if not entries:
            lines.append("None.")
        for f in entries[:_MAX_ROWS]:
            lines.append(f"- `{f.source}` [{f.stage}] {_md(f.address)} — {_md(f.reason)}")
        if len(entries) > _MAX_ROWS:
            lines.append(f"- … and {len(entries) - _MAX_ROWS} more (table `failures`).")
        lines.append("")
    if summary.llm:
        lines += ["## Language model", "", llm_line(summary.llm) + ".", ""]
    lines += [
        "## Counts",
        "",
        "| fetched | not modified | unchanged | new articles | already seen | skipped | new mentions |",
        "|---|---|---|---|---|---|---|",
        f"| {summary.fetched} | {summary.not_modified} | {summary.unchanged} | {summary.articles_new} "
        f"| {summary.articles_seen} | {summary.articles_skipped} | {summary.mentions_new} |",
    ]
    return "\n".join(lines) + "\n"


_THERAPY_SHORT = {
    "CAR-T cell therapy": "CAR-T",
    "other immune cell therapy": "immune cells",
    "mesenchymal stem cell therapy": "MSC",
    "iPSC-derived cell therapy": "iPSC-derived",
    "stem cell therapy": "stem cells",
    "cell and gene therapy": "cell + gene",
}


def _short(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def new_claims_table(
    new_claims: Sequence[NewClaimRow], new_events: Sequence[NewEventRow] = ()
) -> list[dict[str, Any]]:
    """Rows for the table artifact (searchable in the UI). Every row has the same keys (the UI
    needs that) and short cells: the UI's tables do not wrap, and at 1600 px only about a
    hundred characters fit across: the outlet links to the article (the UI renders Markdown
    links in cells), the evidence quotes are in the digest."""
    claims = [
        _table_row(c, c.first_seen, f"{c.moved_from} → {c.stage}" if c.kind == "move" else c.stage)
        for c in new_claims[:1000]
    ]
    # short: the stage column must stay as narrow as a move's "clinical_trial → approved"
    events = [
        _table_row(
            e, e.reported_on, f"{e.stage} · #{e.occurrence}" if e.occurrence > 1 else f"{e.stage} · again"
        )
        for e in new_events[:1000]
    ]
    return claims + events


def _table_row(r: NewClaimRow | NewEventRow, reported: date, stage: str) -> dict[str, Any]:
    outlet = _short(r.outlet or r.source, 16)
    return {
        "reported": reported.isoformat() if r.dated else "undated",
        "stage": stage,
        "therapy": _THERAPY_SHORT.get(r.therapy, r.therapy),
        "indication": _short(r.indication, 24),
        "institution": _short(r.institution, 20),
        "result": " · ".join(x for x in (f"{r.patients} pt" if r.patients else "", r.outcome or "") if x),
        "outlet": f"[{_md(outlet)}]({_href(r.url)})" if r.url else outlet,
    }


def _months(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def chart_window(today: date, months: int = CHART_MONTHS) -> tuple[str, str]:
    """(first month, last month) of the chart: the ``months`` months up to ``today``'s."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}", f"{today.year:04d}-{today.month:02d}"


def timeline_png(rows: Sequence[tuple[str, str, int]], window: tuple[str, str]) -> bytes:
    """A stacked bar chart of claims reported per month by therapy over ``window`` (PNG, on a
    transparent background with light text: legible on the UI's dark theme)."""
    # The Figure API without pyplot: no global figure state or GUI backend to load (~0.3 s less).
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    months = _months(*window)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for month, therapy, claims in rows:
        if window[0] <= month <= window[1]:
            counts[therapy][month] = counts[therapy].get(month, 0) + claims
    therapies = sorted(counts, key=lambda t: -sum(counts[t].values()))
    fig = Figure(figsize=(12, 4.2), dpi=100)
    fig.patch.set_alpha(0)
    ax = fig.subplots()
    ax.set_facecolor("none")
    positions = range(len(months))
    bottom = [0] * len(months)
    for n, therapy in enumerate(therapies):
        values = [counts[therapy].get(m, 0) for m in months]
        ax.bar(positions, values, bottom=bottom, label=therapy, color=_PALETTE[n % len(_PALETTE)], width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title(
        f"Claims reported per month by therapy, {window[0]} to {window[1]}",
        color=_TEXT,
        fontsize=13,
        loc="left",
    )
    ax.set_ylabel("claims", color=_TEXT, fontsize=11)
    step = 3 if len(months) > 18 else 1
    ax.set_xticks(list(positions)[::step], months[::step], rotation=45, ha="right", fontsize=10, color=_TEXT)
    ax.tick_params(colors=_TEXT, labelsize=10)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", color=_GRID, linewidth=0.5)
    ax.set_axisbelow(True)
    for spine in ax.spines.values():
        spine.set_color(_GRID)
    if therapies:
        legend = ax.legend(fontsize=10, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        for text in legend.get_texts():
            text.set_color(_TEXT)
    else:
        ax.text(
            0.5,
            0.5,
            "no dated reports in this window",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color=_TEXT,
        )
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", transparent=True)
    return buffer.getvalue()


def timeline_markdown(rows: Sequence[tuple[str, str, int]], today: date) -> str:
    """The chart embedded as a PNG data URI (rendered by the Prefect UI), with a plain caption."""
    window = chart_window(today)
    png = base64.b64encode(timeline_png(rows, window)).decode("ascii")
    shown = [r for r in rows if window[0] <= r[0] <= window[1]]
    earlier = sum(c for m, _, c in rows if m < window[0])
    caption = (
        f"Each bar counts the claims reported in that month (by the articles' publication dates), "
        f"split by therapy: {sum(c for _, _, c in shown)} in the {CHART_MONTHS} months shown. "
        "Reports without a date are left out; months without reports are shown empty."
    )
    if earlier:
        caption += f" Before {window[0]}: {earlier} more, in the `claims_by_month` view."
    return f"# Claims per month\n\n![claims per month by therapy](data:image/png;base64,{png})\n\n{caption}\n"
