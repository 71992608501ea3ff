"""mock_customs.scenarios: the catalogue, selection syntax, files, and reproducibility by seed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mock_customs.registry import ScheduledReceipt
from mock_customs.scenarios import (
    CATALOGUE,
    ScenarioError,
    Scenarios,
    epilog,
    fault_from,
    load_file,
    parse_spec,
)

AGREED_NAMES = {"delays", "sftp_disconnect_mid_transfer", "partial_reads", "http_500", "http_503_retry_after",
                "duplicate_receipts", "out_of_order_receipts", "malformed_receipts", "wrong_key_receipts",
                "slow_mailbox"}


def test_the_catalogue_has_every_agreed_scenario_with_a_description_and_the_gateway_side() -> None:
    assert set(CATALOGUE) >= AGREED_NAMES
    for spec in CATALOGUE.values():
        assert spec.summary and "\n" not in spec.summary
        assert spec.gateway
        names = [p.name for p in spec.all_params()]
        assert names[-2:] == ["probability", "count"] and len(set(names)) == len(names)


def test_the_help_epilog_lists_every_scenario_and_its_parameters() -> None:
    text = epilog()
    for spec in CATALOGUE.values():
        assert f"  {spec.name}\n      {spec.summary}" in text
        for param in spec.params:
            assert f"{param.name}=" in text


def test_a_spec_string_sets_typed_parameters_and_keeps_defaults() -> None:
    fault = parse_spec("http_503_retry_after:seconds=120, count=2")
    assert fault.name == "http_503_retry_after"
    assert fault.params == {"endpoint": "inbound", "seconds": 120, "probability": 1.0, "count": 2}
    assert parse_spec("out_of_order_receipts").params == {"probability": 1.0, "count": 0}
    assert fault_from({"name": "partial_reads", "params": {"mode": "truncate"}}).params["mode"] == "truncate"


@pytest.mark.parametrize(("text", "message"), [
    ("no_such_fault", "unknown scenario 'no_such_fault'; known: delays"),
    ("http_500:colour=red", "scenario http_500: unknown parameter(s) colour; it takes endpoint, when,"),
    ("http_500:endpoint=status", "scenario http_500: parameter endpoint: 'status' is not one of inbound,"),
    ("delays:seconds=soon", "scenario delays: parameter seconds: 'soon' is not a valid float"),
    ("delays:seconds=-1", "scenario delays: parameter seconds: -1.0 is below the minimum 0"),
    ("slow_mailbox:probability=2", "parameter probability: 2.0 is above the maximum 1"),
    ("duplicate_receipts:copies", "scenario duplicate_receipts: 'copies' is not k=v"),
])
def test_a_bad_selection_names_the_scenario_the_parameter_and_the_rule(text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_spec(text)
    assert message in str(caught.value)


def test_scenario_files_in_json_and_toml(tmp_path: Path) -> None:
    as_json = tmp_path / "faults.json"
    as_json.write_text(json.dumps({"seed": 7, "scenarios": ["http_500:count=1", {"name": "slow_mailbox",
                                                                                "seconds": 3}]}))
    faults, seed = load_file(as_json)
    assert seed == 7 and [(f.name, f.count) for f in faults] == [("http_500", 1), ("slow_mailbox", 0)]
    assert faults[1].params["seconds"] == 3.0

    plain_list = tmp_path / "list.json"
    plain_list.write_text('[{"name": "duplicate_receipts", "copies": 2}]')
    faults, seed = load_file(plain_list)
    assert seed is None and faults[0].params["copies"] == 2

    as_toml = tmp_path / "faults.toml"
    as_toml.write_text('seed = 3\n[[scenarios]]\nname = "partial_reads"\nmode = "truncate"\nmax_bytes = 64\n')
    faults, seed = load_file(as_toml)
    assert seed == 3 and faults[0].params == {"mode": "truncate", "max_bytes": 64, "probability": 1.0, "count": 0}

    bad = tmp_path / "bad.toml"
    bad.write_text('[[scenarios]]\nname = "delays"\nseconds = "later"\n')
    with pytest.raises(ScenarioError, match=r"bad\.toml: scenario delays: parameter seconds"):
        load_file(bad)
    with pytest.raises(ScenarioError, match="unknown key"):
        as_json.write_text('{"scenario": []}')
        load_file(as_json)


def _firings(seed: int) -> list[bool]:
    scenarios = Scenarios([parse_spec("http_500:probability=0.5")], seed)
    return [scenarios.http_fault("inbound", "before") is not None for _ in range(40)]


def test_the_same_seed_gives_the_same_faults_and_another_seed_others() -> None:
    first = _firings(11)
    assert first == _firings(11)
    assert 5 < sum(first) < 35  # a real coin
    assert any(_firings(seed) != first for seed in (12, 13, 14))


def test_count_limits_the_firings_and_replace_resets_them() -> None:
    scenarios = Scenarios([parse_spec("http_503_retry_after:seconds=9,count=2")])
    answers = [scenarios.http_fault("inbound", "before") for _ in range(4)]
    assert [a.status if a else None for a in answers] == [503, 503, None, None]
    assert answers[0] is not None and answers[0].headers == {"Retry-After": "9"}
    assert scenarios.http_fault("outbound", "before") is None  # another endpoint
    [view] = scenarios.public()["active"]
    assert view["fired"] == 2 and view["exhausted"] is True
    scenarios.replace([parse_spec("http_500:endpoint=any,when=after")], seed=5)
    assert scenarios.public()["seed"] == 5
    assert scenarios.http_fault("ack", "before") is None
    after = scenarios.http_fault("ack", "after")
    assert after is not None and after.status == 500
    scenarios.replace([])
    assert scenarios.public()["active"] == [] and scenarios.http_fault("ack", "after") is None


def _receipt(stage: int, message_id: str = "a" * 32, emitted: bool = False) -> ScheduledReceipt:
    now = datetime.now(UTC)
    return ScheduledReceipt(receipt_id=f"GACC-{message_id}-{stage}", authority="GACC", message_id=message_id,
                            stage=stage, kind="BusinessReceipt", due_at=now, fields={},
                            emitted_at=now if emitted else None)


def test_out_of_order_holds_earlier_receipts_until_the_last_is_due_then_emits_newest_first() -> None:
    scenarios = Scenarios([parse_spec("out_of_order_receipts")])
    everything = [_receipt(1), _receipt(2), _receipt(3)]
    assert scenarios.order_due(everything[:2], lambda mid: everything) == []  # stage 3 not due yet: hold
    ordered = scenarios.order_due(everything, lambda mid: everything)
    assert [r.stage for r in ordered] == [3, 2, 1]
    # files dated so a listing sorted by (mtime, name) shows the same order
    assert [scenarios.mtime_shift(r.receipt_id) for r in ordered] == [-2.0, -1.0, 0.0]
    single = [_receipt(1, "b" * 32)]  # a failed import has one receipt: nothing to reorder
    assert scenarios.order_due(single, lambda mid: single) == single
    assert scenarios.public()["active"][0]["fired"] == 1


def test_receipt_copies_come_in_a_fixed_order_around_the_genuine_one(tmp_path: Path) -> None:
    scenarios = Scenarios([parse_spec("malformed_receipts:stage=2"), parse_spec("duplicate_receipts:copies=2"),
                           parse_spec("wrong_key_receipts:stage=2")], state_dir=tmp_path)
    signed_by: list[str] = []

    def resign(signer: object) -> bytes:
        signed_by.append(getattr(signer, "party_id", "?"))
        return b"<forged/>"

    names = [e.name for e in scenarios.emissions("GACC", _receipt(2), "R-2.xml", b"<genuine>" * 10, resign)]
    assert names == ["R-2.broken.xml", "R-2.forged.xml", "R-2.xml", "R-2.2.xml", "R-2.3.xml"]
    assert signed_by == ["GACC"]  # an impostor claiming the authority's name
    assert (tmp_path / "scenarios" / "impostor-GACC.crt").exists()
    only_dupes = [e.name for e in scenarios.emissions("GACC", _receipt(1), "R-1.xml", b"x", resign)]
    assert only_dupes == ["R-1.xml", "R-1.2.xml", "R-1.3.xml"]  # the other two are for stage 2 only
