"""End-to-end benchmark of the ingest pipeline against a generated news site on 127.0.0.1.

    .venv/bin/python bench/pipeline.py [--articles 10000] [--small 1000] [--repeat 2] [--json FILE]

1. Writes N article pages of about 60 KB (see bench/corpus.py) behind 10 RSS feeds and a
   Google News sitemap, with robots.txt, into a temporary folder, and serves it with
   ``python -m http.server`` on 127.0.0.1 (Last-Modified / If-Modified-Since: 304s).
2. Starts ``prefect server start`` on 127.0.0.1 (unless PREFECT_API_URL is set).
3. In a fresh measuring process: runs the real ``ingest`` flow (first run, empty database)
   and the same work with the flow's plain functions and no Prefect (``run_pipeline(...,
   prefect=False)``, another empty database), ``--repeat`` times each in alternating order
   (the best of each is reported, every time is kept), then the flow again over the unchanged
   site. Reports articles per second, time per stage, Prefect's share, peak memory.
4. Measures the raw rate of the main-text extractor alone (``parsers.pages.html.main_text``) on the same
   pages with a process pool over both cores.
5. Repeats step 3 (flow only) for ``--small`` articles, to compare peak memory.

Stage times are summed per stage over batches and worker processes; stages overlap in wall
time (fetching the next batch runs while the previous is parsed and stored), so the shares
are of the summed stage time. Prefect's share = (flow time - plain time) / flow time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

FEEDS = 10
TARGETS = {
    "articles_per_second": 150.0,
    "share_of_raw_extractor": 0.70,
    "prefect_share": 0.10,
    "second_run_speedup": 20.0,
}


# -- the site ---------------------------------------------------------------------------------
def write_site(folder: Path, n: int) -> dict[str, int]:
    from datetime import UTC, datetime
    from email.utils import format_datetime

    from corpus import iter_site

    (folder / "news").mkdir(parents=True)
    (folder / "feeds").mkdir()
    items: list[list[str]] = [[] for _ in range(FEEDS)]
    sitemap: list[str] = []
    cgt = 0
    for i, page in enumerate(iter_site(n)):
        (folder / page.path.lstrip("/")).write_bytes(page.html)
        cgt += page.cgt
        date = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"
        if i % 10 == 9:  # one page in ten is listed by the sitemap only
            sitemap.append(
                f"<url><loc>{{base}}{page.path}</loc><news:news><news:publication_date>{date}"
                f"</news:publication_date><news:title>Story {i}</news:title></news:news></url>"
            )
        else:
            when = format_datetime(datetime(2025, 1 + i % 12, 1 + i % 28, 8, tzinfo=UTC), usegmt=True)
            items[i % FEEDS].append(
                f"<item><title>Story {i}</title><link>{{base}}{page.path}</link>"
                f"<pubDate>{when}</pubDate></item>"
            )
    for k, entries in enumerate(items):
        (folder / "feeds" / f"feed-{k}.xml").write_text(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>'
            + "".join(entries)
            + "</channel></rss>"
        )
    (folder / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + "".join(sitemap) + "</urlset>"
    )
    (folder / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    return {"pages": n, "cgt_pages": cgt, "bytes": sum(p.stat().st_size for p in (folder / "news").iterdir())}


REAL_PAGES = ROOT.parent / "shared" / "eval" / "maintext" / "pages"
_CGT_SENTENCE = (
    b"Doctors at Riverside Hospital treated {n} patients with knee osteoarthritis using stem cell "
    b"injections, and all of them reported less pain after a month. "
)


def write_real_site(folder: Path, n: int, pages_dir: Path) -> dict[str, int]:
    """N copies of real web pages (cycled), each made unique by a sentence put into its first
    paragraph (so that none is stored as another's duplicate), one in ten with a sentence about
    a stem cell treatment, behind the same feeds as the generated site."""
    from corpus import insert_into_body

    pages = sorted(pages_dir.glob("*.html"))
    (folder / "news").mkdir(parents=True)
    (folder / "feeds").mkdir()
    items: list[list[str]] = [[] for _ in range(FEEDS)]
    cgt = 0
    for i in range(n):
        html = pages[i % len(pages)].read_bytes()
        sentence = b"Reference %d of this copy of the page, for the benchmark. " % i
        if i % 10 == 0:
            sentence += _CGT_SENTENCE.replace(b"{n}", str(2 + i % 9).encode())
            cgt += 1
        html = insert_into_body(html, sentence)
        path = f"/news/real-{i}.html"
        (folder / path.lstrip("/")).write_bytes(html)
        items[i % FEEDS].append(f"<item><title>Page {i}</title><link>{{base}}{path}</link></item>")
    for k, entries in enumerate(items):
        (folder / "feeds" / f"feed-{k}.xml").write_text(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Real pages</title>'
            + "".join(entries)
            + "</channel></rss>"
        )
    (folder / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>'
    )
    (folder / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    return {"pages": n, "cgt_pages": cgt, "bytes": sum(p.stat().st_size for p in (folder / "news").iterdir())}


def _trafilatura_chunk(paths: list[str]) -> int:
    import trafilatura

    for path in paths:
        trafilatura.extract(Path(path).read_bytes())
    return len(paths)


def trafilatura_rate(folder: Path, workers: int) -> float:
    """Pages per second of ``trafilatura.extract`` alone (its defaults) on the same pages over
    ``workers`` processes: what a pipeline built on trafilatura could at best reach. At most
    3,000 pages, evenly spread (the real-pages site cycles 159 pages: a rate, not a total)."""
    paths = sorted(str(p) for p in (folder / "news").iterdir())
    paths = paths[:: max(1, len(paths) // 3000)]
    chunks = [paths[i : i + 50] for i in range(0, len(paths), 50)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_trafilatura_chunk, [paths[:workers]] * workers))  # warm-up: imports
        started = time.perf_counter()
        done = sum(pool.map(_trafilatura_chunk, chunks))
        return done / (time.perf_counter() - started)


def set_base(folder: Path, base: str) -> None:
    for path in [*(folder / "feeds").iterdir(), folder / "sitemap.xml"]:
        path.write_text(path.read_text().replace("{base}", base))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"nothing answered at {url}")


def sources_file(folder: Path, base: str) -> Path:
    lines = []
    for k in range(FEEDS):
        lines.append(
            f'[[source]]\nname = "bench-feed-{k}"\nkind = "feed"\naddress = "{base}/feeds/feed-{k}.xml"\n'
            'keywords = "cgt"\n'
        )
    lines.append(
        f'[[source]]\nname = "bench-sitemap"\nkind = "sitemap"\naddress = "{base}/sitemap.xml"\n'
        'keywords = "cgt"\n'
    )
    path = folder.parent / f"sources-{folder.name}.toml"  # one per site: the runs must not share it
    path.write_text("\n".join(lines))
    return path


def bench_env(api_url: str, n: int) -> dict[str, str]:
    return {
        **os.environ,
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "CGT_MONITOR_ALLOW_PRIVATE_NETWORKS": "127.0.0.1/32",  # our own server
        "CGT_MONITOR_PER_HOST_DELAY": "0",  # politeness off: it is our own server
        "CGT_MONITOR_PER_HOST_CONCURRENCY": "4",  # the test server's best rate (see bench/README.md)
        "CGT_MONITOR_MAX_ARTICLES_PER_SOURCE": str(n),
    }


# -- measuring (in a fresh child process) -----------------------------------------------------
def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


SUMMARY_FIELDS = (
    "documents",
    "fetched",
    "not_modified",
    "unchanged",
    "articles_new",
    "articles_skipped",
    "claims_new",
    "mentions_new",
    "failed",
    "stage_seconds",
)


def measure(sources: Path, workdir: Path, plain: bool, second: bool, repeat: int) -> dict:
    """Flow runs and plain runs, ``repeat`` times each, alternating which goes first (so neither
    always meets a warmer machine), each into an empty database; the best of each is reported,
    and every time is kept. Then the second, unchanged run over the last flow run's database."""
    from flows.ingest import ingest, run_pipeline
    from flows.settings import load_settings

    out: dict = {"flow_runs_seconds": [], "plain_runs_seconds": []}
    settings = None
    for round_ in range(repeat):
        order = ["flow", "plain"] if round_ % 2 == 0 else ["plain", "flow"]
        for kind in order if plain else ["flow"]:
            url = f"sqlite:///{workdir}/{kind}-{round_}.db"
            run_settings = load_settings(sources_file=str(sources), database_url=url)
            started = time.perf_counter()
            if kind == "flow":
                settings = run_settings
                summary = asyncio.run(ingest(sources_file=settings.sources_file, database_url=url))
            else:
                summary = asyncio.run(run_pipeline(run_settings, prefect=False))
            seconds = time.perf_counter() - started
            out[f"{kind}_runs_seconds"].append(round(seconds, 2))
            if kind == "flow" and round_ == 0:
                out["peak_mb_after_flow"] = _peak_mb()  # the first run's peak: nothing ran before it
            if kind == "flow" and seconds < out.get("flow_seconds", float("inf")):
                out["flow_seconds"] = seconds
                out["flow_summary"] = {k: getattr(summary, k) for k in SUMMARY_FIELDS}
            if kind == "plain" and seconds < out.get("plain_seconds", float("inf")):
                out["plain_seconds"] = seconds
                out["plain_articles_new"] = summary.articles_new
    if second and settings is not None:
        started = time.perf_counter()
        again = asyncio.run(ingest(sources_file=settings.sources_file, database_url=settings.database_url))
        out["second_seconds"] = time.perf_counter() - started
        out["second_summary"] = {
            k: getattr(again, k) for k in ("documents", "fetched", "not_modified", "articles_new")
        }
    out["peak_mb"] = _peak_mb()
    out["peak_worker_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return out


def _extract_chunk(paths: list[str]) -> int:
    from flows.settings import load_settings
    from parsers.pages.encoding import decode_bytes
    from parsers.pages.html import main_text

    extractor = load_settings().main_text_extractor
    for path in paths:
        main_text(decode_bytes(Path(path).read_bytes()), extractor)
    return len(paths)


def raw_extractor_rate(folder: Path, workers: int) -> float:
    """Pages per second of the pipeline's main-text extractor alone (decode, parse, main text:
    ``parsers.pages.html.main_text``) over the same pages, with a process pool of ``workers`` (the
    files are in the page cache by now)."""
    paths = sorted(str(p) for p in (folder / "news").iterdir())
    chunks = [paths[i : i + 50] for i in range(0, len(paths), 50)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_extract_chunk, [paths[:workers]] * workers))  # warm-up: imports
        started = time.perf_counter()
        done = sum(pool.map(_extract_chunk, chunks))
        return done / (time.perf_counter() - started)


def run_child(args: list[str], env: dict[str, str]) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, cwd=ROOT
    )
    if proc.returncode != 0:
        raise SystemExit(f"measuring process failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- the profile --------------------------------------------------------------------------------
def page_profile(folder: Path) -> dict:
    """Milliseconds per page in each reading stage (``parsers.timing.STAGES``), for the pages
    kept (about CGT) and the pages skipped: every page of the site read again in this process
    (one core) with the run's defaults, each with its own stage clock."""
    from flows.extraction import StageClock
    from parsers.claims import DEFAULT_EXTRACTOR, claim_extractor
    from parsers.errors import ParseError
    from parsers.pipeline import process_document
    from parsers.timing import STAGES

    extractor = claim_extractor(DEFAULT_EXTRACTOR)
    totals = {"kept": StageClock(), "skipped": StageClock()}
    counts = {"kept": 0, "skipped": 0, "failed": 0}
    now = datetime.now(UTC)
    for path in sorted((folder / "news").iterdir()):
        clock = StageClock()
        try:
            out = process_document(
                path.read_bytes(),
                path.name,
                now,
                extractor,
                url=f"https://example.org/news/{path.name}",
                is_html=True,
                keywords=(),
                timer=clock,
            )
        except ParseError:  # a page without text: failed in the run too
            counts["failed"] += 1
            continue
        kind = "skipped" if all(x.skipped for x in out) else "kept"
        counts[kind] += 1
        totals[kind].add(clock.seconds)
    return {
        "pages": counts,
        "ms_per_page": {
            kind: {
                s: round(1000 * totals[kind].seconds.get(s, 0.0) / max(1, counts[kind]), 3) for s in STAGES
            }
            for kind in totals
        },
    }


def profile_table(measured: dict, pages: dict) -> list[dict]:
    """Where one run's time goes: each stage's seconds in the run (summed over batches and
    workers) and its cost per page kept and per page skipped. Reading stages per page come from
    ``page_profile``; fetching is the same for both kinds of page; storing is for kept pages
    only; Prefect is the flow run's time over the plain run's, per page."""
    summary = measured["flow_summary"]
    stage = summary["stage_seconds"]
    docs = max(1, summary["documents"])
    kept = max(1, summary["articles_new"])
    rows = []

    def row(name: str, run_s: float | None, kept_ms: float, skipped_ms: float) -> None:
        rows.append(
            {
                "stage": name,
                "run_seconds": None if run_s is None else round(run_s, 2),
                "ms_per_page_kept": round(kept_ms, 3),
                "ms_per_page_skipped": round(skipped_ms, 3),
            }
        )

    fetch = stage.get("fetch", 0.0)
    row("fetch (HTTP, robots, pacing, listings)", fetch, 1000 * fetch / docs, 1000 * fetch / docs)
    per_page = pages["ms_per_page"]
    for name in per_page["kept"]:
        row(name, stage.get(name, 0.0), per_page["kept"][name], per_page["skipped"][name])
    store = stage.get("store", 0.0)
    row("store (SQL, duplicates, developments)", store, 1000 * store / kept, 0.0)
    if "plain_seconds" in measured:
        prefect = max(0.0, measured["flow_seconds"] - measured["plain_seconds"])
        row("Prefect (flow run over plain run)", prefect, 1000 * prefect / docs, 1000 * prefect / docs)
    rows.append(
        {
            "stage": "total",
            "run_seconds": None,
            "ms_per_page_kept": round(sum(r["ms_per_page_kept"] for r in rows), 3),
            "ms_per_page_skipped": round(sum(r["ms_per_page_skipped"] for r in rows), 3),
        }
    )
    return rows


def print_profile(rows: list[dict], pages: dict) -> None:
    print(
        f"\nprofile ({pages['pages']['kept']} pages kept, {pages['pages']['skipped']} skipped, read again on one core)"
    )
    print(f"| {'stage':<40} | {'run (s)':>8} | {'ms/page kept':>12} | {'ms/page skipped':>15} |")
    print(f"|{'-' * 42}|{'-' * 10}|{'-' * 14}|{'-' * 17}|")
    for r in rows:
        run_s = "" if r["run_seconds"] is None else f"{r['run_seconds']:.2f}"
        print(
            f"| {r['stage']:<40} | {run_s:>8} | {r['ms_per_page_kept']:>12.3f} | {r['ms_per_page_skipped']:>15.3f} |"
        )


# -- the report ---------------------------------------------------------------------------------
def report(n: int, site: dict, big: dict, raw: float, small: dict | None, small_n: int) -> dict:
    stage = big["flow_summary"]["stage_seconds"]
    total_stage = sum(stage.values()) or 1.0
    rate = big["flow_summary"]["articles_new"] / big["flow_seconds"] if big["flow_seconds"] else 0.0
    processed = big["flow_summary"]["documents"] / big["flow_seconds"] if big["flow_seconds"] else 0.0
    result = {
        "articles": n,
        "site": site,
        "first_run_seconds": round(big["flow_seconds"], 2),
        "articles_per_second": round(processed, 1),
        "stored_articles_per_second": round(rate, 1),
        "raw_extractor_pages_per_second_2_cores": round(raw, 1),
        "share_of_raw_extractor": round(processed / raw, 3) if raw else None,
        "stage_share": {k: round(v / total_stage, 3) for k, v in stage.items()},
        "stage_seconds": stage,
        "plain_run_seconds": round(big.get("plain_seconds", 0.0), 2),
        "runs_seconds": {"flow": big["flow_runs_seconds"], "plain": big["plain_runs_seconds"]},
        "prefect_share": round((big["flow_seconds"] - big["plain_seconds"]) / big["flow_seconds"], 3)
        if "plain_seconds" in big
        else None,
        # Each repetition's flow run against its own plain run (the pair ran back to back): on a
        # shared machine the spread of these says how far to trust the best-against-best figure.
        "prefect_share_by_repetition": [
            round((f - p) / f, 3)
            for f, p in zip(big["flow_runs_seconds"], big["plain_runs_seconds"], strict=True)
            if f
        ],
        "second_run_seconds": round(big.get("second_seconds", 0.0), 2),
        "second_run_speedup": round(big["flow_seconds"] / big["second_seconds"], 1)
        if big.get("second_seconds")
        else None,
        "second_run": big.get("second_summary"),
        "first_run": {k: v for k, v in big["flow_summary"].items() if k != "stage_seconds"},
        "peak_memory_mb": round(big["peak_mb_after_flow"], 1),
        # None when no worker process ran: small batches are parsed in the flow's process.
        "peak_parse_worker_memory_mb": round(big["peak_worker_mb"], 1) if big["peak_worker_mb"] else None,
        "peak_memory_mb_small": round(small["peak_mb_after_flow"], 1) if small else None,
        "small_articles": small_n if small else None,
        "memory_growth_small_to_large": round(big["peak_mb_after_flow"] / small["peak_mb_after_flow"], 3)
        if small
        else None,
    }
    result["targets"] = {
        "articles_per_second >= 150": result["articles_per_second"] >= TARGETS["articles_per_second"],
        "share_of_raw_extractor >= 0.70": bool(result["share_of_raw_extractor"])
        and result["share_of_raw_extractor"] >= TARGETS["share_of_raw_extractor"],
        "prefect_share <= 0.10": result["prefect_share"] is not None
        and result["prefect_share"] <= TARGETS["prefect_share"],
        "second_run_speedup >= 20": bool(result["second_run_speedup"])
        and result["second_run_speedup"] >= TARGETS["second_run_speedup"],
    }
    return result


def print_table(result: dict) -> None:
    rows = [
        ("articles", result["articles"]),
        ("first run (s)", result["first_run_seconds"]),
        ("articles/s end to end", result["articles_per_second"]),
        ("raw extractor pages/s (2 cores)", result["raw_extractor_pages_per_second_2_cores"]),
        ("end to end / raw extractor", result["share_of_raw_extractor"]),
        ("plain run, no Prefect (s)", result["plain_run_seconds"]),
        ("Prefect's share", result["prefect_share"]),
        ("  per repetition", ", ".join(str(x) for x in result["prefect_share_by_repetition"])),
        ("second, unchanged run (s)", result["second_run_seconds"]),
        ("second run speed-up", result["second_run_speedup"]),
        ("peak memory, flow process (MB)", result["peak_memory_mb"]),
        ("peak memory, a parse worker (MB)", result["peak_parse_worker_memory_mb"]),
        (f"peak memory at {result['small_articles']} articles (MB)", result["peak_memory_mb_small"]),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print("stage shares: " + ", ".join(f"{k} {v:.1%}" for k, v in result["stage_share"].items()))
    print(
        "targets: " + ", ".join(f"{k}: {'met' if ok else 'NOT met'}" for k, ok in result["targets"].items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--small", type=int, default=1000, help="corpus for the memory comparison (0: skip)")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="processes for the raw extractor"
    )
    parser.add_argument(
        "--repeat", type=int, default=2, help="flow and plain runs each (best reported; machines are noisy)"
    )
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also print where the run's time goes per stage, per page kept and per page skipped",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--real-pages",
        type=int,
        default=0,
        help="instead: N copies of the real pages of ../shared/eval/maintext (each unique, 10 %% about "
        "a stem cell treatment); reports articles/s end to end against trafilatura alone on the cores",
    )
    args, rest = parser.parse_known_args()
    if args.real_pages:
        real_pages_mode(args)
        return
    tmp = Path(tempfile.mkdtemp(prefix="cgt-monitor-bench-"))
    procs: list[subprocess.Popen] = []
    try:
        api = os.environ.get("PREFECT_API_URL")
        if not api:
            port = free_port()
            api = f"http://127.0.0.1:{port}/api"
            penv = {
                **os.environ,
                "PREFECT_HOME": str(tmp / "prefect"),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_UI_ENABLED": "false",
            }
            procs.append(
                subprocess.Popen(
                    [
                        str(Path(sys.executable).parent / "prefect"),
                        "server",
                        "start",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                    ],
                    env=penv,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        results: dict[int, tuple[dict, dict, Path]] = {}
        for n in [args.articles, *([args.small] if args.small else [])]:
            site = tmp / f"site-{n}"
            info = write_site(site, n)
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            set_base(site, base)
            procs.append(
                subprocess.Popen(
                    [sys.executable, str(ROOT / "bench" / "serve_site.py"), str(site), str(port)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            wait_for(f"{base}/robots.txt")
            results[n] = (info, {"sources": sources_file(site, base)}, site)
        wait_for(api.removesuffix("/api") + "/api/health")
        env = bench_env(api, args.articles)
        big_info, big_meta, big_site = results[args.articles]
        work = tmp / "work-large"
        work.mkdir()
        big = run_child(
            ["_measure", str(big_meta["sources"]), str(work), "plain", "second", str(args.repeat)], env
        )
        raw = raw_extractor_rate(big_site, args.workers)
        small = None
        if args.small:
            _, small_meta, _ = results[args.small]
            work_small = tmp / "work-small"
            work_small.mkdir()
            small = run_child(
                ["_measure", str(small_meta["sources"]), str(work_small), "-", "-", "1"],
                bench_env(api, args.small),
            )
        result = report(args.articles, big_info, big, raw, small, args.small)
        print_table(result)
        if args.profile:
            pages = page_profile(big_site)
            result["profile"] = {"rows": profile_table(big, pages), "pages": pages}
            print_profile(result["profile"]["rows"], pages)
        if args.json:
            args.json.write_text(json.dumps(result, indent=1))
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def real_pages_mode(args: argparse.Namespace) -> None:
    """The pipeline on real pages against trafilatura alone on the same pages and cores."""
    if not REAL_PAGES.is_dir():
        raise SystemExit(f"no real pages at {REAL_PAGES}")
    tmp = Path(tempfile.mkdtemp(prefix="cgt-monitor-bench-real-"))
    procs: list[subprocess.Popen] = []
    try:
        api = os.environ.get("PREFECT_API_URL")
        if not api:
            port = free_port()
            api = f"http://127.0.0.1:{port}/api"
            penv = {
                **os.environ,
                "PREFECT_HOME": str(tmp / "prefect"),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_UI_ENABLED": "false",
            }
            procs.append(
                subprocess.Popen(
                    [
                        str(Path(sys.executable).parent / "prefect"),
                        "server",
                        "start",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                    ],
                    env=penv,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        site = tmp / "site-real"
        info = write_real_site(site, args.real_pages, REAL_PAGES)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        set_base(site, base)
        procs.append(
            subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "serve_site.py"), str(site), str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_for(f"{base}/robots.txt")
        wait_for(api.removesuffix("/api") + "/api/health")
        work = tmp / "work"
        work.mkdir()
        measured = run_child(
            [
                "_measure",
                str(sources_file(site, base)),
                str(work),
                "plain" if args.profile else "-",
                "-",
                str(args.repeat),
            ],
            bench_env(api, args.real_pages),
        )
        traf = trafilatura_rate(site, args.workers)
        rate = measured["flow_summary"]["documents"] / measured["flow_seconds"]
        result = {
            "real_pages": args.real_pages,
            "site": info,
            "first_run_seconds": round(measured["flow_seconds"], 2),
            "runs_seconds": measured["flow_runs_seconds"],
            "articles_per_second": round(rate, 1),
            "trafilatura_alone_pages_per_second": round(traf, 1),
            "pipeline_over_trafilatura_alone": round(rate / traf, 2),
            "peak_memory_mb": round(measured["peak_mb_after_flow"], 1),
            "peak_parse_worker_memory_mb": round(measured["peak_worker_mb"], 1)
            if measured["peak_worker_mb"]
            else None,
            "stored": {
                k: measured["flow_summary"][k]
                for k in ("articles_new", "articles_skipped", "claims_new", "failed")
            },
            "target": "pipeline_over_trafilatura_alone >= 1.5",
        }
        for key, value in result.items():
            print(f"{key:<36} {value}")
        if args.profile:
            pages = page_profile(site)
            result["profile"] = {"rows": profile_table(measured, pages), "pages": pages}
            print_profile(result["profile"]["rows"], pages)
        if args.json:
            args.json.write_text(json.dumps(result, indent=1))
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_measure":
        _, _, sources_arg, work_arg, plain_arg, second_arg, repeat_arg = sys.argv
        print(
            json.dumps(
                measure(
                    Path(sources_arg),
                    Path(work_arg),
                    plain_arg == "plain",
                    second_arg == "second",
                    int(repeat_arg),
                )
            )
        )
    else:
        main()
