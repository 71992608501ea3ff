"""Printing and self-print through the ERP API on a real database: plain prints, seals and signatures,
what may be printed when, print exceptions and their outcomes, batches, tenant isolation."""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from lxml import etree
from PIL import Image

from gateway.bootstrap import Container
from gateway.config import Settings
from gateway.services.enterprises import issue_api_key, register_enterprise
from gateway.services.ports import EnterpriseInfo, NewMessage
from gateway.web.app import create_app
from messages import envelope
from tests.pdftools import SAMPLES, images, pages, text

OURS = EnterpriseInfo("91350100M000100Y43", "Demo", "350100001")
THEIRS = EnterpriseInfo("91110000100000000X", "Other", "110000001")
NOTICE = Path(__file__).parents[1] / "data" / "families" / "gacc_selfprint" / "inbound_layout_notice.xml"


@pytest.fixture
def gw(database_url: str, pki_dir: Path, pki_passphrase: str) -> Iterator[Gateway]:
    c = Container(Settings(database_url=database_url, pki_dir=str(pki_dir), pki_passphrase=pki_passphrase,
                           max_message_bytes=2 * 1024 * 1024))
    c.migrate()
    for ent in (OURS, THEIRS):
        register_enterprise(c.store, ent)
    yield Gateway(c, create_app(c).test_client(), issue_api_key(c.store, OURS.id), issue_api_key(c.store, THEIRS.id))
    c.close()


class Gateway:
    def __init__(self, c: Container, client: FlaskClient, ours: str, theirs: str) -> None:
        self.c, self.client, self.ours, self.theirs = c, client, ours, theirs
        self.notices = 0

    def h(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.ours}"}

    def declare(self, sample: str) -> str:
        raw = (SAMPLES / f"{sample}.xml").read_bytes()
        r = self.client.post("/api/v1/messages", data=raw, headers={**self.h(), "Content-Type": "application/xml"})
        assert r.status_code == 202, r.get_json()
        return etree.fromstring(raw).findtext("{*}CertificateHead/{*}CertNo")  # type: ignore[return-value]

    def pdf(self, cert_no: str, kind: str, key: str | None = None) -> Any:
        return self.client.get(f"/api/v1/certificates/{cert_no}/pdf?kind={kind}", headers=self.h(key))

    def state(self, cert_no: str) -> dict[str, Any]:
        r = self.client.get(f"/api/v1/certificates/{cert_no}/print", headers=self.h())
        assert r.status_code == 200
        return r.get_json()  # type: ignore[no-any-return]

    def layout_from_customs(self, cert_no: str, status: str = "RECEIVED", receiver: str = OURS.id) -> None:
        """Store a PrintLayoutNotice the way receipt ingestion stores documents customs sends on its own."""
        self.notices += 1
        body = etree.fromstring(NOTICE.read_bytes())
        body.find("{*}CertNo").text = cert_no  # type: ignore[union-attr]
        body.find("{*}LayoutStatus").text = status  # type: ignore[union-attr]
        body.find("{*}NoticeId").text = f"LAYOUT-{cert_no}-{self.notices}"  # type: ignore[union-attr]
        head = envelope.EnvelopeHead(message_id=f"{self.notices:032x}", message_type="PRINT_LAYOUT_NOTICE",
                                     sender_id="GACC", receiver_id=receiver, send_time=self.c.clock.now())
        raw = envelope.to_bytes(envelope.wrap(head, body))
        with self.c.store.transaction() as tx:
            tx.create_message(NewMessage(message_id=head.message_id, enterprise_id=receiver, family="gacc_selfprint",
                                         message_type="PRINT_LAYOUT_NOTICE", direction="inbound", authority="GACC",
                                         state="DONE", document_no=None, idempotency_key=None, raw_sha256="0" * 64,
                                         next_attempt_at=None), raw=raw, history=[(None, "DONE", "test")],
                              actor="test")

    def add_stamp(self, collection: str, key: str | None = None, **fields: Any) -> Any:
        return self.client.post(f"/api/v1/{collection}", json=fields, headers=self.h(key))

    def ready_defaults(self) -> tuple[int, int]:
        seal = self.add_stamp("seals", **SEAL).get_json()["id"]
        signature = self.add_stamp("signatures", **SIGNATURE).get_json()["id"]
        for collection, stamp in (("seals", seal), ("signatures", signature)):
            r = self.client.patch(f"/api/v1/{collection}/{stamp}", json={"is_default": True}, headers=self.h())
            assert r.status_code == 200 and r.get_json()["is_default"] is True
        return seal, signature


