"""A data set of the shape the page budget is set for (issue 16): 10,000 events, 10,000
locations, 2,000 organisations and 10,000 people, written by bulk inserts in a few seconds.

The kept per-event figures and organisation involvements are written with the rows (what
`recount_all_event_figures` would compute for them). One month (June 2019) is crowded, as
imports make them: every sixth event falls in it, a few dozen a day. Shared by
tests/test_page_budget.py and bench/page_budget.py.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from tracker.events.search import refresh_search_texts
from tracker.models import (
    Campaign,
    Category,
    Event,
    EventOrganization,
    Location,
    Organization,
    OrganizationInvolvement,
    Participation,
    Person,
    Stop,
)

TITLES = ["主题党日", "“红色经典”读书分享会", "走访慰问困难党员", "安全生产宣传教育", "银企对接会"]
DISTRICTS = ["香洲区", "金湾区", "斗门区", "高新区", "横琴新区"]
CROWDED_MONTH = "2019-06"


def build_scale_data(
    connection,
    events: int = 10_000,
    locations: int = 10_000,
    organizations: int = 2_000,
    people: int = 10_000,
) -> None:
    """Insert the data set into empty tables (ids from 1) and fill the kept figures."""
    now = datetime.now(UTC)
    connection.execute(
        insert(Category),
        [
            {"id": n, "slug": f"c{n}", "name_zh": f"类别{n}", "name_en": f"Kind {n}"}
            for n in range(1, 10)
        ],
    )
    connection.execute(insert(Campaign), [{"id": n, "name": f"专项活动{n}"} for n in range(1, 21)])
    connection.execute(
        insert(Organization),
        [
            {
                "id": n,
                "name": f"{DISTRICTS[n % 5]}第{n}党支部",
                "short_name": f"{n}支部",
                "kind": "party_branch",
                "created_at": now,
            }
            for n in range(1, organizations + 1)
        ],
    )
    connection.execute(
        insert(Location),
        [
            {
                "id": n,
                "name": f"{DISTRICTS[n % 5]}社区服务中心{n}号",
                "address": f"珠海市{DISTRICTS[n % 5]}某路{n}号",
                "city": "珠海",
                "created_at": now,
            }
            for n in range(1, locations + 1)
        ],
    )
    connection.execute(
        insert(Person),
        [
            {
                "id": n,
                "name": f"党员{n}",
                "organization_id": n % organizations + 1,
                "title": "党员",
                "is_party_member": True,
                "phone": f"138{n:08d}",
                "created_at": now,
            }
            for n in range(1, people + 1)
        ],
    )
    crowded = datetime(2019, 6, 1, 1, tzinfo=UTC)
    spread = datetime(2019, 1, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(1, events + 1):
        if n % 6 == 0:
            starts_at = crowded + timedelta(minutes=(n // 6) * 25)
        else:
            starts_at = spread + timedelta(hours=(n * 97) % (12 * 365 * 24))
        recurring = n % 500 == 0
        rows.append(
            {
                "id": n,
                "uid": f"{uuid.UUID(int=n)}@scale",
                "title": f"{TITLES[n % 5]}（第{n}期）",
                "description": "不忘初心、牢记使命。组织党员参观学习，交流学习体会。",
                "theme": "防风险、除隐患、遏事故" if n % 3 == 0 else None,
                "category_id": n % 9 + 1,
                "campaign_id": n % 20 + 1 if n % 4 == 0 else None,
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(hours=2),
                "series_ends_at": None if recurring else starts_at + timedelta(hours=2),
                "timezone": "Asia/Shanghai",
                "is_all_day": False,
                "recurrence_rule": "FREQ=WEEKLY;BYDAY=WE" if recurring else None,
                "status": "confirmed",
                "visibility": "internal" if n % 41 == 0 else "public",
                "headcount": 100 if n % 2 else None,
                "headcount_is_approximate": n % 4 == 1,
                "sequence": 0,
                "version": 1,
                "created_at": now,
                "updated_at": now - timedelta(seconds=n),
                # The kept figures of one attended participation and no organisation headcount
                # (written here: recounting 10,000 events takes seconds on PostgreSQL).
                "participation_count": 1,
                "attended_count": 1,
            }
        )
    connection.execute(insert(Event), rows)
    connection.execute(
        insert(Stop),
        [
            {"event_id": n, "location_id": (n * 7) % locations + 1, "position": 0}
            for n in range(1, events + 1)
        ],
    )
    connection.execute(
        insert(EventOrganization),
        [
            {
                "event_id": n,
                "organization_id": (n * 3 + offset) % organizations + 1,
                "role": "host" if offset == 0 else "co_organizer",
                "position": offset,
            }
            for n in range(1, events + 1)
            for offset in range(2)
        ],
    )
    connection.execute(
        insert(Participation),
        [
            {
                "event_id": n,
                "person_id": n % people + 1,
                "role": "participant",
                "attended": True,
                "position": 0,
            }
            for n in range(1, events + 1)
        ],
    )
    connection.execute(
        insert(OrganizationInvolvement),
        [
            {
                "event_id": n,
                "organization_id": (n * 3 + offset) % organizations + 1,
                "hosted": offset == 0,
                "co_organized": offset == 1,
                "took_part": False,
            }
            for n in range(1, events + 1)
            for offset in range(2)
        ],
    )
    refresh_search_texts(connection)
