"""Type-specific rules of GACC certificates (seed 001 ch. 4 §1.1-§1.30, DOMAIN.md).

``TYPE_RULES`` maps every certificate type to the rules ``certificate_rules.check_certificate``
runs after the common ones; ``TYPE_RULE_TEXTS`` describes every rule id raised here.

How the seed's sections were read (each section says where its "basic information" (基本信息) and
"goods special fields" (货物信息特殊字段) come from):

- basic information as Korea §1.3 (K, P, R, H, A, L, N, AP, GE): the destination is filled in by the
  system with the partner country (``DESTINATIONS``) and the producer description is written in
  English (not for H, which is printed in Chinese). The producer-confidential rule
  (AVAILABLE UPON REQUEST) is common to every type (certificate_rules.producer_confidential).
- goods special fields as Korea §1.3 ("如未勾选非货物项，货物信息中各字段需要如实填写"): the origin
  criterion is required on every goods line that is not a non-goods item. Where DOMAIN.md knows the
  agreement's list (E, G, RC, A, F, K, H, GE) the value must come from it; for the other
  preferential types (B, P, R, L, X, N, I, S, MU, EC) any criterion the schema accepts will do
  (*assumed*: the seed gives no list). The non-preferential types that point at §1.3 (T, TR, PR, M,
  AP) print no origin criterion, so none is required (*assumed*).
- goods special fields as general §1.1 (C, AD): no origin criterion.
- CA, NI and SE say nothing about goods fields, and HD, MV, CG have no section: no origin rule.
- the China-ASEAN movement certificate (流动证明 §1.24, type code ``EM``, *assumed*) and the RCEP
  back-to-back certificate (§1.26, RC with ``BackToBackFlag`` 1) build each goods line from the
  imported goods' original proof of origin (进境货物原产地信息: number, origin country, HS code).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import partial
from types import MappingProxyType

from gateway.domain.certificate_rules import (
    CENT,
    INVOICE_LIST,
    NONPARTY_LIST,
    PERCENT,
    Certificate,
    Rule,
    goods_path,
    head_path,
    invoice_path,
    is_non_goods,
    nonparty_path,
    plain,
    ratio_of,
    text_of,
    violation,
)
from gateway.domain.identifiers import hs_code_is_valid
from gateway.domain.violations import Violation

# ---------------------------------------------------------------------------------------------
# reference tables

#: ASEAN members (the Form E issuing countries listed in seed 001 §1.4), ISO alpha-3.
ASEAN = frozenset({"BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM"})
#: RCEP parties.
RCEP = ASEAN | {"CHN", "JPN", "KOR", "AUS", "NZL"}

#: Allowed destination countries per type. K (§1.3) and the types whose basic information follows
#: §1.3 get their partner filled in by the system; AD names its country; E, EM and RC go to a party
#: of the agreement. Partner codes other than KOR are *assumed* (ISO alpha-3; TWN for ECFA).
DESTINATIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "K": frozenset({"KOR"}),
        "P": frozenset({"PAK"}),
        "R": frozenset({"PER"}),
        "H": frozenset({"TWN"}),
        "A": frozenset({"AUS"}),
        "L": frozenset({"CRI"}),
        "N": frozenset({"NZL"}),
        "AP": frozenset({"PAK"}),
        "GE": frozenset({"GEO"}),
        "AD": frozenset({"MEX"}),
        "E": ASEAN,
        "EM": ASEAN,
        "RC": RCEP - {"CHN"},
    }
)

#: Types whose producer description is written in English (§1.3 生产商描述); H prints in Chinese.
ENGLISH_PRODUCER_TYPES = frozenset({"K", "P", "R", "A", "L", "N", "AP", "GE"})

#: Allowed OriCriteria per certificate type. A set: the value must be one of it ("" in the set means
#: "may be left empty", otherwise required). None: required, any value the schema accepts.
ORIGIN_CRITERIA: Mapping[str, frozenset[str] | None] = MappingProxyType(
    {
        "E": frozenset({"WO", "PE", "PSR", "CTH", ""}),
        "EM": frozenset({"WO", "PE", "PSR", "CTH", ""}),
        "G": frozenset({"P", "W", "F", "Y", "PK"}),
        "RC": frozenset({"WO", "PE", "CTC", "RVC", "CR"}),
        "A": frozenset({"WO", "WP", "PSR"}),
        "F": frozenset({"WO", "WP", "PSR"}),
        "K": frozenset({"WO", "WP", "PSR", "OP"}),
        "H": frozenset({"WO", "WP", "PSR", "PSR ACU", "PSR DMI", "PSR FG"}),
        "GE": frozenset({"WO", "WP", "40%", "PSR"}),
        **dict.fromkeys(("B", "P", "R", "L", "X", "N", "I", "S", "MU", "EC"), None),
    }
)
#: Types without origin criterion (goods fields as the general certificate §1.1).
NO_CRITERION_TYPES = ("C", "AD")

#: Head fields the cross-strait certificate requires (§1.9, yellow fields).
ECFA_REQUIRED = ("ExporterTel", "ExporterFax", "ExporterEmail", "ExpDeclDate", "ConsigneeTel")

# ---------------------------------------------------------------------------------------------
# origin criteria


def criteria_allowed(cert_type: str, allowed: frozenset[str] | None) -> Rule:
    """Rule: OriCriteria is one of ``allowed``; required on goods lines unless "" is allowed."""
    shown = "" if allowed is None else ", ".join(sorted(a for a in allowed if a))
    shown += " or empty" if allowed and "" in allowed else ""

    def rule(c: Certificate) -> Iterator[Violation]:
        for i, line in c.lines():
            crit = text_of(line, "OriCriteria")
            path = goods_path(i, "OriCriteria")
            if not crit:
                if (allowed is None or "" not in allowed) and not is_non_goods(line):
                    needed = f" ({shown})" if shown else ""
                    yield violation(f"ORIGIN.{cert_type}.REQUIRED", path, f"origin criterion is required{needed}")
            elif allowed is not None and crit not in allowed:
                yield violation(
                    f"ORIGIN.{cert_type}.ALLOWED",
                    path,
                    f"origin criterion {crit!r} is not allowed for type {cert_type} ({shown})",
                )

    rule.__name__ = f"criteria_allowed_{cert_type}"
    return rule


def no_criterion(cert_type: str) -> Rule:
    """Rule: the type carries no origin criterion (C, and AD whose goods fields are as C)."""
    what = "a general certificate (C)" if cert_type == "C" else f"a type {cert_type} certificate"

    def rule(c: Certificate) -> Iterator[Violation]:
        for i, line in c.lines():
            crit = text_of(line, "OriCriteria")
            if crit:
                yield violation(
                    f"ORIGIN.{cert_type}.NONE_ALLOWED",
                    goods_path(i, "OriCriteria"),
                    f"{what} has no origin criterion, got {crit!r}",
                )

    rule.__name__ = f"no_criterion_{cert_type}"
    return rule


def form_e_origin(c: Certificate) -> Iterator[Violation]:
    """Seed 001 §1.4: sub-criterion, auxiliary item and import ratio for each Form E criterion."""
    for i, line in c.lines():
        crit = text_of(line, "OriCriteria")
        sub = text_of(line, "OriCriteriaSub")
        ref = text_of(line, "OriCriteriaRef")
        ratio_text, ratio = ratio_of(line)
        ratio_bad = bool(ratio_text) and ratio is None  # reported by FIELD.DECIMAL.INVALID
        at = partial(goods_path, i)
        allowed = ORIGIN_CRITERIA["E"] or frozenset()
        if crit not in allowed or (not crit and is_non_goods(line)):
            continue
        if sub and crit != "PSR":
            yield violation(
                "ORIGIN.E.SUB_NOT_ALLOWED", at("OriCriteriaSub"), "only criterion PSR takes a sub-criterion"
            )
        if crit in ("WO", "PE"):
            if ref:
                yield violation(
                    "ORIGIN.E.WO_PE_AUX_EMPTY",
                    at("OriCriteriaRef"),
                    f"criterion {crit} leaves the auxiliary item empty",
                )
            if ratio is not None and ratio != 0:
                yield violation(
                    "ORIGIN.E.WO_PE_RATIO_ZERO", at("ICompPrpr"), f"criterion {crit} needs import content ratio 0"
                )
        elif crit in ("PSR", "CTH"):
            if crit == "PSR" and not sub:
                yield violation(
                    "ORIGIN.E.PSR_SUB_REQUIRED",
                    at("OriCriteriaSub"),
                    "criterion PSR needs a sub-criterion: 1 (RVC 40), 2 (CTC) or 3 (process rule)",
                )
            elif crit == "PSR" and sub not in ("1", "2", "3"):
                yield violation(
                    "ORIGIN.E.PSR_SUB_INVALID",
                    at("OriCriteriaSub"),
                    f"PSR sub-criterion must be 1 (RVC 40), 2 (CTC) or 3 (process rule), got {sub!r}",
                )
            if ref:
                yield violation(
                    f"ORIGIN.E.{crit}_AUX_EMPTY",
                    at("OriCriteriaRef"),
                    f"criterion {crit} leaves the auxiliary item empty",
                )
            if not ratio_bad and (ratio is None or ratio <= 0):
                yield violation(
                    f"ORIGIN.E.{crit}_RATIO_POSITIVE",
                    at("ICompPrpr"),
                    f"criterion {crit} needs an import content ratio > 0",
                )
        else:  # empty criterion: HS in neither the PSR list nor the CTH range
            yield from _form_e_empty(at, ratio_text, ratio, ref)


def _form_e_empty(at: partial[str], ratio_text: str, ratio: Decimal | None, ref: str) -> Iterator[Violation]:
    if not ratio_text:
        yield violation(
            "ORIGIN.E.EMPTY_RATIO_REQUIRED",
            at("ICompPrpr"),
            "without an origin criterion the import content ratio is required",
        )
    if ratio is None:
        return
    if ratio > 60:
        yield violation(
            "ORIGIN.E.EMPTY_RATIO_MAX_60",
            at("ICompPrpr"),
            f"without an origin criterion the import content ratio may not exceed 60%, got {plain(ratio)}%",
        )
    if ratio <= 100:
        expected = 100 - ratio
        match = PERCENT.fullmatch(ref)
        if match is None or abs(Decimal(match.group(1)) - expected) > CENT:
            yield violation(
                "ORIGIN.E.EMPTY_AUX_FORMULA",
                at("OriCriteriaRef"),
                f"without an origin criterion the auxiliary item is (100 - ratio)%: "
                f"expected {plain(expected)}%, got {ref!r}",
            )


def gsp_origin(c: Certificate) -> Iterator[Violation]:
    """Type G: W takes the HS heading as XX.XX; F and Y cap the import content."""
    for i, line in c.lines():
        crit = text_of(line, "OriCriteria")
        _, ratio = ratio_of(line)
        if crit == "W":
            hs = text_of(line, "HSCode")
            ref = text_of(line, "OriCriteriaRef")
            if hs_code_is_valid(hs) and ref != f"{hs[:2]}.{hs[2:4]}":
                yield violation(
                    "ORIGIN.G.W_REF_HS4",
                    goods_path(i, "OriCriteriaRef"),
                    f"criterion W takes the first four HS digits as the auxiliary item: "
                    f"expected {hs[:2]}.{hs[2:4]}, got {ref!r}",
                )
        elif crit == "F" and ratio is not None and ratio > 40:
            yield violation(
                "ORIGIN.G.F_RATIO_MAX_40",
                goods_path(i, "ICompPrpr"),
                f"criterion F allows at most 40% imported content, got {plain(ratio)}%",
            )
        elif crit == "Y" and ratio is not None and ratio > 50:
            yield violation(
                "ORIGIN.G.Y_RATIO_MAX_50",
                goods_path(i, "ICompPrpr"),
                f"criterion Y allows at most 50% imported content, got {plain(ratio)}%",
            )


# ---------------------------------------------------------------------------------------------
# basic information


def destination(c: Certificate) -> Iterator[Violation]:
    """DestCountryCode: the partner country the system fills in, or a party of the agreement."""
    allowed = DESTINATIONS.get(c.cert_type)
    dest = c.h("DestCountryCode")
    if allowed is None or dest in allowed:
        return
    if len(allowed) == 1:
        expected = f"the destination is fixed to {next(iter(allowed))}"
    else:
        expected = f"the destination is a party of the agreement ({', '.join(sorted(allowed))})"
    yield violation(
        "CERT.DEST_COUNTRY.NOT_ALLOWED",
        head_path("DestCountryCode"),
        f"for type {c.cert_type} {expected}, got {dest!r}",
    )


def producer_english(c: Certificate) -> Iterator[Violation]:
    """§1.3 生产商描述: written in English."""
    producer = c.h("Producer")
    if producer and not producer.isascii():
        yield violation(
            "CERT.PRODUCER.ENGLISH",
            head_path("Producer"),
            f"type {c.cert_type} takes the producer description in English (no Chinese or other non-ASCII text)",
        )


def form_e_exhibition(c: Certificate) -> Iterator[Violation]:
    if c.h("ExhibitFlag") == "1" and not c.h("Consignee"):
        yield violation(
            "FORM_E.EXHIBIT_CONSIGNEE_REQUIRED",
            head_path("Consignee"),
            "an exhibition certificate carries the exhibition name and address in the consignee",
        )


def form_e_third_party(c: Certificate) -> Iterator[Violation]:
    third_party = c.h("ThirdPartyInvFlag") == "1"
    if third_party and not c.nonparty:
        yield violation(
            "FORM_E.THIRD_PARTY_NONPARTY_REQUIRED",
            NONPARTY_LIST,
            "a third-party invoice needs at least one non-party company (name, country)",
        )
    if not third_party and c.nonparty:
        yield violation(
            "FORM_E.NONPARTY_WITHOUT_THIRD_PARTY",
            NONPARTY_LIST,
            "non-party companies are given only with a third-party invoice (ThirdPartyInvFlag = 1)",
        )
    for i, corp in enumerate(c.nonparty, start=1):
        if not text_of(corp, "EntName"):
            yield violation(
                "FORM_E.NONPARTY_NAME_REQUIRED", nonparty_path(i, "EntName"), "non-party company name is required"
            )
        if not (text_of(corp, "EntCountryCode") or text_of(corp, "EntCountryName")):
            yield violation(
                "FORM_E.NONPARTY_COUNTRY_REQUIRED",
                nonparty_path(i, "EntCountryCode"),
                "non-party company country is required",
            )


def ecfa_fields(c: Certificate) -> Iterator[Violation]:
    """§1.9: exporter phone, fax, e-mail, export declaration date and importer phone."""
    for name in ECFA_REQUIRED:
        if not c.h(name):
            yield violation("ECFA.FIELD.REQUIRED", head_path(name), f"a cross-strait (H) certificate needs {name}")


def origin_country_required(c: Certificate) -> Iterator[Violation]:
    """Types TR and PR: the origin country code (§1.17, §1.18)."""
    if not c.h("OriCountryCode"):
        yield violation(
            "CERT.ORIGIN_COUNTRY.REQUIRED",
            head_path("OriCountryCode"),
            f"origin country is required for type {c.cert_type}",
        )


def origin_country_foreign(c: Certificate) -> Iterator[Violation]:
    """Type TR certifies foreign goods re-exported through China (§1.17: 证明货物系他国原产)."""
    if c.h("OriCountryCode") == "CHN":
        yield violation(
            "CERT.ORIGIN_COUNTRY.NOT_FOREIGN",
            head_path("OriCountryCode"),
            "a re-export certificate (TR) is for goods of another country's origin, not CHN",
        )


def third_party_producer(c: Certificate) -> Iterator[Violation]:
    """Types EC and SE (§1.29, §1.30): non-party companies need the producer description."""
    if (c.h("ThirdPartyInvFlag") == "1" or c.nonparty) and not c.h("Producer"):
        yield violation(
            "CERT.PRODUCER.THIRD_PARTY_REQUIRED",
            head_path("Producer"),
            "with a third-party invoice / non-party company the producer description is required",
        )


def weights_required(c: Certificate) -> Iterator[Violation]:
    """Types T and M: gross weight, net weight and weight unit on every goods line."""
    for i, line in c.lines():
        if is_non_goods(line):
            continue
        for name in ("GrossWt", "NetWt", "WtUnit"):
            if not text_of(line, name):
                yield violation(
                    "GOODS.WEIGHT.REQUIRED", goods_path(i, name), f"{name} is required for type {c.cert_type}"
                )


# ---------------------------------------------------------------------------------------------
# RCEP (§1.25) and RCEP back-to-back (§1.26)


def rcep_rvc_ratio(c: Certificate) -> Iterator[Violation]:
    for i, line in c.lines():
        if text_of(line, "OriCriteria") == "RVC" and not text_of(line, "ICompPrpr"):
            yield violation(
                "ORIGIN.RC.RVC_RATIO_REQUIRED",
                goods_path(i, "ICompPrpr"),
                "criterion RVC needs the import content ratio",
            )


def rcep_invoices(c: Certificate) -> Iterator[Violation]:
    """RCEP: an invoice list with one price clause (default FOB); goods pick a listed invoice."""
    goods_lines = [(i, line) for i, line in c.lines() if not is_non_goods(line)]
    if goods_lines and not c.invoices:
        yield violation("RCEP.INVOICE.REQUIRED", INVOICE_LIST, "an RCEP certificate needs its invoice list")
    clauses = [text_of(inv, "PriceClause") or "FOB" for inv in c.invoices]
    for i, clause in enumerate(clauses[1:], start=2):
        if clause != clauses[0]:
            yield violation(
                "RCEP.INVOICE.PRICE_CLAUSE_SAME",
                invoice_path(i, "PriceClause"),
                f"all invoices of one certificate use the same price clause: {clauses[0]!r}, got {clause!r}",
            )
    known = {text_of(inv, "InvNo") for inv in c.invoices}
    for i, line in goods_lines:
        inv_no = text_of(line, "InvNo")
        if not inv_no:
            yield violation("RCEP.GOODS.INVOICE_REQUIRED", goods_path(i, "InvNo"), "goods line needs an invoice number")
        elif c.invoices and inv_no not in known:
            yield violation(
                "RCEP.GOODS.INVOICE_UNKNOWN",
                goods_path(i, "InvNo"),
                f"invoice number {inv_no!r} is not in the certificate's invoice list",
            )


def rcep_back_to_back(c: Certificate) -> Iterator[Violation]:
    """§1.26: first RCEP origin country and the scanned original certificate (a required attachment).

    The attachment travels as its own CO_ATTACHMENT message; the certificate names its file
    (``OriProofFileName``), which must be a PDF. The approved-exporter number is optional (only an
    original declaration by an approved exporter has one).
    """
    if not c.back_to_back:
        return
    first = c.h("FirstRcepCountryCode")
    if not first:
        yield violation(
            "RCEP.B2B.FIRST_COUNTRY_REQUIRED",
            head_path("FirstRcepCountryCode"),
            "a back-to-back certificate names the RCEP origin country of the first export",
        )
    elif first not in RCEP - {"CHN"}:
        yield violation(
            "RCEP.B2B.FIRST_COUNTRY_NOT_RCEP",
            head_path("FirstRcepCountryCode"),
            f"the first exporting party is an RCEP party other than China, got {first!r}",
        )
    file_name = c.h("OriProofFileName")
    if not file_name:
        yield violation(
            "RCEP.B2B.ATTACHMENT_REQUIRED",
            head_path("OriProofFileName"),
            "a back-to-back certificate needs the scanned original certificate as an attachment (its PDF file name)",
        )
    elif not file_name.lower().endswith(".pdf"):
        yield violation(
            "RCEP.B2B.ATTACHMENT_NOT_PDF",
            head_path("OriProofFileName"),
            f"attachments are PDF files (name ending .pdf), got {file_name!r}",
        )


def original_proof(members: frozenset[str], agreement: str) -> Rule:
    """Rule: every goods line names the original proof of origin it was taken from."""

    def rule(c: Certificate) -> Iterator[Violation]:
        if c.cert_type == "RC" and not c.back_to_back:
            return
        for i, line in c.lines():
            if is_non_goods(line):
                continue
            for name, rule_id, what in (
                ("OriProofNo", "ORIPROOF.NO_REQUIRED", "number"),
                ("OriProofCountryCode", "ORIPROOF.COUNTRY_REQUIRED", "origin country"),
                ("OriProofHSCode", "ORIPROOF.HS_REQUIRED", "HS code"),
            ):
                if not text_of(line, name):
                    yield violation(
                        rule_id, goods_path(i, name), f"goods line needs the original proof of origin's {what}"
                    )
            country = text_of(line, "OriProofCountryCode")
            if country and country not in members:
                yield violation(
                    "ORIPROOF.COUNTRY_NOT_MEMBER",
                    goods_path(i, "OriProofCountryCode"),
                    f"the original proof of origin comes from a {agreement} party other than China "
                    f"({', '.join(sorted(members))}), got {country!r}",
                )

    rule.__name__ = f"original_proof_{agreement}"
    return rule


# ---------------------------------------------------------------------------------------------
# registry


def _criteria(cert_type: str) -> Rule:
    return criteria_allowed(cert_type, ORIGIN_CRITERIA[cert_type])


_ENGLISH = (producer_english,)

#: Rules per certificate type, run after certificate_rules.COMMON_RULES. Every type is listed.
TYPE_RULES: Mapping[str, tuple[Rule, ...]] = MappingProxyType(
    {
        "C": (no_criterion("C"),),
        "G": (_criteria("G"), gsp_origin),
        "B": (_criteria("B"),),
        "E": (_criteria("E"), form_e_origin, destination, form_e_exhibition, form_e_third_party),
        "F": (_criteria("F"),),
        "M": (weights_required,),
        "P": (_criteria("P"), destination, *_ENGLISH),
        "T": (weights_required,),
        "N": (_criteria("N"), destination, *_ENGLISH),
        "X": (_criteria("X"),),
        "R": (_criteria("R"), destination, *_ENGLISH),
        "H": (_criteria("H"), destination, ecfa_fields),
        "L": (_criteria("L"), destination, *_ENGLISH),
        "I": (_criteria("I"),),
        "S": (_criteria("S"),),
        "PR": (origin_country_required,),
        "TR": (origin_country_required, origin_country_foreign),
        "A": (_criteria("A"), destination, *_ENGLISH),
        "K": (_criteria("K"), destination, *_ENGLISH),
        "AD": (no_criterion("AD"), destination),
        "AP": (destination, *_ENGLISH),
        "GE": (_criteria("GE"), destination, *_ENGLISH),
        "MU": (_criteria("MU"),),
        "CA": (),
        "RC": (
            _criteria("RC"),
            rcep_rvc_ratio,
            destination,
            rcep_invoices,
            rcep_back_to_back,
            original_proof(RCEP - {"CHN"}, "RCEP"),
        ),
        "NI": (),
        "EC": (_criteria("EC"), third_party_producer),
        "SE": (third_party_producer,),
        "HD": (),
        "MV": (),
        "CG": (),
        "EM": (_criteria("EM"), destination, original_proof(ASEAN, "ASEAN")),
    }
)

_TEXTS = {
    "ORIGIN.E.SUB_NOT_ALLOWED": "Form E: sub-criterion on a criterion other than PSR",
    "ORIGIN.E.WO_PE_AUX_EMPTY": "Form E WO/PE: auxiliary item must be empty",
    "ORIGIN.E.WO_PE_RATIO_ZERO": "Form E WO/PE: import content ratio must be 0",
    "ORIGIN.E.PSR_SUB_REQUIRED": "Form E PSR: sub-criterion missing",
    "ORIGIN.E.PSR_SUB_INVALID": "Form E PSR: sub-criterion not 1 (RVC40), 2 (CTC) or 3 (process rule)",
    "ORIGIN.E.PSR_AUX_EMPTY": "Form E PSR: auxiliary item must be empty",
    "ORIGIN.E.PSR_RATIO_POSITIVE": "Form E PSR: import content ratio must be > 0",
    "ORIGIN.E.CTH_AUX_EMPTY": "Form E CTH: auxiliary item must be empty",
    "ORIGIN.E.CTH_RATIO_POSITIVE": "Form E CTH: import content ratio must be > 0",
    "ORIGIN.E.EMPTY_RATIO_REQUIRED": "Form E, empty criterion: import content ratio missing",
    "ORIGIN.E.EMPTY_RATIO_MAX_60": "Form E, empty criterion: import content ratio above 60%",
    "ORIGIN.E.EMPTY_AUX_FORMULA": "Form E, empty criterion: auxiliary item is not (100 - ratio)%",
    "FORM_E.THIRD_PARTY_NONPARTY_REQUIRED": "Form E third-party invoice without a non-party company",
    "FORM_E.NONPARTY_WITHOUT_THIRD_PARTY": "Form E non-party companies without the third-party invoice flag",
    "ORIGIN.G.W_REF_HS4": "GSP criterion W: auxiliary item is not the HS heading XX.XX",
    "ORIGIN.G.F_RATIO_MAX_40": "GSP criterion F: import content ratio above 40%",
    "ORIGIN.G.Y_RATIO_MAX_50": "GSP criterion Y: import content ratio above 50%",
    "ORIGIN.RC.RVC_RATIO_REQUIRED": "RCEP criterion RVC without import content ratio",
    "RCEP.INVOICE.REQUIRED": "RCEP goods lines but no invoice list",
    "RCEP.INVOICE.PRICE_CLAUSE_SAME": "RCEP invoice price clause differs from the first invoice's (default FOB)",
    "RCEP.GOODS.INVOICE_REQUIRED": "RCEP goods line without invoice number",
    "RCEP.GOODS.INVOICE_UNKNOWN": "RCEP goods line invoice number not in the invoice list",
    "RCEP.B2B.FIRST_COUNTRY_REQUIRED": "RCEP back-to-back without FirstRcepCountryCode",
    "RCEP.B2B.FIRST_COUNTRY_NOT_RCEP": "RCEP back-to-back FirstRcepCountryCode is not an RCEP party other than CHN",
    "RCEP.B2B.ATTACHMENT_REQUIRED": "RCEP back-to-back without the scanned original certificate (OriProofFileName)",
    "RCEP.B2B.ATTACHMENT_NOT_PDF": "RCEP back-to-back OriProofFileName does not end in .pdf",
    "ORIPROOF.NO_REQUIRED": "RC back-to-back / EM goods line without OriProofNo",
    "ORIPROOF.COUNTRY_REQUIRED": "RC back-to-back / EM goods line without OriProofCountryCode",
    "ORIPROOF.HS_REQUIRED": "RC back-to-back / EM goods line without OriProofHSCode",
    "ORIPROOF.COUNTRY_NOT_MEMBER": "OriProofCountryCode not an RCEP (RC) / ASEAN (EM) party other than CHN",
    "CERT.DEST_COUNTRY.NOT_ALLOWED": "DestCountryCode is not the type's fixed partner or a party of its agreement",
    "CERT.PRODUCER.ENGLISH": "types K, P, R, A, L, N, AP, GE: producer description not in English (non-ASCII)",
    "ECFA.FIELD.REQUIRED": "type H without ExporterTel, ExporterFax, ExporterEmail, ExpDeclDate or ConsigneeTel",
    "GOODS.WEIGHT.REQUIRED": "types T, M: goods line without GrossWt, NetWt or WtUnit",
    "CERT.ORIGIN_COUNTRY.REQUIRED": "types TR, PR: OriCountryCode missing",
    "CERT.ORIGIN_COUNTRY.NOT_FOREIGN": "type TR: OriCountryCode is CHN",
    "CERT.PRODUCER.THIRD_PARTY_REQUIRED": "types EC, SE: third-party invoice / non-party company without producer",
}

#: Every rule id raised by this module (schema guards excepted), with its meaning.
TYPE_RULE_TEXTS: Mapping[str, str] = MappingProxyType(
    {
        **_TEXTS,
        **{f"ORIGIN.{t}.NONE_ALLOWED": f"type {t}: a goods line has an origin criterion" for t in NO_CRITERION_TYPES},
        **{
            f"ORIGIN.{t}.ALLOWED": f"type {t}: origin criterion not in {sorted(a)}"
            for t, a in ORIGIN_CRITERIA.items()
            if a is not None
        },
        **{
            f"ORIGIN.{t}.REQUIRED": f"type {t}: goods line without origin criterion"
            for t, a in ORIGIN_CRITERIA.items()
            if a is None or "" not in a
        },
    }
)

#: Type rules whose condition the XSD already enforces on documents (Consignee, EntName and
#: EntCountryCode are required elements): only plain data that skipped the schema trips them.
TYPE_SCHEMA_GUARD_RULES: Mapping[str, str] = MappingProxyType(
    {
        "FORM_E.EXHIBIT_CONSIGNEE_REQUIRED": "Form E exhibition certificate without consignee (exhibition name)",
        "FORM_E.NONPARTY_NAME_REQUIRED": "non-party company without name",
        "FORM_E.NONPARTY_COUNTRY_REQUIRED": "non-party company without country",
    }
)
