"""Claims from a language model, trusted for nothing: the request (the project's conventions as
instructions, the article, a JSON Schema for the answer) and the checks of the answer.

    request = chat_request(article, model="llama3.1", structured=True)   # POST {base}/chat/completions
    answer = read_answer(response_json_text, article.text)
    answer.claims          # the claims that passed every check
    answer.dropped         # Counter: evidence_not_in_text, stage_not_in_vocabulary, ...

No network here: ``flows/llm.py`` sends the request, caches the answer and falls back to the
offline extractor when the answer cannot be used (``AnswerError``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

from ..models import CLAIM_FIELDS, Claim, Outcome, ParsedArticle, Stage, Therapy
from ..vocab import Vocabulary, default_vocabulary

# Changes whenever the instructions or the schema change: cached answers are keyed by it.
PROMPT_VERSION = "1"

CONVENTIONS = """\
You read one news article about cell and gene therapy (CGT) and list the claims it makes of
applying such a therapy, as JSON. Follow these conventions exactly.

What counts as a claim
- A claim is a reported application of a cell or gene therapy to people by a named or implied
  party; for the stages research and preclinical, a reported line of work (laboratory or
  animal) aimed at a named condition.
- Not claims: background ("CAR-T works well in blood cancers"), possibilities, funding,
  accreditation, facilities, and plans ("will start a trial", "intends to apply for approval").
- Give one claim per (institution, therapy, indication, stage). When the article names the same
  party, condition and stage once in general words ("cell and gene therapies") and once
  precisely ("cell therapy injections"), give only the precise one.

Fields
- institution: the party that treats, develops or sponsors ("A; B" for several), as the
  article names it; for an approval, the company that owns the product, never the regulator;
  null when the article names none.
- location: the place the article states for it (for an approval, the regulator's country);
  null when none is stated.
- therapy: exactly one of: cell therapy, stem cell therapy, mesenchymal stem cell therapy,
  CAR-T cell therapy, other immune cell therapy, iPSC-derived cell therapy, gene therapy,
  gene editing, cell and gene therapy. Use "cell and gene therapy" only when the article names
  both and nothing more specific. Cells derived from embryonic stem cells are stem cell
  therapy; chemically induced or reprogrammed pluripotent cells are iPSC-derived cell therapy;
  gene-edited CAR-T cells are CAR-T cell therapy.
- therapy_detail: the article's own short description of the product or procedure.
- indication: the condition treated, in plain English, the most specific one the article
  names for this claim. A list of conditions gives one claim per condition.
- stage: exactly one of research, preclinical, clinical_trial, clinical_use, approved.
  A trial, phase or study that the article names anywhere for the same therapy and condition
  makes the treated patients trial patients (clinical_trial), even where a sentence does not
  repeat the word; a study the article denies ("not an approved study") does not count.
  Without such a word, treating patients is clinical_use, results described only as data or
  as "experimental" treatment included. A regulator's authorisation, conditional or full, is
  approved. A general statement that a therapy is approved for some conditions, without a
  party, gives approved claims with institution null, one per condition.
- patients: how many patients this claim reports on (treated, not enrolled or planned; one
  death is 1), an integer; null when not stated, and null for each condition of a study over
  several conditions that gives no count per condition.
- outcome: exactly one of improved, no_effect, adverse, mixed, or null. Null for safety-only
  results and for laboratory or animal work without a stated effect; mixed when benefit and
  harm are both reported.
- evidence: the sentence or sentences that state the claim, copied exactly from the article
  text (character for character); join sentences that are not next to each other with " [...] ".

Answer with one JSON object {"claims": [...]} and nothing else; {"claims": []} when the
article makes no claim.
"""

THERAPIES = tuple(t.value for t in Therapy)
STAGES = tuple(s.value for s in Stage)
OUTCOMES = tuple(o.value for o in Outcome)
_FIELDS = (*CLAIM_FIELDS, "evidence")  # the fields of extract --json
MAX_CLAIMS = 50  # an answer listing more is cut here (no article states that many)
MAX_ARTICLE_CHARS = 20_000  # of the text sent (news articles are shorter; a model's context is not endless)


def answer_schema() -> dict[str, object]:
    """The JSON Schema of an answer (for servers that support structured output)."""
    nullable = {"type": ["string", "null"]}
    claim = {
        "type": "object",
        "additionalProperties": False,
        "required": list(_FIELDS),
        "properties": {
            "institution": nullable,
            "location": nullable,
            "therapy": {"type": "string", "enum": list(THERAPIES)},
            "therapy_detail": nullable,
            "indication": {"type": "string"},
            "stage": {"type": "string", "enum": list(STAGES)},
            "patients": {"type": ["integer", "null"]},
            "outcome": {"type": ["string", "null"], "enum": [*OUTCOMES, None]},
            "evidence": {"type": "string"},
        },
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["claims"],
        "properties": {"claims": {"type": "array", "items": claim}},
    }


def chat_request(article: ParsedArticle, model: str, structured: bool = True) -> dict[str, object]:
    """The body of a Chat Completions request for one article: JSON Schema output where the
    server supports it (``structured``), JSON mode otherwise; temperature 0 for repeatable
    answers."""
    parts = [f"Title: {article.title}" if article.title else "Title: (none)"]
    parts.append(f"Published: {article.published.isoformat() if article.published else 'unknown'}")
    parts.append("Text:\n" + article.text[:MAX_ARTICLE_CHARS])
    response_format: dict[str, object] = (
        {"type": "json_schema", "json_schema": {"name": "claims", "strict": True, "schema": answer_schema()}}
        if structured
        else {"type": "json_object"}
    )
    return {
        "model": model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": CONVENTIONS},
            {"role": "user", "content": "\n\n".join(parts)},
        ],
        "response_format": response_format,
    }


class AnswerError(ValueError):
    """The model's answer cannot be used at all (not JSON, a refusal, empty, wrong shape)."""


@dataclass
class Answer:
    claims: list[Claim]
    dropped: Counter[str] = field(default_factory=Counter)  # why claims were left out
    institutions_nulled: int = 0  # institutions the text does not name, set to null


_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "}
    | {dash: "-" for dash in "\u2010\u2011\u2012\u2013\u2014\u2212"}
)