def png(width: int, height: int, color: tuple[int, int, int] = (200, 20, 20)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def jpeg(width: int, height: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 10, 10)).save(buffer, "JPEG")
    return base64.b64encode(buffer.getvalue()).decode()


SEAL = dict(name="产地证印章", seal_type="COMPANY", shape="ROUND", width_mm="42", height_mm="42",
            valid_from="2020-01-01", valid_to="2099-12-31", holder_name="王法人", image_base64=png(420, 420))
SIGNATURE = dict(name="张三签名", width_mm="35", height_mm="21", holder_name="张三", holder_id_no="11010519491231002X",
                 image_base64=jpeg(350, 210))


def rules_of(response: Any) -> list[str]:
    return [e["rule"] for e in response.get_json()["errors"]]


def test_plain_prints_of_a_declared_certificate_and_404_for_other_enterprises(gw: Gateway) -> None:
    cert_no = gw.declare("valid_c")
    for kind in ("certificate", "application", "invoice", "slip"):
        r = gw.pdf(cert_no, kind)
        assert r.status_code == 200 and r.mimetype == "application/pdf"
        assert r.headers["Content-Disposition"] == f'attachment; filename="{cert_no}-{kind}.pdf"'
        assert cert_no in text(r.data)
        assert gw.pdf(cert_no, kind, gw.theirs).status_code == 404
    slip = text(gw.pdf(cert_no, "slip").data)
    assert "DRAFT" in slip  # the slip shows the certificate's status
    bad = gw.pdf(cert_no, "poster")
    assert bad.status_code == 422 and rules_of(bad) == ["PRINT.KIND"]
    assert gw.pdf("C269999999990001", "certificate").status_code == 404


def test_seal_rules_are_answered_per_field_with_chinese_names(gw: Gateway) -> None:
    r = gw.add_stamp("seals", **{**SEAL, "name": "印" * 26, "shape": "ROUND", "width_mm": "46", "height_mm": "46"})
    assert r.status_code == 422
    errors = {e["rule"]: e for e in r.get_json()["errors"]}
    assert set(errors) == {"STAMP.NAME_LENGTH", "SEAL.SIZE_ROUND"}
    assert errors["STAMP.NAME_LENGTH"]["field_cn"] == "印章名称" and "25" in errors["STAMP.NAME_LENGTH"]["message"]
    r = gw.add_stamp("seals", **{**SEAL, "image_base64": base64.b64encode(b"GIF89a" + b"\0" * 64).decode()})
    assert rules_of(r) == ["STAMP.IMAGE_FORMAT"]
    r = gw.add_stamp("signatures", **{**SIGNATURE, "width_mm": "45"})
    assert rules_of(r) == ["SIGNATURE.SIZE"]
    assert gw.add_stamp("seals", **{**SEAL, "image_base64": "not base64!"}).status_code == 400
    with gw.c.print_store.transaction() as tx:
        assert tx.stamps(OURS.id) == []  # nothing refused was stored


def test_seal_lifecycle_delete_only_when_disabled_and_isolated_per_enterprise(gw: Gateway) -> None:
    created = gw.add_stamp("seals", **SEAL)
    assert created.status_code == 201
    seal = created.get_json()
    assert seal["enabled"] is True and seal["image_format"] == "PNG" and seal["width_mm"] == "42.0"
    path = f"/api/v1/seals/{seal['id']}"
    assert gw.client.get(path + "/image", headers=gw.h()).data == base64.b64decode(SEAL["image_base64"])
    for method in ("get", "patch", "delete"):
        assert getattr(gw.client, method)(path, headers=gw.h(gw.theirs), json={}).status_code == 404
    assert gw.client.get(f"/api/v1/signatures/{seal['id']}", headers=gw.h()).status_code == 404  # not a signature
    refused = gw.client.delete(path, headers=gw.h())
    assert refused.status_code == 422 and rules_of(refused) == ["STAMP.DELETE_ENABLED"]
    disabled = gw.client.patch(path, json={"enabled": False}, headers=gw.h()).get_json()
    assert disabled["enabled"] is False
    no_default = gw.client.patch(path, json={"is_default": True}, headers=gw.h())
    assert rules_of(no_default) == ["STAMP.DEFAULT_DISABLED"]
    assert gw.client.delete(path, headers=gw.h()).status_code == 204
    assert gw.client.get(path, headers=gw.h()).status_code == 404
    assert gw.client.get("/api/v1/seals", headers=gw.h()).get_json() == {"seals": []}


