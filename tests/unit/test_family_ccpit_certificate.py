"""CCPIT certificate application rules (gateway.domain.families.ccpit_certificate) on plain data."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import pytest

from gateway.domain import ccpit
from gateway.domain.families import ccpit_certificate as cc
from gateway.domain.families import check_document

H = "/Certificate/CertificateHead"
G = "/Certificate/CertificateList/Goods"
M = "/Certificate/ModCertificate"


def goods(n: int, **fields: Any) -> dict[str, Any]:
    line = {"GNo": str(n), "HSCode": "9617001900", "GoodsDesc": "VACUUM FLASKS", "Qty": "10", "Unit": "PCS",
            "FOBValue": "100.00", "RegistrationNo": f"25E350100001/{n:05d}", "OriCriteria": "WO"}
    line.update(fields)
    return line


def cert(cert_type: str = "E", lines: list[dict[str, Any]] | None = None, **head: Any) -> dict[str, Any]:
    lines = [goods(1), goods(2)] if lines is None else lines
    h = {"DocumentNo": "D1", "ApplyType": "DECLARE", "ApplyKind": "NEW", "CertType": cert_type,
         "EntCode": "350100001", "OfficeCode": "350100", "EntNameCn": "厦门示范贸易有限公司",
         "TransRoute": "FROM XIAMEN TO HO CHI MINH CITY BY SEA", "FOBValue": "200.00"}
    h.update(head)
    return {"CertificateHead": h, "CertificateList": {"Goods": lines}}


def found(data: dict[str, Any]) -> set[tuple[str, str]]:
    return {(v.rule_id, v.path) for v in cc.check(data)}


def test_a_clean_preferential_certificate_passes() -> None:
    assert cc.check(cert()) == []
    assert check_document("ccpit_certificate", cert()) == []


def test_every_rule_has_a_description_and_the_family_prefix() -> None:
    assert all(rule.startswith("CCPIT_CO.") and text for rule, text in cc.RULES.items())


def test_bad_input_never_raises() -> None:
    for data in ({}, {"CertificateHead": "x"}, {"CertificateHead": {"CertType": "E"}, "CertificateList": ""},
                 {"CertificateHead": {"CertType": "E"}, "CertificateList": {"Goods": ["x", None]}}):
        cc.check(data)
    assert cc.check([]) == []  # type: ignore[arg-type]


# --- registered goods on preferential certificates (seed 002 l.431) -------------------------------


@pytest.mark.parametrize("cert_type", sorted(ccpit.PREFERENTIAL_TYPES))
def test_every_preferential_type_needs_a_registration_number_per_line(cert_type: str) -> None:
    data = cert(cert_type, [goods(1), goods(2, RegistrationNo="")])
    assert ("CCPIT_CO.REGISTRATION_REQUIRED", f"{G}[2]/RegistrationNo") in found(data)
    assert ("CCPIT_CO.REGISTRATION_REQUIRED", f"{G}[1]/RegistrationNo") not in found(data)


def test_the_general_certificate_needs_no_registration() -> None:
    data = cert("C", [goods(1, RegistrationNo="", OriCriteria="")], FOBValue="100")
    assert found(data) == set()


def test_there_are_fifteen_types_and_fourteen_preferential() -> None:
    assert len(ccpit.CERT_TYPES) == 15 and "HM" in ccpit.CERT_TYPES
    assert set(ccpit.CERT_TYPES) - {"C"} == ccpit.PREFERENTIAL_TYPES


# --- origin criteria -------------------------------------------------------------------------------


def test_general_certificate_carries_no_criterion() -> None:
    data = cert("C", [goods(1, OriCriteria="WO")], FOBValue="100")
    assert found(data) == {("CCPIT_CO.ORIGIN_NONE_FOR_GENERAL", f"{G}[1]/OriCriteria")}


@pytest.mark.parametrize(("cert_type", "crit", "ok"), [
    ("K", "OP", True), ("K", "CTH", False), ("A", "WP", True), ("A", "OP", False), ("F", "PSR", True),
    ("H", "PSR ACU", True), ("H", "PE", False), ("GE", "40%", True), ("GE", "OP", False),
    ("E", "CTH", True), ("E", "WP", False),
    ("B", "ANYTHING", True), ("N", "WO", True), ("HM", "WO", True),
])
def test_criteria_follow_the_gacc_lists(cert_type: str, crit: str, ok: bool) -> None:
    data = cert(cert_type, [goods(1, OriCriteria=crit)], FOBValue="100")
    expected = set() if ok else {("CCPIT_CO.ORIGIN_ALLOWED", f"{G}[1]/OriCriteria")}
    assert found(data) == expected


@pytest.mark.parametrize(("cert_type", "required"), [("K", True), ("B", True), ("HM", True), ("E", False)])
def test_empty_criterion_only_where_the_agreement_allows_it(cert_type: str, required: bool) -> None:
    data = cert(cert_type, [goods(1, OriCriteria="")], FOBValue="100")
    assert (("CCPIT_CO.ORIGIN_REQUIRED", f"{G}[1]/OriCriteria") in found(data)) is required


def test_origin_lists_are_the_gacc_ones_for_the_same_agreement() -> None:
    from gateway.domain.certificate_types import ORIGIN_CRITERIA as GACC

    ours = ccpit.origin_criteria()
    for cert_type, allowed in ours.items():
        if cert_type in GACC:
            assert allowed == GACC[cert_type], cert_type
    assert ours["HM"] is None  # no GACC counterpart: required, any value (assumed)
    assert "C" not in ours


# --- amend-and-reissue (改证重发, l.124, l.449) -------------------------------------------------------


def amend(mod: dict[str, str] | None, **head: str) -> dict[str, Any]:
    data = cert("K", [goods(1, RegistrationNo="25K350100001/00033", OriCriteria="PSR")], ApplyKind="AMEND_REISSUE",
                FOBValue="100", **head)
    if mod is not None:
        data["ModCertificate"] = mod
    return data


def test_amend_reissue_with_old_number_and_reason_passes() -> None:
    assert found(amend({"OldCertNo": "26K350100001/00012", "ModReason": "consignee address"})) == set()


def test_amend_reissue_without_the_block_names_both_fields() -> None:
    assert found(amend(None)) == {("CCPIT_CO.OLD_CERT_REQUIRED", f"{M}/OldCertNo"),
                                  ("CCPIT_CO.MOD_REASON_REQUIRED", f"{M}/ModReason")}
    assert found(amend("")) == found(amend(None))  # type: ignore[arg-type]  # <ModCertificate/> decodes to ""


def test_amend_reissue_needs_a_new_number() -> None:
    data = amend({"OldCertNo": "26K350100001/00012", "ModReason": "r"}, CertNo="26K350100001/00012")
    assert found(data) == {("CCPIT_CO.OLD_CERT_SAME", f"{M}/OldCertNo")}


def test_old_number_keeps_type_and_enterprise() -> None:
    data = amend({"OldCertNo": "26E350100009/00012", "ModReason": "r"})
    assert found(data) == {("CCPIT_CO.CERT_NO_TYPE", f"{M}/OldCertNo"),
                           ("CCPIT_CO.CERT_NO_ENTERPRISE", f"{M}/OldCertNo")}


def test_a_new_application_has_no_mod_block() -> None:
    data = cert()
    data["ModCertificate"] = {"OldCertNo": "26E350100001/00001", "ModReason": "r"}
    assert found(data) == {("CCPIT_CO.MOD_NOT_EXPECTED", M)}


# --- numbers ------------------------------------------------------------------------------------------


def test_cert_no_of_the_type_and_enterprise_passes() -> None:
    assert found(cert(CertNo="26E350100001/00007")) == set()


@pytest.mark.parametrize(("cert_no", "rules"), [
    ("26K350100001/00007", {"CCPIT_CO.CERT_NO_TYPE"}),
    ("26E350100002/00007", {"CCPIT_CO.CERT_NO_ENTERPRISE"}),
    ("26GE350100002/00007", {"CCPIT_CO.CERT_NO_TYPE", "CCPIT_CO.CERT_NO_ENTERPRISE"}),
    ("not a number", set()),  # the form is the schema's business
])
def test_cert_no_consistency(cert_no: str, rules: set[str]) -> None:
    assert {r for r, _ in found(cert(CertNo=cert_no))} == rules


def test_uscc_check_character() -> None:
    assert found(cert(EntUscc="91350100M000100Y43")) == set()
    assert found(cert(EntUscc="91350100M000100Y44")) == {("CCPIT_CO.USCC_CHECK", f"{H}/EntUscc")}


# --- goods, FOB, route ---------------------------------------------------------------------------------


def test_a_draft_may_have_no_goods_a_declaration_may_not() -> None:
    assert found(cert(lines=[], ApplyType="DRAFT")) == set()
    data = cert(lines=[])
    data["CertificateList"] = ""  # <CertificateList/>
    assert found(data) == {("CCPIT_CO.GOODS_REQUIRED", "/Certificate/CertificateList")}


def test_goods_numbering() -> None:
    assert found(cert(lines=[goods(1), goods(3)])) == {("CCPIT_CO.GNO_SEQUENCE", f"{G}[2]/GNo")}


@pytest.mark.parametrize(("head_fob", "ok"), [("200", True), ("200.01", True), ("200.02", False), ("199.5", False)])
def test_head_fob_is_the_sum_of_the_lines(head_fob: str, ok: bool) -> None:
    assert (found(cert(FOBValue=head_fob)) == set()) is ok


@pytest.mark.parametrize(("route", "transit", "ok"), [
    ("FROM XIAMEN, CHINA TO HAMBURG, GERMANY BY SEA", "", True),
    ("FROM XIAMEN TO HAMBURG", "", True),
    ("from xiamen to hamburg via rotterdam by sea", "ROTTERDAM", True),
    ("FROM XIAMEN TO HAMBURG BY SEA", "ROTTERDAM", False),
    ("XIAMEN - HAMBURG BY SEA", "", False),
    ("FROM XIAMEN BY SEA", "", False),
    ("TO HAMBURG FROM XIAMEN", "", False),
])
def test_route_follows_from_to_via_by(route: str, transit: str, ok: bool) -> None:
    head = {"TransRoute": route, **({"TransitPort": transit} if transit else {})}
    result = found(cert("E", None, **head))
    assert (result == set()) is ok, result
    if not ok:
        assert result == {("CCPIT_CO.ROUTE_FORMAT", f"{H}/TransRoute")}


# --- processing declaration (加工工序, l.351-376) ----------------------------------------------------


def process(heading: str = "9617") -> dict[str, Any]:
    return {"HSHeading": heading, "DeliveryUnitPrice": "1.75", "ProductName": "FLASK", "Process": "drawn, welded",
            "AdValoremPct": "5"}


def test_process_declaration_on_general_certificates() -> None:
    ok = cert("C", [goods(1, RegistrationNo="", OriCriteria="", ProcessDeclaration=process())], FOBValue="100")
    assert found(ok) == set()
    wrong = cert("C", [goods(1, RegistrationNo="", OriCriteria="", ProcessDeclaration=process("3926"))],
                 FOBValue="100")
    assert found(wrong) == {("CCPIT_CO.PROCESS_HS_HEADING", f"{G}[1]/ProcessDeclaration/HSHeading")}


def test_process_declaration_not_on_preferential_certificates() -> None:
    data = cert("E", [goods(1, ProcessDeclaration=process())], FOBValue="100")
    assert found(data) == {("CCPIT_CO.PROCESS_GENERAL_ONLY", f"{G}[1]/ProcessDeclaration")}


def test_violations_carry_chinese_field_names() -> None:
    v = cc.check(cert("E", [goods(1, RegistrationNo="")], FOBValue="100"))
    assert [x.field_cn for x in v] == ["申请备案号"]


def test_input_is_not_modified() -> None:
    data = cert(lines=[goods(1), goods(3)], FOBValue="1")
    before = deepcopy(data)
    cc.check(data)
    assert data == before
