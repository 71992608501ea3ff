"""Self-print 自助打印 use cases: seals and signatures, authorisation to customs, agent print
authorisation, and the print layouts customs sends (seed 003 part 2).

Outbound requests (authorisation, agent grant, print exception) are built as the gacc_selfprint XML
documents and go through ``accept_message`` like anything an ERP sends: validated, stored, delivered,
one MessageId for their whole life.
"""

from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from gateway.domain import self_print as rules
from gateway.domain.certificate_rules import parse_certificate_number
from gateway.domain.identifiers import org_code_is_valid, resident_id_is_valid
from gateway.domain.self_print import Problem
from gateway.pdf import PdfError
from gateway.pdf.images import decode
from gateway.services.errors import GatewayError, NotFound
from gateway.services.intake import IntakeResult, accept_message
from gateway.services.ports import Clock, Store
from gateway.services.print_ports import NewStamp, PrintStore, PrintTransaction, StampRecord
from messages import envelope
from messages.errors import MessagesError
from messages.generic import find_text
from messages.safexml import parse
from messages.validate import Validator

NS = "urn:cogateway:gacc:selfprint:v1"


class SelfPrintRefused(GatewayError):
    """A self-print rule said no; ``problems`` say which field and which rule."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class SelfPrint:
    """What the self-print use cases work with (built in gateway.bootstrap)."""

    store: Store
    prints: PrintStore
    validator: Validator
    clock: Clock


# --- seals and signatures ---------------------------------------------------------------------------


def _date(value: Any, name: str, problems: list[Problem]) -> datetime.date | None:
    if value in (None, ""):
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem("STAMP.DATE_FORMAT", name, f"{name} must be a date yyyy-MM-dd, got {value!r}"))
        return None


def _mm(value: Any, name: str, problems: list[Problem]) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        problems.append(Problem("STAMP.SIZE_NUMBER", name, f"{name} must be a number of millimetres, got {value!r}"))
        return Decimal(0)
    # the size check first: quantize() itself fails on huge numbers
    if not number.is_finite() or abs(number) >= 1000 or number != number.quantize(Decimal("0.1")):
        problems.append(Problem("STAMP.SIZE_NUMBER", name, f"{name} has at most one decimal, got {value!r}"))
        return Decimal(0)
    return number.quantize(Decimal("0.1"))  # as stored (Numeric(4, 1)), so answers never change on re-read


def add_stamp(sp: SelfPrint, enterprise_id: str, kind: str, fields: dict[str, Any], image: bytes) -> StampRecord:
    """Make a seal or signature (印章制作 / 签名制作): every rule checked before anything is stored."""
    if kind not in rules.StampKind.__members__:
        raise SelfPrintRefused([Problem("STAMP.KIND", "kind", f"kind must be SEAL or SIGNATURE, got {kind!r}")])
    problems: list[Problem] = []
    draft = rules.StampDraft(
        kind=rules.StampKind(kind), name=str(fields.get("name") or ""),
        width_mm=_mm(fields.get("width_mm"), "width_mm", problems),
        height_mm=_mm(fields.get("height_mm"), "height_mm", problems), image=image,
        valid_from=_date(fields.get("valid_from"), "valid_from", problems),
        valid_to=_date(fields.get("valid_to"), "valid_to", problems),
        seal_type=str(fields.get("seal_type") or ""), shape=str(fields.get("shape") or ""),
        remark=str(fields.get("remark") or ""))
    problems.extend(rules.check_stamp(draft))
    if kind == "SIGNATURE" and not str(fields.get("holder_name") or "").strip():
        problems.append(Problem("SIGNATURE.DECLARANT_REQUIRED", "holder_name", "name the declarant who signed",
                                "签名申报员名称"))
    id_no = str(fields.get("holder_id_no") or "").strip()
    if kind == "SIGNATURE" and not resident_id_is_valid(id_no):
        # checked here, not only when the authorisation is sent: the same rule the XSD family applies
        problems.append(Problem("SIGNATURE.ID_NUMBER_CHECK", "holder_id_no", f"{id_no!r} is not an 18-character "
                                "resident ID number with a correct check character", "签名申报员身份证号"))
    if problems:
        raise SelfPrintRefused(problems)
    info = rules.image_info(image)
    assert info is not None  # check_stamp refused anything else
    problems.extend(_decode_problems(image, info, draft.kind))
    if problems:
        raise SelfPrintRefused(problems)
    new = NewStamp(kind=kind, name=draft.name.strip(), seal_type=draft.seal_type, shape=draft.shape,
                   width_mm=draft.width_mm, height_mm=draft.height_mm, valid_from=draft.valid_from,
                   valid_to=draft.valid_to, holder_name=str(fields.get("holder_name") or "").strip(),
                   holder_id_no=str(fields.get("holder_id_no") or "").strip(), remark=draft.remark,
                   image=image, image_format=info.format)
    with sp.prints.transaction() as tx:
        return tx.add_stamp(enterprise_id, new, at=sp.clock.now())


def _decode_problems(image: bytes, info: rules.ImageInfo, kind: rules.StampKind) -> list[Problem]:
    """The header said PNG or JPEG; the pixels must decode as that too (Pillow), or nothing is stored."""
    field_cn = "印章图片" if kind == rules.StampKind.SEAL else "签名图片"
    try:
        decoded = decode(image, max_pixels=rules.IMAGE_MAX_PIXELS)
    except PdfError as exc:
        return [Problem("STAMP.IMAGE_DECODE", "image", str(exc), field_cn)]
    if (decoded.format, decoded.width, decoded.height) != (info.format, info.width, info.height):
        return [Problem("STAMP.IMAGE_DECODE", "image", f"the file's header says {info.format} {info.width} × "
                        f"{info.height} but it decodes as {decoded.format} {decoded.width} × {decoded.height}",
                        field_cn)]
    return []


def stamps(sp: SelfPrint, enterprise_id: str, kind: str) -> list[StampRecord]:
    """The enterprise's seals (SEAL) or signatures (SIGNATURE), oldest first."""
    with sp.prints.transaction() as tx:
        return tx.stamps(enterprise_id, kind)


