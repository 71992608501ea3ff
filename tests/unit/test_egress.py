"""Which addresses webhook deliveries may reach (adapters/egress.py): public ones, plus what the operator
allows; names are resolved and every address checked, and the delivery goes to the checked address."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest

from adapters.egress import EgressGuard, EgressPolicy, EgressRefused, Unresolved, classify


def _rule(address: str) -> str | None:
    refusal = classify(ipaddress.ip_address(address))
    return None if refusal is None else refusal.rule


@pytest.mark.parametrize(("address", "rule"), [
    ("127.0.0.1", "EGRESS.LOOPBACK"), ("127.8.9.10", "EGRESS.LOOPBACK"), ("::1", "EGRESS.LOOPBACK"),
    ("::ffff:127.0.0.1", "EGRESS.LOOPBACK"),  # IPv4-mapped: the IPv4 address decides
    ("64:ff9b::7f00:1", "EGRESS.LOOPBACK"),  # NAT64 of 127.0.0.1
    ("169.254.169.254", "EGRESS.METADATA"), ("100.100.100.200", "EGRESS.METADATA"),
    ("fd00:ec2::254", "EGRESS.METADATA"), ("169.254.170.2", "EGRESS.METADATA"),
    ("169.254.1.1", "EGRESS.LINK_LOCAL"), ("fe80::1", "EGRESS.LINK_LOCAL"),
    ("10.1.2.3", "EGRESS.PRIVATE"), ("172.16.0.1", "EGRESS.PRIVATE"), ("172.31.255.255", "EGRESS.PRIVATE"),
    ("192.168.1.1", "EGRESS.PRIVATE"), ("fc00::1", "EGRESS.PRIVATE"), ("fd12:3456::1", "EGRESS.PRIVATE"),
    ("::ffff:10.0.0.1", "EGRESS.PRIVATE"),
    ("0.0.0.0", "EGRESS.NOT_PUBLIC"), ("::", "EGRESS.NOT_PUBLIC"),  # noqa: S104  (an address to refuse)
    ("100.64.0.1", "EGRESS.NOT_PUBLIC"),
    ("192.0.2.1", "EGRESS.NOT_PUBLIC"), ("224.0.0.1", "EGRESS.NOT_PUBLIC"), ("255.255.255.255", "EGRESS.NOT_PUBLIC"),
    ("ff02::1", "EGRESS.NOT_PUBLIC"),
    ("93.184.216.34", None), ("172.32.0.1", None), ("2606:2800:220:1:248:1893:25c8:1946", None),
])
def test_addresses_are_classified_by_the_most_specific_rule(address: str, rule: str | None) -> None:
    assert _rule(address) == rule


def _fixed(table: dict[str, Sequence[str]]) -> EgressGuard:
    def resolve(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise Unresolved(f"{host} does not resolve")
        return table[host]

    return EgressGuard(EgressPolicy(), resolve)


def test_a_name_is_refused_when_any_of_its_addresses_is_refused() -> None:
    guard = _fixed({"erp.example": ["93.184.216.34", "10.0.0.7"], "ok.example": ["93.184.216.34"]})
    refusal = guard.refusal("https://erp.example/hook")
    assert refusal is not None and refusal.rule == "EGRESS.PRIVATE"
    assert refusal.reason == ("erp.example resolves to 10.0.0.7, a private address (RFC 1918, fc00::/7): refused "
                              "unless GATEWAY_WEBHOOK_ALLOWED_TARGETS allows it")
    assert str(refusal).endswith("(rule EGRESS.PRIVATE)")
    assert guard.refusal("https://ok.example/hook") is None
    assert guard.refusal("https://not-yet.example/hook") is None  # unresolvable now: every delivery checks again
    with pytest.raises(Unresolved):
        guard.vet("https://not-yet.example/hook")


def test_literal_addresses_and_odd_spellings_of_loopback_are_refused() -> None:
    guard = EgressGuard(EgressPolicy())  # the system resolver: these need no DNS
    for url in ("http://127.0.0.1:8080/x", "http://[::1]/x", "http://localhost/x", "http://2130706433/x",
                "http://0x7f.1/x", "http://[::ffff:127.0.0.1]/x", "http://127.1/x"):
        refusal = guard.refusal(url)
        assert refusal is not None and refusal.rule == "EGRESS.LOOPBACK", url
    refusal = guard.refusal("http://169.254.169.254/latest/meta-data/")
    assert refusal is not None and refusal.rule == "EGRESS.METADATA"
    refusal = guard.refusal("http://metadata.google.internal/computeMetadata/v1/")
    assert refusal is not None and refusal.rule == "EGRESS.METADATA"


def test_the_operator_allows_networks_and_host_names() -> None:
    policy = EgressPolicy.parse(" 10.0.0.0/8, 127.0.0.1 ,erp.corp.example, *.plant.example ,")
    table = {"erp.corp.example": ["192.168.5.5"], "a.plant.example": ["172.16.1.1"], "x.example": ["192.168.5.5"]}
    guard = EgressGuard(policy, lambda host, port: table[host])
    assert guard.refusal("http://10.20.30.40/hook") is None
    assert guard.refusal("http://127.0.0.1:9000/hook") is None
    assert guard.refusal("http://[::ffff:127.0.0.1]:9000/hook") is None  # the same address, IPv4-mapped
    assert guard.refusal("https://erp.corp.example/hook") is None
    assert guard.refusal("https://a.plant.example/hook") is None
    refusal = guard.refusal("https://x.example/hook")
    assert refusal is not None and refusal.rule == "EGRESS.PRIVATE"
    refusal = guard.refusal("http://127.0.0.2/hook")  # only the one address was allowed
    assert refusal is not None and refusal.rule == "EGRESS.LOOPBACK"


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "erp_corp", "http://erp.example", "*.", "a..b"])
def test_an_unreadable_allowed_entry_is_named(entry: str) -> None:
    with pytest.raises(ValueError, match="is neither a network"):
        EgressPolicy.parse(f"127.0.0.1,{entry}")


def test_vet_connects_to_the_checked_address_and_keeps_the_name_for_host_and_tls() -> None:
    guard = EgressGuard(EgressPolicy(), lambda host, port: ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
    vetted = guard.vet("https://erp.example:8443/hooks/cogw?x=1")
    assert str(vetted.url) == "https://93.184.216.34:8443/hooks/cogw?x=1"
    assert (vetted.host, vetted.host_header) == ("erp.example", "erp.example:8443")
    v6 = EgressGuard(EgressPolicy(), lambda host, port: ["2606:2800:220:1:248:1893:25c8:1946"]).vet("http://e.example/")
    assert str(v6.url) == "http://[2606:2800:220:1:248:1893:25c8:1946]/" and v6.host_header == "e.example"
    with pytest.raises(EgressRefused, match=r"EGRESS\.URL"):
        guard.vet("http:///nohost")
