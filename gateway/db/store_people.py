"""SQL side of the people ports: UI users and agent → principal records (mixed into SqlTransaction)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.db import models as m
from gateway.db.ui_models import UserEvent as UserEventRow
from gateway.services.ports import UserEvent, UserInfo, UserRecord


def _user(row: m.User) -> UserInfo:
    # operators belong to no enterprise: "" keeps UserInfo.enterprise_id a plain string for every caller
    return UserInfo(row.id, row.enterprise_id or "", row.username, row.role, row.password_hash,
                    row.session_version or 0)


class PeopleSql:
    s: Session

    def add_user(self, enterprise_id: str | None, username: str, password_hash: str, role: str) -> UserInfo | None:
        """None when the username is taken (usernames are global: they are what people type to log in)."""
        row = m.User(enterprise_id=enterprise_id, username=username, password_hash=password_hash, role=role,
                     created_at=datetime.now(UTC), session_version=0)
        try:
            with self.s.begin_nested():
                self.s.add(row)
                self.s.flush()
        except IntegrityError:
            return None
        return _user(row)

    def user_by_username(self, username: str) -> UserInfo | None:
        row = self.s.scalar(select(m.User).where(m.User.username == username, m.User.disabled_at.is_(None)))
        return _user(row) if row else None

    def user_by_id(self, user_id: int) -> UserInfo | None:
        row = self.s.scalar(select(m.User).where(m.User.id == user_id, m.User.disabled_at.is_(None)))
        return _user(row) if row else None

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.s.execute(update(m.User).where(m.User.id == user_id).values(
            password_hash=password_hash, session_version=m.User.session_version + 1))

    def bump_session_version(self, user_id: int) -> None:
        self.s.execute(update(m.User).where(m.User.id == user_id)
                       .values(session_version=m.User.session_version + 1))

    def disable_user(self, user_id: int, at: datetime) -> None:
        self.s.execute(update(m.User).where(m.User.id == user_id)
                       .values(disabled_at=at, session_version=m.User.session_version + 1))

    def users_of(self, enterprise_id: str) -> list[UserRecord]:
        rows = self.s.scalars(select(m.User).where(m.User.enterprise_id == enterprise_id).order_by(m.User.username))
        return [UserRecord(r.id, r.enterprise_id or "", r.username, r.role, r.created_at, r.disabled_at) for r in rows]

    def record_user_event(self, enterprise_id: str | None, *, actor: str, action: str, username: str, detail: str,
                          at: datetime) -> None:
        self.s.add(UserEventRow(at=at, enterprise_id=enterprise_id, actor=actor[:80], action=action,
                                username=username, detail=detail[:200]))

    def user_events(self, enterprise_id: str, *, limit: int) -> list[UserEvent]:
        rows = self.s.scalars(select(UserEventRow).where(UserEventRow.enterprise_id == enterprise_id)
                              .order_by(UserEventRow.id.desc()).limit(limit))
        return [UserEvent(r.at, r.actor, r.action, r.username, r.detail) for r in rows]

    def add_principal(self, agent_id: str, principal_id: str) -> bool:
        if self.s.get(m.Principal, (agent_id, principal_id)) is not None:
            return False
        self.s.add(m.Principal(agent_id=agent_id, principal_id=principal_id, created_at=datetime.now(UTC)))
        self.s.flush()
        return True

    def principals_of(self, agent_id: str) -> list[str]:
        return list(self.s.scalars(select(m.Principal.principal_id).where(m.Principal.agent_id == agent_id)
                                   .order_by(m.Principal.principal_id)))
