"""`cogw …` commands. Entry point only: everything it does goes through the Container and services."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gateway.config import load_settings

if TYPE_CHECKING:  # the CLI imports heavy modules only for the command that runs
    from gateway.bootstrap import Container


def _container() -> Container:
    from gateway.bootstrap import Container

    return Container(load_settings())


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    _container().migrate()
    print("database is at the latest schema")
    return 0


def cmd_pki_init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from signing.pki import init_pki

    settings = load_settings()
    if not settings.pki_passphrase:
        print("GATEWAY_PKI_PASSPHRASE must be set: private keys are stored encrypted", file=sys.stderr)
        return 2
    paths = init_pki(Path(settings.pki_dir), settings.pki_passphrase, args.enterprise)
    print(f"PKI ready in {settings.pki_dir}: {paths}")
    return 0


def cmd_enterprise_add(args: argparse.Namespace) -> int:
    from gateway.services.enterprises import issue_api_key, register_enterprise
    from gateway.services.ports import EnterpriseInfo

    c = _container()
    c.migrate()
    created = register_enterprise(c.store, EnterpriseInfo(args.id, args.name, args.reg_no))
    key = issue_api_key(c.store, args.id, label=args.label)
    print(json.dumps({"enterprise_id": args.id, "created": created, "api_key": key}))
    print("Store the API key now: only its hash is kept.", file=sys.stderr)
    return 0


def cmd_enterprise_revoke_key(args: argparse.Namespace) -> int:
    from gateway.services.enterprises import revoke_api_key

    revoked = revoke_api_key(_container().store, args.key)
    print("revoked" if revoked else "no active key with that prefix", file=sys.stdout if revoked else sys.stderr)
    return 0 if revoked else 1


def _serve(args: argparse.Namespace, *, web: bool, dispatch: bool, receipts: bool) -> int:
    from gateway import runtime

    c = _container()
    if c.settings.is_sqlite and getattr(args, "workers", 1) > 1:
        print("SQLite supports one worker; use PostgreSQL (GATEWAY_DATABASE_URL) to run more", file=sys.stderr)
        return 2
    c.migrate()
    running = runtime.start(c, host=getattr(args, "host", "127.0.0.1"), port=getattr(args, "port", 8080),
                            web=web, dispatch=dispatch, receipts=receipts)
    ready = {"event": "ready", "pid": os.getpid(), "port": running.port if web else None}
    print(json.dumps(ready), flush=True)  # one machine-readable line for supervisors and tests
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    running.stop()
    return 0


def exec_mock_customs(rest: Sequence[str]) -> int:
    # The mock is its own program: the gateway never imports it, it only starts it.
    os.execv(sys.executable, [sys.executable, "-m", "mock_customs", *rest])  # noqa: S606
    return 0  # pragma: no cover


def cmd_docs_messages(args: argparse.Namespace) -> int:
    from gateway import docs_gen

    if args.check:
        stale = docs_gen.TARGET.read_text(encoding="utf-8") != docs_gen.messages_markdown()
        print(f"{docs_gen.TARGET} is {'out of date: run `cogw docs messages`' if stale else 'up to date'}")
        return 1 if stale else 0
    changed = docs_gen.write()
    print(f"{docs_gen.TARGET} {'written' if changed else 'unchanged'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from gateway.demo import run_demo

    return run_demo(check=args.check, port=args.port, workdir=args.dir)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cogw", description="CO Gateway: Certificate-of-Origin EDI gateway")
    sub = p.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)

    pki = sub.add_parser("pki", help="test PKI").add_subparsers(dest="pki_command", required=True)
    init = pki.add_parser("init", help="create a test CA, authority certificates and enterprise keys")
    init.add_argument("--enterprise", action="append", default=[], help="enterprise id (repeatable)")
    init.set_defaults(func=cmd_pki_init)

    ent = sub.add_parser("enterprise", help="enterprises").add_subparsers(dest="ent_command", required=True)
    add = ent.add_parser("add", help="register an enterprise and issue an API key")
    add.add_argument("--id", required=True, help="enterprise id, normally the USCC")
    add.add_argument("--name", required=True)
    add.add_argument("--reg-no", required=True, help="9-digit CO registration number (产地证备案号)")
    add.add_argument("--label", default="", help="label for the API key")
    add.set_defaults(func=cmd_enterprise_add)
    rev = ent.add_parser("revoke-key", help="revoke an API key at once (by the key or its public prefix)")
    rev.add_argument("key", help="the key (cogw_<prefix>_<secret>) or just <prefix>")
    rev.set_defaults(func=cmd_enterprise_revoke_key)

    for name, helptext, flags in (
        ("serve", "API + delivery worker + receipt polling in one process", (True, True, True)),
        ("web", "the HTTP API only", (True, False, False)),
        ("worker", "delivery worker and receipt polling", (False, True, True)),
    ):
        sp = sub.add_parser(name, help=helptext)
        sp.add_argument("--host", default="127.0.0.1")
        sp.add_argument("--port", type=int, default=8080)
        if name == "worker":
            sp.add_argument("--workers", type=int, default=1)
        web, dispatch, receipts = flags
        sp.set_defaults(func=lambda a, w=web, d=dispatch, r=receipts: _serve(a, web=w, dispatch=d, receipts=r))

    mock = sub.add_parser("mock-customs", help="run mock GACC/CCPIT (see `cogw mock-customs --help`)",
                          add_help=False)
    mock.add_argument("rest", nargs=argparse.REMAINDER)
    mock.set_defaults(func=lambda a: exec_mock_customs(a.rest))

    docs = sub.add_parser("docs", help="generated documentation").add_subparsers(dest="docs_command", required=True)
    dm = docs.add_parser("messages", help="write docs/messages.md from the catalogue and rule registry")
    dm.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    dm.set_defaults(func=cmd_docs_messages)

    demo = sub.add_parser("demo", help="gateway + mock customs on SQLite with sample traffic")
    demo.add_argument("--check", action="store_true", help="run non-interactively; exit 0 only if all samples end "
                      "in their expected state")
    demo.add_argument("--port", type=int, default=8080, help="API port (0 picks a free one)")
    demo.add_argument("--dir", default="var/demo", help="working directory (recreated)")
    demo.set_defaults(func=cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    level = os.environ.get("GATEWAY_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if level != "DEBUG":  # one line per tick and per request drowns what matters
        for chatty in ("apscheduler", "werkzeug"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["mock-customs"]:  # hand every option, --help included, to the mock itself
        return exec_mock_customs(argv[1:])
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