def _plain(text: str) -> str:
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip()


def _plain_with_offsets(text: str) -> tuple[str, list[int]]:
    """``_plain`` of the text, and for each of its characters the offset it came from."""
    chars: list[str] = []
    offsets: list[int] = []
    for i, c in enumerate(text.translate(_QUOTES)):
        if c.isspace():
            if not chars or chars[-1] == " ":
                continue
            c = " "
        chars.append(c)
        offsets.append(i)
    return "".join(chars), offsets


def locate_evidence(evidence: str, text: str) -> str | None:
    """The evidence as the text writes it: each piece (pieces joined by " [...] ") found in the
    text, whitespace and typographic quotes aside, and copied from it; None when a piece is
    not there."""
    plain, offsets = _plain_with_offsets(text)
    found = []
    for piece in re.split(r"\s*\[\.\.\.\]\s*", evidence):
        wanted = _plain(piece)
        at = plain.find(wanted) if wanted else -1
        if at < 0:
            return None
        found.append(text[offsets[at] : offsets[at + len(wanted) - 1] + 1])
    return " [...] ".join(found) if found else None


def evidence_in_text(evidence: str, text: str) -> bool:
    """Every piece of the evidence occurs in the text, whitespace, typographic quotes and dashes
    aside."""
    return locate_evidence(evidence, text) is not None


def _named_in(name: str, text: str) -> bool:
    """Whether the text names the institution: the whole name, or each of its parts ("A; B")."""
    plain = _plain(text).lower()
    parts = [_plain(p).lower() for p in name.split(";") if p.strip()]
    return bool(parts) and all(p in plain for p in parts)


def message_content(response_text: str) -> str:
    """The assistant's message of a Chat Completions response (AnswerError for a refusal, an
    empty answer or a response of another shape)."""
    try:
        data = json.loads(response_text)
        choice = data["choices"][0]
        message = choice["message"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise AnswerError(f"not a chat completion response ({type(exc).__name__})") from None
    if message.get("refusal"):
        raise AnswerError(f"the model refused: {str(message['refusal'])[:200]}")
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        raise AnswerError(f"empty answer (finish_reason {choice.get('finish_reason')!r})")
    return content


def read_answer(content: str, text: str) -> Answer:
    """The claims of the model's answer that pass every check against the article ``text``.
    AnswerError when the answer is no JSON object with a list of claims."""
    stripped = content.strip()
    if stripped.startswith("```"):  # a fenced block despite the instructions
        stripped = re.sub(r"^```(?:json)?\s*|\s*```$", "", stripped)
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise AnswerError(f"the answer is not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list):
        raise AnswerError('the answer has no "claims" list')
    answer = Answer([])
    vocab = default_vocabulary()
    for raw in data["claims"][:MAX_CLAIMS]:
        claim = _checked(raw, text, answer, vocab)
        if claim is not None:
            answer.claims.append(claim)
    answer.dropped["more_than_max_claims"] += max(0, len(data["claims"]) - MAX_CLAIMS)
    answer.dropped = +answer.dropped
    return answer


def _text(value: object) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _checked(raw: object, text: str, answer: Answer, vocab: Vocabulary) -> Claim | None:
    if not isinstance(raw, dict):
        answer.dropped["not_an_object"] += 1
        return None
    therapy, stage, outcome = raw.get("therapy"), raw.get("stage"), raw.get("outcome")
    if therapy not in THERAPIES:
        answer.dropped["therapy_not_in_vocabulary"] += 1
        return None
    if stage not in STAGES:
        answer.dropped["stage_not_in_vocabulary"] += 1
        return None
    if outcome is not None and outcome not in OUTCOMES:
        answer.dropped["outcome_not_in_vocabulary"] += 1
        return None
    indication = _text(raw.get("indication"))
    if indication is None:
        answer.dropped["no_indication"] += 1
        return None
    evidence = locate_evidence(raw["evidence"], text) if isinstance(raw.get("evidence"), str) else None
    if evidence is None:
        answer.dropped["evidence_not_in_text"] += 1
        return None
    patients = raw.get("patients")
    if isinstance(patients, bool) or not (patients is None or isinstance(patients, int)):
        if isinstance(patients, str) and patients.strip().isdigit():
            patients = int(patients.strip())
        else:
            answer.dropped["patients_not_an_integer"] += 1
            return None
    if patients is not None and patients < 0:
        answer.dropped["patients_not_an_integer"] += 1
        return None
    institution = _text(raw.get("institution"))
    if institution is not None and not _named_in(institution, text):
        institution = None
        answer.institutions_nulled += 1
    named = [m for m in vocab.scan(indication) if m.role == "condition"]
    condition = max(named, key=lambda m: m.end - m.start).value if named else None
    return Claim(
        therapy=Therapy(therapy),
        indication=indication,
        condition=condition,
        stage=Stage(stage),
        evidence=evidence,
        institution=institution,
        location=_text(raw.get("location")),
        therapy_detail=_text(raw.get("therapy_detail")),
        patients=patients,
        outcome=Outcome(outcome) if outcome else None,
        why=(("claim", "stated by the language model; evidence found in the text"),),
    )
