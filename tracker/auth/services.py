"""Account operations: creating and changing users, checking passwords, throttling sign-in."""

import secrets
from datetime import timedelta
from functools import cache
from typing import Optional

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.audit import diff_values, record_audit
from tracker.auth.models import SignInFailure
from tracker.db import now_utc
from tracker.extensions import db
from tracker.models import USER_ROLES, Organization, User


class AccountError(ValueError):
    """A user-facing reason why an account operation was refused."""


def password_problem(password: str) -> Optional[str]:
    """Why this password is refused (shorter than PASSWORD_MIN_LENGTH), or None."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return _("密码至少需要 %(min)d 个字符。", min=minimum)
    return None


def hash_password(password: str) -> str:
    """A salted hash made with PASSWORD_HASH_METHOD; checking reads the method from the hash,
    so passwords hashed before a change of method or cost keep working."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _check_password_rules(password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)


def create_user(
    username: str,
    password: str,
    role: str = "coordinator",
    organization: Optional[Organization] = None,
    created_by: Optional[User] = None,
) -> User:
    """Create an account with a hashed password; refuses duplicates and short passwords."""
    username = username.strip()
    if not username:
        raise AccountError(_("用户名不能为空。"))
    if role not in USER_ROLES:
        raise AccountError(_("未知角色：%(role)s", role=role))
    _check_password_rules(password)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(_("用户名“%(name)s”已存在。", name=username))
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        organization=organization,
    )
    db.session.add(user)
    db.session.flush()
    record_audit(
        "create",
        user,
        user=created_by,
        changes={
            "role": [None, role],
            "organization": [None, organization.name if organization else None],
        },
    )
    db.session.commit()
    return user


def update_user(
    account: User,
    *,
    role: str,
    organization: Optional[Organization],
    is_enabled: bool,
    new_password: str = "",
    changed_by: User,
) -> User:
    """Change an account's role, organisation, state or password (an admin's action).

    An admin cannot demote or disable their own account, so there is always one admin left.
    """
    if role not in USER_ROLES:
        raise AccountError(_("未知角色：%(role)s", role=role))
    if account.id == changed_by.id and (role != "admin" or not is_enabled):
        raise AccountError(_("不能停用自己的账号或取消自己的管理员角色。"))
    before = _account_values(account)
    account.role = role
    account.organization = organization
    account.is_enabled = is_enabled
    if new_password:
        _check_password_rules(new_password)
        account.password_hash = hash_password(new_password)
    changes = diff_values(before, _account_values(account))
    if new_password:
        changes["password"] = ["***", "***"]
    if changes:
        record_audit("edit", account, user=changed_by, changes=changes)
    db.session.commit()
    return account


def change_own_password(account: User, current_password: str, new_password: str) -> None:
    """Let a signed-in user replace their password after proving they know the current one."""
    if not check_password_hash(account.password_hash, current_password):
        raise AccountError(_("当前密码不正确。"))
    _check_password_rules(new_password)
    account.password_hash = hash_password(new_password)
    record_audit("edit", account, user=account, changes={"password": ["***", "***"]})
    db.session.commit()


def _account_values(account: User) -> dict:
    return {
        "role": account.role,
        "organization": account.organization.name if account.organization else None,
        "is_enabled": account.is_enabled,
    }


def authenticate(username: str, password: str) -> Optional[User]:
    """The enabled user with this username and password, or None."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.is_enabled:
        # Check against a stand-in hash so a missing account answers as slowly as a wrong password.
        check_password_hash(_stand_in_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


@cache
def _stand_in_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def sign_in_is_throttled(username: str, address: str) -> bool:
    """Whether too many passwords failed lately for this account or from this address."""
    config = current_app.config
    window_start = now_utc() - timedelta(minutes=config["SIGN_IN_WINDOW_MINUTES"])
    recent = select(func.count(SignInFailure.id)).where(SignInFailure.failed_at >= window_start)
    by_account = db.session.scalar(recent.where(SignInFailure.username == _key(username)))
    if by_account >= config["SIGN_IN_MAX_FAILURES_PER_ACCOUNT"]:
        return True
    by_address = db.session.scalar(recent.where(SignInFailure.address == address[:64]))
    return by_address >= config["SIGN_IN_MAX_FAILURES_PER_ADDRESS"]


def record_failed_sign_in(username: str, address: str) -> None:
    """Count a refused password; rows older than a day are dropped on the way."""
    db.session.execute(
        delete(SignInFailure).where(SignInFailure.failed_at < now_utc() - timedelta(days=1))
    )
    db.session.add(SignInFailure(username=_key(username), address=address[:64]))
    db.session.commit()


def clear_failed_sign_ins(username: str) -> None:
    """A successful sign-in forgives the account's earlier failures."""
    db.session.execute(delete(SignInFailure).where(SignInFailure.username == _key(username)))
    db.session.commit()


def _key(username: str) -> str:
    return username.strip().lower()[:80]
