"""Printing certificates: the plain prints of seed 001 ch. 4 (certificate, application form, invoice,
authentication slip) and the self-print original and copy of seed 003 part 2, with the print status
they move and the print exceptions that undo it.

An original moves the certificate to PRINTED in the same transaction that renders it: the PDF is only
handed out once that is stored, so two requests can never both print "the" original. A lost download
is what the print exception (reprint) is for.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import gateway.pdf as pdf
from gateway.domain import self_print as rules
from gateway.domain.self_print import LayoutStatus, PrintState, PrintStatus, Problem
from gateway.pdf.merge import merge
from gateway.services.errors import NotFound
from gateway.services.print_ports import CertificateSource, PrintRecord, PrintTransaction
from gateway.services.self_print import (
    SelfPrint,
    SelfPrintRefused,
    default_stamp_in,
    send_print_exception,
    sync_layouts,
)
from messages import certificate as codec
from messages.safexml import parse

PLAIN_KINDS = pdf.KINDS  # certificate, application, invoice, slip
SELF_PRINT_KINDS = ("original", "copy")
ALL_KINDS = (*PLAIN_KINDS, *SELF_PRINT_KINDS)
BATCH_LIMIT = 50  # certificates per batch download


@dataclass(frozen=True)
class Printed:
    cert_no: str
    kind: str
    content: bytes

    @property
    def filename(self) -> str:
        return f"{self.cert_no}-{self.kind}.pdf"


def _data(source: CertificateSource) -> dict[str, Any]:
    return codec.decode(parse(source.raw)).data


def _state(record: PrintRecord) -> PrintState:
    return PrintState(record.cert_type, LayoutStatus(record.layout_status), PrintStatus(record.print_status))


def _kind_problem(kind: str) -> Problem:
    return Problem("PRINT.KIND", "kind", f"kind {kind!r} is not one of {', '.join(ALL_KINDS)}", "打印类型")


@dataclass(frozen=True)
class PrintItem:
    """One PDF of a batch: which enterprise holds the certificate, its number, the kind of print."""

    enterprise_id: str
    cert_no: str
    kind: str


def print_document(sp: SelfPrint, enterprise_id: str, cert_no: str, kind: str, *, hyphenate: bool = False,
                   actor: str = "api", printer_id: str | None = None) -> Printed:
    """One PDF for one certificate; originals and copies follow (and move) the self-print state.

    ``enterprise_id`` holds the declaration; ``printer_id`` is the enterprise whose people print it (an
    agent acting for a principal in the UI), the holder itself when not given.
    """
    if kind not in ALL_KINDS:
        raise SelfPrintRefused([_kind_problem(kind)])
    if kind in SELF_PRINT_KINDS:
        sync_layouts(sp, enterprise_id)
    with sp.prints.transaction() as tx:
        source = tx.certificate_source(enterprise_id, cert_no)
        if source is None:
            raise NotFound(f"no certificate {cert_no}")
        data = _data(source)
        options = pdf.PrintOptions(hyphenate=hyphenate)
        if kind in PLAIN_KINDS:
            declared = source.declared_at.strftime("%Y-%m-%d %H:%M UTC")
            printed = sp.clock.now().strftime("%Y-%m-%d %H:%M UTC")
            return Printed(cert_no, kind, pdf.render(kind, data, options, status=source.status,
                                                     declared_at=declared, printed_at=printed))
        record = tx.print_record(enterprise_id, cert_no, source.cert_type, at=sp.clock.now(), lock=True)
        if kind == "copy":
            return Printed(cert_no, kind, _copy(sp, tx, record, data, options, actor))
        return Printed(cert_no, kind, _original(sp, tx, enterprise_id, record, data, options, actor,
                                                printer_id or enterprise_id))


def _copy(sp: SelfPrint, tx: PrintTransaction, record: PrintRecord, data: dict[str, Any],
          options: pdf.PrintOptions, actor: str) -> bytes:
    problem = rules.copy_problem(_state(record))
    if problem:
        raise SelfPrintRefused([problem])
    content = pdf.render_certificate(data, pdf.PrintOptions(hyphenate=options.hyphenate, mark="copy",
                                                            issue_date=record.issue_date))
    tx.set_print_state(record.id, at=sp.clock.now(), kind="COPY", actor=actor, copies=1, detail="copy printed")
    return content


def _original_check(sp: SelfPrint, tx: PrintTransaction, enterprise_id: str, state: PrintState,
                    data: dict[str, Any], printer_id: str) -> tuple[Problem | None, Any, Any]:
    """(why not, default seal, default signature) for printing the original now.

    The certificate's own state first (type, layout, archived, pending), then who prints it, then the
    exporter's default seal and signature: every page that shows a reason shows the same first one.
    """
    state_problem = rules.original_problem(state, has_seal=True, has_signature=True)
    if state_problem:
        return state_problem, None, None
    exporter = str(data["head"].get("EntUscc") or enterprise_id)
    if exporter != printer_id and not tx.agent_authorised(exporter, printer_id[8:17]):
        # An agent prints the exporter's certificate only with the exporter's 代理打印授权.
        return (Problem("PRINT.AGENT_NOT_AUTHORISED", "agent", f"exporter {exporter} has not authorised "
                        f"enterprise {printer_id} to print its certificates", "代理打印授权"), None, None)
    today = sp.clock.now().date()
    seal = default_stamp_in(tx, exporter, "SEAL", today)  # agents print with the exporter's seal (无需制作印章)
    signature = default_stamp_in(tx, exporter, "SIGNATURE", today)
    problem = rules.original_problem(state, has_seal=seal is not None, has_signature=signature is not None)
    return problem, seal, signature


def _original(sp: SelfPrint, tx: PrintTransaction, enterprise_id: str, record: PrintRecord, data: dict[str, Any],
              options: pdf.PrintOptions, actor: str, printer_id: str) -> bytes:
    problem, seal, signature = _original_check(sp, tx, enterprise_id, _state(record), data, printer_id)
    if problem:
        raise SelfPrintRefused([problem])
    (s, s_img), (g, g_img) = seal, signature
    content = pdf.render_certificate(data, pdf.PrintOptions(
        hyphenate=options.hyphenate, mark="original", issue_date=record.issue_date,
        seal=pdf.Stamp(s_img, float(s.width_mm), float(s.height_mm)),
        signature=pdf.Stamp(g_img, float(g.width_mm), float(g.height_mm)),
        certified_by="Certified electronically by the General Administration of Customs of the People's Republic "
                     "of China (self-print layout received)"))
    tx.set_print_state(record.id, at=sp.clock.now(), kind="ORIGINAL", actor=actor, originals=1,
                       print_status=rules.after_original(_state(record)).status.value,
                       detail=f"original printed with seal {s.id} and signature {g.id}")
    return content


def print_batch(sp: SelfPrint, enterprise_id: str, items: Sequence[tuple[str, str]], *, as_zip: bool,
                hyphenate: bool = False, actor: str = "api") -> bytes:
    """Many prints of one enterprise's certificates as one download (see ``print_many``)."""
    return print_many(sp, [PrintItem(enterprise_id, cert, kind) for cert, kind in items], as_zip=as_zip,
                      hyphenate=hyphenate, actor=actor)


