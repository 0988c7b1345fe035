"""Repeat-safe writes: ``store_articles`` writes a batch of articles with their claims and
mentions in one transaction, using inserts that ignore rows already present on their unique
keys, so running the same input twice adds nothing and an interrupted run leaves no
half-written article."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from parsers.institution_keys import defined_acronyms
from parsers.linkage import LinkModel, Report
from parsers.models import Claim as ExtractedClaim
from parsers.models import ParsedArticle, Stage, Therapy, stage_order
from parsers.occurrence import stated_occurrence
from parsers.pages.fingerprint import Fingerprint, fingerprint, stated_in
from parsers.pages.urls import site_of

from . import statements as sql
from .articles import article_key, ensure_source, find_original
from .developments import DevelopmentResolver
from .events import EventChoice, choose_event, settle_event, start_event
from .linking import identity_json
from .models import InstitutionAlias, utcnow

# A copy's claim whose evidence has at least this share of its word pairs in the original is
# the original's claim (a few swapped words leave most pairs in place).
STATED_BY_ORIGINAL = 0.6


@dataclass(frozen=True, slots=True)
class StoreResult:
    article_id: int
    article_new: bool
    claims_new: int = 0
    claims_updated: int = 0
    mentions_new: int = 0
    new_claim_ids: tuple[int, ...] = ()
    duplicate_of: int | None = None
    new_event_ids: tuple[int, ...] = ()  # events this article started under claims stored before it


@dataclass(frozen=True, slots=True)
class ArticleToStore:
    """One article of a batch: its claims, where it was read from, and its fingerprint.

    A claim is filed under the vocabulary's name of its condition when the extractor gives one
    ("lupus" and "SLE" in two articles are one development of "systemic lupus erythematosus");
    its ``indication`` in the article's own words is kept in the evidence."""

    article: ParsedArticle
    claims: tuple[ExtractedClaim, ...] = ()
    address: str | None = None  # the file path or URL it was read from
    fp: Fingerprint | None = None

    def __post_init__(self) -> None:
        filed = tuple(
            replace(c, indication=c.condition) if c.condition and c.condition != c.indication else c
            for c in self.claims
        )
        object.__setattr__(self, "claims", filed)


def store_article(
    engine: Engine,
    source_name: str,
    source_kind: str,
    source_address: str,
    article: ParsedArticle,
    claims: Iterable[ExtractedClaim],
    address: str | None = None,
    fp: Fingerprint | None = None,
) -> StoreResult:
    """Store one article and its claims in one transaction; safe to repeat (see ``store_articles``)."""
    item = ArticleToStore(article, tuple(claims), address, fp)
    return store_articles(engine, source_name, source_kind, source_address, [item])[0]


def store_articles(
    engine: Engine,
    source_name: str,
    source_kind: str,
    source_address: str,
    items: Sequence[ArticleToStore],
    link_model: LinkModel | None = None,
) -> list[StoreResult]:
    """Store a batch of articles with their claims, mentions and counters in one transaction
    (all or nothing); safe to repeat. ``link_model``: the linkage model that decides which
    development and event a report without a shared key joins (default: the one shipped).

    An article already stored under the same key with the same text adds nothing. A changed
    text under the same key updates the article and adds what it newly states. A copy of an
    earlier article (identical text, or a near-duplicate) is stored pointing to the original,
    and its claims count as further mentions.
    """
    if not items:
        return []
    with Session(engine) as session, session.begin():
        writer = _Writer(session, source_name, link_model)
        source_id = ensure_source(session, source_name, source_kind, source_address)
        results = [writer.article(source_id, item) for item in items]
        writer.finish()
        return results


