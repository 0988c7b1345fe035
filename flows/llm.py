"""The language model extractor's side that talks to a server: an OpenAI-compatible Chat
Completions client (timeouts, a size cap, retries that honour Retry-After) and the per-run
refinement of a batch's articles (pre-filter, cache, budget, a concurrency limit shared by all
runs, a circuit breaker, fallback to the offline claims).

    refiner = LlmRefiner.from_settings(settings, engine, shared_limit=True)
    results, failures = await refiner.refine(spec, results)   # claims replaced where it worked
    refiner.stats                                             # sent, answered, cached, fell back ...

What the model says is checked by ``parsers.claims.llm`` (evidence in the text, vocabulary,
integers); an article whose answer cannot be used keeps the offline extractor's claims and
the reason is recorded: a run never fails or loses an article because the model misbehaved.
The API key is sent as ``Authorization: Bearer`` and nowhere else: not logged, stored, or
put in an artifact (it is a ``SecretStr`` in the settings).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from parsers.claims.llm import PROMPT_VERSION, AnswerError, chat_request, message_content, read_answer
from parsers.models import SourceSpec
from parsers.pages.fingerprint import content_hash
from parsers.pipeline import ExtractedArticle, text_mentions_keywords
from storage.llm_cache import cached_answer, keep_answer

from .local import RawDocument
from .summary import Failed

LIMIT_NAME = "cgt-monitor-llm"  # the Prefect global concurrency limit every run shares


class LlmError(Exception):
    """A request that did not give an answer; ``transient`` errors are worth a retry."""

    def __init__(self, reason: str, transient: bool = False, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.retry_after = retry_after


@dataclass(frozen=True)
class LlmConfig:
    base_url: str
    model: str
    api_key: SecretStr = SecretStr("")
    structured: bool = True  # JSON Schema output (else JSON mode)
    timeout: float = 120.0  # seconds for one whole request
    connect_timeout: float = 10.0
    max_response_bytes: int = 2_000_000
    retries: int = 3
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    max_calls: int = 500  # per run
    max_tokens: int = 2_000_000  # per run
    concurrency: int = 2  # requests at once (the shared limit's size when it is created)
    breaker: int = 5  # failed articles in a row after which the model is not asked again this run


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class ChatClient:
    """POST {base}/chat/completions, bounded in time and size."""

    def __init__(self, config: LlmConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(config.timeout, connect=config.connect_timeout), follow_redirects=False
        )
        self._owned = client is None

    async def aclose(self) -> None:
        if self._owned:
            await self._client.aclose()

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = self.config.api_key.get_secret_value()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    async def _once(self, body: dict[str, object]) -> str:
        url = self.config.base_url.rstrip("/") + "/chat/completions"
        try:
            async with asyncio.timeout(self.config.timeout):
                async with self._client.stream("POST", url, json=body, headers=self._headers()) as response:
                    if response.status_code != 200:
                        transient = (
                            response.status_code in (408, 409, 425, 429) or response.status_code >= 500
                        )
                        raise LlmError(
                            f"HTTP {response.status_code}",
                            transient=transient,
                            retry_after=_retry_after(response.headers.get("Retry-After")),
                        )
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > self.config.max_response_bytes:
                            raise LlmError(f"answer larger than {self.config.max_response_bytes} bytes")
                        chunks.append(chunk)
        except TimeoutError:
            raise LlmError(f"no complete answer within {self.config.timeout:g} s", transient=True) from None
        except httpx.TimeoutException:
            raise LlmError("timed out", transient=True) from None
        except httpx.TransportError as exc:
            raise LlmError(f"unreachable ({type(exc).__name__})", transient=True) from None
        return b"".join(chunks).decode("utf-8", errors="replace")

    async def complete(self, body: dict[str, object]) -> str:
        """The response text; retries transient errors with back-off (Retry-After honoured,
        capped at ``backoff_max``)."""
        attempt = 0
        while True:
            try:
                return await self._once(body)
            except LlmError as exc:
                if not exc.transient or attempt >= self.config.retries:
                    raise
                delay = (
                    exc.retry_after if exc.retry_after is not None else self.config.backoff_base * 2**attempt
                )
                await asyncio.sleep(min(delay, self.config.backoff_max))
                attempt += 1


@dataclass
class LlmStats:
    """What the model did in a run (for the summary and the digest)."""

    sent: int = 0  # articles the pre-filter passed
    answered: int = 0  # answers that could be used (cached ones included)
    cached: int = 0  # of those, answers kept from an earlier run or copy: no request sent
    requests: int = 0  # requests sent (retries not counted)
    tokens: int = 0
    claims: int = 0
    fell_back: Counter[str] = field(default_factory=Counter)  # reason -> articles
    dropped: Counter[str] = field(default_factory=Counter)  # reason -> claims left out
    institutions_nulled: int = 0

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["fell_back"] = dict(self.fell_back)
        out["dropped"] = dict(self.dropped)
        return out


class LlmRefiner:
    """One run's use of the model."""

    @classmethod
    def from_settings(cls, settings: Any, engine: Engine | None, shared_limit: bool = False) -> LlmRefiner:
        return cls(
            LlmConfig(
                base_url=settings.llm_base_url,
                model=settings.llm_model,
                api_key=settings.llm_api_key,
                structured=settings.llm_structured_output,
                timeout=settings.llm_timeout,
                max_response_bytes=settings.llm_max_response_bytes,
                retries=settings.llm_retries,
                backoff_base=settings.backoff_base,
                backoff_max=settings.backoff_max,
                max_calls=settings.llm_max_calls_per_run,
                max_tokens=settings.llm_max_tokens_per_run,
                concurrency=settings.llm_concurrency,
                breaker=settings.llm_circuit_breaker,
            ),
            engine,
            shared_limit,
        )

    def __init__(self, config: LlmConfig, engine: Engine | None, shared_limit: bool = False) -> None:
        self.config = config
        self.engine = engine
        self.shared_limit = shared_limit
        self.stats = LlmStats()
        self._client: ChatClient | None = None
        self._local = asyncio.Semaphore(max(1, config.concurrency))
        self._failures_in_row = 0
        self._structured = config.structured

    @property
    def configured(self) -> bool:
        return bool(self.config.base_url and self.config.model)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    def _chat(self) -> ChatClient:
        if self._client is None:
            self._client = ChatClient(self.config)
        return self._client

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        async with self._local:
            if self.shared_limit:
                from prefect.concurrency.asyncio import concurrency

                async with concurrency(LIMIT_NAME, occupy=1):
                    yield
            else:
                yield

    async def refine(
        self, spec: SourceSpec, results: Sequence[tuple[RawDocument, ExtractedArticle]]
    ) -> tuple[list[tuple[RawDocument, ExtractedArticle]], list[Failed]]:
        """Each article the pre-filter passes gets the model's checked claims; the others, and
        those whose answer cannot be used, keep the offline claims (the reason recorded as a
        warning of stage "llm")."""
        out = list(results)
        jobs = [
            (k, doc, item) for k, (doc, item) in enumerate(results) if not item.skipped and worth_asking(item)
        ]
        failures: list[Failed] = []

        async def one(k: int, doc: RawDocument, item: ExtractedArticle) -> None:
            self.stats.sent += 1
            try:
                claims = await self._claims_for(item)
            except (LlmError, AnswerError) as exc:
                kind = _reason_kind(exc)
                self.stats.fell_back[kind] += 1
                reason = str(exc.reason if isinstance(exc, LlmError) else exc)
                failures.append(
                    Failed(
                        spec.name,
                        doc.address,
                        "llm",
                        f"{reason}; the offline claims are kept",
                        optional=True,
                    )
                )
                return
            self.stats.answered += 1
            self.stats.claims += len(claims)
            out[k] = (doc, dataclasses.replace(item, claims=tuple(claims)))

        await asyncio.gather(*(one(k, doc, item) for k, doc, item in jobs))
        return out, failures

    async def _claims_for(self, item: ExtractedArticle) -> list[Any]:
        article = item.article
        key = item.fingerprint.content_hash if item.fingerprint else content_hash(article.text)
        if not self.configured:
            raise LlmError(
                "the language model is not configured (CGT_MONITOR_LLM_BASE_URL, CGT_MONITOR_LLM_MODEL)"
            )
        content = None
        if self.engine is not None:
            content = await asyncio.to_thread(
                cached_answer, self.engine, key, self.config.model, PROMPT_VERSION
            )
        if content is not None:
            answer = read_answer(content, article.text)
            self.stats.cached += 1
        else:
            content, tokens = await self._ask(item)
            try:
                answer = read_answer(content, article.text)  # an unusable answer is not kept
            except AnswerError:
                self._failures_in_row += 1
                raise
            self._failures_in_row = 0
            if self.engine is not None:
                await asyncio.to_thread(
                    keep_answer, self.engine, key, self.config.model, PROMPT_VERSION, content, tokens
                )
        self.stats.dropped.update(answer.dropped)
        self.stats.institutions_nulled += answer.institutions_nulled
        return answer.claims

    async def _ask(self, item: ExtractedArticle) -> tuple[str, int]:
        async with self._slot():
            # Checked once a slot is held: requests waiting for one see the failures and the
            # spending of those before them.
            if self._failures_in_row >= self.config.breaker:
                raise LlmError(
                    f"circuit open: {self._failures_in_row} articles failed in a row; not asked again this run"
                )
            if self.stats.requests >= self.config.max_calls:
                raise LlmError(f"the run's budget of {self.config.max_calls} requests is spent")
            if self.stats.tokens >= self.config.max_tokens:
                raise LlmError(f"the run's budget of {self.config.max_tokens} tokens is spent")
            self.stats.requests += 1
            structured = self._structured
            body = chat_request(item.article, self.config.model, structured)
            try:
                try:
                    raw = await self._chat().complete(body)
                except LlmError as exc:
                    if not (structured and exc.reason == "HTTP 400"):
                        raise
                    # A server without structured output refuses the JSON Schema: JSON mode then.
                    self._structured = False
                    body = chat_request(item.article, self.config.model, False)
                    raw = await self._chat().complete(body)
                content = message_content(raw)
            except (LlmError, AnswerError):
                self._failures_in_row += 1
                raise
        tokens = _tokens(raw, body)
        self.stats.tokens += tokens
        return content, tokens


