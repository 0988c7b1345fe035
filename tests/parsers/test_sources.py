import pytest

from parsers.sources import SourcesError, parse_sources
from tests.conftest import SEEDS


def test_shipped_sources_file_parses():
    specs = parse_sources((SEEDS / "sources.toml").read_text())
    assert any(s.kind == "files" for s in specs)


def test_all_fields():
    [spec] = parse_sources(
        '[[source]]\nname="a"\nkind="feed"\nlocation="https://x.org/rss"\n'
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


@pytest.mark.parametrize(
    "text,needle",
    [
        ('[[source]]\nkind="files"\nlocation="."', "name"),
        ('[[source]]\nname="a"\nkind="ftp"\nlocation="."', "kind"),
        ('[[source]]\nname="a"\nkind="files"', "location"),
        (
            '[[source]]\nname="a"\nkind="files"\nlocation="."\n[[source]]\nname="a"\nkind="files"\nlocation="."',
            "duplicate",
        ),
        ('[[source]]\nname="a"\nkind="files"\nlocation="."\nmax_articles=0', "max_articles"),
        ("not toml [", "TOML"),
        ('[[source]]\nname="a"\nkind="feed"\nlocation="seeds/feed.xml"', "URL"),
        ('[[source]]\nname="a"\nkind="files"\nlocation="https://x.org/"', "path"),
        ('[[source]]\nname="a"\nkind="url"\nlocation="https://x.org/"\nkeywords=3', "keywords"),
    ],
)
def test_invalid_sources_name_the_problem(text, needle):
    with pytest.raises(SourcesError, match=needle):
        parse_sources(text)
