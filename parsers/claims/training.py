"""Training the learned extractor from labelled articles, and judging it out of fold.

    articles = load_labelled([Path("labels/train"), Path("labels/dev")])
    report = cross_validate(articles, folds=5)      # out-of-fold predictions and scores
    model = train(articles)                         # on everything, thresholds from OOF

Labelled articles are JSON files in the format of the shared evaluation set (``id``, ``title``,
``text``, ``published``, ``same_development_as`` and gold ``claims``). A candidate is labelled
a claim when a gold claim of its article names the same condition (the matching conventions
below, those of the evaluation's scorer) with a therapy of a compatible family; each gold
claim labels one candidate, the closest. Folds keep each group of articles that report the
same development together, dealt out as the scorer deals them, so the per-fold figures agree.

scikit-learn is imported here only: the extractor itself needs just the weights.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from pathlib import Path

from ..models import Stage
from ..vocab import Vocabulary, default_vocabulary
from .features import ArticleFacts, Features, article_facts
from .fields import OUTCOMES, outcome_features, party_options, patient_options
from .learned import FIELD_STAGES, Described, choose, describe, fields_for
from .model import BinaryModel, ClaimModel, StageModel
from .reading import Reading, read_article_text

STAGE_NAMES = tuple(s.value for s in Stage)
SEED = 0

# -- labelled articles ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelledArticle:
    id: str
    text: str
    title: str | None
    published: str | None
    claims: tuple[dict[str, object], ...]
    same_development_as: tuple[str, ...] = ()


def load_labelled(folders: Iterable[Path]) -> list[LabelledArticle]:
    """Every ``*.json`` article of the folders (ValueError for a file that is not one, or an id
    given twice)."""
    out: dict[str, LabelledArticle] = {}
    for folder in folders:
        paths = sorted(Path(folder).glob("*.json"))
        if not paths:
            raise ValueError(f"{folder}: no labelled articles (*.json) here")
        for path in paths:
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                article = LabelledArticle(
                    id=str(raw["id"]),
                    text=str(raw["text"]),
                    title=raw.get("title"),
                    published=raw.get("published"),
                    claims=tuple(raw.get("claims") or ()),
                    same_development_as=tuple(raw.get("same_development_as") or ()),
                )
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}: not a labelled article ({type(exc).__name__}: {exc})") from None
            if article.id in out:
                raise ValueError(f"{path}: article id {article.id!r} is given twice")
            out[article.id] = article
    return list(out.values())


def grouped_folds(articles: Sequence[LabelledArticle], k: int, split: int = 0) -> dict[str, int]:
    """Fold of each article: a group of articles reporting one development shares a fold;
    groups are dealt round-robin in the order of a hash of their smallest id (salted by
    ``split`` > 0 for another split of the same articles)."""
    by_id = {a.id: a for a in articles}
    group: dict[str, str] = {}
    for aid in sorted(by_id):
        if aid in group:
            continue
        members: set[str] = set()
        todo = [aid]
        while todo:
            x = todo.pop()
            if x in members or x not in by_id:
                continue
            members.add(x)
            todo.extend(by_id[x].same_development_as)
        for m in members:
            group[m] = min(members)
    salt = f"{split}:" if split else ""
    keys = sorted(set(group.values()), key=lambda g: hashlib.sha256((salt + g).encode()).hexdigest())
    slot = {g: i % k for i, g in enumerate(keys)}
    return {aid: slot[group[aid]] for aid in by_id}


# -- the labels' matching conventions --------------------------------------------------------------

_CELL_CLASSES = {
    "cell therapy",
    "stem cell therapy",
    "mesenchymal stem cell therapy",
    "car-t cell therapy",
    "other immune cell therapy",
    "ipsc-derived cell therapy",
}
_UK_US = (
    ("tumour", "tumor"),
    ("leukaem", "leukem"),
    ("haem", "hem"),
    ("oedema", "edema"),
    ("paediatric", "pediatric"),
    ("oesophag", "esophag"),
    ("anaemia", "anemia"),
    ("foetal", "fetal"),
    ("ischaem", "ischem"),
    ("coeliac", "celiac"),
)
_STOP = {"the", "of", "and", "a", "an"}


def therapy_families(therapy: object) -> set[str]:
    t = str(therapy or "").strip().lower()
    if t == "cell and gene therapy":
        return {"cell", "gene"}
    if t in _CELL_CLASSES or "cell" in t or "car-t" in t:
        return {"cell"}
    if "edit" in t or "crispr" in t:
        return {"edit", "gene"}
    if "gene" in t:
        return {"gene"}
    return {"?"}


def _condition_words(s: object) -> str:
    text = re.sub(r"\([^)]*\)", " ", str(s or "").lower())
    for uk, us in _UK_US:
        text = text.replace(uk, us)
    text = text.replace("\u2019", "'").replace("'s ", " ").replace("'s", "")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(w for w in text.split() if w not in _STOP)


def condition_similarity(a: object, b: object) -> float:
    """1 for the same condition words, 0.9 when one's words hold the other's, else how alike
    the two are (0.8 or more counts as the same condition)."""
    x, y = _condition_words(a), _condition_words(b)
    if not x or not y:
        return 0.0
    if x == y:
        return 1.0
    tx, ty = set(x.split()), set(y.split())
    if tx <= ty or ty <= tx:
        return 0.9
    return SequenceMatcher(None, x, y).ratio()


def _word_overlap(a: object, b: object) -> float:
    x, y = set(_condition_words(a).split()), set(_condition_words(b).split())
    return len(x & y) / max(len(x | y), 1)


_GENERIC_NAME_WORDS = {
    "university",
    "hospital",
    "institute",
    "center",
    "centre",
    "company",
    "college",
    "school",
    "academy",
    "sciences",
    "science",
    "medical",
    "medicine",
    "clinic",
    "research",
    "laboratory",
    "group",
    "inc",
    "corp",
    "co",
    "ltd",
    "people",
    "first",
    "affiliated",
    "national",
}


def _name_words(s: object) -> str:
    text = str(s or "").lower().replace("\u2019", "'").replace("'s ", " ").replace("'s", "")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(w for w in text.split() if w not in _STOP)


def same_party(predicted: object, gold: object) -> bool:
    """True when the predicted institution names one of the gold ones ("A; B"), both none
    included: the same name in part, its acronym, its bracketed short form, or alike."""
    if not gold:
        return not predicted
    if not predicted:
        return False
    x = _name_words(predicted)
    if not set(x.split()) - _GENERIC_NAME_WORDS:
        return False
    gold_text = str(gold)
    for part in gold_text.replace(",", ";").split(";") + gold_text.split(";"):
        y = _name_words(part)
        if not x or not y:
            continue
        short, long_ = sorted((x, y), key=len)
        if len(short) >= 4 and f" {short} " in f" {long_} ":
            return True
        acronym = "".join(w[0] for w in y.split())
        if len(acronym) >= 3 and x.replace(" ", "") == acronym:
            return True
        if any(_name_words(p) == x for p in re.findall(r"\(([^)]+)\)", part)):
            return True
        if SequenceMatcher(None, x, y).ratio() >= 0.8:
            return True
    return False


def match_claims(
    predicted: Sequence[dict[str, object]], gold: Sequence[dict[str, object]]
) -> list[tuple[int, int]]:
    """Pairs (predicted, gold) of one article: same stage, compatible therapy, same condition;
    each claim in at most one pair, the most similar first."""
    pairs = []
    for i, p in enumerate(predicted):
        for j, g in enumerate(gold):
            if p.get("stage") != g.get("stage") or not therapy_families(p.get("therapy")) & therapy_families(
                g.get("therapy")
            ):
                continue
            score = condition_similarity(p.get("indication"), g.get("indication"))
            if score >= 0.8:
                pairs.append((score, i, j))
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_p: set[int] = set()
    used_g: set[int] = set()
    out = []
    for _, i, j in pairs:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            out.append((i, j))
    return out


# -- examples -------------------------------------------------------------------------------------


@dataclass
class Example:
    """One candidate of one labelled article, with its features and label."""

    article: str
    described: Described
    stages: set[str] = field(default_factory=set)  # the gold stages it stands for (empty: no claim)
    golds: list[dict[str, object]] = field(default_factory=list)  # the gold claims it stands for


@dataclass
class LabelledReading:
    article: LabelledArticle
    reading: Reading
    facts: ArticleFacts
    examples: list[Example]


def label(article: LabelledArticle, described: list[Described]) -> list[Example]:
    """Examples of the article's candidates: each gold claim labels the candidate that names its
    condition most closely (with a compatible therapy family)."""
    examples = [Example(article.id, d) for d in described]
    for gold in article.claims:
        best: tuple[tuple[float, float], Example] | None = None
        for ex in examples:
            c = ex.described.candidate
            if not therapy_families(c.therapy.value) & therapy_families(gold.get("therapy")):
                continue
            similarity = condition_similarity(c.indication, gold.get("indication"))
            if similarity < 0.8:
                continue
            key = (similarity, _word_overlap(c.indication, gold.get("indication")))
            if best is None or key > best[0]:
                best = (key, ex)
        if best is not None and gold.get("stage") in STAGE_NAMES:
            best[1].stages.add(str(gold["stage"]))
            best[1].golds.append(gold)
    return examples


def read_labelled(
    articles: Sequence[LabelledArticle], vocab: Vocabulary | None = None
) -> list[LabelledReading]:
    vocab = vocab or default_vocabulary()
    out = []
    for article in articles:
        reading = read_article_text(article.text, article.title, vocab)
        facts = article_facts(reading)
        out.append(LabelledReading(article, reading, facts, label(article, describe(reading, facts))))
    return out


def candidate_recall(readings: Sequence[LabelledReading]) -> float:
    """Share of gold claims with a candidate naming their condition (stage left out)."""
    total = found = 0
    for r in readings:
        for gold in r.article.claims:
            total += 1
            found += any(
                therapy_families(ex.described.candidate.therapy.value) & therapy_families(gold.get("therapy"))
                and condition_similarity(ex.described.candidate.indication, gold.get("indication")) >= 0.8
                for ex in r.examples
            )
    return found / total if total else 0.0


# -- fitting --------------------------------------------------------------------------------------

C_CLAIM = 0.1  # inverse regularisation strength of the claim model (chosen out of fold)
C_STAGE = 1.0


def fit(
    readings: Sequence[LabelledReading], claim_threshold: float = 0.4, second_stage: float = 0.3
) -> ClaimModel:
    """Logistic regressions for the two decisions, as weights by feature name."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    examples = [ex for r in readings for ex in r.examples]
    if not any(ex.stages for ex in examples) or all(ex.stages for ex in examples):
        raise ValueError("training needs candidates that are claims and candidates that are not")
    vec = DictVectorizer()
    x = vec.fit_transform([ex.described.claim for ex in examples])
    y = [int(bool(ex.stages)) for ex in examples]
    claim = LogisticRegression(C=C_CLAIM, max_iter=5000, random_state=SEED).fit(x, y)
    names = vec.get_feature_names_out()
    claim_model = BinaryModel(
        float(claim.intercept_[0]),
        {str(n): float(w) for n, w in zip(names, claim.coef_[0], strict=True) if w},
    )
    # One model per stage, on the candidates that are claims: is the claim at this stage?
    claims = [ex for ex in examples if ex.stages]
    svec = DictVectorizer()
    sx = svec.fit_transform([ex.described.stage or {} for ex in claims])
    snames = svec.get_feature_names_out()
    stages = {}
    for stage in STAGE_NAMES:
        ys = [int(stage in ex.stages) for ex in claims]
        if sum(ys) < 2 or sum(ys) == len(ys):
            stages[stage] = BinaryModel(-20.0, {})  # never (or always) seen: never chosen
            continue
        fitted = LogisticRegression(C=C_STAGE, max_iter=5000, random_state=SEED).fit(sx, ys)
        stages[stage] = BinaryModel(
            float(fitted.intercept_[0]),
            {str(n): float(w) for n, w in zip(snames, fitted.coef_[0], strict=True) if w},
        )
    stage_model = StageModel(stages)
    party, patients, outcome_stated, outcome = _fit_fields(readings)
    return ClaimModel(
        claim_model, stage_model, claim_threshold, second_stage, party, patients, outcome_stated, outcome
    )


