"""Forms to create and edit organisations, people, locations, categories and campaigns."""

import pytest
from sqlalchemy import func, select

from tracker.directory.services import find_or_add
from tracker.models import AuditEntry, Campaign, Category, Location, Organization, Person


@pytest.fixture
def admin(make_user, sign_in):
    """An admin may write every kind of entry anywhere (tests/test_permissions.py: who else)."""
    user = make_user("admin", role="admin")
    sign_in(user)
    return user


@pytest.fixture
def post_form(client, csrf_token):
    def post(path, data):
        return client.post(path, data={**data, "csrf_token": csrf_token(path)})

    return post


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("path", "data", "model", "shown"),
    [
        (
            "/organizations/new",
            {"name": "北京理工大学珠海学院", "kind": "school", "short_name": "北理珠"},
            Organization,
            "北理珠",
        ),
        (
            "/locations/new",
            {"name": "苏兆征故居陈列馆", "city": "珠海", "latitude": "22.4", "longitude": "113.6"},
            Location,
            "22.40000",
        ),
        (
            "/people/new",
            {"name": "张三", "title": "党员", "is_party_member": "y", "phone": "0756-1234567"},
            Person,
            "0756-1234567",
        ),
        (
            "/categories/new",
            {"name_zh": "知识竞赛", "name_en": "Contest", "slug": "contest", "color": "#aa3300"},
            Category,
            "Contest",
        ),
        (
            "/campaigns/new",
            {
                "name": "第18个全国安全生产月",
                "theme": "防风险、除隐患、遏事故",
                "starts_on": "2019-06-01",
                "ends_on": "2019-06-30",
            },
            Campaign,
            "防风险、除隐患、遏事故",
        ),
    ],
)
def test_admin_creates_each_kind_of_entry(client, admin, post_form, db, path, data, model, shown):
    response = post_form(path, data)
    assert response.status_code == 302
    assert count(db, model) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert shown in page and "已保存" in page
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "create")).all()
    assert [item.entity_type for item in entry if item.entity_type != "user"] == [
        model.__name__.lower()
    ]


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("/organizations/new", {"name": "", "kind": "school"}, "请填写此项"),
        ("/organizations/new", {"name": "甲" * 201, "kind": "school"}, "不能超过 200 个字符"),
        ("/organizations/new", {"name": "某单位", "kind": "club"}, "所选项无效"),
        (
            "/organizations/new",
            {"name": "某单位", "kind": "school", "parent": "777"},
            "所选项目不存在",
        ),
        ("/locations/new", {"name": "某地", "latitude": "22.4"}, "纬度和经度需要同时填写"),
        (
            "/locations/new",
            {"name": "某地", "latitude": "95", "longitude": "1"},
            "纬度应在 -90 到 90",
        ),
        ("/locations/new", {"name": "某地", "latitude": "北纬", "longitude": "1"}, "请输入数字"),
        ("/people/new", {"name": "张三", "email": "not-an-address"}, "邮箱地址格式不正确"),
        ("/people/new", {"name": "张三", "organization": "777"}, "所选项目不存在"),
        (
            "/categories/new",
            {"name_zh": "竞赛", "name_en": "Contest", "slug": "Big Contest", "color": "#aa3300"},
            "代码只能包含小写字母、数字和连字符",
        ),
        (
            "/categories/new",
            {"name_zh": "竞赛", "name_en": "Contest", "slug": "contest", "color": "red"},
            "颜色应为 #RRGGBB 格式",
        ),
        (
            "/campaigns/new",
            {"name": "安全生产月", "starts_on": "2019-06-30", "ends_on": "2019-06-01"},
            "结束日期不能早于开始日期",
        ),
    ],
)
def test_invalid_entries_get_chinese_messages_and_are_not_saved(
    client, admin, post_form, db, path, data, message
):
    response = post_form(path, data)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in text
    for model in (Organization, Location, Person, Category, Campaign):
        assert count(db, model) == 0


def test_duplicate_names_are_refused(client, admin, post_form, db, make_organization):
    make_organization(name="总工会")
    response = post_form("/organizations/new", {"name": "总工会", "kind": "social"})
    assert "已存在同名条目" in response.get_data(as_text=True)
    assert count(db, Organization) == 1


