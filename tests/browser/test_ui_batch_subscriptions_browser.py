"""Chromium against a live gateway and a live mock customs: 暂存 drafts with an Excel goods import, 批量申报
batch declare, 回执订阅 subscriptions and 用户管理 users."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from gateway.services.excel_goods import goods_template
from tests.browser.conftest import AGENT, PASSWORD, Stack, _cogw, login, shot, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

Page = Any
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEAD = {
    "head.OrgCode": "2300", "head.FetchPlace": "XIAMEN CUSTOMS", "head.DestCountryCode": "IDN",
    "head.LoadPort": "XIAMEN, CHINA", "head.UnloadPort": "JAKARTA, INDONESIA",
    "head.TransDetails": "FROM XIAMEN TO JAKARTA BY SEA", "head.FOBValue": "27300", "head.TotalAmt": "27300",
}
GOODS = {"HSCode": "0703200000", "GoodsName": "鲜大蒜", "GoodsNameE": "FRESH GARLIC", "PackQty": "2600",
         "PackUnit": "BAG", "GoodsQty": "26000", "GoodsUnit": "KG", "GrossWt": "26520", "NetWt": "26000",
         "InvPrice": "1.05", "InvValue": "27300", "FOBValue": "27300", "ICompPrpr": "0", "OriCriteria": "WO"}


def _goods_sheet(lines: list[dict[str, str]]) -> bytes:
    """The template as downloaded, its example line replaced by ``lines`` (by XML element name)."""
    wb = load_workbook(io.BytesIO(goods_template()))
    ws = wb.worksheets[0]
    fields = [c.value for c in ws[2]]
    ws.delete_rows(3, 1)
    for r, line in enumerate(lines, start=3):
        for col, name in enumerate(fields, start=1):
            ws.cell(row=r, column=col, value=line.get(str(name)))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _fill_head(page: Page, inv_no: str) -> None:
    for name, value in {**HEAD, "head.InvNo": inv_no}.items():
        page.fill(f"[name='{name}']", value)
    page.fill("textarea[name='head.Consignee']", "PT SUMBER MAKMUR SENTOSA\nJAKARTA, INDONESIA")
    page.fill("textarea[name='head.Producer']", "XIAMEN JINHE AGRICULTURAL PRODUCTS CO., LTD.")


def _upload(page: Page, data: bytes) -> None:
    page.set_input_files("input[name=goods_file]", files=[{"name": "goods.xlsx", "mimeType": XLSX, "buffer": data}])
    page.click("#import-goods")


def test_two_drafts_are_declared_in_one_go_and_both_reach_the_authority(stack: Stack,
                                                                       new_page: Callable[[str], Page]) -> None:
    page = new_page(stack.base_url)
    login(page, "agent-declarant")

    # draft 1: goods lines from the Excel template; a wrong sheet first, its problems located
    page.goto("/ui/certificates/new/E")
    _fill_head(page, "INV-BATCH-1")
    _upload(page, _goods_sheet([GOODS, {**GOODS, "HSCode": "07A3", "FOBValue": "lots"}]))
    errors = page.inner_text("#goods-import-errors")
    assert "HS编码" in errors and "FOB值" in errors and "EXCEL.hs_code" in errors
    assert page.input_value("[name='head.InvNo']") == "INV-BATCH-1"  # the rest of the form is kept
    page.locator("#goods-import").scroll_into_view_if_needed()
    shot(page, "goods-import-errors")
    _upload(page, _goods_sheet([GOODS]))
    assert "1 goods line(s) imported" in page.inner_text("#notice")
    assert page.input_value("[name='goods-1.GoodsNameE']") == "FRESH GARLIC"
    page.click("#save-draft")
    page.wait_for_url(re.compile(r"/ui/certificates/drafts/\d+$"))
    first = int(page.url.rsplit("/", 1)[-1])

    # draft 2: typed in
    page.goto("/ui/certificates/new/E")
    _fill_head(page, "INV-BATCH-2")
    for name, value in GOODS.items():
        page.fill(f"[name='goods-1.{name}']", value)
    page.click("#save-draft")
    page.wait_for_url(re.compile(r"/ui/certificates/drafts/\d+$"))
    second = int(page.url.rsplit("/", 1)[-1])

    page.goto("/ui/certificates")
    for draft_id in (first, second):
        page.check(f"tr[data-draft-id='{draft_id}'] input[type=checkbox]")
    shot(page, "certificate-drafts")
    page.click("#batch-declare")
    assert "2 of 2 declared" in page.inner_text("h1")
    message_ids = []
    for draft_id in (first, second):
        row = page.locator(f"tr[data-draft-id='{draft_id}']")
        assert row.get_attribute("data-outcome") == "accepted"
        href = row.locator("a").last.get_attribute("href") or ""
        message_ids.append(href.rsplit("/", 1)[-1])
    shot(page, "batch-declare-result")

    assert stack.mock is not None
    for mid in message_ids:  # each one reached the authority once and was approved
        seen = wait_until(lambda m=mid: (r := httpx.get(f"{stack.mock.admin_url}/admin/messages/{m}")).status_code
                          == 200 and r.json(), 60, f"{mid} at the mock")
        assert seen["receive_count"] == 1
        done = wait_until(lambda m=mid: (v := stack.state(AGENT[0], m))["state"] == "DONE" and v, 60, f"{mid} DONE")
        assert done["document"]["status"] == "APPROVED"
    page.goto("/ui/certificates")
    assert page.locator("tr[data-draft-id]").count() == 0  # no draft left


def test_declarant_subscribes_sees_field_errors_then_cancels(stack: Stack, new_page: Callable[[str], Page]) -> None:
    page = new_page(stack.base_url)
    login(page, "agent-declarant")
    page.goto("/ui/subscriptions")
    page.select_option("select[name=scope]", "document")
    page.select_option("select[name=channel]", "email")
    page.fill("input[name=target]", "not-an-address")
    page.click("#subscribe")
    assert "业务单据号" in page.inner_text("[name=document_no] ~ .field-error")
    assert "接收地址" in page.inner_text("[name=target] ~ .field-error")
    shot(page, "subscription-errors")

    page.fill("input[name=document_no]", "E263501000010001")
    page.fill("input[name=target]", "clerk@agent.test")
    page.click("#subscribe")
    assert "订阅成功" in page.inner_text(".flash")
    row = page.locator("tr[data-subscription-id]")
    assert row.count() == 1 and "clerk@agent.test" in row.inner_text()
    shot(page, "subscriptions")
    with stack.api(AGENT[0]) as api:  # the ERP sees the same record through its API
        (sub,) = api.get("/api/v1/subscriptions").json()["subscriptions"]
    assert sub["document_no"] == "E263501000010001" and sub["channel"] == "email"

    row.locator("button").click()
    assert "取消订阅" in page.inner_text(".flash") and page.locator("tr[data-subscription-id]").count() == 0
    with stack.api(AGENT[0]) as api:
        assert api.get("/api/v1/subscriptions").json()["subscriptions"] == []


def test_admin_creates_a_user_and_the_audit_names_the_admin(stack: Stack, new_page: Callable[[str], Page]) -> None:
    _cogw(stack.env, "user", "add", "--enterprise", AGENT[0], "--username", "agent-admin", "--role", "admin",
          extra_env={"COGW_USER_PASSWORD": PASSWORD})
    page = new_page(stack.base_url)
    login(page, "agent-admin")
    page.goto("/ui/users")
    page.fill("#new-user input[name=username]", "x")
    page.fill("#new-user input[name=password]", "a long enough password")
    page.click("#create-user")
    assert "用户名" in page.inner_text("[data-field=username]")
    page.fill("#new-user input[name=username]", "wang.fang")
    page.select_option("#new-user select[name=role]", "declarant")
    page.fill("#new-user input[name=password]", "a long enough password")
    page.click("#create-user")
    assert "wang.fang" in page.inner_text("tr[data-user='wang.fang']")
    audit = page.inner_text("table.audit")
    assert "ui:agent-admin" in audit and "wang.fang" in audit and "cli" in audit
    shot(page, "users")
    other = new_page(stack.base_url)
    login(other, "wang.fang", "a long enough password")
    assert other.url.endswith("/ui/certificates")
