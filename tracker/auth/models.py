"""Sign-in throttling counters, kept in the database so every worker process sees the same."""

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, UTCDateTime, now_utc

# The `username` of the row that counts every failure from one address, whatever the account.
WHOLE_ADDRESS = ""


class SignInThrottle(Base):
    """Failed passwords of one (account, address) pair, or of a whole address.

    One row per pair, changed only by single INSERT … ON CONFLICT DO UPDATE statements, so
    parallel attempts are counted one after the other. `last_attempt_id` names the attempt
    most recently let through: an attempt reads it back to learn whether it was admitted.
    """

    __tablename__ = "sign_in_throttles"
    __table_args__ = (UniqueConstraint("username", "address", name="uq_sign_in_throttles_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The account name as typed (stripped, lower case), or WHOLE_ADDRESS.
    username: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64), index=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    last_attempt_id: Mapped[str] = mapped_column(String(32))
