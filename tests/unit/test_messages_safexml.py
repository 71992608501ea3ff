"""Untrusted XML: DOCTYPEs, entities and oversize input are refused without being processed."""

import socket
from pathlib import Path

import pytest
from lxml import etree

from messages import safexml
from messages.errors import MalformedXml, MessagesError, UnsafeXml, XmlTooLarge
from messages.validate import Validator

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<lolz>&lol9;</lolz>"""
XXE_PASSWD = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<r>&xxe;</r>"""


@pytest.fixture
def parser_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if lxml is asked to parse anything: refusal must happen before parsing."""
    def boom(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("lxml was called")
    monkeypatch.setattr(safexml.etree, "fromstring", boom)


def _secret_file(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    return secret


def test_parse_returns_root_with_source_lines() -> None:
    root = safexml.parse(b"<?xml version='1.0'?>\n<a>\n  <b>x</b>\n</a>")
    assert root.tag == "a"
    assert root[0].sourceline == 3
    assert root.text == "\n  "  # blank text is kept (signatures cover it)


@pytest.mark.usefixtures("parser_forbidden")
def test_billion_laughs_is_refused_before_parsing() -> None:
    with pytest.raises(UnsafeXml) as caught:
        safexml.parse(BILLION_LAUGHS)
    assert caught.value.line == 2


@pytest.mark.usefixtures("parser_forbidden")
def test_external_entity_to_etc_passwd_is_refused_before_parsing() -> None:
    with pytest.raises(UnsafeXml):
        safexml.parse(XXE_PASSWD)


@pytest.mark.usefixtures("parser_forbidden")
def test_external_dtd_is_refused_before_parsing() -> None:
    with pytest.raises(UnsafeXml):
        safexml.parse(b'<!DOCTYPE r SYSTEM "http://example.invalid/evil.dtd"><r/>')


def test_doctype_hidden_in_utf16_is_refused_and_the_file_is_not_read(tmp_path: Path) -> None:
    # UTF-16 slips past the byte pre-check, so the post-parse DOCTYPE check must catch it.
    secret = _secret_file(tmp_path)
    payload = (f'<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
               f"\n<r>&x;</r>").encode("utf-16")
    with pytest.raises(UnsafeXml) as caught:
        safexml.parse(payload)
    assert "TOP-SECRET" not in str(caught.value)
    # And the parser configuration on its own never substitutes the entity.
    tree = etree.fromstring(payload, safexml._parser())
    assert b"TOP-SECRET" not in etree.tostring(tree)


def test_no_network_fetch_for_external_dtd_or_entity() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.2)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/evil"
        payload = (f'<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE r SYSTEM "{url}.dtd" '
                   f'[<!ENTITY x SYSTEM "{url}.xml">]>\n<r>&x;</r>').encode("utf-16")
        with pytest.raises(UnsafeXml):
            safexml.parse(payload)
        with pytest.raises(TimeoutError):
            listener.accept()


@pytest.mark.usefixtures("parser_forbidden")
def test_oversize_input_is_refused_before_parsing() -> None:
    with pytest.raises(XmlTooLarge) as caught:
        safexml.parse(b"<a>" + b"x" * 100 + b"</a>", max_bytes=64)
    assert isinstance(caught.value, UnsafeXml)
    assert "64" in str(caught.value)


def test_default_limit_is_five_mib() -> None:
    body = b"<a>" + b"x" * (5 * 1024 * 1024 - 7) + b"</a>"
    assert len(body) == 5 * 1024 * 1024
    assert safexml.parse(body).tag == "a"
    with pytest.raises(XmlTooLarge):
        safexml.parse(body + b" ")


def test_malformed_xml_reports_its_line() -> None:
    with pytest.raises(MalformedXml) as caught:
        safexml.parse(b"<a>\n<b>\n</a>")
    assert caught.value.line == 3
    assert isinstance(caught.value, MessagesError)


def test_empty_input_is_malformed() -> None:
    with pytest.raises(MalformedXml):
        safexml.parse(b"")


def test_text_input_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        safexml.parse("<a/>")  # type: ignore[arg-type]


def test_validator_reports_unsafe_too_large_and_malformed_as_single_problems(tmp_path: Path) -> None:
    validator = Validator(max_bytes=1024)
    unsafe = validator.validate(XXE_PASSWD)
    assert [(p.rule, p.line) for p in unsafe.problems] == [("XML.unsafe", 2)]
    assert unsafe.root is None and unsafe.entry is None
    assert [p.rule for p in validator.validate(BILLION_LAUGHS).problems] == ["XML.unsafe"]
    assert [p.rule for p in validator.validate(b"<a>" + b"x" * 2000 + b"</a>").problems] == ["XML.too_large"]
    malformed = validator.validate(b"<a>\n\n<b></a>")
    assert [(p.path, p.line, p.rule) for p in malformed.problems] == [("/", 3, "XML.malformed")]
