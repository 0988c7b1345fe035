import pytest

from parsers.errors import BinaryDocumentError, EmptyDocumentError
from parsers.pages.encoding import decode_bytes


def test_utf8_and_bom():
    assert decode_bytes("café".encode()) == "café"
    assert decode_bytes(b"\xef\xbb\xbfhello") == "hello"


def test_declared_gbk_and_undeclared_gbk():
    text = "细胞治疗和基因治疗在广州的临床应用" * 3
    assert decode_bytes(text.encode("gbk"), declared="gb2312") == text
    assert decode_bytes(text.encode("gbk")) == text


def test_meta_charset_is_honoured():
    html = '<html><head><meta charset="gbk"></head><body>基因治疗</body></html>'
    assert "基因治疗" in decode_bytes(html.encode("gbk"))


def test_latin1_text():
    assert decode_bytes("Universität Zürich".encode("latin-1")) == "Universität Zürich"


def test_empty_and_binary():
    with pytest.raises(EmptyDocumentError):
        decode_bytes(b"")
    with pytest.raises(BinaryDocumentError):
        decode_bytes(b"abc\x00def")


UNDECLARED = [
    ("Врачи клиники впервые применили клеточную терапию для лечения пациентов.", "cp1251"),
    ("Врачи клиники впервые применили клеточную терапию для лечения пациентов.", "koi8_r"),
    ("Το νοσοκομείο εφάρμοσε γονιδιακή θεραπεία σε δύο ασθενείς με αιμορροφιλία.", "cp1253"),
    ("Le café de l'hôpital a ouvert. Thérapie génique à Paris, déjà approuvée.", "cp1252"),
    ("Die Universitätsklinik München hat fünf Patienten behandelt – erfolgreich.", "cp1252"),
]


@pytest.mark.parametrize(("text", "codec"), UNDECLARED)
def test_an_undeclared_single_byte_page_is_read_in_its_own_script(text, codec):
    page = f"<html><body><p>{text}</p></body></html>".encode(codec)
    assert decode_bytes(page) == f"<html><body><p>{text}</p></body></html>"


def test_a_utf8_page_declared_as_latin1_is_still_utf8():
    page = "<p>Thérapie génique – déjà approuvée</p>".encode()
    assert decode_bytes(page, declared="iso-8859-1") == "<p>Thérapie génique – déjà approuvée</p>"
