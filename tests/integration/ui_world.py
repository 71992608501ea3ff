"""A UI world for Flask test-client tests: three enterprises (an agent, its principal, an outsider),
users of each role, and a few real messages stored through the intake service."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.bootstrap import Container
from gateway.config import Settings
from gateway.demo import sample_bytes
from gateway.services.enterprises import issue_api_key, register_enterprise
from gateway.services.intake import accept_message
from gateway.services.people import add_principal, add_user
from gateway.services.ports import EnterpriseInfo
from gateway.web.app import create_app

AGENT = EnterpriseInfo("91350100M000100Y43", "Agent Co", "350100001")
PRINCIPAL = EnterpriseInfo("91110000100000000X", "Principal Co", "110000001")
OTHER = EnterpriseInfo("91440300MA5FXXXX1Q", "Other Co", "440300001")
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class UiWorld:
    app: Flask
    container: Container
    keys: dict[str, str]  # enterprise id -> API key
    agent_msg: str  # Form E of the agent enterprise (queued)
    principal_msg: str  # general CO of the principal
    other_msg: str  # Form E of the outsider

    def client(self, username: str | None = None) -> FlaskClient:
        client = self.app.test_client()
        if username:
            login(client, username)
        return client


def csrf_of(client: FlaskClient, path: str = "/login") -> str:
    found = CSRF.search(client.get(path).get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(client)})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]


def _with_reg(xml: bytes, ent: EnterpriseInfo, doc_no: str) -> bytes:
    text = xml.decode()
    text = re.sub(r"<AplRegNo>\d+</AplRegNo>", f"<AplRegNo>{ent.reg_no}</AplRegNo>", text)
    text = re.sub(r"<EntUscc>[^<]+</EntUscc>", f"<EntUscc>{ent.id}</EntUscc>", text)
    text = re.sub(r"<DocumentNo>[^<]+</DocumentNo>", f"<DocumentNo>{doc_no}</DocumentNo>", text)
    # certificate numbers carry the registration number (seed 001 ch. 4): each enterprise its own
    text = re.sub(r"<CertNo>([A-Z]+\d\d)350100001", lambda m: f"<CertNo>{m.group(1)}{ent.reg_no}", text)
    return text.encode()


@pytest.fixture
def ui_world(database_url: str, pki_dir: Path, pki_passphrase: str) -> Iterator[UiWorld]:
    c = Container(Settings(database_url=database_url, pki_dir=str(pki_dir), pki_passphrase=pki_passphrase,
                           cookie_secure=False, secret_key="test-secret-key-for-ui-tests"))
    c.migrate()
    keys = {}
    for ent in (AGENT, PRINCIPAL, OTHER):
        register_enterprise(c.store, ent)
        keys[ent.id] = issue_api_key(c.store, ent.id)
    add_principal(c.store, agent_id=AGENT.id, principal_id=PRINCIPAL.id)
    for ent, prefix in ((AGENT, "agent"), (PRINCIPAL, "principal"), (OTHER, "other")):
        for role in ("admin", "engineer", "declarant"):
            add_user(c.store, enterprise_id=ent.id, username=f"{prefix}-{role}", password=PASSWORD, role=role)

    def push(ent: EnterpriseInfo, name: str, doc_no: str) -> str:
        r = accept_message(c.store, c.validator, c.clock, enterprise_id=ent.id,
                           raw=_with_reg(sample_bytes(name), ent, doc_no), actor="api")
        assert r.outcome == "accepted" and r.message_id, r
        return r.message_id

    world = UiWorld(create_app(c), c, keys, agent_msg=push(AGENT, "form_e_approved.xml", "AG-1"),
                    principal_msg=push(PRINCIPAL, "general_co_approved.xml", "PR-1"),
                    other_msg=push(OTHER, "form_e_approved.xml", "OT-1"))
    world.app.config["TESTING"] = True
    yield world
    c.close()
