import copy
from collections.abc import Callable
from typing import Any

import pytest

from gateway.domain.certificate_rules import (
    ALL_RULES,
    KNOWN_TYPE_CODES,
    TYPE_RULES,
    Certificate,
    check_certificate,
)
from gateway.domain.numbering import format_cert_no
from gateway.domain.violations import Violation

REG_NO = "456500999"
HEAD = "/Certificate/CertificateHead"
MOD = "/Certificate/ModCertificate"
NONPARTY = "/Certificate/NonpartyCorpList"
INVOICES = "/Certificate/OriInvs"


def goods(i: int, field: str) -> str:
    return f"/Certificate/CertificateList/Goods[{i}]/{field}"


#: A destination each type accepts (fixed partner or a party of the agreement; others: USA).
DEST = {
    "E": "IDN",
    "EM": "MYS",
    "RC": "JPN",
    "K": "KOR",
    "P": "PAK",
    "R": "PER",
    "H": "TWN",
    "A": "AUS",
    "L": "CRI",
    "N": "NZL",
    "AP": "PAK",
    "GE": "GEO",
    "AD": "MEX",
}


def cert_no(cert_type: str, serial: int = 1) -> str:
    if cert_type == "EM":  # assumed code, unknown to numbering.format_cert_no
        return f"EM26{REG_NO}{serial:04d}"
    return format_cert_no(cert_type, 2026, REG_NO, serial)


def make(cert_type: str, lines: list[dict[str, str]], **head: str) -> dict[str, Any]:
    """A certificate of ``cert_type`` whose head FOB is the sum of the lines and lines are numbered."""
    fob = sum(float(line.get("FOBValue", "0")) for line in lines)
    return {
        "head": {
            "CertNo": cert_no(cert_type),
            "DestCountryCode": DEST.get(cert_type, "USA"),
            "CertType": cert_type,
            "CertStatus": "0",
            "ApplyType": "1",
            "AplRegNo": REG_NO,
            "InvNo": "INV-1",
            "InvDate": "2026-11-20",
            "IntendExpDate": "2026-11-30",
            "Consignee": "PT MAJU, JAKARTA",
            "FOBValue": f"{fob:.2f}",
            "TotalAmt": f"{fob:.2f}",
            **head,
        },
        "goods": [{"GNo": str(i), "HSCode": "847130", **line} for i, line in enumerate(lines, start=1)],
        "mod": None,
        "nonparty": [],
        "invoices": [],
        "promises": ["1"],
    }


def valid_c() -> dict[str, Any]:
    return make(
        "C",
        [
            {"GoodsNameE": "LAPTOP", "FOBValue": "100.25", "GrossWt": "12.5", "NetWt": "10"},
            {"HSCode": "8471300000", "FOBValue": "150.25"},
        ],
    )


def valid_e() -> dict[str, Any]:
    return make(
        "E",
        [
            {"OriCriteria": "WO", "ICompPrpr": "0", "FOBValue": "100"},
            {"OriCriteria": "PSR", "OriCriteriaSub": "1", "ICompPrpr": "35", "FOBValue": "100"},
            {"OriCriteria": "CTH", "ICompPrpr": "12.5", "FOBValue": "100"},
            {"OriCriteria": "", "ICompPrpr": "35", "OriCriteriaRef": "65%", "FOBValue": "100"},
            {"OriCriteria": "PE", "FOBValue": "100"},
        ],
        ExhibitFlag="0",
        ThirdPartyInvFlag="0",
    )


def valid_g() -> dict[str, Any]:
    return make(
        "G",
        [
            {"OriCriteria": "P", "FOBValue": "10"},
            {"HSCode": "84713000", "OriCriteria": "W", "OriCriteriaRef": "84.71", "FOBValue": "10"},
            {"OriCriteria": "F", "ICompPrpr": "40", "FOBValue": "10"},
            {"OriCriteria": "Y", "ICompPrpr": "50", "FOBValue": "10"},
        ],
    )


