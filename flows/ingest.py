"""The ``ingest`` flow: sources -> read -> parse + extract -> store.

Work is grouped per source and per batch of articles (``batch_size``), so Prefect's per-task
cost stays small; per-article logic lives in plain functions (``parsers.pipeline``).
Every bad input is recorded in the ``failures`` table and counted; the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from parsers.claims import RuleBasedExtractor
from parsers.errors import ParseError
from parsers.models import SourceSpec
from parsers.pipeline import ExtractedArticle, process_document
from parsers.sources import parse_sources
from storage.database import init_db, make_engine
from storage.repository import record_failure, store_article

from .local import LocalReadError, RawDocument, iter_local_documents, list_local_files
from .settings import load_settings


@dataclass
class Failed:
    """One input that could not be processed, and why."""

    source: str
    location: str
    stage: str
    reason: str


@dataclass
class BatchOutcome:
    articles_new: int = 0
    articles_seen: int = 0
    articles_skipped: int = 0
    claims_new: int = 0
    claims_updated: int = 0
    mentions_new: int = 0
    failures: list[Failed] = field(default_factory=list)


@dataclass
class RunSummary:
    sources: int = 0
    documents: int = 0
    articles_new: int = 0
    articles_seen: int = 0
    articles_skipped: int = 0
    claims_new: int = 0
    claims_updated: int = 0
    mentions_new: int = 0
    failed: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)

    def add(self, outcome: BatchOutcome) -> None:
        self.articles_new += outcome.articles_new
        self.articles_seen += outcome.articles_seen
        self.articles_skipped += outcome.articles_skipped
        self.claims_new += outcome.claims_new
        self.claims_updated += outcome.claims_updated
        self.mentions_new += outcome.mentions_new
        self.failed += len(outcome.failures)
        self.failures.extend(asdict(f) for f in outcome.failures)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _is_transient(task_: Any, task_run: Any, state: Any) -> bool:
    """Retry only errors that may pass: I/O hiccups and a locked or unreachable database."""
    try:
        state.result()
    except (LocalReadError, ParseError):
        return False
    except (OSError, TimeoutError, OperationalError):
        return True
    except Exception:
        return False
    return False


@lru_cache(maxsize=8)
def engine_for(database_url: str) -> Engine:
    """One engine per database URL and process, with the schema created."""
    engine = make_engine(database_url)
    init_db(engine)
    return engine


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@task(
    name="load-sources",
    retries=2,
    retry_delay_seconds=1,
    retry_condition_fn=_is_transient,
    cache_policy=NO_CACHE,
)
def load_sources(sources_file: str) -> list[SourceSpec]:
    """The enabled sources of the sources file."""
    path = Path(sources_file)
    specs = parse_sources(path.read_text(encoding="utf-8"))
    return [s for s in specs if s.enabled]


@task(name="list-files", cache_policy=NO_CACHE)
def list_files(spec: SourceSpec, base_dir: str) -> list[str]:
    paths = list_local_files(spec.location, Path(base_dir))
    if spec.max_articles:
        paths = paths[: spec.max_articles]
    return [str(p) for p in paths]


@task(
    name="read-files",
    retries=2,
    retry_delay_seconds=1,
    retry_condition_fn=_is_transient,
    cache_policy=NO_CACHE,
)
def read_files(spec: SourceSpec, paths: Sequence[str]) -> tuple[list[RawDocument], list[Failed]]:
    docs: list[RawDocument] = []
    failures: list[Failed] = []
    for item in iter_local_documents([Path(p) for p in paths]):
        if isinstance(item, LocalReadError):
            failures.append(Failed(spec.name, item.location, "read", str(item)))
        else:
            docs.append(item)
    return docs, failures


def extract_documents(
    spec: SourceSpec, docs: Sequence[RawDocument]
) -> tuple[list[tuple[RawDocument, ExtractedArticle]], list[Failed]]:
    """Parse and extract each document; a bad one becomes a Failed with a one-line reason."""
    extractor = RuleBasedExtractor()
    keywords = list(spec.keywords) if spec.keywords else None
    results: list[tuple[RawDocument, ExtractedArticle]] = []
    failures: list[Failed] = []
    for doc in docs:
        try:
            for extracted in process_document(
                doc.data,
                doc.name,
                doc.fetched_at,
                extractor,
                url=doc.url,
                charset=doc.charset,
                is_html=doc.content_type == "text/html",
                keywords=keywords,
            ):
                results.append((doc, extracted))
        except ParseError as exc:
            failures.append(Failed(spec.name, doc.location, "parse", str(exc)))
        except Exception as exc:  # an extractor bug must not stop the run: record it
            failures.append(Failed(spec.name, doc.location, "extract", f"{type(exc).__name__}: {exc}"))
    return results, failures


@task(name="extract-batch", cache_policy=NO_CACHE)
def extract_batch(
    spec: SourceSpec, docs: Sequence[RawDocument]
) -> tuple[list[tuple[RawDocument, ExtractedArticle]], list[Failed]]:
    return extract_documents(spec, docs)


def store_results(
    engine: Engine,
    spec: SourceSpec,
    results: Sequence[tuple[RawDocument, ExtractedArticle]],
    failures: Sequence[Failed],
) -> BatchOutcome:
    """Store articles and claims (one transaction per article) and record failures."""
    outcome = BatchOutcome(failures=list(failures))
    for doc, extracted in results:
        if extracted.skipped:
            outcome.articles_skipped += 1
            continue
        try:
            result = store_article(
                engine,
                spec.name,
                spec.kind,
                spec.location,
                extracted.article,
                extracted.claims,
                location=doc.location,
            )
        except OperationalError:
            raise  # transient: the task's retry runs the batch again, which is repeat-safe
        except Exception as exc:
            outcome.failures.append(Failed(spec.name, doc.location, "store", f"{type(exc).__name__}: {exc}"))
            continue
        if result.article_new:
            outcome.articles_new += 1
        else:
            outcome.articles_seen += 1
        outcome.claims_new += result.claims_new
        outcome.claims_updated += result.claims_updated
        outcome.mentions_new += result.mentions_new
    for failure in outcome.failures:
        record_failure(engine, failure.source, failure.location, failure.stage, failure.reason)
    return outcome


@task(
    name="store-batch",
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=_is_transient,
    cache_policy=NO_CACHE,
)
def store_batch(
    database_url: str,
    spec: SourceSpec,
    results: Sequence[tuple[RawDocument, ExtractedArticle]],
    failures: Sequence[Failed],
) -> BatchOutcome:
    return store_results(engine_for(database_url), spec, results, failures)


@flow(
    name="ingest",
    description="Read the configured sources, extract dated CGT claims and store them, deduplicated, in SQL.",
)
def ingest(sources_file: str | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Run cgt-monitor once over ``sources_file`` into ``database_url`` (defaults: settings)."""
    settings = load_settings(sources_file=sources_file, database_url=database_url)
    logger = get_run_logger()
    engine = engine_for(settings.database_url)
    summary = RunSummary()
    try:
        specs = load_sources(settings.sources_file)
    except (OSError, ParseError) as exc:
        record_failure(engine, "(sources file)", settings.sources_file, "sources", str(exc))
        summary.failed += 1
        summary.failures.append(asdict(Failed("(sources file)", settings.sources_file, "sources", str(exc))))
        logger.error("cannot read sources file %s: %s", settings.sources_file, exc)
        raise
    base_dir = str(Path(settings.sources_file).resolve().parent)
    for spec in specs:
        summary.sources += 1
        if spec.kind != "files":
            outcome = BatchOutcome(
                failures=[
                    Failed(
                        spec.name, spec.location, "fetch", f"source kind {spec.kind!r} is not supported yet"
                    )
                ]
            )
            store_results(engine, spec, [], outcome.failures)
            summary.add(outcome)
            continue
        try:
            paths = list_files(spec, base_dir)
        except LocalReadError as exc:
            summary.add(store_results(engine, spec, [], [Failed(spec.name, spec.location, "read", str(exc))]))
            continue
        for batch in _chunks(paths, settings.batch_size):
            docs, read_failures = read_files(spec, batch)
            summary.documents += len(docs) + len(read_failures)
            results, parse_failures = extract_batch(spec, docs)
            summary.add(store_batch(settings.database_url, spec, results, read_failures + parse_failures))
    logger.info(
        "sources %d, documents %d: articles new %d, already seen %d, skipped %d; "
        "claims new %d, updated %d; mentions new %d; failures %d",
        summary.sources,
        summary.documents,
        summary.articles_new,
        summary.articles_seen,
        summary.articles_skipped,
        summary.claims_new,
        summary.claims_updated,
        summary.mentions_new,
        summary.failed,
    )
    for failure in summary.failures[:20]:
        logger.warning("failed [%s] %s: %s", failure["stage"], failure["location"], failure["reason"])
    return summary.as_dict()