def test_one_default_per_kind(gw: Gateway) -> None:
    first, _ = gw.ready_defaults()
    second = gw.add_stamp("seals", **{**SEAL, "name": "合同章", "seal_type": "CONTRACT"}).get_json()["id"]
    gw.client.patch(f"/api/v1/seals/{second}", json={"is_default": True}, headers=gw.h())
    seals = {s["id"]: s["is_default"] for s in gw.client.get("/api/v1/seals", headers=gw.h()).get_json()["seals"]}
    assert seals == {first: False, second: True}


def test_original_only_after_layout_with_default_seal_and_copy_always(gw: Gateway) -> None:
    cert_no = gw.declare("valid_k")
    early = gw.pdf(cert_no, "original")
    assert early.status_code == 422 and rules_of(early) == ["PRINT.LAYOUT_NOT_RECEIVED"]
    copy = gw.pdf(cert_no, "copy")
    assert copy.status_code == 200 and "COPY" in text(copy.data) and "ORIGINAL" not in text(copy.data)

    gw.layout_from_customs(cert_no)
    assert gw.state(cert_no)["layout_status"] == "RECEIVED"
    assert rules_of(gw.pdf(cert_no, "original")) == ["PRINT.NO_DEFAULT_SEAL"]
    gw.ready_defaults()
    original = gw.pdf(cert_no, "original")
    assert original.status_code == 200
    assert "ORIGINAL" in text(original.data) and "COPY" not in text(original.data)
    sizes = sorted(round(int(i["width"]) / float(i["x-ppi"]) * 25.4) for i in images(original.data))
    assert sizes == [35, 42]  # signature 35 mm wide, seal 42 mm: their true sizes
    state = gw.state(cert_no)
    assert (state["print_status"], state["originals"], state["copies"]) == ("PRINTED", 1, 1)
    assert [e["kind"] for e in state["events"]] == ["COPY", "LAYOUT", "ORIGINAL"]
    again = gw.pdf(cert_no, "original")
    assert rules_of(again) == ["PRINT.NOT_PENDING"]
    assert gw.pdf(cert_no, "copy").status_code == 200
    assert gw.pdf(cert_no, "original", gw.theirs).status_code == 404


def _exception(gw: Gateway, cert_no: str, reason: str, detail: str = "") -> Any:
    return gw.client.post(f"/api/v1/certificates/{cert_no}/print-exceptions", json={"reason": reason, "detail": detail},
                          headers=gw.h())


def test_print_exceptions_reprint_or_wait_for_a_new_layout(gw: Gateway) -> None:
    cert_no = gw.declare("valid_k")
    assert rules_of(_exception(gw, cert_no, "PAPER_JAM")) == ["PRINTEXC.NOT_PRINTED"]
    gw.layout_from_customs(cert_no)
    gw.ready_defaults()
    assert gw.pdf(cert_no, "original").status_code == 200

    jam = _exception(gw, cert_no, "PAPER_JAM")
    assert jam.status_code == 201
    body = jam.get_json()
    assert (body["action"], body["print_status"], body["layout_status"]) == ("REPRINT", "PENDING", "RECEIVED")
    sent = gw.client.get(f"/api/v1/messages/{body['message_id']}", headers=gw.h()).get_json()
    assert sent["message_type"] == "PRINT_EXCEPTION_REQUEST" and sent["state"] == "QUEUED"
    assert gw.pdf(cert_no, "original").status_code == 200  # reprinted at once

    assert rules_of(_exception(gw, cert_no, "CONTENT_WRONG")) == ["PRINTEXC.DETAIL_REQUIRED"]
    wrong = _exception(gw, cert_no, "CONTENT_WRONG", "第1项货物描述有误")
    assert wrong.status_code == 201 and wrong.get_json()["action"] == "NEW_LAYOUT"
    assert rules_of(gw.pdf(cert_no, "original")) == ["PRINT.LAYOUT_NOT_RECEIVED"]
    gw.layout_from_customs(cert_no)  # customs regenerates the print file
    assert gw.pdf(cert_no, "original").status_code == 200
    state = gw.state(cert_no)
    assert [e["action"] for e in state["exceptions"]] == ["REPRINT", "NEW_LAYOUT"]
    assert state["originals"] == 3
    assert rules_of(_exception(gw, cert_no, "COFFEE")) == ["PRINTEXC.REASON"]


