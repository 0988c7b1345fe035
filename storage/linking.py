"""The stored reports a new one is compared with (``parsers.linkage``), read in one query per
claim and bounded in number: a report of a block (a condition of the same field, the same
product) among the latest ``MAX_CANDIDATES`` stored.

    found = best_match(session, report, article_id, model)   # Match | None
    found.development_id, found.p, found.why

Which evidence a report without a named party takes to join a development: what the model
weighs (a party counts for much, and its absence against); in practice the same condition,
stage and place with like evidence or headlines, or a product or trial registry id, or dates
within a week. A single weak signal never suffices: the thresholds are chosen out of fold so
that no two reports the labels keep apart end in one event.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Date, Integer, String, bindparam, text
from sqlmodel import Session

from parsers.linkage import LinkModel, Report, in_block, place_of, words
from parsers.models import Therapy
from parsers.occurrence import stated_occurrence
from parsers.vocab import condition_hierarchy

MAX_CANDIDATES = 300  # stored reports compared with a new one (the latest of its block)


def identity_json(report: Report) -> str:
    """What a report said of its development's identity, as kept in ``mentions.report``."""
    return json.dumps(
        {
            "parties": list(report.parties),
            "place": report.place,
            "product": report.product,
            "registry": list(report.registry_ids),
        },
        ensure_ascii=False,
    )


def _identity(raw: str | None) -> dict[str, object]:
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


_CANDIDATES = (
    text(
        "SELECT m.id, m.evidence, m.patients, m.seen_on, m.dated, m.event_id, m.report, c.id AS claim_id, "
        "c.development_id, c.therapy, c.indication, c.stage, c.location, d.product, a.title "
        "FROM mentions m JOIN claims c ON c.id = m.claim_id JOIN developments d ON d.id = c.development_id "
        "JOIN articles a ON a.id = m.article_id "
        "WHERE (c.indication IN :names OR (d.product IS NOT NULL AND d.product = :product)) "
        "AND m.article_id <> :article_id ORDER BY m.id DESC LIMIT :limit"
    )
    .bindparams(bindparam("names", expanding=True))
    .columns(seen_on=Date, id=Integer, development_id=Integer, event_id=Integer, claim_id=Integer)
)
_EVENT_MENTIONS = (
    text(
        "SELECT m.id, m.evidence, m.patients, m.seen_on, m.dated, m.event_id, m.report, c.id AS claim_id, "
        "c.development_id, c.therapy, c.indication, c.stage, c.location, d.product, a.title "
        "FROM mentions m JOIN claims c ON c.id = m.claim_id JOIN developments d ON d.id = c.development_id "
        "JOIN articles a ON a.id = m.article_id WHERE m.event_id IN :events AND m.article_id <> :article_id "
        "ORDER BY m.id DESC LIMIT :limit"
    )
    .bindparams(bindparam("events", expanding=True))
    .columns(seen_on=Date, id=Integer, development_id=Integer, event_id=Integer, claim_id=Integer)
)
_PARTIES = text(
    "SELECT development_id, institution_key FROM development_parties WHERE development_id IN :ids"
).bindparams(bindparam("ids", expanding=True))
_REGISTRY = (
    text(
        "SELECT development_id, key FROM development_keys WHERE kind = 'registry' AND development_id IN :ids"
    )
    .bindparams(bindparam("ids", expanding=True))
    .columns(key=String)
)


@dataclass(frozen=True, slots=True)
class Match:
    """The stored report a new one matched best."""

    mention_id: int
    development_id: int
    claim_id: int
    event_id: int | None
    p: float
    why: str  # the strongest signals


@lru_cache(maxsize=1)
def _fields() -> dict[str, tuple[str, ...]]:
    """Condition names by field (category), for the block's query."""
    out: dict[str, list[str]] = defaultdict(list)
    for c in condition_hierarchy():
        out[c.category.split("-")[0]].append(c.name)
    return {k: tuple(v) for k, v in out.items()}


