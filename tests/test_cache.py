"""Cached feeds and statistics are thrown away as soon as the data they show changes."""

import re

from tracker.cache import BoundedCache, data_version
from tracker.directory.services import save_entry
from tracker.models import Organization


def activities_total(client) -> int:
    """The 活动 figure of the totals on /stats/ for 2019."""
    html = client.get("/stats/?from=2019-01-01&to=2019-12-31").get_data(as_text=True)
    return int(re.search(r"<dt>活动</dt><dd>(\d+)<small>", html).group(1))


def test_data_version_moves_on_edit_and_on_directory_rename(db, make_event, make_user):
    before = data_version().key
    event = make_event()
    after_create = data_version().key
    assert after_create != before
    event.title = "改了标题"
    db.session.commit()
    assert data_version().key != after_create
    admin = make_user(role="admin")
    organization_version = data_version().key

    organization = Organization(name="旧名称", kind="community")
    db.session.add(organization)
    db.session.commit()
    save_entry(organization, {"name": "新名称"}, admin)
    assert data_version().key != organization_version


def test_statistics_page_shows_a_new_event_at_once(client, make_event):
    make_event(title="第一项")
    assert activities_total(client) == 1
    assert activities_total(client) == 1  # served from the cache
    make_event(title="第二项")
    assert activities_total(client) == 2


def test_bounded_cache_evicts_the_least_recently_used_and_checks_versions():
    cache = BoundedCache(max_entries=2)
    cache.put("a", "v1", 1)
    cache.put("b", "v1", 2)
    assert cache.get("a", "v1") == 1  # a is now the most recent
    cache.put("c", "v1", 3)
    assert cache.get("b", "v1") is None
    assert cache.get("a", "v1") == 1
    assert cache.get("a", "v2") is None  # made for another version of the data
    sized = BoundedCache(max_entries=10, max_size=10, size_of=len)
    sized.put("big", "v", "x" * 11)
    assert len(sized) == 0
