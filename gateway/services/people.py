"""People who use the UI: users with roles, passwords, and which enterprises' documents they may see.

Passwords are stored as salted scrypt hashes (standard library; memory-hard, so a stolen table is
expensive to attack). A user sees their own enterprise's documents and, when the enterprise is an agent
(代理企业), those of its recorded principals (委托人, seed 001 ch. 3).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from enum import StrEnum

from gateway.services.errors import GatewayError
from gateway.services.ports import Store, Transaction, UserInfo


class Role(StrEnum):
    ADMIN = "admin"  # manages the enterprise's users; sees everything its engineers and declarants see
    ENGINEER = "engineer"  # integration engineer: dashboard, message browser, resend, quarantine
    DECLARANT = "declarant"  # 申报员: certificates, entry forms, statistics
    OPERATOR = "operator"  # runs the gateway itself, belongs to no enterprise: sees unaddressed quarantine only


ENGINEER_ROLES = frozenset({Role.ADMIN, Role.ENGINEER})
DECLARANT_ROLES = frozenset({Role.ADMIN, Role.DECLARANT})

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}")
MIN_PASSWORD = 10
_N, _R, _P = 2**14, 8, 1


class PeopleError(GatewayError, ValueError):
    """Bad input for a user or principal record; the message names the field and the rule."""

    @property
    def field(self) -> str:
        """The field the message starts with ("username: …" → "username"), or "" when it names none."""
        head, sep, _ = str(self).partition(":")
        return head if sep and head.isidentifier() else ""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_password(stored: str, password: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(base64.b64decode(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


# Compared against when the username is unknown, so a wrong name and a wrong password take equally long.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def check_new_user(*, enterprise_id: str | None, username: str, password: str, role: str) -> str:
    """The role's value if a user with these values may be created; raises PeopleError naming the field."""
    if not USERNAME.fullmatch(username):
        raise PeopleError("username: 3 to 64 characters, letters, digits and _ . @ - (starting with a letter "
                          "or digit)")
    check_password_rule(password)
    try:
        role_value = Role(role).value
    except ValueError:
        raise PeopleError(f"role: one of {', '.join(r.value for r in Role)}, got {role!r}") from None
    if (role_value == Role.OPERATOR) != (enterprise_id is None):
        raise PeopleError("enterprise: an operator belongs to no enterprise, every other role to exactly one")
    return role_value


def add_user(store: Store, *, enterprise_id: str | None, username: str, password: str, role: str,
             actor: str = "cli") -> UserInfo:
    """A user of ``enterprise_id``; role ``operator`` requires ``enterprise_id=None`` and no other role may.
    ``actor`` (who does it) goes into the audit of user administration with the new user."""
    role_value = check_new_user(enterprise_id=enterprise_id, username=username, password=password, role=role)
    with store.transaction() as tx:
        if enterprise_id is not None and tx.enterprise(enterprise_id) is None:
            raise PeopleError(f"enterprise: no enterprise {enterprise_id}; register it first")
        user = tx.add_user(enterprise_id, username, hash_password(password), role_value)
        if user is not None:
            tx.record_user_event(enterprise_id, actor=actor, action="create", username=username,
                                 detail=f"role {role_value}", at=datetime.now(UTC))
    if user is None:
        raise PeopleError(f"username: {username!r} is taken")
    return user


def check_password_rule(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise PeopleError(f"password: at least {MIN_PASSWORD} characters")


def _existing(tx: Transaction, username: str) -> UserInfo:
    found = tx.user_by_username(username)
    if found is None:
        raise PeopleError(f"username: no active user {username!r}")
    return found


def set_password(store: Store, *, username: str, password: str, actor: str = "cli") -> None:
    """New password; every session of the user ends (the session version moves on)."""
    check_password_rule(password)
    with store.transaction() as tx:
        found = _existing(tx, username)
        tx.set_password_hash(found.id, hash_password(password))
        tx.record_user_event(found.enterprise_id or None, actor=actor, action="reset_password", username=username,
                             detail="", at=datetime.now(UTC))


def change_own_password(store: Store, user_id: int, *, current: str, new: str) -> None:
    """The password-change form: the current password must be right. Raises PeopleError."""
    found = user(store, user_id)
    if found is None or not check_password(found.password_hash, current):
        raise PeopleError("current password (当前密码): wrong password")
    check_password_rule(new)
    with store.transaction() as tx:
        tx.set_password_hash(found.id, hash_password(new))


def disable_user(store: Store, *, username: str, at: datetime, actor: str = "cli") -> None:
    """No more logins, and every open session ends at its next request."""
    with store.transaction() as tx:
        found = _existing(tx, username)
        tx.disable_user(found.id, at)
        tx.record_user_event(found.enterprise_id or None, actor=actor, action="disable", username=username,
                             detail="", at=at)


def end_sessions(store: Store, user_id: int) -> None:
    """Logout: every cookie issued to the user so far stops working, wherever it is."""
    with store.transaction() as tx:
        tx.bump_session_version(user_id)


def login(store: Store, username: str, password: str) -> UserInfo | None:
    """The user when the password is right; None otherwise (unknown name or wrong password alike)."""
    with store.transaction() as tx:
        user = tx.user_by_username(username)
    if user is None:
        check_password(_DUMMY_HASH, password)
        return None
    return user if check_password(user.password_hash, password) else None


def user(store: Store, user_id: int) -> UserInfo | None:
    with store.transaction() as tx:
        return tx.user_by_id(user_id)


def add_principal(store: Store, *, agent_id: str, principal_id: str) -> bool:
    """Record that ``agent_id`` declares for ``principal_id``; False when it was recorded already."""
    if agent_id == principal_id:
        raise PeopleError("principal: an enterprise is not its own principal (委托人)")
    with store.transaction() as tx:
        for field_name, ent in (("agent", agent_id), ("principal", principal_id)):
            if tx.enterprise(ent) is None:
                raise PeopleError(f"{field_name}: no enterprise {ent}; register it first")
        return tx.add_principal(agent_id, principal_id)


def visible_enterprises(store: Store, enterprise_id: str) -> tuple[str, ...]:
    """Own enterprise first, then the recorded principals: the scope of every UI query and action.
    An operator (no enterprise) has an empty scope: no tenant's documents."""
    if not enterprise_id:
        return ()
    with store.transaction() as tx:
        return (enterprise_id, *tx.principals_of(enterprise_id))
