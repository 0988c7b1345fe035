"""The main text of a web page: a fast heuristic on the page's lxml tree, checked, with
trafilatura for the pages the check does not trust.

    text = page_main_text(html, tree, url)       # the pipeline's path ("auto")
    text, coverage = heuristic_main_text(tree)    # the heuristic alone (modifies the tree)

The heuristic (readability-like) scores each element by the text of the blocks it holds and
takes the best one with its siblings of the same kind or with text of their own. It never drops
an element that holds most of the page's paragraph text, whatever its tag or class says (a
page wrapped whole in a <form>, an article column classed "content-with-sidebar"), and reads
each text node once. The check: the text it returns must hold most of the page's paragraph
text (``coverage``); when it does not, the heuristic has likely lost part of the article, and
trafilatura reads the page instead. Measured on 159 real pages (``../shared/eval/maintext``),
the heuristic alone is ~6x as fast as trafilatura, and about half the pages pass the check.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import lxml.etree
import lxml.html

MIN_TEXT_CHARS = 300  # shorter results go to trafilatura
MIN_COVERAGE = 0.8  # share of the page's paragraph text the heuristic must keep
PROSE_CHARS = 25  # weighted characters from which a paragraph counts as prose


# Never content: removed before anything else.
_NEVER_TEXT = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "iframe",
    "select",
    "input",
    "button",
    "textarea",
)
# Usually not the body, unless they hold most of the page's paragraph text.
_LAYOUT = ("nav", "header", "footer", "aside", "form", "figure", "figcaption", "menu", "dialog")
# Words in an element's id, class or role that mark boilerplate: looked for as substrings of
# the lower-cased hints (a regex alternation over every container cost ~0.7 ms per page).
_HINT_WORDS = (
    "comment", "share", "social", "related", "recommend", "sidebar", "promo", "advert", "banner",
    "newsletter", "subscribe", "cookie", "consent", "popup", "modal", "breadcrumb", "menu", "footer",
    "header", "nav", "widget", "outbrain", "taboola",
)  # fmt: skip
_AD_WORD = re.compile(r"\bads?\b")


def boilerplate_hint(hints: str) -> bool:
    """True when an element's id/class/role words mark it as boilerplate ("share-bar", "ad")."""
    lowered = hints.lower()
    return any(word in lowered for word in _HINT_WORDS) or (
        "ad" in lowered and bool(_AD_WORD.search(lowered))
    )


