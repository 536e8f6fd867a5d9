"""Roster imports from .xlsx and .csv: mapping, preview, all or nothing, bounds, template."""

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tracker.models import AuditEntry, Person


def _xlsx(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def branch(db, make_organization, make_person, make_user):
    """金鼎社区 with one branch below it, one person already there, and its coordinator."""
    community = make_organization(name="金鼎社区党委", short_name="金鼎社区")
    clinic = make_organization(name="金鼎社区卫生服务中心党支部", parent=community)
    make_organization(name="别的社区")
    make_person(name="老党员", organization=community, phone="13900000000")
    return {
        "community": community,
        "clinic": clinic,
        "coordinator": make_user("jinding", organization=community),
    }


def _token(client, path):
    text = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def _upload(client, organization, data, filename):
    path = f"/organizations/{organization.id}/roster/import"
    return client.post(
        path,
        data={"csrf_token": _token(client, path), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _people(db):
    return db.session.scalar(select(func.count()).select_from(Person))


def test_a_file_with_errors_previews_them_by_row_and_saves_nothing(client, db, branch, sign_in):
    sign_in(branch["coordinator"])
    before = _people(db)
    data = _xlsx(
        [
            ["手机", "姓名", "党员", "单位"],  # any order: mapped by the header
            ["13800000001", "张三", "是", ""],
            ["", "", "否", ""],  # row 3: no name
            ["13800000002", "李四", "也许", "金鼎社区卫生服务中心党支部"],  # row 4: party value
            ["13800000003", "王五", "", "别的社区"],  # row 5: not below the organisation
            ["13900000000", "老党员", "是", ""],  # already there
        ]
    )
    response = _upload(client, branch["community"], data, "名单.xlsx")
    assert response.status_code == 302
    preview = client.get(response.headers["Location"])
    text = preview.get_data(as_text=True)
    assert "新增 1 人，已存在 1 人（不会重复导入），错误 3 行" in text
    for number, reason in ((3, "缺少姓名"), (4, "党员一栏"), (5, "不是本组织或其下级组织")):
        assert re.search(rf"<td>{number}</td>\s*<td>错误：[^<]*{reason}", text), number
    assert "disabled" in text

    confirm = client.post(
        response.headers["Location"],
        data={"csrf_token": _token(client, response.headers["Location"]), "confirm": "1"},
    )
    assert confirm.status_code == 422
    assert _people(db) == before


def test_a_clean_file_saves_every_new_person_with_the_mapping_chosen(client, db, branch, sign_in):
    sign_in(branch["coordinator"])
    before = _people(db)
    csv_text = (
        "名字,电话,职位,政治面貌,所在\n"
        "张三,138 0000 0001,书记,中共党员,金鼎社区卫生服务中心党支部\n"
        "李四,13800000002,,群众,\n"
        "老党员,,,是,\n"
    )
    response = _upload(client, branch["community"], csv_text.encode("gb18030"), "roster.csv")
    location = response.headers["Location"]
    token = _token(client, location)
    mapping = {
        "column_name": "0",
        "column_phone": "1",
        "column_title": "2",
        "column_party": "3",
        "column_organization": "4",
    }
    confirm = client.post(location, data={"csrf_token": token, "confirm": "1", **mapping})
    assert confirm.status_code == 302, confirm.get_data(as_text=True)[:2000]
    assert _people(db) == before + 2
    zhang = db.session.scalar(select(Person).where(Person.name == "张三"))
    assert (zhang.organization_id, zhang.title, zhang.is_party_member, zhang.phone) == (
        branch["clinic"].id,
        "书记",
        True,
        "138 0000 0001",
    )
    li = db.session.scalar(select(Person).where(Person.name == "李四"))
    assert (li.organization_id, li.is_party_member) == (branch["community"].id, False)
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity_type == "person")
        )
        == 2
    )


def test_duplicate_rows_within_a_file_are_errors(client, db, branch, sign_in):
    sign_in(branch["coordinator"])
    data = _xlsx([["姓名", "手机"], ["张三", "13800000001"], ["李四", "13800000001"]])
    location = _upload(client, branch["community"], data, "a.xlsx").headers["Location"]
    text = client.get(location).get_data(as_text=True)
    assert "手机号与第 2 行重复" in text


def test_bounds_and_wrong_files_are_refused_with_a_message(app, client, db, branch, sign_in):
    sign_in(branch["coordinator"])
    organization = branch["community"]
    app.config["ROSTER_MAX_ROWS"] = 3
    try:
        rows = [["姓名"]] + [[f"人{number}"] for number in range(4)]
        response = _upload(client, organization, _xlsx(rows), "big.xlsx")
        assert response.status_code == 422 and "最多 3 人" in response.get_data(as_text=True)
    finally:
        app.config["ROSTER_MAX_ROWS"] = 2000
    app.config["ROSTER_MAX_BYTES"] = 100
    try:
        response = _upload(client, organization, b"x" * 101, "a.csv")
        assert response.status_code == 422 and "文件太大" in response.get_data(as_text=True)
    finally:
        app.config["ROSTER_MAX_BYTES"] = 512 * 1024
    for data, filename, message in (
        (b"PK\x03\x04 not really", "a.xlsx", "无法读取该 Excel 文件"),
        (b"a,b", "a.txt", "请上传 .xlsx 或 .csv 文件"),
        (b"\xff\xfe\xfa", "a.csv", "编码"),
        ("姓名\n".encode(), "a.csv", "没有数据"),
    ):
        response = _upload(client, organization, data, filename)
        assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_only_the_uploader_sees_the_stored_file(app, client, db, branch, sign_in, make_user):
    sign_in(branch["coordinator"])
    data = _xlsx([["姓名"], ["张三"]])
    location = _upload(client, branch["community"], data, "a.xlsx").headers["Location"]
    other = app.test_client()
    admin = make_user("root", role="admin")
    text = other.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text).group(1)
    other.post(
        "/login",
        data={"username": admin.username, "password": "correct horse battery", "csrf_token": token},
    )
    assert other.get(location).status_code == 404
    assert client.get(location).status_code == 200


def test_the_template_has_the_five_headers(client, branch, sign_in):
    sign_in(branch["coordinator"])
    response = client.get(f"/organizations/{branch['community'].id}/roster/template.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [cell.value for cell in sheet[1]] == ["姓名", "单位", "职务", "党员", "手机"]
    assert sheet.max_row == 1
