"""Sessions end when they should: sign-out (here or everywhere), a password change, an admin's
reset, role change or disabling, idleness and age; CSRF tokens end with them."""

import re

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tracker import create_app
from tracker.config import DefaultConfig
from tracker.db import now_utc
from tracker.extensions import db as database

PASSWORD = "correct horse battery"


def token_on(client, path):
    page = client.get(path)
    match = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.data)
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1).decode()


def signed_in(app, user, password=PASSWORD):
    """A new browser signed in as the user through the form."""
    browser = app.test_client()
    response = browser.post(
        "/login",
        data={
            "username": user.username,
            "password": password,
            "csrf_token": token_on(browser, "/login"),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return browser


def copy_of(app, browser):
    """Another browser holding a copy of this one's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)
    return thief


def is_signed_in(browser) -> bool:
    return browser.get("/account").status_code == 200


def test_a_copied_session_cookie_works_until_sign_out(app, make_user):
    browser = signed_in(app, make_user("wang"))
    thief = copy_of(app, browser)
    assert is_signed_in(thief)
    browser.post("/logout", data={"csrf_token": token_on(browser, "/logout")})
    assert not is_signed_in(browser)
    assert not is_signed_in(thief)


def test_signing_out_ends_the_sessions_on_other_devices(app, make_user):
    user = make_user("wang")
    phone, desk = signed_in(app, user), signed_in(app, user)
    assert "其他设备上的登录也会一并结束" in phone.get("/logout").get_data(as_text=True)
    phone.post("/logout", data={"csrf_token": token_on(phone, "/logout")})
    assert not is_signed_in(desk)
    assert is_signed_in(signed_in(app, user))


def test_sign_out_everywhere_on_the_account_page(app, make_user):
    user = make_user("wang")
    browser, other = signed_in(app, user), signed_in(app, user)
    page = browser.get("/account").get_data(as_text=True)
    assert "退出所有设备" in page
    form = re.search(r'<form method="post" action="/logout">.*?</form>', page, re.S).group(0)
    assert 'name="csrf_token"' in form and 'name="everywhere"' in form
    assert browser.post("/logout", data={"everywhere": "1"}).status_code == 400
    assert is_signed_in(other)
    response = browser.post(
        "/logout",
        data={"everywhere": "1", "csrf_token": token_on(browser, "/account")},
        follow_redirects=True,
    )
    assert "您已在所有设备上退出登录" in response.get_data(as_text=True)
    assert not is_signed_in(browser) and not is_signed_in(other)


def test_a_password_change_ends_other_sessions_and_keeps_this_one(app, make_user):
    user = make_user("wang")
    browser, other = signed_in(app, user), signed_in(app, user)
    thief = copy_of(app, browser)
    response = browser.post(
        "/account",
        data={
            "current_password": PASSWORD,
            "new_password": "a new secret 1",
            "confirm_password": "a new secret 1",
            "csrf_token": token_on(browser, "/account"),
        },
    )
    assert response.status_code == 302
    assert is_signed_in(browser)
    assert not is_signed_in(other) and not is_signed_in(thief)


def edit_account(admin_browser, account, **changes):
    data = {
        "role": account.role,
        "organization": "",
        "is_enabled": "y",
        "new_password": "",
        "csrf_token": token_on(admin_browser, f"/admin/users/{account.id}/edit"),
    }
    data.update(changes)
    data = {name: value for name, value in data.items() if value is not None}
    response = admin_browser.post(f"/admin/users/{account.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


@pytest.mark.parametrize(
    "changes",
    [
        {"new_password": "reset by admin 1"},
        {"role": "admin"},
        {"is_enabled": None},
    ],
    ids=["password reset", "role change", "disabling"],
)
def test_an_admins_change_ends_the_accounts_sessions(app, make_user, changes):
    admin = signed_in(app, make_user("admin", role="admin"))
    user = make_user("wang")
    thief = copy_of(app, signed_in(app, user))
    edit_account(admin, user, **changes)
    assert not is_signed_in(thief)


def test_an_admin_resetting_their_own_password_stays_signed_in(app, make_user):
    account = make_user("admin", role="admin")
    admin = signed_in(app, account)
    other = signed_in(app, account)
    edit_account(admin, account, new_password="reset by admin 1")
    assert is_signed_in(admin)
    assert not is_signed_in(other)


def test_an_idle_session_ends(app, make_user):
    browser = signed_in(app, make_user("wang"))
    idle = DefaultConfig.SESSION_IDLE_MINUTES * 60
    with browser.session_transaction() as session:
        session["seen_at"] = now_utc().timestamp() - idle + 30
    assert is_signed_in(browser)  # and the request counts as activity
    with browser.session_transaction() as session:
        assert session["seen_at"] > now_utc().timestamp() - 5
        session["seen_at"] = now_utc().timestamp() - idle - 1
    assert not is_signed_in(browser)


def test_a_session_ends_after_its_lifetime_however_busy(app, make_user):
    browser = signed_in(app, make_user("wang"))
    with browser.session_transaction() as session:
        session["signed_in_at"] = (
            now_utc().timestamp() - DefaultConfig.SESSION_LIFETIME_HOURS * 3600 - 1
        )
    assert not is_signed_in(browser)


def test_csrf_tokens_end_with_the_session(app, make_user):
    user = make_user("wang")
    browser = signed_in(app, user)
    old_token = token_on(browser, "/account")
    browser.post("/logout", data={"csrf_token": token_on(browser, "/logout")})
    browser.post(
        "/login",
        data={"username": "wang", "password": PASSWORD, "csrf_token": token_on(browser, "/login")},
    )
    assert is_signed_in(browser)
    response = browser.post("/logout", data={"csrf_token": old_token})
    assert response.status_code == 400
    assert is_signed_in(browser)


def test_csrf_tokens_expire_no_later_than_the_session():
    assert DefaultConfig.WTF_CSRF_TIME_LIMIT is not None
    assert DefaultConfig.WTF_CSRF_TIME_LIMIT <= DefaultConfig.SESSION_LIFETIME_HOURS * 3600


def test_a_session_of_an_account_disabled_elsewhere_ends(app, make_user, db):
    """An account disabled outside the admin page (a script, the database) is signed out too."""
    user = make_user("wang")
    browser = signed_in(app, user)
    user.is_enabled = False
    db.session.commit()
    assert not is_signed_in(browser)


def test_0009_keeps_existing_accounts_and_its_downgrade_restores_the_old_table(tmp_path):
    url = "sqlite:///" + str(tmp_path / "accounts.db")
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision="0008")
        with database.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (username, password_hash, role, is_enabled, created_at) "
                    "VALUES ('wang', 'x', 'coordinator', 1, '2019-06-01 00:00:00')"
                )
            )
        upgrade(revision="0009")
        with database.engine.connect() as connection:
            generation = connection.scalar(text("SELECT session_generation FROM users"))
        assert generation == 0
        assert "sign_in_throttles" in inspect(database.engine).get_table_names()
        downgrade(revision="0008")
        tables = inspect(database.engine).get_table_names()
        assert "sign_in_failures" in tables and "sign_in_throttles" not in tables
        database.engine.dispose()
