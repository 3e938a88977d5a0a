"""Dashboard accounts (trainers, operators) kept in Redis, passwords hashed with argon2.

Key: ``gym:{site}:dashboard:users`` — a hash, user name -> JSON ``User`` (role, argon2 hash, created); a
disabled account is also in ``gym:{site}:dashboard:disabled`` (see `shared.store.DashboardAccess`). A new
password or a new role ends every session of the account: a browser signed in before keeps nothing.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field

from shared.store import DashboardAccess, Keys

# A password a trainer can type on a tablet but not guess in a weekend of online tries.
MIN_PASSWORD_LEN = 10
UserName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{1,39}$", description="Lower-case sign-in name")]

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory defaults
# Verified when the user is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class Role(StrEnum):
    TRAINER = "trainer"
    OPERATOR = "operator"


class User(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: UserName
    role: Role
    password_hash: str = Field(repr=False)
    created: datetime


class UserStore:
    def __init__(self, redis: Any, site_id: str) -> None:
        self.r = redis
        self.key = Keys(site_id).dashboard_users()
        self.access = DashboardAccess(redis, site_id)

    def get(self, name: str) -> User | None:
        raw = self.r.hget(self.key, name)
        return User.model_validate_json(raw) if raw else None

    def all(self) -> list[User]:
        return sorted((User.model_validate_json(v) for v in self.r.hvals(self.key)), key=lambda u: u.name)

    def add(self, name: str, role: Role, password: str, *, replace: bool = False) -> User:
        """Create (or with `replace`, reset) an account; raises ValueError for a weak password or a taken name."""
        if len(password) < MIN_PASSWORD_LEN:
            raise ValueError(f"password must have at least {MIN_PASSWORD_LEN} characters")
        user = User(name=name, role=role, password_hash=_hasher.hash(password), created=datetime.now(UTC))
        if replace:
            self.r.hset(self.key, name, user.model_dump_json())
            self.access.revoke_user(name)  # a reset password or role: no browser keeps the old sign-in
        elif not self.r.hsetnx(self.key, name, user.model_dump_json()):
            raise ValueError(f"user {name!r} exists")
        return user

    def set_role(self, name: str, role: Role) -> User:
        """Promote or demote an account; its sessions end (they carry the role they were signed in with)."""
        user = self.get(name)
        if user is None:
            raise KeyError(name)
        user = user.model_copy(update={"role": role})
        self.r.hset(self.key, name, user.model_dump_json())
        self.access.revoke_user(name)
        return user

    def is_disabled(self, name: str) -> bool:
        return self.access.is_disabled(name)

    def authenticate(self, name: str, password: str) -> User | None:
        user = self.get(name)
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None:
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            self.r.hset(self.key, name, user.model_copy(update={"password_hash": _hasher.hash(password)})
                        .model_dump_json())
        return user
