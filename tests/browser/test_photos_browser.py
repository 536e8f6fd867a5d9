"""A coordinator uploads two captioned photos in a real browser and sees them, in order,
in the event page's gallery, also on a 390 px phone screen."""

from sqlalchemy import select

from tests.test_media import jpeg
from tracker.models import Organization


def test_upload_two_photos_with_captions_and_see_them_in_the_gallery(
    signed_in_page, make_event, db
):
    page = signed_in_page
    union = db.session.scalar(select(Organization).where(Organization.name == "总工会"))
    event = make_event(title='"安康杯"安全生产知识竞赛', hosts=[union])

    page.goto(f"/events/{event.id}")
    page.click("a:has-text('管理照片与附件')")
    page.set_input_files(
        "#photo-0",
        {"name": "竞赛现场.jpg", "mimeType": "image/jpeg", "buffer": jpeg((320, 240), gps=True)},
    )
    page.fill("#caption-0", "“安康杯”安全生产知识竞赛现场。")
    page.set_input_files(
        "#photo-1",
        {"name": "颁奖.jpg", "mimeType": "image/jpeg", "buffer": jpeg((240, 320), "blue")},
    )
    page.fill("#caption-1", "健帆代表队摘得桂冠。")
    page.click("form.upload-form button[type='submit']:has-text('上传照片')")
    page.wait_for_selector(".flash-success")
    assert "已上传 2 张照片" in page.inner_text(".flash-success")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/events/{event.id}")
    captions = page.locator(".gallery figcaption").all_inner_texts()
    assert captions == ["“安康杯”安全生产知识竞赛现场。", "健帆代表队摘得桂冠。"]
    images = page.locator(".gallery img")
    assert images.count() == 2
    for index in range(2):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "image => image.complete && image.naturalWidth > 0", arg=image.element_handle()
        )
        assert image.bounding_box()["width"] <= 390
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    # 打印台账: printed, the page is the ledger record alone.
    assert page.locator(".ledger-print").is_hidden()
    page.emulate_media(media="print")
    assert page.locator(".ledger-print").is_visible()
    assert page.locator(".facts").is_hidden() and page.locator(".gallery").is_hidden()
    assert "活动记录表" in page.inner_text(".ledger-print")
    assert page.locator(".ledger-photos img").count() == 2