class _Writer:
    """The statements of one storing transaction. Aliases are read once; claim counters and
    monthly counts are brought up to date once per transaction (``finish``), for every claim it
    touched — still inside the transaction, so they never disagree with the mentions."""

    def __init__(self, session: Session, source_name: str = "", link_model: LinkModel | None = None) -> None:
        self.session = session
        self.source_name = source_name
        aliases = dict(
            session.execute(
                select(col(InstitutionAlias.alias_key), col(InstitutionAlias.canonical_key))
            ).all()
        )
        self.developments = DevelopmentResolver(session, aliases, link_model)
        self.now = utcnow()
        self.created: set[int] = set()  # claims created in this transaction
        self.touched: set[int] = set()  # claims that got a mention
        self.months: list[tuple[int, str, ExtractedClaim]] = []  # (claim, month) of new dated mentions
        self.dated = True  # whether the article being stored states its date
        self.new_events: list[int] = []  # events started under known claims (the article being stored)

    def article(self, source_id: int, item: ArticleToStore) -> StoreResult:
        session, article = self.session, item.article
        fp = item.fp or fingerprint(article.text)
        key = article_key(article, fp.content_hash)
        values = {
            "url": article.url,
            "address": item.address,
            "external_id": article.external_id,
            "title": article.title,
            "published": article.published,
            "fetched_at": article.fetched_at,
            "content_hash": fp.content_hash,
            "language": article.language,
            "source_name": article.source_name,
            "outlet": site_of(article.url) or article.source_name or self.source_name,
            "date_source": (article.date_source or "page") if article.published else "fetched",
            "text": article.text,
            "claim_count": len(item.claims),
        }
        article_id = session.execute(
            sql.INSERT_ARTICLE, {"article_key": key, "source_id": source_id, **values}
        ).scalar_one_or_none()
        if article_id is None:
            row = session.execute(sql.ARTICLE_BY_KEY, {"article_key": key}).one()
            article_id = row[0]
            if row[1] == fp.content_hash:
                return StoreResult(article_id=article_id, article_new=False)
            # The page changed since it was stored: keep the row, take the new text.
            session.execute(sql.UPDATE_ARTICLE, {"id": article_id, **values})
            session.execute(sql.DELETE_BANDS, {"id": article_id})
        self.developments.learn_acronyms(defined_acronyms(article.text))
        original = find_original(session, article_id, article.text, fp)
        if original is not None:
            session.execute(
                sql.MARK_DUPLICATE,
                {"id": article_id, "original": original[0], "kind": original[1], "score": original[2]},
            )
        if fp.bands:
            session.execute(
                sql.INSERT_BAND,
                [
                    {"bucket": bucket, "article_id": article_id, "band": b}
                    for b, bucket in enumerate(fp.bands)
                ],
            )
        seen_on = article.published or article.fetched_at.date()
        self.dated = article.published is not None
        updated = mentions = 0
        new_ids: list[int] = []
        self.new_events = []
        linked: dict[int, Report] = {}  # claim index -> its report, for the linkage model
        if original is not None:
            resolved = [
                (c, d, "development: the original's (a copy)")
                for c, d in self.copied(item.claims, original[0])
            ]
        else:
            resolved = []
            for n, claim in enumerate(item.claims):
                linked[n] = self.developments.report_of(claim, article.title, article.published)
                development_id, why = self.developments.development(claim, article_id, None, linked[n])
                resolved.append((claim, development_id, why))
        highest: dict[int, int] = {}  # development -> the highest stage this article reports of it
        for claim, development_id, _ in resolved:
            highest[development_id] = max(highest.get(development_id, -1), stage_order(claim.stage))
        for n, (claim, development_id, why) in enumerate(resolved):
            claim_id, claim_new, mention_new = self.claim(
                claim,
                article_id,
                seen_on,
                development_id,
                original[0] if original else None,
                background=stage_order(claim.stage) < highest[development_id],
                linked=linked.get(n),
                why=why,
            )
            if claim_new:
                new_ids.append(claim_id)
            updated += (not claim_new) and mention_new
            mentions += mention_new
        return StoreResult(
            article_id,
            True,
            len(new_ids),
            updated,
            mentions,
            tuple(new_ids),
            duplicate_of=original[0] if original else None,
            new_event_ids=tuple(self.new_events),
        )

    def copied(self, claims: Sequence[ExtractedClaim], original_id: int) -> list[tuple[ExtractedClaim, int]]:
        """A copy's claims as the original's claims they report: the development, therapy and
        condition are the original's claim's, and so is the stage when the original states the
        claim's evidence too (the copy's words are the original's, however the extractor read
        them this time); evidence in words of the copy's own (a paragraph the copy adds) keeps
        its stage. The copy's evidence, patients and outcome go to its mention. A claim with no
        counterpart in the original is not stored: a copy never adds a development."""
        out: list[tuple[ExtractedClaim, int]] = []
        original_text: str | None = None
        for claim in claims:
            target = self.developments.copied_claim(claim, original_id)
            if target is None:
                continue
            development_id, stage, therapy, indication = target
            if original_text is None:
                row = self.session.execute(sql.ARTICLE_TEXT, {"id": original_id}).first()
                original_text = row[0] if row else ""
            own_words = stated_in(claim.evidence, original_text) < STATED_BY_ORIGINAL
            filed = replace(
                claim,
                stage=claim.stage if own_words else Stage(stage),
                therapy=Therapy(therapy),
                indication=indication,
            )
            out.append((filed, development_id))
        return out

    def claim(
        self,
        claim: ExtractedClaim,
        article_id: int,
        seen_on: date,
        development_id: int,
        original_id: int | None = None,
        background: bool = False,
        linked: Report | None = None,
        why: str = "",
    ) -> tuple[int, bool, bool]:
        """Store a claim's report: the claim (created if new), its mention and its event;
        ``linked`` is the report the linkage model compares with the claim's events' reports,
        ``why`` how the development was found (both kept in the mention's ``link_why``)."""
        session = self.session
        key = self.developments.institution_key((claim.institution or "").split(";")[0].strip())
        # Upserts that return the row: on PostgreSQL the conflicting row is locked until the
        # transaction ends, so concurrent runs adding mentions to one claim count each other's.
        claim_id, created_at = session.execute(
            sql.UPSERT_CLAIM,
            {
                "development_id": development_id,
                "institution_key": key,
                "institution": claim.institution,
                "location": claim.location,
                "therapy": claim.therapy,
                "therapy_detail": claim.therapy_detail,
                "indication": claim.indication,
                "stage": claim.stage,
                "patients": claim.patients,
                "outcome": claim.outcome,
                "seen_on": seen_on,
                "dated": self.dated,
                "now": self.now,
            },
        ).one()
        # created_at equals this transaction's time only for a claim it inserted; count it once.
        claim_new = created_at == self.now and claim_id not in self.created
        if claim_new:
            self.created.add(claim_id)
        month = seen_on.isoformat()[:7]
        published = seen_on if self.dated else None
        # The event is chosen before the mention is inserted, so that the mention is inserted
        # into it; a claim this call created has no events yet: its first one is made first.
        if claim_new:
            occurrence = stated_occurrence(claim.evidence) or 1
            choice = EventChoice(
                start_event(session, claim_id, published, occurrence),
                occurrence,
                why="event: the claim's first",
            )
        else:
            choice = choose_event(
                session,
                claim_id=claim_id,
                published=published,
                evidence=claim.evidence,
                original_id=original_id,
                background=background,
                linked=linked,
                model=self.developments.model if linked is not None else None,
                article_id=article_id,
            )
        mention_id = session.execute(
            sql.INSERT_MENTION,
            {
                "claim_id": claim_id,
                "article_id": article_id,
                "seen_on": seen_on,
                "seen_month": month,
                "dated": self.dated,
                "evidence": claim.evidence,
                "patients": claim.patients,
                "outcome": claim.outcome,
                "now": self.now,
                "event_id": choice.event_id,
                "link_why": "; ".join(x for x in (why, choice.why) if x) or None,
                "report": identity_json(linked) if linked is not None else None,
            },
        ).scalar_one_or_none()
        mention_new = mention_id is not None
        if mention_id is not None:
            if not claim_new:
                event_id, event_new = settle_event(
                    session,
                    choice,
                    mention_id=mention_id,
                    claim_id=claim_id,
                    published=published,
                    mention_has_event=choice.event_id is not None,
                )
                if event_new and event_id is not None:
                    self.new_events.append(event_id)
            self.touched.add(claim_id)
            if self.dated:  # an undated report was not made in the month it was read
                self.months.append((claim_id, month, claim))
            if not claim_new and (claim.patients is not None or claim.outcome or claim.location):
                session.execute(
                    sql.FILL_CLAIM,
                    {
                        "id": claim_id,
                        "patients": claim.patients,
                        "outcome": claim.outcome,
                        "location": claim.location,
                    },
                )
        return claim_id, claim_new, mention_new

    def finish(self) -> None:
        """Recompute the touched claims' dates and counts from their mentions (exact after any
        interruption) and add the new mentions to monthly_counts (claims_by_month)."""
        if not self.touched:
            return
        ids = sorted(self.touched)
        for i in range(0, len(ids), 500):
            self.session.execute(sql.REFRESH_CLAIMS, {"ids": ids[i : i + 500], "now": self.now})
        deltas: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
        for claim_id, month, claim in self.months:
            first_in_month = (
                self.session.execute(
                    sql.INSERT_CLAIM_MONTH, {"claim_id": claim_id, "month": month}
                ).scalar_one_or_none()
                is not None
            )
            for key in (
                (month, claim.therapy, "", ""),
                (month, "", claim.indication, ""),
                (month, "", "", claim.stage),
            ):
                deltas[key][0] += int(first_in_month)
                deltas[key][1] += 1
        # In key order, so that concurrent transactions take row locks in the same order.
        for (month, therapy, indication, stage), (claims, mentions) in sorted(deltas.items()):
            self.session.execute(
                sql.ADD_MONTHLY,
                {
                    "month": month,
                    "therapy": therapy,
                    "indication": indication,
                    "stage": stage,
                    "claims": claims,
                    "mentions": mentions,
                },
            )
