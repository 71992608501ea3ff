"""`cogw push`, `cogw status` and `cogw folder …`: the ERP-facing commands (entry points only)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.config import load_settings

if TYPE_CHECKING:
    from gateway.bootstrap import Container


def _container() -> Container:
    from gateway.bootstrap import Container

    return Container(load_settings())


def _console(args: argparse.Namespace) -> Any:
    from rich.console import Console

    return Console(no_color=args.no_color, width=args.width)


def cmd_push(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.table import Table

    from gateway.services.batch_push import collect_files, push_files

    files = collect_files([Path(p) for p in args.paths], args.pattern)
    if not files:
        print(f"no files matching {args.pattern} in {' '.join(args.paths)}", file=sys.stderr)
        return 2
    c = _container()
    c.migrate()
    with c.store.transaction() as tx:
        if tx.enterprise(args.enterprise) is None:
            print(f"unknown enterprise {args.enterprise}", file=sys.stderr)
            return 2
    console = _console(args)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console,
                  transient=False) as progress:
        task = progress.add_task("pushing", total=len(files))
        results = push_files(c.store, c.validator, c.clock, enterprise_id=args.enterprise, files=files,
                             max_bytes=c.settings.max_message_bytes,
                             progress=lambda _r: progress.advance(task))
    table = Table(title=f"{len(results)} file(s) for {args.enterprise}")
    for col in ("file", "result", "MessageId", "errors"):
        table.add_column(col, overflow="fold")
    for r in results:
        errors = "; ".join(f"{i.rule} {i.path}" + (f" [{i.field_cn}]" if i.field_cn else "") + f": {i.message}"
                           for i in r.issues[:3]) + (f" (+{len(r.issues) - 3} more)" if len(r.issues) > 3 else "")
        table.add_row(str(r.path), r.outcome, r.message_id or "", errors)
    console.print(table)
    bad = sum(not r.ok for r in results)
    console.print(f"{len(results) - bad} accepted, {bad} not accepted")
    if args.json:
        print(json.dumps([{"file": str(r.path), "result": r.outcome, "message_id": r.message_id,
                           "errors": [i.as_dict() for i in r.issues]} for r in results], ensure_ascii=False))
    return 1 if bad else 0


def cmd_status(args: argparse.Namespace) -> int:
    from rich.table import Table

    from gateway.services.flow_status import flow_status

    c = _container()
    c.migrate()
    snap = flow_status(c.erp_store, args.enterprise, limit=args.limit)
    console = _console(args)
    counts = Table(title="messages by state")
    counts.add_column("state")
    counts.add_column("count", justify="right")
    for state, n in snap.ordered_counts():
        counts.add_row(state, str(n))
    console.print(counts)
    now = c.clock.now()  # ages against times the same clock stored
    for title, lines, detail in (("recent failures", snap.failures, "error"),
                                 ("waiting for receipts", snap.waiting, "waiting")):
        table = Table(title=title)
        for col in ("MessageId", "enterprise", "type", "document", "state", detail):
            table.add_column(col, overflow="fold")
        for line in lines:
            extra = line.detail if detail == "error" else f"{int((now - line.at).total_seconds())} s"
            table.add_row(line.message_id, line.enterprise_id, line.message_type, line.document_no or "",
                          line.state, extra)
        console.print(table if lines else f"{title}: none")
    return 0


def cmd_folder_scan(_args: argparse.Namespace) -> int:
    c = _container()
    c.migrate()
    report = c.folder_once()
    print(json.dumps(report.__dict__))
    return 1 if report.errors else 0


def cmd_folder_login(args: argparse.Namespace) -> int:
    import secrets

    from gateway.services.folder_logins import set_login

    password = os.environ.get(args.password_env) if args.password_env else None
    if args.password_env and not password:
        print(f"{args.password_env} is empty or not set", file=sys.stderr)
        return 2
    generated = None
    if args.generate_password:
        password = generated = secrets.token_urlsafe(18)
    keys: list[str] = []
    for path in args.authorized_key:
        keys += [ln for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip()
                 and not ln.startswith("#")]
    c = _container()
    c.migrate()
    try:
        set_login(c.erp_store, args.enterprise, password=password, authorized_keys=keys, at=c.clock.now())
    except (ValueError, LookupError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    root = c.folder_mailboxes.ensure(args.enterprise) if c.settings.folder_root else None
    print(json.dumps({"enterprise_id": args.enterprise, "username": args.enterprise, "keys": len(keys),
                      "password": generated, "mailbox": str(root) if root else None}))
    if generated:
        print("Store the password now: only its hash is kept.", file=sys.stderr)
    return 0


def cmd_folder_serve(args: argparse.Namespace) -> int:
    """Folder scanning + receipts into InBoxes + the SFTP mailbox server, without web or delivery."""
    from gateway import runtime
    from gateway.cli import serve_until_signal

    c = _container()
    c.migrate()
    running = runtime.start(c, web=False, dispatch=False, receipts=False, folders=True, folder_sftp=False)
    running.folder_sftp = runtime.start_folder_sftp(c, port=args.port)
    return serve_until_signal(running, port=None)


def add_commands(sub: Any) -> None:
    def rich_opts(p: argparse.ArgumentParser) -> None:
        p.add_argument("--no-color", action="store_true")
        p.add_argument("--width", type=int, default=None, help="terminal width (default: detected)")

    push = sub.add_parser("push", help="submit many documents (files and/or directories) with a summary table")
    push.add_argument("paths", nargs="+", metavar="FILES/DIR")
    push.add_argument("--enterprise", required=True, help="enterprise id the documents belong to")
    push.add_argument("--pattern", default="*.xml", help="files to take from directories (default *.xml)")
    push.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    rich_opts(push)
    push.set_defaults(func=cmd_push)

    status = sub.add_parser("status", help="the flow: messages by state, recent failures, waiting for receipts")
    status.add_argument("--enterprise", default=None)
    status.add_argument("--limit", type=int, default=10)
    rich_opts(status)
    status.set_defaults(func=cmd_status)

    folder = sub.add_parser("folder", help="folder mailboxes (OutBox/SentBox/FailBox/InBox)").add_subparsers(
        dest="folder_command", required=True)
    folder.add_parser("scan", help="one pass: take complete OutBox files, write new receipts").set_defaults(
        func=cmd_folder_scan)
    login = folder.add_parser("login", help="let an enterprise's ERP log in over SFTP (user name = enterprise id)")
    login.add_argument("--enterprise", required=True)
    login.add_argument("--password-env", default=None, help="read the password from this environment variable")
    login.add_argument("--generate-password", action="store_true", help="make one up and print it once")
    login.add_argument("--authorized-key", action="append", default=[], help="OpenSSH public key file (repeatable)")
    login.set_defaults(func=cmd_folder_login)
    serve = folder.add_parser("serve", help="scan folders and serve them over SFTP (no web, no delivery)")
    serve.add_argument("--port", type=int, default=None,
                       help="SFTP port (0: any free port; default GATEWAY_FOLDER_SFTP_PORT, or 2223 when that is -1)")
    serve.set_defaults(func=cmd_folder_serve)
