"""暂存 drafts, 批量申报 batch declare and the Excel goods import of the entry form (seed 001 ch. 4-5),
through Flask's test client on a real database."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook, load_workbook

from gateway.services.drafts import declare_drafts, save_draft
from gateway.services.excel_goods import goods_template
from tests.integration.test_ui import COMPLETE, _form_e_fields
from tests.integration.ui_world import AGENT, OTHER, PRINCIPAL, UiWorld, csrf_of


def _form(client, world: UiWorld, **changes: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page = client.get("/ui/certificates/new/E").get_data(as_text=True)
    return {**_form_e_fields(page), **COMPLETE, "csrf_token": csrf_of(client, "/ui/certificates/new/E"),
            "enterprise_id": AGENT.id, **changes}


def _save(client, form: dict[str, str]) -> int:  # type: ignore[no-untyped-def]
    r = client.post("/ui/certificates/new/E", data={**form, "action": "save_draft"})
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    found = re.search(r"/ui/certificates/drafts/(\d+)$", r.headers["Location"])
    assert found, r.headers["Location"]
    return int(found.group(1))


def _messages(world: UiWorld) -> int:
    return len(world.container.ui_reads.messages((AGENT.id, PRINCIPAL.id, OTHER.id), _no_filter()))


def _no_filter():  # type: ignore[no-untyped-def]
    from gateway.db.ui_reads import MessageFilter

    return MessageFilter()


def _draft_ids(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-draft-id="(\d+)"', page)}


def test_save_draft_keeps_an_incomplete_form_without_declaring_it(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    before = _messages(ui_world)
    form = _form(client, ui_world, **{"head.DestCountryCode": "", "goods-1.HSCode": "07A3"})  # not valid, no matter
    draft_id = _save(client, form)
    assert _messages(ui_world) == before  # nothing declared, nothing kept as input: a draft is not a message
    page = client.get(f"/ui/certificates/drafts/{draft_id}").get_data(as_text=True)
    assert 'id="draft-badge"' in page and _form_e_fields(page)["goods-1.HSCode"] == "07A3"
    listed = client.get("/ui/certificates").get_data(as_text=True)
    assert draft_id in _draft_ids(listed) and "— (allocated on declare)" in listed
    # the same draft saved again (edited) keeps its id; an old copy of the form is refused, nothing lost
    version = re.search(r'name="draft_version" value="(\d+)"', page)
    assert version
    edited = {**form, "head.InvNo": "INV-EDITED", "draft_version": version.group(1), "action": "save_draft"}
    assert client.post(f"/ui/certificates/drafts/{draft_id}", data=edited).status_code == 303
    stale = client.post(f"/ui/certificates/drafts/{draft_id}", data={**edited, "head.InvNo": "INV-STALE"})
    assert stale.status_code == 409 and "changed by someone else" in stale.get_data(as_text=True)
    assert "INV-EDITED" in client.get(f"/ui/certificates/drafts/{draft_id}").get_data(as_text=True)


def test_batch_declare_sends_each_draft_through_intake_and_shows_each_result(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    good = _save(client, _form(client, ui_world, **{"head.InvNo": "INV-GOOD"}))
    bad = _save(client, _form(client, ui_world, **{"head.InvNo": "INV-BAD", "goods-1.OriCriteria": "PSR"}))
    token = csrf_of(client, "/ui/certificates")
    r = client.post("/ui/certificates/drafts/declare", data={"csrf_token": token, "draft_id": [str(good), str(bad)]})
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "1 of 2 declared" in page
    assert re.search(rf'data-draft-id="{good}" data-outcome="accepted"', page)
    bad_row = re.search(rf'data-draft-id="{bad}" data-outcome="rejected">(.*?)</tr>', page, re.S)
    assert bad_row and "ORIGIN.E.PSR_SUB_REQUIRED" in bad_row.group(1) and "原产地子标准" in bad_row.group(1)
    assert "goods line 1, OriCriteriaSub" in bad_row.group(1)

    # the accepted one is a queued certificate declared by this user; it left the drafts list
    message_id = re.search(rf'data-draft-id="{good}".*?/ui/certificates/([0-9a-f]{{32}})', page, re.S)
    assert message_id
    view = ui_world.container.store
    with view.transaction() as tx:
        msg = tx.message_view(AGENT.id, message_id.group(1))
    assert msg is not None and msg["state"] == "QUEUED" and msg["events"][0]["actor"] == "ui:agent-declarant"
    listed = client.get("/ui/certificates").get_data(as_text=True)
    assert _draft_ids(listed) == {bad} and message_id.group(1) in listed
    # the rejected one kept its allocated number and shows the problem next to its field when opened
    reopened = client.get(f"/ui/certificates/drafts/{bad}").get_data(as_text=True)
    assert re.fullmatch(r"E26350100001\d{4}", _form_e_fields(reopened)["head.CertNo"])
    cell = re.search(r'name="goods-1\.OriCriteriaSub"[^>]*>(.*?)</td>', reopened, re.S)
    assert cell and "ORIGIN.E.PSR_SUB_REQUIRED" in cell.group(1)

    # corrected on its own page and declared from there: a certificate, and no draft left
    fixed = {**_form_e_fields(reopened), "csrf_token": token, "enterprise_id": AGENT.id, "goods-1.OriCriteria": "WO",
             "action": "declare"}
    done = client.post(f"/ui/certificates/drafts/{bad}", data=fixed)
    assert done.status_code == 302 and re.search(r"/ui/certificates/[0-9a-f]{32}$", done.headers["Location"])
    assert _draft_ids(client.get("/ui/certificates").get_data(as_text=True)) == set()
    assert client.get(f"/ui/certificates/drafts/{bad}").headers["Location"] == done.headers["Location"]


def test_a_draft_is_declared_once_however_often_it_is_declared(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    draft_id = _save(client, _form(client, ui_world))
    c = ui_world.container
    first, = declare_drafts(c.drafts, c.store, c.validator, c.clock, scope=(AGENT.id,), draft_ids=[draft_id],
                            actor="ui:agent-declarant")
    again, = declare_drafts(c.drafts, c.store, c.validator, c.clock, scope=(AGENT.id,), draft_ids=[draft_id],
                            actor="ui:agent-declarant")
    assert first.outcome == "accepted" and again.outcome == "already_declared"
    assert again.message_id == first.message_id


def test_two_copies_of_one_draft_declared_meanwhile_become_one_message(ui_world: UiWorld) -> None:
    """The numbers are fixed in the draft before intake: a second declare of the same draft that raced the
    first sends the same document number and gets the first message back."""
    c = ui_world.container
    client = ui_world.client("agent-declarant")
    draft_id = _save(client, _form(client, ui_world))
    first, = declare_drafts(c.drafts, c.store, c.validator, c.clock, scope=(AGENT.id,), draft_ids=[draft_id],
                            actor="ui:agent-declarant")
    # the racing request read the draft (with its numbers) before the first one marked it declared
    with c.drafts.transaction() as tx:
        from gateway.db.ui_models import CertificateDraft

        row = tx.s.get(CertificateDraft, draft_id)  # type: ignore[attr-defined]
        row.declared_at = row.declared_message_id = None
    second, = declare_drafts(c.drafts, c.store, c.validator, c.clock, scope=(AGENT.id,), draft_ids=[draft_id],
                             actor="ui:agent-declarant")
    assert second.outcome == "duplicate" and second.message_id == first.message_id


def test_drafts_are_tenant_scoped(ui_world: UiWorld) -> None:
    agent = ui_world.client("agent-declarant")
    mine = _save(agent, _form(agent, ui_world))
    c = ui_world.container
    theirs = save_draft(c.drafts, c.clock, scope=(OTHER.id,), enterprise_id=OTHER.id, cert_type="E",
                        data={"head": {"DocumentNo": "OTHER-DRAFT"}}, user="other-declarant").id
    principal_draft = save_draft(c.drafts, c.clock, scope=(PRINCIPAL.id,), enterprise_id=PRINCIPAL.id,
                                 cert_type="E", data={"head": {"DocumentNo": "PRINCIPAL-DRAFT"}},
                                 user="principal-declarant").id
    # the agent sees its own and its principal's drafts, never the outsider's
    listed = agent.get("/ui/certificates").get_data(as_text=True)
    assert _draft_ids(listed) == {mine, principal_draft} and "OTHER-DRAFT" not in listed
    assert agent.get(f"/ui/certificates/drafts/{theirs}").status_code == 404
    # the principal does not see its agent's draft
    principal = ui_world.client("principal-declarant")
    assert _draft_ids(principal.get("/ui/certificates").get_data(as_text=True)) == {principal_draft}
    assert principal.get(f"/ui/certificates/drafts/{mine}").status_code == 404
    # one foreign id in a batch: nothing is declared or deleted, and the answer reveals nothing
    token = csrf_of(agent, "/ui/certificates")
    for action in ("declare", "delete"):
        r = agent.post(f"/ui/certificates/drafts/{action}", data={"csrf_token": token,
                                                                   "draft_id": [str(mine), str(theirs)]})
        assert r.status_code == 404 and "OTHER-DRAFT" not in r.get_data(as_text=True)
    assert _draft_ids(agent.get("/ui/certificates").get_data(as_text=True)) == {mine, principal_draft}
    # a draft cannot be moved to an enterprise outside the caller's scope
    page = agent.get(f"/ui/certificates/drafts/{mine}").get_data(as_text=True)
    moved = agent.post(f"/ui/certificates/drafts/{mine}", data={**_form_e_fields(page), "csrf_token": token,
                                                                "enterprise_id": OTHER.id, "action": "save_draft"})
    assert moved.status_code == 404


def test_delete_removes_drafts_from_the_list(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    one, two = _save(client, _form(client, ui_world)), _save(client, _form(client, ui_world))
    token = csrf_of(client, "/ui/certificates")
    r = client.post("/ui/certificates/drafts/delete", data={"csrf_token": token, "draft_id": [str(one)]},
                    follow_redirects=True)
    assert "1 draft(s) deleted" in r.get_data(as_text=True)
    assert _draft_ids(client.get("/ui/certificates").get_data(as_text=True)) == {two}
    assert client.get(f"/ui/certificates/drafts/{one}").status_code == 404
    nothing = client.post("/ui/certificates/drafts/declare", data={"csrf_token": token}, follow_redirects=True)
    assert "tick 1 to 50 drafts" in nothing.get_data(as_text=True)


def _sheet(rows: list[list[object]]) -> bytes:
    wb = load_workbook(io.BytesIO(goods_template()))
    ws = wb.worksheets[0]
    ws.delete_rows(3, 1)  # the example line
    for r, values in enumerate(rows, start=3):
        for col, value in enumerate(values, start=1):
            ws.cell(row=r, column=col, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


GOOD_LINE = [1, 0, "0703200000", "鲜大蒜", "FRESH GARLIC", 10, "BAG", 100, "KG", 105, 100, "KG", 10, 1000, 1000, 0,
             "WO", None, None, "XIAMEN JINHE", None]


def test_excel_goods_import_fills_the_goods_lines_or_names_row_column_and_header(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    template = client.get("/ui/certificates/goods-template.xlsx")
    assert template.status_code == 200 and template.mimetype.endswith("spreadsheetml.sheet")
    headers = [c.value for c in load_workbook(io.BytesIO(template.get_data())).worksheets[0][1]]
    assert "HS编码" in headers and "货物英文名称" in headers
    page = client.get("/ui/certificates/new/E").get_data(as_text=True)
    assert 'href="/ui/certificates/goods-template.xlsx"' in page and 'enctype="multipart/form-data"' in page

    form = _form(client, ui_world, **{"head.InvNo": "INV-KEPT"})
    second = [2, 0, "20059999", "蒜片", "GARLIC FLAKES", 5, "CARTONS", 50, "KG", 55, 50, "KG", 20, 1000, 1000, 0, "WO"]
    r = client.post("/ui/certificates/new/E", data={**form, "action": "import_goods",
                                                    "goods_file": (io.BytesIO(_sheet([GOOD_LINE, second])),
                                                                   "goods.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 200
    filled = _form_e_fields(r.get_data(as_text=True))
    assert filled["goods-1.HSCode"] == "0703200000" and filled["goods-2.GoodsNameE"] == "GARLIC FLAKES"
    assert filled["goods-2.FOBValue"] == "1000" and filled["head.InvNo"] == "INV-KEPT"  # the rest stays
    assert "生产商描述 (Producer)" in r.get_data(as_text=True)  # a column the form has no cell for is reported

    broken = list(GOOD_LINE)
    broken[2], broken[14] = "07A3", "lots"  # C: HS编码, O: FOB值
    r = client.post("/ui/certificates/new/E", data={**form, "action": "import_goods",
                                                    "goods_file": (io.BytesIO(_sheet([GOOD_LINE, broken])),
                                                                   "goods.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    errors = re.search(r'id="goods-import-errors">(.*?)</div>', body, re.S)
    assert errors, body
    rows = re.findall(r"<tr><td>(\d+)</td><td>([A-Z]+)</td><td>([^<]+)</td><td>([^<]+)</td>", errors.group(1))
    assert ("4", "C", "HS编码", "EXCEL.hs_code") in rows and ("4", "O", "FOB值", "EXCEL.number") in rows
    assert _form_e_fields(body)["goods-1.HSCode"] == COMPLETE["goods-1.HSCode"]  # nothing on the form changed

    not_excel = client.post("/ui/certificates/new/E", data={**form, "action": "import_goods",
                                                            "goods_file": (io.BytesIO(b"not a workbook"), "x.xlsx")},
                            content_type="multipart/form-data")
    assert not_excel.status_code == 422 and "EXCEL.unreadable" in not_excel.get_data(as_text=True)
    none = client.post("/ui/certificates/new/E", data={**form, "action": "import_goods"})
    assert none.status_code == 422 and "goods_file" in none.get_data(as_text=True)


def test_excel_goods_import_refuses_an_oversized_upload(ui_world: UiWorld) -> None:
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    client = ui_world.client("agent-declarant")
    form = _form(client, ui_world)
    wb = Workbook()
    big = io.BytesIO()
    wb.save(big)
    payload = big.getvalue() + b"\0" * (2 * 1024 * 1024)
    # encoded here, in memory: the test client would spool a body this size to a file it never closes
    boundary, body = encode_multipart({**form, "action": "import_goods", "goods_file": FileStorage(
        io.BytesIO(payload), filename="big.xlsx", name="goods_file")})
    r = client.post("/ui/certificates/new/E", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert r.status_code == 422 and "at most 2 MB" in r.get_data(as_text=True)
