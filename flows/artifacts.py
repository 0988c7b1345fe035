"""What each run publishes in the Prefect UI, under stable keys (so the Artifacts page keeps
their history across runs):

    cgt-monitor-digest      Markdown: counts, new claims, stage changes, failures and warnings
    cgt-monitor-new-claims  table: the claims first stored in this run
    cgt-monitor-timeline    Markdown with a PNG chart (a data URI; the UI renders it, see
                            PREFECT-UI notes): claims reported per month by therapy
    cgt-monitor-progress    progress of the run, updated as sources complete
"""

from __future__ import annotations

import base64
import io
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from storage.repository import NewClaimRow

DIGEST_KEY = "cgt-monitor-digest"
TABLE_KEY = "cgt-monitor-new-claims"
TIMELINE_KEY = "cgt-monitor-timeline"
PROGRESS_KEY = "cgt-monitor-progress"
_MAX_ROWS = 200


def _cell(text: object) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def digest_markdown(summary: dict[str, Any], new_claims: Sequence[NewClaimRow]) -> str:
    """The run digest: counts, new claims, stage changes, failures and warnings."""
    changes = [c for c in new_claims if c.earlier_stages]
    lines = [
        "# cgt-monitor run digest",
        "",
        f"**{summary['claims_new']} new claim(s)**, {len(changes)} stage change(s), "
        f"{summary['claims_updated']} claim(s) reported again; {summary['articles_new']} new article(s) "
        f"from {summary['sources']} source(s); {summary['failed']} failure(s), {summary['warnings']} warning(s).",
        "",
        "| fetched | not modified | unchanged | new articles | already seen | skipped | new mentions |",
        "|---|---|---|---|---|---|---|",
        f"| {summary['fetched']} | {summary['not_modified']} | {summary['unchanged']} | {summary['articles_new']} "
        f"| {summary['articles_seen']} | {summary['articles_skipped']} | {summary['mentions_new']} |",
        "",
        "## New claims",
        "",
    ]
    if new_claims:
        lines += [
            "| first reported | institution | therapy | indication | stage | patients | outcome |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in new_claims[:_MAX_ROWS]:
            lines.append(
                f"| {c.reported} | {_cell(c.institution)} | {c.therapy} | {_cell(c.indication)} | "
                f"{c.stage} | {_cell(c.patients)} | {_cell(c.outcome)} |"
            )
        if len(new_claims) > _MAX_ROWS:
            lines.append(f"\n… and {len(new_claims) - _MAX_ROWS} more (see the {TABLE_KEY} table).")
    else:
        lines.append("None this run.")
    lines += ["", "## Stage changes", ""]
    if changes:
        for c in changes[:_MAX_ROWS]:
            lines.append(
                f"- **{_cell(c.institution) or '(no institution)'}** · {c.therapy} · {_cell(c.indication)}: "
                f"{' → '.join(c.earlier_stages)} → **{c.stage}** ({c.reported})"
            )
    else:
        lines.append("None this run.")
    failures = [f for f in summary["failures"] if not f["optional"]]
    warnings = [f for f in summary["failures"] if f["optional"]]
    for title, items in (("Failures", failures), ("Warnings (optional sources)", warnings)):
        lines += ["", f"## {title}", ""]
        if not items:
            lines.append("None.")
        for f in items[:_MAX_ROWS]:
            lines.append(f"- `{f['source']}` [{f['stage']}] {_cell(f['location'])}: {_cell(f['reason'])}")
        if len(items) > _MAX_ROWS:
            lines.append(f"- … and {len(items) - _MAX_ROWS} more (table `failures`).")
    return "\n".join(lines) + "\n"


def new_claims_table(new_claims: Sequence[NewClaimRow]) -> list[dict[str, Any]]:
    """Rows for the table artifact; every row has the same keys (the UI needs that)."""
    return [
        {
            "date": c.reported,
            "institution": c.institution or "",
            "therapy": c.therapy,
            "indication": c.indication,
            "stage": c.stage,
            "stage_change": " → ".join([*c.earlier_stages, c.stage]) if c.earlier_stages else "",
            "source": c.source,
            "link": c.url or "",
        }
        for c in new_claims[:1000]
    ]


def timeline_png(rows: Sequence[tuple[str, str, int]]) -> bytes:
    """A stacked bar chart of claims reported per month by therapy (PNG)."""
    # The Figure API without pyplot: no global figure state or GUI backend to load (~0.3 s less).
    from matplotlib.figure import Figure

    months = sorted({m for m, _, _ in rows})
    therapies = sorted({t for _, t, _ in rows})
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for month, therapy, claims in rows:
        counts[therapy][month] = claims
    fig = Figure(figsize=(10, 3.6), dpi=90)
    ax = fig.subplots()
    bottom = [0] * len(months)
    for therapy in therapies:
        values = [counts[therapy].get(m, 0) for m in months]
        ax.bar(months, values, bottom=bottom, label=therapy)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title("Claims reported per month by therapy")
    ax.set_ylabel("claims")
    if months:
        step = max(1, len(months) // 12)
        ax.set_xticks(
            range(0, len(months), step),
            [months[i] for i in range(0, len(months), step)],
            rotation=45,
            ha="right",
            fontsize=8,
        )
    else:
        ax.text(0.5, 0.5, "no claims yet", ha="center", va="center", transform=ax.transAxes)
    ax.yaxis.get_major_locator().set_params(integer=True)
    if therapies:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def timeline_markdown(rows: Sequence[tuple[str, str, int]]) -> str:
    """The chart embedded as a PNG data URI (rendered by the Prefect UI), with its numbers."""
    png = base64.b64encode(timeline_png(rows)).decode("ascii")
    total = sum(c for _, _, c in rows)
    return (
        f"# Claims per month by therapy\n\n![claims per month by therapy](data:image/png;base64,{png})\n\n"
        f"{total} claim-months over {len({m for m, _, _ in rows})} month(s) (view `claims_by_month`).\n"
    )