def print_many(sp: SelfPrint, items: Sequence[PrintItem], *, as_zip: bool, hyphenate: bool = False,
               actor: str = "api", printer_id: str | None = None) -> bytes:
    """Many prints as one download: a zip of PDFs, or one merged PDF in the order asked. The items may
    belong to several enterprises (an agent's own and its principals' certificates in the UI).

    Everything is checked before anything is printed, so a refused item never leaves some originals
    marked PRINTED and others not.
    """
    if not items or len(items) > BATCH_LIMIT:
        raise SelfPrintRefused([Problem("PRINT.BATCH_SIZE", "items", f"send 1 to {BATCH_LIMIT} items, got "
                                        f"{len(items)}")])
    problems = [_kind_problem(i.kind) for i in items if i.kind not in ALL_KINDS]
    originals = [(i.enterprise_id, i.cert_no) for i in items if i.kind == "original"]
    if len(set(originals)) != len(originals):
        problems.append(Problem("PRINT.BATCH_ORIGINAL_TWICE", "items", "an original can be printed once"))
    with sp.prints.transaction() as tx:
        unknown = [cert for ent, cert in dict.fromkeys((i.enterprise_id, i.cert_no) for i in items)
                   if tx.certificate_source(ent, cert) is None]
    problems += [Problem("PRINT.NOT_FOUND", "cert_no", f"no certificate {cert}") for cert in unknown]
    if problems:
        raise SelfPrintRefused(problems)
    holders = dict.fromkeys(ent for ent, _ in originals)
    for holder in holders:
        preflight(sp, holder, [cert for ent, cert in originals if ent == holder], printer_id=printer_id)
    printed = [(i.enterprise_id, print_document(sp, i.enterprise_id, i.cert_no, i.kind, hyphenate=hyphenate,
                                                actor=actor, printer_id=printer_id)) for i in items]
    if not as_zip:
        return merge(p.content for _, p in printed)
    out = BytesIO()
    names: set[str] = set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for holder, p in printed:
            name = p.filename if p.filename not in names else f"{holder}-{p.filename}"
            names.add(name)
            archive.writestr(name, p.content)
    return out.getvalue()


