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
    from gateway import runtime
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

    c = _container()
    revoked = revoke_api_key(c.store, c.clock, args.key)
    print("revoked" if revoked else "no active key with that prefix", file=sys.stdout if revoked else sys.stderr)
    return 0 if revoked else 1


def cmd_user_add(args: argparse.Namespace) -> int:
    import getpass

    from gateway.services.people import PeopleError, add_user

    if args.operator == bool(args.enterprise or args.role):
        print("give either --enterprise and --role, or --operator (a gateway operator belongs to no enterprise)",
              file=sys.stderr)
        return 2
    # The password never goes on the command line (shell history, ps): environment or prompt.
    password = os.environ.get("COGW_USER_PASSWORD") or getpass.getpass(f"password for {args.username}: ")
    c = _container()
    c.migrate()
    try:
        created = add_user(c.store, enterprise_id=None if args.operator else args.enterprise,
                           username=args.username, password=password,
                           role="operator" if args.operator else args.role)
    except PeopleError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(json.dumps({"user_id": created.id, "username": created.username, "role": created.role,
                      "enterprise_id": created.enterprise_id}))
    return 0


def cmd_user_passwd(args: argparse.Namespace) -> int:
    import getpass

    from gateway.services.people import PeopleError, set_password

    password = os.environ.get("COGW_USER_PASSWORD") or getpass.getpass(f"new password for {args.username}: ")
    c = _container()
    c.migrate()
    try:
        set_password(c.store, username=args.username, password=password)
    except PeopleError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(json.dumps({"username": args.username, "password_changed": True, "sessions_ended": True}))
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    from gateway.services.people import PeopleError, disable_user

    c = _container()
    c.migrate()
    try:
        disable_user(c.store, username=args.username, at=c.clock.now())
    except PeopleError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(json.dumps({"username": args.username, "disabled": True, "sessions_ended": True}))
    return 0


def cmd_principal_add(args: argparse.Namespace) -> int:
    from gateway.services.people import PeopleError, add_principal

    c = _container()
    c.migrate()
    try:
        created = add_principal(c.store, agent_id=args.agent, principal_id=args.principal)
    except PeopleError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(json.dumps({"agent_id": args.agent, "principal_id": args.principal, "created": created}))
    return 0


def _serve(args: argparse.Namespace, *, web: bool, dispatch: bool, receipts: bool) -> int:
    from gateway import runtime

    c = _container()
    workers = getattr(args, "workers", 1)
    if workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return 2
    if c.settings.is_sqlite and workers > 1:
        print("SQLite supports one worker; use PostgreSQL (GATEWAY_DATABASE_URL) to run more", file=sys.stderr)
        return 2
    if dispatch:
        try:
            runtime.claim_dispatch(c)  # held until the process ends; runtime.start finds it taken by us
        except runtime.DispatcherRunning as exc:
            print(str(exc), file=sys.stderr)
            return 2
    c.migrate()
    running = runtime.start(c, host=getattr(args, "host", "127.0.0.1"), port=getattr(args, "port", 8080),
                            web=web, dispatch=dispatch, receipts=receipts, workers=workers)
    return serve_until_signal(running, port=running.port if web else None)


def serve_until_signal(running: runtime.Running, *, port: int | None) -> int:
    ready: dict[str, object] = {"event": "ready", "pid": os.getpid(), "port": port}
    if running.folder_sftp is not None:
        ready |= {"folder_sftp_port": running.folder_sftp.port,
                  "folder_sftp_host_key": running.folder_sftp.host_public_key}
    print(json.dumps(ready), flush=True)  # one machine-readable line for supervisors and tests
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    running.stop()
    return 0


def cmd_resend(args: argparse.Namespace) -> int:
    from gateway.services.resend import resend

    c = _container()
    ids = list(args.message_id)
    if args.all_failed or args.all_attention:
        states = (["FAILED"] if args.all_failed else []) + (["ATTENTION"] if args.all_attention else [])
        with c.store.transaction() as tx:
            ids += [r["message_id"] for r in tx.messages_in_state(states, limit=args.limit)]
    if not ids:
        print("name message ids, or --all-failed / --all-attention", file=sys.stderr)
        return 2
    result = resend(c.store, c.clock, ids, actor=args.actor)
    print(json.dumps(result.as_dict(), ensure_ascii=False))
    return 0 if not result.not_found and not result.refused else 1