def valid_rc() -> dict[str, Any]:
    data = make(
        "RC",
        [
            {"OriCriteria": "RVC", "ICompPrpr": "30", "InvNo": "INV-1", "FOBValue": "10"},
            {"OriCriteria": "CTC", "InvNo": "INV-2", "FOBValue": "10"},
        ],
    )
    data["invoices"] = [
        {"InvNo": "INV-1", "Value": "10", "Curr": "USD", "PriceClause": "FOB", "InvDate": "2026-11-20"},
        {"InvNo": "INV-2", "Value": "10", "Curr": "USD", "InvDate": "2026-11-21"},  # default FOB
    ]
    return data


BASES: dict[str, Callable[[], dict[str, Any]]] = {"C": valid_c, "E": valid_e, "G": valid_g, "RC": valid_rc}


def found(data: dict[str, Any]) -> list[tuple[str, str]]:
    violations = check_certificate(data)
    assert all(v.rule_id in ALL_RULES for v in violations), violations
    return [(v.rule_id, v.path) for v in violations]


@pytest.mark.parametrize("base", sorted(BASES))
def test_valid_certificates_have_no_violations(base):
    assert check_certificate(BASES[base]()) == []


def test_valid_c_violation_free_also_as_draft_without_goods():
    data = valid_c()
    data["goods"] = []
    data["head"].update(ApplyType="0", FOBValue="")
    assert check_certificate(data) == []


def test_violation_carries_english_message_and_chinese_field_name():
    data = valid_e()
    data["goods"][0]["OriCriteria"] = "P"
    assert check_certificate(data) == [
        Violation(
            "ORIGIN.E.ALLOWED",
            goods(1, "OriCriteria"),
            "origin criterion 'P' is not allowed for type E (CTH, PE, PSR, WO or empty)",
            "原产地标准",
        )
    ]


#: A complete change description and original issue date (CertStatus 1 / 3).
CHANGE = {"ModColm": "2", "OldSituDesc": "PT MAJU", "ModSituDesc": "PT MAJU JAYA", "OldIssueDate": "2026-11-21"}

# (base, mutation, expected [(rule_id, path)]) — one case per rule at least.
Mutation = Callable[[dict[str, Any]], None]


def head(**fields: str) -> Mutation:
    return lambda d: d["head"].update(fields)


def line(i: int, **fields: str) -> Mutation:
    return lambda d: d["goods"][i - 1].update(fields)


def drop(i: int, *names: str) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        for name in names:
            d["goods"][i - 1].pop(name, None)

    return mutate


def setkey(key: str, value: Any) -> Mutation:
    return lambda d: d.__setitem__(key, value)


def both(*mutations: Mutation) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        for m in mutations:
            m(d)

    return mutate