def preflight(sp: SelfPrint, enterprise_id: str, cert_nos: Sequence[str], *, printer_id: str | None = None) -> None:
    """Refuse the whole batch when any original may not be printed now."""
    sync_layouts(sp, enterprise_id)
    problems = []
    with sp.prints.transaction() as tx:
        for cert_no in cert_nos:
            source = tx.certificate_source(enterprise_id, cert_no)
            assert source is not None
            record = tx.print_record(enterprise_id, cert_no, source.cert_type, at=sp.clock.now())
            problem = _original_check(sp, tx, enterprise_id, _state(record), _data(source),
                                      printer_id or enterprise_id)[0]
            if problem:
                problems.append(Problem(problem.rule, f"{cert_no}/{problem.field}", f"{cert_no}: {problem.message}",
                                        problem.field_cn))
    if problems:
        raise SelfPrintRefused(problems)


# --- what may be done now ---------------------------------------------------------------------------

#: Besides the kinds of print: the two other things a page offers for a printed certificate.
ACTIONS = ("archive", "print_exception")


def _available(sp: SelfPrint, tx: PrintTransaction, enterprise_id: str, state: PrintState,
               data: Callable[[], dict[str, Any]], printer_id: str) -> dict[str, Problem | None]:
    """Each kind of print and action → None when it may be done now, else the first rule that says no."""
    out: dict[str, Problem | None] = dict.fromkeys(PLAIN_KINDS)
    # The certificate's data (who the exporter is) is read only when its state would allow the original.
    state_problem = rules.original_problem(state, has_seal=True, has_signature=True)
    out["original"] = state_problem or _original_check(sp, tx, enterprise_id, state, data(), printer_id)[0]
    out["copy"] = rules.copy_problem(state)
    out["archive"] = rules.archive_problem(state)
    out["print_exception"] = rules.exception_state_problem(state)
    return out


def print_overview(sp: SelfPrint, enterprise_id: str, certificates: Mapping[str, str], *,
                   printer_id: str | None = None) -> dict[str, dict[str, Any]]:
    """Print state and what may be printed now for several certificates of one enterprise (a list page):
    cert_no → {layout_status, print_status, originals, copies, self_print, available}. Reads only: a
    certificate never printed shows the initial state without a row being made for it.

    ``certificates`` maps each certificate number to its type.
    """
    sync_layouts(sp, enterprise_id)
    out: dict[str, dict[str, Any]] = {}
    with sp.prints.transaction() as tx:
        records = tx.print_records_for(enterprise_id, list(certificates))
        for cert_no, cert_type in certificates.items():
            record = records.get(cert_no)
            state = _state(record) if record else PrintState(cert_type, LayoutStatus.NONE, PrintStatus.PENDING)

            def data(cert_no: str = cert_no) -> dict[str, Any]:
                source = tx.certificate_source(enterprise_id, cert_no)
                if source is None:
                    raise NotFound(f"no certificate {cert_no}")
                return _data(source)

            try:
                available = _available(sp, tx, enterprise_id, state, data, printer_id or enterprise_id)
            except NotFound:
                continue  # only rejected input carries this number: nothing to print
            out[cert_no] = {"cert_type": state.cert_type, "self_print": rules.eligible(state.cert_type),
                            "layout_status": state.layout.value, "print_status": state.status.value,
                            "originals": record.originals if record else 0, "copies": record.copies if record else 0,
                            "available": available}
    return out


