"""出口报关单补录 export declaration supplement (seed 004, seed 001 ch. 9) in the UI, on SQLite and PostgreSQL:
approved certificates only, 是否实际出口 and the 18-digit numbers checked by the family's rules with the error
next to the field, 提交 through intake, 海关接收成功 from customs' receipt, 新增 / 删除, and the refusals."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient
from sqlalchemy import select

from gateway.db import models as m
from tests.integration.declarant_docs import approve, decide
from tests.integration.ui_world import AGENT, UiWorld, csrf_of

NOS = "350120260001234567;530120260000004321"


def _post(client: FlaskClient, path: str, data: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_of(client, "/ui/supplements"), **(data or {})})


def _supplements(world: UiWorld) -> list[m.Message]:
    with world.container.store.sessions() as s:
        return list(s.scalars(select(m.Message).where(m.Message.message_type == "EXPORT_DECLARATION_SUPPLEMENT")
                              .order_by(m.Message.id)))


def _error(page: str, rule: str) -> str:
    found = re.search(rf'<span class="field-error" data-rule="{re.escape(rule)}">([^<]*)</span>', page)
    return html.unescape(found.group(1)) if found else ""


def test_supplement_add_accepted_add_again_and_delete(ui_world: UiWorld) -> None:
    cert_no = approve(ui_world, ui_world.agent_msg)
    client = ui_world.client("agent-declarant")
    page = client.get("/ui/supplements/certificates").get_data(as_text=True)
    assert f'data-cert-no="{cert_no}"' in page and "未补录" in page
    assert "C26110000001" not in page  # the principal's certificate is not approved: not listed
    assert cert_no not in client.get("/ui/supplements/certificates?cert_type=C").get_data(as_text=True)
    declare = f"/ui/supplements/certificates/{ui_world.agent_msg}/declare"
    form = client.get(declare).get_data(as_text=True)
    assert "若报关单号为多个" in form and cert_no in form

    # the family's rules, next to the field, in English with the manual's field name; nothing queued
    cases = [({"exported": "1", "declaration_nos": "35012026000123456"}, "SUPPLEMENT.DECL_NO_FORMAT", "18-digit"),
             ({"exported": "1", "declaration_nos": "350120260001234567；530120260000004321"},
              "SUPPLEMENT.DECL_NO_SEPARATOR", "ASCII ';'"),
             ({"exported": "1", "declaration_nos": "350120261001234567"}, "SUPPLEMENT.DECL_NO_NOT_EXPORT", "import"),
             ({"exported": "1", "declaration_nos": ""}, "SUPPLEMENT.DECL_NOS_REQUIRED", "needs the export"),
             ({"exported": "0", "declaration_nos": NOS}, "SUPPLEMENT.DECL_NOS_FORBIDDEN", "takes no"),
             ({"declaration_nos": NOS}, "SUPPLEMENT.EXPORTED_REQUIRED", "是否实际出口")]
    for data, rule, words in cases:
        r = _post(client, declare, data)
        error = _error(r.get_data(as_text=True), rule)
        assert r.status_code == 422 and words in error, (rule, r.get_data(as_text=True)[:2000])
        assert "报关单号" in error or "是否实际出口" in error
    assert [x.state for x in _supplements(ui_world)] == ["REJECTED"] * len(cases)  # kept, never sent

    r = _post(client, declare, {"exported": "1", "declaration_nos": NOS})
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    detail_url = r.headers["Location"]
    sent = [x for x in _supplements(ui_world) if x.state != "REJECTED"]
    assert len(sent) == 1 and sent[0].state == "QUEUED"
    detail = client.get(detail_url).get_data(as_text=True)
    assert 'data-status="SENT"' in detail and "新增 add again" not in detail
    assert client.get(declare).status_code == 409  # already supplemented: 新增 or 删除, not a second 补录

    decide(ui_world, sent[0].message_id, "APPROVED", "海关接收成功", text="出口报关单补录海关接收成功")
    detail = client.get(detail_url).get_data(as_text=True)
    assert 'data-status="ACCEPTED"' in detail and "海关接收成功" in detail and NOS in detail
    page = client.get("/ui/supplements?status=ACCEPTED").get_data(as_text=True)
    assert f'data-cert-no="{cert_no}" data-status="ACCEPTED"' in page
    assert cert_no not in client.get("/ui/supplements?authority=CCPIT").get_data(as_text=True)

    # 新增: further numbers, exported must stay yes
    supplement_id = detail_url.rsplit("/", 1)[-1]
    r = _post(client, f"/ui/supplements/{supplement_id}/add-again", {"exported": "0", "declaration_nos": ""})
    error = _error(r.get_data(as_text=True), "SUPPLEMENT.ADD_AGAIN_NEEDS_EXPORT")
    assert r.status_code == 422 and "ADD_AGAIN adds" in error
    r = _post(client, f"/ui/supplements/{supplement_id}/add-again",
              {"exported": "1", "declaration_nos": "350120260009999999"})
    assert r.status_code == 303
    again = [x for x in _supplements(ui_world) if x.state != "REJECTED"][-1]
    decide(ui_world, again.message_id, "APPROVED", "海关接收成功")
    detail = client.get(detail_url).get_data(as_text=True)
    assert f"{NOS};350120260009999999" in detail

    # 删除, then it may be supplemented again
    assert _post(client, f"/ui/supplements/{supplement_id}/delete").status_code == 303
    deleted = _supplements(ui_world)[-1]
    with ui_world.container.store.transaction() as tx:
        raw = tx.payload(deleted.id, "raw")
    assert raw is not None and b"<Operation>DELETE</Operation>" in raw and b"DeclarationNos" not in raw
    decide(ui_world, deleted.message_id, "APPROVED", "海关接收成功")
    assert 'data-status="DELETED"' in client.get(detail_url).get_data(as_text=True)
    assert client.get(declare).status_code == 200


def test_a_refused_supplement_says_why_and_may_be_sent_again(ui_world: UiWorld) -> None:
    approve(ui_world, ui_world.agent_msg)
    client = ui_world.client("agent-declarant")
    declare = f"/ui/supplements/certificates/{ui_world.agent_msg}/declare"
    r = _post(client, declare, {"exported": "0"})
    assert r.status_code == 303
    decide(ui_world, _supplements(ui_world)[-1].message_id, "RETURNED", "审核不通过", reasons=[
        {"rule_id": "AUTH.GACC_SUPPLEMENT.CERT_NOT_ISSUED",
         "path": "/ExportDeclarationSupplement/SupplementHead/CertNo", "message": "not issued"}])
    detail = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-status="REFUSED"' in detail and "CERT_NOT_ISSUED" in detail
    assert client.get(declare).status_code == 200


def test_ccpit_certificate_by_number(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    assert "贸促会" in client.get("/ui/supplements/ccpit").get_data(as_text=True)
    r = _post(client, "/ui/supplements/ccpit", {"enterprise": AGENT.id, "cert_no": "ccpit 26/1",
                                                "exported": "1", "declaration_nos": NOS})
    assert r.status_code == 422 and "CertNo" in r.get_data(as_text=True)  # the XSD's pattern
    r = _post(client, "/ui/supplements/ccpit", {"enterprise": AGENT.id, "cert_no": "CCPIT26C350100001",
                                                "exported": "1", "declaration_nos": NOS})
    assert r.status_code == 303
    with ui_world.container.store.transaction() as tx:
        raw = tx.payload(_supplements(ui_world)[-1].id, "raw")
    assert raw is not None and b"<CertAuthority>CCPIT</CertAuthority>" in raw
    # an enterprise outside the user's scope is not a choice
    r = _post(client, "/ui/supplements/ccpit", {"enterprise": "91440300MA5FXXXX1Q", "cert_no": "CCPIT26C1",
                                                "exported": "0"})
    assert r.status_code == 404


def test_wrong_state_and_other_enterprises_are_refused(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    declare = f"/ui/supplements/certificates/{ui_world.agent_msg}/declare"
    r = client.get(declare)
    assert r.status_code == 409 and "only approved (审核通过)" in r.get_data(as_text=True)  # not approved yet
    assert _post(client, declare, {"exported": "0"}).status_code == 409
    approve(ui_world, ui_world.agent_msg)
    r = _post(client, declare, {"exported": "0"})
    supplement_id = r.headers["Location"].rsplit("/", 1)[-1]
    for username in ("other-declarant", "principal-declarant"):
        other = ui_world.client(username)
        assert other.get(declare).status_code == 404
        assert _post(other, declare, {"exported": "0"}).status_code == 404
        assert other.get(f"/ui/supplements/{supplement_id}").status_code == 404
        assert _post(other, f"/ui/supplements/{supplement_id}/delete").status_code == 404
        assert _post(other, f"/ui/supplements/{supplement_id}/add-again", {"exported": "1"}).status_code == 404
        assert "E26" not in other.get("/ui/supplements?status=").get_data(as_text=True).split("<table>")[-1]
    # while customs has not answered, neither 新增 nor 删除
    assert _post(client, f"/ui/supplements/{supplement_id}/delete").status_code == 409
    assert len([x for x in _supplements(ui_world) if x.state != "REJECTED"]) == 1