CASES: list[tuple[str, str, Mutation, list[tuple[str, str]]]] = [
    # --- common head rules
    ("type-required", "C", head(CertType=""), [("CERT.TYPE.REQUIRED", f"{HEAD}/CertType")]),
    ("type-unknown", "C", head(CertType="Z"), [("CERT.TYPE.UNKNOWN", f"{HEAD}/CertType")]),
    ("number-required", "C", head(CertNo=""), [("CERT.NUMBER.REQUIRED", f"{HEAD}/CertNo")]),
    ("number-format", "C", head(CertNo="C26-0001"), [("CERT.NUMBER.FORMAT", f"{HEAD}/CertNo")]),
    ("number-too-long", "C", head(CertNo="C264565009990001" + "12345"), [("CERT.NUMBER.FORMAT", f"{HEAD}/CertNo")]),
    ("number-type", "C", head(CertNo="E264565009990001"), [("CERT.NUMBER.TYPE_MISMATCH", f"{HEAD}/CertNo")]),
    ("status-invalid", "C", head(CertStatus="4"), [("CERT.STATUS.INVALID", f"{HEAD}/CertStatus")]),
    (
        "status-old-cert",
        "C",
        both(head(CertStatus="1"), setkey("mod", {**CHANGE, "ModReason": "consignee typo"})),
        [("CERT.STATUS.OLD_CERT_REQUIRED", f"{MOD}/OldCertNo")],
    ),
    (
        "status-mod-reason",
        "C",
        both(head(CertStatus="2"), setkey("mod", {"OldCertNo": "C254565009990009", "OldIssueDate": "2025-12-01"})),
        [("CERT.STATUS.MOD_REASON_REQUIRED", f"{MOD}/ModReason")],
    ),
    (
        "status-no-mod-at-all",
        "C",
        head(CertStatus="3"),
        [
            ("CERT.STATUS.OLD_CERT_REQUIRED", f"{MOD}/OldCertNo"),
            ("CERT.STATUS.MOD_REASON_REQUIRED", f"{MOD}/ModReason"),
            ("CERT.MOD.CHANGE_REQUIRED", f"{MOD}/ModColm"),
            ("CERT.MOD.CHANGE_REQUIRED", f"{MOD}/OldSituDesc"),
            ("CERT.MOD.CHANGE_REQUIRED", f"{MOD}/ModSituDesc"),
            ("CERT.MOD.OLD_ISSUE_DATE_REQUIRED", f"{MOD}/OldIssueDate"),
        ],
    ),
    (
        "status-old-cert-same",
        "C",
        both(head(CertStatus="1"), setkey("mod", {**CHANGE, "OldCertNo": "C264565009990001", "ModReason": "x"})),
        [("CERT.STATUS.OLD_CERT_SAME", f"{MOD}/OldCertNo")],
    ),
    ("flag-head", "E", head(ExhibitFlag="Y"), [("FIELD.FLAG.INVALID", f"{HEAD}/ExhibitFlag")]),
    ("flag-goods", "C", line(2, GoodsItemFlag="2"), [("FIELD.FLAG.INVALID", goods(2, "GoodsItemFlag"))]),
    ("decimal-comma", "C", line(1, GrossWt="12,5"), [("FIELD.DECIMAL.INVALID", goods(1, "GrossWt"))]),
    ("decimal-negative", "C", head(TotalAmt="-1"), [("FIELD.DECIMAL.INVALID", f"{HEAD}/TotalAmt")]),
    ("decimal-nan", "C", line(2, NetWt="NaN"), [("FIELD.DECIMAL.INVALID", goods(2, "NetWt"))]),
    ("decimal-exponent", "C", line(2, InvValue="1e3"), [("FIELD.DECIMAL.INVALID", goods(2, "InvValue"))]),
    (
        "decimal-invoice",
        "RC",
        lambda d: d["invoices"][1].update(Value="ten"),
        [("FIELD.DECIMAL.INVALID", f"{INVOICES}/OriInv[2]/Value")],
    ),
    ("date-impossible", "C", head(InvDate="2026-02-30"), [("FIELD.DATE.INVALID", f"{HEAD}/InvDate")]),
    ("date-compact", "C", head(IntendExpDate="20261130"), [("FIELD.DATE.INVALID", f"{HEAD}/IntendExpDate")]),
    (
        "date-mod",
        "C",
        both(
            head(CertStatus="1"),
            setkey("mod", {**CHANGE, "OldCertNo": "C254565009990009", "ModReason": "x", "OldIssueDate": "2026/01/02"}),
        ),
        [("FIELD.DATE.INVALID", f"{MOD}/OldIssueDate")],
    ),
    # --- common goods rules
    (
        "goods-required",
        "C",
        both(setkey("goods", []), head(FOBValue="")),
        [("GOODS.REQUIRED", "/Certificate/CertificateList")],
    ),
    ("gno-sequence", "C", line(2, GNo="3"), [("GOODS.GNO.SEQUENCE", goods(2, "GNo"))]),
    ("gno-missing", "C", drop(1, "GNo"), [("GOODS.GNO.SEQUENCE", goods(1, "GNo"))]),
    ("hs-required", "C", line(2, HSCode=""), [("GOODS.HS.REQUIRED", goods(2, "HSCode"))]),
    ("hs-non-goods-item-may-omit", "C", line(2, HSCode="", GoodsItemFlag="1"), []),
    ("hs-format-dot", "C", line(1, HSCode="8471.30"), [("GOODS.HS.FORMAT", goods(1, "HSCode"))]),
    ("hs-format-7", "C", line(2, HSCode="8471300"), [("GOODS.HS.FORMAT", goods(2, "HSCode"))]),
    ("ratio-range", "C", line(1, ICompPrpr="120"), [("GOODS.RATIO.RANGE", goods(1, "ICompPrpr"))]),
    ("fob-sum", "C", head(FOBValue="250.48"), [("GOODS.FOB.SUM", f"{HEAD}/FOBValue")]),
    ("fob-sum-within-cent", "C", head(FOBValue="250.51"), []),
    ("fob-head-missing", "C", head(FOBValue=""), [("GOODS.FOB.SUM", f"{HEAD}/FOBValue")]),
    ("fob-bad-line-reported-once", "C", line(1, FOBValue="abc"), [("FIELD.DECIMAL.INVALID", goods(1, "FOBValue"))]),
    # --- type C
    ("c-criterion", "C", line(2, OriCriteria="WO"), [("ORIGIN.C.NONE_ALLOWED", goods(2, "OriCriteria"))]),
    # --- type E origin criteria
    ("e-allowed", "E", line(1, OriCriteria="P"), [("ORIGIN.E.ALLOWED", goods(1, "OriCriteria"))]),
    ("e-allowed-case", "E", line(1, OriCriteria="wo"), [("ORIGIN.E.ALLOWED", goods(1, "OriCriteria"))]),
    ("e-sub-not-allowed", "E", line(3, OriCriteriaSub="2"), [("ORIGIN.E.SUB_NOT_ALLOWED", goods(3, "OriCriteriaSub"))]),
    ("e-wo-aux", "E", line(1, OriCriteriaRef="40%"), [("ORIGIN.E.WO_PE_AUX_EMPTY", goods(1, "OriCriteriaRef"))]),
    ("e-pe-aux", "E", line(5, OriCriteriaRef="X"), [("ORIGIN.E.WO_PE_AUX_EMPTY", goods(5, "OriCriteriaRef"))]),
    ("e-wo-ratio", "E", line(1, ICompPrpr="5"), [("ORIGIN.E.WO_PE_RATIO_ZERO", goods(1, "ICompPrpr"))]),
    ("e-pe-ratio", "E", line(5, ICompPrpr="0.5"), [("ORIGIN.E.WO_PE_RATIO_ZERO", goods(5, "ICompPrpr"))]),
    ("e-psr-sub", "E", line(2, OriCriteriaSub=""), [("ORIGIN.E.PSR_SUB_REQUIRED", goods(2, "OriCriteriaSub"))]),
    ("e-psr-sub-invalid", "E", line(2, OriCriteriaSub="4"), [("ORIGIN.E.PSR_SUB_INVALID", goods(2, "OriCriteriaSub"))]),
    ("e-psr-aux", "E", line(2, OriCriteriaRef="RVC 40%"), [("ORIGIN.E.PSR_AUX_EMPTY", goods(2, "OriCriteriaRef"))]),
    ("e-psr-ratio-zero", "E", line(2, ICompPrpr="0"), [("ORIGIN.E.PSR_RATIO_POSITIVE", goods(2, "ICompPrpr"))]),
    ("e-psr-ratio-empty", "E", drop(2, "ICompPrpr"), [("ORIGIN.E.PSR_RATIO_POSITIVE", goods(2, "ICompPrpr"))]),
    ("e-cth-aux", "E", line(3, OriCriteriaRef="CTH"), [("ORIGIN.E.CTH_AUX_EMPTY", goods(3, "OriCriteriaRef"))]),
    ("e-cth-ratio", "E", line(3, ICompPrpr="0.000"), [("ORIGIN.E.CTH_RATIO_POSITIVE", goods(3, "ICompPrpr"))]),
    (
        "e-cth-ratio-invalid-reported-once",
        "E",
        line(3, ICompPrpr="x"),
        [("FIELD.DECIMAL.INVALID", goods(3, "ICompPrpr"))],
    ),
    ("e-empty-ratio-required", "E", drop(4, "ICompPrpr"), [("ORIGIN.E.EMPTY_RATIO_REQUIRED", goods(4, "ICompPrpr"))]),
    (
        "e-empty-ratio-max-60",
        "E",
        line(4, ICompPrpr="60.01", OriCriteriaRef="39.99%"),
        [("ORIGIN.E.EMPTY_RATIO_MAX_60", goods(4, "ICompPrpr"))],
    ),
    ("e-empty-ratio-60-ok", "E", line(4, ICompPrpr="60", OriCriteriaRef="40%"), []),
    (
        "e-empty-aux-wrong",
        "E",
        line(4, OriCriteriaRef="35%"),
        [("ORIGIN.E.EMPTY_AUX_FORMULA", goods(4, "OriCriteriaRef"))],
    ),
    (
        "e-empty-aux-missing",
        "E",
        drop(4, "OriCriteriaRef"),
        [("ORIGIN.E.EMPTY_AUX_FORMULA", goods(4, "OriCriteriaRef"))],
    ),
    (
        "e-empty-aux-no-percent",
        "E",
        line(4, OriCriteriaRef="65"),
        [("ORIGIN.E.EMPTY_AUX_FORMULA", goods(4, "OriCriteriaRef"))],
    ),
    ("e-empty-aux-rounded", "E", line(4, ICompPrpr="33.333", OriCriteriaRef="66.67 %"), []),
    (
        "e-non-goods-item-without-criterion",
        "E",
        both(line(4, GoodsItemFlag="1"), drop(4, "ICompPrpr", "OriCriteriaRef")),
        [],
    ),
    # --- type E head: exhibition and third-party invoice
    (
        "e-exhibit",
        "E",
        head(ExhibitFlag="1", Consignee=""),
        [("FORM_E.EXHIBIT_CONSIGNEE_REQUIRED", f"{HEAD}/Consignee")],
    ),
    ("e-exhibit-ok", "E", head(ExhibitFlag="1", Consignee="CANTON FAIR, GUANGZHOU"), []),
    ("e-third-party", "E", head(ThirdPartyInvFlag="1"), [("FORM_E.THIRD_PARTY_NONPARTY_REQUIRED", NONPARTY)]),
    (
        "e-third-party-ok",
        "E",
        both(
            head(ThirdPartyInvFlag="1"),
            setkey("nonparty", [{"SortNo": "1", "EntName": "HK TRADING", "EntCountryCode": "HKG"}]),
        ),
        [],
    ),
    (
        "e-nonparty-without-flag",
        "E",
        setkey("nonparty", [{"EntName": "HK TRADING", "EntCountryCode": "HKG"}]),
        [("FORM_E.NONPARTY_WITHOUT_THIRD_PARTY", NONPARTY)],
    ),
    (
        "e-nonparty-name",
        "E",
        both(
            head(ThirdPartyInvFlag="1"),
            setkey("nonparty", [{"EntName": "A", "EntCountryName": "HK"}, {"EntCountryCode": "SGP"}]),
        ),
        [("FORM_E.NONPARTY_NAME_REQUIRED", f"{NONPARTY}/NonpartyCorp[2]/EntName")],
    ),
    (
        "e-nonparty-country",
        "E",
        both(head(ThirdPartyInvFlag="1"), setkey("nonparty", [{"EntName": "A", "EntAddr": "x"}])),
        [("FORM_E.NONPARTY_COUNTRY_REQUIRED", f"{NONPARTY}/NonpartyCorp[1]/EntCountryCode")],
    ),
    # --- type G
    ("g-allowed", "G", line(1, OriCriteria="WO"), [("ORIGIN.G.ALLOWED", goods(1, "OriCriteria"))]),
    ("g-required", "G", line(1, OriCriteria=""), [("ORIGIN.G.REQUIRED", goods(1, "OriCriteria"))]),
    ("g-w-ref", "G", line(2, OriCriteriaRef="8471"), [("ORIGIN.G.W_REF_HS4", goods(2, "OriCriteriaRef"))]),
    ("g-w-ref-empty", "G", drop(2, "OriCriteriaRef"), [("ORIGIN.G.W_REF_HS4", goods(2, "OriCriteriaRef"))]),
    ("g-f-ratio", "G", line(3, ICompPrpr="40.5"), [("ORIGIN.G.F_RATIO_MAX_40", goods(3, "ICompPrpr"))]),
    ("g-y-ratio", "G", line(4, ICompPrpr="51"), [("ORIGIN.G.Y_RATIO_MAX_50", goods(4, "ICompPrpr"))]),
    # --- type RC
    ("rc-allowed", "RC", line(2, OriCriteria="PSR"), [("ORIGIN.RC.ALLOWED", goods(2, "OriCriteria"))]),
    ("rc-required", "RC", line(2, OriCriteria=""), [("ORIGIN.RC.REQUIRED", goods(2, "OriCriteria"))]),
    ("rc-rvc-ratio", "RC", drop(1, "ICompPrpr"), [("ORIGIN.RC.RVC_RATIO_REQUIRED", goods(1, "ICompPrpr"))]),
    ("rc-invoice-list", "RC", setkey("invoices", []), [("RCEP.INVOICE.REQUIRED", INVOICES)]),
    (
        "rc-price-clause",
        "RC",
        lambda d: d["invoices"][1].update(PriceClause="CIF"),
        [("RCEP.INVOICE.PRICE_CLAUSE_SAME", f"{INVOICES}/OriInv[2]/PriceClause")],
    ),
    ("rc-goods-invoice", "RC", line(2, InvNo=""), [("RCEP.GOODS.INVOICE_REQUIRED", goods(2, "InvNo"))]),
    ("rc-goods-invoice-unknown", "RC", line(2, InvNo="INV-9"), [("RCEP.GOODS.INVOICE_UNKNOWN", goods(2, "InvNo"))]),
]


