"""Award levels from the words coordinators write (冠军, 桂冠（一等奖）, 二等奖…)."""

from __future__ import annotations

from typing import Optional

# Words by level, tried in this order: 特等 before 一等, 一等 before 二等…
AWARD_WORDS = (
    ("special", ("特等",)),
    ("first", ("一等", "冠军", "桂冠", "金奖", "第一名")),
    ("second", ("二等", "亚军", "银奖", "第二名")),
    ("third", ("三等", "季军", "铜奖", "第三名")),
    ("merit", ("优秀", "鼓励", "入围")),
)


def guess_award_level(text: Optional[str]) -> Optional[str]:
    """The level an award text names, "other" for an award of no known level, None for no
    award. The same words map the free texts saved before levels existed (migration 0013)."""
    if not text or not text.strip():
        return None
    for level, words in AWARD_WORDS:
        if any(word in text for word in words):
            return level
    return "other"
