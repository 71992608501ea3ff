"""Operator endpoints: /healthz (the process answers), /readyz (it can do its job), /metrics (Prometheus).

None of them needs an API key and none reveals tenant data: counts and check names only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import select, text

from gateway import metrics
from gateway.bootstrap import Container
from gateway.db import models as m
from gateway.db.migrate import alembic_config
from gateway.web.api import _container

log = logging.getLogger(__name__)
ops = Blueprint("ops", __name__)


@ops.get("/healthz")
def healthz() -> Any:
    return jsonify({"status": "ok"})


def _database(c: Container) -> str:
    with c.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return "reachable"


def _migrations(c: Container) -> str:
    heads = set(ScriptDirectory.from_config(alembic_config(c.settings.database_url)).get_heads())
    with c.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current != heads:
        raise RuntimeError(f"database at {sorted(current) or 'no revision'}, code expects {sorted(heads)}: "
                           "run `cogw db upgrade`")
    return f"at head {', '.join(sorted(heads))}"


def _keys(c: Container) -> str:
    keystore = c.keystore  # opens the PKI: CA present, passphrase given
    missing = [a for a in c.settings.authorities if not keystore.has(a)]
    if missing:
        raise RuntimeError(f"no pinned certificate for authority {', '.join(missing)}: its receipts cannot be verified")
    with c.store.transaction() as tx:
        enterprises = list(tx.s.scalars(select(m.Enterprise.id).order_by(m.Enterprise.id)))
    broken = []
    for enterprise_id in enterprises:
        try:
            keystore.signer(enterprise_id)  # decrypts once, then cached
        except Exception as exc:
            log.warning("readyz: signing key of enterprise %s cannot be loaded: %s", enterprise_id, exc)
            broken.append(enterprise_id)
    if broken:  # the probe is public: count them here, name them only in the log
        raise RuntimeError(f"{len(broken)} of {len(enterprises)} enterprise signing key(s) cannot be loaded "
                           "(see the log)")
    c.secretbox  # noqa: B018  (a key that is set but unusable raises here)
    return f"{len(enterprises)} enterprise key(s) and {len(c.settings.authorities)} authority certificate(s) loaded"


def _transports(c: Container) -> str:
    if not c.settings.authorities:
        raise RuntimeError("no authority configured (GATEWAY_AUTHORITY_<NAME>_…): nothing can be delivered")
    built = c.transports  # builds them (no connection): incomplete settings raise here
    return ", ".join(f"{name}: {type(t).__name__}" for name, t in sorted(built.items()))


CHECKS: dict[str, Callable[[Container], str]] = {
    "database": _database, "migrations": _migrations, "keys": _keys, "transports": _transports}


@ops.get("/readyz")
def readyz() -> Any:
    c = _container()
    results: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = {"ok": True, "detail": check(c)}
        except Exception as exc:  # a probe reports, it does not crash
            results[name] = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:500]}
            if name == "database":
                break  # the other checks would only repeat the database error
    ready = all(r["ok"] for r in results.values()) and len(results) == len(CHECKS)
    return jsonify({"status": "ready" if ready else "not ready", "checks": results}), 200 if ready else 503


@ops.get("/metrics")
def prometheus_metrics() -> Any:
    return Response(metrics.exposition(_container().engine, _container().clock), content_type=CONTENT_TYPE_LATEST)
