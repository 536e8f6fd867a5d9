"""Account operations: creating users and checking passwords."""

from typing import Optional

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.extensions import db
from tracker.models import USER_ROLES, Organization, User

MIN_PASSWORD_LENGTH = 8


class AccountError(ValueError):
    """A user-facing reason why an account operation was refused."""


def create_user(
    username: str,
    password: str,
    role: str = "coordinator",
    organization: Optional[Organization] = None,
) -> User:
    """Create an account with a hashed password; refuses duplicates and short passwords."""
    username = username.strip()
    if not username:
        raise AccountError("用户名不能为空")
    if role not in USER_ROLES:
        raise AccountError(f"未知角色：{role}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"用户名“{username}”已存在")
    user = User(
        username=username,
        password_hash=generate_password_hash(password),
        role=role,
        organization=organization,
    )
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(username: str, password: str) -> Optional[User]:
    """The enabled user with this username and password, or None."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.is_enabled:
        # Hash anyway so a missing account answers as slowly as a wrong password.
        check_password_hash(generate_password_hash("x"), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None