def _logistic(rows: list[Features], ys: list[int], c: float) -> BinaryModel:
    """A logistic regression as weights by feature name (a constant model when one class is
    missing)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    if not rows or len(set(ys)) < 2:
        return BinaryModel(20.0 if ys and ys[0] else -20.0, {})
    vec = DictVectorizer()
    x = vec.fit_transform(rows)
    fitted = LogisticRegression(C=c, max_iter=5000, random_state=SEED).fit(x, ys)
    names = vec.get_feature_names_out()
    return BinaryModel(
        float(fitted.intercept_[0]),
        {str(n): float(w) for n, w in zip(names, fitted.coef_[0], strict=True) if w},
    )


C_FIELDS = 0.3


def _ranker(groups: list[list[tuple[Features, int]]], c: float) -> BinaryModel:
    """Weights that rank the right option of each group above the others: a logistic regression
    on the differences of (right, wrong) option pairs (no intercept: only differences count)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    rows: list[Features] = []
    ys: list[int] = []
    for group in groups:
        right = [f for f, y in group if y]
        wrong = [f for f, y in group if not y]
        for r in right[:1]:
            for w in wrong:
                diff = dict(r)
                for k, v in w.items():
                    diff[k] = diff.get(k, 0.0) - v
                rows.append(diff)
                ys.append(1)
                rows.append({k: -v for k, v in diff.items()})
                ys.append(0)
    if not rows:
        return BinaryModel(0.0, {})
    vec = DictVectorizer()
    x = vec.fit_transform(rows)
    fitted = LogisticRegression(C=c, max_iter=5000, fit_intercept=False, random_state=SEED).fit(x, ys)
    names = vec.get_feature_names_out()
    return BinaryModel(0.0, {str(n): float(w) for n, w in zip(names, fitted.coef_[0], strict=True) if w})


