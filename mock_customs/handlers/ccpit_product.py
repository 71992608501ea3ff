"""CCPIT product registration 商品备案 (seed 002): DECLARE registers the product for each preferential area.

Needs the user record and the sync state. DECLARE approves every area and numbers it
(``YY<area><EntCode>/<serial>``, in the ``ProductRecordReceipt``): preferential certificates may then use
those numbers. SAVE keeps the product at CCPIT unregistered; DELETE only of a product CCPIT has.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_customs import wire
from mock_customs.handlers._ccpit import PRODUCT, REGISTRATION, ccpit_number, require_ent_code, require_user_record
from mock_customs.handlers.base import APPROVED, Plan, Review, as_list, beijing_time, first_listed, text

if TYPE_CHECKING:
    from mock_customs.authority import Authority

HEAD = "/ProductRecord/Head"


ECFA = "H"  # cross-strait ECFA: registered on its own (seed 002)


def _check_areas(review: Review, areas: list[str]) -> None:
    """Each area once; ECFA never together with another preferential area (as the gateway checks too)."""
    for index, (area, seen) in enumerate(zip(areas, first_listed(areas), strict=True), start=1):
        if seen is not None:
            review.find("AREA_DUPLICATE", f"/ProductRecord/Product/AreaList/Area[{index}]/AreaCode",
                        f"area 优惠区域 (AreaCode) {area} is listed twice (first as Area[{seen}])")
    others = sorted({a for a in areas if a and a != ECFA})
    if ECFA in areas and others:
        review.find("ECFA_ALONE", f"/ProductRecord/Product/AreaList/Area[{areas.index(ECFA) + 1}]/AreaCode",
                    f"the ECFA area (H) is registered on its own 单独备案, not together with {', '.join(others)}")


class ProductRecordHandler:
    family = "CCPIT_PRODUCT"

    def plan(self, authority: Authority, intake: wire.Intake, received_at: datetime) -> Plan:
        review = Review.of(authority, intake, received_at, self.family)
        data = review.data
        head: dict[str, Any] = data.get("Head") or {}
        product = data.get("Product") or {}
        require_ent_code(review, f"{HEAD}/EntCode", text(head.get("EntCode")))
        require_user_record(review, f"{HEAD}/EntCode")
        review.require_synced(f"{HEAD}/EntCode")
        action, product_no = text(head.get("ApplyType")), text(head.get("ProductNo"))
        current = review.record(PRODUCT, product_no)
        documents = []
        if action == "DELETE":
            if current is None or current.status == "DELETED":
                review.find("PRODUCT_UNKNOWN", f"{HEAD}/ProductNo", f"product 商品编号 (ProductNo) {product_no} is"
                            " not registered with CCPIT: nothing to delete")
            review.put(PRODUCT, product_no, "DELETED")
            for rec in review.records(REGISTRATION):
                if rec.data.get("ProductNo") == product_no:
                    review.put(REGISTRATION, rec.key, "DELETED", rec.data)
        elif action == "SAVE":
            review.put(PRODUCT, product_no, "SAVED", {"HSCode": text(product.get("HSCode"))})
        else:
            areas = [text(a.get("AreaCode")) for a in as_list((product.get("AreaList") or {}).get("Area"))]
            _check_areas(review, areas)
            results = []
            for area in areas:
                number = ccpit_number(review, "registration", area, received_at.year)
                review.put(REGISTRATION, number, APPROVED, {"AreaCode": area, "ProductNo": product_no,
                                                            "HSCode": text(product.get("HSCode"))})
                results.append([("AreaCode", area), ("RegistrationNo", number), ("Status", APPROVED),
                                ("Text", "审核通过")])
            review.put(PRODUCT, product_no, "DECLARED", {"HSCode": text(product.get("HSCode")), "areas": areas})
            documents.append(("CCPIT_PRODUCT_RECORD_RECEIPT", wire.build_document("CCPIT_PRODUCT_RECORD_RECEIPT", [
                ("ReceiptId", f"{authority.authority_id}-PRR-{review.message_id[:12]}"),
                ("DocumentNo", text(head.get("DocumentNo"))), ("ProductNo", product_no), ("AreaResult", results),
                ("IssuedAt", beijing_time(received_at)),
            ])))
        return review.plan(approved_text="商品备案审核通过", documents=documents)


HANDLERS = {"CCPIT_PRODUCT_RECORD": ProductRecordHandler()}
