"""POST a signed event to an ERP webhook over HTTP (httpx). Translates httpx errors at the boundary."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class PostResult:
    status_code: int | None  # None: no HTTP answer at all
    latency_ms: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class HttpWebhookSender:
    def __init__(self, timeout: float = 10.0) -> None:
        # No redirects: a signed delivery goes only where the ERP registered it.
        self._client = httpx.Client(timeout=timeout, follow_redirects=False,
                                    headers={"User-Agent": "cogw-webhook/1"})

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostResult:
        started = time.monotonic()
        try:
            resp = self._client.post(url, content=body, headers={"Content-Type": "application/json", **headers})
        except httpx.HTTPError as exc:
            return PostResult(None, elapsed_ms(started), f"{type(exc).__name__}: {exc}"[:500])
        error = None if 200 <= resp.status_code < 300 else f"HTTP {resp.status_code}: {resp.text[:200]}"
        return PostResult(resp.status_code, elapsed_ms(started), error)

    def close(self) -> None:
        self._client.close()


def elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
