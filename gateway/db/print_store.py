"""The SQL implementation of the self-print storage port (gateway.services.print_ports)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.db import models as m
from gateway.db import print_models as pm
from gateway.db.store import iso
from gateway.services.print_ports import (
    CertificateSource,
    LayoutNotice,
    NewStamp,
    PrintRecord,
    StampRecord,
)

LAYOUT_NOTICE = "PRINT_LAYOUT_NOTICE"

SQL_INT_MAX = 2**31 - 1  # ids are SQL INTEGER columns


def _stamp(row: pm.PrintStamp) -> StampRecord:
    return StampRecord(id=row.id, enterprise_id=row.enterprise_id, kind=row.kind, name=row.name,
                       seal_type=row.seal_type, shape=row.shape, width_mm=row.width_mm, height_mm=row.height_mm,
                       valid_from=row.valid_from, valid_to=row.valid_to, enabled=row.enabled,
                       is_default=row.is_default, holder_name=row.holder_name, holder_id_no=row.holder_id_no,
                       remark=row.remark, image_format=row.image_format, image_sha256=row.image_sha256,
                       created_at=row.created_at)


def _print(row: pm.CertificatePrint) -> PrintRecord:
    return PrintRecord(id=row.id, cert_no=row.cert_no, cert_type=row.cert_type, layout_status=row.layout_status,
                       print_status=row.print_status, originals=row.originals, copies=row.copies,
                       issue_date=row.issue_date, updated_at=row.updated_at)


class SqlPrintTransaction:
    def __init__(self, session: Session) -> None:
        self.s = session
        self._postgres = session.get_bind().dialect.name == "postgresql"

    # --- seals and signatures -------------------------------------------------------------------
    def add_stamp(self, enterprise_id: str, new: NewStamp, *, at: datetime) -> StampRecord:
        row = pm.PrintStamp(enterprise_id=enterprise_id, kind=new.kind, name=new.name, seal_type=new.seal_type,
                            shape=new.shape, width_mm=new.width_mm, height_mm=new.height_mm,
                            valid_from=new.valid_from, valid_to=new.valid_to, enabled=True, is_default=False,
                            holder_name=new.holder_name, holder_id_no=new.holder_id_no, remark=new.remark,
                            image=new.image, image_format=new.image_format,
                            image_sha256=hashlib.sha256(new.image).hexdigest(), created_at=at, updated_at=at)
        self.s.add(row)
        self.s.flush()
        return _stamp(row)

    def _stamp_row(self, enterprise_id: str, stamp_id: int) -> pm.PrintStamp | None:
        if not 0 < stamp_id <= SQL_INT_MAX:  # PostgreSQL would refuse the comparison itself
            return None
        return self.s.scalar(select(pm.PrintStamp).where(pm.PrintStamp.id == stamp_id,
                                                         pm.PrintStamp.enterprise_id == enterprise_id))

    def stamps(self, enterprise_id: str, kind: str | None = None) -> list[StampRecord]:
        stmt = select(pm.PrintStamp).where(pm.PrintStamp.enterprise_id == enterprise_id)
        if kind:
            stmt = stmt.where(pm.PrintStamp.kind == kind)
        return [_stamp(r) for r in self.s.scalars(stmt.order_by(pm.PrintStamp.id))]

    def stamp(self, enterprise_id: str, stamp_id: int) -> StampRecord | None:
        row = self._stamp_row(enterprise_id, stamp_id)
        return _stamp(row) if row else None

    def stamp_image(self, enterprise_id: str, stamp_id: int) -> bytes | None:
        row = self._stamp_row(enterprise_id, stamp_id)
        return row.image if row else None

    def update_stamp(self, enterprise_id: str, stamp_id: int, *, at: datetime, enabled: bool | None = None,
                     is_default: bool | None = None) -> StampRecord | None:
        row = self._stamp_row(enterprise_id, stamp_id)
        if row is None:
            return None
        if enabled is not None:
            row.enabled = enabled
        if is_default:  # one default per kind: the others step down
            for other in self.s.scalars(select(pm.PrintStamp).where(pm.PrintStamp.enterprise_id == enterprise_id,
                                                                    pm.PrintStamp.kind == row.kind,
                                                                    pm.PrintStamp.id != row.id)):
                other.is_default = False
        if is_default is not None:
            row.is_default = is_default
        row.updated_at = at
        self.s.flush()
        return _stamp(row)

    def delete_stamp(self, enterprise_id: str, stamp_id: int) -> bool:
        result = self.s.execute(delete(pm.PrintStamp).where(pm.PrintStamp.id == stamp_id,
                                                            pm.PrintStamp.enterprise_id == enterprise_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # --- certificates and print state -----------------------------------------------------------
    def certificate_source(self, enterprise_id: str, cert_no: str) -> CertificateSource | None:
        row = self.s.execute(
            select(m.Certificate, m.Message.created_at, m.Payload.content)
            .join(m.Message, m.Message.id == m.Certificate.message_pk)
            .join(m.Payload, (m.Payload.message_pk == m.Message.id) & (m.Payload.kind == "raw"))
            .where(m.Certificate.enterprise_id == enterprise_id, m.Certificate.cert_no == cert_no,
                   m.Message.state != "REJECTED")
            .order_by(m.Message.id.desc()).limit(1)).first()
        if row is None:
            return None
        cert, created_at, raw = row
        return CertificateSource(cert.cert_no, cert.cert_type, cert.status, raw, created_at)

    def print_record(self, enterprise_id: str, cert_no: str, cert_type: str, *, at: datetime,
                     lock: bool = False) -> PrintRecord:
        stmt = select(pm.CertificatePrint).where(pm.CertificatePrint.enterprise_id == enterprise_id,
                                                 pm.CertificatePrint.cert_no == cert_no)
        row = self.s.scalar(stmt.with_for_update() if lock and self._postgres else stmt)
        if row is None:
            row = pm.CertificatePrint(enterprise_id=enterprise_id, cert_no=cert_no, cert_type=cert_type,
                                      layout_status="NONE", print_status="PENDING", originals=0, copies=0,
                                      issue_date="", updated_at=at)
            self.s.add(row)
            self.s.flush()
        return _print(row)

    def print_records(self, enterprise_id: str) -> list[PrintRecord]:
        return [_print(r) for r in self.s.scalars(select(pm.CertificatePrint)
                                                   .where(pm.CertificatePrint.enterprise_id == enterprise_id)
                                                   .order_by(pm.CertificatePrint.cert_no))]

    def print_records_for(self, enterprise_id: str, cert_nos: Sequence[str]) -> dict[str, PrintRecord]:
        """The print records that exist for these certificates (none is made: a list page only reads)."""
        if not cert_nos:
            return {}
        rows = self.s.scalars(select(pm.CertificatePrint).where(pm.CertificatePrint.enterprise_id == enterprise_id,
                                                                pm.CertificatePrint.cert_no.in_(set(cert_nos))))
        return {r.cert_no: _print(r) for r in rows}

    def set_print_state(self, print_pk: int, *, at: datetime, kind: str, actor: str, detail: str = "",
                        ref: str = "", layout_status: str | None = None, print_status: str | None = None,
                        originals: int = 0, copies: int = 0, issue_date: str | None = None) -> None:
        row = self.s.get(pm.CertificatePrint, print_pk)
        if row is None:
            raise LookupError(f"no print record {print_pk}")
        before = f"{row.layout_status}/{row.print_status}"
        if layout_status is not None:
            row.layout_status = layout_status
        if print_status is not None:
            row.print_status = print_status
        if issue_date:
            row.issue_date = issue_date
        row.originals += originals
        row.copies += copies
        row.updated_at = at
        self.s.add(pm.PrintEvent(print_pk=print_pk, at=at, kind=kind, from_status=before,
                                 to_status=f"{row.layout_status}/{row.print_status}", actor=actor, detail=detail,
                                 ref=ref))
        self.s.flush()

    def print_events(self, print_pk: int) -> list[dict[str, str]]:
        rows = self.s.scalars(select(pm.PrintEvent).where(pm.PrintEvent.print_pk == print_pk)
                              .order_by(pm.PrintEvent.id))
        return [{"at": iso(r.at) or "", "kind": r.kind, "from": r.from_status, "to": r.to_status, "actor": r.actor,
                 "detail": r.detail} for r in rows]

    def add_print_exception(self, print_pk: int, *, document_no: str, reason: str, action: str, detail: str,
                            message_id: str, at: datetime) -> None:
        self.s.add(pm.PrintExceptionRequest(print_pk=print_pk, document_no=document_no, reason=reason, action=action,
                                            detail=detail, message_id=message_id, requested_at=at))
        self.s.flush()

    def print_exceptions(self, print_pk: int) -> list[dict[str, str]]:
        rows = self.s.scalars(select(pm.PrintExceptionRequest).where(pm.PrintExceptionRequest.print_pk == print_pk)
                              .order_by(pm.PrintExceptionRequest.id))
        return [{"document_no": r.document_no, "reason": r.reason, "action": r.action, "detail": r.detail,
                 "message_id": r.message_id, "requested_at": iso(r.requested_at) or ""} for r in rows]

    def exception_count(self, enterprise_id: str) -> int:
        return int(self.s.scalar(select(func.count()).select_from(pm.PrintExceptionRequest)
                                 .join(pm.CertificatePrint,
                                       pm.CertificatePrint.id == pm.PrintExceptionRequest.print_pk)
                                 .where(pm.CertificatePrint.enterprise_id == enterprise_id)) or 0)

    # --- layout notices -----------------------------------------------------------------------------
    def unapplied_layout_notices(self, enterprise_id: str) -> list[LayoutNotice]:
        applied = select(pm.PrintEvent.ref).where(pm.PrintEvent.kind == "LAYOUT")
        rows = self.s.execute(
            select(m.Message.message_id, m.Payload.content)
            .join(m.Payload, (m.Payload.message_pk == m.Message.id) & (m.Payload.kind == "raw"))
            .where(m.Message.enterprise_id == enterprise_id, m.Message.message_type == LAYOUT_NOTICE,
                   m.Message.direction == "inbound", m.Message.message_id.not_in(applied))
            .order_by(m.Message.id))
        return [LayoutNotice(message_id, raw) for message_id, raw in rows]

    def layout_notice_applied(self, message_id: str) -> bool:
        return self.s.scalar(select(pm.PrintEvent.id).where(pm.PrintEvent.kind == "LAYOUT",
                                                            pm.PrintEvent.ref == message_id).limit(1)) is not None

    # --- agent print authorisation ------------------------------------------------------------------
    def set_agent_grant(self, enterprise_id: str, org_code: str, name: str, authorised: bool, *,
                        at: datetime) -> None:
        row = self.s.scalar(select(pm.AgentPrintGrant).where(pm.AgentPrintGrant.enterprise_id == enterprise_id,
                                                             pm.AgentPrintGrant.agent_org_code == org_code))
        if row is None:
            self.s.add(pm.AgentPrintGrant(enterprise_id=enterprise_id, agent_org_code=org_code, agent_name=name,
                                          authorised=authorised, updated_at=at))
        else:
            row.agent_name, row.authorised, row.updated_at = name, authorised, at
        self.s.flush()

    def agent_grants(self, enterprise_id: str) -> list[dict[str, object]]:
        rows = self.s.scalars(select(pm.AgentPrintGrant).where(pm.AgentPrintGrant.enterprise_id == enterprise_id)
                              .order_by(pm.AgentPrintGrant.agent_org_code))
        return [{"agent_org_code": r.agent_org_code, "agent_name": r.agent_name, "authorised": r.authorised,
                 "updated_at": iso(r.updated_at)} for r in rows]

    def agent_authorised(self, exporter_id: str, agent_org_code: str) -> bool:
        return bool(self.s.scalar(select(pm.AgentPrintGrant.authorised)
                                  .where(pm.AgentPrintGrant.enterprise_id == exporter_id,
                                         pm.AgentPrintGrant.agent_org_code == agent_org_code)))


class SqlPrintStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    @contextmanager
    def transaction(self) -> Iterator[SqlPrintTransaction]:
        with self.sessions() as session, session.begin():
            yield SqlPrintTransaction(session)
