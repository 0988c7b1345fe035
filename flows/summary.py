"""What a run did: counts per stage and every failure, for logs, artifacts and the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class Failed:
    """One input that could not be processed, and why."""

    source: str
    address: str  # the file path or URL
    stage: str  # sources, read, url, fetch, robots, retry, parse, extract, store
    reason: str
    optional: bool = False  # from an optional source: a warning, not an error


@dataclass
class BatchOutcome:
    articles_new: int = 0
    articles_seen: int = 0
    articles_skipped: int = 0
    claims_new: int = 0
    claims_updated: int = 0
    mentions_new: int = 0
    failures: list[Failed] = field(default_factory=list)
    new_claim_ids: list[int] = field(default_factory=list)
    new_event_ids: list[int] = field(default_factory=list)  # new happenings of known claims


@dataclass
class RunSummary:
    """What one run did, from the source tasks to the flow's return value, the CLI and the
    artifacts: counts, every failure (``Failed``), new claim and event ids, seconds per stage."""

    sources: int = 0
    sources_failed: int = 0  # sources that produced nothing but failures
    documents: int = 0
    fetched: int = 0
    not_modified: int = 0
    unchanged: int = 0
    already_listed: int = 0  # links skipped: another source (or this one) listed them this run
    articles_new: int = 0
    articles_seen: int = 0
    articles_skipped: int = 0
    claims_new: int = 0
    claims_updated: int = 0
    mentions_new: int = 0
    failed: int = 0
    warnings: int = 0
    failures: list[Failed] = field(default_factory=list)
    new_claim_ids: list[int] = field(default_factory=list)
    new_event_ids: list[int] = field(default_factory=list)  # new happenings of known claims
    stage_seconds: dict[str, float] = field(default_factory=dict)
    reached: set[str] = field(default_factory=set)  # sources that produced anything but failures
    # The language model's share (extractor "llm"; flows.llm.LlmStats.as_dict), set once per run.
    llm: dict[str, Any] = field(default_factory=dict)
    headline: str = ""  # the digest's first line, once the run's artifacts are published

    @property
    def all_sources_failed(self) -> bool:
        return bool(self.sources) and self.sources_failed == self.sources

    def add(self, outcome: BatchOutcome) -> None:
        self.articles_new += outcome.articles_new
        self.articles_seen += outcome.articles_seen
        self.articles_skipped += outcome.articles_skipped
        self.claims_new += outcome.claims_new
        self.claims_updated += outcome.claims_updated
        self.mentions_new += outcome.mentions_new
        self.new_claim_ids.extend(outcome.new_claim_ids)
        self.new_event_ids.extend(outcome.new_event_ids)
        self.add_failures(outcome.failures)

    def merge(self, other: RunSummary) -> None:
        """Add another summary's counts (a source's, into the run's)."""
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, int):
                setattr(self, f.name, mine + theirs)
            elif isinstance(mine, list):
                mine.extend(theirs)
            elif isinstance(mine, set):
                mine.update(theirs)
            elif f.name in ("llm", "headline"):  # per run, set at the end
                continue
            else:  # stage_seconds: per run, filled in at the end
                for key, value in theirs.items():
                    mine[key] = mine.get(key, 0.0) + value

    def add_failures(self, failures: list[Failed]) -> None:
        for failure in failures:
            if failure.optional:
                self.warnings += 1
            else:
                self.failed += 1
            self.failures.append(failure)

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain data (JSON), failures as dicts, without the sources reached."""
        out = asdict(self)
        out.pop("reached")
        return out