def test_archived_certificates_print_copies_only(gw: Gateway) -> None:
    cert_no = gw.declare("valid_k")
    gw.layout_from_customs(cert_no)
    gw.ready_defaults()
    archive = f"/api/v1/certificates/{cert_no}/archive"
    assert rules_of(gw.client.post(archive, headers=gw.h())) == ["PRINT.ARCHIVE"]  # not printed yet
    gw.pdf(cert_no, "original")
    assert gw.client.post(archive, headers=gw.h()).get_json()["print_status"] == "ARCHIVED"
    assert rules_of(gw.pdf(cert_no, "original")) == ["PRINT.ARCHIVED"]
    assert gw.pdf(cert_no, "copy").status_code == 200


def test_types_outside_the_fifteen_cannot_be_self_printed(gw: Gateway) -> None:
    cert_no = gw.declare("valid_e")
    gw.layout_from_customs(cert_no)
    gw.ready_defaults()
    assert rules_of(gw.pdf(cert_no, "original")) == ["PRINT.TYPE_NOT_ELIGIBLE"]
    assert rules_of(gw.pdf(cert_no, "copy")) == ["PRINT.TYPE_NOT_ELIGIBLE"]
    assert gw.pdf(cert_no, "certificate").status_code == 200  # the plain print is always there


def test_batch_download_as_zip_or_one_pdf_and_all_or_nothing_for_originals(gw: Gateway) -> None:
    k, c = gw.declare("valid_k"), gw.declare("valid_c")
    items = [{"cert_no": k, "kind": "copy"}, {"cert_no": c, "kind": "certificate"}, {"cert_no": c, "kind": "invoice"}]
    r = gw.client.post("/api/v1/prints/batch", json={"items": items, "format": "zip"}, headers=gw.h())
    assert r.status_code == 200 and r.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.data)) as archive:
        assert archive.namelist() == [f"{k}-copy.pdf", f"{c}-certificate.pdf", f"{c}-invoice.pdf"]
        singles = [archive.read(n) for n in archive.namelist()]
    merged = gw.client.post("/api/v1/prints/batch", json={"items": items, "format": "pdf"}, headers=gw.h())
    assert merged.status_code == 200 and pages(merged.data) == sum(pages(s) for s in singles)
    assert k in text(merged.data, first=1, last=1) and c in text(merged.data, first=pages(merged.data))

    gw.layout_from_customs(k)
    gw.ready_defaults()
    refused = gw.client.post("/api/v1/prints/batch", headers=gw.h(), json={
        "items": [{"cert_no": k, "kind": "original"}, {"cert_no": c, "kind": "original"}], "format": "pdf"})
    assert refused.status_code == 422 and rules_of(refused) == ["PRINT.LAYOUT_NOT_RECEIVED"]  # c has no layout yet
    assert refused.get_json()["errors"][0]["field"].startswith(c)
    assert gw.state(k)["print_status"] == "PENDING"  # nothing printed when one item is refused
    other = gw.client.post("/api/v1/prints/batch", json={"items": items}, headers=gw.h(gw.theirs))
    assert other.status_code == 422 and set(rules_of(other)) == {"PRINT.NOT_FOUND"}
    assert gw.client.post("/api/v1/prints/batch", json={"items": "x"}, headers=gw.h()).status_code == 400


def test_authorisation_to_customs_sends_the_default_seal_and_signature(gw: Gateway) -> None:
    missing = gw.client.post("/api/v1/seal-authorisations", headers=gw.h())
    assert rules_of(missing) == ["AUTHORISE.NO_DEFAULT_SEAL", "AUTHORISE.NO_DEFAULT_SIGNATURE"]
    gw.ready_defaults()
    r = gw.client.post("/api/v1/seal-authorisations", headers=gw.h())
    assert r.status_code == 202, r.get_json()
    view = gw.client.get(r.get_json()["links"]["message"], headers=gw.h()).get_json()
    assert view["message_type"] == "SEAL_SIGNATURE_AUTHORISATION" and view["state"] == "QUEUED"


