"""The 活动台账: each event's record as Word (every fact of the report's 安康杯 and 鸡山
activities, photos two per row, the sign-in list only for coordinators, Chinese fonts in the
styles), the printed event page, and the annual ledger built by a background job."""

import io
import re
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from tracker import demo
from tracker.demo import load_demo_data
from tracker.media.demo_photos import DEMO_CAPTIONS, PLACEHOLDER_MARK, placeholder_photo
from tracker.models import Category, Event, Organization, Participation, Photo

ANKANG, JISHAN = "contest-ankang-cup", "party-day-jishan-community"
# What the report says beyond the declared values' own words.
REPORT_FACTS = {
    ANKANG: ["北京理工大学珠海学院", "参赛队 10 支（具名 3 支）"],
    JISHAN: ["50人", "不忘初心、牢记使命", "广州辛亥革命纪念馆", "广州起义纪念馆"],
}


@pytest.fixture(autouse=True)
def own_uploads_folder(app, tmp_path):
    app.config["UPLOADS_FOLDER"] = str(tmp_path / "uploads")


@pytest.fixture
def loaded(db, make_person, make_user):
    """The demo data with its photos; two people at 鸡山's activity, one of them absent."""
    load_demo_data()
    jishan = _event(JISHAN)
    organization = jishan.organization_links[0].organization
    present = make_person(name="李红梅", organization=organization)
    absent = make_person(name="王缺席", organization=organization)
    db.session.add_all(
        [
            Participation(event=jishan, person=present, attended=True, position=0),
            Participation(event=jishan, person=absent, attended=False, position=1),
        ]
    )
    db.session.commit()
    return {"coordinator": make_user("ledger_keeper", organization=organization)}


def _declared(key: str):
    return next(values for values in demo.EVENTS if values.uid == demo.demo_uid(key))


def _event(key: str) -> Event:
    from tracker.extensions import db

    return db.session.scalar(select(Event).where(Event.uid == demo.demo_uid(key)))


def docx_lines(document) -> list[str]:
    """Every paragraph's text in document order, table cells included."""
    return [
        "".join(text.text or "" for text in paragraph.iter(qn("w:t")))
        for paragraph in document.element.body.iter(qn("w:p"))
    ]


def _facts(key: str, db) -> list[str]:
    """The facts of a demo event as the demo data declares them, in the order they must
    appear in the ledger where order matters (the itinerary)."""
    values = _declared(key)
    facts = [values.title]
    facts += [row.location.name for row in values.stops]
    facts += [row.note for row in values.stops if row.note]
    facts += [row.organization.name for row in values.organizations]
    for row in values.participants:
        if row.organization is not None:
            facts.append(row.organization.name)
            if row.award:
                facts.append(row.award)
    facts += [line for line in (values.description or "").splitlines() if line.strip()]
    facts += [line for line in (values.outcome or "").splitlines() if line.strip()]
    if values.theme:
        facts.append(values.theme)
    if values.reported_headcount is not None:
        suffix = "+" if values.reported_headcount_is_approximate else ""
        facts.append(f"{values.reported_headcount}{suffix}人")
    category = db.session.scalar(
        select(Category.name_zh).where(Category.slug == values.category.match["slug"])
    )
    facts.append(category)
    facts += DEMO_CAPTIONS[key]
    facts.append("2019年6月")
    return facts


def _ledger(client, event: Event):
    response = client.get(f"/events/{event.id}/ledger.docx")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    return Document(io.BytesIO(response.data))


@pytest.mark.parametrize("key", [ANKANG, JISHAN], ids=["ankang-cup", "jishan"])
def test_the_event_ledger_holds_every_fact_of_the_demo_activity(client, db, loaded, key):
    event = _event(key)
    document = _ledger(client, event)
    lines = docx_lines(document)
    text = "\n".join(lines)
    missing = [fact for fact in _facts(key, db) + REPORT_FACTS[key] if fact not in text]
    assert not missing, missing
    if key == ANKANG:  # the champion is in the outcome
        assert "健帆" in text.split("活动成效", 1)[1]
    stops = [row.location.name for row in _declared(key).stops]
    assert [text.index(name) for name in stops] == sorted(text.index(name) for name in stops)
    record = document.tables[0]
    labels = [row.cells[0].text for row in record.rows]
    for label in (
        "活动名称",
        "时间",
        "地点",
        "主办单位",
        "参加对象",
        "参加人数",
        "活动内容",
        "活动成效",
    ):
        assert label in labels
    # Photos two per row, each with its caption under it.
    photos = db.session.scalars(
        select(Photo).where(Photo.event_id == event.id).order_by(Photo.position)
    ).all()
    assert len(photos) == len(DEMO_CAPTIONS[key])
    pictures = document.element.body.findall(".//" + qn("w:drawing"))
    assert len(pictures) == len(photos)
    photo_table = document.tables[1]
    assert len(photo_table.columns) == 2
    assert len(photo_table.rows) == (len(photos) + 1) // 2
    assert photo_table.rows[0].cells[0].paragraphs[-1].text == DEMO_CAPTIONS[key][0]


def test_the_sign_in_list_names_attendees_for_coordinators_only(app, client, db, loaded, sign_in):
    event = _event(JISHAN)
    anonymous = "\n".join(docx_lines(_ledger(client, event)))
    assert "签到名单" not in anonymous and "李红梅" not in anonymous
    sign_in(loaded["coordinator"])
    signed_in = _ledger(client, event)
    text = "\n".join(docx_lines(signed_in))
    assert "签到名单" in text and "李红梅" in text
    assert "王缺席" not in text  # only those who attended sign in
    sign_in_table = signed_in.tables[-1]
    assert [cell.text for cell in sign_in_table.rows[0].cells][:2] == ["序号", "姓名"]
    assert [cell.text for cell in sign_in_table.rows[1].cells][:2] == ["1", "李红梅"]


