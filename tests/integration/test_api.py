"""The ERP API through Flask's test client, on a real database: auth, limits, errors, tenant isolation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from gateway.bootstrap import Container
from gateway.config import Settings
from gateway.demo import sample_bytes
from gateway.services.enterprises import issue_api_key, register_enterprise
from gateway.services.ports import EnterpriseInfo
from gateway.web.app import create_app

OURS = EnterpriseInfo("91350100M000100Y43", "Demo", "350100001")
THEIRS = EnterpriseInfo("91110000100000000X", "Other", "110000001")
XML = {"Content-Type": "application/xml"}


@pytest.fixture
def api(database_url: str, pki_dir: Path, pki_passphrase: str) -> Iterator[tuple[FlaskClient, str, str]]:
    c = Container(Settings(database_url=database_url, pki_dir=str(pki_dir), pki_passphrase=pki_passphrase,
                           max_message_bytes=64 * 1024))
    c.migrate()
    for ent in (OURS, THEIRS):
        register_enterprise(c.store, ent)
    ours, theirs = issue_api_key(c.store, OURS.id), issue_api_key(c.store, THEIRS.id)
    yield create_app(c).test_client(), ours, theirs
    c.close()


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **XML}


def test_missing_or_wrong_key_is_401(api: tuple[FlaskClient, str, str]) -> None:
    client, ours, _ = api
    assert client.post("/api/v1/messages", data=sample_bytes("form_e_approved.xml"), headers=XML).status_code == 401
    tampered = ours[:-2] + ("AA" if not ours.endswith("AA") else "BB")
    r = client.post("/api/v1/messages", data=b"<x/>", headers=auth(tampered))
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")


def test_accepted_document_is_202_with_location_and_readable_state(api: tuple[FlaskClient, str, str]) -> None:
    client, ours, _ = api
    r = client.post("/api/v1/messages", data=sample_bytes("form_e_approved.xml"), headers=auth(ours))
    assert r.status_code == 202
    body = r.get_json()
    assert body["state"] == "QUEUED" and len(body["message_id"]) == 32
    assert r.headers["Location"] == f"/api/v1/messages/{body['message_id']}"
    again = client.post("/api/v1/messages", data=sample_bytes("form_e_approved.xml"), headers=auth(ours))
    assert again.status_code == 200 and again.get_json()["message_id"] == body["message_id"]
    view = client.get(r.headers["Location"], headers=auth(ours)).get_json()
    assert view["document"]["cert_no"] == "E263501000010001" and view["document"]["status"] == "DRAFT"


def test_other_enterprise_gets_404_on_every_message_route(api: tuple[FlaskClient, str, str]) -> None:
    client, ours, theirs = api
    mid = client.post("/api/v1/messages", data=sample_bytes("form_e_approved.xml"),
                      headers=auth(ours)).get_json()["message_id"]
    for path in (f"/api/v1/messages/{mid}", f"/api/v1/messages/{mid}/receipts"):
        assert client.get(path, headers=auth(ours)).status_code == 200
        assert client.get(path, headers=auth(theirs)).status_code == 404


def test_declaring_under_someone_elses_registration_number_is_422(api: tuple[FlaskClient, str, str]) -> None:
    client, _, theirs = api
    r = client.post("/api/v1/messages", data=sample_bytes("form_e_approved.xml"), headers=auth(theirs))
    assert r.status_code == 422
    assert [e["rule"] for e in r.get_json()["errors"]] == ["INTAKE.APLREGNO_NOT_YOURS"]


def test_xsd_errors_are_422_with_every_error_located(api: tuple[FlaskClient, str, str]) -> None:
    client, ours, _ = api
    r = client.post("/api/v1/messages", data=sample_bytes("general_co_xsd_invalid.xml"), headers=auth(ours))
    assert r.status_code == 422
    errors = {(e["rule"], e["path"], e["line"]) for e in r.get_json()["errors"]}
    assert errors == {("XSD.minOccurs", "/Certificate/CertificateHead/InvDate", 14),
                      ("XSD.pattern", "/Certificate/CertificateList/Goods[2]/HSCode", 57)}


@pytest.mark.parametrize("payload, rule", [
    (b"<Certificate><unclosed></Certificate>", "XML.malformed"),
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', "XML.unsafe"),
    (b'<Other xmlns="urn:example"/>', "CATALOGUE.unknown_root"),
])
def test_unreadable_input_is_400_naming_the_problem(api: tuple[FlaskClient, str, str], payload: bytes,
                                                    rule: str) -> None:
    client, ours, _ = api
    r = client.post("/api/v1/messages", data=payload, headers=auth(ours))
    assert r.status_code == 400
    assert r.get_json()["errors"][0]["rule"] == rule
    assert "root:" not in r.get_data(as_text=True)  # no file content leaks back


def test_oversized_body_is_413_before_it_is_read(api: tuple[FlaskClient, str, str]) -> None:
    client, ours, _ = api
    r = client.post("/api/v1/messages", data=b"<a>" + b"x" * (65 * 1024) + b"</a>", headers=auth(ours))
    assert r.status_code == 413


def test_x_api_key_header_works_like_bearer(api: tuple[FlaskClient, str, str]) -> None:
    client, ours, _ = api
    r = client.post("/api/v1/messages", data=sample_bytes("form_e_approved.xml"),
                    headers={"X-API-Key": ours, **XML})
    assert r.status_code == 202


def test_a_new_idempotency_key_cannot_make_a_second_declaration(api: tuple[FlaskClient, str, str]) -> None:
    client, ours, _ = api
    first = client.post("/api/v1/messages", data=sample_bytes("form_e_approved.xml"),
                        headers={**auth(ours), "Idempotency-Key": "retry-1"})
    second = client.post("/api/v1/messages", data=sample_bytes("form_e_approved.xml"),
                         headers={**auth(ours), "Idempotency-Key": "retry-2"})
    assert first.status_code == 202 and second.status_code == 200
    assert second.get_json()["message_id"] == first.get_json()["message_id"]


def test_malformed_idempotency_key_is_400(api: tuple[FlaskClient, str, str]) -> None:
    client, ours, _ = api
    for bad in ("x" * 101, "has space"):
        r = client.post("/api/v1/messages", data=sample_bytes("form_e_approved.xml"),
                        headers={**auth(ours), "Idempotency-Key": bad})
        assert r.status_code == 400


def test_a_revoked_key_is_refused_at_once(api: tuple[FlaskClient, str, str]) -> None:
    from gateway.services.enterprises import revoke_api_key

    client, ours, _ = api
    assert client.get("/api/v1/messages/" + "0" * 32, headers=auth(ours)).status_code == 404  # authenticated
    container = client.application.extensions["cogw"]
    assert revoke_api_key(container.store, container.clock, ours.split("_")[1]) is True
    assert client.get("/api/v1/messages/" + "0" * 32, headers=auth(ours)).status_code == 401
    assert revoke_api_key(container.store, container.clock, ours) is False  # already revoked


def test_certificate_numbers_are_handed_out_per_enterprise(api: tuple[FlaskClient, str, str]) -> None:
    client, ours, theirs = api
    a = client.post("/api/v1/certificate-numbers", json={"cert_type": "E"}, headers={"Authorization": f"Bearer {ours}"})
    b = client.post("/api/v1/certificate-numbers", json={"cert_type": "E"}, headers={"Authorization": f"Bearer {ours}"})
    t = client.post("/api/v1/certificate-numbers", json={"cert_type": "E"},
                    headers={"Authorization": f"Bearer {theirs}"})
    assert a.status_code == b.status_code == t.status_code == 201
    assert a.get_json()["cert_no"][-4:] == "0001" and b.get_json()["cert_no"][-4:] == "0002"
    assert OURS.reg_no in a.get_json()["cert_no"] and THEIRS.reg_no in t.get_json()["cert_no"]
    assert t.get_json()["cert_no"][-4:] == "0001"
    bad = client.post("/api/v1/certificate-numbers", json={"cert_type": "QQ"},
                      headers={"Authorization": f"Bearer {ours}"})
    assert bad.status_code == 422 and "not a GACC type" in bad.get_json()["title"]


def _dead_letter(client: FlaskClient, key: str) -> str:
    """Accept a document and dead-letter it the way an exhausted delivery would (no transport here)."""

    r = client.post("/api/v1/messages", data=sample_bytes("form_e_returned.xml"), headers=auth(key))
    mid = r.json["message_id"]  # type: ignore[index]
    c: Container = client.application.extensions["cogw"]
    with c.store.transaction() as tx:
        info = tx.message_for(None, mid)
        assert info is not None
        tx.transition(info.pk, "SENDING", actor="t", reason="t")
        tx.transition(info.pk, "FAILED", actor="t", reason="t", last_error="refused", error_class="transient")
    return str(mid)


def test_resend_routes_requeue_failed_messages_and_hide_other_enterprises(api: tuple[FlaskClient, str, str]) -> None:
    client, ours, theirs = api
    mid = _dead_letter(client, ours)
    listed = client.get("/api/v1/messages?state=FAILED", headers=auth(ours)).json
    assert [m["message_id"] for m in listed["messages"]] == [mid]  # type: ignore[index]
    assert client.get("/api/v1/messages?state=FAILED", headers=auth(theirs)).json["messages"] == []  # type: ignore[index]
    assert client.get("/api/v1/messages?state=BOGUS", headers=auth(ours)).status_code == 400
    for bad in ("limit=0", "limit=501", "offset=-1", "offset=2147483648", "limit=x"):  # the documented bounds
        assert client.get(f"/api/v1/messages?state=FAILED&{bad}", headers=auth(ours)).status_code == 400, bad
    assert client.post(f"/api/v1/messages/{mid}/resend", headers=auth(theirs)).status_code == 404
    r = client.post(f"/api/v1/messages/{mid}/resend", headers=auth(ours))
    assert r.status_code == 200 and r.json == {"message_id": mid, "state": "QUEUED"}
    again = client.post(f"/api/v1/messages/{mid}/resend", headers=auth(ours))
    assert again.status_code == 409 and "only ATTENTION or FAILED" in again.json["title"]  # type: ignore[index]
    bulk = client.post("/api/v1/messages/resend", json={"message_ids": [mid, "f" * 32]}, headers={
        "Authorization": f"Bearer {ours}"})
    assert bulk.status_code == 200 and bulk.json["not_found"] == ["f" * 32] and mid in bulk.json["refused"]  # type: ignore[index]
    assert client.post("/api/v1/messages/resend", json={"message_ids": []},
                       headers={"Authorization": f"Bearer {ours}"}).status_code == 400


def test_edit_and_resend_route_links_the_new_message(api: tuple[FlaskClient, str, str]) -> None:
    client, ours, theirs = api
    mid = _dead_letter(client, ours)
    corrected = sample_bytes("form_e_returned.xml").replace(b"<Mark>", b"<Mark>FIXED ", 1)
    assert client.post(f"/api/v1/messages/{mid}/edit-and-resend", data=corrected,
                       headers=auth(theirs)).status_code == 404
    r = client.post(f"/api/v1/messages/{mid}/edit-and-resend", data=corrected, headers=auth(ours))
    assert r.status_code == 202 and r.json["supersedes"] == mid and r.json["message_id"] != mid  # type: ignore[index]
    assert r.headers["Location"] == f"/api/v1/messages/{r.json['message_id']}"  # type: ignore[index]
    assert client.get(f"/api/v1/messages/{mid}", headers=auth(ours)).json["superseded_by"] == r.json["message_id"]  # type: ignore[index]
    twice = client.post(f"/api/v1/messages/{mid}/edit-and-resend", data=corrected, headers=auth(ours))
    assert twice.status_code == 409 and twice.json["errors"][0]["rule"] == "RESEND.NOT_EDITABLE"  # type: ignore[index]
