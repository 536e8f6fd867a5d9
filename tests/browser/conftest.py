"""Browser tests: the app served by werkzeug in a background thread on the migrated test
database, driven by Playwright with Debian's chromium (one browser for the whole session)."""

import os
import threading

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tracker import create_app
from tracker.extensions import db as database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """Chromium, launched once; missing chromium skips locally but fails in CI."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: install Debian's chromium package"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def live_server(app_settings):
    """The base URL of the app served from a thread; CSRF protection stays on."""
    app = create_app({**app_settings, "SECRET_KEY": "browser-test-secret-key"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        database.engine.dispose()


@pytest.fixture
def page(browser, live_server, app):
    """A fresh browser tab (own cookies) per test; `app` empties the tables afterwards."""
    context = browser.new_context(base_url=live_server, locale="zh-CN")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def signed_in_page(page, make_user, make_organization):
    """A tab signed in as a coordinator of 总工会, through the sign-in form."""
    union = make_organization(name="总工会", kind="social")
    make_user("coordinator", organization=union)
    page.goto("/login")
    page.fill("#username", "coordinator")
    page.fill("#password", "correct horse battery")
    page.click("button:has-text('登录')")
    page.wait_for_url("**/")
    return page
