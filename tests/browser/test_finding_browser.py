"""Finding one's way at phone width: tapping a day lists its activities, and a type-to-search
picker chooses an organisation for the event list's filter."""

from datetime import UTC, datetime

PHONE = {"width": 390, "height": 844}


def test_tapping_a_day_on_a_phone_lists_its_activities(page, make_event):
    make_event(title="“红色经典”读书分享会", starts_at=datetime(2019, 6, 12, 2, tzinfo=UTC))
    make_event(title="主题党日", starts_at=datetime(2019, 6, 20, 2, tzinfo=UTC))
    page.set_viewport_size(PHONE)
    page.goto("/?month=2019-06")
    assert not page.locator(".day-events").first.is_visible()  # titles only in the list
    page.click("a.day-link[href*='day=2019-06-12']")
    page.wait_for_url("**day=2019-06-12*")
    listed = page.inner_text("#day-list")
    assert "6月12日的活动" in listed
    assert "读书分享会" in listed and "主题党日" not in listed


def test_picker_chooses_an_organisation_for_the_filter(page, make_event, make_organization):
    emerson = make_organization(name="艾默生电气（珠海）有限公司", kind="enterprise")
    make_organization(name="珠海藤佳能源有限公司", kind="enterprise")
    make_event(title="安康杯竞赛", hosts=[emerson])
    make_event(title="银企对接会")
    page.set_viewport_size(PHONE)
    page.goto("/events/")
    page.fill("#filter-organization", "艾默生电气(珠海)")
    option = page.locator("#filter-organization-results li").first
    option.wait_for()
    assert "艾默生电气（珠海）有限公司" in option.inner_text()
    option.dispatch_event("mousedown")
    chosen = page.locator(f".picker-chosen input[value='{emerson.id}']")
    assert chosen.is_checked()
    assert page.input_value("#filter-organization") == ""
    page.click("form.filters button[type='submit']")
    page.wait_for_url(f"**organization={emerson.id}*")
    results = page.inner_text(".event-list")
    assert "安康杯竞赛" in results and "银企对接会" not in results
