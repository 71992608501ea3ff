"""What every CCPIT family checks: the enterprise code 企业编码 is the sender's, a user record 用户备案 exists."""

from __future__ import annotations

from mock_customs.handlers.base import Review

USER = "user"  # key "record": ACCEPTED, data {"signers": [...], "OfficeCode"}
PRODUCT = "ccpit_product"  # key = ProductNo: SAVED / DECLARED / DELETED
REGISTRATION = "product_registration"  # key = RegistrationNo: APPROVED; data {AreaCode, ProductNo, HSCode}


def require_ent_code(review: Review, path: str, ent_code: str) -> None:
    if ent_code and ent_code != review.reg_no:
        review.find("ENT_CODE", path, f"enterprise code 企业编码 (EntCode) {ent_code!r} is not the sender's"
                    f" registered code {review.reg_no}")


def has_user_record(review: Review) -> bool:
    """A user record 用户备案 CCPIT accepted (being synced is a different fact: it does not stand in for it)."""
    rec = review.record(USER, "record")
    return rec is not None and rec.status == "ACCEPTED"


def require_user_record(review: Review, path: str) -> None:
    if not has_user_record(review):
        review.find("NO_USER_RECORD", path, f"enterprise {review.sender} has no CCPIT user record 用户备案:"
                    " send CCPIT_USER_RECORD first")


def ccpit_number(review: Review, kind: str, type_code: str, year: int) -> str:
    """``YY<type><EntCode>/<5-digit serial>``: CCPIT registration and certificate numbers."""
    serial = review.registry.next_number(f"ccpit:{kind}:{review.reg_no}:{type_code}:{year}")
    return f"{year % 100:02d}{type_code}{review.reg_no}/{serial:05d}"