def _other_type(cert_type: str, lines: list[dict[str, str]], **head: str) -> Callable[[], dict[str, Any]]:
    return lambda: make(cert_type, lines, **head)


OTHER_BASES: dict[str, Callable[[], dict[str, Any]]] = {
    "A": _other_type("A", [{"OriCriteria": "WO"}, {"OriCriteria": "WP"}, {"OriCriteria": "PSR"}]),
    "F": _other_type("F", [{"OriCriteria": "WO"}, {"OriCriteria": "WP"}, {"OriCriteria": "PSR"}]),
    "K": _other_type("K", [{"OriCriteria": "WP"}, {"OriCriteria": "OP"}]),
    "H": _other_type(
        "H",
        [{"OriCriteria": c} for c in ("WO", "WP", "PSR", "PSR ACU", "PSR DMI", "PSR FG")],
        ExporterTel="0592-5551234",
        ExporterFax="0592-5551235",
        ExporterEmail="export@example.cn",
        ExpDeclDate="2026-11-25",
        ConsigneeTel="+886 2 2345 6789",
    ),
    "GE": _other_type("GE", [{"OriCriteria": c} for c in ("WO", "WP", "40%", "PSR")]),
    "T": _other_type("T", [{"GrossWt": "1.2", "NetWt": "1", "WtUnit": "KG"}]),
    "M": _other_type("M", [{"GrossWt": "1.2", "NetWt": "1", "WtUnit": "KG"}]),
    "TR": _other_type("TR", [{}], OriCountryCode="JPN"),
    "PR": _other_type("PR", [{}], OriCountryCode="JPN"),
    "SE": _other_type("SE", [{}], ThirdPartyInvFlag="1", Producer="FACTORY LTD"),
    "EC": _other_type("EC", [{"OriCriteria": "WO"}], ThirdPartyInvFlag="0"),
    "B": _other_type("B", [{"OriCriteria": "A"}]),  # no criteria table for APTA: not checked
}
BASES.update(OTHER_BASES)

