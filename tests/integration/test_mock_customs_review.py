"""The authority's own business rules, on plain data (no XML, no network)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mock_customs.registry import Registry
from mock_customs.review import (
    ORIGIN_CRITERIA,
    ReviewContext,
    review_certificate,
)

USCC = "91310000MA1FL0XX2K"
REG_NO = "310012345"
RECEIVED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def ctx(holders: tuple[str, ...] = (), approved: tuple[str, ...] = ()) -> ReviewContext:
    return ReviewContext(
        authority="GACC", message_id="a" * 32, sender_id=USCC, reg_no=REG_NO, received_at=RECEIVED,
        cert_no_holders=lambda _no: holders, approved_cert_nos=lambda no: no in approved,
    )


def form_e(**goods_overrides: str) -> dict[str, Any]:
    goods = {"GNo": "1", "HSCode": "610910", "OriCriteria": "PSR", "OriCriteriaSub": "2",
             "ICompPrpr": "35", "FOBValue": "1000"}
    goods.update(goods_overrides)
    return {
        "head": {"CertNo": f"E26{REG_NO}0001", "CertType": "E", "AplRegNo": REG_NO, "ApplyType": "1",
                 "CertStatus": "0", "FOBValue": "1000"},
        "goods": [goods], "mod": None, "nonparty": [], "invoices": [], "promises": [],
    }


def rule_ids(data: dict[str, Any], context: ReviewContext | None = None) -> list[str]:
    return [f.rule_id for f in review_certificate(context or ctx(), data).findings]


def test_a_correct_form_e_is_approved() -> None:
    assert rule_ids(form_e()) == []
    assert rule_ids(form_e(OriCriteria="WO", OriCriteriaSub="", ICompPrpr="0", HSCode="030617")) == []
    assert rule_ids(form_e(OriCriteria="CTH", OriCriteriaSub="", ICompPrpr="12.5", HSCode="847130")) == []
    assert rule_ids(form_e(OriCriteria="", OriCriteriaSub="", ICompPrpr="35", OriCriteriaRef="65%",
                           HSCode="070320")) == []


@pytest.mark.parametrize(
    ("goods", "expected"),
    [
        ({"OriCriteria": "WP"}, "AUTH.ORIGIN.E.ALLOWED"),
        ({"OriCriteria": "WO", "ICompPrpr": "5", "OriCriteriaSub": ""}, "AUTH.ORIGIN.E.WO.RATIO"),
        ({"OriCriteria": "PE", "ICompPrpr": "0", "OriCriteriaRef": "100%"}, "AUTH.ORIGIN.E.PE.AUX"),
        ({"OriCriteria": "PSR", "OriCriteriaSub": "4"}, "AUTH.ORIGIN.E.PSR.SUB"),
        ({"OriCriteria": "PSR", "OriCriteriaSub": ""}, "AUTH.ORIGIN.E.PSR.SUB"),
        ({"OriCriteria": "PSR", "ICompPrpr": "0"}, "AUTH.ORIGIN.E.PSR.RATIO"),
        ({"OriCriteria": "PSR", "HSCode": "847130"}, "AUTH.ORIGIN.E.PSR.NOT_LISTED"),
        ({"OriCriteria": "CTH", "ICompPrpr": "0", "HSCode": "847130"}, "AUTH.ORIGIN.E.CTH.RATIO"),
        ({"OriCriteria": "CTH", "HSCode": "610910"}, "AUTH.ORIGIN.E.CTH.NOT_IN_RANGE"),
        ({"OriCriteria": "", "ICompPrpr": "61", "OriCriteriaRef": "39%", "HSCode": "070320"},
         "AUTH.ORIGIN.E.EMPTY.RATIO"),
        ({"OriCriteria": "", "ICompPrpr": "35", "OriCriteriaRef": "60%", "HSCode": "070320"},
         "AUTH.ORIGIN.E.EMPTY.AUX"),
        ({"OriCriteria": "", "ICompPrpr": "35", "OriCriteriaRef": "65%", "HSCode": "847130"},
         "AUTH.ORIGIN.E.EMPTY.LISTED"),
    ],
)
def test_form_e_origin_rules_return_the_certificate(goods: dict[str, str], expected: str) -> None:
    findings = review_certificate(ctx(), form_e(**goods)).findings
    assert expected in [f.rule_id for f in findings]
    finding = next(f for f in findings if f.rule_id == expected)
    assert finding.path.startswith("/Certificate/CertificateList/Goods[1]/")
    assert "(" in finding.message and any("\u4e00" <= ch <= "\u9fff" for ch in finding.message)


def test_origin_finding_names_the_element_and_the_chinese_field() -> None:
    [finding] = review_certificate(ctx(), form_e(OriCriteria="WP")).findings
    assert finding.rule_id == "AUTH.ORIGIN.E.ALLOWED"
    assert finding.path == "/Certificate/CertificateList/Goods[1]/OriCriteria"
    assert "原产地标准" in finding.message and "WO, PE, PSR, CTH or empty" in finding.message


def test_general_co_takes_no_origin_criterion() -> None:
    data = form_e(OriCriteria="", OriCriteriaSub="", ICompPrpr="")
    data["head"].update(CertType="C", CertNo=f"C26{REG_NO}0001")
    assert rule_ids(data) == []
    data["goods"][0]["OriCriteria"] = "WO"
    assert rule_ids(data) == ["AUTH.ORIGIN.C.ALLOWED"]


def test_other_types_follow_their_tables() -> None:
    assert ORIGIN_CRITERIA["RC"].allowed == ("WO", "PE", "CTC", "RVC", "CR")
    data = form_e(OriCriteria="PK")
    data["head"].update(CertType="G", CertNo=f"G26{REG_NO}0001")
    assert rule_ids(data) == []
    data["head"].update(CertType="K", CertNo=f"K26{REG_NO}0001")
    assert sorted(rule_ids(data)) == ["AUTH.K.DESTINATION", "AUTH.ORIGIN.K.ALLOWED"]
    data["head"]["DestCountryCode"] = "KOR"
    assert rule_ids(data) == ["AUTH.ORIGIN.K.ALLOWED"]
    data["goods"][0]["OriCriteria"] = ""
    assert rule_ids(data) == ["AUTH.ORIGIN.K.REQUIRED"]


def test_type_specific_fields_are_required() -> None:
    data = form_e(OriCriteria="WO", OriCriteriaSub="", ICompPrpr="0", HSCode="240120")
    data["head"].update(CertType="T", CertNo=f"T26{REG_NO}0001")
    assert sorted(rule_ids(data)) == ["AUTH.T.WEIGHT_REQUIRED"] * 3
    data["goods"][0].update(GrossWt="10", NetWt="9", WtUnit="KG")
    assert rule_ids(data) == []
    data["head"].update(CertType="TR", CertNo=f"TR26{REG_NO}0001")
    assert rule_ids(data) == ["AUTH.TR.ORICOUNTRY_REQUIRED"]
    data["head"].update(CertType="EC", CertNo=f"EC26{REG_NO}0001", ThirdPartyInvFlag="1")
    assert rule_ids(data) == ["AUTH.EC.PRODUCER_REQUIRED"]
    data["head"]["EntUscc"] = "91440300MA5ABCDE1X"
    assert "AUTH.ENTUSCC.MISMATCH" in rule_ids(data)


def test_rcep_goods_lines_refer_to_invoices_with_one_price_clause() -> None:
    data = form_e(OriCriteria="WO", OriCriteriaSub="", ICompPrpr="0", HSCode="030617", InvNo="INV-9")
    data["head"].update(CertType="RC", CertNo=f"RC26{REG_NO}0001")
    assert rule_ids(data) == ["AUTH.RC.INVOICES_REQUIRED"]
    data["invoices"] = [{"InvNo": "INV-1", "PriceClause": "FOB"}, {"InvNo": "INV-2", "PriceClause": "CIF"}]
    assert sorted(rule_ids(data)) == ["AUTH.RC.GOODS_INVOICE", "AUTH.RC.PRICE_CLAUSE"]
    data["invoices"][1]["PriceClause"] = "FOB"
    data["goods"][0]["InvNo"] = "INV-2"
    assert rule_ids(data) == []


def test_non_goods_lines_need_no_origin_criterion() -> None:
    data = form_e(OriCriteria="", ICompPrpr="", GoodsItemFlag="1", OriCriteriaSub="")
    assert rule_ids(data) == []


@pytest.mark.parametrize(
    ("cert_no", "cert_type", "expected"),
    [
        (f"E26{REG_NO}0001", "E", None),
        (f"E25{REG_NO}0007", "E", None),  # last year's number (a December draft declared in January)
        (f"E26{USCC[8:17]}0001", "E", None),  # USCC characters 9-17 instead of AplRegNo
        (f"RC26{REG_NO}0001", "RC", None),  # two-letter type: 17 characters
        ("", "E", "AUTH.CERTNO.REQUIRED"),
        (f"C26{REG_NO}0001", "E", "AUTH.CERTNO.TYPE"),
        (f"E26{REG_NO}001", "E", "AUTH.CERTNO.LENGTH"),
        (f"RC26{REG_NO}001", "RC", "AUTH.CERTNO.LENGTH"),
        (f"E2X{REG_NO}0001", "E", "AUTH.CERTNO.FORMAT"),
        (f"E19{REG_NO}0001", "E", "AUTH.CERTNO.YEAR"),
        ("E26999999999" + "0001", "E", "AUTH.CERTNO.REGNO"),
        (f"E26{REG_NO}0000", "E", "AUTH.CERTNO.SERIAL"),
    ],
)
def test_certificate_number_rules(cert_no: str, cert_type: str, expected: str | None) -> None:
    data = form_e(OriCriteria="WO", OriCriteriaSub="", ICompPrpr="0", HSCode="030617")
    data["head"].update(CertNo=cert_no, CertType=cert_type)
    if cert_type == "RC":
        data["goods"][0]["OriCriteria"] = "WO"
    found = [r for r in rule_ids(data) if r.startswith("AUTH.CERTNO")]
    assert found == ([expected] if expected else [])


def test_certificate_number_used_by_a_pending_or_approved_certificate_is_returned() -> None:
    findings = review_certificate(ctx(holders=("b" * 32,)), form_e()).findings
    assert [f.rule_id for f in findings] == ["AUTH.CERTNO.DUPLICATE"]
    assert findings[0].path == "/Certificate/CertificateHead/CertNo" and "b" * 32 in findings[0].message


def test_aplregno_must_be_the_registered_one_and_drafts_are_not_declarations() -> None:
    data = form_e()
    data["head"].update(AplRegNo="310099999", ApplyType="0")
    assert sorted(rule_ids(data)) == ["AUTH.APLREGNO.MISMATCH", "AUTH.APPLYTYPE.NOT_DECLARED"]


def test_amendment_refers_to_an_approved_certificate() -> None:
    data = form_e()
    data["head"].update(CertStatus="1", CertNo=f"E26{REG_NO}0002")
    assert sorted(rule_ids(data)) == ["AUTH.MOD.OLDCERTNO_REQUIRED", "AUTH.MOD.REASON_REQUIRED"]
    data["mod"] = {"OldCertNo": f"E26{REG_NO}0001", "ModReason": "typo in consignee"}
    assert rule_ids(data) == ["AUTH.MOD.OLDCERT_NOT_APPROVED"]
    assert rule_ids(data, ctx(approved=(f"E26{REG_NO}0001",))) == []


def test_fob_total_is_the_sum_of_the_lines_and_third_party_needs_a_company() -> None:
    data = form_e()
    second = copy.deepcopy(data["goods"][0])
    second.update(GNo="2", FOBValue="500")
    data["goods"].append(second)
    assert rule_ids(data) == ["AUTH.FOB.SUM"]
    data["head"]["FOBValue"] = "1500.00000"
    data["head"]["ThirdPartyInvFlag"] = "1"
    assert rule_ids(data) == ["AUTH.E.NONPARTY_REQUIRED"]
    data["nonparty"] = [{"SortNo": "1", "EntName": "SG TRADING PTE", "EntCountryCode": "SGP"}]
    assert rule_ids(data) == []


def test_registry_tracks_numbers_observations_and_the_receipt_queue(tmp_path: Path) -> None:
    from mock_customs.registry import ScheduledReceipt

    reg = Registry(tmp_path)
    reg.register_enterprise("GACC", USCC, REG_NO, "PEM", RECEIVED)
    assert reg.enterprise("GACC", USCC) is not None and reg.enterprise("CCPIT", USCC) is None
    assert reg.observe("GACC", "a" * 32, "a.xml", RECEIVED) == 1
    assert reg.observe("GACC", "a" * 32, "a.2.xml", RECEIVED) == 2
    reg.set_certificate("GACC", "E1", "a" * 32, USCC, "PENDING", RECEIVED)
    assert reg.cert_no_holders("GACC", "E1", excluding_message="b" * 32) == ["a" * 32]
    assert reg.cert_no_holders("GACC", "E1", excluding_message="a" * 32) == []
    reg.set_certificate("GACC", "E1", "a" * 32, USCC, "RETURNED", RECEIVED)
    assert reg.cert_no_holders("GACC", "E1", excluding_message="b" * 32) == []  # free again
    later = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    for stage, due in ((1, RECEIVED), (2, later)):
        assert reg.schedule_receipt(ScheduledReceipt(f"GACC-{'a' * 32}-{stage}", "GACC", "a" * 32, stage,
                                                     "BusinessReceipt", due, {"n": stage}))
    assert not reg.schedule_receipt(ScheduledReceipt(f"GACC-{'a' * 32}-1", "GACC", "a" * 32, 1, "x",
                                                     RECEIVED, {}))
    assert [r.stage for r in reg.due_receipts("GACC", RECEIVED)] == [1]
    assert reg.next_due("GACC") == RECEIVED
    reg.mark_emitted(f"GACC-{'a' * 32}-1", "f.xml", {"n": 1}, RECEIVED)
    assert reg.next_due("GACC") == later
    reg.close()
    reopened = Registry(tmp_path)  # the queue survives a restart
    obs = reopened.observation("GACC", "a" * 32)
    assert obs is not None and obs.receive_count == 2 and obs.files == ["a.xml", "a.2.xml"]
    assert [r.emitted_at is not None for r in obs.receipts] == [True, False]
    reopened.close()
