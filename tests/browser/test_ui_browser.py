"""The UI in Chromium against a live gateway and a live mock customs (both separate processes)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from gateway.demo import sample_bytes
from tests.browser.conftest import AGENT, FINAL, PRINCIPAL, Stack, login, shot, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

Page = Any


def test_login_rejects_a_wrong_password_and_admits_the_right_one(stack: Stack,
                                                                new_page: Callable[[str], Page]) -> None:
    page = new_page(stack.base_url)
    page.goto("/ui/dashboard")
    assert "/login" in page.url  # not logged in: sent to the login page
    page.fill("input[name=username]", "agent-engineer")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert "Wrong username or password" in page.inner_text("[role=alert]")
    shot(page, "login-error")
    login(page, "agent-engineer")
    assert page.url.endswith("/ui/dashboard")
    cookie = next(c for c in page.context.cookies() if c["name"] == "cogw_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"


def test_declarant_enters_a_form_e_declares_it_and_sees_it_approved_with_receipts(
        stack: Stack, new_page: Callable[[str], Page]) -> None:
    page = new_page(stack.base_url)
    login(page, "agent-declarant")
    page.goto("/ui/certificates/new/E")
    assert page.input_value("input[name='head.AplRegNo']") == AGENT[2]  # initial values pre-filled
    assert page.input_value("input[name='head.EntUscc']") == AGENT[0]
    fields = {
        "head.OrgCode": "2300", "head.FetchPlace": "XIAMEN CUSTOMS", "head.InvNo": "INV-UI-0001",
        "head.DestCountryCode": "IDN", "head.LoadPort": "XIAMEN, CHINA", "head.UnloadPort": "JAKARTA, INDONESIA",
        "head.TransDetails": "FROM XIAMEN TO JAKARTA BY SEA", "head.FOBValue": "27300", "head.TotalAmt": "27300",
        "goods-1.HSCode": "0703200000", "goods-1.GoodsName": "鲜大蒜", "goods-1.GoodsNameE": "FRESH GARLIC",
        "goods-1.PackQty": "2600", "goods-1.PackUnit": "BAG", "goods-1.GoodsQty": "26000", "goods-1.GoodsUnit": "KG",
        "goods-1.GrossWt": "26520", "goods-1.NetWt": "26000", "goods-1.InvPrice": "1.05",
        "goods-1.InvValue": "27300", "goods-1.FOBValue": "27300", "goods-1.ICompPrpr": "0",
        "goods-1.OriCriteria": "PSR",  # wrong on purpose first: PSR needs a sub-criterion
    }
    for name, value in fields.items():
        page.fill(f"[name='{name}']", value)
    page.fill("textarea[name='head.Consignee']", "PT SUMBER MAKMUR SENTOSA\nJAKARTA, INDONESIA")
    page.fill("textarea[name='head.Producer']", "XIAMEN JINHE AGRICULTURAL PRODUCTS CO., LTD.")
    page.click("#declare")
    error = page.locator("[name='goods-1.OriCriteriaSub'] + .field-error")
    assert "ORIGIN.E.PSR_SUB_REQUIRED" in error.inner_text() and "原产地子标准" in error.inner_text()
    error.scroll_into_view_if_needed()
    shot(page, "form-e-error-next-to-field")

    page.fill("[name='goods-1.OriCriteria']", "WO")
    page.click("#declare")
    page.wait_for_url(re.compile(r"/ui/certificates/[0-9a-f]{32}$"))
    message_id = page.url.rsplit("/", 1)[-1]

    def approved() -> bool:
        page.reload()
        return page.inner_text("#cert-status") == "审核通过"

    wait_until(approved, 60, "审核通过 on the certificate page")
    receipts = page.inner_text("table.receipts")
    for status in ("数据已发往海关", "海关入库成功", "申报正确"):
        assert status in receipts
    shot(page, "form-e-approved-with-receipts")
    assert stack.state(AGENT[0], message_id)["document"]["status"] == "APPROVED"

    page.goto("/ui/certificates")
    row = page.locator(f"tr[data-message-id='{message_id}']")
    assert "审核通过" in row.inner_text() and "agent-declarant" in row.inner_text()
    shot(page, "certificate-query")
    page.goto("/ui/statistics")
    assert page.locator("svg").count() == 8  # type, principal, clerk, user × bar, pie
    shot(page, "statistics")


def test_engineer_finds_a_failed_message_and_resends_it(stack_without_authority: Stack,
                                                        new_page: Callable[[str], Page]) -> None:
    stack = stack_without_authority
    # The authority is down: with one attempt allowed, the message is dead-lettered.
    message_id = stack.push(AGENT[0], sample_bytes("form_e_approved.xml"))
    failed = wait_until(lambda: (v := stack.state(AGENT[0], message_id))["state"] in FINAL and v, 60, "FAILED")
    assert failed["state"] == "FAILED", failed

    page = new_page(stack.base_url)
    login(page, "agent-engineer")
    assert page.inner_text("b[data-state=FAILED]") == "1"
    shot(page, "dashboard")
    page.goto("/ui/messages")
    page.select_option("select[name=state]", "FAILED")
    page.click("form.filters button[type=submit]")
    page.click(f"tr[data-message-id='{message_id}'] a")
    assert page.inner_text("#state") == "FAILED"
    shot(page, "message-failed")

    stack.start_mock()  # the authority is back
    page.click("#resend")
    assert "queued again" in page.inner_text(".flash")
    done = wait_until(lambda: (v := stack.state(AGENT[0], message_id))["state"] in {"DONE"} and v, 60, "DONE")
    assert done["message_id"] == message_id and done["document"]["status"] == "APPROVED"  # same MessageId
    page.reload()
    assert page.inner_text("#state") == "DONE"
    events = page.inner_text("table:has(th:text('actor'))")
    assert "ui:agent-engineer" in events and "resent" in events
    shot(page, "message-resent-done")


def test_agent_sees_its_principals_certificate_and_another_enterprise_is_denied(
        stack: Stack, new_page: Callable[[str], Page]) -> None:
    xml = sample_bytes("general_co_approved.xml").decode()
    xml = re.sub(r"<AplRegNo>\d+</AplRegNo>", f"<AplRegNo>{PRINCIPAL[2]}</AplRegNo>", xml)
    message_id = stack.push(PRINCIPAL[0], xml.encode())

    agent = new_page(stack.base_url)
    login(agent, "agent-declarant")
    agent.goto("/ui/certificates")
    row = agent.locator(f"tr[data-message-id='{message_id}']")
    assert PRINCIPAL[0] in row.inner_text()
    row.locator("a").first.click()
    agent.wait_for_url(re.compile(message_id))
    assert PRINCIPAL[0] in agent.inner_text("main")
    shot(agent, "agent-sees-principal-certificate")

    other = new_page(stack.base_url)
    login(other, "other-declarant")
    response = other.goto(f"/ui/certificates/{message_id}")
    assert response is not None and response.status == 404
    assert PRINCIPAL[0] not in other.inner_text("main") and "404" in other.inner_text("h1")
    shot(other, "other-enterprise-denied")
    other.goto("/ui/certificates")
    assert message_id not in other.content()
