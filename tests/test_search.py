"""Search that finds: folding, AND-ed words, organisations, places and people in the text."""

import pytest
from sqlalchemy import select

from tracker.events.queries import EventFilters, filtered_events
from tracker.events.search import refresh_search_texts
from tracker.extensions import db
from tracker.folding import fold, matches_all, search_words
from tracker.models import EventSearchText, Participation


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("“安康杯”", ["安康杯"]),
        ('"安康杯"', ["安康杯"]),
        ("「安康杯」『竞赛』", ["安康杯", "竞赛"]),
        ("艾默生电气(珠海)", ["艾默生电气", "珠海"]),
        ("【通知】 银企　对接", ["通知", "银企", "对接"]),
        ("ＡＢＣ　１２３", ["abc", "123"]),
        ("  ", []),
    ],
)
def test_query_words_are_folded_and_split_on_quotes_brackets_and_spaces(typed, words):
    assert search_words(typed) == words


def test_stored_text_drops_quotes_brackets_and_spaces():
    assert fold("艾默生电气（珠海）有限公司") == "艾默生电气珠海有限公司"
    assert fold("“安康杯” 安全生产知识竞赛") == "安康杯安全生产知识竞赛"
    assert fold("Ｅｍｅｒｓｏｎ Electric") == "emersonelectric"


@pytest.fixture
def report_events(make_event, make_organization, make_location, make_person):
    emerson = make_organization(name="艾默生电气（珠海）有限公司", kind="enterprise")
    park = make_location(name="“港湾1号”科创园")
    person = make_person(name="李明华")
    contest = make_event(title="“安康杯”安全生产知识竞赛", theme="防风险、除隐患、遏事故")
    contest.participations.append(Participation(organization=emerson, award="二等奖"))
    return {
        "contest": contest,
        "fair": make_event(title="“双自联动”银企对接会", stops=[park], outcome="达成初步合作意向"),
        "cup": make_event(title='"安康杯"宣传活动', description="Safety Month"),
        "visit": make_event(title="走访慰问困难党员", people=[person]),
    }


def _found(query, search_people=False):
    statement = filtered_events(EventFilters(query=query), search_people=search_people)
    return {event.title for event in db.session.scalars(statement)}


def test_both_quote_styles_find_the_same_events(report_events):
    assert (
        _found("“安康杯”") == _found('"安康杯"') == {"“安康杯”安全生产知识竞赛", '"安康杯"宣传活动'}
    )


def test_organisation_with_half_width_brackets_finds_the_full_width_name(report_events):
    assert _found("艾默生电气(珠海)") == {"“安康杯”安全生产知识竞赛"}


def test_several_words_are_and_ed(report_events):
    assert _found("银企 对接") == {"“双自联动”银企对接会"}
    assert _found("银企 安康杯") == set()


def test_outcome_theme_and_place_are_searched(report_events):
    assert _found("初步合作") == {"“双自联动”银企对接会"}
    assert _found("遏事故") == {"“安康杯”安全生产知识竞赛"}
    assert _found("港湾1号") == {"“双自联动”银企对接会"}
    assert _found("safety MONTH") == {'"安康杯"宣传活动'}


def test_people_are_searched_for_signed_in_readers_only(report_events):
    assert _found("李明华") == set()
    assert _found("李明华", search_people=True) == {"走访慰问困难党员"}


def test_like_characters_are_taken_literally(report_events, make_event):
    make_event(title="100%完成")
    assert _found("%") == {"100%完成"}
    assert _found("_") == set()


def test_renaming_an_entry_rewrites_the_texts_of_its_events(report_events, db):
    location = report_events["fair"].stops[0].location
    location.name = "港湾一号科创园"
    db.session.commit()
    assert _found("港湾一号") == {"“双自联动”银企对接会"}
    assert _found("港湾1号") == set()


def test_erasing_a_name_removes_it_from_the_search(report_events, db):
    person = report_events["visit"].participations[0].person
    person.name = "（已删除）"
    db.session.commit()
    assert _found("李明华", search_people=True) == set()


def test_database_search_gives_what_the_folding_rules_give(report_events, db):
    """The engines' LIKE over the stored texts answers as the pure-Python rule does, so
    SQLite and PostgreSQL (this test runs on both) give the same events."""
    rows = db.session.execute(select(EventSearchText.event_id, EventSearchText.public_text))
    texts = dict(rows.all())
    assert len(texts) == 4
    for query in [
        "安康杯",
        "“安康杯” 竞赛",
        "艾默生电气(珠海)",
        "银企 对接",
        "科创园",
        "safety",
        "x",
    ]:
        expected = {
            event_id for event_id, text in texts.items() if matches_all(text, search_words(query))
        }
        statement = filtered_events(EventFilters(query=query))
        assert {event.id for event in db.session.scalars(statement)} == expected, query


def test_rebuilding_every_text_gives_the_texts_kept_at_each_write(report_events, db):
    kept = db.session.execute(select(EventSearchText.__table__)).all()
    refresh_search_texts(db.session.connection())
    assert sorted(db.session.execute(select(EventSearchText.__table__)).all()) == sorted(kept)


def test_search_box_is_on_every_page(client, report_events):
    page = client.get("/stats/").get_data(as_text=True)
    assert 'role="search"' in page and 'name="q"' in page
    listing = client.get("/events/", query_string={"q": "银企 对接"}).get_data(as_text=True)
    assert "银企对接会" in listing and "安康杯" not in listing


def test_migration_0014_fills_the_texts_of_existing_events(tmp_path):
    """Events saved before search texts existed are found after the upgrade."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from tracker import create_app

    url = "sqlite:///" + str(tmp_path / "old.db")
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision="0009")
        with db.engine.begin() as connection:
            for statement in (
                "INSERT INTO organizations (id, name, kind, created_at)"
                " VALUES (1, '艾默生电气（珠海）有限公司', 'enterprise', '2019-06-01 00:00:00')",
                "INSERT INTO events (id, uid, title, starts_at, ends_at, timezone, is_all_day,"
                " status, visibility, headcount_is_approximate, date_is_approximate, sequence,"
                " version, created_at, updated_at) VALUES (1, 'old@x', '“安康杯”知识竞赛',"
                " '2019-06-20 06:00:00', '2019-06-20 09:00:00', 'Asia/Shanghai', 0, 'confirmed',"
                " 'public', 0, 0, 0, 1, '2019-06-01 00:00:00', '2019-06-01 00:00:00')",
                "INSERT INTO event_organizations (event_id, organization_id, role, position)"
                " VALUES (1, 1, 'team', 0)",
            ):
                connection.execute(text(statement))
        upgrade(revision="0014")
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT * FROM event_search_texts")).all()
        assert rows == [(1, "安康杯知识竞赛 艾默生电气珠海有限公司", "")]
        db.engine.dispose()


def test_the_programme_is_searched(db, report_events):
    contest = report_events["contest"]
    contest.programme = [
        {"title": "安全知识必答题", "time": None, "note": None},
        {"title": "穿戴安全带比赛", "time": "15:00", "note": "每队两人"},
    ]
    db.session.commit()
    assert _found("安全带") == {"“安康杯”安全生产知识竞赛"}
    assert _found("每队两人") == {"“安康杯”安全生产知识竞赛"}
    contest.programme = None
    db.session.commit()
    assert _found("安全带") == set()
