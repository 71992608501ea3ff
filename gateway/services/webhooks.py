"""Webhook endpoints and the delivery job: claim due deliveries, sign, POST (or e-mail), log every attempt.

Each delivery is one event to one destination. A receiver may see an event more than once (a crash
after its 2xx but before we record it); the X-COGW-Event-Id header lets it drop the repeat.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from gateway.domain.erp_events import FieldError, is_secret, is_webhook_url
from gateway.domain.retry import RetryPolicy
from gateway.domain.webhook_signature import EVENT_ID_HEADER, HEADER, signature
from gateway.logcontext import message_context
from gateway.services.erp_ports import DeliveryJob, ErpStore, Mailer, SecretBox, TargetGuard, WebhookSender
from gateway.services.ports import Clock

log = logging.getLogger(__name__)


class WebhookConfigError(ValueError):
    """The endpoint request is unusable; the message names the field, `error` says field and rule apart."""

    def __init__(self, error: FieldError) -> None:
        super().__init__(error.message)
        self.error = error


def set_endpoint(store: ErpStore, box: SecretBox, clock: Clock, *, enterprise_id: str, url: str,
                 guard: TargetGuard, secret: str | None = None, rotate: bool = False) -> str | None:
    """Register or change the enterprise's webhook. Returns the secret when one was created or rotated
    (shown once, kept only encrypted), None when the existing secret was kept."""
    if not is_webhook_url(url):
        raise WebhookConfigError(FieldError("url", "回执推送地址", "WEBHOOK.url", "url: an http:// or https:// URL of "
                                            "at most 500 characters is required"))
    refused = guard.refusal(url)
    if refused is not None:
        raise WebhookConfigError(FieldError("url", "回执推送地址", refused.rule, f"url: {refused.reason}"))
    if secret is not None and not is_secret(secret):
        raise WebhookConfigError(FieldError("secret", "密钥", "WEBHOOK.secret", "secret: 16 to 200 printable ASCII "
                                            "characters (or leave it out and the gateway makes one)"))
    with store.transaction() as tx:
        existing = tx.webhook_endpoint(enterprise_id)
        new_secret = secret or (secrets.token_urlsafe(32) if existing is None or rotate else None)
        tx.set_webhook_endpoint(enterprise_id, url, None if new_secret is None else box.seal(new_secret), clock.now())
    return new_secret


@dataclass
class DeliveryReport:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


@dataclass(frozen=True)
class DeliveryConfig:
    lease_seconds: int = 60
    batch: int = 50
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(base_seconds=5, cap_seconds=3600,
                                                                    max_attempts=10))


def deliver_due(store: ErpStore, sender: WebhookSender, mailer: Mailer | None, box: SecretBox | None,
                clock: Clock, config: DeliveryConfig) -> DeliveryReport:
    report = DeliveryReport()
    now = clock.now()
    with store.transaction() as tx:
        jobs = tx.claim_deliveries(now=now, lease_until=now + timedelta(seconds=config.lease_seconds),
                                   limit=config.batch)
    report.claimed = len(jobs)
    for job in jobs:
        with message_context(job.message_id):
            _deliver_one(store, sender, mailer, box, clock, config, job, report)
    return report


def _deliver_one(store: ErpStore, sender: WebhookSender, mailer: Mailer | None, box: SecretBox | None,
                 clock: Clock, config: DeliveryConfig, job: DeliveryJob, report: DeliveryReport) -> None:
    status: int | None = None
    latency = 0
    error: str | None
    permanent = False
    try:
        if job.target is None:
            error, permanent = "destination removed (webhook deleted or subscription cancelled)", True
        elif job.channel == "email":
            if mailer is None:
                error = "SMTP is not configured (GATEWAY_SMTP_HOST)"
            else:
                result = mailer.send(job.target, _subject(job), _email_text(job), {EVENT_ID_HEADER: job.event_uid})
                status, latency, error = result.status_code, result.latency_ms, result.error
        elif job.secret_sealed is None or box is None:
            error = ("no webhook secret to sign with (register the enterprise webhook, or set "
                     "GATEWAY_WEBHOOK_SECRET_KEY)")
        else:
            timestamp = int(clock.now().timestamp())
            headers = {HEADER: signature(box.open(job.secret_sealed), timestamp, job.body),
                       EVENT_ID_HEADER: job.event_uid, "X-COGW-Event-Type": job.event_type}
            result = sender.post(job.target, job.body, headers)
            status, latency, error, permanent = result.status_code, result.latency_ms, result.error, result.refused
    except Exception as exc:  # one broken destination must not strand the batch
        log.exception("delivery %s of event %s failed", job.delivery_id, job.event_uid)
        error = f"{type(exc).__name__}: {exc}"
    now = clock.now()
    if error is None:
        outcome, due = "DELIVERED", None
        report.delivered += 1
        log.info("event %s delivered to %s (%s)", job.event_uid, job.channel, status)
    elif not permanent and not config.retry.exhausted(job.attempts):
        outcome, due = "RETRY_WAIT", now + timedelta(seconds=config.retry.delay(job.attempts))
        report.retrying += 1
        log.warning("event %s: attempt %d to %s failed, retry at %s: %s", job.event_uid, job.attempts,
                    job.channel, due.isoformat(), error)
    else:
        outcome, due = "FAILED", None
        report.failed += 1
        log.error("event %s: giving up after %d attempt(s): %s", job.event_uid, job.attempts, error)
    with store.transaction() as tx:
        tx.record_attempt(job.delivery_id, at=now, status_code=status, latency_ms=latency, error=error,
                          outcome=outcome, next_attempt_at=due)


def _subject(job: DeliveryJob) -> str:
    data = json.loads(job.body).get("data", {})
    receipt = data.get("receipt") or {}
    what = receipt.get("status") or data.get("message_type") or job.event_type
    number = data.get("cert_no") or data.get("document_no") or job.message_id or ""
    return f"[CO Gateway] {what} {number}".strip()


def _email_text(job: DeliveryJob) -> str:
    event = json.loads(job.body)
    return ("回执推送 / receipt notification from CO Gateway\n\n"
            f"Event: {event['type']} ({event['id']})\nMessage: {event.get('message_id')}\n\n"
            + json.dumps(event, ensure_ascii=False, indent=2) + "\n")
