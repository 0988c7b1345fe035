"""Deduplication and query benchmarks (issue: deduplication and tracking over time).

    python bench/dedup.py [--articles 20000] [--mentions 1000000] [--json]

1. Near-duplicate detection through the real storage path (``store_article`` into a fresh
   SQLite file): synthetic 600-word articles, 10 % of them planted copies of an earlier one
   with a new headline and 1-10 words changed. Reports recall of the planted copies, false
   merges of distinct articles, and the storing rate over the first and the last 10 % of the
   corpus (cost per article should stay flat as the database grows).
2. Query speed on a database of ``--mentions`` mentions built in bulk: the claim_timeline rows
   of one indication and the claims_by_month counts (median of 5 runs, target < 100 ms each).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402

from parsers.models import ParsedArticle  # noqa: E402
from parsers.pages.fingerprint import fingerprint  # noqa: E402
from storage.database import make_engine, upgrade_database  # noqa: E402
from storage.models import Article, ClaimRecord, DevelopmentRecord, Mention, Source  # noqa: E402
from storage.writer import store_article  # noqa: E402

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def _vocabulary(rng: random.Random, size: int = 6000) -> tuple[list[str], list[float]]:
    words = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
        for _ in range(size)
    ]
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(size)]  # Zipf-like, as in real text
    return words, weights


def make_articles(count: int, seed: int = 11) -> tuple[list[str], dict[int, int]]:
    """Texts and the planted copies (index -> index of the original)."""
    rng = random.Random(seed)
    words, weights = _vocabulary(rng)
    texts: list[str] = []
    planted: dict[int, int] = {}
    for i in range(count):
        if i > 10 and rng.random() < 0.10:
            original = rng.randrange(i)
            while original in planted:
                original = planted[original]
            body = texts[original].split(". ", 1)[-1].split()
            for _ in range(rng.randint(1, 10)):
                body[rng.randrange(len(body))] = rng.choice(words)
            texts.append(f"New headline number {i}. " + " ".join(body))
            planted[i] = original
        else:
            body = rng.choices(words, weights, k=600)
            texts.append(f"Headline {i}. " + " ".join(body))
    return texts, planted


def dedup_benchmark(count: int) -> dict[str, float]:
    texts, planted = make_articles(count)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/dedup.db")
        upgrade_database(engine)
        found: dict[int, int | None] = {}
        ids: dict[int, int] = {}
        window = max(1, count // 10)
        first_rate = last_rate = 0.0
        started = time.perf_counter()
        for i, body in enumerate(texts):
            if i == count - window:
                last_started = time.perf_counter()
            article = ParsedArticle(text=body, fetched_at=NOW, url=f"https://bench.example/{i}")
            result = store_article(engine, "bench", "files", ".", article, [], fp=fingerprint(body))
            ids[i] = result.article_id
            found[i] = result.duplicate_of
            if i == window - 1:
                first_rate = window / (time.perf_counter() - started)
        last_rate = window / (time.perf_counter() - last_started)
        engine.dispose()
    by_id = {v: k for k, v in ids.items()}
    hits = sum(1 for i, original in planted.items() if found[i] is not None and by_id[found[i]] == original)
    false_merges = sum(1 for i, dup in found.items() if dup is not None and i not in planted)
    wrong_original = sum(1 for i in planted if found[i] is not None and by_id[found[i]] != planted[i])
    return {
        "articles": count,
        "planted_copies": len(planted),
        "recall": round(hits / max(1, len(planted)), 4),
        "false_merges": false_merges,
        "copies_linked_to_another_article": wrong_original,
        "store_rate_first_10pct_per_s": round(first_rate, 1),
        "store_rate_last_10pct_per_s": round(last_rate, 1),
        "last_over_first": round(last_rate / first_rate, 3) if first_rate else 0.0,
    }


def query_benchmark(mentions: int, seed: int = 5) -> dict[str, float]:
    rng = random.Random(seed)
    indications = [f"condition {i}" for i in range(300)]
    therapies = ["cell therapy", "stem cell therapy", "CAR-T cell therapy", "gene therapy", "gene editing"]
    stages = ["research", "preclinical", "clinical_trial", "clinical_use", "approved"]
    n_claims = max(1, mentions // 20)
    n_articles = max(1, mentions // 5)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/queries.db")
        upgrade_database(engine)
        t = datetime(2026, 1, 1, tzinfo=UTC)
        build_started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(
                insert(Source),
                [
                    {"id": s + 1, "name": f"s{s}", "kind": "feed", "address": "x", "created_at": t}
                    for s in range(50)
                ],
            )
            conn.execute(
                insert(Article),
                [
                    {
                        "id": a + 1,
                        "article_key": f"url:https://x/{a}",
                        "source_id": a % 50 + 1,
                        "url": f"https://x/{a}",
                        "fetched_at": t,
                        "content_hash": f"h{a}",
                        "text": "t",
                        "claim_count": 0,
                    }
                    for a in range(n_articles)
                ],
            )
            claims = []
            for c in range(n_claims):
                claims.append(
                    {
                        "id": c + 1,
                        "development_id": c + 1,
                        "institution_key": f"inst {c}",
                        "therapy": rng.choice(therapies),
                        "indication": rng.choice(indications),
                        "stage": rng.choice(stages),
                        "first_seen": date(2020, 1, 1),
                        "last_seen": date(2026, 1, 1),
                        "mention_count": 20,
                        "source_count": 10,
                        "created_at": t,
                        "updated_at": t,
                    }
                )
            conn.execute(
                insert(DevelopmentRecord),
                [
                    {
                        "id": c["id"],
                        "institution_key": c["institution_key"],
                        "therapy": c["therapy"],
                        "indication": c["indication"],
                    }
                    for c in claims
                ],
            )
            conn.execute(insert(ClaimRecord), claims)
            batch = []
            for m in range(mentions):
                day = date(2020, 1, 1) + timedelta(days=rng.randrange(6 * 365))
                # five mentions per article, each of a different claim: (claim, article) pairs are unique
                batch.append(
                    {
                        "claim_id": (m * 7919) % n_claims + 1,
                        "article_id": m // 5 % n_articles + 1,
                        "seen_on": day,
                        "seen_month": day.isoformat()[:7],
                        "evidence": "evidence sentence",
                        "created_at": t,
                    }
                )
                if len(batch) == 50_000:
                    conn.execute(insert(Mention), batch)
                    batch = []
            if batch:
                conn.execute(insert(Mention), batch)
            conn.execute(
                text(
                    "INSERT INTO claim_months (claim_id, month) SELECT DISTINCT claim_id, seen_month FROM mentions"
                )
            )
            for column in (
                "therapy",
                "indication",
                "stage",
            ):  # the grouping sets, as the migration fills them
                values = ", ".join(
                    f"c.{c}" if c == column else "''" for c in ("therapy", "indication", "stage")
                )
                conn.execute(
                    text(
                        "INSERT INTO monthly_counts (month, therapy, indication, stage, claims, mentions) "
                        f"SELECT m.seen_month, {values}, COUNT(DISTINCT c.id), COUNT(*) FROM mentions m "
                        f"JOIN claims c ON c.id = m.claim_id GROUP BY m.seen_month, c.{column}"
                    )
                )
            conn.exec_driver_sql("ANALYZE")
        build_seconds = time.perf_counter() - build_started

        def timed(sql: str, params: dict) -> tuple[float, int]:
            runs = []
            rows = 0
            for _ in range(5):
                with engine.connect() as conn:
                    started = time.perf_counter()
                    rows = len(conn.execute(text(sql), params).all())
                    runs.append(time.perf_counter() - started)
            return statistics.median(runs) * 1000, rows

        timeline_ms, timeline_rows = timed(
            "SELECT reported_on, institution, therapy, stage, source, url, evidence FROM claim_timeline "
            "WHERE indication = :i ORDER BY reported_on",
            {"i": "condition 7"},
        )
        therapy_ms, therapy_rows = timed(
            "SELECT month, therapy, claims, mentions FROM claims_by_month WHERE therapy IS NOT NULL "
            "ORDER BY month, therapy",
            {},
        )
        indication_ms, indication_rows = timed(
            "SELECT month, indication, claims, mentions FROM claims_by_month WHERE indication IS NOT NULL "
            "ORDER BY month, indication",
            {},
        )
        one_indication_ms, _ = timed(
            "SELECT month, claims, mentions FROM claims_by_month WHERE indication = :i ORDER BY month",
            {"i": "condition 7"},
        )
        engine.dispose()
    return {
        "mentions": mentions,
        "build_seconds": round(build_seconds, 1),
        "claim_timeline_one_indication_ms": round(timeline_ms, 1),
        "claim_timeline_rows": timeline_rows,
        "claims_by_month_by_therapy_ms": round(therapy_ms, 1),
        "claims_by_month_by_therapy_rows": therapy_rows,
        "claims_by_month_by_indication_ms": round(indication_ms, 1),
        "claims_by_month_by_indication_rows": indication_rows,
        "claims_by_month_one_indication_ms": round(one_indication_ms, 1),
        "target_ms": 100,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument(
        "--small", type=int, default=2000, help="the smaller corpus for the flat-cost comparison"
    )
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = {
        "dedup_small": dedup_benchmark(args.small),
        "dedup_large": dedup_benchmark(args.articles),
        "queries": query_benchmark(args.mentions),
    }
    small, large = result["dedup_small"], result["dedup_large"]
    result["per_article_cost_large_over_small"] = round(
        small["store_rate_last_10pct_per_s"] / max(1e-9, large["store_rate_last_10pct_per_s"]), 3
    )
    if args.json:
        print(json.dumps(result))
        return
    for section, values in result.items():
        if isinstance(values, dict):
            print(section)
            for key, value in values.items():
                print(f"  {key:<40} {value}")
        else:
            print(f"{section:<42} {values}")


if __name__ == "__main__":
    main()
