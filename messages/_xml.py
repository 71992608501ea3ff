"""Small helpers shared by the codecs (element building, required children, UTC instants)."""

from datetime import UTC, datetime

from lxml import etree

from messages.errors import InvalidMessage


def sub(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{name}")
    element.text = text
    return element


def child(element: etree._Element, ns: str, name: str) -> etree._Element:
    found = element.find(f"{{{ns}}}{name}")
    if found is None:
        raise InvalidMessage(f"{etree.QName(element).localname} has no {name} element")
    return found


def text(element: etree._Element, ns: str, name: str) -> str:
    return child(element, ns, name).text or ""


def elements(element: etree._Element) -> list[etree._Element]:
    """Element children only (comments and processing instructions are skipped)."""
    return list(element.iterchildren(etree.Element))


def format_instant(moment: datetime) -> str:
    """xs:dateTime in UTC with a Z; naive datetimes are refused because their zone is a guess."""
    if not isinstance(moment, datetime):  # a pre-formatted string would bypass the UTC conversion
        raise TypeError(f"expected an aware datetime, got {type(moment).__name__} {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidMessage(f"datetime {moment!r} has no time zone; use an aware (UTC) datetime")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_instant(value: str) -> datetime:
    """xs:dateTime with a zone -> aware datetime in UTC."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidMessage(f"{value!r} is not an xs:dateTime") from None
    if moment.tzinfo is None:
        raise InvalidMessage(f"{value!r} has no time zone")
    return moment.astimezone(UTC)
