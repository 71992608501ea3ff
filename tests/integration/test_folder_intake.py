"""Folder intake against a real database: same intake as the API, answers in InBox, receipts exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.folder import FolderMailboxes
from gateway.db.erp_store import SqlErpStore
from gateway.demo import sample_bytes
from gateway.services.folder_intake import FolderReport, export_receipts, scan_folders
from messages import receipt
from messages.validate import get_validator
from tests.integration.world import ENT, World


@pytest.fixture
def folder(world: World, tmp_path: Path):  # type: ignore[no-untyped-def]
    boxes = FolderMailboxes(tmp_path / "mail", ("CO",))
    records = SqlErpStore(world.store.sessions)

    def scan() -> FolderReport:
        return scan_folders(boxes, records, world.store, get_validator(), world.clock, max_bytes=1_000_000)

    boxes.ensure(ENT.id)
    return boxes, records, scan


def box(boxes: FolderMailboxes, name: str) -> Path:
    return boxes.box(ENT.id, "CO", name)


def inbox_files(boxes: FolderMailboxes) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in box(boxes, "InBox").rglob("*") if p.is_file()}


def test_good_file_is_accepted_once_filed_in_sentbox_and_answered(world: World, folder) -> None:  # type: ignore[no-untyped-def]
    boxes, _records, scan = folder
    (box(boxes, "OutBox") / "order-1.xml").write_bytes(sample_bytes("form_e_approved.xml"))
    assert scan().taken == 0  # first sight: not yet known to be complete
    report = scan()
    assert (report.taken, report.sent, report.failed) == (1, 1, 0)
    assert (box(boxes, "SentBox") / "order-1.xml").read_bytes() == sample_bytes("form_e_approved.xml")
    answers = inbox_files(boxes)
    assert list(answers) == ["Successed_order-1.xml"]
    text = answers["Successed_order-1.xml"].decode()
    assert "<ResultCode>0</ResultCode>" in text and "<Outcome>accepted</Outcome>" in text
    mid = text.split("<MessageId>")[1].split("<")[0]
    assert world.view(mid)["state"] == "QUEUED"

    # The ERP drops the same document again under another name: the same message, not a second one.
    (box(boxes, "OutBox") / "order-1-again.xml").write_bytes(sample_bytes("form_e_approved.xml"))
    scan()
    scan()
    again = inbox_files(boxes)["Successed_order-1-again.xml"].decode()
    assert f"<MessageId>{mid}</MessageId>" in again and "<Outcome>duplicate</Outcome>" in again


def test_bad_file_goes_to_failbox_with_located_errors(world: World, folder) -> None:  # type: ignore[no-untyped-def]
    boxes, _records, scan = folder
    (box(boxes, "OutBox") / "bad.xml").write_bytes(sample_bytes("general_co_xsd_invalid.xml"))
    scan()
    assert scan().failed == 1
    error_txt = (box(boxes, "FailBox") / "bad.xml.error.txt").read_text(encoding="utf-8")
    assert "rejected" in error_txt and "/HSCode line " in error_txt and "XSD." in error_txt
    failed = inbox_files(boxes)["Failed_bad.xml"].decode()
    assert "<ResultCode>1</ResultCode>" in failed and "<Path>/Certificate/CertificateList/Goods[2]/HSCode" in failed
    mid = failed.split("<MessageId>")[1].split("<")[0]
    assert world.view(mid)["state"] == "REJECTED"  # kept, as on the API


def test_a_file_taken_before_a_crash_is_filed_without_being_submitted_again(world: World, folder) -> None:  # type: ignore[no-untyped-def]
    boxes, _records, scan = folder
    (box(boxes, "OutBox") / "bad.xml").write_bytes(b"<Certificate")  # malformed: not even a message row
    scan()
    scan()
    # Simulate a crash after recording, before the move: put the file back.
    (box(boxes, "FailBox") / "bad.xml").rename(box(boxes, "OutBox") / "bad.xml")
    (box(boxes, "FailBox") / "bad.xml.error.txt").unlink()
    scan()
    assert scan().failed == 1
    assert sorted(p.name for p in box(boxes, "FailBox").iterdir()) == ["bad.xml", "bad.xml.error.txt"]


def test_receipts_are_written_to_inbox_exactly_once(world: World, folder) -> None:  # type: ignore[no-untyped-def]
    boxes, records, scan = folder
    (box(boxes, "OutBox") / "order-7.xml").write_bytes(sample_bytes("form_e_approved.xml"))
    scan()
    scan()
    mid = inbox_files(boxes)["Successed_order-7.xml"].decode().split("<MessageId>")[1].split("<")[0]
    world.dispatch()  # uploads: the gateway's own "数据已发往海关" receipt
    now = world.clock.now()
    world.transport.deliver("r1.xml", world.authority_receipt(receipt.BusinessReceipt(
        f"GACC-{mid}-1", mid, "E263501000010001", 1, "STORED", "海关入库成功", "0001--报文收到时间", now)))
    world.ingest()
    assert export_receipts(boxes, records, world.clock) == 2
    assert export_receipts(boxes, records, world.clock) == 0  # a second run (or a restart) writes nothing new
    receipts = {n: c.decode() for n, c in inbox_files(boxes).items() if n.startswith("Receipt_")}
    assert sorted(receipts) == [f"Receipt_order-7_0_LOCAL-{mid}-0.xml", f"Receipt_order-7_1_GACC-{mid}-1.xml"]
    stored = receipts[f"Receipt_order-7_1_GACC-{mid}-1.xml"]
    assert "<Status>海关入库成功</Status>" in stored and f"<MessageId>{mid}</MessageId>" in stored

    world.transport.deliver("r2.xml", world.authority_receipt(receipt.BusinessReceipt(
        f"GACC-{mid}-2", mid, "E263501000010001", 2, "RETURNED", "退证", "退证",
        now, (receipt.Reason("AUTH.X", "/Certificate/CertificateList/Goods[1]/OriCriteria", "wrong criterion"),))))
    world.ingest()
    assert export_receipts(boxes, records, world.clock) == 1
    returned = next(c for n, c in inbox_files(boxes).items() if n.startswith("Receipt_order-7_2_")).decode()
    assert "<RuleId>AUTH.X</RuleId>" in returned and "<Status>退证</Status>" in returned


def test_receipts_of_api_messages_are_not_written_to_folders(world: World, folder) -> None:  # type: ignore[no-untyped-def]
    boxes, records, _scan = folder
    world.accept(sample_bytes("form_e_approved.xml"))
    world.dispatch()
    assert export_receipts(boxes, records, world.clock) == 0