def test_editing_an_organization_records_what_changed(
    client, admin, post_form, db, make_organization
):
    parent = make_organization(name="党政办", kind="government")
    branch = make_organization(name="第二党支部", kind="party_branch")
    page = client.get(f"/organizations/{branch.id}/edit").get_data(as_text=True)
    assert 'value="第二党支部"' in page
    response = post_form(
        f"/organizations/{branch.id}/edit",
        {"name": "党政办第二党支部", "kind": "party_branch", "parent": str(parent.id)},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (branch.name, branch.parent_id) == ("党政办第二党支部", parent.id)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "edit")).one()
    assert entry.changes == {
        "name": ["第二党支部", "党政办第二党支部"],
        "parent": [None, "党政办"],
    }


def test_an_organization_cannot_be_placed_under_its_own_branch(
    client, admin, post_form, db, make_organization
):
    parent = make_organization(name="党委")
    child = make_organization(name="支部", parent=parent)
    response = post_form(
        f"/organizations/{parent.id}/edit",
        {"name": "党委", "kind": "community", "parent": str(child.id)},
    )
    assert "上级组织不能是它自己或它的下级组织" in response.get_data(as_text=True)
    db.session.expire_all()
    assert parent.parent_id is None


def test_keeping_its_own_name_is_not_a_duplicate(client, admin, post_form, db, make_location):
    location = make_location(name="会同书店", city="珠海")
    response = post_form(f"/locations/{location.id}/edit", {"name": "会同书店", "city": "珠海市"})
    assert response.status_code == 302
    db.session.expire_all()
    assert location.city == "珠海市"


@pytest.mark.parametrize(
    "path",
    [
        "/organizations/new",
        "/locations/new",
        "/people/new",
        "/categories/new",
        "/campaigns/new",
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in_and_nothing_is_created(
    client, csrf_token, db, path
):
    assert "/login" in client.get(path).headers["Location"]
    response = client.post(
        path, data={"name": "某单位", "kind": "school", "csrf_token": csrf_token()}
    )
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert count(db, Organization) == 0


def test_directory_pages_offer_new_and_edit_buttons_only_to_those_who_may(
    client, make_user, sign_in, make_organization, csrf_token
):
    organization = make_organization(name="总工会")
    assert "/organizations/new" not in client.get("/organizations/").get_data(as_text=True)
    sign_in(make_user(organization=make_organization(name="别的单位")))
    assert "/organizations/new" in client.get("/organizations/").get_data(as_text=True)
    page = client.get(f"/organizations/{organization.id}").get_data(as_text=True)
    assert f"/organizations/{organization.id}/edit" not in page
    client.post("/logout", data={"csrf_token": csrf_token("/logout")})
    sign_in(make_user(organization=organization))
    assert "/organizations/new" in client.get("/organizations/").get_data(as_text=True)
    page = client.get(f"/organizations/{organization.id}").get_data(as_text=True)
    assert f"/organizations/{organization.id}/edit" in page


def test_post_without_csrf_token_creates_nothing(client, admin, db):
    response = client.post("/organizations/new", data={"name": "某单位", "kind": "school"})
    assert response.status_code == 400
    assert count(db, Organization) == 0


def test_find_or_add_matches_then_falls_back_then_adds_once_per_batch(db, make_category):
    existing = make_category(slug="party-day", name_zh="主题党日")
    by_slug = find_or_add(
        Category,
        {"name_zh": "党日活动"},
        fallback={"slug": "party-day"},
        defaults={"name_en": "x", "color": "#000000"},
    )
    assert by_slug is existing and by_slug.name_zh == "主题党日"  # an entry keeps its details
    memo = {}
    with db.session.no_autoflush:
        added = find_or_add(Campaign, {"name": "新专项"}, defaults={"theme": "甲"}, memo=memo)
        again = find_or_add(Campaign, {"name": "新专项"}, defaults={"theme": "乙"}, memo=memo)
    assert added is again and added in db.session.new and added.theme == "甲"
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 1
