"""Dispatch over the real HTTP transport to a real mock customs, through a fault proxy: a 503 with
Retry-After parks the message at least that long, a lost answer is retried under the same
Idempotency-Key (the MessageId) and the authority counts one submission."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from adapters.http import HttpConfig, HttpTransport
from gateway.demo import sample_bytes
from gateway.domain.retry import RetryPolicy
from signing.pki import init_pki
from tests.integration.faultproxy import FaultProxy, FaultRates
from tests.integration.test_mock_customs_http import ENTERPRISE as MOCK_ENTERPRISE
from tests.integration.test_mock_customs_http import PASSPHRASE, TOKEN, running
from tests.integration.world import ENT, World


def test_503_retry_after_and_a_lost_answer_end_in_one_delivery(world: World, tmp_path: Path) -> None:
    init_pki(tmp_path / "pki", PASSPHRASE, [ENT.id, MOCK_ENTERPRISE])
    with running(tmp_path / "state", tmp_path / "pki") as api:
        rates = FaultRates(inbound_503=1.0, inbound_lost_answer=0.0, outbound_503=0.0, ack_lost=0.0, retry_after="45")
        proxy = FaultProxy(api.mock.admin_url, seed=1, rates=rates).start()
        world.transport = HttpTransport(HttpConfig(base_url=proxy.url, token=TOKEN, timeout=10))
        try:
            policy = RetryPolicy(base_seconds=1, cap_seconds=300, max_attempts=5)
            mid = world.accept(sample_bytes("form_e_approved.xml")).message_id
            assert world.dispatch(policy).retrying == 1
            view = world.view(mid)  # type: ignore[arg-type]
            assert view["state"] == "RETRY_WAIT" and "503" in view["last_error"]
            assert "retry in 45.0s" in view["events"][-1]["reason"]
            world.clock.t += timedelta(seconds=44)
            assert world.dispatch(policy).claimed == 0  # the server's Retry-After, not our 1 s backoff

            rates.inbound_503, rates.inbound_lost_answer = 0.0, 1.0  # stored upstream, answer lost
            world.clock.t += timedelta(seconds=2)
            assert world.dispatch(policy).retrying == 1
            rates.inbound_lost_answer = 0.0
            world.clock.t += timedelta(seconds=300)
            assert world.dispatch(policy).sent == 1
            view = world.view(mid)  # type: ignore[arg-type]
            assert view["state"] == "SENT" and "(already present)" in view["events"][-1]["reason"]
            assert proxy.injected == {"inbound_503": 1, "inbound_lost_answer": 1}
            api.mock.tick()
            observed = api.observed(mid)  # type: ignore[arg-type]
            assert observed["http"]["submissions"][0]["idempotency_key"] == mid
            assert observed["decision"] is not None and len(observed["receipts"]) >= 1  # reviewed once
            assert observed["receive_count"] == 2 and observed["duplicates"] == 1  # the retry, deduplicated
        finally:
            world.transport.close()
            proxy.stop()
