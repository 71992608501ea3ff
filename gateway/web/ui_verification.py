"""核查互动 verification records (seed 001 ch. 7, l.1698-1778): the list (default 待核查 and 退回核查), the
record's details and receipts (查看回执), and 处理 for a processable record — upload the materials (PDF, the
certificate attachments' limits, several files per type: 添加 / 删除), maintain the products' cost details
(维护产品成本明细, the pre-review's six rules, errors next to the field) and 提交, which sends the files and the
``VerificationResponse`` through the intake service (``gateway.services.verification``).

Drafts (files, cost details) are kept per record until 提交 (``gateway.db.verification_drafts``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from gateway.db.verification_drafts import DuplicateFileName
from gateway.db.verification_reads import ALL, OPEN, VerificationFilter
from gateway.domain import product_review as pr
from gateway.domain.families.gacc_verification import VerificationStatus
from gateway.services import verification as vs
from gateway.services.intake import Issue
from gateway.services.ports import EnterpriseInfo
from gateway.web.access import container, current_user, declarant_route, filter_args, not_found, scope
from gateway.web.field_names import named

verification = Blueprint("verification", __name__, url_prefix="/ui")

FILTER_KEYS = ("record_no", "status", "cert_no", "enterprise", "from", "to")
FIELD_CN = {"FileName": "文件名称", "FileSize": "文件大小", "FileContent": "附件", "FileType": "资料类型",
            "PreReviewNo": "产品预审主键", "HSCode": "HS编码", "NameCn": "中文名称", "NameEn": "英文名称",
            "Spec": "规格型号", "Unit": "计量单位", "Currency": "币制", "MaterialName": "原料名称",
            "OriginCountry": "原产国", "UsageUnit": "用料单位", **pr.FIELD_CN}
#: What the cost form lets a person type (the percentages are derived, SeqNo is the line's position).
EDITABLE = tuple(f for f in vs.PRODUCT_FIELDS if f not in ("PreReviewNo", "NonOrigExWorksPct", "NonOrigFobPct"))
LINE_FIELDS = tuple(f for f in vs.DETAIL_FIELDS if f != "SeqNo")
_PRODUCT_PATH = re.compile(r"^/VerificationResponse/ProductList/Product\[1\]"
                           r"(?:/DetailList/Detail\[(?P<d>\d+)\](?:/(?P<df>\w+))?|/(?P<p>\w+))?")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def cn(name: str) -> str:
    return FIELD_CN.get(name, "")


def _user() -> str:
    user = current_user()
    assert user is not None
    return user.username


def _day(name: str) -> str:
    value = request.args.get(name, "").strip()
    if value and not _DATE.match(value):
        abort(400, description=f"{name} (下发日期 起止): dates are written YYYY-MM-DD, got {value!r}")
    return value


@verification.get("/verifications")
@declarant_route
def record_list() -> Any:
    a = request.args
    f = VerificationFilter(record_no=a.get("record_no", ""), status=a.get("status", OPEN), cert_no=a.get("cert_no", ""),
                           enterprise_id=a.get("enterprise", ""), issued_from=_day("from"), issued_to=_day("to"))
    rows = container().verification_reads.records(scope(), f)
    return render_template("verifications.html", rows=rows, args=filter_args(FILTER_KEYS), status=f.status,
                           statuses=VerificationStatus, open_=OPEN, all_=ALL, scope=scope())


def _record(record_id: str) -> dict[str, Any]:
    rec = container().verification_reads.record(scope(), record_id)
    if rec is None:
        not_found(f"verification record {record_id}")
    return rec


def _processable(rec: dict[str, Any]) -> None:
    """处理 / 提交 only for 待核查 and 退回核查 (l.1719), and not while an answer waits for customs."""
    if rec["awaiting"]:
        abort(409, description=f"record {rec['record_no']}: an answer was submitted (已提交) and waits for customs'"
                               " receipt; nothing more can be sent until it comes")
    if not rec["processable"]:
        abort(409, description=f"record {rec['record_no']} is {rec['status_cn']} ({rec['status']}): only a record"
                               " 待核查 (PENDING) or 退回核查 (RETURNED) can be processed (处理)")


@verification.get("/verifications/<record_id>")
@declarant_route
def record_detail(record_id: str) -> Any:
    rec = _record(record_id)
    drafts = container().verification_drafts
    return render_template("verification.html", rec=rec, files=drafts.files(rec["enterprise_id"], rec["record_no"]),
                           costs=drafts.costs(rec["enterprise_id"], rec["record_no"]))


def _service_record(rec: dict[str, Any]) -> vs.Record:
    with container().store.transaction() as tx:
        ent = tx.enterprise(rec["enterprise_id"])
    assert ent is not None  # the record is stored under it
    materials = [vs.Material(str(m.get("FileType", "")), str(m.get("FileTypeName", "")), m.get("Required") == "1",
                             str(m.get("PreReviewNo", "") or "")) for m in rec["materials"]]
    return vs.Record(rec["record_no"], rec["status"], EnterpriseInfo(ent.id, ent.name, ent.reg_no), materials,
                     [str(p.get("PreReviewNo")) for p in rec["products"] if p.get("CostDetailRequired") == "1"])


def _material_key(file_type: str, pre_review_no: str) -> str:
    return f"{file_type}|{pre_review_no}"


def _render_process(rec: dict[str, Any], status: int = 200, *, upload_errors: Mapping[str, list[Issue]] | None = None,
                    issues: list[Issue] | None = None) -> Any:
    drafts = container().verification_drafts
    files = drafts.files(rec["enterprise_id"], rec["record_no"])
    by_material: dict[str, list[dict[str, Any]]] = {}
    for f in files:
        by_material.setdefault(_material_key(f["file_type"], f["pre_review_no"]), []).append(f)
    placed: dict[str, list[Issue]] = {}
    general: list[Issue] = []
    for issue in issues or []:
        kind, _, key = issue.path.partition(":")
        if kind in ("material", "product"):
            placed.setdefault(f"{kind}:{key}", []).append(issue)
        else:
            general.append(issue)
    return render_template("verification_process.html", rec=rec, by_material=by_material, key=_material_key,
                           costs=drafts.costs(rec["enterprise_id"], rec["record_no"]), placed=placed,
                           general=general, upload_errors=upload_errors or {}, issues=issues or []), status


@verification.get("/verifications/<record_id>/process")
@declarant_route
def record_process(record_id: str) -> Any:
    rec = _record(record_id)
    _processable(rec)
    return _render_process(rec)


def _too_large(issue: Issue, size: int) -> Issue:
    if issue.rule != "XML.too_large":
        return issue
    limit = container().settings.max_message_bytes
    return Issue(issue.rule, "/VerificationFile/FileContent",
                 f"the file ({size} bytes) is too large to send: it travels base64-encoded in one message of at most"
                 f" {limit} bytes (GATEWAY_MAX_MESSAGE_BYTES), so files up to about {limit * 3 // 4 - 4096} bytes fit",
                 field_cn="随附单据")


@verification.post("/verifications/<record_id>/files")
@declarant_route
def file_upload(record_id: str) -> Any:
    """上传附件 / 添加: one more PDF for one material of the record (l.1725-1733)."""
    rec = _record(record_id)
    _processable(rec)
    material = request.form.get("material", "")
    file_type, _, product = material.partition("|")
    listed = {_material_key(str(m.get("FileType", "")), str(m.get("PreReviewNo", "") or "")) for m in rec["materials"]}
    if material not in listed:
        abort(400, description=f"material (电子资料): {material!r} is not a material record {rec['record_no']} lists")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _render_process(rec, 422, upload_errors={material: [Issue(
            "UPLOAD.FILE_REQUIRED", "file", "choose the PDF file to upload", field_cn="附件")]})
    name = re.split(r"[/\\]", upload.filename)[-1].strip()
    content = upload.read()
    draft = vs.DraftFile(0, file_type, product, name, content)
    problems = named((_too_large(i, len(content)) for i in vs.check_file(container().validator, _service_record(rec),
                                                                           draft)), FIELD_CN)
    if problems:
        return _render_process(rec, 422, upload_errors={material: problems})
    c = container()
    try:
        c.verification_drafts.add_file(rec["enterprise_id"], rec["record_no"], file_type=file_type,
                                       pre_review_no=product, file_name=name, content=content, by=_user(),
                                       at=c.clock.now())
    except DuplicateFileName:
        return _render_process(rec, 422, upload_errors={material: [Issue(
            "VERIFICATION.ATTACHMENT_NAME_DUPLICATE", "/VerificationFile/FileName",
            f"a file named {name} is already attached to this record: delete it first or rename the file",
            field_cn="文件名称")]})
    flash(f"{name} uploaded for {file_type} ({len(content)} bytes).")
    return redirect(url_for("verification.record_process", record_id=record_id), code=303)


@verification.post("/verifications/<record_id>/files/<int:file_id>/delete")
@declarant_route
def file_delete(record_id: str, file_id: int) -> Any:
    rec = _record(record_id)
    _processable(rec)
    if not container().verification_drafts.delete_file(rec["enterprise_id"], rec["record_no"], file_id):
        not_found(f"uploaded file {file_id} of record {rec['record_no']}")
    flash("File deleted (删除).")
    return redirect(url_for("verification.record_process", record_id=record_id), code=303)


def _check_product(rec: dict[str, Any], index: int) -> dict[str, Any]:
    if not 1 <= index <= len(rec["products"]):
        not_found(f"product {index} in the product list (核查产品清单) of record {rec['record_no']}")
    return rec["products"][index - 1]


def _initial_product(rec: dict[str, Any], asked: Mapping[str, Any]) -> dict[str, Any]:
    """The saved cost details, else the product's approved pre-review (产品预审), else what the record says."""
    key = str(asked.get("PreReviewNo", ""))
    saved = container().verification_drafts.costs(rec["enterprise_id"], rec["record_no"]).get(key)
    if saved:
        return saved
    known = next((p for p in container().product_reads.products([rec["enterprise_id"]])
                  if p["pre_review_no"] == key and p["product"]), None)
    if known:
        return {**known["product"], "PreReviewNo": key}
    return {"PreReviewNo": key, "HSCode": asked.get("HSCode", ""), "NameCn": asked.get("NameCn", ""),
            "Currency": "CNY", "DetailList": {"Detail": [{}]}}