def request_exception(sp: SelfPrint, enterprise_id: str, cert_no: str, reason: str, detail: str = "", *,
                      actor: str = "api") -> dict[str, str]:
    """打印异常申请: device problems allow a reprint now; content problems ask customs for a new layout."""
    sync_layouts(sp, enterprise_id)
    with sp.prints.transaction() as tx:
        source = tx.certificate_source(enterprise_id, cert_no)
        if source is None:
            raise NotFound(f"no certificate {cert_no}")
        record = tx.print_record(enterprise_id, cert_no, source.cert_type, at=sp.clock.now())
        problem = rules.exception_problem(_state(record), reason, detail)
        if problem:
            raise SelfPrintRefused([problem])
        number = tx.exception_count(enterprise_id) + 1
    outcome = rules.exception_outcome(_state(record), reason)
    document_no = f"PE-{cert_no}-{number:04d}"
    sent = send_print_exception(sp, enterprise_id, document_no=document_no, cert_no=cert_no, reason=reason,
                                action=outcome.action, detail=detail, actor=actor)
    with sp.prints.transaction() as tx:
        record = tx.print_record(enterprise_id, cert_no, source.cert_type, at=sp.clock.now(), lock=True)
        tx.add_print_exception(record.id, document_no=document_no, reason=reason, action=outcome.action,
                               detail=detail, message_id=sent.message_id or "", at=sp.clock.now())
        tx.set_print_state(record.id, at=sp.clock.now(), kind="EXCEPTION", actor=actor, ref=document_no,
                           layout_status=outcome.state.layout.value, print_status=outcome.state.status.value,
                           detail=f"{reason} ({rules.REASON_TEXT[reason]}): {outcome.action}")
    return {"document_no": document_no, "reason": reason, "action": outcome.action,
            "message_id": sent.message_id or "", "layout_status": outcome.state.layout.value,
            "print_status": outcome.state.status.value}


def archive(sp: SelfPrint, enterprise_id: str, cert_no: str, *, actor: str = "api") -> PrintRecord:
    """Printed → archived (归档): the original cannot be printed again without an exception."""
    with sp.prints.transaction() as tx:
        source = tx.certificate_source(enterprise_id, cert_no)
        if source is None:
            raise NotFound(f"no certificate {cert_no}")
        record = tx.print_record(enterprise_id, cert_no, source.cert_type, at=sp.clock.now(), lock=True)
        problem = rules.archive_problem(_state(record))
        if problem:
            raise SelfPrintRefused([problem])
        state = rules.archive(_state(record))
        tx.set_print_state(record.id, at=sp.clock.now(), kind="ARCHIVE", actor=actor, print_status=state.status.value)
        return tx.print_record(enterprise_id, cert_no, source.cert_type, at=sp.clock.now())


def print_view(sp: SelfPrint, enterprise_id: str, cert_no: str, *, printer_id: str | None = None) -> dict[str, Any]:
    """Print state, history, exception requests and what may be done now (``available``: each kind of
    print and action → ``{"allowed", "problem"}``)."""
    sync_layouts(sp, enterprise_id)
    with sp.prints.transaction() as tx:
        source = tx.certificate_source(enterprise_id, cert_no)
        if source is None:
            raise NotFound(f"no certificate {cert_no}")
        record = tx.print_record(enterprise_id, cert_no, source.cert_type, at=sp.clock.now())
        available = _available(sp, tx, enterprise_id, _state(record), lambda: _data(source),
                               printer_id or enterprise_id)
        return {"cert_no": cert_no, "cert_type": record.cert_type, "self_print": rules.eligible(record.cert_type),
                "document_status": source.status, "layout_status": record.layout_status,
                "print_status": record.print_status, "originals": record.originals, "copies": record.copies,
                "issue_date": record.issue_date, "events": tx.print_events(record.id),
                "exceptions": tx.print_exceptions(record.id),
                "available": {name: {"allowed": problem is None, "problem": problem.as_dict() if problem else None}
                              for name, problem in available.items()}}