def test_agent_print_authorisation(gw: Gateway) -> None:
    bad = gw.client.put("/api/v1/agent-print-authorisations/MA2Y3K8L4", json={"agent_name": "代理", "authorised": True},
                        headers=gw.h())
    assert rules_of(bad) == ["AGENTPRINT.ORG_CODE_CHECK"]
    own = gw.client.put(f"/api/v1/agent-print-authorisations/{OURS.id[8:17]}",
                        json={"agent_name": "我们自己", "authorised": True}, headers=gw.h())
    assert rules_of(own) == ["AGENTPRINT.NOT_SELF"]
    ok = gw.client.put("/api/v1/agent-print-authorisations/MA2Y3K8L5", json={"agent_name": "厦门代理报关有限公司",
                                                                          "authorised": True}, headers=gw.h())
    assert ok.status_code == 202
    sent = gw.client.get(f"/api/v1/messages/{ok.get_json()['message_id']}", headers=gw.h()).get_json()
    assert sent["message_type"] == "AGENT_PRINT_AUTHORISATION"
    agents = gw.client.get("/api/v1/agent-print-authorisations", headers=gw.h()).get_json()["agents"]
    assert [(a["agent_org_code"], a["authorised"]) for a in agents] == [("MA2Y3K8L5", True)]
    assert gw.client.get("/api/v1/agent-print-authorisations", headers=gw.h(gw.theirs)).get_json() == {"agents": []}


AGENT = EnterpriseInfo("91350200MA2Y3K8L5M", "Xiamen Customs Broker", "350200001")


def test_an_agent_prints_the_original_only_with_the_exporters_authorisation_and_seal(gw: Gateway) -> None:
    register_enterprise(gw.c.store, AGENT)
    agent_key = issue_api_key(gw.c.store, AGENT.id)
    raw = (SAMPLES / "valid_k.xml").read_bytes().replace(b"<AplRegNo>350100001</AplRegNo>",
                                                        b"<AplRegNo>350200001</AplRegNo>")
    raw = raw.replace(b"<CertNo>K26350100001", b"<CertNo>K26350200001")
    r = gw.client.post("/api/v1/messages", data=raw, headers={**gw.h(agent_key), "Content-Type": "application/xml"})
    assert r.status_code == 202, r.get_json()
    cert_no = etree.fromstring(raw).findtext("{*}CertificateHead/{*}CertNo")
    assert cert_no is not None and etree.fromstring(raw).findtext("{*}CertificateHead/{*}EntUscc") == OURS.id
    gw.layout_from_customs(cert_no, receiver=AGENT.id)
    gw.ready_defaults()  # the exporter's seal and signature; the agent makes none (代理企业无需制作印章)
    refused = gw.pdf(cert_no, "original", agent_key)
    assert refused.status_code == 422 and rules_of(refused) == ["PRINT.AGENT_NOT_AUTHORISED"]
    grant = gw.client.put(f"/api/v1/agent-print-authorisations/{AGENT.id[8:17]}", headers=gw.h(),
                          json={"agent_name": AGENT.name, "authorised": True})
    assert grant.status_code == 202
    original = gw.pdf(cert_no, "original", agent_key)
    assert original.status_code == 200 and len(images(original.data)) == 2
    assert gw.pdf(cert_no, "original").status_code == 404  # the exporter's tenant does not hold this declaration
    gw.client.put(f"/api/v1/agent-print-authorisations/{AGENT.id[8:17]}", headers=gw.h(),
                  json={"agent_name": AGENT.name, "authorised": False})
    _exception_as(gw, agent_key, cert_no)
    assert rules_of(gw.pdf(cert_no, "original", agent_key)) == ["PRINT.AGENT_NOT_AUTHORISED"]  # withdrawn


def _exception_as(gw: Gateway, key: str, cert_no: str) -> None:
    r = gw.client.post(f"/api/v1/certificates/{cert_no}/print-exceptions", json={"reason": "NO_PAPER"},
                       headers=gw.h(key))
    assert r.status_code == 201, r.get_json()


def test_malformed_requests_are_refused_with_4xx_never_500(gw: Gateway) -> None:
    """Found by schemathesis: non-object JSON bodies, sizes too large to quantize, ids beyond SQL INTEGER."""
    for method, path in (("put", "/api/v1/agent-print-authorisations/0"), ("patch", "/api/v1/seals/1"),
                         ("post", "/api/v1/prints/batch"), ("post", "/api/v1/certificates/X1/print-exceptions")):
        r = getattr(gw.client, method)(path, json=[None, None], headers=gw.h())
        assert r.status_code in (400, 404), (method, path, r.status_code)
    r = gw.client.post("/api/v1/signatures", headers=gw.h(), json={
        "image_base64": "iVBORw0KGgo=", "holder_name": "张三", "width_mm": "20", "height_mm": 8.3e154})
    assert r.status_code == 422
    assert any(e["field"] == "height_mm" for e in r.get_json()["errors"])
    for path in ("/api/v1/seals/2147483648", "/api/v1/signatures/2147483648/image"):
        assert gw.client.get(path, headers=gw.h()).status_code == 404
