"""证书查询 → Excel 导出 (seed 001 ch. 5) in the UI: a workbook of the certificates created within one
month, through the ERP API's export service, scoped like the list (an agent's principals included)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import update

from gateway.db import models as m
from gateway.demo import sample_bytes
from gateway.services.intake import accept_message
from tests.integration.ui_world import AGENT, OTHER, PRINCIPAL, UiWorld, _with_reg

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rows(data: bytes) -> list[list[object]]:
    ws = load_workbook(io.BytesIO(data)).active
    assert ws is not None
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _old_certificate(world: UiWorld) -> str:
    """A second Form E of the agent, created five weeks ago: its certificate number."""
    raw = _with_reg(sample_bytes("form_e_approved.xml"), AGENT, "AG-OLD").replace(b"0001</CertNo>", b"0042</CertNo>")
    c = world.container
    r = accept_message(c.store, c.validator, c.clock, enterprise_id=AGENT.id, raw=raw, actor="api")
    assert r.outcome == "accepted", r
    with c.store.sessions() as s, s.begin():
        s.execute(update(m.Certificate).where(m.Certificate.cert_no == "E263501000010042")
                  .values(created_at=c.clock.now() - timedelta(weeks=5)))
    return "E263501000010042"


def test_excel_export_button_downloads_this_months_certificates_of_the_agent_and_its_principal(
        ui_world: UiWorld) -> None:
    old = _old_certificate(ui_world)
    client = ui_world.client("agent-declarant")
    page = client.get("/ui/certificates").get_data(as_text=True)
    button = re.search(r'<a [^>]*id="export-xlsx" href="([^"]+)"[^>]*>([^<]+)</a>', page)
    assert button and "Excel 导出" in button.group(2)
    assert old in page  # the list still shows the old certificate: only the export has the one-month rule

    r = client.get(button.group(1))
    assert r.status_code == 200 and r.mimetype == XLSX
    assert r.headers["Content-Disposition"] == 'attachment; filename="certificates.xlsx"'
    rows = _rows(r.data)
    header = rows[0]
    assert header[0] == "证书号 CertNo" and header[-1] == "企业 Enterprise"
    by_cert = {row[0]: row for row in rows[1:]}
    assert set(by_cert) == {"E263501000010001", "C261100000010001"}  # the old one and the outsider's are absent
    assert by_cert["E263501000010001"][-1] == AGENT.id and by_cert["C261100000010001"][-1] == PRINCIPAL.id
    assert by_cert["C261100000010001"][1] == "C" and by_cert["C261100000010001"][4] == "暂存"
    assert by_cert["E263501000010001"][8] == ui_world.agent_msg
    assert OTHER.id not in repr(rows) and ui_world.other_msg not in repr(rows)


def test_excel_export_of_the_outsider_and_of_the_principal_holds_only_their_own(ui_world: UiWorld) -> None:
    outsider = _rows(ui_world.client("other-declarant").get("/ui/certificates/export.xlsx").data)
    assert [(row[0], row[-1]) for row in outsider[1:]] == [("E264403000010001", OTHER.id)]
    principal = _rows(ui_world.client("principal-declarant").get("/ui/certificates/export.xlsx").data)
    assert [(row[0], row[-1]) for row in principal[1:]] == [("C261100000010001", PRINCIPAL.id)]  # not its agent's
    assert ui_world.client().get("/ui/certificates/export.xlsx").status_code == 302  # login first
