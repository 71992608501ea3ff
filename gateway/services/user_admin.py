"""An enterprise admin manages the users of its own enterprise: list, create with a role, disable, reset
a password. Every change is written to the audit (who did what to whom) in the same transaction.

An admin manages its own enterprise only, not its principals' (they are enterprises with admins of their
own) and never gateway operators. Nobody disables their own account or resets their own password here:
that would lock the admin out; their own password is changed with the current one (/ui/account/password).
"""

from __future__ import annotations

from gateway.services.people import PeopleError, Role, add_user, check_password_rule, hash_password
from gateway.services.ports import Clock, Store, UserEvent, UserInfo, UserRecord

#: The roles an enterprise admin may give (an operator belongs to no enterprise).
TENANT_ROLES = (Role.DECLARANT, Role.ENGINEER, Role.ADMIN)
#: Field names of the user form as the Single Window calls them.
FIELD_CN = {"username": "用户名", "password": "密码", "role": "角色", "user": "用户"}


class NotAdmin(PermissionError):
    pass


def _require_admin(admin: UserInfo) -> str:
    if admin.role != Role.ADMIN or not admin.enterprise_id:
        raise NotAdmin("only an enterprise admin manages users")
    return admin.enterprise_id


def list_users(store: Store, admin: UserInfo) -> list[UserRecord]:
    enterprise_id = _require_admin(admin)
    with store.transaction() as tx:
        return tx.users_of(enterprise_id)


def audit_log(store: Store, admin: UserInfo, *, limit: int = 100) -> list[UserEvent]:
    enterprise_id = _require_admin(admin)
    with store.transaction() as tx:
        return tx.user_events(enterprise_id, limit=limit)


def create_user(store: Store, admin: UserInfo, *, username: str, password: str, role: str) -> UserInfo:
    enterprise_id = _require_admin(admin)
    if role not in {r.value for r in TENANT_ROLES}:
        raise PeopleError(f"role: one of {', '.join(r.value for r in TENANT_ROLES)}, got {role!r}")
    return add_user(store, enterprise_id=enterprise_id, username=username, password=password, role=role,
                    actor=f"ui:{admin.username}")


def disable(store: Store, clock: Clock, admin: UserInfo, user_id: int) -> UserRecord:
    """No more logins for the user; their open sessions end at the next request."""
    enterprise_id = _require_admin(admin)
    now = clock.now()
    with store.transaction() as tx:
        target = _own_user(tx.users_of(enterprise_id), user_id, admin, "disable")
        if target.disabled_at is None:
            tx.disable_user(target.id, now)
            tx.record_user_event(enterprise_id, actor=f"ui:{admin.username}", action="disable",
                                 username=target.username, detail=f"role {target.role}", at=now)
    return target


def reset_password(store: Store, clock: Clock, admin: UserInfo, user_id: int, password: str) -> UserRecord:
    """A new password chosen by the admin (tell it to the user); their open sessions end."""
    enterprise_id = _require_admin(admin)
    with store.transaction() as tx:
        target = _own_user(tx.users_of(enterprise_id), user_id, admin, "reset the password of")
        check_password_rule(password)  # after the lookup: another enterprise's id is "not found", whatever was sent
        if target.disabled_at is not None:
            raise PeopleError(f"user: {target.username} is disabled; a disabled user cannot log in at all")
        tx.set_password_hash(target.id, hash_password(password))
        tx.record_user_event(enterprise_id, actor=f"ui:{admin.username}", action="reset_password",
                             username=target.username, detail="", at=clock.now())
    return target


def _own_user(users: list[UserRecord], user_id: int, admin: UserInfo, verb: str) -> UserRecord:
    target = next((u for u in users if u.id == user_id), None)
    if target is None:
        raise LookupError(f"no user {user_id} in enterprise {admin.enterprise_id}")
    if target.id == admin.id:
        raise PeopleError(f"user: you cannot {verb} your own account here (change your own password under "
                          "'password', with the current one)")
    return target