CASES += [
    ("a-allowed", "A", line(1, OriCriteria="OP"), [("ORIGIN.A.ALLOWED", goods(1, "OriCriteria"))]),
    ("a-required", "A", line(1, OriCriteria=""), [("ORIGIN.A.REQUIRED", goods(1, "OriCriteria"))]),
    ("f-allowed", "F", line(2, OriCriteria="PE"), [("ORIGIN.F.ALLOWED", goods(2, "OriCriteria"))]),
    ("f-required", "F", drop(2, "OriCriteria"), [("ORIGIN.F.REQUIRED", goods(2, "OriCriteria"))]),
    ("k-allowed", "K", line(2, OriCriteria="CTH"), [("ORIGIN.K.ALLOWED", goods(2, "OriCriteria"))]),
    ("k-required", "K", line(2, OriCriteria=""), [("ORIGIN.K.REQUIRED", goods(2, "OriCriteria"))]),
    ("k-non-goods-item", "K", line(2, OriCriteria="", GoodsItemFlag="1"), []),
    ("h-allowed", "H", line(4, OriCriteria="PSR XYZ"), [("ORIGIN.H.ALLOWED", goods(4, "OriCriteria"))]),
    ("h-required", "H", line(1, OriCriteria=""), [("ORIGIN.H.REQUIRED", goods(1, "OriCriteria"))]),
    ("ge-allowed", "GE", line(3, OriCriteria="40"), [("ORIGIN.GE.ALLOWED", goods(3, "OriCriteria"))]),
    ("ge-required", "GE", line(3, OriCriteria=""), [("ORIGIN.GE.REQUIRED", goods(3, "OriCriteria"))]),
    (
        "t-weights",
        "T",
        drop(1, "NetWt", "WtUnit"),
        [("GOODS.WEIGHT.REQUIRED", goods(1, "NetWt")), ("GOODS.WEIGHT.REQUIRED", goods(1, "WtUnit"))],
    ),
    ("m-weights", "M", drop(1, "GrossWt"), [("GOODS.WEIGHT.REQUIRED", goods(1, "GrossWt"))]),
    ("tr-origin-country", "TR", head(OriCountryCode=""), [("CERT.ORIGIN_COUNTRY.REQUIRED", f"{HEAD}/OriCountryCode")]),
    ("pr-origin-country", "PR", head(OriCountryCode=""), [("CERT.ORIGIN_COUNTRY.REQUIRED", f"{HEAD}/OriCountryCode")]),
    ("se-producer", "SE", head(Producer=""), [("CERT.PRODUCER.THIRD_PARTY_REQUIRED", f"{HEAD}/Producer")]),
    ("ec-producer", "EC", head(ThirdPartyInvFlag="1"), [("CERT.PRODUCER.THIRD_PARTY_REQUIRED", f"{HEAD}/Producer")]),
]


