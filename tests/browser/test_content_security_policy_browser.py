"""The pages work under the Content-Security-Policy: the event form's rows and the category
colours run from static files, and chromium reports no violation."""


def test_event_form_and_colours_work_without_csp_violations(signed_in_page, make_category):
    page = signed_in_page
    category = make_category(slug="party", name_zh="主题党日", name_en="Party day", color="#c0392b")
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto("/events/new")
    rows = page.locator("#rows-participants > *")
    before = rows.count()
    page.click("button[data-add-row='participants']")
    assert rows.count() == before + 1  # added in place by event_form.js, no page load
    page.goto(f"/categories/{category.id}")
    swatch = page.locator("[data-color]").first
    assert swatch.evaluate("element => element.style.getPropertyValue('--badge-color')")
    assert violations == []
