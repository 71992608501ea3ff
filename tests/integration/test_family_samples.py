"""Every sample of every document family, pushed through the ERP API.

Samples live in tests/data/families/<family>/:
- `valid_*.xml` must be accepted (202);
- `invalid_*.xml` start with a comment `<!-- expect: RULE.ID at /Root/Path[1]/Field -->` and must be
  rejected with that rule id at that path; nothing of them may be queued for delivery.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from gateway.bootstrap import Container
from gateway.config import Settings
from gateway.services.enterprises import issue_api_key, register_enterprise
from gateway.services.ports import EnterpriseInfo
from gateway.web.app import create_app

FAMILIES = Path(__file__).parents[1] / "data" / "families"
ENT = EnterpriseInfo("91350100M000100Y43", "Xiamen Demo Trading Co., Ltd.", "350100001")
EXPECT = re.compile(r"<!--\s*expect:\s*(?P<rule>\S+)\s+at\s+(?P<path>/\S+)\s*-->")

VALID = sorted(FAMILIES.glob("*/valid_*.xml"))
INVALID = sorted(FAMILIES.glob("*/invalid_*.xml"))


def _id(p: Path) -> str:
    return f"{p.parent.name}/{p.name}"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FlaskClient, str, Container]]:
    db = tmp_path_factory.mktemp("families") / "gw.db"
    c = Container(Settings(database_url=f"sqlite:///{db}"))
    c.migrate()
    register_enterprise(c.store, ENT)
    key = issue_api_key(c.store, ENT.id)
    yield create_app(c).test_client(), key, c
    c.close()


def _push(client: FlaskClient, key: str, path: Path):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/messages", data=path.read_bytes(),
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/xml"})


@pytest.mark.parametrize("path", VALID, ids=_id)
def test_valid_sample_is_accepted(client: tuple[FlaskClient, str, Container], path: Path) -> None:
    api, key, _ = client
    r = _push(api, key, path)
    assert r.status_code in (200, 202), r.get_json()


@pytest.mark.parametrize("path", INVALID, ids=_id)
def test_invalid_sample_is_rejected_with_its_rule_and_path(client: tuple[FlaskClient, str, Container],
                                                           path: Path) -> None:
    api, key, container = client
    match = EXPECT.search(path.read_text(encoding="utf-8"))
    assert match, f"{path.name} needs a first comment '<!-- expect: RULE.ID at /Path -->'"
    r = _push(api, key, path)
    assert r.status_code in (400, 422), r.get_json()
    found = {(e["rule"], e["path"]) for e in r.get_json()["errors"]}
    assert (match["rule"], match["path"]) in found, found
    mid = r.get_json().get("message_id")
    if mid:
        with container.store.transaction() as tx:
            assert tx.message_view(ENT.id, mid)["state"] == "REJECTED"  # type: ignore[index]


def test_every_family_with_rules_has_samples_for_each_rule() -> None:
    from gateway.domain.families import registry

    covered = {EXPECT.search(p.read_text(encoding="utf-8"))["rule"] for p in INVALID  # type: ignore[index]
               if EXPECT.search(p.read_text(encoding="utf-8"))}
    families_with_samples = {p.parent.name for p in VALID}
    missing = {rule for fam, fr in registry().items() if fam in families_with_samples
               for rule in fr.rules if rule not in covered}
    assert not missing, f"rules without an invalid sample: {sorted(missing)}"
