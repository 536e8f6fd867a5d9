"""Reading a headcount the way coordinators write it: 100, １００, 100+, 100多, 100余, 约100,
100左右, 一百, 一百多人, 2万…

Approximate forms (a "+", 多, 余, 以上, 左右, 约, 近…) give an approximate Headcount; text
that is not a headcount raises HeadcountError rather than being dropped.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Optional

from tracker.models import Headcount

MAX_HEADCOUNT = 1_000_000

# Words around the number that only say "people" (100人, 100名学生 is not a headcount).
PEOPLE_SUFFIXES = ("人次", "余人", "多人", "人", "名", "位")
APPROXIMATE_PREFIXES = ("大约", "约为", "超过", "约", "近", "逾", "超")
APPROXIMATE_SUFFIXES = ("以上", "左右", "上下", "多", "余", "+")

CHINESE_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "壹": 1,
    "二": 2,
    "两": 2,
    "贰": 2,
    "三": 3,
    "叁": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
CHINESE_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
TEN_THOUSAND = ("万", "萬")
ARABIC = re.compile(r"\d{1,3}(?:,\d{3})+|\d+")
ARABIC_WITH_UNIT = re.compile(r"(\d+)([十百千万萬])")


class HeadcountError(ValueError):
    """The text is not a headcount this parser understands (`too_large`: it is one, but
    above MAX_HEADCOUNT)."""

    def __init__(self, text: object, too_large: bool = False):
        super().__init__(text)
        self.too_large = too_large


def parse_headcount(text: Optional[str]) -> Optional[Headcount]:
    """The headcount `text` gives, or None when it is blank; HeadcountError otherwise."""
    # NFKC folds full-width digits and signs (１００＋) into ASCII ones.
    cleaned = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    if not cleaned:
        return None
    approximate = False
    for prefix in APPROXIMATE_PREFIXES:
        if cleaned.startswith(prefix):
            cleaned, approximate = cleaned[len(prefix) :], True
            break
    for suffix in PEOPLE_SUFFIXES:
        if cleaned.endswith(suffix) and len(cleaned) > len(suffix):
            if suffix in ("余人", "多人"):
                approximate = True
            cleaned = cleaned[: -len(suffix)]
            break
    for suffix in APPROXIMATE_SUFFIXES:
        if cleaned.endswith(suffix) and len(cleaned) > len(suffix):
            cleaned, approximate = cleaned[: -len(suffix)], True
            break
    value = _number(cleaned)
    if value is None:
        raise HeadcountError(text)
    if value > MAX_HEADCOUNT:
        raise HeadcountError(text, too_large=True)
    return Headcount(value, approximate)


def _number(text: str) -> Optional[int]:
    """A whole number in Arabic digits ("1,000" too), Chinese numerals, or digits with a
    Chinese unit ("2万"); None when the text is none of these."""
    if ARABIC.fullmatch(text):
        return int(text.replace(",", "")) if len(text) <= 12 else None
    unit = ARABIC_WITH_UNIT.fullmatch(text)
    if unit and len(unit.group(1)) <= 7:
        multiplier = 10_000 if unit.group(2) in TEN_THOUSAND else CHINESE_UNITS[unit.group(2)]
        return int(unit.group(1)) * multiplier
    return _chinese_number(text)


def _chinese_number(text: str) -> Optional[int]:
    """一百, 一百零五, 十二, 三千二百, 两万, 一万五千… up to 万 (and 万 of 万)."""
    if not text or any(
        char not in CHINESE_DIGITS and char not in CHINESE_UNITS and char not in TEN_THOUSAND
        for char in text
    ):
        return None
    total = section = digit = 0
    previous_unit = None
    pending = False  # a digit not yet taken by a unit: 一二 is not a number
    for char in text:
        if char in CHINESE_DIGITS:
            if pending:
                return None
            digit = CHINESE_DIGITS[char]
            pending = digit != 0
        elif char in CHINESE_UNITS:
            unit = CHINESE_UNITS[char]
            if previous_unit is not None and unit >= previous_unit and digit == 0:
                return None  # 百十, 千千: not a number
            if digit == 0 and unit != 10:
                return None  # 百, 千 without a digit
            section += (digit or 1) * unit
            digit, previous_unit, pending = 0, unit, False
        else:
            if section == 0 and digit == 0 and total == 0:
                return None
            total = (total + section + digit) * 10_000
            section = digit = 0
            previous_unit, pending = None, False
    return total + section + digit