def _tokens(raw: str, body: dict[str, object]) -> int:
    """Tokens the server says it used, else an estimate (four characters a token)."""
    try:
        usage = json.loads(raw).get("usage") or {}
        total = usage.get("total_tokens")
        if isinstance(total, int) and total >= 0:
            return total
    except (ValueError, AttributeError):
        pass
    return (len(json.dumps(body)) + len(raw)) // 4


def _reason_kind(exc: Exception) -> str:
    """A short name for why an article fell back (counted in the summary)."""
    text = str(exc.reason if isinstance(exc, LlmError) else exc)
    for prefix, kind in (
        ("the language model is not configured", "not configured"),
        ("circuit open", "circuit open"),
        ("the run's budget", "budget spent"),
        ("HTTP ", "server error"),
        ("unreachable", "unreachable"),
        ("timed out", "timeout"),
        ("no complete answer", "timeout"),
        ("answer larger", "answer too large"),
        ("the model refused", "refusal"),
        ("empty answer", "empty answer"),
        ("the answer is not JSON", "invalid JSON"),
    ):
        if text.startswith(prefix):
            return kind
    return "unusable answer"


def worth_asking(item: ExtractedArticle) -> bool:
    """The pre-filter: the article names a cell or gene therapy (the offline vocabulary). On the
    labelled sets it passes 0.995 of the articles that state a claim (README)."""
    return text_mentions_keywords(f"{item.article.title or ''}\n{item.article.text}", [])


async def ensure_shared_limit(size: int) -> None:
    """Create the global concurrency limit every run shares, unless it exists (a limit set in the
    UI or with ``prefect gcl`` is kept as it is)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectNotFound

    async with get_client() as client:
        try:
            await client.read_global_concurrency_limit_by_name(LIMIT_NAME)
        except ObjectNotFound:
            with contextlib.suppress(Exception):  # created by another run meanwhile
                await client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=LIMIT_NAME, limit=max(1, size))
                )


def llm_line(stats: dict[str, Any]) -> str:
    """The model's share of a run in one line (summary, digest)."""
    fell = stats.get("fell_back") or {}
    why = ", ".join(f"{n} {reason}" for reason, n in sorted(fell.items(), key=lambda kv: -kv[1]))
    dropped = sum((stats.get("dropped") or {}).values())
    return (
        f"{stats['sent']} articles sent, {stats['answered']} answered ({stats['cached']} from the cache, "
        f"{stats['requests']} requests, {stats['tokens']} tokens), {sum(fell.values())} fell back to the "
        f"offline extractor{f' ({why})' if why else ''}; {stats['claims']} claims kept, {dropped} left out "
        f"by the checks"
    )