def _fit_fields(
    readings: Sequence[LabelledReading],
) -> tuple[BinaryModel, BinaryModel, BinaryModel, dict[str, BinaryModel]]:
    """The field models, from every gold claim that has a candidate: which named party (or
    none) is the gold one (ranked: measured better out of fold than scoring each alone), which
    stated count, whether an outcome is stated and which."""
    party_groups: list[list[tuple[Features, int]]] = []
    patient_rows: list[Features] = []
    patient_ys: list[int] = []
    outcome_rows: list[Features] = []
    stated: list[int] = []
    outcome_labels: list[str | None] = []
    for r in readings:
        for ex in r.examples:
            c = ex.described.candidate
            for gold in ex.golds:
                stage = Stage(str(gold["stage"]))
                party_groups.append(
                    [
                        (o.features, int(same_party(o.name, gold.get("institution"))))
                        for o in party_options(r.reading, r.facts, c, stage)
                    ]
                )
                if stage not in FIELD_STAGES:
                    continue
                for p in patient_options(r.reading, r.facts, c, stage):
                    patient_rows.append(p.features)
                    patient_ys.append(int(p.value == gold.get("patients")))
                outcome_rows.append(outcome_features(r.reading, r.facts, c, stage))
                stated.append(int(bool(gold.get("outcome"))))
                outcome_labels.append(str(gold["outcome"]) if gold.get("outcome") else None)
    told = [(row, label) for row, label in zip(outcome_rows, outcome_labels, strict=True) if label]
    outcome = {
        name: _logistic([row for row, _ in told], [int(label == name) for _, label in told], C_FIELDS)
        for name in OUTCOMES
    }
    return (
        _ranker(party_groups, C_FIELDS),
        _logistic(patient_rows, patient_ys, C_FIELDS),
        _logistic(outcome_rows, stated, C_FIELDS),
        outcome,
    )


