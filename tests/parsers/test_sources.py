import pytest

from parsers.sources import SourcesError, parse_sources
from tests.conftest import SEEDS


def test_shipped_sources_file_parses():
    specs = parse_sources((SEEDS / "sources.toml").read_text())
    assert any(s.kind == "files" for s in specs)


def test_all_fields():
    [spec] = parse_sources(
        '[[source]]\nname="a"\nkind="feed"\naddress="https://x.org/rss"\n'
        'keywords=["gene therapy"]\nmax_articles=5\nenabled=false\nextra=1\n'
    )
    assert (spec.name, spec.kind, spec.keywords, spec.max_articles, spec.enabled) == (
        "a",
        "feed",
        ("gene therapy",),
        5,
        False,
    )
    assert spec.options == {"extra": 1}
    assert spec.address == "https://x.org/rss"


def test_the_older_key_location_is_read_as_the_address():
    [spec] = parse_sources('[[source]]\nname="a"\nkind="files"\nlocation="in"\n')
    assert (spec.address, spec.options) == ("in", {})


def test_address_and_location_together_are_refused():
    with pytest.raises(SourcesError, match="give 'address' only"):
        parse_sources('[[source]]\nname="a"\nkind="files"\naddress="in"\nlocation="out"\n')


@pytest.mark.parametrize(
    "text,needle",
    [
        ('[[source]]\nkind="files"\naddress="."', "name"),
        ('[[source]]\nname="a"\nkind="ftp"\naddress="."', "kind"),
        ('[[source]]\nname="a"\nkind="files"', "address"),
        (
            '[[source]]\nname="a"\nkind="files"\naddress="."\n[[source]]\nname="a"\nkind="files"\naddress="."',
            "duplicate",
        ),
        ('[[source]]\nname="a"\nkind="files"\naddress="."\nmax_articles=0', "max_articles"),
        ("not toml [", "TOML"),
        ('[[source]]\nname="a"\nkind="feed"\naddress="seeds/feed.xml"', "URL"),
        ('[[source]]\nname="a"\nkind="files"\naddress="https://x.org/"', "path"),
        ('[[source]]\nname="a"\nkind="url"\naddress="https://x.org/"\nkeywords=3', "keywords"),
    ],
)
def test_invalid_sources_name_the_problem(text, needle):
    with pytest.raises(SourcesError, match=needle):
        parse_sources(text)