@pytest.mark.parametrize(("base", "mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(base, mutate, expected):
    data = BASES[base]()
    mutate(data)
    assert found(data) == expected


@pytest.mark.parametrize("base", sorted(OTHER_BASES))
def test_valid_other_types_have_no_violations(base):
    assert check_certificate(OTHER_BASES[base]()) == []


def test_every_registered_type_is_a_known_type():
    # every catalogued rule has a case here or in test_family_gacc_certificate (checked there)
    assert set(TYPE_RULES) == set(KNOWN_TYPE_CODES)


def test_several_violations_come_in_rule_then_document_order():
    data = valid_e()
    data["goods"][0]["OriCriteria"] = "XX"
    data["goods"][1]["OriCriteriaSub"] = ""
    data["goods"][1]["HSCode"] = "12"
    assert found(data) == [
        ("GOODS.HS.FORMAT", goods(2, "HSCode")),
        ("ORIGIN.E.ALLOWED", goods(1, "OriCriteria")),
        ("ORIGIN.E.PSR_SUB_REQUIRED", goods(2, "OriCriteriaSub")),
    ]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"head": None, "goods": None},
        {"head": "x", "goods": "abc", "nonparty": 5, "invoices": [None]},
        {"head": {"CertType": "E", "CertNo": 12, "FOBValue": 1.5}, "goods": [None, {"GNo": 2, "ICompPrpr": 3}]},
    ],
)
def test_malformed_input_gives_violations_not_exceptions(data):
    assert all(isinstance(v, Violation) for v in check_certificate(data))


def test_input_is_not_modified():
    data = valid_e()
    before = copy.deepcopy(data)
    data["goods"][0]["OriCriteria"] = "P"
    before["goods"][0]["OriCriteria"] = "P"
    check_certificate(data)
    assert data == before


def test_registry_accepts_more_types():
    def no_mark(cert: Certificate):
        if not cert.h("Mark"):
            yield Violation("X.MARK.REQUIRED", "/Certificate/CertificateHead/Mark", "mark required")

    data = valid_c()
    registry = {**TYPE_RULES, "C": (*TYPE_RULES["C"], no_mark)}
    assert [v.rule_id for v in check_certificate(data, registry=registry)] == ["X.MARK.REQUIRED"]
    assert check_certificate(data) == []