# -- judging out of fold --------------------------------------------------------------------------


def predict(reading: LabelledReading, model: ClaimModel, fields: bool = True) -> list[dict[str, object]]:
    """The claims the model extracts from a labelled article, as ``extract --json`` gives them
    (``fields=False``: only what the claims are matched on, for choosing thresholds)."""
    decisions = choose([ex.described for ex in reading.examples], model)
    if not fields:
        return [
            {
                "therapy": d.candidate.therapy.value,
                "indication": d.candidate.indication,
                "stage": d.stage.value,
            }
            for d in decisions
        ]
    claims = [fields_for(reading.reading, reading.facts, d, model) for d in decisions]
    return [{**claim.as_dict(), "why": dict(claim.why)} for claim in claims]


def f1(
    predicted: dict[str, list[dict[str, object]]], readings: Sequence[LabelledReading]
) -> tuple[float, int, int, int]:
    tp = fp = fn = 0
    for r in readings:
        preds = predicted.get(r.article.id, [])
        pairs = match_claims(preds, r.article.claims)
        tp += len(pairs)
        fp += len(preds) - len(pairs)
        fn += len(r.article.claims) - len(pairs)
    return (2 * tp / (2 * tp + fp + fn) if tp else 0.0), tp, fp, fn


CLAIM_THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
SECOND_STAGE_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 1.01)


