#!/usr/bin/env python3
"""Train the learned claim extractor from labelled articles and report it out of fold.

    python scripts/train_extractor.py --data ../shared/eval/train ../shared/eval/dev \
        --out parsers/data/claim_model.json

Any folders of articles in the labelled format (JSON files with id, title, text, published,
same_development_as and gold claims; see README "Training the extractor") can be given, so a
user can retrain on their own labels. Prints the out-of-fold claim F1 (grouped K-fold: articles
reporting one development share a fold; each fold scored by a model trained on the others, its
thresholds chosen on those others only) and writes the model trained on every article, with a
manifest beside it (<out>.manifest.json: training ids, a hash of the data, library versions,
the out-of-fold scores, the date). --predictions writes the out-of-fold claims as
`cgt-monitor extract --json` prints them, for the evaluation's score.py (--pred). --splits N
also scores N-1 other assignments of the groups to folds and prints the mean: on ~500 articles
one split's F1 moves by about 0.005 when a few claims change, so judge small changes by the mean.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parsers.claims.features import FEATURE_VERSION  # noqa: E402
from parsers.claims.model import MODEL_FORMAT_VERSION, save_model  # noqa: E402
from parsers.claims.training import (  # noqa: E402
    SEED,
    cross_validate,
    load_labelled,
    read_labelled,
    train,
)


def data_hash(folders: list[Path]) -> str:
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, nargs="+", required=True, help="folders of labelled articles")
    ap.add_argument("--out", type=Path, help="where to write the model (JSON); omit to only evaluate")
    ap.add_argument("--folds", type=int, default=5, help="folds of the out-of-fold evaluation (default 5)")
    ap.add_argument("--predictions", type=Path, help="write the out-of-fold claims here (JSON)")
    ap.add_argument("--min-f1", type=float, help="exit 1 when the pooled out-of-fold F1 is below this")
    ap.add_argument(
        "--splits",
        type=int,
        default=1,
        help="also score N-1 other assignments of the groups to folds and print the mean: a change "
        "worth a few claims is judged over several splits, not one (default 1)",
    )
    args = ap.parse_args(argv)

    started = time.perf_counter()
    try:
        articles = load_labelled(args.data)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    readings = read_labelled(articles)
    print(f"{len(articles)} articles, {sum(len(a.claims) for a in articles)} gold claims")
    cv = cross_validate(readings, args.folds)
    f1, tp, fp, fn = cv.pooled
    print(f"candidate recall (stage left out): {cv.candidate_recall:.3f}")
    for fold, (score, *_counts) in enumerate(cv.fold_scores):
        n = sum(1 for v in cv.fold_of.values() if v == fold)
        t, t2 = cv.thresholds[fold]
        print(f"fold {fold + 1}/{args.folds}: {n} articles, claim F1 {score:.3f} (thresholds {t}, {t2})")
    print(f"out-of-fold: precision {tp / max(tp + fp, 1):.3f}  recall {tp / max(tp + fn, 1):.3f}")
    print(f"out-of-fold claim F1: {f1:.3f}")
    if args.splits > 1:
        scores = [f1] + [
            cross_validate(readings, args.folds, split).pooled[0] for split in range(1, args.splits)
        ]
        listed = ", ".join(f"{x:.4f}" for x in scores)
        print(
            f"out-of-fold claim F1 over {args.splits} splits: mean {sum(scores) / len(scores):.4f} ({listed})"
        )
    if args.predictions:
        published = {a.id: a.published for a in articles}
        items = [
            {"id": aid, "published": published[aid], "claims": claims}
            for aid, claims in sorted(cv.predictions.items())
        ]
        args.predictions.write_text(json.dumps(items, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.out:
        model = train(readings, args.folds)
        save_model(model, args.out)
        manifest = {
            "model": args.out.name,
            "trained": datetime.now(UTC).isoformat(timespec="seconds"),
            "seed": SEED,
            "model_format": MODEL_FORMAT_VERSION,
            "feature_version": FEATURE_VERSION,
            "thresholds": {"claim": model.claim_threshold, "second_stage": model.second_stage_threshold},
            "data": {
                "folders": [p.name for p in args.data],
                "sha256": data_hash(args.data),
                "articles": len(articles),
                "gold_claims": sum(len(a.claims) for a in articles),
                "ids": sorted(a.id for a in articles),
            },
            "out_of_fold": {
                "folds": args.folds,
                "claim_f1": round(f1, 4),
                "per_fold": [round(s[0], 4) for s in cv.fold_scores],
                "candidate_recall": round(cv.candidate_recall, 4),
            },
            "libraries": {
                "python": platform.python_version(),
                **{name: metadata.version(name) for name in ("scikit-learn", "numpy", "scipy")},
            },
        }
        manifest_path = args.out.with_name(args.out.stem + ".manifest.json")
        manifest_path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB) and {manifest_path.name}")
    print(f"took {time.perf_counter() - started:.0f} s")
    if args.min_f1 is not None and f1 < args.min_f1:
        print(f"out-of-fold claim F1 {f1:.3f} is below the floor {args.min_f1}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
