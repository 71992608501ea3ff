"""CCPIT user record rules (gateway.domain.families.ccpit_user) on plain data."""

from __future__ import annotations

from typing import Any

from gateway.domain.families import ccpit_user as cu


def record(*signers: str, uscc: str = "91350100M000100Y43") -> dict[str, Any]:
    names: Any = list(signers)
    return {"Head": {"DocumentNo": "U1"},
            "Enterprise": {"Uscc": uscc, "NameCn": "厦门示范贸易有限公司", "OfficeCode": "350100",
                           "EntCode": "350100001"},
            "SignerList": {"SignerName": names}}


def found(data: dict[str, Any]) -> set[tuple[str, str]]:
    return {(v.rule_id, v.path) for v in cu.check(data)}


def test_clean_record_passes() -> None:
    assert cu.check(record("林晓丹", "陈志明")) == []


def test_uscc_check_character() -> None:
    assert found(record("林晓丹", uscc="91350100M000100Y44")) == {
        ("CCPIT_USER.USCC_CHECK", "/UserRecord/Enterprise/Uscc")}


def test_duplicate_signer_points_at_the_repeat() -> None:
    assert found(record("林晓丹", "陈志明", "林晓丹")) == {
        ("CCPIT_USER.SIGNER_DUPLICATE", "/UserRecord/SignerList/SignerName[3]")}


def test_signer_names_compare_after_whitespace_normalisation() -> None:
    assert found(record("ZHANG  WEI", "ZHANG WEI")) == {
        ("CCPIT_USER.SIGNER_DUPLICATE", "/UserRecord/SignerList/SignerName[2]")}


def test_bad_input_never_raises() -> None:
    assert cu.check({}) == []
    assert cu.check({"Enterprise": "x", "SignerList": {"SignerName": [None, 3]}}) == []
    assert cu.check([]) == []  # type: ignore[arg-type]