def cmd_messages_list(args: argparse.Namespace) -> int:
    c = _container()
    with c.store.transaction() as tx:
        rows = tx.messages_in_state(args.state, enterprise_id=args.enterprise, limit=args.limit)
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    return 0


def cmd_quarantine_list(args: argparse.Namespace) -> int:
    c = _container()
    with c.store.transaction() as tx:
        rows = tx.quarantine_list(status=None if args.all else "open", limit=args.limit)
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    return 0


def cmd_quarantine_reprocess(args: argparse.Namespace) -> int:
    from gateway.services.receipts import reprocess_quarantine

    c = _container()
    ids = list(args.id)
    if args.all:
        with c.store.transaction() as tx:
            ids += [r["id"] for r in tx.quarantine_list(status="open", limit=args.limit)]
    result = reprocess_quarantine(c.store, c.verifiers, c.clock, ids, args.actor, validator=c.validator)
    print(json.dumps({"resolved": result.resolved, "still_quarantined": result.still_quarantined,
                      "not_found": result.not_found}, ensure_ascii=False))
    return 0 if not result.still_quarantined and not result.not_found else 1


def cmd_retention_run(_args: argparse.Namespace) -> int:
    c = _container()
    c.migrate()
    report = c.retention_once()
    print(json.dumps({"archived": len(report.archived), "bytes": report.bytes, "archive_dir": c.settings.archive_dir}))
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


