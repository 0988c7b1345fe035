"""parsers.claims.llm: the request to a language model and the checks of its answer."""

import json
from datetime import UTC, date, datetime

import pytest

from parsers.claims.llm import (
    CONVENTIONS,
    PROMPT_VERSION,
    AnswerError,
    answer_schema,
    chat_request,
    locate_evidence,
    message_content,
    read_answer,
)
from parsers.models import ParsedArticle, Stage, Therapy

TEXT = (
    "Doctors at Harbor Hospital said six patients with lupus received CAR\u2011T cells in a “phase 1” trial.\n\n"
    "Five of   them are in remission. The regulator has not approved the treatment."
)


def claim(**kw):
    base = {
        "institution": "Harbor Hospital",
        "location": None,
        "therapy": "CAR-T cell therapy",
        "therapy_detail": "CAR-T cells",
        "indication": "lupus",
        "stage": "clinical_trial",
        "patients": 6,
        "outcome": "improved",
        "evidence": "Doctors at Harbor Hospital said six patients with lupus received CAR\u2011T cells in a “phase 1” trial.",
    }
    return {**base, **kw}


def answer(*claims):
    return json.dumps({"claims": list(claims)})


def test_the_request_carries_the_conventions_the_article_and_a_schema():
    article = ParsedArticle(TEXT, datetime.now(UTC), title="Lupus remission", published=date(2025, 3, 1))
    body = chat_request(article, "llama3.1")
    system, user = body["messages"]
    assert system["content"] == CONVENTIONS and "clinical_trial" in CONVENTIONS
    assert "Title: Lupus remission" in user["content"] and "Published: 2025-03-01" in user["content"]
    assert user["content"].endswith(TEXT) and body["temperature"] == 0 and body["model"] == "llama3.1"
    assert body["response_format"]["type"] == "json_schema"
    schema = body["response_format"]["json_schema"]["schema"]
    assert schema == answer_schema() and schema["properties"]["claims"]["items"]["properties"]["stage"][
        "enum"
    ] == [s.value for s in Stage]
    assert chat_request(article, "m", structured=False)["response_format"] == {"type": "json_object"}
    assert PROMPT_VERSION


def test_a_good_claim_is_kept_with_the_evidence_as_the_text_writes_it():
    quoted = claim(
        evidence='Doctors at Harbor Hospital said six patients with lupus received CAR-T cells in a "phase 1" trial.'
    )
    result = read_answer(answer(quoted), TEXT)
    [kept] = result.claims
    assert (kept.therapy, kept.stage, kept.patients, kept.indication) == (
        Therapy.CAR_T,
        Stage.CLINICAL_TRIAL,
        6,
        "lupus",
    )
    assert kept.condition == "systemic lupus erythematosus"
    assert kept.evidence in TEXT  # straight quotes and a plain hyphen in the answer, the text's own here
    assert result.dropped == {} and result.institutions_nulled == 0


def test_evidence_pieces_whitespace_and_quotes():
    pieces = "Doctors at Harbor Hospital said six patients with lupus received CAR-T cells [...] Five of them are in remission."
    found = locate_evidence(pieces, TEXT)
    assert found is not None and all(p in TEXT for p in found.split(" [...] "))
    assert locate_evidence("Five of them were cured.", TEXT) is None
    assert locate_evidence("Five of them are in remission. [...] A sentence not there.", TEXT) is None


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"evidence": "Harbor Hospital cured everyone."}, "evidence_not_in_text"),
        ({"stage": "marketed"}, "stage_not_in_vocabulary"),
        ({"therapy": "vaccine"}, "therapy_not_in_vocabulary"),
        ({"outcome": "great"}, "outcome_not_in_vocabulary"),
        ({"patients": "six"}, "patients_not_an_integer"),
        ({"patients": 2.5}, "patients_not_an_integer"),
        ({"indication": ""}, "no_indication"),
    ],
)
def test_a_claim_that_fails_a_check_is_dropped_and_counted(bad, reason):
    result = read_answer(answer(claim(), claim(**bad)), TEXT)
    assert len(result.claims) == 1 and result.dropped == {reason: 1}


def test_an_institution_the_text_does_not_name_is_set_to_null_and_the_claim_kept():
    result = read_answer(answer(claim(institution="Mayo Clinic"), claim(institution="harbor hospital")), TEXT)
    assert [c.institution for c in result.claims] == [None, "harbor hospital"]
    assert result.institutions_nulled == 1


def test_patients_as_digits_in_a_string_are_read():
    [kept] = read_answer(answer(claim(patients="6")), TEXT).claims
    assert kept.patients == 6


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("not json at all", "not JSON"),
        ('{"claims": [', "not JSON"),
        ('["a list"]', 'no "claims" list'),
        ('{"answer": []}', 'no "claims" list'),
    ],
)
def test_an_unusable_answer_is_an_answer_error(content, says):
    with pytest.raises(AnswerError, match=says):
        read_answer(content, TEXT)


def test_a_fenced_json_block_is_read():
    assert len(read_answer("```json\n" + answer(claim()) + "\n```", TEXT).claims) == 1


def test_the_message_of_a_completion_refusals_and_empty_answers():
    ok = {"choices": [{"message": {"content": "{}"}, "finish_reason": "stop"}]}
    assert message_content(json.dumps(ok)) == "{}"
    refused = {"choices": [{"message": {"content": None, "refusal": "No."}, "finish_reason": "stop"}]}
    with pytest.raises(AnswerError, match="refused"):
        message_content(json.dumps(refused))
    with pytest.raises(AnswerError, match="empty answer"):
        message_content(json.dumps({"choices": [{"message": {"content": " "}, "finish_reason": "length"}]}))
    with pytest.raises(AnswerError, match="not a chat completion"):
        message_content('{"error": "overloaded"}')
