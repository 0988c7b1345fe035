import pytest

from parsers.registries import registry_examples, registry_ids

EXAMPLES = [(registry, example) for registry, examples in registry_examples().items() for example in examples]


@pytest.mark.parametrize(("registry", "example"), EXAMPLES)
def test_every_registry_example_is_found_in_running_text(registry, example):
    found = registry_ids(f"The study ({example}) enrolled 12 patients.")
    assert len(found) == 1, (registry, found)
    assert found[0].replace("-", "").upper()[-6:] == example.replace("-", "").upper()[-6:]


def test_identifiers_are_normalised_and_kept_in_order_of_first_mention():
    text = "Registered as nct05434702 and EudraCT number 2017-000122-41; see NCT05434702 again."
    assert registry_ids(text) == ("NCT05434702", "EUDRACT2017-000122-41")


@pytest.mark.parametrize(
    "text",
    [
        "Order NCT0480273399 shipped.",  # too many digits
        "The code XNCT04802733 is internal.",  # inside a longer word
        "ChiCTR20000 is not complete.",
    ],
)
def test_look_alikes_are_not_identifiers(text):
    assert registry_ids(text) == ()


def test_a_link_to_the_registry_counts():
    assert registry_ids("Details: https://clinicaltrials.gov/study/NCT04802733.") == ("NCT04802733",)
