"""The sign-in QR's token: an event id and a period number, signed with the app's secret.

A token is made for the current period (CHECKIN_TOKEN_PERIOD_SECONDS long) and accepted in
that period and the next one, so the code on the screen changes every period and a photo of
it stops working within two. The printed sign-in sheet carries a token without a period
(SHEET_PERIOD), accepted whenever the event's sign-in window is open.

Once a phone has opened the page with a valid token it gets a pass (`make_pass`), good for
CHECKIN_FORM_MINUTES, so typing a name takes as long as it takes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Optional

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SHEET_PERIOD = "s"
_TOKEN_SALT = b"tracker.attendance.qr"
_PASS_SALT = "tracker.attendance.pass"  # noqa: S105 (a salt, not a password)


class TokenExpired(Exception):
    """A genuine token from a period that is over."""


class TokenInvalid(Exception):
    """Not a token this tracker made."""


def period_at(now: float, period_seconds: int) -> int:
    """The number of the period that `now` (seconds since the epoch) falls in."""
    return int(now // period_seconds)


def _signature(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode() + _TOKEN_SALT, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def make_token(secret: str, event_id: int, period: int | str) -> str:
    """`<event id>.<period>.<signature>`; short, so the QR code stays coarse and easy to scan."""
    payload = f"{event_id}.{period}"
    return f"{payload}.{_signature(secret, payload)}"


def read_token(secret: str, token: str, current_period: int) -> tuple[int, bool]:
    """(event id, whether it is the printed sheet's token) of a token valid in
    `current_period`; TokenInvalid for a forged or garbled one, TokenExpired for an old one."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 12:
        raise TokenInvalid(token)
    event_text, period_text, signature = parts
    if not hmac.compare_digest(signature, _signature(secret, f"{event_text}.{period_text}")):
        raise TokenInvalid(token)
    if period_text == SHEET_PERIOD:
        return int(event_text), True
    if not period_text.isdigit():
        raise TokenInvalid(token)
    if int(period_text) not in (current_period, current_period - 1):
        raise TokenExpired(token)
    return int(event_text), False


def make_pass(secret: str, event_id: int) -> str:
    """A signed, timestamped pass for the sign-in form of a phone that scanned a valid code."""
    return URLSafeTimedSerializer(secret, salt=_PASS_SALT).dumps(event_id)


def read_pass(secret: str, value: str, max_age_seconds: int) -> Optional[int]:
    """The event id of a pass still valid; None when forged, garbled or too old."""
    try:
        event_id = URLSafeTimedSerializer(secret, salt=_PASS_SALT).loads(
            value, max_age=max_age_seconds
        )
    except (BadSignature, SignatureExpired):
        return None
    return event_id if isinstance(event_id, int) else None
