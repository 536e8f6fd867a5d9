"""The sign-in QR's token: signature, expiry after two periods, rotation; and the phone's pass."""

import pytest

from tracker.attendance import tokens

SECRET = "test-secret"


def test_a_token_reads_back_its_event_in_its_own_period():
    token = tokens.make_token(SECRET, 42, 1000)
    assert tokens.read_token(SECRET, token, 1000) == (42, False)


@pytest.mark.parametrize(
    "forged",
    [
        lambda token: token.replace("42.", "43.", 1),  # another event, same signature
        lambda token: token.replace(".1000.", ".1001.", 1),  # a later period, same signature
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: token.rsplit(".", 1)[0],  # no signature
        lambda token: "x" + token,
    ],
    ids=["event", "period", "signature", "unsigned", "garbled"],
)
def test_a_changed_token_is_refused_as_invalid(forged):
    token = tokens.make_token(SECRET, 42, 1000)
    with pytest.raises(tokens.TokenInvalid):
        tokens.read_token(SECRET, forged(token), 1000)


def test_a_token_signed_with_another_secret_is_invalid():
    token = tokens.make_token("another secret", 42, 1000)
    with pytest.raises(tokens.TokenInvalid):
        tokens.read_token(SECRET, token, 1000)


def test_a_token_is_valid_for_two_periods_then_expires():
    token = tokens.make_token(SECRET, 7, 500)
    assert tokens.read_token(SECRET, token, 500)[0] == 7
    assert tokens.read_token(SECRET, token, 501)[0] == 7
    for later in (502, 503, 10_000):
        with pytest.raises(tokens.TokenExpired):
            tokens.read_token(SECRET, token, later)
    with pytest.raises(tokens.TokenExpired):
        tokens.read_token(SECRET, token, 499)  # from the future: a clock trick, not accepted


def test_the_token_rotates_with_the_period_of_the_clock():
    period_seconds = 30
    start = 1_800_000_000  # a multiple of 30
    periods = [tokens.period_at(start + offset, period_seconds) for offset in (0, 29.9, 30, 59, 60)]
    assert periods == [60_000_000, 60_000_000, 60_000_001, 60_000_001, 60_000_002]
    made = {tokens.make_token(SECRET, 1, period) for period in periods}
    assert len(made) == 3
    # The code shown at 0 s still works at 59 s, no longer at 60 s.
    first = tokens.make_token(SECRET, 1, periods[0])
    assert tokens.read_token(SECRET, first, tokens.period_at(start + 59, period_seconds))
    with pytest.raises(tokens.TokenExpired):
        tokens.read_token(SECRET, first, tokens.period_at(start + 60, period_seconds))


def test_the_printed_sheet_token_has_no_period_but_is_signed():
    token = tokens.make_token(SECRET, 9, tokens.SHEET_PERIOD)
    assert tokens.read_token(SECRET, token, 123_456) == (9, True)
    with pytest.raises(tokens.TokenInvalid):
        tokens.read_token(SECRET, token.replace("9.", "8.", 1), 123_456)


def test_the_phone_pass_is_signed_and_expires(monkeypatch):
    value = tokens.make_pass(SECRET, 5)
    assert tokens.read_pass(SECRET, value, 600) == 5
    assert tokens.read_pass("another secret", value, 600) is None
    assert tokens.read_pass(SECRET, value[:-3] + "abc", 600) is None
    import itsdangerous.timed

    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 601)
    assert tokens.read_pass(SECRET, value, 600) is None
