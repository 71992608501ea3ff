"""Receipt subscriptions (seed 001 ch. 16): by document number, by enterprise, by user; by webhook or e-mail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gateway.domain.erp_events import FieldError, check_subscription, is_secret
from gateway.services.erp_ports import ErpStore, NewSubscription, SecretBox
from gateway.services.ports import Clock


@dataclass(frozen=True)
class SubscriptionResult:
    subscription: dict[str, Any] | None
    errors: list[FieldError]


def subscribe(store: ErpStore, box: SecretBox | None, clock: Clock, enterprise_id: str,
              body: dict[str, Any]) -> SubscriptionResult:
    unknown = sorted(set(body) - {"scope", "channel", "target", "document_no", "user", "secret"})
    errors = [FieldError(k, "", "SUB.unknown_field", f"{k} is not a subscription field") for k in unknown]
    errors += check_subscription(body)
    secret = body.get("secret")
    if "secret" in body and (body.get("channel") != "webhook" or not is_secret(secret)):
        errors.append(FieldError("secret", "密钥", "SUB.secret", "secret: 16 to 200 printable ASCII characters, "
                                 "webhook channel only (left out, deliveries are signed with the enterprise "
                                 "webhook secret)"))
    if secret is not None and box is None and not errors:
        errors.append(FieldError("secret", "密钥", "SUB.secret", "this gateway cannot store secrets: "
                                 "GATEWAY_WEBHOOK_SECRET_KEY is not set"))
    if errors:
        return SubscriptionResult(None, errors)
    new = NewSubscription(enterprise_id=enterprise_id, scope=body["scope"], channel=body["channel"],
                          target=body["target"], document_no=body.get("document_no"), user=body.get("user"),
                          secret_sealed=None if secret is None or box is None else box.seal(str(secret)))
    with store.transaction() as tx:
        return SubscriptionResult(tx.add_subscription(new, clock.now()), [])


def subscriptions_of(store: ErpStore, enterprise_ids: Sequence[str], *, include_cancelled: bool
                     ) -> list[dict[str, Any]]:
    """The subscriptions of several enterprises (a UI user's scope), each tagged with its enterprise."""
    rows: list[dict[str, Any]] = []
    with store.transaction() as tx:
        for enterprise_id in enterprise_ids:
            rows += [{**r, "enterprise_id": enterprise_id}
                     for r in tx.subscriptions(enterprise_id, include_cancelled=include_cancelled)]
    return sorted(rows, key=lambda r: int(r["id"]), reverse=True)


def cancel(store: ErpStore, clock: Clock, enterprise_ids: Sequence[str], subscription_id: int) -> bool:
    """取消订阅: the row stays, inactive. False when no enterprise of ``enterprise_ids`` has that subscription."""
    with store.transaction() as tx:
        return any(tx.cancel_subscription(e, subscription_id, clock.now()) for e in enterprise_ids)
