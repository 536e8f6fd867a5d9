"""The headcount parser: numbers as coordinators write them, approximate forms flagged,
anything else refused (never dropped)."""

import pytest

from tracker.headcounts import HeadcountError, parse_headcount
from tracker.models import Headcount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100", Headcount(100)),
        ("１００", Headcount(100)),
        (" 100 ", Headcount(100)),
        ("1,000", Headcount(1000)),
        ("100人", Headcount(100)),
        ("0", Headcount(0)),
        ("一百", Headcount(100)),
        ("一百零五", Headcount(105)),
        ("十二", Headcount(12)),
        ("三千二百", Headcount(3200)),
        ("两万", Headcount(20000)),
        ("一万五千", Headcount(15000)),
        ("2万", Headcount(20000)),
        ("100+", Headcount(100, True)),
        ("１００＋", Headcount(100, True)),
        ("100多", Headcount(100, True)),
        ("100余", Headcount(100, True)),
        ("100余人", Headcount(100, True)),
        ("约100", Headcount(100, True)),
        ("约 100 人", Headcount(100, True)),
        ("100左右", Headcount(100, True)),
        ("100以上", Headcount(100, True)),
        ("一百多", Headcount(100, True)),
    ],
)
def test_headcounts_as_people_write_them(text, expected):
    assert parse_headcount(text) == expected


@pytest.mark.parametrize("text", ["", "   ", None])
def test_blank_is_no_headcount(text):
    assert parse_headcount(text) is None


@pytest.mark.parametrize(
    "text", ["很多", "-5", "1.5", "100-200", "一二", "百", "+", "约", "100++", "abc"]
)
def test_anything_else_is_refused(text):
    with pytest.raises(HeadcountError) as caught:
        parse_headcount(text)
    assert not caught.value.too_large


def test_a_headcount_above_the_limit_is_refused_as_too_large():
    with pytest.raises(HeadcountError) as caught:
        parse_headcount("2000000")
    assert caught.value.too_large
