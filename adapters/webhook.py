"""POST a signed event to an ERP webhook over HTTP (httpx). Translates httpx errors at the boundary.

Every delivery goes through the egress guard (adapters/egress.py): the target's name is resolved, each
address checked, and the connection made to the checked address, with the registered name kept as the
Host header and TLS server name (so certificates are still verified against it).
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass

import httpx

from adapters.egress import EgressGuard, EgressRefused, Unresolved


@dataclass(frozen=True)
class PostResult:
    status_code: int | None  # None: no HTTP answer at all
    latency_ms: int
    error: str | None = None
    refused: bool = False  # the target itself is not allowed: retrying cannot help

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class HttpWebhookSender:
    def __init__(self, guard: EgressGuard, timeout: float = 10.0, verify: ssl.SSLContext | bool = True) -> None:
        self._guard = guard
        # No redirects: a signed delivery goes only where the ERP registered it (and a redirect would skip
        # the guard). No kept-alive connections: each one is opened to an address checked just before.
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, verify=verify,
                                    limits=httpx.Limits(max_keepalive_connections=0),
                                    headers={"User-Agent": "cogw-webhook/1"})

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostResult:
        started = time.monotonic()
        try:
            target = self._guard.vet(url)
        except EgressRefused as exc:
            return PostResult(None, elapsed_ms(started), f"webhook URL refused: {exc}", refused=True)
        except Unresolved as exc:
            return PostResult(None, elapsed_ms(started), f"ConnectError: {exc}")
        extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
        try:
            resp = self._client.post(target.url, content=body, extensions=extensions,
                                     headers={"Content-Type": "application/json", **headers,
                                              "Host": target.host_header})
        except httpx.HTTPError as exc:
            return PostResult(None, elapsed_ms(started), f"{type(exc).__name__}: {exc}"[:500])
        error = None if 200 <= resp.status_code < 300 else f"HTTP {resp.status_code}: {resp.text[:200]}"
        return PostResult(resp.status_code, elapsed_ms(started), error)

    def close(self) -> None:
        self._client.close()


def elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
