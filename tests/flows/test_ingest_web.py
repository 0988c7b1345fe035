"""Web ingestion end to end against the fixture site on 127.0.0.1 (no mocks of httpx)."""

from datetime import date

import pytest
from sqlmodel import Session, select

from flows.ingest import run_ingest
from flows.summary import Failed
from storage.models import Article, Failure, FetchState, RetryItem
from tests.conftest import engine_of

EXPECTED_DATES = {  # article path -> publication date the page (or its feed) states
    "/news/car-t-lupus-trial": date(2025, 3, 14),  # JSON-LD datePublished
    "/news/gene-therapy-approval": date(2024, 11, 2),  # article:published_time
    "/news/stem-cell-knee": date(2025, 1, 8),  # <time datetime>
    "/flaky": date(2025, 3, 14),  # JSON-LD, after two 503s
    "/news/split-body": date(2025, 5, 5),  # JSON-LD dateCreated in an @graph list
    "/news/comment-heavy": date(2025, 4, 2),  # article:published_time
    "/news/br-layout": date(2025, 1, 20),  # meta name=date
    "/gbk": date(2026, 1, 19),  # meta pubdate, GBK page without charset
}


def write_sources(tmp_path, base):
    path = tmp_path / "sources.toml"
    path.write_text(f"""
[[source]]
name = "fixture-feed"
kind = "feed"
address = "{base}/feed.xml"
keywords = "cgt"

[[source]]
name = "fixture-sitemap"
kind = "sitemap"
address = "{base}/sitemap_index.xml"

[[source]]
name = "gbk-page"
kind = "url"
address = "{base}/gbk"

[[source]]
name = "bomb"
kind = "feed"
address = "{base}/feed-bomb.xml"
""")
    return path


def failures_by_address(engine, base):
    with Session(engine) as session:
        return {f.address.replace(base, ""): f for f in session.exec(select(Failure)).all()}


def test_web_sources_arrive_with_dates_and_every_failure_is_recorded(tmp_path, site, web_env, database_url):
    sources = write_sources(tmp_path, site.base)
    summary = run_ingest(sources_file=str(sources), database_url=database_url)
    engine = engine_of(database_url)

    with Session(engine) as session:
        articles = {a.address.replace(site.base, ""): a for a in session.exec(select(Article)).all()}
    assert {path: a.published for path, a in articles.items()} == EXPECTED_DATES
    assert articles["/gbk"].title == "广州医院开展干细胞治疗膝骨关节炎"
    assert "两名膝骨关节炎患者" in articles["/gbk"].text
    # the page's canonical URL (on its own site), tracking parameters (utm_*, ref) removed
    assert articles["/news/car-t-lupus-trial"].url == f"{site.base}/health/car-t-lupus-trial"
    # a canonical URL on another site is not trusted: the page keeps the URL it was fetched from
    assert articles["/news/gene-therapy-approval"].url == f"{site.base}/news/gene-therapy-approval"
    assert "Comments" not in articles["/news/car-t-lupus-trial"].text
    assert articles["/news/car-t-lupus-trial"].language == "en"
    assert articles["/news/car-t-lupus-trial"].claim_count == 1

    failures = failures_by_address(engine, site.base)
    expected_reasons = {
        "/private/secret": "robots",
        "/slow": "timeout",
        "/huge": "too_large",
        "/binary": "binary",
        "/loop-a": "redirect loop",
        "/to-private": "forbidden_address",
        "/gone": "HTTP 404",
        "/feed-bomb.xml": "EntitiesForbidden",
    }
    for path, needle in expected_reasons.items():
        assert needle in failures[path].reason, (path, failures[path].reason)
        assert failures[path].source_name and failures[path].stage and failures[path].occurred_at
    assert failures["/feed-bomb.xml"].stage == "parse"
    assert len(failures) == len(expected_reasons)

    assert summary.articles_new == len(EXPECTED_DATES)
    assert summary.articles_skipped == 1  # the city-budget story has no CGT terms
    assert summary.failed == len(expected_reasons)
    assert summary.claims_new == 8
    assert site.requests["/flaky"] == 3  # two 503s retried, then success
    assert site.requests["/private/secret"] == 0  # robots.txt is checked before asking
    assert site.requests["/robots.txt"] == 1  # fetched once per host
    assert all(ua.startswith("cgt-monitor/") for ua in site.user_agents)


