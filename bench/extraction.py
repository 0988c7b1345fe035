"""Claim-extraction speed on one core: articles per second for ~5 KB news articles, for
the rule extractor and the learned one in the same run (their passes alternate, so a busy
moment of the shared machine hits both), and the learned one's rate as a share of the rules'.

    python bench/extraction.py [--articles 2000] [--size 5000] [--repeat 5] [--json]

The corpus is generated here (no network, no shared files): news-like paragraphs, about a
third of them stating cell or gene therapy claims in varied wording, shuffled per article.
Targets: >= 1,000 articles/s on one core, or the learned extractor at >= 0.7 x the rules'
rate. Also printed: the seconds the learned extractor's model takes to load. Then
pathological inputs (1 MB on one line, no sentence ends, mixed scripts, 500 conditions in a
list) are run through both against a time budget (``--budget`` seconds per MB); the script
exits 1 if one exceeds it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parsers.claims import ClaimExtractor, RuleBasedExtractor  # noqa: E402
from parsers.claims.learned import LearnedExtractor  # noqa: E402
from parsers.claims.model import load_model  # noqa: E402
from parsers.vocab import default_vocabulary  # noqa: E402

INSTITUTIONS = [
    "Riverside Hospital",
    "Northfield University School of Medicine",
    "Eastbridge Institute of Regenerative Medicine",
    "Lakeside Children's Hospital",
    "Harborview Therapeutics",
    "Summit Biosciences",
]
THERAPIES = [
    "CAR-T cells",
    "mesenchymal stem cells",
    "an AAV gene therapy",
    "CRISPR gene editing",
    "iPSC-derived dopaminergic progenitors",
    "umbilical cord-derived stem cells",
    "CAR-NK cells",
    "a lentiviral gene therapy",
    "base editing",
    "cell therapy injections",
]
CONDITIONS = [
    "lupus",
    "multiple myeloma",
    "knee osteoarthritis",
    "Parkinson's disease",
    "sickle cell disease",
    "hemophilia B",
    "type 1 diabetes",
    "spinal muscular atrophy",
    "ischemic stroke",
    "B-cell lymphoma",
    "Duchenne muscular dystrophy",
    "retinitis pigmentosa",
    "myasthenia gravis",
    "liver cirrhosis",
]
CLAIM_TEMPLATES = [
    "{inst} has treated {n} patients with {cond} using {ther}, and most of them improved within a month.",
    "In a phase 1 trial, {ther} was given to {n} participants with {cond} at {inst}.",
    "Researchers at {inst} are exploring {ther} for {cond} in the laboratory.",
    "The gene therapy restored function in mice with {cond}, {inst} said.",
    "The regulator approved {ther} for adults with {cond}, and approval was granted to {inst}.",
    "{inst} plans to start a trial of {ther} for {cond} next year.",
    "Doctors at {inst} said a {n}-year-old girl with {cond} went into remission after receiving {ther}.",
]
FILLER = [
    "The city council met on Tuesday to discuss the new budget for public transport and road repairs.",
    "Shares of the company rose 4 percent in morning trading after the quarterly results were published.",
    "The weather service expects heavy rain across the region over the weekend, with cooler temperatures.",
    "Officials said the new hospital wing would open next spring and add two hundred beds to the district.",
    "The conference brought together more than 3,000 delegates from industry, academia and government.",
    '"We are very pleased with the progress so far," the chief executive told reporters at the event.',
    "Analysts noted that competition in the sector has intensified as more firms enter the market.",
    "The report, published by an independent think tank, calls for more investment in rural clinics.",
]


def make_article(rng: random.Random, size: int) -> str:
    paragraphs: list[str] = []
    while sum(len(p) + 2 for p in paragraphs) < size:
        if rng.random() < 0.35:
            paragraphs.append(
                rng.choice(CLAIM_TEMPLATES).format(
                    inst=rng.choice(INSTITUTIONS),
                    ther=rng.choice(THERAPIES),
                    cond=rng.choice(CONDITIONS),
                    n=rng.randint(2, 60),
                )
            )
        else:
            paragraphs.append(" ".join(rng.sample(FILLER, 3)))
    return "\n\n".join(paragraphs)[:size]


def run(articles: int, size: int, repeat: int = 5, seed: int = 7) -> dict[str, float]:
    rng = random.Random(seed)
    corpus = [make_article(rng, size) for _ in range(articles)]
    default_vocabulary()  # built once per process; not part of the per-article cost
    started = time.perf_counter()
    model = load_model()
    load_seconds = time.perf_counter() - started
    extractors: dict[str, ClaimExtractor] = {
        "rules": RuleBasedExtractor(),
        "learned": LearnedExtractor(model=model),
    }
    timings: dict[str, list[float]] = {name: [] for name in extractors}
    claims: dict[str, int] = {}
    for extractor in extractors.values():
        extractor.extract_text(corpus[0])  # type: ignore[attr-defined]  # warm up
    for _ in range(repeat):  # the machine is shared: alternate, report the median and best
        for name, extractor in extractors.items():
            start = time.perf_counter()
            claims[name] = sum(len(extractor.extract_text(text)) for text in corpus)  # type: ignore[attr-defined]
            timings[name].append(time.perf_counter() - start)
    total_bytes = sum(len(t.encode()) for t in corpus)
    out: dict[str, float] = {
        "articles": articles,
        "passes": repeat,
        "mean_article_bytes": round(total_bytes / articles),
    }
    for name, times in timings.items():
        times.sort()
        median, best = times[len(times) // 2], times[0]
        out[f"{name}_articles_per_second_median"] = round(articles / median, 1)
        out[f"{name}_articles_per_second_best"] = round(articles / best, 1)
        out[f"{name}_claims_per_article"] = round(claims[name] / articles, 2)
    out["learned_to_rules_ratio_median"] = round(
        out["learned_articles_per_second_median"] / out["rules_articles_per_second_median"], 2
    )
    out["model_load_seconds"] = round(load_seconds, 3)
    out["target_articles_per_second"] = 1000
    out["target_learned_to_rules_ratio"] = 0.7
    return out


def pathological_inputs() -> dict[str, str]:
    """Inputs no news article looks like, each of which must still finish in bounded time."""
    conditions = ["lupus", "multiple sclerosis", "myasthenia gravis", "leukemia", "lymphoma"]
    return {
        "empty": "",
        "1 MB on one line": (
            "CAR-T cells were given to 3 patients with lupus at Riverside Hospital and they improved " * 12000
        )[:1_000_000],
        "200 KB without sentence ends": "stem cell therapy for knee osteoarthritis treated patients in a trial not approved could "
        * 2500,
        "200 KB of mixed scripts": "细胞治疗 CAR-T терапия للمرضى lupus 患者 10 名 " * 5000,
        "500 conditions in one list": "Riverside Hospital treated patients with CAR-T cells for "
        + ", ".join(conditions * 100)
        + ".",
        "5,000 numbers": " ".join(f"{i} patients" for i in range(5000)),
    }


def run_pathological(budget_seconds_per_mb: float) -> list[dict[str, object]]:
    """Seconds each pathological input takes, against a budget proportional to its size (at
    least 0.1 s): a regression to quadratic time shows up here, not in a timed unit test."""
    out = []
    for kind, extractor in (("rules", RuleBasedExtractor()), ("learned", LearnedExtractor())):
        out.extend(_run_pathological(kind, extractor, budget_seconds_per_mb))
    return out


def _run_pathological(kind: str, extractor: object, budget_seconds_per_mb: float) -> list[dict[str, object]]:
    out = []
    for name, text in pathological_inputs().items():
        started = time.perf_counter()
        claims = extractor.extract_text(text)  # type: ignore[attr-defined]
        seconds = time.perf_counter() - started
        budget = max(0.1, budget_seconds_per_mb * len(text.encode()) / 1e6)
        out.append(
            {
                "extractor": kind,
                "input": name,
                "bytes": len(text.encode()),
                "claims": len(claims),
                "seconds": round(seconds, 3),
                "budget_seconds": round(budget, 3),
                "within_budget": seconds <= budget,
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--size", type=int, default=5000, help="characters per article")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the corpus")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--budget",
        type=float,
        default=2.0,
        help="seconds per MB allowed for each pathological input (exit 1 if one takes longer)",
    )
    args = parser.parse_args()
    result = run(args.articles, args.size, args.repeat)
    pathological = run_pathological(args.budget)
    if args.json:
        print(json.dumps({**result, "pathological": pathological}))
    else:
        for key, value in result.items():
            print(f"{key:<28} {value}")
        print("pathological inputs (seconds / budget):")
        for row in pathological:
            mark = "ok" if row["within_budget"] else "OVER BUDGET"
            print(
                f"  {row['extractor']:<8} {row['input']:<30} {row['seconds']:>7} / {row['budget_seconds']:<7} {mark}"
            )
    if not all(row["within_budget"] for row in pathological):
        sys.exit(1)


if __name__ == "__main__":
    main()