def _from_form(key: str, form: Mapping[str, str]) -> dict[str, Any]:
    product: dict[str, Any] = {"PreReviewNo": key, **{f: form.get(f"p.{f}", "").strip() for f in EDITABLE}}
    lines_text = form.get("lines", "0")
    count = int(lines_text) if lines_text.isdigit() else 0
    lines = [{f: form.get(f"d-{i}.{f}", "").strip() for f in LINE_FIELDS} for i in range(1, min(count, 200) + 1)]
    product["DetailList"] = {"Detail": lines}
    return product


def _place(issues: list[Issue]) -> tuple[dict[str, list[Issue]], list[Issue]]:
    by_field: dict[str, list[Issue]] = {}
    general = []
    for issue in issues:
        found = _PRODUCT_PATH.match(issue.path)
        name = None
        if found and found["d"]:
            name = f"d-{found['d']}.{found['df']}" if found["df"] else f"d-{found['d']}"
        elif found and found["p"] and found["p"] != "DetailList":
            name = f"p.{found['p']}"
        if name:
            by_field.setdefault(name, []).append(issue)
        else:
            general.append(issue)
    return by_field, general


def _render_costs(rec: dict[str, Any], index: int, product: dict[str, Any], issues: list[Issue],
                  status: int = 200) -> Any:
    by_field, general = _place(issues)
    ordered = vs.product_in_order(product)
    return render_template("verification_costs.html", rec=rec, index=index, product=ordered, editable=EDITABLE,
                           line_fields=LINE_FIELDS, lines=ordered["DetailList"]["Detail"], errors=by_field,
                           general=general, issues=issues, cn=cn), status


