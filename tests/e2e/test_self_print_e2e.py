"""Self-print over the wire: gateway process + mock customs process (SFTP).

The enterprise makes its seal and signature through the API and authorises them to customs; a general
certificate (one of the 15 self-print types) is approved and customs sends its print layout; the gateway
stores the layout notice and the original prints with the seal. A "content wrong" print exception makes
customs send a new layout, after which the original prints again. The mock is driven with
``POST /admin/tick``.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.e2e.helpers import (
    FAMILIES_DIR,
    FINAL,
    add_enterprise,
    enterprise_pem,
    poll_until,
    seed_both_authorities,
    serving,
    start_two_authority_mock,
    two_authority_env,
)
from tests.pdftools import images, text

pytestmark = pytest.mark.e2e


def _png(width: int, height: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 20, 20)).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


class Wire:
    def __init__(self, api: httpx.Client, admin: httpx.Client) -> None:
        self.api, self.admin = api, admin

    def until(self, check: Callable[[], bool], what: str, timeout: float = 60) -> None:
        poll_until(check, what, timeout, between=self.tick, interval=0.05)

    def tick(self) -> None:
        self.admin.post("/admin/tick").raise_for_status()

    def done(self, message_id: str) -> dict[str, Any]:
        view: dict[str, Any] = {}

        def final() -> bool:
            view.update(self.api.get(f"/api/v1/messages/{message_id}").json())
            return view["state"] in FINAL

        self.until(final, f"message {message_id} to finish")
        return view

    def push(self, family: str, name: str) -> dict[str, Any]:
        body = (FAMILIES_DIR / family / f"{name}.xml").read_bytes()
        r = self.api.post("/api/v1/messages", content=body, headers={"Content-Type": "application/xml"})
        assert r.status_code == 202, r.text
        return self.done(r.json()["message_id"])

    def print_state(self, cert_no: str) -> dict[str, Any]:
        r = self.api.get(f"/api/v1/certificates/{cert_no}/print")
        assert r.status_code == 200, r.text
        return dict(r.json())


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory, pki_dir: Path, pki_passphrase: str) -> Iterator[Wire]:
    base = tmp_path_factory.mktemp("selfprint-e2e")
    mock = start_two_authority_mock(base / "mock", pki_dir, pki_passphrase)
    try:
        with httpx.Client(base_url=mock.admin_url, timeout=30) as admin:
            seed_both_authorities(admin, enterprise_pem(pki_dir, pki_passphrase))
            env = two_authority_env(mock, "sftp", f"sqlite:///{base / 'gateway.db'}", pki_dir, pki_passphrase)
            api_key = add_enterprise(env)
            with serving(env) as gateway, gateway.api(api_key, timeout=60) as api:
                yield Wire(api, admin)
    finally:
        mock.stop()


def test_authorised_seal_layout_from_customs_original_and_new_layout_after_exception(wire: Wire) -> None:
    assert wire.push("gacc_enterprise", "valid_enterprise_info_sync")["state"] == "DONE"
    seal = wire.api.post("/api/v1/seals", json={
        "name": "产地证印章", "seal_type": "COMPANY", "shape": "ROUND", "width_mm": "40", "height_mm": "40",
        "valid_from": "2020-01-01", "valid_to": "2099-12-31", "holder_name": "王法人", "image_base64": _png(400, 400)})
    signature = wire.api.post("/api/v1/signatures", json={
        "name": "张三签名", "width_mm": "30", "height_mm": "15", "holder_name": "张三",
        "holder_id_no": "11010519491231002X", "image_base64": _png(300, 150)})
    assert seal.status_code == signature.status_code == 201, (seal.text, signature.text)
    for path in (f"/api/v1/seals/{seal.json()['id']}", f"/api/v1/signatures/{signature.json()['id']}"):
        assert wire.api.patch(path, json={"is_default": True}).status_code == 200
    authorised = wire.api.post("/api/v1/seal-authorisations")
    assert authorised.status_code == 202, authorised.text
    view = wire.done(authorised.json()["message_id"])
    assert view["state"] == "DONE"
    receipts = wire.api.get(f"/api/v1/messages/{view['message_id']}/receipts").json()["receipts"]
    assert receipts[-1]["status_code"] == "APPROVED", receipts  # 接收企业电子印章成功

    certificate = wire.push("gacc_certificate", "valid_c")
    cert_no = certificate["document"]["cert_no"]
    assert certificate["document"]["status"] == "APPROVED"
    wire.until(lambda: wire.print_state(cert_no)["layout_status"] == "RECEIVED", "the layout from customs")

    original = wire.api.get(f"/api/v1/certificates/{cert_no}/pdf", params={"kind": "original"})
    assert original.status_code == 200, original.text
    assert "ORIGINAL" in text(original.content) and len(images(original.content)) == 2
    assert wire.print_state(cert_no)["print_status"] == "PRINTED"

    exception = wire.api.post(f"/api/v1/certificates/{cert_no}/print-exceptions",
                              json={"reason": "CONTENT_MISSING", "detail": "第1页货物描述缺失"})
    assert exception.status_code == 201, exception.text
    assert exception.json()["action"] == "NEW_LAYOUT"
    assert wire.done(exception.json()["message_id"])["state"] == "DONE"
    wire.until(lambda: wire.print_state(cert_no)["layout_status"] == "RECEIVED", "the new layout from customs")
    again = wire.api.get(f"/api/v1/certificates/{cert_no}/pdf", params={"kind": "original"})
    assert again.status_code == 200, again.text
    state = wire.print_state(cert_no)
    assert (state["originals"], state["print_status"]) == (2, "PRINTED")
    assert [e["kind"] for e in state["events"]] == ["LAYOUT", "ORIGINAL", "EXCEPTION", "LAYOUT", "ORIGINAL"]
