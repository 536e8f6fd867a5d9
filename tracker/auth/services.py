"""Account operations: creating and changing users, checking passwords, throttling sign-in."""

import math
import secrets
from datetime import timedelta
from functools import cache
from typing import Optional

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, case, delete, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.audit import diff_values, record_audit
from tracker.auth.models import WHOLE_ADDRESS, SignInThrottle
from tracker.db import UTCDateTime, now_utc
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
    Any change ends the account's sessions, so it signs in again under its new rights.
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
        # What the account may do has changed: its sessions end, and it signs in again.
        account.session_generation = User.session_generation + 1
        record_audit("edit", account, user=changed_by, changes=changes)
    db.session.commit()
    return account


def change_own_password(account: User, current_password: str, new_password: str) -> None:
    """Let a signed-in user replace their password after proving they know the current one;
    every session of the account ends (the caller signs the current one in again)."""
    if not check_password_hash(account.password_hash, current_password):
        raise AccountError(_("当前密码不正确。"))
    _check_password_rules(new_password)
    account.password_hash = hash_password(new_password)
    account.session_generation = User.session_generation + 1
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


# --- sessions ------------------------------------------------------------------------------


def end_all_sessions(account: User) -> None:
    """End every session of the account, on every worker and machine, by raising its session
    generation (sessions remember the generation they were signed in under)."""
    db.session.execute(
        update(User)
        .where(User.id == account.id)
        .values(session_generation=User.session_generation + 1)
    )
    db.session.commit()
    db.session.refresh(account)


def account_for_session(
    session_user_id: str, signed_in_at: Optional[float], seen_at: Optional[float]
) -> Optional[User]:
    """The enabled account a session belongs to, or None when the session has ended: signed in
    under an older session generation, idle for SESSION_IDLE_MINUTES, older than
    SESSION_LIFETIME_HOURS, or of an account that has been disabled or deleted."""
    account_id, _sep, generation = session_user_id.partition(":")
    if not (account_id.isdigit() and generation.isdigit()):
        return None
    if signed_in_at is None or seen_at is None:
        return None
    config = current_app.config
    now = now_utc().timestamp()
    if now - seen_at > config["SESSION_IDLE_MINUTES"] * 60:
        return None
    if now - signed_in_at > config["SESSION_LIFETIME_HOURS"] * 3600:
        return None
    account = db.session.get(User, int(account_id))
    if account is None or not account.is_enabled:
        return None
    if account.session_generation != int(generation):
        return None
    return account


# --- sign-in throttling ----------------------------------------------------------------------


def claim_sign_in_attempt(username: str, address: str) -> int:
    """Count a sign-in attempt before its password is checked: the seconds it must wait, or 0
    when it may go ahead.

    Each counter changes in one INSERT … ON CONFLICT DO UPDATE statement, so parallel
    attempts are counted one after the other and none gets past the limit. The pair
    (account, address) waits progressively longer after SIGN_IN_FREE_FAILURES; the address
    as a whole only after SIGN_IN_MAX_FAILURES_PER_ADDRESS, so other addresses, and other
    people at the same address, can still sign in. A successful sign-in hands the attempt
    back (forgive_sign_in).
    """
    config = current_app.config
    now = now_utc()
    address = address[:64]
    window = timedelta(minutes=config["SIGN_IN_WINDOW_MINUTES"])
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.last_failure_at < now - window))
    db.session.commit()  # alone, so that no transaction holds more than one counter's lock
    columns = SignInThrottle.__table__.c
    ceiling = config["SIGN_IN_MAX_FAILURES_PER_ADDRESS"]
    refused = _claim(
        WHOLE_ADDRESS,
        address,
        now,
        stale=columns.first_failure_at <= _at(now - window),
        refused=and_(columns.failures >= ceiling, columns.first_failure_at > _at(now - window)),
    )
    if refused is not None:
        return _seconds_until(refused.first_failure_at + window, now)
    free = config["SIGN_IN_FREE_FAILURES"]
    longest = timedelta(seconds=config["SIGN_IN_MAX_DELAY_SECONDS"])
    delays = {}
    for failures in range(free, free + 32):
        if _delay(failures) >= longest:
            break
        delays[failures] = _delay(failures)
    earliest_retry_mark = (
        case(
            {failures: _at(now - delay) for failures, delay in delays.items()},
            value=columns.failures,
            else_=_at(now - longest),
        )
        if delays
        else _at(now - longest)
    )
    refused = _claim(
        _key(username),
        address,
        now,
        stale=columns.last_failure_at <= _at(now - window),
        refused=and_(columns.failures >= free, columns.last_failure_at > earliest_retry_mark),
    )
    if refused is not None:
        _give_back(WHOLE_ADDRESS, address)
        return _seconds_until(refused.last_failure_at + _delay(refused.failures), now)
    return 0


def forgive_sign_in(username: str, address: str) -> None:
    """A successful sign-in forgives its pair's failures and hands its attempt back to the
    address."""
    db.session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.username == _key(username), SignInThrottle.address == address[:64]
        )
    )
    _give_back(WHOLE_ADDRESS, address)


def _claim(username: str, address: str, now, *, stale, refused):
    """Count one attempt on a counter row; the row when the attempt is refused, else None."""
    table = SignInThrottle.__table__
    columns = table.c
    attempt_id = secrets.token_hex(16)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    moment = _at(now)
    statement = (
        insert(table)
        .values(
            username=username,
            address=address,
            failures=1,
            first_failure_at=now,
            last_failure_at=now,
            last_attempt_id=attempt_id,
        )
        .on_conflict_do_update(
            index_elements=[columns.username, columns.address],
            set_={
                "failures": case(
                    (stale, 1), (refused, columns.failures), else_=columns.failures + 1
                ),
                "first_failure_at": case((stale, moment), else_=columns.first_failure_at),
                "last_failure_at": case(
                    (stale, moment), (refused, columns.last_failure_at), else_=moment
                ),
                "last_attempt_id": case(
                    (stale, attempt_id), (refused, columns.last_attempt_id), else_=attempt_id
                ),
            },
        )
        .returning(
            columns.failures,
            columns.first_failure_at,
            columns.last_failure_at,
            columns.last_attempt_id,
        )
    )
    row = db.session.execute(statement).one()
    db.session.commit()
    return None if row.last_attempt_id == attempt_id else row


def _give_back(username: str, address: str) -> None:
    columns = SignInThrottle.__table__.c
    db.session.execute(
        update(SignInThrottle)
        .where(columns.username == username, columns.address == address[:64])
        .where(columns.failures > 0)
        .values(failures=columns.failures - 1)
    )
    db.session.commit()


def _delay(failures: int) -> timedelta:
    """How long the attempt after this many failures of a pair waits."""
    config = current_app.config
    free = config["SIGN_IN_FREE_FAILURES"]
    if failures < free:
        return timedelta(0)
    seconds = config["SIGN_IN_MAX_DELAY_SECONDS"]
    if failures - free < 30:
        seconds = min(seconds, 2 ** (failures - free + 1))
    return timedelta(seconds=seconds)


_UTC_DATETIME = UTCDateTime()


def _at(moment):
    return literal(moment, _UTC_DATETIME)


def _seconds_until(moment, now) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def _key(username: str) -> str:
    return username.strip().lower()[:80]
