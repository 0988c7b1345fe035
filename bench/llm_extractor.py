"""The llm extractor on labelled articles, without a model: the pre-filter's recall, and a whole
``cgt-monitor run`` against the fake OpenAI-compatible server of the tests.

    .venv/bin/python bench/llm_extractor.py [--data ../shared/eval/train ../shared/eval/dev] [--run DIR]

1. **Pre-filter recall.** Only articles the pre-filter passes (``flows.llm.worth_asking``: the
   article names a cell or gene therapy) are sent to the model; an article with a gold claim that
   it holds back can never get the model's claims. Prints, over every folder given, the share
   of articles with gold claims that pass (the bar: >= 0.99), the ones held back by id, and the
   share of articles without claims that would be sent (what the filter saves).
2. **A run against the fake** (``--run DIR``, e.g. ``../shared/eval/dev``): starts
   ``tests/llm_server.py`` on 127.0.0.1, runs ``cgt-monitor run`` with ``CGT_MONITOR_EXTRACTOR=llm``
   over the folder's JSON articles into a fresh SQLite file, twice. The fake answers three
   claims per article, two of which the checks must drop; its kept claims are recognisable by
   their place, "Fakeville", which no article names. Prints the requests each run sent (the
   second must send none: the answers are kept), the claims stored from the fake's answers and
   the run's own summary line.

Only gold claim counts are read from the set (no claim text); nothing from it is written into
the project.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from flows.llm import worth_asking  # noqa: E402
from parsers.claims import claim_extractor  # noqa: E402
from parsers.models import ParsedArticle  # noqa: E402
from parsers.pipeline import extract_articles  # noqa: E402


def pre_filter_recall(folders: list[Path]) -> dict[str, object]:
    """Articles with gold claims the pre-filter passes, and the share of the others it passes."""
    records = [json.loads(p.read_text()) for d in folders for p in sorted(d.glob("*.json"))]
    articles = [
        ParsedArticle(r["text"], datetime.now(UTC), title=r.get("title"), url=r.get("id")) for r in records
    ]
    extracted = extract_articles(articles, claim_extractor("learned"))
    with_claims = [(r, e) for r, e in zip(records, extracted, strict=True) if r.get("claims")]
    without = [(r, e) for r, e in zip(records, extracted, strict=True) if not r.get("claims")]
    held_back = [r["id"] for r, e in with_claims if not worth_asking(e)]
    sent_without = sum(1 for _, e in without if worth_asking(e))
    return {
        "articles": len(records),
        "with_claims": len(with_claims),
        "recall": round(1 - len(held_back) / max(1, len(with_claims)), 4),
        "held_back": held_back,
        "without_claims": len(without),
        "sent_without_claims": sent_without,
    }


def run_against_fake(folder: Path, workdir: Path) -> dict[str, object]:
    """Two ``cgt-monitor run``s over the folder with the llm extractor and the fake server."""
    from tests.llm_server import FakeModel

    articles = workdir / "articles"
    articles.mkdir()
    for path in sorted(folder.glob("*.json")):
        (articles / path.name).write_bytes(path.read_bytes())
    sources = workdir / "sources.toml"
    sources.write_text('[[source]]\nname = "labelled"\nkind = "files"\naddress = "articles"\n')
    database_url = f"sqlite:///{workdir / 'llm.db'}"
    fake = FakeModel().start()
    env = {
        **os.environ,
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "CGT_MONITOR_EXTRACTOR": "llm",
        "CGT_MONITOR_LLM_BASE_URL": fake.base_url,
        "CGT_MONITOR_LLM_MODEL": "fake-model",
        "CGT_MONITOR_DATABASE_URL": database_url,
    }
    out: dict[str, object] = {"articles": len(list(articles.glob("*.json")))}
    try:
        for n in (1, 2):
            before = len(fake.requests)
            done = subprocess.run(
                [sys.executable, "-m", "flows.cli", "run", "--sources", str(sources)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            line = next((x.strip() for x in done.stdout.splitlines() if "articles sent" in x), "")
            out[f"run{n}"] = {"rc": done.returncode, "requests": len(fake.requests) - before, "summary": line}
    finally:
        fake.stop()
    engine = create_engine(database_url)
    with engine.connect() as conn:
        out["claims_from_the_fake"] = conn.execute(
            text("SELECT count(*) FROM claims WHERE location = 'Fakeville'")
        ).scalar()
        out["claims"] = conn.execute(text("SELECT count(*) FROM claims")).scalar()
        out["mentions"] = conn.execute(text("SELECT count(*) FROM mentions")).scalar()
        out["articles_stored"] = conn.execute(text("SELECT count(*) FROM articles")).scalar()
        out["answers_kept"] = conn.execute(text("SELECT count(*) FROM llm_answers")).scalar()
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data",
        nargs="+",
        type=Path,
        default=[ROOT.parent / "shared/eval/train", ROOT.parent / "shared/eval/dev"],
    )
    parser.add_argument("--run", type=Path, help="a folder of labelled JSON articles to run against the fake")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    recall = pre_filter_recall(args.data)
    print(
        f"pre-filter: {recall['with_claims']} articles with gold claims, recall {recall['recall']:.4f} "
        f"(held back: {', '.join(recall['held_back']) or 'none'}); "  # type: ignore[arg-type]
        f"{recall['sent_without_claims']} of {recall['without_claims']} articles without claims sent"
    )
    figures: dict[str, object] = {"pre_filter": recall}
    if args.run:
        with tempfile.TemporaryDirectory() as tmp:
            figures["run"] = run_against_fake(args.run, Path(tmp))
        print(json.dumps(figures["run"], indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
