"""核查互动 in Chromium against a live gateway and a live mock customs: customs opens a verification record,
the declarant uploads the materials, maintains the product's cost details (first with an error next to the
field), submits, and the mock's receipt turns the record 核查中."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import AGENT, Stack, login, shot, wait_until
from tests.integration.declarant_docs import pdf

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

Page = Any
PRODUCT = "PR3501202600000123"
COSTS = {"p.NameEn": "STAINLESS STEEL VACUUM FLASK 500ML", "p.Unit": "个", "p.ExWorksPrice": "38.50",
         "p.FOBPrice": "30.00",  # below the ex-works price on purpose first
         "d-1.HSCode": "722020", "d-1.MaterialName": "不锈钢冷轧板", "d-1.OriginCountry": "CHN",
         "d-1.UnitPrice": "18.60", "d-1.Usage": "0.42", "d-1.UsageUnit": "千克", "d-1.OriginatingValue": "7.812",
         "d-1.NonOriginatingValue": "0"}


def _upload(page: Page, material: str, path: Path) -> None:
    row = page.locator(f"tr[data-material='{material}']")
    row.locator("input[type=file]").set_input_files(str(path))
    row.locator("form[enctype] button[type=submit]").click()
    page.wait_for_selector(f"tr[data-material='{material}'] .file[data-file='{path.name}']")


def test_verification_record_upload_costs_submit_and_the_mock_receipt_shows_in_progress(
        stack: Stack, new_page: Callable[[str], Page], tmp_path: Path) -> None:
    assert stack.mock is not None
    httpx.post(f"{stack.mock.admin_url}/admin/initiate/verification-request", json={
        "enterprise": AGENT[0], "record_no": "HC3501202600004512", "name_cn": "厦门金禾代理有限公司",
        "content": "请提供原材料采购发票、生产工艺流程说明, 并维护保温杯的产品成本明细。",
        "products": [{"PreReviewNo": PRODUCT, "HSCode": "9617001900", "NameCn": "不锈钢真空保温杯",
                      "CostDetailRequired": "1"}]}).raise_for_status()

    page = new_page(stack.base_url)
    login(page, "agent-declarant")

    def listed() -> bool:
        page.goto("/ui/verifications")
        return page.locator("tr[data-record-no='HC3501202600004512']").count() == 1

    wait_until(listed, 60, "the verification record from customs in the list")
    row = page.locator("tr[data-record-no='HC3501202600004512']")
    assert "待核查" in row.inner_text()
    shot(page, "verification-records")
    row.locator("a", has_text="处理").click()

    invoice, process = tmp_path / "原材料采购发票.pdf", tmp_path / "生产工艺流程说明.pdf"
    invoice.write_bytes(pdf(2, "purchase invoice"))
    process.write_bytes(pdf(1, "production process"))
    _upload(page, "CGFP|", invoice)
    _upload(page, "SCGY|", process)

    page.click(f"tr[data-product='{PRODUCT}'] a")
    for name, value in COSTS.items():
        page.fill(f"[name='{name}']", value)
    page.select_option("select[name='p.ContainsImported']", "0")
    page.click("#save")
    error = page.locator("[name='p.FOBPrice'] + .field-error")
    assert "PRODUCT.FOB_GE_EXWORKS" in error.inner_text() and "单位产品FOB值" in error.inner_text()
    shot(page, "verification-cost-error-next-to-field")
    page.fill("[name='p.FOBPrice']", "41.20")
    page.click("#save")
    page.wait_for_url(re.compile(r"/process$"))
    assert "已保存" in page.inner_text(f"tr[data-product='{PRODUCT}']")
    shot(page, "verification-process")

    page.click("#submit")
    page.wait_for_url(re.compile(r"/ui/verifications/[0-9a-f]{32}$"))
    assert "提交成功" in page.inner_text(".flash")

    def in_progress() -> bool:
        page.reload()
        return page.get_attribute("#record-status", "data-status") == "IN_PROGRESS"

    wait_until(in_progress, 60, "核查中 after the mock's receipt")
    assert page.inner_text("#record-status") == "核查中"
    receipts = page.inner_text("body")
    assert "核查记录单接收成功" in receipts and "海关入库成功" in receipts
    files = page.locator("tr[data-file-sent]")  # the two materials, each its own message, accepted by customs
    assert files.count() == 2 and all("海关接收成功" in files.nth(i).inner_text() for i in range(2))
    shot(page, "verification-in-progress")
    page.goto("/ui/verifications")
    assert page.locator("tr[data-record-no='HC3501202600004512']").count() == 0  # no longer 待核查 / 退回核查


def test_blank_forms_written_off_by_page_count_and_a_declaration_supplement_accepted(
        stack: Stack, new_page: Callable[[str], Page]) -> None:
    from gateway.demo import sample_bytes
    from tests.browser.conftest import FINAL

    message_id = stack.push(AGENT[0], sample_bytes("form_e_approved.xml"))
    done = wait_until(lambda: (v := stack.state(AGENT[0], message_id))["state"] in FINAL and v, 60, "approval")
    assert done["document"]["status"] == "APPROVED", done
    assert stack.mock is not None
    httpx.post(f"{stack.mock.admin_url}/admin/initiate/blank-form-allocation", json={
        "enterprise": AGENT[0], "apply_mode": "SELF",
        "ranges": [{"form_type": "E", "start": "2600012001", "count": 20}]}).raise_for_status()

    page = new_page(stack.base_url)
    login(page, "agent-declarant")
    page.goto("/ui/blank-forms/write-off")
    page.click("tr[data-cert-no='E263501000010001'] a")
    window = page.url

    def allocated() -> bool:
        page.goto(window)
        return page.locator("input[name=unused]").count() == 20

    wait_until(allocated, 60, "the allocated blank forms in the write-off window")
    page.fill("input[name=pages]", "2")
    page.click("#fill")  # 返填出口商流水号
    assert [page.input_value(f"tr[data-row='{i}'] input[name=serial]") for i in (1, 2)] == ["2600012001",
                                                                                          "2600012002"]
    page.click("#write-off")
    assert "核销提交成功" in page.inner_text(".flash")

    def written_off() -> bool:
        page.goto(window)
        return page.locator("table.used tr[data-status='WRITTEN_OFF']").count() == 2

    wait_until(written_off, 60, "已核销 after customs' receipts")
    shot(page, "blank-form-write-off")
    page.goto("/ui/blank-forms")
    assert page.locator("table.blank-forms tr[data-status='WRITTEN_OFF']").count() == 2
    shot(page, "blank-form-query")
    page.click("tr[data-serial='2600012002'] a")
    assert "空白证单 2600012002 核销成功" in page.inner_text("tr[data-serial='2600012002']")  # 空白证单回执
    shot(page, "blank-form-receipts")

    page.goto("/ui/supplements/certificates")
    page.click("tr[data-cert-no='E263501000010001'] a:has-text('补录')")
    page.check("input[name=exported][value='1']")
    page.fill("textarea[name=declaration_nos]", "350120260001234567；530120260000004321")  # a full-width ；
    page.click("#submit")
    error = page.locator("textarea[name=declaration_nos] + .field-error")
    assert "SUPPLEMENT.DECL_NO_SEPARATOR" in error.inner_text() and "报关单号" in error.inner_text()
    shot(page, "supplement-error-next-to-field")
    page.check("input[name=exported][value='1']")
    page.fill("textarea[name=declaration_nos]", "350120260001234567;530120260000004321")
    page.click("#submit")
    page.wait_for_url(re.compile(r"/ui/supplements/[0-9a-f]{32}$"))

    def accepted() -> bool:
        page.reload()
        return page.get_attribute("#supplement-status", "data-status") == "ACCEPTED"

    wait_until(accepted, 60, "海关接收成功")
    assert page.inner_text("#declaration-nos") == "350120260001234567;530120260000004321"
    shot(page, "supplement-accepted")
