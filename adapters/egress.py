"""Where webhook deliveries may go: public internet addresses, plus what the operator allows.

An ERP registers the URL the gateway POSTs to. Left open, a tenant could point it at the gateway's own
network (the database, an admin port on 127.0.0.1, the cloud metadata service at 169.254.169.254) and
read the answers in its delivery log. So loopback, link-local, private (RFC 1918, fc00::/7), metadata
and every other non-public address are refused unless GATEWAY_WEBHOOK_ALLOWED_TARGETS names the network
or host (an on-premise ERP on 10.x, a test receiver on 127.0.0.1).

The check runs when a target is registered (an early, clear error) and again on every delivery against
the addresses the name resolves to *then*, and the delivery connects to the address that was checked:
a name that resolved to a public address at registration may resolve to 127.0.0.1 later (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]

SETTING = "GATEWAY_WEBHOOK_ALLOWED_TARGETS"

# Instance metadata services: AWS / GCP / Azure / OpenStack, AWS ECS task metadata, Alibaba Cloud, AWS IPv6.
METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254"))
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})
PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class Refusal:
    """Why a target may not be reached: a rule id and an English sentence naming the address."""

    rule: str
    reason: str

    def __str__(self) -> str:
        return f"{self.reason} (rule {self.rule})"


class EgressRefused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


class Unresolved(Exception):
    """The host name does not resolve now (a transient condition at delivery time)."""


def _unwrap(address: IPAddress) -> IPAddress:
    """The IPv4 address hidden in an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def classify(address: IPAddress) -> Refusal | None:
    """None for a public address; else the rule it breaks (the most specific one) and what it is."""
    plain = _unwrap(address)
    if plain in METADATA:
        return Refusal("EGRESS.METADATA", "a cloud metadata service address")
    if plain.is_loopback:
        return Refusal("EGRESS.LOOPBACK", "a loopback address (127.0.0.0/8, ::1)")
    if plain.is_link_local:
        return Refusal("EGRESS.LINK_LOCAL", "a link-local address (169.254.0.0/16, fe80::/10)")
    if any(plain in net for net in PRIVATE if net.version == plain.version):
        return Refusal("EGRESS.PRIVATE", "a private address (RFC 1918, fc00::/7)")
    if not plain.is_global or plain.is_multicast:
        return Refusal("EGRESS.NOT_PUBLIC", "not a public internet address (unspecified, reserved, shared, "
                                            "documentation or multicast range)")
    return None


@dataclass(frozen=True)
class EgressPolicy:
    """Non-public targets the operator allows: networks (CIDR or single addresses) and host names
    (exact, or ``*.corp.example`` for every name below it)."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> EgressPolicy:
        """From the setting's comma-separated list; ValueError names the entry it cannot read."""
        networks: list[IPNetwork] = []
        hosts: list[str] = []
        for raw in text.split(","):
            entry = raw.strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            name = entry.removeprefix("*.")
            if "/" in entry or not name or not all(label and len(label) <= 63 and label.replace("-", "").isalnum()
                                                   for label in name.rstrip(".").split(".")):
                raise ValueError(f"{raw.strip()!r} is neither a network (10.0.0.0/8, 127.0.0.1, fd00::/8) "
                                 "nor a host name (erp.corp.example, *.corp.example)")
            hosts.append(entry.rstrip("."))
        return cls(tuple(networks), tuple(hosts))

    def allows_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(host == h or (h.startswith("*.") and host.endswith(h[1:])) for h in self.hosts)

    def refusal(self, host: str, address: IPAddress) -> Refusal | None:
        if self.allows_host(host) or any(address in n or _unwrap(address) in n for n in self.networks):
            return None
        refusal = classify(address)
        if refusal is None:
            return None
        plain = _unwrap(address)
        shown = str(address) if plain == address else f"{address} ({plain})"
        what = f"{shown} is" if _literal(host) == address else f"{host} resolves to {shown},"
        return Refusal(refusal.rule, f"{what} {refusal.reason}: refused unless {SETTING} allows it")


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Unresolved(f"{host} does not resolve: {exc}") from exc
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class Vetted:
    """Where to connect (the checked address) and what to say to it (the registered name)."""

    url: httpx.URL  # the registered URL with its host replaced by the checked address
    host: str  # the registered host: Host header and TLS server name
    host_header: str


class EgressGuard:
    def __init__(self, policy: EgressPolicy, resolve: Resolver = system_resolver) -> None:
        self.policy = policy
        self.resolve = resolve

    def refusal(self, url: str) -> Refusal | None:
        """At registration: a refusal when the URL's host is, or now resolves to, a refused address.
        A name that does not resolve yet is let through: every delivery checks it again."""
        try:
            self.vet(url)
        except EgressRefused as exc:
            return exc.refusal
        except Unresolved:
            return None
        return None

    def vet(self, url: str) -> Vetted:
        """Resolve the URL's host and check every address it has; EgressRefused if any is refused.
        The returned URL points at the first address, so the connection goes where the check looked."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise EgressRefused(Refusal("EGRESS.URL", f"not a usable URL: {exc}")) from exc
        host = parsed.host
        if not host:
            raise EgressRefused(Refusal("EGRESS.URL", "the URL has no host"))
        if host.rstrip(".").lower() in METADATA_NAMES and not self.policy.allows_host(host):
            raise EgressRefused(Refusal("EGRESS.METADATA", f"{host} is a cloud metadata service name"))
        addresses = self._addresses(host, parsed.port or (443 if parsed.scheme == "https" else 80))
        for address in addresses:
            refusal = self.policy.refusal(host, address)
            if refusal is not None:
                raise EgressRefused(refusal)
        name = f"[{host}]" if ":" in host else host
        host_header = name if parsed.port is None else f"{name}:{parsed.port}"
        return Vetted(parsed.copy_with(host=str(addresses[0])), host, host_header)

    def _addresses(self, host: str, port: int) -> list[IPAddress]:
        literal = _literal(host)
        if literal is not None:
            return [literal]
        resolved = self.resolve(host, port)
        if not resolved:
            raise Unresolved(f"{host} has no address")
        return [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolved]  # drop an IPv6 zone (%eth0)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
