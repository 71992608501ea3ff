"""Self-print 自助打印 in Chromium against a live gateway and a live mock customs (separate processes):
the enterprise's admin (法人卡) uploads a seal and a signature, makes them the default and authorises
them to customs; customs approves a general certificate and sends its print layout; the declarant
downloads the original from the certificate page (read back with pdftotext: that certificate, with the
seal and the signature), then a copy, marked COPY."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from gateway.demo import sample_bytes
from gateway.docs_printing import demo_stamp
from tests.browser.conftest import AGENT, PASSWORD, Stack, _cogw, login, shot, wait_until
from tests.pdftools import images, text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

Page = Any


def _submit(page: Page, selector: str) -> None:
    """Click a form's button and wait for the page it leads to (POST, redirect, GET)."""
    with page.expect_navigation():
        page.click(selector)


def _upload_stamp(page: Page, collection: str, fields: dict[str, str], image: bytes, name: str) -> None:
    page.goto(f"/ui/{collection}")
    for field, value in fields.items():
        selector = f"#stamp-form [name='{field}']"
        if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    page.set_input_files("#stamp-form input[name=image]",
                         files=[{"name": name, "mimeType": "image/png", "buffer": image}])
    _submit(page, "#stamp-save")
    assert "保存成功" in page.inner_text(".flash")


def _make_default(page: Page, collection: str) -> None:
    with page.expect_navigation():
        page.locator(f"#defaults-{collection} button[value=default]").first.click()
    assert page.locator(f"#defaults-{collection} tr[data-default=true]").count() == 1


def _download(page: Page, button: str, tmp_path: Path) -> bytes:
    with page.expect_download() as info:
        page.click(button)
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return target.read_bytes()


def test_admin_authorises_seal_and_signature_and_the_declarant_prints_original_then_copy(
        stack: Stack, new_page: Callable[[str], Page], tmp_path: Path) -> None:
    _cogw(stack.env, "user", "add", "--enterprise", AGENT[0], "--username", "agent-admin", "--role", "admin",
          extra_env={"COGW_USER_PASSWORD": PASSWORD})
    admin = new_page(stack.base_url)
    login(admin, "agent-admin")
    _upload_stamp(admin, "seals", {"holder_name": "王法人", "name": "演示专用章", "seal_type": "COMPANY",
                                   "shape": "ROUND", "width_mm": "42", "height_mm": "42",
                                   "valid_from": "2020-01-01", "valid_to": "2099-12-31"},
                  demo_stamp("SEAL"), "seal.png")
    assert admin.locator("#stamps tr[data-enabled=true]").count() == 1
    shot(admin, "selfprint-seals")
    _upload_stamp(admin, "signatures", {"holder_name": "张三", "name": "张三签名",
                                        "holder_id_no": "11010519491231002X", "width_mm": "35", "height_mm": "21"},
                  demo_stamp("SIGNATURE"), "signature.png")

    admin.goto("/ui/seal-authorisation")
    _make_default(admin, "seals")
    _make_default(admin, "signatures")
    _submit(admin, "#authorise")
    assert "sent to customs" in admin.inner_text(".flash")

    def authorised() -> bool:
        admin.reload()
        return "接收企业电子印章成功" in admin.inner_text("table.sent")

    wait_until(authorised, 60, "customs' receipt of the authorisation")
    shot(admin, "selfprint-authorisation")

    # customs approves a general certificate (one of the 15 types) and sends its print layout
    sample = sample_bytes("general_co_approved.xml")
    head = etree.fromstring(sample).find("{*}CertificateHead")
    assert head is not None
    cert_no, exporter = head.findtext("{*}CertNo") or "", (head.findtext("{*}Exporter") or "").splitlines()[0]
    message_id = stack.push(AGENT[0], sample)
    with stack.api(AGENT[0]) as api:
        wait_until(lambda: api.get(f"/api/v1/certificates/{cert_no}/print").json()["layout_status"] == "RECEIVED",
                   60, "the print layout from customs")
    assert stack.state(AGENT[0], message_id)["document"]["status"] == "APPROVED"

    declarant = new_page(stack.base_url)
    login(declarant, "agent-declarant")
    declarant.goto(f"/ui/certificates/{message_id}")
    assert declarant.get_attribute("#layout-status", "data-status") == "RECEIVED"
    assert declarant.get_attribute("#print-status", "data-status") == "PENDING"
    assert declarant.is_enabled("#print-original") and declarant.is_enabled("#print-copy")
    shot(declarant, "selfprint-certificate-ready")

    original = _download(declarant, "#print-original", tmp_path)
    words = text(original)
    assert cert_no in words and "ORIGINAL" in words and "COPY" not in words
    assert exporter and exporter in words  # the certificate's own content, not a blank form
    drawn = sorted(int(i["width"]) for i in images(original) if i["type"] == "image")  # not their alpha masks
    assert drawn == [350, 420]  # the uploaded signature (350 px wide) and seal (420 px)

    declarant.reload()
    assert declarant.get_attribute("#print-status", "data-status") == "PRINTED"
    assert not declarant.is_enabled("#print-original")
    assert "PRINT.NOT_PENDING" in declarant.inner_text("#why-original")
    copy = _download(declarant, "#print-copy", tmp_path)
    assert cert_no in text(copy) and "COPY" in text(copy) and "ORIGINAL" not in text(copy)
    assert images(copy) == []  # a copy carries no seal
    declarant.reload()
    shot(declarant, "selfprint-certificate-printed")

    declarant.goto("/ui/certificates")
    row = declarant.locator(f"tr[data-message-id='{message_id}']")
    assert row.locator("[data-print-status]").get_attribute("data-print-status") == "PRINTED"
    assert row.locator("button[data-kind=original]").is_disabled()
    assert re.search(r"已打印", row.inner_text())