@verification.route("/verifications/<record_id>/products/<int:index>/costs", methods=["GET", "POST"])
@declarant_route
def product_costs(record_id: str, index: int) -> Any:
    """维护产品成本明细 (l.1738-1758): 企业产品信息 + 产品生产明细, checked by the six rules on 保存."""
    rec = _record(record_id)
    _processable(rec)
    asked = _check_product(rec, index)
    key = str(asked.get("PreReviewNo", ""))
    if request.method == "GET":
        return _render_costs(rec, index, _initial_product(rec, asked), [])
    product = _from_form(key, request.form)
    action = request.form.get("action", "save")
    if action == "add_line":
        product["DetailList"]["Detail"].append({})
        return _render_costs(rec, index, product, [])
    if action.startswith("remove_line-"):
        n = action.removeprefix("remove_line-")
        lines = product["DetailList"]["Detail"]
        if n.isdigit() and 1 <= int(n) <= len(lines) and len(lines) > 1:
            del lines[int(n) - 1]
        return _render_costs(rec, index, product, [])
    issues = named(vs.check_product(container().validator, _service_record(rec), product), FIELD_CN)
    if issues:
        return _render_costs(rec, index, product, issues, 422)
    c = container()
    c.verification_drafts.save_cost(rec["enterprise_id"], rec["record_no"], key, vs.product_in_order(product),
                                    by=_user(), at=c.clock.now())
    flash(f"Cost details of product {key} saved (保存成功).")
    return redirect(url_for("verification.record_process", record_id=record_id), code=303)


@verification.post("/verifications/<record_id>/submit")
@declarant_route
def record_submit(record_id: str) -> Any:
    """提交 (l.1760-1764): the files and the answer through intake; 核查中 once customs' receipt comes."""
    rec = _record(record_id)
    _processable(rec)
    c = container()
    drafts = c.verification_drafts
    files = [vs.DraftFile(f["id"], f["file_type"], f["pre_review_no"], f["file_name"], f["content"])
             for f in drafts.files(rec["enterprise_id"], rec["record_no"], with_content=True)]
    costs = {k: {n: v for n, v in p.items() if not n.startswith("_")}
             for k, p in drafts.costs(rec["enterprise_id"], rec["record_no"]).items()}
    result = vs.submit(c.store, c.validator, c.clock, _service_record(rec), files, costs, actor=f"ui:{_user()}")
    if result.sent_files:
        drafts.mark_sent(rec["enterprise_id"], result.sent_files)
    if result.outcome in ("accepted", "duplicate") and result.response is not None:
        flash(f"Record {rec['record_no']} submitted (提交成功): {len(files)} file(s) and the answer (message "
              f"{result.response.message_id}) are on their way; it becomes 核查中 when customs' receipt arrives.")
        return redirect(url_for("verification.record_detail", record_id=record_id), code=303)
    return _render_process(rec, 422, issues=named(result.issues, FIELD_CN))