def test_second_run_sends_conditional_requests_and_parses_nothing(tmp_path, site, web_env, database_url):
    sources = write_sources(tmp_path, site.base)
    run_ingest(sources_file=str(sources), database_url=database_url)
    engine = engine_of(database_url)
    with Session(engine) as session:
        counts = (len(session.exec(select(Article)).all()), len(session.exec(select(FetchState)).all()))
    before = dict(site.requests)

    second = run_ingest(sources_file=str(sources), database_url=database_url)
    assert site.conditional["/feed.xml"] == 1 and site.conditional["/sitemap_index.xml"] == 1
    assert second.not_modified == 3  # the feed, the sitemap index, the GBK page
    assert second.documents == 0 and second.articles_new == 0 and second.claims_new == 0
    # Only robots.txt (once per run), the feeds, the sitemap index and the single URL again,
    # plus /slow: it timed out (a transient failure), so it waits in the retry queue even
    # though its feed answers 304.
    asked_again = {p for p, n in site.requests.items() if n > before.get(p, 0)}
    assert asked_again == {
        "/robots.txt",
        "/feed.xml",
        "/sitemap_index.xml",
        "/gbk",
        "/feed-bomb.xml",
        "/slow",
    }
    with Session(engine) as session:
        queued = {r.url.replace(site.base, ""): r.attempts for r in session.exec(select(RetryItem)).all()}
    assert queued == {"/slow": 2}
    with Session(engine) as session:
        assert (
            len(session.exec(select(Article)).all()),
            len(session.exec(select(FetchState)).all()),
        ) == counts


def test_changed_page_is_parsed_again_and_unchanged_one_is_not(tmp_path, site, web_env, database_url):
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname="one"\nkind="url"\naddress="{site.base}/news/stem-cell-knee"\n')
    first = run_ingest(sources_file=str(sources), database_url=database_url)
    assert first.articles_new == 1
    second = run_ingest(sources_file=str(sources), database_url=database_url)
    assert second.not_modified == 1 and second.documents == 0


def test_offline_optional_source_is_a_warning_not_a_failure(tmp_path, seed_sources, web_env, database_url):
    sources = tmp_path / "sources.toml"
    # .invalid never resolves (RFC 6761): no traffic leaves the machine.
    sources.write_text(
        seed_sources.read_text() + '\n[[source]]\nname="offline"\nkind="feed"\n'
        'address="https://feeds.example.invalid/rss"\noptional=true\n'
    )
    summary = run_ingest(sources_file=str(sources), database_url=database_url)
    assert summary.failed == 0 and summary.warnings == 1 and summary.claims_new == 5
    [failure] = summary.failures
    assert failure.optional and "unreachable" in failure.reason


def test_one_task_run_per_source_tagged_with_its_host_where_that_host_has_a_limit(
    tmp_path, site, seed_sources, web_env, database_url
):
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.ingest import ingest

    sources = tmp_path / "both.toml"
    sources.write_text(seed_sources.read_text() + write_sources(tmp_path, site.base).read_text())

    async def run_and_read_task_runs():
        state = await ingest(sources_file=str(sources), database_url=database_url, return_state=True)
        assert state.is_completed()
        async with get_client() as client:
            runs = await client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
            )
        # A source's run is named after it; others get Prefect's random suffix (load-sources-a1b).
        names = [r.name if r.name.startswith("ingest-source-") else r.name.rsplit("-", 1)[0] for r in runs]
        return {name: set(r.tags) for name, r in zip(names, runs, strict=True)}

    async def set_limit(present):
        async with get_client() as client:
            if present:
                await client.create_concurrency_limit(tag="fetch:127.0.0.1", concurrency_limit=2)
            else:
                await client.delete_concurrency_limit_by_tag("fetch:127.0.0.1")

    web = {"fixture-feed", "fixture-sitemap", "gbk-page", "bomb"}
    # No limit for the host: no tag, and no request for a slot per task run.
    assert asyncio.run(run_and_read_task_runs()) == {
        "load-sources": set(),
        "ingest-source-seed": set(),
        **{f"ingest-source-{name}": set() for name in web},
    }
    asyncio.run(set_limit(True))
    try:
        assert asyncio.run(run_and_read_task_runs()) == {
            "load-sources": set(),
            "ingest-source-seed": set(),
            **{f"ingest-source-{name}": {"fetch:127.0.0.1"} for name in web},
        }
    finally:
        asyncio.run(set_limit(False))


