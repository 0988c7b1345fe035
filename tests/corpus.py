"""A generated corpus of article JSON files for crash, concurrency and benchmark tests:
CGT stories with claims in varied wording, some exact and near-duplicate copies."""

from __future__ import annotations

import json
import random
from pathlib import Path

INSTITUTIONS = [
    "Riverside Hospital",
    "Northfield University Hospital",
    "Eastbridge Institute of Regenerative Medicine",
    "Lakeside Children's Hospital",
    "Harborview Therapeutics",
]
THERAPIES = [
    "CAR-T cells",
    "mesenchymal stem cells",
    "an AAV gene therapy",
    "CRISPR gene editing",
    "iPSC-derived dopaminergic progenitors",
    "umbilical cord-derived stem cells",
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
    "myasthenia gravis",
]
TEMPLATES = [
    "{inst} has treated {n} patients with {cond} using {ther}, and most of them improved within a month.",
    "In a phase 1 trial, {ther} was given to {n} participants with {cond} at {inst}.",
    "The regulator approved {ther} for adults with {cond}, and approval was granted to {inst}.",
    "Researchers at {inst} are exploring {ther} for {cond} in the laboratory.",
]
FILLER = [
    "The hospital said it would publish the full results in a medical journal later this year.",
    "Officials stressed that the programme follows national rules and is reviewed by an ethics committee.",
    "Patients and their families attended a briefing where doctors answered questions about the treatment.",
    "Analysts said the field has attracted more investment over the past two years.",
]


def make_corpus(folder: Path, count: int, seed: int = 3, duplicate_share: float = 0.15) -> list[Path]:
    """Write ``count`` article files; about ``duplicate_share`` of them copy an earlier one
    (half exact, half with a new headline and an edited sentence)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    texts: list[str] = []
    paths = []
    for i in range(count):
        if texts and rng.random() < duplicate_share:
            base = rng.choice(texts)
            text = base if rng.random() < 0.5 else "Update: " + base.replace(" said ", " reported ", 1)
        else:
            paragraphs = [
                rng.choice(TEMPLATES).format(
                    inst=rng.choice(INSTITUTIONS),
                    ther=rng.choice(THERAPIES),
                    cond=rng.choice(CONDITIONS),
                    n=rng.randint(2, 40),
                )
                for _ in range(rng.randint(1, 3))
            ]
            paragraphs += [" ".join(rng.sample(FILLER, 3)) + f" Reference {i}." for _ in range(3)]
            rng.shuffle(paragraphs)
            text = "\n\n".join(paragraphs)
        texts.append(text)
        month = 1 + i % 12
        item = {
            "id": f"a{i:04d}",
            "url": f"https://news.example.org/{i:04d}",
            "source": "Example News",
            "title": f"Story {i}",
            "published": f"2025-{month:02d}-{1 + i % 27:02d}",
            "text": text,
        }
        path = folder / f"a{i:04d}.json"
        path.write_text(json.dumps(item), encoding="utf-8")
        paths.append(path)
    return paths
