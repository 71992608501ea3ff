"""CCPIT product registration 商品备案 (seed 002 l.538-581): rules of ``ProductRecord``.

``ProductRecord`` decodes to ``{"Head": {...}, "Product": {"AreaList": {"Area": [...]}, ..., "MaterialList":
{"Material": [...]}}}``. The schema already requires at least one preferential area (备案资料 至少应填写一条
数据, l.546), at least one raw material or part (原材料、零部件 至少应填写一条数据, l.561) and an HS code of
6, 8 or 10 digits (l.555). Rules here:

- SAVE (保存) and DECLARE (申报) carry the product (l.544); DELETE (删除) names the record only;
- one product may be registered for several preferential areas at once, but the cross-strait ECFA
  area (H) is registered on its own (《海峡两岸经济合作框架协议》商品信息需单独备案, 不能与其它优惠区域合并, l.551);
  an area is listed once;
- the producer (生产厂商) is written in Chinese: 请用中文填写制造商的名称和地址 (l.558);
- the English product name (商品名称(英文), l.555) carries no Chinese characters;
- materials are numbered 1..n.

The receipt (``ProductRecordReceipt``) is inbound and has no rules. CCPIT reviews the registration
(提交贸促会机构审核, l.551); approval is its decision.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from gateway.domain import ccpit
from gateway.domain.violations import Violation

FAMILY = "ccpit_product"
ROOT = "/ProductRecord"
PRODUCT = f"{ROOT}/Product"

RULES: Mapping[str, str] = MappingProxyType(
    {
        "CCPIT_PRODUCT.BODY_REQUIRED": "SAVE and DECLARE carry the product (Product)",
        "CCPIT_PRODUCT.ECFA_ALONE": "the ECFA area (H) is registered on its own, never with other preferential "
                                    "areas (seed 002 l.551)",
        "CCPIT_PRODUCT.AREA_DUPLICATE": "a preferential area is listed once",
        "CCPIT_PRODUCT.PRODUCER_CHINESE": "the producer's name and address are written in Chinese (l.558)",
        "CCPIT_PRODUCT.NAME_EN_NO_CHINESE": "the English product name has no Chinese characters",
        "CCPIT_PRODUCT.MATERIAL_SEQNO": "raw materials and parts are numbered 1..n",
    }
)

_NEEDS_BODY = frozenset({"SAVE", "DECLARE"})


def _areas(product: Mapping[str, Any]) -> Iterator[Violation]:
    areas = [ccpit.text(a, "AreaCode") for a in ccpit.children(product, "AreaList", "Area")]
    seen: set[str] = set()
    for i, code in enumerate(areas, start=1):
        path = f"{PRODUCT}/AreaList/Area[{i}]/AreaCode"
        if code and code in seen:
            yield Violation("CCPIT_PRODUCT.AREA_DUPLICATE", path, f"preferential area {code} is listed twice",
                            "优惠区域")
        seen.add(code)
    # l.551: 海峡两岸经济合作框架协议 商品信息需单独备案, 不能与其它优惠区域合并.
    others = sorted({c for c in areas if c and c != ccpit.ECFA})
    if ccpit.ECFA in areas and others:
        i = areas.index(ccpit.ECFA) + 1
        yield Violation("CCPIT_PRODUCT.ECFA_ALONE", f"{PRODUCT}/AreaList/Area[{i}]/AreaCode",
                        f"the ECFA area (H) must be registered on its own, not together with {', '.join(others)}: "
                        "send a separate registration", "优惠区域")


def _texts(product: Mapping[str, Any]) -> Iterator[Violation]:
    producer = ccpit.text(product, "Producer")
    if producer and not ccpit.has_han(producer):  # l.558 请用中文填写制造商的名称和地址
        yield Violation("CCPIT_PRODUCT.PRODUCER_CHINESE", f"{PRODUCT}/Producer",
                        f"write the producer's name and address in Chinese, got {producer!r}", "生产厂商")
    name_en = ccpit.text(product, "NameEn")
    if name_en and ccpit.has_cjk(name_en):  # l.555 商品名称(英文)
        yield Violation("CCPIT_PRODUCT.NAME_EN_NO_CHINESE", f"{PRODUCT}/NameEn",
                        f"the English product name has Chinese characters: {name_en!r}", "商品名称(英文)")


def _materials(product: Mapping[str, Any]) -> Iterator[Violation]:
    for i, material in enumerate(ccpit.children(product, "MaterialList", "Material"), start=1):
        seq = ccpit.text(material, "SeqNo")
        if not (seq.isascii() and seq.isdecimal() and int(seq) == i):
            yield Violation("CCPIT_PRODUCT.MATERIAL_SEQNO", f"{PRODUCT}/MaterialList/Material[{i}]/SeqNo",
                            f"raw materials and parts are numbered 1..n: expected {i}, got {seq!r}", "序号")


def check(data: Mapping[str, Any]) -> list[Violation]:
    if not isinstance(data, Mapping):
        return []
    head = ccpit.child(data, "Head")
    if not head:
        return []  # the receipt, or nothing we know
    product = ccpit.child(data, "Product")
    if not product:
        kind = ccpit.text(head, "ApplyType")
        if kind in _NEEDS_BODY:
            return [Violation("CCPIT_PRODUCT.BODY_REQUIRED", PRODUCT,
                              f"ApplyType {kind} needs the product: preferential areas, product information and its "
                              "raw materials (Product)", "商品备案信息")]
        return []
    return [*_areas(product), *_texts(product), *_materials(product)]
