"""GACC certificate family: type-specific rules (certificate_types), amendment / reissue and
special-field rules (certificate_rules), on plain data; plus the rule catalogues and the samples.

The common and original rules have their cases in test_domain_certificate_rules.py; together the two
files cover every rule id (checked at the end).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.domain.certificate_rules import (
    ALL_RULES,
    KNOWN_TYPE_CODES,
    RULES,
    SCHEMA_GUARD_RULES,
    check_certificate,
    parse_certificate_number,
)
from gateway.domain.certificate_types import DESTINATIONS, TYPE_RULES, TYPE_SCHEMA_GUARD_RULES
from gateway.domain.families import gacc_certificate, registry
from gateway.domain.violations import Violation
from tests.unit.test_domain_certificate_rules import CASES as BASE_CASES
from tests.unit.test_domain_certificate_rules import DEST, Mutation, both, drop, goods, head, line, make, setkey

HEAD = "/Certificate/CertificateHead"
MOD = "/Certificate/ModCertificate"
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "families" / "gacc_certificate"

ECFA = {
    "ExporterTel": "0592-5551234",
    "ExporterFax": "0592-5551235",
    "ExporterEmail": "export@xmdemo.com.cn",
    "ExpDeclDate": "2026-11-26",
    "ConsigneeTel": "+886 2 2723 8899",
}
PROOF = {"OriProofNo": "RCEP-TH-2026-0088123", "OriProofCountryCode": "THA", "OriProofHSCode": "401519"}
#: A criterion each type accepts ("" = the type has none).
CRITERION = {
    "C": "", "AD": "", "G": "P", "E": "WO", "EM": "WO", "RC": "WO", "A": "WP", "F": "WP", "K": "WP", "H": "WP",
    "GE": "40%", "B": "A", "P": "PSR", "R": "WP", "L": "WP", "X": "WO", "N": "WP", "I": "WP", "S": "WP",
    "MU": "WP", "EC": "PSR",
}  # fmt: skip


def minimal(cert_type: str) -> dict[str, Any]:
    """A violation-free certificate of any known type with one goods line."""
    ln: dict[str, str] = {"FOBValue": "100", "GrossWt": "12", "NetWt": "10", "WtUnit": "KG"}
    crit = CRITERION.get(cert_type, "")
    if crit:
        ln["OriCriteria"] = crit
    extra: dict[str, str] = {}
    if cert_type == "E":
        ln["ICompPrpr"] = "0"
    if cert_type in ("EM",):
        ln.update(PROOF, OriProofCountryCode="THA")
    if cert_type == "RC":
        ln["InvNo"] = "INV-1"
    if cert_type in ("TR", "PR"):
        extra["OriCountryCode"] = "JPN"
    if cert_type == "H":
        extra.update(ECFA)
    data = make(cert_type, [ln], **extra)
    if cert_type == "RC":
        data["invoices"] = [
            {"InvNo": "INV-1", "Value": "100", "Curr": "USD", "PriceClause": "FOB", "InvDate": "2026-11-20"}
        ]
    return data


def back_to_back() -> dict[str, Any]:
    data = minimal("RC")
    data["head"].update(
        BackToBackFlag="1",
        ApprovedExporterNo="TH-AE-0456",
        FirstRcepCountryCode="THA",
        OriProofFileName="RCEP-TH-2026-0088123.pdf",
        DestCountryCode="KOR",
    )
    data["goods"][0].update(PROOF)
    return data


def amended(status: str = "1") -> dict[str, Any]:
    data = minimal("C")
    data["head"]["CertStatus"] = status
    data["mod"] = {
        "OldCertNo": "C254565009990007",
        "ModReason": "CONSIGNEE ADDRESS CHANGED",
        "ModColm": "2",
        "OldSituDesc": "1100 OCEAN BLVD",
        "ModSituDesc": "2200 HARBOR BLVD",
        "OldDeclDate": "2025-12-01",
        "OldIssueDate": "2025-12-02",
    }
    return data


def reissued() -> dict[str, Any]:
    data = amended("2")
    for name in ("ModColm", "OldSituDesc", "ModSituDesc"):
        del data["mod"][name]
    return data


BASES: dict[str, Callable[[], dict[str, Any]]] = {
    **{t: (lambda t=t: minimal(t)) for t in KNOWN_TYPE_CODES},  # type: ignore[misc]
    "RC-B2B": back_to_back,
    "C-AMENDED": amended,
    "C-AMENDED-REISSUED": lambda: amended("3"),
    "C-REISSUED": reissued,
}


def mod(**fields: str | None) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        for k, v in fields.items():
            if v is None:
                d["mod"].pop(k, None)
            else:
                d["mod"][k] = v

    return mutate


def unset(*names: str) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        for name in names:
            d["head"].pop(name, None)

    return mutate


CASES: list[tuple[str, str, Mutation, list[tuple[str, str]]]] = [
    # --- amendment / reissue (seed 001 ch. 5)
    ("mod-on-new", "C-AMENDED", head(CertStatus="0"), [("CERT.MOD.NOT_EXPECTED", MOD)]),
    ("mod-old-format", "C-AMENDED", mod(OldCertNo="C2501"), [("CERT.MOD.OLD_CERT_FORMAT", f"{MOD}/OldCertNo")]),
    (
        "mod-old-type",
        "C-AMENDED",
        mod(OldCertNo="E254565009990007"),
        [("CERT.MOD.OLD_CERT_TYPE", f"{MOD}/OldCertNo")],
    ),
    (
        "mod-change-fields",
        "C-AMENDED",
        mod(ModColm=None, OldSituDesc="", ModSituDesc=None),
        [
            ("CERT.MOD.CHANGE_REQUIRED", f"{MOD}/ModColm"),
            ("CERT.MOD.CHANGE_REQUIRED", f"{MOD}/OldSituDesc"),
            ("CERT.MOD.CHANGE_REQUIRED", f"{MOD}/ModSituDesc"),
        ],
    ),
    (
        "mod-change-fields-amend-reissue",
        "C-AMENDED-REISSUED",
        mod(ModColm=None),
        [("CERT.MOD.CHANGE_REQUIRED", f"{MOD}/ModColm")],
    ),
    ("reissue-needs-no-change-fields", "C-REISSUED", lambda d: None, []),
    (
        "mod-issue-date",
        "C-REISSUED",
        mod(OldIssueDate=None),
        [("CERT.MOD.OLD_ISSUE_DATE_REQUIRED", f"{MOD}/OldIssueDate")],
    ),
    ("mod-date-order", "C-AMENDED", mod(OldDeclDate="2025-12-03"), [("CERT.MOD.DATE_ORDER", f"{MOD}/OldIssueDate")]),
    ("mod-same-day", "C-AMENDED", mod(OldDeclDate="2025-12-02"), []),
    ("mod-decl-date-optional", "C-AMENDED", mod(OldDeclDate=None), []),
    # --- goods weights
    ("net-gt-gross", "C", line(1, NetWt="12.001"), [("GOODS.WEIGHT.NET_EXCEEDS_GROSS", goods(1, "NetWt"))]),
    ("net-eq-gross", "C", line(1, NetWt="12"), []),
    # --- producer confidential (any type) and English producer (§1.3 types)
    (
        "confidential-named",
        "K",
        head(ProducerSertFlag="1", Producer="DEHUA CERAMICS CO., LTD."),
        [("CERT.PRODUCER.CONFIDENTIAL_TEXT", f"{HEAD}/Producer")],
    ),
    (
        "confidential-empty",
        "C",
        head(ProducerSertFlag="1"),
        [("CERT.PRODUCER.CONFIDENTIAL_TEXT", f"{HEAD}/Producer")],
    ),
    ("confidential-ok", "K", head(ProducerSertFlag="1", Producer=" AVAILABLE  UPON\nREQUEST "), []),
    ("confidential-text-without-flag", "K", head(Producer="AVAILABLE UPON REQUEST"), []),
    ("english-producer", "K", head(Producer="德化陶瓷厂"), [("CERT.PRODUCER.ENGLISH", f"{HEAD}/Producer")]),
    ("english-producer-ge", "GE", head(Producer="TBILISI – DEPOT"), [("CERT.PRODUCER.ENGLISH", f"{HEAD}/Producer")]),
    ("h-producer-chinese-ok", "H", head(Producer="福建安溪铁观音茶业有限公司"), []),
    ("c-producer-chinese-ok", "C", head(Producer="德化陶瓷厂"), []),
    # --- destination
    ("k-to-japan", "K", head(DestCountryCode="JPN"), [("CERT.DEST_COUNTRY.NOT_ALLOWED", f"{HEAD}/DestCountryCode")]),
    ("ap-to-india", "AP", head(DestCountryCode="IND"), [("CERT.DEST_COUNTRY.NOT_ALLOWED", f"{HEAD}/DestCountryCode")]),
    ("ad-to-usa", "AD", head(DestCountryCode="USA"), [("CERT.DEST_COUNTRY.NOT_ALLOWED", f"{HEAD}/DestCountryCode")]),
    ("e-to-usa", "E", head(DestCountryCode="USA"), [("CERT.DEST_COUNTRY.NOT_ALLOWED", f"{HEAD}/DestCountryCode")]),
    ("e-to-laos", "E", head(DestCountryCode="LAO"), []),
    ("em-to-korea", "EM", head(DestCountryCode="KOR"), [("CERT.DEST_COUNTRY.NOT_ALLOWED", f"{HEAD}/DestCountryCode")]),
    ("rc-to-china", "RC", head(DestCountryCode="CHN"), [("CERT.DEST_COUNTRY.NOT_ALLOWED", f"{HEAD}/DestCountryCode")]),
    ("rc-to-nz", "RC", head(DestCountryCode="NZL"), []),
    ("c-anywhere", "C", head(DestCountryCode="BRA"), []),
    ("rc-dest-missing", "RC", unset("DestCountryCode"), [("CERT.DEST_COUNTRY.NOT_ALLOWED", f"{HEAD}/DestCountryCode")]),
    # --- cross-strait contacts (§1.9)
    (
        "h-contacts",
        "H",
        unset("ExporterTel", "ConsigneeTel"),
        [("ECFA.FIELD.REQUIRED", f"{HEAD}/ExporterTel"), ("ECFA.FIELD.REQUIRED", f"{HEAD}/ConsigneeTel")],
    ),
    ("h-decl-date", "H", head(ExpDeclDate=""), [("ECFA.FIELD.REQUIRED", f"{HEAD}/ExpDeclDate")]),
    ("k-needs-no-contacts", "K", lambda d: None, []),
    # --- re-export / processing origin country, EC / SE producer
    (
        "tr-chinese-goods",
        "TR",
        head(OriCountryCode="CHN"),
        [("CERT.ORIGIN_COUNTRY.NOT_FOREIGN", f"{HEAD}/OriCountryCode")],
    ),
    ("pr-chinese-origin-ok", "PR", head(OriCountryCode="CHN"), []),
    (
        "se-nonparty-without-flag",
        "SE",
        setkey("nonparty", [{"SortNo": "1", "EntName": "HK TRADING", "EntCountryCode": "HKG"}]),
        [("CERT.PRODUCER.THIRD_PARTY_REQUIRED", f"{HEAD}/Producer")],
    ),
    (
        "ec-third-party-confidential",
        "EC",
        head(ThirdPartyInvFlag="1", ProducerSertFlag="1", Producer="AVAILABLE UPON REQUEST"),
        [],
    ),
    # --- origin criteria per type
    ("ad-criterion", "AD", line(1, OriCriteria="WO"), [("ORIGIN.AD.NONE_ALLOWED", goods(1, "OriCriteria"))]),
    ("b-required", "B", line(1, OriCriteria=""), [("ORIGIN.B.REQUIRED", goods(1, "OriCriteria"))]),
    ("b-any-code", "B", line(1, OriCriteria="B 45%"), []),
    ("b-non-goods-item", "B", line(1, OriCriteria="", GoodsItemFlag="1"), []),
    ("p-required", "P", drop(1, "OriCriteria"), [("ORIGIN.P.REQUIRED", goods(1, "OriCriteria"))]),
    ("r-required", "R", drop(1, "OriCriteria"), [("ORIGIN.R.REQUIRED", goods(1, "OriCriteria"))]),
    ("l-required", "L", drop(1, "OriCriteria"), [("ORIGIN.L.REQUIRED", goods(1, "OriCriteria"))]),
    ("x-required", "X", drop(1, "OriCriteria"), [("ORIGIN.X.REQUIRED", goods(1, "OriCriteria"))]),
    ("n-required", "N", drop(1, "OriCriteria"), [("ORIGIN.N.REQUIRED", goods(1, "OriCriteria"))]),
    ("i-required", "I", drop(1, "OriCriteria"), [("ORIGIN.I.REQUIRED", goods(1, "OriCriteria"))]),
    ("s-required", "S", drop(1, "OriCriteria"), [("ORIGIN.S.REQUIRED", goods(1, "OriCriteria"))]),
    ("mu-required", "MU", drop(1, "OriCriteria"), [("ORIGIN.MU.REQUIRED", goods(1, "OriCriteria"))]),
    ("ec-required", "EC", drop(1, "OriCriteria"), [("ORIGIN.EC.REQUIRED", goods(1, "OriCriteria"))]),
    ("em-allowed", "EM", line(1, OriCriteria="WP"), [("ORIGIN.EM.ALLOWED", goods(1, "OriCriteria"))]),
    ("em-empty-ok", "EM", line(1, OriCriteria=""), []),
    ("t-no-criterion-needed", "T", lambda d: None, []),
    ("tr-criterion-not-checked", "TR", line(1, OriCriteria="WO"), []),
    ("ca-no-origin-rule", "CA", line(1, OriCriteria="ANYTHING"), []),
    # --- RCEP back-to-back (§1.26) and movement certificate (§1.24)
    (
        "b2b-first-country",
        "RC-B2B",
        unset("FirstRcepCountryCode"),
        [("RCEP.B2B.FIRST_COUNTRY_REQUIRED", f"{HEAD}/FirstRcepCountryCode")],
    ),
    (
        "b2b-first-country-china",
        "RC-B2B",
        head(FirstRcepCountryCode="CHN"),
        [("RCEP.B2B.FIRST_COUNTRY_NOT_RCEP", f"{HEAD}/FirstRcepCountryCode")],
    ),
    ("b2b-approved-exporter-optional", "RC-B2B", unset("ApprovedExporterNo"), []),
    (
        "b2b-attachment",
        "RC-B2B",
        unset("OriProofFileName"),
        [("RCEP.B2B.ATTACHMENT_REQUIRED", f"{HEAD}/OriProofFileName")],
    ),
    (
        "b2b-attachment-jpg",
        "RC-B2B",
        head(OriProofFileName="scan.jpg"),
        [("RCEP.B2B.ATTACHMENT_NOT_PDF", f"{HEAD}/OriProofFileName")],
    ),
    ("b2b-attachment-upper-case", "RC-B2B", head(OriProofFileName="SCAN.PDF"), []),
    (
        "b2b-proof-missing",
        "RC-B2B",
        drop(1, "OriProofNo", "OriProofCountryCode", "OriProofHSCode"),
        [
            ("ORIPROOF.NO_REQUIRED", goods(1, "OriProofNo")),
            ("ORIPROOF.COUNTRY_REQUIRED", goods(1, "OriProofCountryCode")),
            ("ORIPROOF.HS_REQUIRED", goods(1, "OriProofHSCode")),
        ],
    ),
    (
        "b2b-proof-from-china",
        "RC-B2B",
        line(1, OriProofCountryCode="CHN"),
        [("ORIPROOF.COUNTRY_NOT_MEMBER", goods(1, "OriProofCountryCode"))],
    ),
    ("b2b-non-goods-line", "RC-B2B", both(line(1, GoodsItemFlag="1"), drop(1, *PROOF)), []),
    (
        "em-proof-from-japan",
        "EM",
        line(1, OriProofCountryCode="JPN"),
        [("ORIPROOF.COUNTRY_NOT_MEMBER", goods(1, "OriProofCountryCode"))],
    ),
    ("em-proof-hs", "EM", drop(1, "OriProofHSCode"), [("ORIPROOF.HS_REQUIRED", goods(1, "OriProofHSCode"))]),
    (
        "rc-proof-without-flag",
        "RC",
        line(1, OriProofNo="X-1"),
        [("ORIPROOF.NOT_APPLICABLE", goods(1, "OriProofNo"))],
    ),
    (
        "rc-b2b-fields-without-flag",
        "RC-B2B",
        head(BackToBackFlag="0"),
        [
            ("RCEP.B2B.NOT_APPLICABLE", f"{HEAD}/ApprovedExporterNo"),
            ("RCEP.B2B.NOT_APPLICABLE", f"{HEAD}/FirstRcepCountryCode"),
            ("RCEP.B2B.NOT_APPLICABLE", f"{HEAD}/OriProofFileName"),
            ("ORIPROOF.NOT_APPLICABLE", goods(1, "OriProofNo")),
            ("ORIPROOF.NOT_APPLICABLE", goods(1, "OriProofCountryCode")),
            ("ORIPROOF.NOT_APPLICABLE", goods(1, "OriProofHSCode")),
        ],
    ),
    ("e-back-to-back", "E", head(BackToBackFlag="1"), [("RCEP.B2B.NOT_APPLICABLE", f"{HEAD}/BackToBackFlag")]),
    ("rc-flag-zero-ok", "RC", head(BackToBackFlag="0"), []),
    # --- numbers of the assumed type EM
    ("em-number-format", "EM", head(CertNo="EM264565009991"), [("CERT.NUMBER.FORMAT", f"{HEAD}/CertNo")]),
    ("em-number-on-e", "E", head(CertNo="EM264565009990001"), [("CERT.NUMBER.TYPE_MISMATCH", f"{HEAD}/CertNo")]),
    # --- schema guards still report plain data that skipped the XSD
    ("guard-flag", "C", head(BackToBackFlag="Y"), [("FIELD.FLAG.INVALID", f"{HEAD}/BackToBackFlag")]),
    ("guard-date", "H", head(ExpDeclDate="2026-13-01"), [("FIELD.DATE.INVALID", f"{HEAD}/ExpDeclDate")]),
]


def found(data: dict[str, Any]) -> list[tuple[str, str]]:
    violations = check_certificate(data)
    assert all(isinstance(v, Violation) and v.rule_id in ALL_RULES for v in violations), violations
    return [(v.rule_id, v.path) for v in violations]


@pytest.mark.parametrize("base", sorted(BASES))
def test_every_type_has_a_violation_free_certificate(base: str) -> None:
    assert found(BASES[base]()) == []


@pytest.mark.parametrize(("base", "mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(base: str, mutate: Mutation, expected: list[tuple[str, str]]) -> None:
    data = BASES[base]()
    mutate(data)
    assert found(data) == expected


def test_violations_name_the_chinese_field() -> None:
    data = back_to_back()
    del data["head"]["OriProofFileName"]
    data["goods"][0]["OriProofNo"] = ""
    assert [v.field_cn for v in check_certificate(data)] == ["进口证书扫描件", "原始原产地证明编号"]


def test_destination_message_names_the_fixed_partner() -> None:
    data = minimal("K")
    data["head"]["DestCountryCode"] = "JPN"
    (v,) = check_certificate(data)
    assert "fixed to KOR" in v.message and "'JPN'" in v.message


# --- numbers


def test_assumed_type_numbers_parse() -> None:
    parsed = parse_certificate_number("EM263501000010007")
    assert (parsed.type, parsed.year, parsed.registrant, parsed.serial) == ("EM", 2026, "350100001", 7)
    assert str(parsed) == "EM263501000010007"


@pytest.mark.parametrize("bad", ["EM26350100001", "EM263501000010000", "EM2635010000100011", "XX263501000010001"])
def test_bad_numbers_raise(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_certificate_number(bad)


def test_gacc_numbers_parse_as_before() -> None:
    assert parse_certificate_number("E194565009990001").type == "E"
    assert parse_certificate_number("RC263501000010001").type == "RC"


# --- catalogues and registry


def test_every_known_type_has_its_rules() -> None:
    assert set(TYPE_RULES) == set(KNOWN_TYPE_CODES)
    assert "EM" in KNOWN_TYPE_CODES and set(DESTINATIONS) <= set(KNOWN_TYPE_CODES)


def test_catalogues_split_document_rules_from_schema_guards() -> None:
    guards = {**SCHEMA_GUARD_RULES, **TYPE_SCHEMA_GUARD_RULES}
    assert not set(RULES) & set(guards)
    assert set(ALL_RULES) == set(RULES) | set(guards)
    assert all(text.strip() for text in ALL_RULES.values())


def test_family_module_exposes_the_document_rules() -> None:
    family = registry()["gacc_certificate"]
    assert family.rules is gacc_certificate.RULES
    assert set(family.rules) == set(RULES)
    assert family.check is check_certificate


def test_every_rule_has_a_case_here_or_in_the_common_tests() -> None:
    covered = {rule_id for *_, expected in [*BASE_CASES, *CASES] for rule_id, _ in expected}
    assert covered == set(ALL_RULES)


def test_every_document_rule_has_an_invalid_sample() -> None:
    names = {p.name for p in SAMPLES.glob("invalid_*.xml")}
    assert {f"invalid_{r.lower().replace('.', '_')}.xml" for r in RULES} == names


def test_every_type_has_a_valid_sample() -> None:
    names = {p.name for p in SAMPLES.glob("valid_*.xml")}
    assert {f"valid_{t.lower()}.xml" for t in KNOWN_TYPE_CODES} <= names
    assert "valid_rc_back_to_back.xml" in names


@pytest.mark.parametrize("first", ["gateway.domain.certificate_types", "gateway.domain.certificate_rules"])
def test_either_module_can_be_imported_first(first: str) -> None:
    code = (
        f"import {first}; from gateway.domain.certificate_rules import RULES, TYPE_RULES; "
        "assert len(TYPE_RULES) == 32 and 'ORIGIN.K.ALLOWED' in RULES"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_unknown_attribute_is_an_attribute_error() -> None:
    import gateway.domain.certificate_rules as module

    with pytest.raises(AttributeError):
        _ = module.NO_SUCH_THING  # type: ignore[attr-defined]


# --- the schema extension reaches the rules through the codec


def test_special_fields_are_decoded_into_plain_data() -> None:
    from messages import codecs, safexml
    from messages.catalogue import entry_for_type

    entry = entry_for_type("CO_APPLICATION")
    assert entry is not None
    root = safexml.parse((SAMPLES / "valid_rc_back_to_back.xml").read_bytes())
    data = codecs.decode(entry, root).data
    assert data["head"]["BackToBackFlag"] == "1"
    assert data["head"]["OriProofFileName"] == "RCEP-TH-2026-0088123.pdf"
    assert data["goods"][0]["OriProofCountryCode"] == "THA"
    assert check_certificate(data) == []


def test_documents_without_special_fields_are_unchanged() -> None:
    assert set(DEST) <= set(KNOWN_TYPE_CODES)
    data = minimal("C")
    assert not {"BackToBackFlag", "ExporterTel"} & set(data["head"])
    assert check_certificate(data) == []
