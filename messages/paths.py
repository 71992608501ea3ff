"""Element paths used in problems and codec line maps: /Certificate/CertificateList/Goods[2]/HSCode.

Local names only. An element gets a 1-based [n] when its schema declares it repeatable
(maxOccurs > 1) or when it actually has same-named siblings. Indexing repeatable elements even
when there is one keeps a path stable as lines are added, and lets business rules build the same
path from plain data (goods[i] -> Goods[i+1]).
"""

import functools

from lxml import etree

from messages import XSD_DIR

_XS = "{http://www.w3.org/2001/XMLSchema}"


@functools.cache
def repeatable() -> frozenset[str]:
    """Clark names of every element that some XSD in messages/xsd declares with maxOccurs > 1."""
    names: set[str] = set()
    for xsd in sorted(XSD_DIR.glob("*.xsd")):
        schema = etree.parse(str(xsd)).getroot()
        tns = schema.get("targetNamespace", "")
        for decl in schema.iter(f"{_XS}element"):
            max_occurs = decl.get("maxOccurs", "1")
            if decl.get("name") and max_occurs not in ("0", "1"):
                names.add(f"{{{tns}}}{decl.get('name')}")
    return frozenset(names)


def element_path(element: etree._Element, root: etree._Element | None = None) -> str:
    """Path of `element` from `root` (default: the document root), e.g. /Certificate/CertificateHead."""
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        parent = node.getparent()
        name = etree.QName(node).localname
        if parent is None or node is root:
            steps.append(name)
            break
        same = list(parent.iterchildren(node.tag))
        if len(same) > 1 or node.tag in repeatable():
            name = f"{name}[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))
