"""The report's activities as demo data, loaded by `flask --app wsgi demo load`.

The data is declared below as plain structures: categories, organisations, locations,
the 安全生产月 campaign and the events with their itineraries, organisations' roles and
contest teams. `load_demo_data()` get-or-creates every row (organisations and locations
by name, categories by slug, the campaign by name, events by a UID derived from a fixed
key), so running it again creates nothing and changes nothing. All of it is saved in one
transaction.

Where the report leaves something out, the data says so rather than filling it in:
approximate dates are flagged and noted; institutions, teams and villages the report counts
without naming them are counts on their role ("参赛队 10 支（具名 3 支）"), not invented
organisations; places carry no address the report does not give.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tracker.directory.services import find_or_add
from tracker.events.fields import (
    EntryRef,
    EventInput,
    OrganizationRow,
    ParticipationRow,
    StopRow,
    segment,
)
from tracker.events.services import EventBatch
from tracker.extensions import db
from tracker.models import (
    DEFAULT_TIMEZONE,
    Campaign,
    Category,
    Event,
    Location,
    Organization,
)
from tracker.models.events import UID_DOMAIN

APPROXIMATE_DATE_NOTE = "日期为估计（报道未给出具体日期）"
UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, f"demo.{UID_DOMAIN}")


@dataclass(frozen=True)
class CategoryData:
    slug: str
    name_zh: str
    name_en: str
    color: str


@dataclass(frozen=True)
class OrganizationData:
    name: str
    kind: str
    short_name: Optional[str] = None
    parent: Optional[str] = None
    description: Optional[str] = None


@dataclass(frozen=True)
class LocationData:
    name: str
    city: str
    address: Optional[str] = None
    latitude: Optional[float] = None
    longitude: Optional[float] = None


@dataclass(frozen=True)
class CampaignData:
    name: str
    theme: str
    starts_on: date
    ends_on: date
    description: str


CATEGORIES = [
    CategoryData("party-day", "主题党日", "Party day", "#c0392b"),
    CategoryData("reading", "读书学习", "Study & reading", "#8e44ad"),
    CategoryData("visit", "走访慰问", "Visits", "#d35400"),
    CategoryData("study-tour", "参观学习", "Study visit", "#a0522d"),
    CategoryData("safety", "安全生产", "Work safety", "#e67e22"),
    CategoryData("contest", "知识竞赛", "Knowledge contest", "#2980b9"),
    CategoryData("finance", "银企对接", "Bank–enterprise matchmaking", "#16a085"),
    CategoryData("grid", "网格走访", "Grid visits", "#27ae60"),
    CategoryData("meetings", "三会一课", "Party meetings", "#7f1d1d"),
]

SAFETY_MONTH = '第18个全国"安全生产月"'

CAMPAIGNS = [
    CampaignData(
        name=SAFETY_MONTH,
        theme="防风险、除隐患、遏事故",
        starts_on=date(2019, 6, 1),
        ends_on=date(2019, 6, 30),
        description="2019年6月全国安全生产月，各单位开展安全生产宣传教育活动。",
    ),
]

NAMED_EXHIBITORS = ("横琴金投租赁", "华通金融租赁", "华金担保", "粤财担保", "建设银行", "广发银行")
JIANFAN = "健帆生物科技集团股份有限公司"
EMERSON = "艾默生电气（珠海）有限公司"
TENGJIA = "珠海藤佳能源有限公司"
UNION = "高新区总工会"
SAFETY_BUREAU = "高新区安监局"
EDUCATION_BUREAU = "高新区教育局"

ORGANIZATIONS = [
    OrganizationData("党政办", "government", description="党政办公室。"),
    OrganizationData("党政办第二党支部", "party_branch", parent="党政办"),
    OrganizationData("金鼎社区卫生服务中心党支部", "party_branch"),
    OrganizationData("扶贫办", "government", description="扶贫开发工作办公室。"),
    OrganizationData("派驻化州市扶贫工作组", "government", description="派驻化州市的扶贫工作组。"),
    OrganizationData("高坡村", "community", description="化州市的省定贫困村。"),
    OrganizationData("鸡山社区党组织", "party_committee"),
    OrganizationData("后环社区党委", "party_committee"),
    OrganizationData("高新区发展改革和财政金融局", "government"),
    OrganizationData("横琴新区金融管理局", "government"),
    OrganizationData(SAFETY_BUREAU, "government", short_name="安监局"),
    OrganizationData(EDUCATION_BUREAU, "government", short_name="教育局"),
    OrganizationData(UNION, "social", short_name="总工会"),
    OrganizationData("金峰学校", "school"),
    OrganizationData(JIANFAN, "enterprise", short_name="健帆"),
    OrganizationData("北京理工大学珠海学院", "school"),
    OrganizationData(EMERSON, "enterprise", short_name="艾默生电气"),
    OrganizationData(TENGJIA, "enterprise", short_name="藤佳能源"),
    *(OrganizationData(name, "financial") for name in NAMED_EXHIBITORS),
]

LOCATIONS = [
    LocationData("苏兆征故居陈列馆", "珠海"),
    LocationData("会同书店", "珠海"),
    LocationData("高坡村", "化州市"),
    LocationData("广州辛亥革命纪念馆", "广州"),
    LocationData("广州起义纪念馆", "广州"),
    LocationData("周文雍、陈铁军烈士纪念馆", "开平"),
    LocationData('"港湾1号"科创园', "珠海"),
    LocationData("金峰学校", "珠海"),
    LocationData(JIANFAN, "珠海"),
]


def _local(local_time: str) -> datetime:
    """'2019-06-14 14:30' in Asia/Shanghai as an aware UTC datetime."""
    naive = datetime.fromisoformat(local_time)
    return naive.replace(tzinfo=ZoneInfo(DEFAULT_TIMEZONE)).astimezone(UTC)


def _category_ref(slug: str) -> EntryRef:
    return EntryRef(Category, {"slug": slug})


def _stop(location: str, note: Optional[str] = None) -> StopRow:
    return StopRow(location=EntryRef(Location, {"name": location}), note=note)


def _team(organization: str, award_level: str, award: str, rank: int) -> ParticipationRow:
    """A contest team: an organisation taking part, with the award it won."""
    return ParticipationRow(
        person=None,
        organization=EntryRef(Organization, {"name": organization}),
        award_level=award_level,
        award=award,
        rank=rank,
    )


def _demo_event(
    key: str,
    *,
    hosts: tuple[str, ...] = (),
    co_organizers: tuple[str, ...] = (),
    participants: tuple[str, ...] = (),
    exhibitors: tuple[str, ...] = (),
    villages: tuple[str, ...] = (),
    teams: tuple[ParticipationRow, ...] = (),
    stops: tuple[StopRow, ...] = (),
    **values,
) -> EventInput:
    """One activity of the report; organisations' roles by name, dates flagged approximate
    unless the values say otherwise."""
    roles = (
        ("host", hosts),
        ("co_organizer", co_organizers),
        ("participant", participants),
        ("exhibitor", exhibitors),
        ("village", villages),
    )
    organizations = [
        OrganizationRow(EntryRef(Organization, {"name": name}), role)
        for role, names in roles
        for name in names
    ]
    values = {"date_is_approximate": True, "notes": APPROXIMATE_DATE_NOTE} | values
    return EventInput(
        uid=demo_uid(key),
        organizations=organizations,
        participants=list(teams),
        stops=list(stops),
        **values,
    )


def demo_uid(key: str) -> str:
    """The stable UID of a demo event, the same on every machine and every run."""
    return f"{uuid.uuid5(UID_NAMESPACE, key)}@{UID_DOMAIN}"


CONTEST_ROUNDS = (
    "安全知识必答题",
    "安全谜语竞猜",
    "看图片识别隐患",
    "看视频识隐患",
    "穿戴安全带比赛",
)
SAFETY_THEME = "防风险、除隐患、遏事故"

EVENTS = [
    _demo_event(
        "party-day-dangzhengban-branch-2",
        title="党政办第二党支部主题党日",
        category=_category_ref("party-day"),
        starts_at=_local("2019-06-14 14:30"),
        ends_at=_local("2019-06-14 17:00"),
        description="党政办第二党支部到苏兆征故居陈列馆开展主题党日活动。",
        hosts=("党政办第二党支部",),
        stops=(_stop("苏兆征故居陈列馆"),),
    ),
    _demo_event(
        "reading-jinding-health-centre",
        title='"红色经典"读书分享会',
        category=_category_ref("reading"),
        starts_at=_local("2019-06-21 15:00"),
        ends_at=_local("2019-06-21 17:00"),
        description="金鼎社区卫生服务中心党支部在会同书店举办“红色经典”读书分享会。",
        hosts=("金鼎社区卫生服务中心党支部",),
        stops=(_stop("会同书店"),),
    ),
    _demo_event(
        "visits-huazhou-party-members",
        title="走访慰问困难党员和老党员",
        category=_category_ref("visit"),
        starts_at=_local("2019-07-01 08:30"),
        ends_at=_local("2019-07-01 17:30"),
        description="建党98周年之际，扶贫办与派驻化州市扶贫工作组走访慰问化州市11个省定贫困村"
        "的困难党员和老党员。",
        hosts=("扶贫办", "派驻化州市扶贫工作组"),
        villages=("高坡村",),
        village_total=11,
        stops=(_stop("高坡村"),),
        notes="日期为估计：报道只说在建党98周年（2019年7月1日）前后。报道只点名高坡村。",
    ),
    _demo_event(
        "party-day-jishan-community",
        title="鸡山社区党组织主题教育党日",
        category=_category_ref("party-day"),
        starts_at=_local("2019-06-29 08:00"),
        ends_at=_local("2019-06-29 18:00"),
        description="鸡山社区党组织50名党员赴广州，先后参观广州辛亥革命纪念馆和广州起义纪念馆。",
        theme="不忘初心、牢记使命",
        hosts=("鸡山社区党组织",),
        stops=(
            _stop("广州辛亥革命纪念馆"),
            _stop("广州起义纪念馆"),
        ),
        reported_headcount=50,
    ),
    _demo_event(
        "study-tour-houhuan-community",
        title="后环社区党委参观学习",
        category=_category_ref("study-tour"),
        starts_at=_local("2019-07-05 08:00"),
        ends_at=_local("2019-07-05 17:30"),
        description="后环社区党委组织全体党员到开平周文雍、陈铁军烈士纪念馆参观学习"
        "（报道未给出人数）。",
        hosts=("后环社区党委",),
        stops=(_stop("周文雍、陈铁军烈士纪念馆"),),
    ),
    _demo_event(
        "finance-fair-shuangzi-liandong",
        title='"双自联动"银企对接会',
        category=_category_ref("finance"),
        starts_at=_local("2019-06-26 14:00"),
        ends_at=_local("2019-06-26 17:30"),
        description="高新区发展改革和财政金融局与横琴新区金融管理局在“港湾1号”科创园举办"
        "“双自联动”银企对接会，100余名代表参加；9家金融机构设展位、作路演，"
        "随后银企一对一对接。",
        hosts=("高新区发展改革和财政金融局", "横琴新区金融管理局"),
        exhibitors=NAMED_EXHIBITORS,
        exhibitor_total=9,
        programme=[segment("金融机构路演"), segment("银企一对一对接")],
        stops=(_stop('"港湾1号"科创园'),),
        reported_headcount=100,
        reported_headcount_is_approximate=True,
        outcome="部分企业与金融机构达成初步合作意向，后续将作进一步的信贷申请。",
    ),
    _demo_event(
        "safety-month-jinfeng-school",
        title="安全生产宣传教育走进金峰学校",
        category=_category_ref("safety"),
        campaign=EntryRef(Campaign, {"name": SAFETY_MONTH}),
        starts_at=_local("2019-06-12 09:00"),
        ends_at=_local("2019-06-12 11:30"),
        description="高新区安监局、高新区教育局、高新区总工会走进金峰学校开展安全生产宣传教育，"
        "100名学生参加，开展“四个一”活动。\n"
        "地震避险与疏散：七步曲、五步曲，防踩踏十二字要诀；\n"
        "火灾自救：匍匐前进、称人结、防毒面具、灭火器；\n"
        "伤口处理与包扎。",
        theme=SAFETY_THEME,
        hosts=(SAFETY_BUREAU, EDUCATION_BUREAU, UNION),
        participants=("金峰学校",),
        programme=[
            segment("一本安全读本"),
            segment("一项自救技能"),
            segment("一次安全户外演练"),
            segment("一次隐患排查"),
        ],
        stops=(_stop("金峰学校"),),
        reported_headcount=100,
    ),
    _demo_event(
        "contest-ankang-cup",
        title='"安康杯"安全生产知识竞赛',
        category=_category_ref("contest"),
        starts_at=_local("2019-06-20 14:00"),
        ends_at=_local("2019-06-20 17:30"),
        description="高新区总工会、高新区安监局主办，健帆生物科技集团股份有限公司、"
        "北京理工大学珠海学院协办。来自企业和高校的10支参赛队经过五轮比拼决出名次。",
        theme=SAFETY_THEME,
        hosts=(UNION, SAFETY_BUREAU),
        co_organizers=(JIANFAN, "北京理工大学珠海学院"),
        teams=(
            _team(JIANFAN, "first", "冠军", 1),
            _team(EMERSON, "second", "二等奖", 2),
            _team(TENGJIA, "second", "二等奖", 2),
        ),
        team_total=10,
        programme=[segment(title) for title in CONTEST_ROUNDS],
        stops=(_stop(JIANFAN),),
        outcome=f"{JIANFAN}代表队摘得桂冠；{EMERSON}、{TENGJIA}代表队获二等奖。",
    ),
    _demo_event(
        "recurring-party-meeting",
        title='"三会一课"支部党员大会',
        category=_category_ref("meetings"),
        starts_at=_local("2019-06-07 15:00"),
        ends_at=_local("2019-06-07 16:30"),
        description="“三会一课”制度中的支部党员大会，每月第一个周五召开。",
        recurrence_rule="FREQ=MONTHLY;BYDAY=1FR",
        notes="例行工作，无结束日期。" + APPROXIMATE_DATE_NOTE,
    ),
    _demo_event(
        "recurring-grid-visits",
        title="网格员每周走访",
        category=_category_ref("grid"),
        starts_at=_local("2019-06-05 09:00"),
        ends_at=_local("2019-06-05 11:30"),
        description="网格员每周三上午走访网格内居民。",
        recurrence_rule="FREQ=WEEKLY;BYDAY=WE",
        notes="例行工作，无结束日期。" + APPROXIMATE_DATE_NOTE,
    ),
]


DEMO_UIDS = [values.uid for values in EVENTS]


def load_demo_data() -> int:
    """Load the report's activities in one transaction; return how many events were created.

    Rows that already exist are left as they are, so a second run changes nothing. The events
    are saved by the event services, as the form and the importer save theirs.
    """
    session = db.session
    try:
        for data in CATEGORIES:
            _category(data)
        for data in CAMPAIGNS:
            _campaign(data)
        organizations: dict[str, Organization] = {}
        for data in ORGANIZATIONS:
            organizations[data.name] = _organization(data, organizations)
        for data in LOCATIONS:
            _location(data)
        session.flush()
        known = set(session.scalars(select(Event.uid).where(Event.uid.in_(DEMO_UIDS))))
        batch = EventBatch(None, claim_new_entries=False)
        created = 0
        for values in EVENTS:
            if values.uid not in known:
                batch.create(values)
                created += 1
        batch.commit()
    except Exception:
        session.rollback()
        raise
    from tracker.media.demo_photos import load_demo_photos  # noqa: PLC0415 (imports demo)

    load_demo_photos()
    return created


def _category(data: CategoryData) -> Category:
    return find_or_add(
        Category,
        {"name_zh": data.name_zh},
        fallback={"slug": data.slug},
        defaults={"name_en": data.name_en, "color": data.color},
    )


def _campaign(data: CampaignData) -> Campaign:
    details = asdict(data)
    return find_or_add(Campaign, {"name": details.pop("name")}, defaults=details)


def _organization(data: OrganizationData, known: dict[str, Organization]) -> Organization:
    return find_or_add(
        Organization,
        {"name": data.name},
        defaults={
            "short_name": data.short_name,
            "kind": data.kind,
            "parent": known[data.parent] if data.parent else None,
            "description": data.description,
        },
    )


def _location(data: LocationData) -> Location:
    details = asdict(data)
    return find_or_add(Location, {"name": details.pop("name")}, defaults=details)