_HINTED_CONTAINERS = frozenset({"div", "section", "ul", "ol", "table", "td", "span", "p"})
_BLOCK_TAGS = frozenset({"p", "li", "blockquote", "h2", "h3", "h4", "pre", "dd"})
_LOOSE_TEXT_HOLDERS = frozenset({"div", "td", "section", "article", "main", "span", "font", "center"})
_INLINE_TAGS = frozenset(
    {"a", "b", "strong", "em", "i", "span", "font", "u", "sup", "sub", "small", "mark", "code"}
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_NEVER_ARTICLE = frozenset({"nav", "footer", "aside"})
_COMMENT_HINT = re.compile(r"comment|disqus|respond|reply|replies", re.I)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def normalise_space(text: str) -> str:
    """Runs of spaces and tabs as one space (line breaks kept)."""
    return _SPACES.sub(" ", text).strip()


def _one_line(text: str) -> str:
    """All whitespace as single spaces (a block's text)."""
    return " ".join(text.split())


def _text(el: lxml.html.HtmlElement, sep: str) -> str:
    return sep.join(s for s in (t.strip() for t in el.itertext()) if s)


def _classes(el: lxml.html.HtmlElement) -> tuple[str, ...]:
    return tuple((el.get("class") or "").split())


def _weight(text: str) -> int:
    """A text's length, Chinese, Japanese and Korean characters counted three times (one of
    them carries about as much as a short word)."""
    if text.isascii():
        return len(text)
    return len(text) + 2 * len(_CJK.findall(text))


def _is_prose(el: lxml.html.HtmlElement, text: str) -> bool:
    """Text that reads like prose: at least PROSE_CHARS (weighted), at most 30 % in links."""
    weight = _weight(text)
    return weight >= PROSE_CHARS and sum(len(_text(a, "")) for a in el.iter("a")) <= 0.3 * len(text)


def _br_runs(el: lxml.html.HtmlElement) -> list[str]:
    """The runs of loose text of an element with <br>s: the paragraphs of old layouts."""
    runs, run = [], [el.text or ""]
    for child in el:
        if not isinstance(child.tag, str):
            run.append(child.tail or "")
            continue
        if child.tag == "br" or child.tag not in _INLINE_TAGS:
            runs.append(_one_line(" ".join(run)))
            run = []
        else:
            run.append(" ".join(child.itertext()))
        run.append(child.tail or "")
    runs.append(_one_line(" ".join(run)))
    return [r for r in runs if r]


def prose_chars(body: lxml.html.HtmlElement) -> dict[lxml.html.HtmlElement, int]:
    """Weighted characters of prose under each element that holds any (what any extractor
    should keep): paragraphs, and runs of loose text between <br>s, each adding to all its
    ancestors. Prose in comment threads and in navigation, footers and asides is not counted:
    it is never the article."""
    chars: dict[lxml.html.HtmlElement, int] = {}

    def add(el: lxml.html.HtmlElement, weight: int) -> None:
        for node in (el, *el.iterancestors()):
            chars[node] = chars.get(node, 0) + weight

    def outside_article(el: lxml.html.HtmlElement) -> bool:
        for node in (el, *el.iterancestors()):
            if node.tag in _NEVER_ARTICLE:
                return True
            hints = node.get("class") or node.get("id")
            if hints and _COMMENT_HINT.search(hints):
                return True
        return False

    repeated: dict[lxml.html.HtmlElement, bool] = {}

    def in_a_series(el: lxml.html.HtmlElement | None) -> bool:
        """One of three or more look-alike classed siblings: a comment or a teaser."""
        if el is None:
            return False
        if el not in repeated:
            parent = el.getparent()
            kind = (el.tag, _classes(el))
            repeated[el] = (
                bool(kind[1])
                and parent is not None
                and sum(1 for t in parent if t.tag == kind[0] and _classes(t) == kind[1]) >= 3
            )
        return repeated[el]

    for p in body.iter("p"):
        text = _one_line(_text(p, " "))
        if _is_prose(p, text) and not in_a_series(p.getparent()):
            add(p, _weight(text))
    seen: set[lxml.html.HtmlElement] = set()
    for br in body.iter("br"):
        holder = br.getparent()
        if holder is None or holder in seen or holder.tag in _BLOCK_TAGS:
            continue
        seen.add(holder)
        if in_a_series(holder):
            continue
        weight = sum(_weight(run) for run in _br_runs(holder) if _weight(run) >= 40)
        if weight:
            add(holder, weight)
    return chars


def _is_boilerplate(el: lxml.html.HtmlElement) -> bool:
    if el.tag in _LAYOUT:
        return True
    if el.tag in _HINTED_CONTAINERS:
        hints = f"{el.get('id') or ''} {el.get('class') or ''} {el.get('role') or ''}"
        return bool(hints.strip()) and boilerplate_hint(hints)
    return False


def _blocks(body: lxml.html.HtmlElement, chars: dict[lxml.html.HtmlElement, int], page_chars: int):
    """Text blocks under ``body`` in document order, each with the element holding it:
    paragraphs, list items, quotes and headings, and runs of loose text between <br>s. One walk
    over the tree, which it leaves unchanged: it skips what never holds the body (scripts,
    styles ...) and layout elements or hinted containers ("share-bar", "sidebar") unless they
    hold most of the page's prose. A text node belongs to one block only."""
    out: list[tuple[lxml.html.HtmlElement, str]] = []
    keep_above = max(1, 0.5 * page_chars)
    stack = [body]
    while stack:
        el = stack.pop()
        tag = el.tag
        if tag in _BLOCK_TAGS:
            text = _one_line(_text(el, " "))
            links = sum(len(_text(a, "")) for a in el.iterdescendants("a"))
            if text and links <= 0.5 * len(text):
                out.append((el, text))
            continue  # the block's text includes everything inside it
        children = [c for c in el if isinstance(c.tag, str) and c.tag not in _NEVER_TEXT]
        if tag in _LOOSE_TEXT_HOLDERS:
            run: list[str] = [el.text] if el.text else []
            for child in [*el, None]:
                if child is not None and not isinstance(child.tag, str):  # a comment: its tail is text
                    if child.tail:
                        run.append(child.tail)
                    continue
                if child is None or child.tag == "br" or child.tag not in _INLINE_TAGS:
                    text = _one_line(" ".join(run))
                    if len(text) >= 25:
                        out.append((el, text))
                    run = []
                elif child.tag not in _NEVER_TEXT:
                    run.append(" ".join(child.itertext()))
                if child is not None and child.tail:
                    run.append(child.tail)
            children = [c for c in children if c.tag not in _INLINE_TAGS]  # their text is in the runs
        for child in reversed(children):
            if _is_boilerplate(child) and chars.get(child, 0) < keep_above:
                continue
            stack.append(child)
    return out


def heuristic_main_text(tree: lxml.html.HtmlElement) -> tuple[str, float]:
    """The main text by the heuristic, and the share of the page's prose paragraphs it holds
    (0 when the page has none: nothing vouches for the text then). The tree is not changed."""
    body = tree.find("body")
    if body is None:
        body = tree
    chars = prose_chars(body)
    page_chars = chars.get(body, 0)
    blocks = _blocks(body, chars, page_chars)
    if not blocks:
        return "", 0.0
    scores: dict[lxml.html.HtmlElement, float] = {}
    repeated: dict[lxml.html.HtmlElement, bool] = {}
    for el, text in blocks:
        holder = el if el.tag not in _BLOCK_TAGS else el.getparent()
        if holder is None:
            continue
        if holder not in repeated:
            # One of three or more look-alike siblings (comment threads, teaser lists): their
            # text does not make their common parent an article body.
            parent = holder.getparent()
            kind = (holder.tag, _classes(holder))
            twins = [t for t in (parent if parent is not None else ()) if (t.tag, _classes(t)) == kind]
            repeated[holder] = len(twins) >= 3
        up = 0.1 if repeated[holder] else 0.5
        for weight, node in ((1.0, holder), (up, holder.getparent())):
            if node is not None:
                scores[node] = scores.get(node, 0.0) + weight * len(text)
    top = max(scores, key=scores.__getitem__)
    keep = {top}
    parent = top.getparent()
    if parent is not None:
        for sibling in parent:
            if sibling is top or not isinstance(sibling.tag, str):
                continue
            same_kind = sibling.tag == top.tag and _classes(sibling) == _classes(top)
            score = scores.get(sibling, 0.0)
            if (same_kind and score > 0) or score >= 0.2 * scores[top]:
                keep.add(sibling)
    out = []
    kept_chars = 0  # of the page's prose paragraphs, in the text returned
    for el, text in blocks:
        ancestor: lxml.html.HtmlElement | None = el
        while ancestor is not None and ancestor not in keep:
            ancestor = ancestor.getparent()
        if ancestor is not None:
            out.append(text)
            if (el.tag == "p" or el.tag not in _BLOCK_TAGS) and _is_prose(el, text):
                kept_chars += _weight(text)
    return "\n\n".join(out), (min(1.0, kept_chars / page_chars) if page_chars else 0.0)


def visible_text(tree: lxml.html.HtmlElement) -> str:
    """All the text of the page's body but scripts and styles."""
    body = tree.find("body")
    if body is None:
        body = tree
    return " ".join(
        t
        for el in body.iter()
        if isinstance(el.tag, str) and el.tag not in _NEVER_TEXT
        for t in (el.text, el.tail)
        if t
    )


def trafilatura_text(tree: lxml.html.HtmlElement, url: str | None) -> str:
    """trafilatura's main text of the page (tables included, comments left out)."""
    try:
        import trafilatura  # slow to import: imported on first use
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            f"the main-text extractor needs trafilatura, which cannot be imported: {exc}"
        ) from exc
    text = trafilatura.extract(
        tree,
        url=url,
        include_comments=False,
        include_tables=True,
        include_images=False,
        deduplicate=False,
        with_metadata=False,
        output_format="txt",
    )
    return (text or "").strip()


def page_main_text(
    tree: lxml.html.HtmlElement, url: str | None, relevant: Callable[[str], bool] | None = None
) -> tuple[str, str]:
    """The cascade: the heuristic's text when it passes the check, else trafilatura's (which
    may change the tree); trafilatura finding much less than the heuristic keeps the
    heuristic's. With ``relevant``, a page whose whole visible text it rejects keeps the
    heuristic's text (the caller skips such pages). Returns the text and which extractor
    gave it."""
    text, coverage = heuristic_main_text(tree)
    if coverage >= MIN_COVERAGE and (len(text) >= MIN_TEXT_CHARS or coverage == 1.0):
        return text, "heuristic"
    if relevant is not None and not relevant(visible_text(tree)):
        return text, "heuristic (page not relevant)"
    fallback = trafilatura_text(tree, url)
    if len(fallback) > len(text) * 0.5 or not text:
        return fallback, "trafilatura"
    return text, "heuristic"
