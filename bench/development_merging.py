"""How well storage merges reports of one development across outlets, on a labelled set.

    .venv/bin/python bench/development_merging.py [--dev ../shared/eval/train ../shared/eval/dev] [--json FILE]

Runs ``cgt-monitor run`` (a ``files`` source over the set's JSON articles, a fresh SQLite
file) and compares the stored developments with the set's ``same_development_as`` links:

- a duplicate group (articles linked to each other) is *merged* when one development carries
  mentions from every article of the group;
- a *false merge* is a development carrying mentions from two articles that the set does not
  link (every such pair counts once).

Both are measured twice: over developments (the long-lived record of a party's therapy for a
condition, whose stage changes over time) and over news events (``storage.events``: the reports
of one happening of a development). The set links reports of one happening ("the second death
... a different development from" the first), so its links are judged at the event level; at
the development level the false merges are reports of different happenings of one development.

Only the links between articles are read from the set (no claim labels); nothing from it is
written into the project. Prints one line per group and the totals.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from itertools import combinations
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]


def groups_of(folders: list[Path]) -> tuple[list[set[str]], set[str]]:
    """The connected groups of same_development_as links, and every article id."""
    links: dict[str, set[str]] = defaultdict(set)
    ids = set()
    for path in sorted(p for dev in folders for p in dev.glob("*.json")):
        data = json.loads(path.read_text())
        ids.add(data["id"])
        for other in data.get("same_development_as") or []:
            links[data["id"]].add(other)
            links[other].add(data["id"])
    seen: set[str] = set()
    groups = []
    for start in sorted(links):
        if start in seen:
            continue
        group, stack = set(), [start]
        while stack:
            node = stack.pop()
            if node in group:
                continue
            group.add(node)
            stack.extend(links[node] - group)
        seen |= group
        groups.append(group)
    return groups, ids


def run(folders: list[Path], workdir: Path) -> str:
    articles = workdir / "articles"
    articles.mkdir()
    for path in (p for dev in folders for p in dev.glob("*.json")):
        shutil.copy(path, articles / path.name)
    sources = workdir / "sources.toml"
    sources.write_text('[[source]]\nname = "dev"\nkind = "files"\naddress = "articles"\n')
    database_url = f"sqlite:///{workdir / 'dev.db'}"
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"}
    subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--sources", str(sources), "--database-url", database_url],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return database_url


def records_by_article(database_url: str, column: str) -> dict[str, set[int]]:
    """The developments (column "c.development_id") or events ("m.event_id") each article's
    mentions belong to."""
    engine = create_engine(database_url)
    out: dict[str, set[int]] = defaultdict(set)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT a.external_id, {column} FROM mentions m "
                "JOIN claims c ON c.id = m.claim_id JOIN articles a ON a.id = m.article_id"
            )
        )
        for article, record in rows:
            if record is not None:  # a background report belongs to no event
                out[article].add(record)
    engine.dispose()
    return out


def run_folds(folders: list[Path], workdir: Path, folds: int) -> dict[str, dict[str, set[int]]]:
    """Out of fold: for each fold, a linkage model trained without it
    (``scripts/train_linkage.py --exclude-fold``) stores that fold's articles alone; the
    records of every fold together (record ids made distinct per fold)."""
    sys.path.insert(0, str(ROOT))
    from parsers.claims.training import grouped_folds, load_labelled

    fold_of = grouped_folds(load_labelled(folders), folds)
    levels: dict[str, dict[str, set[int]]] = {"development": defaultdict(set), "event": defaultdict(set)}
    for k in range(folds):
        part = workdir / f"fold{k}"
        (part / "in").mkdir(parents=True)
        for path in (p for d in folders for p in d.glob("*.json")):
            if fold_of.get(json.loads(path.read_text())["id"]) == k:
                shutil.copy(path, part / "in" / path.name)
        model = part / "linkage.json"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "train_linkage.py"),
                "--data",
                *map(str, folders),
                "--exclude-fold",
                str(k),
                "--folds",
                str(folds),
                "--out",
                str(model),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        os.environ["CGT_MONITOR_LINK_MODEL"] = str(model)
        try:
            url = run([part / "in"], part)
        finally:
            del os.environ["CGT_MONITOR_LINK_MODEL"]
        for level, column in (("development", "c.development_id"), ("event", "m.event_id")):
            for article, records in records_by_article(url, column).items():
                levels[level][article] |= {k * 10**6 + r for r in records}
    return levels


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    shared = ROOT.parent / "shared" / "eval"
    parser.add_argument("--dev", type=Path, nargs="+", default=[shared / "train", shared / "dev"])
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--folds",
        type=int,
        default=0,
        help="out of fold: each fold stored with a linkage model trained without it",
    )
    args = parser.parse_args()
    missing = [d for d in args.dev if not d.is_dir()]
    if missing:
        raise SystemExit(f"no labelled set at {missing[0]}")
    groups, ids = groups_of(args.dev)
    with tempfile.TemporaryDirectory() as tmp:
        if args.folds:
            levels = run_folds(args.dev, Path(tmp), args.folds)
        else:
            database_url = run(args.dev, Path(tmp))
            levels = {
                "development": records_by_article(database_url, "c.development_id"),
                "event": records_by_article(database_url, "m.event_id"),
            }
    result: dict[str, object] = {"articles": len(ids), "groups": len(groups)}
    for level, found in levels.items():
        result[level] = score(groups, found, level)
    print(json.dumps({k: v for k, v in result.items() if k in ("articles", "groups")}))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


def score(groups: list[set[str]], found: dict[str, set[int]], level: str) -> dict[str, object]:
    """Groups merged and false-merge pairs for one level (developments or events), printed."""
    merged = 0
    lines = []
    for group in groups:
        shared = set.intersection(*(found.get(a, set()) for a in group))
        ok = bool(shared)
        merged += ok
        lines.append(f"{'merged ' if ok else 'apart  '} {', '.join(sorted(group))}")
    group_of = {a: i for i, g in enumerate(groups) for a in g}
    by_record: dict[int, set[str]] = defaultdict(set)
    for article, records in found.items():
        for r in records:
            by_record[r].add(article)
    false_pairs = sorted(
        {
            tuple(sorted(pair))
            for articles in by_record.values()
            for pair in combinations(sorted(articles), 2)
            if group_of.get(pair[0], f"solo:{pair[0]}") != group_of.get(pair[1], f"solo:{pair[1]}")
        }
    )
    print(f"== {level}s")
    print("\n".join(lines))
    for a, b in false_pairs:
        print(f"false merge: {a} + {b}")
    print(f"{level}s: groups merged: {merged} of {len(groups)}; false merges: {len(false_pairs)}")
    return {
        "groups_merged": merged,
        "false_merges": len(false_pairs),
        "false_merge_pairs": [list(p) for p in false_pairs],
    }


if __name__ == "__main__":
    main()