def test_a_source_that_breaks_is_recorded_and_the_others_are_stored(
    tmp_path, site, seed_sources, web_env, database_url, monkeypatch
):
    import flows.pipeline

    real_discover = flows.pipeline.discover_urls

    async def discover_with_a_bug(spec, *args):
        if spec.name == "fixture-sitemap":
            raise KeyError("a bug in discovery")
        return await real_discover(spec, *args)

    # Fault injection: no real input makes discovery raise an unexpected exception.
    monkeypatch.setattr(flows.pipeline, "discover_urls", discover_with_a_bug)
    sources = tmp_path / "both.toml"
    sources.write_text(seed_sources.read_text() + write_sources(tmp_path, site.base).read_text())
    summary = run_ingest(sources_file=str(sources), database_url=database_url)

    assert summary.sources == 5 and summary.sources_failed == 1
    assert summary.claims_new == 9  # the seed's five, and the feed's four
    broken = [f for f in summary.failures if f.source == "fixture-sitemap"]
    assert broken == [
        Failed(
            "fixture-sitemap", f"{site.base}/sitemap_index.xml", "source", "KeyError: 'a bug in discovery'"
        )
    ]
    recorded = failures_by_address(engine_of(database_url), site.base)["/sitemap_index.xml"]
    assert (recorded.stage, recorded.reason) == ("source", "KeyError: 'a bug in discovery'")
    with Session(engine_of(database_url)) as session:
        stored = {a.address.replace(site.base, "") for a in session.exec(select(Article)).all()}
    assert "/news/car-t-lupus-trial" in stored  # from the feed, fetched while the sitemap failed


@pytest.mark.parametrize("path", ["/big-sitemap.xml", "/big-sitemap.xml.gz"])
def test_a_sitemap_at_the_protocols_limit_lists_up_to_the_sources_limit(site, path):
    """50,000 URLs, larger than an article page may be (5 MB): a listing has a cap of its own
    (50 MB uncompressed), gzipped or not, and only as many links as the source may fetch are kept."""
    import asyncio

    from flows.fetching.client import FetchConfig, Fetcher
    from flows.web import discover
    from parsers.models import SourceSpec

    config = FetchConfig(
        user_agent="cgt-monitor/test", per_host_delay=0, total_timeout=30, allowed_networks=("127.0.0.1/32",)
    )
    assert config.max_bytes < 7 * 1024 * 1024 <= config.max_listing_bytes
    spec = SourceSpec("big", "sitemap", f"{site.base}{path}")

    async def go():
        async with Fetcher(config) as fetcher:
            return await discover(spec, fetcher, {}, limit=25)

    found = asyncio.run(go())
    assert found.failures == [] and len(found.entries) == 25
    assert found.entries[0].url.endswith("therapy-00000")


def test_a_feed_of_tens_of_thousands_of_items_lists_up_to_the_sources_limit(site):
    import asyncio

    from flows.fetching.client import FetchConfig, Fetcher
    from flows.web import discover
    from parsers.models import SourceSpec

    config = FetchConfig(user_agent="cgt-monitor/test", per_host_delay=0, allowed_networks=("127.0.0.1/32",))

    async def go():
        async with Fetcher(config) as fetcher:
            return await discover(
                SourceSpec("feed", "feed", f"{site.base}/big-feed.xml"), fetcher, {}, limit=40
            )

    found = asyncio.run(go())
    assert found.failures == [] and [e.url.rsplit("-", 1)[-1] for e in found.entries[:2]] == [
        "00000",
        "00001",
    ]
    assert len(found.entries) == 40
