"""Mock customs' HTTP API (``/api/v1`` on the admin port), in-process: real signatures, schemas, loop.

Like the SFTP flow tests, the poll interval is one hour: only ``POST /admin/tick`` processes, so
every test is deterministic. Envelopes are signed with the test PKI and posted with plain httpx.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from mock_customs.app import MockConfig, MockCustoms, build_parser, config_from_args
from mock_customs.http_api import MAX_INBOUND, HttpToken, tokens_from_specs
from mock_customs.sftp_server import SftpUser
from tests.integration.test_mock_customs_flow import ENTERPRISE, REG_NO, envelope, form_e_data

PASSPHRASE = "test-passphrase"
TOKEN = "s3cret-token"
OTHER_TOKEN = "another-token"


@dataclass
class Api:
    mock: MockCustoms
    keystore: Any
    admin: httpx.Client  # no token: /admin and /healthz
    api: httpx.Client  # Authorization: Bearer TOKEN, base /api/v1
    root: Path  # the GACC mailbox tree

    def tick(self) -> dict[str, Any]:
        response = self.admin.post("/admin/tick")
        response.raise_for_status()
        return dict(response.json())

    def submit(self, content: bytes, key: str, **headers: str) -> httpx.Response:
        return self.api.post("/inbound", content=content, headers={
            "Content-Type": "application/xml", "Idempotency-Key": key, **headers})

    def outbound(self, **params: Any) -> dict[str, Any]:
        response = self.api.get("/outbound", params=params)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def observed(self, message_id: str) -> dict[str, Any]:
        response = self.admin.get(f"/admin/messages/{message_id}")
        response.raise_for_status()
        return dict(response.json())

    def signed(self, serial: int = 1, **goods: str) -> tuple[str, bytes]:
        from messages.certificate import encode

        mid = uuid.uuid4().hex
        root = self.keystore.signer(ENTERPRISE).sign(
            envelope(encode(form_e_data(serial, **goods)), sender=ENTERPRISE, message_id=mid))
        return mid, etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from signing.pki import init_pki

    directory = tmp_path_factory.mktemp("pki")
    init_pki(directory, PASSPHRASE, [ENTERPRISE])
    return directory


@contextmanager
def running(state_dir: Path, pki: Path, duplicate_policy: str = "ignore") -> Iterator[Api]:
    from signing.keystore import KeyStore

    config = MockConfig(
        state_dir=state_dir, pki_dir=pki, pki_passphrase=PASSPHRASE, users=[SftpUser("gateway", password="pw")],
        http_tokens=[HttpToken("gateway", TOKEN), HttpToken("other", OTHER_TOKEN)], poll_interval=3600,
        duplicate_policy=duplicate_policy,
    )
    mock = MockCustoms(config).start()
    keystore = KeyStore(pki, PASSPHRASE)
    try:
        with httpx.Client(base_url=mock.admin_url, timeout=30) as admin, httpx.Client(
            base_url=f"{mock.admin_url}/api/v1", timeout=30, headers={"Authorization": f"Bearer {TOKEN}"},
        ) as api:
            pem = keystore.certificate(ENTERPRISE).public_bytes(Encoding.PEM).decode()
            r = admin.post("/admin/enterprises", json={"id": ENTERPRISE, "reg_no": REG_NO, "certificate_pem": pem})
            assert r.status_code == 201, r.text
            yield Api(mock, keystore, admin, api, config.mailbox("GACC"))
    finally:
        mock.stop()


@pytest.fixture
def h(tmp_path: Path, pki: Path) -> Iterator[Api]:
    with running(tmp_path / "state", pki) as api:
        yield api


def read_receipt(h: Api, content: bytes) -> Any:
    """Verify against the GACC authority certificate (only) and decode."""
    from messages.envelope import unwrap
    from messages.receipt import from_xml
    from signing.xmldsig import Verifier

    head, body = unwrap(Verifier([h.keystore.certificate("GACC")]).verify(content))
    assert head.sender_id == "GACC" and head.message_type == "CO_RECEIPT"
    return from_xml(body)


def contents(items: list[dict[str, Any]]) -> list[bytes]:
    return [base64.b64decode(i["content_b64"]) for i in items]


# ------------------------------------------------------------------------------------------- tests

def test_form_e_posted_over_http_is_reviewed_and_its_signed_receipts_are_fetched_over_http(h: Api) -> None:
    mid, content = h.signed()
    response = h.submit(content, mid)
    assert response.status_code == 202
    assert response.json() == {"message_id": mid, "status": "accepted"}
    assert (h.root / "inbound" / f"{mid}.xml").read_bytes() == content  # stored like an SFTP upload
    assert h.tick()["GACC"]["received"] == [f"{mid}.xml"]

    feed = h.outbound()
    items = feed["items"]
    assert [i["name"] for i in items] == [f"GACC-{mid}-{stage}.xml" for stage in (1, 2, 3)]
    assert [int(i["id"]) for i in items] == sorted(int(i["id"]) for i in items)
    assert feed["next"] == items[-1]["id"]
    accepted, stored, decided = (read_receipt(h, c) for c in contents(items))
    assert type(accepted).__name__ == "ImportResponse" and str(accepted.result_code) == "0"
    assert accepted.message_id == mid
    assert (stored.status_code, stored.status) == ("STORED", "海关入库成功")
    assert (decided.status_code, decided.status, decided.text) == ("APPROVED", "申报正确", "审核通过, 可以领证")
    # the SFTP mailbox got the very same signed bytes
    assert contents(items) == [(h.root / "outbound" / i["name"]).read_bytes() for i in items]
    observed = h.observed(mid)
    assert observed["receive_count"] == 1 and observed["decision"] == "APPROVED"
    [submission] = observed["http"]["submissions"]
    assert (submission["token_name"], submission["size"], submission["repeats"]) == ("gateway", len(content), 0)
    assert [o["name"] for o in observed["http"]["outbound"]] == [i["name"] for i in items]


def test_repeat_with_identical_bytes_answers_200_stores_nothing_and_counts_a_duplicate(h: Api) -> None:
    mid, content = h.signed()
    assert h.submit(content, mid).status_code == 202
    h.tick()
    repeat = h.submit(content, mid)
    assert repeat.status_code == 200 and repeat.json() == {"message_id": mid, "status": "accepted"}
    assert list((h.root / "inbound").iterdir()) == []  # nothing new stored
    result = h.tick()
    assert result["GACC"]["duplicates"] == [mid] and result["GACC"]["received"] == []
    assert result["GACC"]["emitted"] == []  # not reviewed again
    observed = h.observed(mid)
    assert observed["receive_count"] == 2 and observed["duplicates"] == 1
    assert observed["files"] == [f"{mid}.xml", f"http-repeat:{mid}.xml"]
    assert observed["http"]["submissions"][0]["repeats"] == 1
    assert [p.name for p in (h.root / "processed").iterdir()] == [f"{mid}.xml"]
    assert h.tick()["GACC"]["duplicates"] == []  # counted once


def test_repeat_before_the_first_tick_does_not_steal_the_review_from_the_original(h: Api) -> None:
    mid, content = h.signed()
    assert h.submit(content, mid).status_code == 202
    assert h.submit(content, mid).status_code == 200  # a client retry after a lost answer
    result = h.tick()
    assert result["GACC"]["received"] == [f"{mid}.xml"] and result["GACC"]["duplicates"] == [mid]
    observed = h.observed(mid)
    assert observed["decision"] == "APPROVED" and observed["receive_count"] == 2
    assert len(h.outbound()["items"]) == 3


def test_same_key_with_different_bytes_is_a_conflict_and_stores_nothing(h: Api) -> None:
    mid, content = h.signed(serial=1)
    _, other = h.signed(serial=2)
    assert h.submit(content, mid).status_code == 202
    conflict = h.submit(other, mid)
    assert conflict.status_code == 409 and mid in conflict.json()["error"]
    assert (h.root / "inbound" / f"{mid}.xml").read_bytes() == content
    h.tick()
    observed = h.observed(mid)
    assert observed["receive_count"] == 1 and observed["http"]["submissions"][0]["conflicts"] == 1


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", "Bearer", TOKEN])
def test_missing_or_wrong_token_is_401_and_nothing_is_stored(h: Api, authorization: str | None) -> None:
    mid, content = h.signed()
    headers = {"Content-Type": "application/xml", "Idempotency-Key": mid}
    if authorization is not None:
        headers["Authorization"] = authorization
    with httpx.Client(base_url=f"{h.mock.admin_url}/api/v1", timeout=30) as anonymous:
        for response in (
            anonymous.post("/inbound", content=content, headers=headers),
            anonymous.get("/outbound", headers=headers),
            anonymous.post("/outbound/ack", json={"ids": ["1"]}, headers=headers),
        ):
            assert response.status_code == 401
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert "error" in response.json()
    assert list((h.root / "inbound").iterdir()) == []


def test_a_second_token_is_accepted_and_recorded_by_name(h: Api) -> None:
    mid, content = h.signed()
    response = h.api.post("/inbound", content=content, headers={
        "Content-Type": "application/xml", "Idempotency-Key": mid, "Authorization": f"Bearer {OTHER_TOKEN}"})
    assert response.status_code == 202
    h.tick()
    assert h.observed(mid)["http"]["submissions"][0]["token_name"] == "other"


@pytest.mark.parametrize("key", [None, "", "ABCDEF0123456789ABCDEF0123456789", "abc", "g" * 32, "a" * 33])
def test_missing_or_malformed_idempotency_key_is_400(h: Api, key: str | None) -> None:
    _, content = h.signed()
    headers = {"Content-Type": "application/xml"}
    if key is not None:
        headers["Idempotency-Key"] = key
    response = h.api.post("/inbound", content=content, headers=headers)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["error"]
    assert list((h.root / "inbound").iterdir()) == []


def test_wrong_content_type_or_empty_body_is_refused(h: Api) -> None:
    mid, content = h.signed()
    assert h.submit(content, mid, **{"Content-Type": "application/json"}).status_code == 415
    assert h.submit(b"", mid).status_code == 400
    assert h.submit(content, mid, **{"Content-Type": "text/xml; charset=utf-8"}).status_code == 202


def test_body_over_five_mib_is_413_and_the_connection_stays_usable(h: Api) -> None:
    mid = uuid.uuid4().hex
    response = h.submit(b"<" + b"x" * MAX_INBOUND + b"/>", mid)
    assert response.status_code == 413 and "exceeds" in response.json()["error"]
    assert list((h.root / "inbound").iterdir()) == []
    assert h.outbound()["items"] == []  # same client, next request
    _, content = h.signed()
    assert h.submit(content, mid).status_code == 202  # the key was not used up by the refused body


def test_ack_hides_receipts_from_a_cursorless_fetch_but_the_cursor_still_replays_them(h: Api) -> None:
    mid, content = h.signed()
    h.submit(content, mid)
    h.tick()
    items = h.outbound()["items"]
    assert len(items) == 3
    assert h.outbound()["items"] == items  # fetching is not destructive
    ids = [i["id"] for i in items]
    acked = h.api.post("/outbound/ack", json={"ids": ids})
    assert acked.status_code == 200 and acked.json() == {"acked": ids, "unknown": []}
    assert h.outbound() == {"items": [], "next": None}
    assert h.outbound(after="0")["items"] == items  # cursor-based reads ignore acknowledgement
    again = h.api.post("/outbound/ack", json={"ids": [ids[0], "999999", "x"]})  # idempotent
    assert again.json() == {"acked": [ids[0]], "unknown": ["999999", "x"]}
    feed = h.observed(mid)["http"]["outbound"]
    assert [(f["acked_by"], f["ack_count"]) for f in feed] == [("gateway", 2), ("gateway", 1), ("gateway", 1)]
    assert all(f["acked_at"] for f in feed)
    assert h.admin.get("/admin/http/outbound").json()["outbound"][0]["acked_at"] == feed[0]["acked_at"]
    # the SFTP mailbox is untouched by HTTP acknowledgements
    assert sorted(p.name for p in (h.root / "outbound").iterdir()) == sorted(i["name"] for i in items)


@pytest.mark.parametrize("payload", [None, {}, {"ids": []}, {"ids": "1"}, {"ids": [1]}, [1]])
def test_malformed_ack_is_400(h: Api, payload: Any) -> None:
    response = h.api.post("/outbound/ack", json=payload) if payload is not None else h.api.post("/outbound/ack")
    assert response.status_code == 400


def test_cursor_paging_with_limit_in_emission_order(h: Api) -> None:
    first, content1 = h.signed(serial=1)
    second, content2 = h.signed(serial=2)
    h.submit(content1, first)
    h.tick()
    h.submit(content2, second)
    h.tick()
    page1 = h.outbound(limit=4)
    assert [i["name"] for i in page1["items"]] == [
        f"GACC-{first}-1.xml", f"GACC-{first}-2.xml", f"GACC-{first}-3.xml", f"GACC-{second}-1.xml"]
    page2 = h.outbound(after=page1["next"], limit=4)
    assert [i["name"] for i in page2["items"]] == [f"GACC-{second}-2.xml", f"GACC-{second}-3.xml"]
    end = h.outbound(after=page2["next"], limit=4)
    assert end == {"items": [], "next": page2["next"]}
    # the authority can be named in the path
    named = h.api.get("/GACC/outbound", params={"limit": 1})
    assert named.status_code == 200 and named.json()["items"] == page1["items"][:1]
    for params in ({"limit": "0"}, {"limit": "1001"}, {"limit": "x"}, {"after": "-1"}, {"after": "abc"}):
        assert h.api.get("/outbound", params=params).status_code == 400
    assert h.api.get("/nothing").status_code == 404


def test_reemit_policy_appends_the_receipts_again_to_the_http_feed(tmp_path: Path, pki: Path) -> None:
    with running(tmp_path / "state", pki, duplicate_policy="reemit") as h:
        mid, content = h.signed()
        h.submit(content, mid)
        h.tick()
        first = h.outbound()["items"]
        h.api.post("/outbound/ack", json={"ids": [i["id"] for i in first]})
        assert h.submit(content, mid).status_code == 200
        assert h.tick()["GACC"]["duplicates"] == [mid]
        again = h.outbound()["items"]
        assert [i["name"] for i in again] == [i["name"] for i in first]
        assert {i["id"] for i in again}.isdisjoint(i["id"] for i in first)
        assert [read_receipt(h, c) for c in contents(again)] == [read_receipt(h, c) for c in contents(first)]


def test_idempotency_records_and_the_feed_survive_a_restart(tmp_path: Path, pki: Path) -> None:
    with running(tmp_path / "state", pki) as h:
        mid, content = h.signed()
        h.submit(content, mid)
        h.tick()
        items = h.outbound()["items"]
    with running(tmp_path / "state", pki) as h:
        assert h.submit(content, mid).status_code == 200
        assert h.outbound()["items"] == items
        h.tick()
        assert h.observed(mid)["receive_count"] == 2


def test_http_token_option_becomes_config(tmp_path: Path) -> None:
    args = build_parser().parse_args([
        "--state-dir", str(tmp_path / "s"), "--pki-dir", str(tmp_path / "p"), "--pki-passphrase", "x",
        "--http-token", "gw:tok:en", "--http-token", "erp:t2",
    ])
    config = config_from_args(args)
    assert [(t.name, t.token) for t in config.http_tokens] == [("gw", "tok:en"), ("erp", "t2")]
    assert "tok:en" not in repr(config.http_tokens)
    with pytest.raises(ValueError, match="NAME:TOKEN"):
        tokens_from_specs(["no-token"])
    assert "POST /api/v1/inbound" in build_parser().format_help()