def stamp(sp: SelfPrint, enterprise_id: str, kind: str, stamp_id: int) -> StampRecord:
    """One seal or signature of the enterprise; another enterprise's (or the other kind's) is NotFound."""
    with sp.prints.transaction() as tx:
        found = tx.stamp(enterprise_id, stamp_id)
    if found is None or found.kind != kind:
        raise NotFound(f"no {kind.lower()} {stamp_id}")
    return found


def stamp_image(sp: SelfPrint, enterprise_id: str, kind: str, stamp_id: int) -> tuple[StampRecord, bytes]:
    with sp.prints.transaction() as tx:
        found, image = tx.stamp(enterprise_id, stamp_id), tx.stamp_image(enterprise_id, stamp_id)
    if found is None or image is None or found.kind != kind:
        raise NotFound(f"no {kind.lower()} {stamp_id}")
    return found, image


def agent_grants(sp: SelfPrint, enterprise_id: str) -> list[dict[str, object]]:
    """代理打印授权 the enterprise gave (or withdrew), by agent organisation code."""
    with sp.prints.transaction() as tx:
        return tx.agent_grants(enterprise_id)


def update_stamp(sp: SelfPrint, enterprise_id: str, stamp_id: int, *, kind: str | None = None,
                 enabled: bool | None = None, is_default: bool | None = None) -> StampRecord:
    """Enable / disable (启用 / 停用) or make the default (设置默认); a disabled stamp cannot be the default.
    With ``kind``, a stamp of the other kind is NotFound (a seal id under /signatures)."""
    with sp.prints.transaction() as tx:
        current = tx.stamp(enterprise_id, stamp_id)
        if current is None or kind not in (None, current.kind):
            raise NotFound(f"no {(kind or 'seal or signature').lower()} {stamp_id}")
        if is_default and (enabled is False or (enabled is None and not current.enabled)):
            raise SelfPrintRefused([Problem("STAMP.DEFAULT_DISABLED", "is_default",
                                            "enable the seal or signature before making it the default", "是否默认")])
        updated = tx.update_stamp(enterprise_id, stamp_id, at=sp.clock.now(), enabled=enabled,
                                  is_default=False if enabled is False else is_default)
        assert updated is not None
        return updated


