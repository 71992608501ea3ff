from __future__ import annotations

import pickle
import threading

import pytest

from adapters.base import InboundFile, OutboundFile, SendResult, Transport, TransportError, check_file_name
from adapters.memory import MemoryTransport


def _out(name: str = "m1.xml", content: bytes = b"<Envelope/>") -> OutboundFile:
    return OutboundFile(name=name, content=content, message_id=name.removesuffix(".xml"))


def test_memory_transport_satisfies_the_transport_protocol() -> None:
    assert isinstance(MemoryTransport(), Transport)


def test_send_stores_the_file_under_its_name() -> None:
    t = MemoryTransport()
    result = t.send(_out())
    assert result == SendResult(remote_name="m1.xml", bytes_sent=11, already_present=False)
    assert t.sent == {"m1.xml": _out()}
    assert t.uploads == 1


def test_resending_identical_content_reports_already_present_without_uploading() -> None:
    t = MemoryTransport()
    t.send(_out())
    again = t.send(_out())
    assert again == SendResult(remote_name="m1.xml", bytes_sent=0, already_present=True)
    assert t.uploads == 1
    assert t.send_calls == 2


def test_sending_different_content_under_the_same_name_replaces_it() -> None:
    t = MemoryTransport()
    t.send(_out(content=b"<old/>"))
    result = t.send(_out(content=b"<new/>"))
    assert result.already_present is False
    assert t.sent["m1.xml"].content == b"<new/>"


def test_take_sent_removes_the_file_like_the_receiver_would() -> None:
    t = MemoryTransport()
    t.send(_out())
    assert t.take_sent("m1.xml") == _out()
    assert t.sent == {}
    assert t.send(_out()).already_present is False
    with pytest.raises(KeyError):
        t.take_sent("absent.xml")


@pytest.mark.parametrize("name", ["", ".m1.xml.tmp", "a/b.xml", "../x.xml"])
def test_send_rejects_invalid_names_permanently(name: str) -> None:
    with pytest.raises(TransportError) as info:
        MemoryTransport().send(_out(name=name))
    assert info.value.transient is False


def test_fetch_returns_oldest_first_up_to_limit_and_keeps_files_until_ack() -> None:
    t = MemoryTransport()
    t.deliver("r1.xml", b"<r1/>")
    t.deliver("r2.xml", b"<r2/>")
    t.deliver("r3.xml", b"<r3/>")

    assert [f.name for f in t.fetch(2)] == ["r1.xml", "r2.xml"]
    assert [f.name for f in t.fetch(10)] == ["r1.xml", "r2.xml", "r3.xml"]
    assert t.fetch(0) == []
    assert t.inbox == ["r1.xml", "r2.xml", "r3.xml"]


def test_ack_removes_the_file_and_is_idempotent() -> None:
    t = MemoryTransport()
    delivered = t.deliver("r1.xml", b"<r1/>")
    [fetched] = t.fetch(1)
    assert fetched == delivered

    t.ack(fetched)
    t.ack(fetched)

    assert t.fetch(10) == []
    assert t.acked == [fetched]


def test_ack_of_a_foreign_reference_is_a_permanent_error() -> None:
    with pytest.raises(TransportError) as info:
        MemoryTransport().ack(InboundFile(name="x.xml", content=b"", ref="/outbound/x.xml"))
    assert info.value.transient is False


def test_fail_next_raises_queued_errors_once_per_call() -> None:
    t = MemoryTransport()
    t.fail_next("send", TransportError("down", transient=True))
    t.fail_next("send", TransportError("denied", transient=False))
    t.fail_next("fetch", TransportError("timeout", transient=True))
    t.fail_next("ack", TransportError("gone away", transient=True))
    t.deliver("r1.xml", b"<r1/>")

    with pytest.raises(TransportError, match="down") as first:
        t.send(_out())
    with pytest.raises(TransportError, match="denied") as second:
        t.send(_out())
    assert (first.value.transient, second.value.transient) == (True, False)
    assert t.sent == {}
    assert t.send(_out()).already_present is False

    with pytest.raises(TransportError, match="timeout"):
        t.fetch(1)
    [item] = t.fetch(1)
    with pytest.raises(TransportError, match="gone away"):
        t.ack(item)
    assert t.inbox == ["r1.xml"]
    t.ack(item)
    assert t.inbox == []


def test_close_is_counted_and_the_transport_stays_usable() -> None:
    t = MemoryTransport()
    t.close()
    t.close()
    assert t.close_calls == 2
    assert t.send(_out()).already_present is False


def test_concurrent_sends_and_acks_are_thread_safe() -> None:
    t = MemoryTransport()
    for i in range(200):
        t.deliver(f"r{i}.xml", b"<r/>")
    results: list[SendResult] = []
    lock = threading.Lock()

    def sender(worker: int) -> None:
        for i in range(50):
            r = t.send(_out(name=f"m{i}.xml", content=b"<same/>"))
            with lock:
                results.append(r)

    def acker() -> None:
        while batch := t.fetch(7):
            for item in batch:
                t.ack(item)

    threads = [threading.Thread(target=sender, args=(w,)) for w in range(4)]
    threads += [threading.Thread(target=acker) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)

    assert len(t.sent) == 50
    assert sum(not r.already_present for r in results) == 50 == t.uploads
    assert t.inbox == []
    assert sorted(f.name for f in t.acked) == sorted(f"r{i}.xml" for i in range(200))


def test_transport_error_keeps_message_and_transience_through_pickling() -> None:
    error = TransportError("connection refused", transient=True)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert str(copy) == "connection refused"
    assert copy.transient is True
    assert repr(copy) == "TransportError('connection refused', transient=True)"


@pytest.mark.parametrize("name", ["", ".x", "a/b", "a\\b", "a\x00b", "a\nb"])
def test_check_file_name_rejects_hidden_or_path_like_names(name: str) -> None:
    with pytest.raises(TransportError):
        check_file_name(name)


def test_check_file_name_accepts_a_message_file_name() -> None:
    check_file_name("0123456789abcdef0123456789abcdef.xml")


def test_file_contents_are_left_out_of_reprs() -> None:
    assert "secret" not in repr(OutboundFile(name="a.xml", content=b"secret", message_id="a"))
    assert "secret" not in repr(InboundFile(name="a.xml", content=b"secret", ref="r"))
