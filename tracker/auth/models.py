"""Failed sign-ins, kept in the database so every worker process sees the same count."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, UTCDateTime, now_utc


class SignInFailure(Base):
    """One refused password, by account name and by network address."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
