"""Folder mailbox rules: which files are complete, where they are filed, how answers are written."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from adapters.folder import FolderMailboxes, MailboxError, is_temporary_name, unique_target

ENT = "91350100M000100Y43"


@pytest.fixture
def boxes(tmp_path: Path) -> FolderMailboxes:
    mb = FolderMailboxes(tmp_path, ("CO",))
    mb.ensure(ENT)
    return mb


def outbox(mb: FolderMailboxes) -> Path:
    return mb.box(ENT, "CO", "OutBox")


@pytest.mark.parametrize("name", [".a.xml", ".a.xml.tmp", "a.xml.tmp", "a.XML.part", "a.xml.filepart", "~$a.xlsx",
                                  "a.xml~"])
def test_names_a_writer_uses_while_writing_are_temporary(name: str) -> None:
    assert is_temporary_name(name)


@pytest.mark.parametrize("name", ["a.xml", "Failed_a.xml", "tmp.xml", "partial-order.xml"])
def test_ordinary_names_are_not_temporary(name: str) -> None:
    assert not is_temporary_name(name)


def test_ensure_creates_the_four_boxes_per_module(tmp_path: Path) -> None:
    mb = FolderMailboxes(tmp_path, ("CO", "PRODUCT"))
    root = mb.ensure(ENT)
    assert sorted(p.name for p in (root / "PRODUCT").iterdir()) == ["FailBox", "InBox", "OutBox", "SentBox"]
    assert (root / "CO" / "OutBox").is_dir()


def test_a_file_is_ready_only_when_size_and_mtime_agree_on_two_scans(boxes: FolderMailboxes) -> None:
    f = outbox(boxes) / "a.xml"
    f.write_bytes(b"<a/>")
    assert boxes.ready_files(ENT, "CO") == []  # first sight: maybe still being written
    with open(f, "ab") as h:  # the ERP is still writing in place
        h.write(b"<!-- more -->")
    assert boxes.ready_files(ENT, "CO") == []
    ready = boxes.ready_files(ENT, "CO")  # unchanged since the last scan
    assert [r.name for r in ready] == ["a.xml"] and ready[0].size == f.stat().st_size


def test_an_mtime_change_with_the_same_size_restarts_the_wait(boxes: FolderMailboxes) -> None:
    f = outbox(boxes) / "a.xml"
    f.write_bytes(b"<a/>")
    boxes.ready_files(ENT, "CO")
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert boxes.ready_files(ENT, "CO") == []
    assert len(boxes.ready_files(ENT, "CO")) == 1


def test_temporary_names_and_folders_are_never_taken(boxes: FolderMailboxes) -> None:
    (outbox(boxes) / ".a.xml.tmp").write_bytes(b"<a/>")
    (outbox(boxes) / "b.xml.part").write_bytes(b"<a/>")
    (outbox(boxes) / "sub").mkdir()
    (outbox(boxes) / "link.xml").symlink_to("/etc/passwd")
    for _ in range(3):
        assert boxes.ready_files(ENT, "CO") == []


def test_a_renamed_temp_file_is_taken_after_two_scans(boxes: FolderMailboxes) -> None:
    tmp = outbox(boxes) / ".a.xml.tmp"
    tmp.write_bytes(b"<a/>")
    boxes.ready_files(ENT, "CO")
    tmp.rename(outbox(boxes) / "a.xml")
    assert boxes.ready_files(ENT, "CO") == []
    assert [r.name for r in boxes.ready_files(ENT, "CO")] == ["a.xml"]


def test_failed_file_goes_to_failbox_with_its_error_file_beside_it(boxes: FolderMailboxes) -> None:
    (outbox(boxes) / "bad.xml").write_bytes(b"<oops")
    boxes.ready_files(ENT, "CO")
    (item,) = boxes.ready_files(ENT, "CO")
    target = boxes.move_to_failed(item, "XML.malformed: / line 1: oops\n")
    failbox = boxes.box(ENT, "CO", "FailBox")
    assert target == failbox / "bad.xml" and target.read_bytes() == b"<oops"
    assert (failbox / "bad.xml.error.txt").read_text(encoding="utf-8") == "XML.malformed: / line 1: oops\n"
    assert not (outbox(boxes) / "bad.xml").exists()


def test_a_name_filed_before_is_not_overwritten(boxes: FolderMailboxes) -> None:
    sent = boxes.box(ENT, "CO", "SentBox")
    (sent / "a.xml").write_bytes(b"first")
    (outbox(boxes) / "a.xml").write_bytes(b"second")
    boxes.ready_files(ENT, "CO")
    (item,) = boxes.ready_files(ENT, "CO")
    assert boxes.move_to_sent(item) == sent / "a(2).xml"
    assert (sent / "a.xml").read_bytes() == b"first" and (sent / "a(2).xml").read_bytes() == b"second"
    assert unique_target(sent, "a.xml") == sent / "a(3).xml"


def test_inbox_answers_go_to_a_day_folder_by_temp_then_rename(boxes: FolderMailboxes) -> None:
    path = boxes.write_inbox(ENT, "CO", date(2026, 11, 23), "Successed_a.xml", b"<ok/>")
    assert path == boxes.box(ENT, "CO", "InBox") / "2026-11-23" / "Successed_a.xml"
    assert path.read_bytes() == b"<ok/>"
    boxes.write_inbox(ENT, "CO", date(2026, 11, 23), "Successed_a.xml", b"<ok again/>")  # idempotent rewrite
    assert sorted(p.name for p in path.parent.iterdir()) == ["Successed_a.xml"]  # no temp file left behind
    assert path.read_bytes() == b"<ok again/>"


def test_names_that_would_leave_the_root_are_refused(tmp_path: Path) -> None:
    mb = FolderMailboxes(tmp_path)
    with pytest.raises(MailboxError, match="enterprise id"):
        mb.ensure("../elsewhere")
    with pytest.raises(MailboxError, match="module"):
        FolderMailboxes(tmp_path, ("a/b",))