def test_chinese_fonts_are_set_in_the_styles_for_wps_and_word(client, make_event):
    document = _ledger(client, make_event(title="字体检查"))

    def east_asian(style_name):
        fonts = document.styles[style_name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsiaTheme")) is None and fonts.get(qn("w:asciiTheme")) is None
        return fonts.get(qn("w:eastAsia"))

    assert east_asian("Normal") == "宋体"
    assert east_asian("Heading 1") == "黑体"
    assert east_asian("台账图注") == "仿宋"
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)


def test_the_event_page_prints_the_same_ledger_page(client, db, loaded):
    event = _event(ANKANG)
    page = client.get(f"/events/{event.id}").text
    assert "打印台账" in page and f"/events/{event.id}/ledger.docx" in page
    printed = page.split('class="ledger-print"', 1)[1].split("</section>", 1)[0]
    table = _ledger(client, event).tables[0]
    for row in table.rows:
        label, value = row.cells[0].text, row.cells[1].text
        assert f'<th scope="row">{label}</th>' in printed
        for line in value.splitlines():
            assert line.replace('"', "&#34;") in printed, line
    meetings = _ledger(client, _event("recurring-party-meeting"))
    assert "重复" in [row.cells[0].text for row in meetings.tables[0].rows]


def test_placeholder_photos_are_marked_as_illustrations():
    image = Image.open(io.BytesIO(placeholder_photo(DEMO_CAPTIONS[ANKANG][0]))).convert("RGB")
    # The mark is drawn in the middle, red on a white panel.
    width, height = image.size
    middle = [image.getpixel((x, height // 2)) for x in range(0, width, 2)]
    red = [pixel for pixel in middle if pixel[0] > 140 and pixel[1] < 80 and pixel[2] < 80]
    white = [pixel for pixel in middle if min(pixel) > 230]
    assert len(red) > 10 and len(white) > 10
    assert PLACEHOLDER_MARK == "示意图"


def test_the_annual_ledger_job_binds_the_year_with_contents_summary_and_index(
    app, client, db, loaded, sign_in, csrf_token
):
    sign_in(loaded["coordinator"])
    union = db.session.scalar(select(Organization).where(Organization.name.like("%总工会%")))
    response = client.post(
        "/ledger/",
        data={
            "csrf_token": csrf_token("/ledger/"),
            "from": "2019-01-01",
            "to": "2019-12-31",
            "organization": union.id,
        },
    )
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job_page = client.get(response.headers["Location"])
    assert job_page.status_code == 200 and "台账已生成" in job_page.text
    result = client.get(response.headers["Location"] + "/result")
    assert result.status_code == 200 and result.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(result.data))
    names = archive.namelist()
    [docx_name] = [name for name in names if name.endswith(".docx")]
    [xlsx_name] = [name for name in names if name.endswith(".xlsx")]
    assert "2019年度" in docx_name
    document = Document(io.BytesIO(archive.read(docx_name)))
    lines = docx_lines(document)
    body_xml = document.element.body.xml
    assert 'TOC \\o "1-1"' in body_xml  # a Word table-of-contents field
    assert "PAGE" in document.sections[0].footer.paragraphs[0]._p.xml  # page numbers
    union_events = (
        db.session.scalars(
            select(Event)
            .join(Event.organization_links)
            .where(Event.organization_links.any(organization_id=union.id))
            .order_by(Event.starts_at)
        )
        .unique()
        .all()
    )
    assert len(union_events) >= 2
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [event.title for event in union_events] + ["年度统计汇总"]
    first_pages = [p for p in document.paragraphs if p.style.name == "Heading 1"]
    assert all(p.paragraph_format.page_break_before for p in first_pages)  # a page each
    assert lines[lines.index("年度统计汇总") :].count("按类别") == 1
    assert "按月份" in lines
    index = load_workbook(io.BytesIO(archive.read(xlsx_name))).active
    rows = list(index.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "日期", "活动名称")
    assert [row[2] for row in rows[1:]] == [event.title for event in union_events]
    assert rows[1][1] == union_events[0].local_starts_at.date().isoformat()


def test_an_annual_ledger_without_activities_fails_with_a_message(
    client, make_user, sign_in, csrf_token
):
    sign_in(make_user())
    response = client.post(
        "/ledger/",
        data={"csrf_token": csrf_token("/ledger/"), "from": "2001-01-01", "to": "2001-12-31"},
    )
    page = client.get(response.headers["Location"]).text
    assert "没有活动" in page
    assert re.search(r"/jobs/[^/]+$", response.headers["Location"])


def test_the_statistics_page_offers_the_ledger_of_its_filters_to_coordinators(
    client, make_organization, make_user, sign_in
):
    organization = make_organization()
    path = f"/stats/?from=2019-01-01&to=2019-12-31&organization={organization.id}"
    assert "生成台账" not in client.get(path).text
    sign_in(make_user(organization=organization))
    page = client.get(path).text
    link = re.search(r'href="(/ledger/\?[^"]+)"', page).group(1).replace("&amp;", "&")
    form = client.get(link).text
    assert 'value="2019-01-01"' in form and 'value="2019-12-31"' in form
    assert re.search(rf'<option value="{organization.id}" selected', form)
