"""The digest, the table and the chart, built from claim rows (pure functions)."""

import base64
import re
from datetime import date

from flows.artifacts import (
    chart_window,
    digest_markdown,
    headline,
    new_claims_table,
    timeline_markdown,
    timeline_png,
)
from flows.summary import Failed, RunSummary
from storage.queries import NewClaimRow, NewEventRow


def row(n, stage="clinical_trial", earlier=(), dated=True, development=None, **kw):
    values = {
        "id": n,
        "development_id": development or n,
        "first_seen": date(2025, 4, n),
        "institution": f"Hospital {n}",
        "therapy": "CAR-T cell therapy",
        "indication": "lupus",
        "stage": stage,
        "patients": 3,
        "outcome": "improved",
        "source": "feed-a",
        "url": f"https://outlet{n}.example/story",
        "earlier_stages": tuple(earlier),
        "dated": dated,
        "outlet": f"outlet{n}.example",
        "title": f"Story {n}",
        "evidence": f"Doctors at Hospital {n} treated three patients with CAR-T cells in a trial. " * 3,
    }
    values.update(kw)
    return NewClaimRow(**values)


SUMMARY = RunSummary(
    sources=2,
    articles_new=4,
    mentions_new=6,
    failed=1,
    warnings=0,
    fetched=4,
    not_modified=0,
    unchanged=0,
    articles_seen=0,
    articles_skipped=1,
    failures=[Failed(source="feed-b", address="https://b.example/x", stage="fetch", reason="timeout")],
)


def test_stage_moves_only_go_forward_and_an_earlier_stage_is_not_a_move():
    assert row(1).kind == "new"
    moved = row(2, stage="approved", earlier=["clinical_trial"])
    assert (moved.kind, moved.moved_from) == ("move", "clinical_trial")
    back = row(3, stage="clinical_trial", earlier=["approved"])
    assert (back.kind, back.moved_from) == ("earlier", None)
    # two stages of one development first stored in the same run are both new, no move either way
    same_run = [row(4, stage="preclinical", development=9), row(5, stage="clinical_trial", development=9)]
    assert [r.kind for r in same_run] == ["new", "new"]


def test_the_digest_headline_sections_links_quotes_and_failures():
    rows = [
        row(1),
        row(2, stage="approved", earlier=["clinical_trial"]),
        row(3, stage="clinical_trial", earlier=["approved"]),
        row(4, dated=False),
        row(5, development=1, stage="clinical_use"),  # a second new stage of development 1
    ]
    line = headline(SUMMARY, rows)
    assert line.startswith("2 new developments · 1 stage move · 1 earlier stage reported — 4 new articles")
    assert "**1 failure**" in line
    digest = digest_markdown(SUMMARY, rows)
    sections = [ln for ln in digest.splitlines() if ln.startswith("## ")]
    assert sections[:4] == [
        "## New developments",
        "## Stage moves",
        "## Earlier stages reported (a development already stored at a later stage; not a move)",
        "## Undated reports (the article states no date; shown with the day it was read)",
    ]
    assert "**2025-04-02 · clinical_trial → approved**" in digest
    assert "**undated (read 2025-04-04) · clinical_trial**" in digest
    assert digest.count("[outlet") == 5 and digest.count("— “") == 5
    assert "[outlet1.example: Story 1](https://outlet1.example/story)" in digest
    assert "- `feed-b` [fetch] https://b.example/x — timeout" in digest
    quotes = re.findall(r"“([^”]*)”", digest)
    assert len(quotes) == 5 and max(len(q) for q in quotes) <= 160  # quotes are short


def happening(n, occurrence=2, dated=True):
    return NewEventRow(
        event_id=n,
        development_id=n,
        institution="Example Therapeutics",
        therapy="gene therapy",
        indication="Duchenne muscular dystrophy",
        stage="clinical_use",
        occurrence=occurrence,
        reported_on=date(2025, 6, n),
        dated=dated,
        patients=1,
        outcome="adverse",
        source="feed-a",
        outlet=f"outlet{n}.example",
        title=f"Second death {n}",
        url=f"https://outlet{n}.example/death",
        evidence="A second patient has died of acute liver failure after receiving the gene therapy.",
        previous="2025-03-18",
    )


def test_new_happenings_of_known_developments_have_their_section_headline_and_table_rows():
    events = [happening(1), happening(2, occurrence=1, dated=False)]
    line = headline(SUMMARY, [row(1)], events)
    assert line.startswith("1 new development · 0 stage moves · 2 new happenings — ")
    digest = digest_markdown(SUMMARY, [row(1), row(2, stage="approved", earlier=["clinical_trial"])], events)
    sections = [ln for ln in digest.splitlines() if ln.startswith("## ")]
    assert sections[:3] == [
        "## New developments",
        "## Stage moves",
        "## New happenings of known developments (a stage already stored, reported for another event)",
    ]
    assert (
        "- **2025-06-01 · clinical_use · occurrence 2** · gene therapy · Duchenne muscular dystrophy"
        in digest
    )
    assert "- **undated (read 2025-06-02) · clinical_use · again**" in digest
    assert "Example Therapeutics · 1 patient · adverse · previous report 2025-03-18" in digest
    assert "[outlet1.example: Second death 1](https://outlet1.example/death) — “A second patient" in digest
    # without happenings the section is left out
    assert "New happenings" not in digest_markdown(SUMMARY, [row(1)])
    table = new_claims_table([row(1)], events)
    assert [r["stage"] for r in table] == [
        "clinical_trial",
        "clinical_use · #2",
        "clinical_use · again",
    ]
    assert len({tuple(r) for r in table}) == 1 and table[2]["reported"] == "undated"


def test_the_table_puts_short_columns_first_and_every_row_has_the_same_keys():
    rows = new_claims_table([row(1), row(2, stage="approved", earlier=["clinical_trial"], institution=None)])
    assert list(rows[0]) == ["reported", "stage", "therapy", "indication", "institution", "result", "outlet"]
    assert rows[1]["stage"] == "clinical_trial → approved" and rows[1]["institution"] == ""
    assert rows[0]["result"] == "3 pt · improved" and rows[0]["therapy"] == "CAR-T"
    assert rows[0]["outlet"] == "[outlet1.example](https://outlet1.example/story)"  # a link to the article
    assert new_claims_table([row(3, url=None)])[0]["outlet"] == "outlet3.example"  # no URL: plain
    shown = [re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", " ".join(map(str, r.values()))) for r in rows]
    assert max(len(s) for s in shown) <= 125  # the text shown fits 1600 px


def test_the_chart_keeps_empty_months_and_states_its_window():
    assert chart_window(date(2026, 11, 29)) == ("2023-12", "2026-11")
    assert chart_window(date(2026, 1, 5), months=3) == ("2025-11", "2026-01")
    rows = [
        ("2024-01", "gene therapy", 2),
        ("2026-10", "CAR-T cell therapy", 1),
        ("2020-01", "gene therapy", 5),
    ]
    png = timeline_png(rows, ("2023-12", "2026-11"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    markdown = timeline_markdown(rows, date(2026, 11, 29))
    encoded = markdown.split("data:image/png;base64,", 1)[1].split(")", 1)[0]
    assert base64.b64decode(encoded).startswith(b"\x89PNG")
    assert "3 in the 36 months shown" in markdown and "Before 2023-12: 5 more" in markdown
