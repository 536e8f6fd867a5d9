"""The subscribe page's ready-made feeds: the ten most used entries of any filter (category,
organisation, location, campaign), never a link for every entry."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.directory.lookup import LOOKUP_KINDS, entries_of
from tracker.events.queries import ID_FILTERS
from tracker.feeds.services import external_url, webcal_url

READY_MADE_FEEDS = 10


@dataclass(frozen=True)
class ReadyMadeFeed:
    name: str  # 类别：主题党日
    activities: int
    https: str
    webcal: str


def ready_made_feeds(limit: int = READY_MADE_FEEDS) -> list[ReadyMadeFeed]:
    """The `limit` public feeds of one entry with the most public activities (ties: in the
    filters' declared order, then by name); names in Chinese, as the feeds name themselves."""
    candidates = []
    for order, id_filter in enumerate(ID_FILTERS):
        for entry in entries_of(LOOKUP_KINDS[id_filter.name], include_internal=False)[:limit]:
            candidates.append((-entry.activities, order, entry.name, id_filter, entry))
    candidates.sort(key=lambda candidate: candidate[:3])
    feeds = []
    for _activities, _order, name, id_filter, entry in candidates[:limit]:
        https = external_url("feeds.calendar", **{id_filter.name: entry.id})
        feeds.append(
            ReadyMadeFeed(f"{id_filter.label}：{name}", entry.activities, https, webcal_url(https))
        )
    return feeds
