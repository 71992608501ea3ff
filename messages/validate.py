"""Schema validation with errors people can act on.

Fast path: lxml (libxml2) with each schema compiled once. Only when a document fails do we load
xmlschema (slow to build, lazily, once per schema) and let it walk the same lxml tree: it reports
every error it can recover from, with the element it concerns, where libxml2 stops at the first
error in each content model and words things for schema authors.
"""

import functools
import inspect
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import xmlschema
from lxml import etree
from xmlschema.validators import XsdGroup
from xmlschema.validators.exceptions import (
    XMLSchemaChildrenValidationError,
    XMLSchemaValidationError,
)

from messages import XSD_DIR
from messages.catalogue import CATALOGUE, Entry
from messages.errors import MalformedXml, UnsafeXml, XmlTooLarge
from messages.paths import element_path
from messages.safexml import MAX_BYTES, parse


@dataclass(frozen=True)
class Problem:
    path: str  # /Certificate/CertificateList/Goods[2]/HSCode
    line: int | None  # source line of the offending element (None when unknown)
    rule: str  # XML.malformed, XML.unsafe, XML.too_large, CATALOGUE.unknown_root or XSD.<kind>
    message: str


@dataclass
class ValidationResult:
    root: etree._Element | None
    entry: Entry | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class Validator:
    """Validates documents named in the catalogue. Build once and share: compiling is the cost."""

    def __init__(self, entries: Iterable[Entry] = CATALOGUE, xsd_dir: Path = XSD_DIR,
                 max_bytes: int = MAX_BYTES) -> None:
        self._entries = {entry.root: entry for entry in entries}
        self._xsd_dir = xsd_dir
        self._max_bytes = max_bytes
        self._fast = {
            name: etree.XMLSchema(etree.parse(str(xsd_dir / name)))
            for name in sorted({entry.schema for entry in self._entries.values()})
        }
        self._explainers: dict[str, xmlschema.XMLSchema] = {}
        # lxml keeps the last error_log on the schema object, so one validation at a time per schema.
        self._locks = {name: threading.Lock() for name in self._fast}
        self._explainer_lock = threading.Lock()

    def validate(self, data: bytes) -> ValidationResult:
        """Parse safely, identify the document, validate it against its schema."""
        try:
            root = parse(data, max_bytes=self._max_bytes)
        except XmlTooLarge as exc:
            return ValidationResult(None, None, [Problem("/", None, "XML.too_large", str(exc))])
        except UnsafeXml as exc:
            return ValidationResult(None, None, [Problem("/", exc.line, "XML.unsafe", str(exc))])
        except MalformedXml as exc:
            return ValidationResult(None, None, [Problem("/", exc.line, "XML.malformed", str(exc))])
        return self.validate_element(root)

    def validate_element(self, root: etree._Element) -> ValidationResult:
        """Validate an already parsed element (a document root, or e.g. an envelope body)."""
        entry = self._entries.get(root.tag) if isinstance(root.tag, str) else None
        if entry is None:
            problem = Problem(element_path(root, root), root.sourceline, "CATALOGUE.unknown_root",
                              f"unknown document root {root.tag!r}")
            return ValidationResult(root, None, [problem])
        schema = self._fast[entry.schema]
        with self._locks[entry.schema]:
            if schema.validate(root):
                return ValidationResult(root, entry, [])
            fallback = [_from_lxml(item) for item in schema.error_log]
        explainer = self._explainer(entry.schema)
        problems = [_explain(error, root) for error in explainer.iter_errors(root, use_location_hints=False)]
        # Safety net: if the two engines ever disagree, libxml2's own words still get through.
        return ValidationResult(root, entry, problems or fallback)

    def _explainer(self, name: str) -> xmlschema.XMLSchema:
        with self._explainer_lock:
            if name not in self._explainers:
                # allow="local": schema imports are read from disk, never fetched over the network.
                self._explainers[name] = xmlschema.XMLSchema(str(self._xsd_dir / name), allow="local")
            return self._explainers[name]


@functools.cache
def get_validator() -> Validator:
    """The process-wide validator over the whole catalogue (compiled on first use)."""
    return Validator()


