"""Excel routes of the ERP API on a real database: template, goods import, certificate list, statistics."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import update

from gateway.bootstrap import Container
from gateway.config import Settings
from gateway.db import models as m
from gateway.demo import sample_bytes
from gateway.services.enterprises import issue_api_key, register_enterprise
from gateway.services.excel_exports import CHINA_TIME
from gateway.services.ports import EnterpriseInfo
from gateway.web.app import create_app

OURS = EnterpriseInfo("91350100M000100Y43", "Demo", "350100001")
THEIRS = EnterpriseInfo("91110000100000000X", "Other", "110000001")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def api(database_url: str, pki_dir: Path, pki_passphrase: str) -> Iterator[tuple[FlaskClient, Container, dict]]:  # type: ignore[type-arg]
    c = Container(Settings(database_url=database_url, pki_dir=str(pki_dir), pki_passphrase=pki_passphrase))
    c.migrate()
    for ent in (OURS, THEIRS):
        register_enterprise(c.store, ent)
    keys = {"ours": issue_api_key(c.store, OURS.id), "theirs": issue_api_key(c.store, THEIRS.id)}
    yield create_app(c).test_client(), c, {k: {"Authorization": f"Bearer {v}"} for k, v in keys.items()}
    c.close()


def sheet(data: bytes, name: str | None = None) -> list[list[object]]:
    wb = load_workbook(io.BytesIO(data))
    ws = wb[name] if name else wb.active
    assert ws is not None
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_excel_routes_need_an_api_key(api) -> None:  # type: ignore[no-untyped-def]
    client, _c, _h = api
    for path in ("/api/v1/templates/goods.xlsx", "/api/v1/certificates.xlsx", "/api/v1/statistics.xlsx"):
        assert client.get(path).status_code == 401
    assert client.post("/api/v1/goods/import", data=b"x").status_code == 401


def test_template_download_and_goods_import_round_trip(api) -> None:  # type: ignore[no-untyped-def]
    client, _c, h = api
    r = client.get("/api/v1/templates/goods.xlsx", headers=h["ours"])
    assert r.status_code == 200 and r.mimetype == XLSX
    ok = client.post("/api/v1/goods/import", data={"file": (io.BytesIO(r.data), "goods.xlsx")},
                     headers=h["ours"], content_type="multipart/form-data")
    assert ok.status_code == 200 and ok.get_json()["goods"][0]["HSCode"] == "8471300000"

    wb = load_workbook(io.BytesIO(r.data))
    ws = wb.active
    assert ws is not None
    ws["C3"] = "12AB"
    buf = io.BytesIO()
    wb.save(buf)
    bad = client.post("/api/v1/goods/import", data=buf.getvalue(), headers=h["ours"])
    assert bad.status_code == 422
    (error,) = bad.get_json()["errors"]
    assert (error["row"], error["column"], error["header_cn"], error["field"]) == (3, "C", "HS编码", "HSCode")
    assert client.post("/api/v1/goods/import", data=b"", headers=h["ours"]).status_code == 400


def test_certificate_list_holds_our_certificates_created_within_one_month(api) -> None:  # type: ignore[no-untyped-def]
    client, c, h = api
    for name in ("form_e_approved.xml", "general_co_approved.xml"):
        assert client.post("/api/v1/messages", data=sample_bytes(name),
                           headers={**h["ours"], "Content-Type": "application/xml"}).status_code == 202
    with c.store.sessions() as s, s.begin():  # the general CO was created six weeks ago
        s.execute(update(m.Certificate).where(m.Certificate.cert_type == "C")
                  .values(created_at=datetime.now(UTC) - timedelta(weeks=6)))
    rows = sheet(client.get("/api/v1/certificates.xlsx", headers=h["ours"]).data)
    assert rows[0][0] == "证书号 CertNo"
    assert [(r[0], r[1], r[4]) for r in rows[1:]] == [("E263501000010001", "E", "暂存")]
    assert sheet(client.get("/api/v1/certificates.xlsx", headers=h["theirs"]).data)[1:] == []  # tenant isolation


def test_statistics_count_by_type_month_and_status(api) -> None:  # type: ignore[no-untyped-def]
    client, _c, h = api
    for name in ("form_e_approved.xml", "general_co_approved.xml", "general_co_xsd_invalid.xml"):
        client.post("/api/v1/messages", data=sample_bytes(name),
                    headers={**h["ours"], "Content-Type": "application/xml"})
    r = client.get("/api/v1/statistics.xlsx", headers=h["ours"])
    assert r.status_code == 200
    by_type = sheet(r.data, "按证书类型统计")
    assert by_type[1:4] == [["C", 1, 50], ["E", 1, 50], ["合计 Total", 2, 100]]  # the rejected one is not counted
    assert sheet(r.data, "按年月统计")[1:] == [[datetime.now(CHINA_TIME).strftime("%Y-%m"), 2]]
    assert sheet(r.data, "按状态统计")[1:] == [["暂存", "DRAFT", 2]]
    assert client.get("/api/v1/statistics.xlsx?from=2026-13-01", headers=h["ours"]).status_code == 400
    assert client.get("/api/v1/statistics.xlsx?from=2026-05-01&to=2026-04-01", headers=h["ours"]).status_code == 400
    empty = sheet(client.get("/api/v1/statistics.xlsx", headers=h["theirs"]).data, "按证书类型统计")
    assert empty[1] == ["合计 Total", 0, 0]