def delete_stamp(sp: SelfPrint, enterprise_id: str, stamp_id: int, *, kind: str | None = None) -> None:
    """删除: only a disabled seal or signature (停用后再删除)."""
    with sp.prints.transaction() as tx:
        current = tx.stamp(enterprise_id, stamp_id)
        if current is None or kind not in (None, current.kind):
            raise NotFound(f"no {(kind or 'seal or signature').lower()} {stamp_id}")
        problem = rules.can_delete_stamp(current.enabled)
        if problem:
            raise SelfPrintRefused([problem])
        tx.delete_stamp(enterprise_id, stamp_id)


def default_stamp_in(tx: PrintTransaction, enterprise_id: str, kind: str,
                     day: datetime.date) -> tuple[StampRecord, bytes] | None:
    """The default seal or signature that may go on a print on ``day``, with its image."""
    for stamp in tx.stamps(enterprise_id, kind):
        if stamp.is_default and rules.usable_on(stamp.enabled, stamp.valid_from, stamp.valid_to, day):
            image = tx.stamp_image(enterprise_id, stamp.id)
            return (stamp, image) if image else None
    return None


def default_stamp(sp: SelfPrint, enterprise_id: str, kind: str,
                  day: datetime.date) -> tuple[StampRecord, bytes] | None:
    with sp.prints.transaction() as tx:
        return default_stamp_in(tx, enterprise_id, kind, day)


# --- requests to customs --------------------------------------------------------------------------


def _element(name: str, children: list[tuple[str, str | None]]) -> etree._Element:
    el = etree.Element(f"{{{NS}}}{name}")
    for key, value in children:
        if value is not None:
            etree.SubElement(el, f"{{{NS}}}{key}").text = value
    return el


def _document(root: str, *parts: etree._Element) -> bytes:
    doc = etree.Element(f"{{{NS}}}{root}", nsmap={None: NS})
    doc.extend(parts)
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8")


def _send(sp: SelfPrint, enterprise_id: str, raw: bytes, actor: str) -> IntakeResult:
    result = accept_message(sp.store, sp.validator, sp.clock, enterprise_id=enterprise_id, raw=raw, actor=actor)
    if result.outcome not in ("accepted", "duplicate"):
        raise SelfPrintRefused([Problem(i.rule, i.path, i.message, i.field_cn) for i in result.issues])
    return result


def _document_no(prefix: str, sp: SelfPrint) -> str:
    return f"{prefix}-{sp.clock.now().strftime('%Y%m%d%H%M%S%f')}"


def authorise_to_customs(sp: SelfPrint, enterprise_id: str, *, actor: str = "api") -> IntakeResult:
    """印章签名授权: send the default seal and signature to customs for the self-print layouts."""
    today = sp.clock.now().date()
    seal, signature = (default_stamp(sp, enterprise_id, k, today) for k in ("SEAL", "SIGNATURE"))
    missing = [Problem(f"AUTHORISE.NO_DEFAULT_{k}", k.lower(), f"set an enabled, valid default {k.lower()} first",
                       "默认印章" if k == "SEAL" else "默认签名")
               for k, found in (("SEAL", seal), ("SIGNATURE", signature)) if found is None]
    if missing:
        raise SelfPrintRefused(missing)
    assert seal is not None and signature is not None
    with sp.store.transaction() as tx:
        enterprise = tx.enterprise(enterprise_id)
    if enterprise is None:
        raise NotFound(f"no enterprise {enterprise_id}")
    (s, s_img), (g, g_img) = seal, signature
    raw = _document(
        "SealSignatureAuthorisation",
        _element("AuthorisationHead", [("DocumentNo", _document_no("SSA", sp)), ("Uscc", enterprise.id),
                                       ("AplRegNo", enterprise.reg_no)]),
        _element("Seal", [("SealName", s.name), ("SealType", s.seal_type), ("SealShape", s.shape),
                          ("OperatorName", s.holder_name or enterprise.name[:50]), ("WidthMm", str(s.width_mm)),
                          ("HeightMm", str(s.height_mm)), ("ValidFrom", str(s.valid_from)),
                          ("ValidTo", str(s.valid_to)), ("Remark", s.remark or None),
                          ("ImageJpeg", base64.b64encode(s_img).decode())]),
        _element("Signature", [("DeclarantName", g.holder_name), ("DeclarantIdNo", g.holder_id_no),
                               ("SignatureName", g.name), ("WidthMm", str(g.width_mm)),
                               ("HeightMm", str(g.height_mm)), ("Remark", g.remark or None),
                               ("ImageJpeg", base64.b64encode(g_img).decode())]),
    )
    return _send(sp, enterprise_id, raw, actor)