# {namespace}Name -> Name; namespaces are URIs (contain ':'), so regex quantifiers like {6} survive.
_CLARK = re.compile(r"\{[^{}\s]*:[^{}\s]*\}")
_DECIMAL = re.compile(r"Decimal\('([^']*)'\)")


def _clean(text: str) -> str:
    """xmlschema's reason without namespace noise, Python reprs and stray whitespace."""
    return _DECIMAL.sub(r"\1", _CLARK.sub("", " ".join(text.split())))


def _explain(error: XMLSchemaValidationError, root: etree._Element) -> Problem:
    elem = error.elem if isinstance(error.elem, etree._Element) else root
    reason = _clean(error.reason or str(error.message))
    if isinstance(error, XMLSchemaChildrenValidationError):
        return _explain_children(error, elem, root, reason)
    kind = _kind(error.validator)
    # Quote the text as written (xmlschema's obj may be collapsed or already converted).
    value = elem.text or "" if len(elem) == 0 and kind not in ("attribute", "element") else None
    if value is not None and kind == "type":
        reason = f"{value!r} is not a valid {_type_name(error.validator)}" + (
            "" if "literal" in reason else f": {reason}")  # drop Python's int()/Decimal() wording
    elif value is not None:
        reason = f"{reason} (got {value!r})"
    return Problem(element_path(elem, root), elem.sourceline, f"XSD.{kind}", reason)


def _explain_children(error: XMLSchemaChildrenValidationError, parent: etree._Element,
                      root: etree._Element, reason: str) -> Problem:
    """Content-model errors: a required child is missing, one is repeated, or one is unknown here."""
    child = error.invalid_child if isinstance(error.invalid_child, etree._Element) else None
    particle = error.particle
    expected = [p for p in (error.expected or []) if getattr(p, "name", None)]
    group = error.validator
    known = {e.name for e in group.iter_elements()} if isinstance(group, XsdGroup) else set()
    parent_path = element_path(parent, root)
    repeated = child is not None and any(s.tag == child.tag for s in child.itersiblings(preceding=True))
    if child is not None and (repeated or child.tag == getattr(particle, "name", None)):
        return Problem(element_path(child, root), child.sourceline, "XSD.maxOccurs", reason)
    if expected and (child is None or child.tag in known):
        # The expected element is missing: point at where it belongs (the next child, or the parent).
        missing = etree.QName(expected[0].name).localname
        line = child.sourceline if child is not None else parent.sourceline
        return Problem(f"{parent_path}/{missing}", line, "XSD.minOccurs", reason)
    if child is not None:
        return Problem(element_path(child, root), child.sourceline, "XSD.content", reason)
    return Problem(parent_path, parent.sourceline, "XSD.content", reason)


def _kind(validator: object) -> str:
    """Short stable name of the XSD component that failed: XsdPatternFacets -> pattern, ..."""
    if inspect.isfunction(validator):  # builtin checks such as "positiveInteger must be > 0"
        return "type"
    name = type(validator).__name__
    if name.endswith(("Facet", "Facets")):
        core = name.removeprefix("Xsd").removesuffix("s").removesuffix("Facet")
        return core[:1].lower() + core[1:]
    if name.startswith(("XsdAtomic", "XsdList", "XsdUnion", "XsdSimpleType")):
        return "type"
    if name.startswith(("XsdAttribute", "XsdAnyAttribute")):
        return "attribute"
    if name in ("XsdGroup", "XsdComplexType", "XsdAnyElement"):
        return "content"
    if name == "XsdElement":
        return "element"
    return "invalid"


def _type_name(validator: object) -> str:
    """'date', 'decimal', 'positiveInteger' ... for type errors (the builtin behind the value)."""
    for candidate in (validator, getattr(validator, "primitive_type", None)):
        local = getattr(candidate, "local_name", None)
        if local and getattr(candidate, "target_namespace", "") == "http://www.w3.org/2001/XMLSchema":
            return f"xs:{local}"
    return "value"


def _from_lxml(entry: etree._LogEntry) -> Problem:
    return Problem(entry.path or "/", entry.line or None, "XSD.invalid", _clean(entry.message))