def _names(report: Report) -> list[str]:
    if report.category:
        return list(_fields()[report.category])
    return [report.condition]


def _reports(session: Session, rows: list) -> list[tuple[object, Report]]:
    ids = sorted({row.development_id for row in rows})
    parties: dict[int, list[str]] = defaultdict(list)
    registries: dict[int, list[str]] = defaultdict(list)
    if ids:
        for development_id, key in session.execute(_PARTIES, {"ids": ids}):
            parties[development_id].append(key)
        for development_id, key in session.execute(_REGISTRY, {"ids": ids}):
            registries[development_id].append(key.split(":", 1)[1].split("|", 1)[0])
    conditions = _groups()
    out = []
    for row in rows:
        group, category = conditions.get(row.indication, (row.indication, None))
        try:
            family = "gene" if Therapy(row.therapy).family == "gene" else "cell"
        except ValueError:
            family = "cell"
        # The report's own identity when kept (mentions.report), else its development's.
        own = _identity(row.report)
        out.append(
            (
                row,
                Report(
                    parties=tuple(own.get("parties") or parties[row.development_id][:10]),  # type: ignore[arg-type]
                    family=family,
                    condition=row.indication,
                    group=group,
                    category=category,
                    stage=row.stage,
                    product=own.get("product") if "product" in own else row.product,  # type: ignore[arg-type]
                    registry_ids=tuple(own.get("registry") or registries[row.development_id]),  # type: ignore[arg-type]
                    place=own.get("place") if "place" in own else place_of(row.location),  # type: ignore[arg-type]
                    patients=row.patients,
                    published=row.seen_on if row.dated else None,
                    evidence=_words(row.evidence),
                    title=_words(row.title) if row.title else None,
                    occurrence=_occurrence(row.evidence or ""),
                ),
            )
        )
    return out


@lru_cache(maxsize=1)
def _groups() -> dict[str, tuple[str, str]]:
    """Each condition's group and field, by name."""
    return {c.name: (c.group, c.category.split("-")[0]) for c in condition_hierarchy()}


# A stored report is read again for every new report of its block: its words and ordinal are
# worked out once per text (within a process), not once per comparison.
@lru_cache(maxsize=20000)
def _words(text: str | None) -> frozenset[str]:
    return words(text)


@lru_cache(maxsize=20000)
def _occurrence(text: str) -> int:
    return stated_occurrence(text) or 1


def _best(
    model: LinkModel, report: Report, found: list[tuple[object, Report]], event: bool = False
) -> Match | None:
    best: Match | None = None
    for row, other in found:
        if not in_block(report, other):
            continue
        p, signals = model.same_happening(report, other) if event else model.compare(report, other)
        if best is None or p > best.p:
            best = Match(
                row.id,  # type: ignore[attr-defined]
                row.development_id,  # type: ignore[attr-defined]
                row.claim_id,  # type: ignore[attr-defined]
                row.event_id,  # type: ignore[attr-defined]
                p,
                model.explain(signals),
            )
    return best


def best_match(session: Session, report: Report, article_id: int, model: LinkModel) -> Match | None:
    """The stored report of another article that the new one matches best (None when its
    block holds none)."""
    rows = session.execute(
        _CANDIDATES,
        {
            "names": _names(report),
            "product": report.product,
            "article_id": article_id,
            "limit": MAX_CANDIDATES,
        },
    ).all()
    return _best(model, report, _reports(session, list(rows)))


def best_event_match(
    session: Session, report: Report, article_id: int, event_ids: list[int], model: LinkModel
) -> Match | None:
    """Among the reports of the given events, the one the new report matches best."""
    if not event_ids:
        return None
    rows = session.execute(
        _EVENT_MENTIONS, {"events": event_ids, "article_id": article_id, "limit": MAX_CANDIDATES}
    ).all()
    return _best(model, report, _reports(session, list(rows)), event=True)