def cmd_docs_printing(args: argparse.Namespace) -> int:
    from gateway import docs_printing

    if args.check:
        stale = docs_printing.TARGET.read_text(encoding="utf-8") != docs_printing.printing_markdown()
        print(f"{docs_printing.TARGET} is {'out of date: run `cogw docs printing`' if stale else 'up to date'}")
        return 1 if stale else 0
    for path in docs_printing.write():
        print(f"wrote {path}")
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

    usr = sub.add_parser("user", help="UI users").add_subparsers(dest="user_command", required=True)
    uadd = usr.add_parser("add", help="add a UI user (password from COGW_USER_PASSWORD or a prompt)")
    uadd.add_argument("--enterprise", help="enterprise id the user belongs to")
    uadd.add_argument("--username", required=True)
    uadd.add_argument("--role", choices=["admin", "engineer", "declarant"])
    uadd.add_argument("--operator", action="store_true",
                      help="a gateway operator: no enterprise; sees quarantined files addressed to nobody known")
    uadd.set_defaults(func=cmd_user_add)
    upw = usr.add_parser("passwd", help="set a user's password (from COGW_USER_PASSWORD or a prompt); "
                         "ends the user's sessions")
    upw.add_argument("--username", required=True)
    upw.set_defaults(func=cmd_user_passwd)
    udis = usr.add_parser("disable", help="disable a user: no more logins, open sessions end")
    udis.add_argument("--username", required=True)
    udis.set_defaults(func=cmd_user_disable)
    pri = sub.add_parser("principal", help="agent / principal records (代理 / 委托人)").add_subparsers(
        dest="principal_command", required=True)
    padd = pri.add_parser("add", help="record that an agent enterprise declares for a principal")
    padd.add_argument("--agent", required=True, help="the agent enterprise id (代理企业)")
    padd.add_argument("--principal", required=True, help="the principal enterprise id (委托人)")
    padd.set_defaults(func=cmd_principal_add)

    for name, helptext, flags in (
        ("serve", "API + delivery worker + receipt polling in one process", (True, True, True)),
        ("web", "the HTTP API only", (True, False, False)),
        ("worker", "delivery worker; leads receipt polling, timeouts and retention if no one else does",
         (False, True, True)),
        ("scheduler", "receipt polling, receipt timeouts and retention only (one leader per deployment)",
         (False, False, True)),
    ):
        sp = sub.add_parser(name, help=helptext)
        sp.add_argument("--host", default="127.0.0.1")
        sp.add_argument("--port", type=int, default=8080)
        if name in {"worker", "serve"}:
            sp.add_argument("--workers", type=int, default=1,
                            help="delivery loops in this process (PostgreSQL only above 1)")
        web, dispatch, receipts = flags
        sp.set_defaults(func=lambda a, w=web, d=dispatch, r=receipts: _serve(a, web=w, dispatch=d, receipts=r))

    rs = sub.add_parser("resend", help="put FAILED / ATTENTION messages back in the queue (same MessageId)")
    rs.add_argument("message_id", nargs="*", help="MessageIds to resend")
    rs.add_argument("--all-failed", action="store_true", help="every FAILED message (up to --limit)")
    rs.add_argument("--all-attention", action="store_true", help="every ATTENTION message (up to --limit)")
    rs.add_argument("--limit", type=int, default=1000)
    rs.add_argument("--actor", default=f"cli:{os.environ.get('USER', 'operator')}")
    rs.set_defaults(func=cmd_resend)

    msgs = sub.add_parser("messages", help="work lists").add_subparsers(dest="msg_command", required=True)
    ml = msgs.add_parser("list", help="messages in a state, newest change first (JSON lines)")
    ml.add_argument("--state", action="append", default=[], help="FAILED, ATTENTION … (repeatable)")
    ml.add_argument("--enterprise", default=None)
    ml.add_argument("--limit", type=int, default=100)
    ml.set_defaults(func=lambda a: cmd_messages_list(a) if a.state else (print("give --state", file=sys.stderr), 2)[1])

    q = sub.add_parser("quarantine", help="inbound files that could not be applied").add_subparsers(
        dest="q_command", required=True)
    ql = q.add_parser("list", help="open quarantine entries (JSON lines)")
    ql.add_argument("--all", action="store_true", help="resolved ones too")
    ql.add_argument("--limit", type=int, default=100)
    ql.set_defaults(func=cmd_quarantine_list)
    qr = q.add_parser("reprocess", help="run quarantined files through receipt ingestion again")
    qr.add_argument("id", nargs="*", type=int)
    qr.add_argument("--all", action="store_true", help="every open entry (up to --limit)")
    qr.add_argument("--limit", type=int, default=1000)
    qr.add_argument("--actor", default=f"cli:{os.environ.get('USER', 'operator')}")
    qr.set_defaults(func=cmd_quarantine_reprocess)

    ret = sub.add_parser("retention", help="purge old settled messages into the archive").add_subparsers(
        dest="ret_command", required=True)
    ret.add_parser("run", help="archive and purge now (GATEWAY_RETENTION_*_DAYS, GATEWAY_ARCHIVE_DIR)"
                   ).set_defaults(func=cmd_retention_run)

    mock = sub.add_parser("mock-customs", help="run mock GACC/CCPIT (see `cogw mock-customs --help`)",
                          add_help=False)
    mock.add_argument("rest", nargs=argparse.REMAINDER)
    mock.set_defaults(func=lambda a: exec_mock_customs(a.rest))

    docs = sub.add_parser("docs", help="generated documentation").add_subparsers(dest="docs_command", required=True)
    dm = docs.add_parser("messages", help="write docs/messages.md from the catalogue and rule registry")
    dm.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    dm.set_defaults(func=cmd_docs_messages)
    dp = docs.add_parser("printing", help="write docs/printing.md and PNG previews of every print layout")
    dp.add_argument("--check", action="store_true", help="exit 1 if docs/printing.md is out of date")
    dp.set_defaults(func=cmd_docs_printing)

    demo = sub.add_parser("demo", help="gateway + mock customs on SQLite with sample traffic")
    demo.add_argument("--check", action="store_true", help="run non-interactively; exit 0 only if all samples end "
                      "in their expected state")
    demo.add_argument("--port", type=int, default=8080, help="API port (0 picks a free one)")
    demo.add_argument("--dir", default="var/demo", help="working directory (recreated)")
    demo.set_defaults(func=cmd_demo)

    from gateway.cli_erp import add_commands as add_erp_commands

    add_erp_commands(sub)
    return p


def _pop_log_format(argv: list[str]) -> str | None:
    """`--log-format json|text` is accepted anywhere on the command line (it applies to every command)."""
    for i, arg in enumerate(argv):
        if arg == "--log-format" and i + 1 < len(argv):
            value = argv[i + 1]
            del argv[i:i + 2]
            return value
        if arg.startswith("--log-format="):
            del argv[i]
            return arg.split("=", 1)[1]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    from gateway.logformat import configure_logging

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["mock-customs"]:  # hand every option, --help included, to the mock itself
        return exec_mock_customs(argv[1:])
    level = os.environ.get("GATEWAY_LOG_LEVEL", "INFO").upper()
    try:
        configure_logging(level, _pop_log_format(argv))
    except ValueError as exc:
        print(f"cogw: {exc}", file=sys.stderr)
        return 2
    if level != "DEBUG":  # one line per tick and per request drowns what matters
        for chatty in ("apscheduler", "werkzeug"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