def _oof(readings: Sequence[LabelledReading], fold_of: dict[str, int], k: int) -> dict[str, ClaimModel]:
    """A model per article, trained on the other folds (thresholds not set yet)."""
    models = {}
    for fold in range(k):
        train_part = [r for r in readings if fold_of[r.article.id] != fold]
        model = fit(train_part)
        for r in readings:
            if fold_of[r.article.id] == fold:
                models[r.article.id] = model
    return models


def choose_thresholds(
    readings: Sequence[LabelledReading], models: dict[str, ClaimModel]
) -> tuple[float, float]:
    """The claim and second-stage thresholds with the best F1 over out-of-fold predictions."""
    best: tuple[float, float, float] | None = None
    for t in CLAIM_THRESHOLDS:
        for t2 in SECOND_STAGE_THRESHOLDS:
            predicted = {
                r.article.id: predict(r, _with_thresholds(models[r.article.id], t, t2), fields=False)
                for r in readings
            }
            score = f1(predicted, readings)[0]
            if best is None or score > best[0] + 1e-9:
                best = (score, t, t2)
    assert best is not None
    return best[1], best[2]


def _with_thresholds(model: ClaimModel, claim: float, second: float) -> ClaimModel:
    return replace(model, claim_threshold=claim, second_stage_threshold=second)


@dataclass
class CrossValidation:
    predictions: dict[str, list[dict[str, object]]]  # article id -> out-of-fold claims
    fold_of: dict[str, int]
    fold_scores: list[tuple[float, int, int, int]]
    pooled: tuple[float, int, int, int]
    candidate_recall: float
    thresholds: dict[int, tuple[float, float]]


def cross_validate(readings: Sequence[LabelledReading], k: int = 5, split: int = 0) -> CrossValidation:
    """Out-of-fold predictions: each fold's claims come from a model trained on the other folds,
    its thresholds chosen on those folds' own out-of-fold predictions (never on the fold
    scored). ``split`` chooses another assignment of the groups to folds."""
    fold_of = grouped_folds([r.article for r in readings], k, split)
    predictions: dict[str, list[dict[str, object]]] = {}
    thresholds = {}
    for fold in range(k):
        inside = [r for r in readings if fold_of[r.article.id] != fold]
        inner_folds = {aid: (f if f < fold else f - 1) for aid, f in fold_of.items() if f != fold}
        inner_models = _oof(inside, inner_folds, k - 1)
        t, t2 = choose_thresholds(inside, inner_models)
        thresholds[fold] = (t, t2)
        model = _with_thresholds(fit(inside), t, t2)
        for r in readings:
            if fold_of[r.article.id] == fold:
                predictions[r.article.id] = predict(r, model)
    fold_scores = [
        f1(predictions, [r for r in readings if fold_of[r.article.id] == fold]) for fold in range(k)
    ]
    return CrossValidation(
        predictions, fold_of, fold_scores, f1(predictions, readings), candidate_recall(readings), thresholds
    )


def train(readings: Sequence[LabelledReading], k: int = 5) -> ClaimModel:
    """The model to ship: fitted on every article, thresholds from k-fold out-of-fold
    predictions."""
    fold_of = grouped_folds([r.article for r in readings], k)
    t, t2 = choose_thresholds(readings, _oof(readings, fold_of, k))
    return _with_thresholds(fit(readings), t, t2)
