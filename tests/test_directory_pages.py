"""Directory list pages: how many visible events each entry has."""

import re

from tracker.models import Participation


def _listed_count(html: str, organization_id: int) -> int:
    row = re.search(rf'href="/organizations/{organization_id}".*?</tr>', html, re.S).group(0)
    return int(re.findall(r'<td class="number">(\d+)</td>', row)[-1])


def test_organization_list_counts_an_event_once_with_a_role_and_a_team(
    client, db, make_event, make_organization
):
    both = make_organization(name="健帆")
    team_only = make_organization(name="参赛队")
    event = make_event(title="知识竞赛", hosts=[both])
    event.participations.append(Participation(organization=both, award="冠军", rank=1))
    event.participations.append(Participation(organization=team_only))
    make_event(title="另一项活动", hosts=[both])
    db.session.commit()

    html = client.get("/organizations/").get_data(as_text=True)

    assert _listed_count(html, both.id) == 2  # 知识竞赛 once, 另一项活动
    assert _listed_count(html, team_only.id) == 1
