"""A realistic generated news site for the pipeline benchmark: article pages of about 60 KB
(navigation, ads, cookie banner, comment threads, scripts and an 800-word body), several
templates and date styles, about 40 % about cell and gene therapy with claims in varied wording,
10 % near-duplicates of earlier pages (a new headline, a few words changed)."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

INSTITUTIONS = [
    "Riverside University Hospital",
    "Northfield Children's Hospital",
    "Eastbridge Institute of Regenerative Medicine",
    "Lakeside Cancer Center",
    "Harborview Therapeutics",
    "Summit Biosciences",
    "Westgate Medical University",
    "Pinecrest General Hospital",
]
THERAPIES = [
    "CAR-T cells",
    "mesenchymal stem cells",
    "an AAV gene therapy",
    "CRISPR gene editing",
    "CAR-NK cells",
    "iPSC-derived dopaminergic progenitors",
    "umbilical cord-derived stem cells",
    "a lentiviral gene therapy",
    "base editing",
    "tumor-infiltrating lymphocytes",
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
    "B-cell lymphoma",
    "Duchenne muscular dystrophy",
    "retinitis pigmentosa",
    "myasthenia gravis",
    "liver cirrhosis",
    "melanoma",
]
CLAIMS = [
    "{inst} has treated {n} patients with {cond} using {ther}, and most of them improved within a month.",
    "In a phase 1 trial at {inst}, {ther} was given to {n} participants with {cond}.",
    "Doctors at {inst} said a {n}-year-old girl with {cond} went into remission after receiving {ther}.",
    "The regulator approved {ther} for adults with {cond}; approval was granted to {inst}.",
    "Researchers at {inst} are exploring {ther} for {cond} in the laboratory.",
    "The therapy restored function in mice with {cond}, researchers at {inst} reported.",
]
WORDS = [
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "for",
    "on",
    "with",
    "that",
    "by",
    "from",
    "as",
    "at",
    "is",
    "was",
    "were",
    "be",
    "said",
    "will",
    "its",
    "their",
    "this",
    "new",
    "more",
    "year",
    "years",
    "city",
    "council",
    "health",
    "officials",
    "people",
    "report",
    "program",
    "plan",
    "budget",
    "school",
    "market",
    "price",
    "company",
    "local",
    "region",
    "public",
    "service",
    "water",
    "energy",
    "transport",
    "housing",
    "court",
    "police",
    "weather",
    "week",
    "month",
    "government",
    "minister",
    "project",
    "support",
    "community",
    "policy",
    "growth",
    "data",
    "system",
    "research",
    "team",
]


@dataclass(frozen=True)
class Page:
    path: str
    html: bytes
    cgt: bool


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(12, 24))
    return " ".join(words).capitalize() + "."


def _body(rng: random.Random, cgt: bool, index: int) -> list[str]:
    paragraphs = []
    words = 0
    while words < 800:
        if cgt and (not paragraphs or rng.random() < 0.2):
            text = rng.choice(CLAIMS).format(
                inst=rng.choice(INSTITUTIONS),
                ther=rng.choice(THERAPIES),
                cond=rng.choice(CONDITIONS),
                n=rng.randint(2, 60),
            )
            text += " " + " ".join(_sentence(rng) for _ in range(2))
        else:
            text = " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
        paragraphs.append(text)
        words += len(text.split())
    paragraphs.append(f"Reference number {index}.")
    return paragraphs


def _chrome(rng: random.Random) -> dict[str, str]:
    nav = "".join(f"<li><a href='/section/{w}'>{w.title()}</a></li>" for w in rng.sample(WORDS, 30))
    ads = "".join(
        f"<div class='ad-slot advert'><script>window.ads=window.ads||[];ads.push({{slot:{i}}});</script>"
        f"<p>Sponsored: {_sentence(rng)}</p></div>"
        for i in range(4)
    )
    comments = "".join(
        f"<div class='cmt-{rng.randint(1, 9)}'><p class='who'>reader{i}</p><p>{_sentence(rng)} "
        f"{_sentence(rng)}</p></div>"
        for i in range(rng.randint(15, 30))
    )
    related = "".join(
        f"<li><a href='/news/{rng.randint(1, 99999)}'>{_sentence(rng)}</a></li>" for _ in range(12)
    )
    script = "<script>" + "var config=" + json.dumps({f"k{i}": "x" * 80 for i in range(250)}) + ";</script>"
    return {"nav": nav, "ads": ads, "comments": comments, "related": related, "script": script}


def article_page(rng: random.Random, index: int, body: list[str], title: str, date: str) -> bytes:
    template = index % 3
    chrome = _chrome(rng)
    paras = "".join(f"<p>{p}</p>" for p in body)
    if template == 0:
        head = (
            f"<script type='application/ld+json'>{json.dumps({'@type': 'NewsArticle', 'headline': title, 'datePublished': date})}"
            "</script>"
        )
        main = f"<article><h1>{title}</h1><div class='story-body'>{paras}</div></article>"
    elif template == 1:
        head = f"<meta property='article:published_time' content='{date}T08:00:00Z'><meta property='og:title' content='{title}'>"
        main = f"<div id='content'><h1>{title}</h1><div class='txt'>{paras}</div></div>"
    else:
        head = ""
        main = (
            f"<main><h1>{title}</h1><p class='byline'>By staff <time datetime='{date}'>{date}</time></p>"
            f"<section class='body'>{paras}</section></main>"
        )
    page = (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>{head}"
        f"<link rel='stylesheet' href='/s.css'>{chrome['script']}</head><body>"
        f"<div id='cookie-consent'><p>We use cookies. {_sentence(rng)}</p></div>"
        f"<header><nav><ul>{chrome['nav']}</ul></nav></header>{chrome['ads']}{main}"
        f"<aside class='related'><ul>{chrome['related']}</ul></aside>"
        f"<section class='comments-area'>{chrome['comments']}</section>"
        f"<footer><p>{_sentence(rng)}</p><ul>{chrome['nav']}</ul></footer>{chrome['script']}</body></html>"
    )
    return page.encode("utf-8")


def iter_site(n: int, seed: int = 7, cgt_share: float = 0.4, duplicate_share: float = 0.1) -> Iterator[Page]:
    """The pages one by one (the corpus is never held in memory; bodies are kept for copies)."""
    rng = random.Random(seed)
    bodies: list[list[str]] = []
    for i in range(n):
        day = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"
        if bodies and rng.random() < duplicate_share:
            base = list(rng.choice(bodies))
            k = rng.randrange(len(base) - 1)
            words = base[k].split()
            words[rng.randrange(len(words))] = rng.choice(WORDS)
            base[k] = " ".join(words)
            body = base
            cgt = any(c.split("{", 1)[0][:12] in " ".join(body) for c in CLAIMS)
        else:
            cgt = rng.random() < cgt_share
            body = _body(rng, cgt, i)
        bodies.append(body)
        yield Page(f"/news/{i:06d}.html", article_page(rng, i, body, f"Story number {i}", day), cgt)


def make_site(n: int, seed: int = 7) -> list[Page]:
    return list(iter_site(n, seed))


_CODE = re.compile(rb"<(script|template|textarea)\b.*?</\1\s*>", re.I | re.S)
_PARAGRAPH = re.compile(rb"<p(?:\s[^>]*)?>(.*?)</p\s*>", re.I | re.S)


def insert_into_body(html: bytes, sentence: bytes) -> bytes:
    """``html`` with ``sentence`` put at the start of its longest paragraph outside scripts (the
    article's body on a real news page, rather than a cookie banner, a teaser or a template),
    or at the end when the page has no paragraph."""
    code = [m.span() for m in _CODE.finditer(html)]
    body = (m for m in _PARAGRAPH.finditer(html) if not any(a <= m.start() < b for a, b in code))
    best = max(body, key=lambda m: len(m.group(1)), default=None)
    at = best.start(1) if best else len(html)
    return html[:at] + sentence + html[at:]