def grant_agent(sp: SelfPrint, enterprise_id: str, org_code: str, name: str, authorised: bool, *,
                actor: str = "api") -> IntakeResult:
    """代理打印授权: allow (or stop) an agent, by its 9-character organisation code, to print originals."""
    problems = []
    if not org_code_is_valid(org_code):
        problems.append(Problem("AGENTPRINT.ORG_CODE_CHECK", "agent_org_code",
                                f"{org_code!r} is not a 9-character organisation code with a correct check character",
                                "代理企业代码"))
    elif org_code == enterprise_id[8:17]:
        problems.append(Problem("AGENTPRINT.NOT_SELF", "agent_org_code", "that is your own organisation code",
                                "代理企业代码"))
    if not name.strip() or len(name) > 100:
        problems.append(Problem("AGENTPRINT.NAME", "agent_name", "the agent's name is required (at most 100 "
                                "characters)", "代理企业名称"))
    if problems:
        raise SelfPrintRefused(problems)
    raw = _document("AgentPrintAuthorisation", _element("AgentAuthorisationHead", [
        ("DocumentNo", _document_no("APA", sp)), ("Uscc", enterprise_id), ("AgentName", name.strip()),
        ("AgentOrgCode", org_code), ("Authorised", "1" if authorised else "0")]))
    result = _send(sp, enterprise_id, raw, actor)
    with sp.prints.transaction() as tx:
        tx.set_agent_grant(enterprise_id, org_code, name.strip(), authorised, at=sp.clock.now())
    return result


def send_print_exception(sp: SelfPrint, enterprise_id: str, *, document_no: str, cert_no: str, reason: str,
                         action: str, detail: str, actor: str) -> IntakeResult:
    raw = _document("PrintExceptionRequest", _element("PrintExceptionHead", [
        ("DocumentNo", document_no), ("Uscc", enterprise_id), ("CertNo", cert_no), ("Reason", reason),
        ("Action", action), ("ProblemDetail", detail.strip() or None)]))
    return _send(sp, enterprise_id, raw, actor)


# --- layouts customs sends ------------------------------------------------------------------------


def _notice_body(raw: bytes) -> etree._Element:
    root = parse(raw)
    try:
        return envelope.unwrap(root)[1]
    except MessagesError:
        return root  # stored without its envelope


def sync_layouts(sp: SelfPrint, enterprise_id: str, *, actor: str = "customs") -> int:
    """Apply the PrintLayoutNotice documents customs sent since last time (版式接收状态); returns how many."""
    applied = 0
    with sp.prints.transaction() as tx:
        for notice in tx.unapplied_layout_notices(enterprise_id):
            body = _notice_body(notice.raw)
            cert_no = find_text(body, "CertNo") or ""
            status = find_text(body, "LayoutStatus") or ""
            try:
                cert_type = parse_certificate_number(cert_no).type
                layout = rules.LayoutStatus(status)
            except ValueError:
                continue  # schema-valid notices always parse; anything else stays visible as a message
            record = tx.print_record(enterprise_id, cert_no, cert_type, at=sp.clock.now(), lock=True)
            tx.set_print_state(record.id, at=sp.clock.now(), kind="LAYOUT", actor=actor, ref=notice.message_id,
                               layout_status=layout.value, issue_date=find_text(body, "IssueDate") or "",
                               detail=f"layout {layout.value} ({find_text(body, 'NoticeId') or notice.message_id})")
            applied += 1
    return applied
