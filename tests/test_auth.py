"""Accounts and access: sign-in with throttling, sign-out, the account page, admin user
management, the `user create` command, and CSRF on every POST."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from tracker import create_app
from tracker.config import DefaultConfig
from tracker.extensions import db as database
from tracker.models import AuditEntry, User

PASSWORD = "correct horse battery"


def post_login(client, csrf_token, username, password, **kwargs):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token()},
        **kwargs,
    )


def is_signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_sign_in_with_the_right_password_redirects_and_signs_in(client, make_user, csrf_token):
    make_user("wang")
    response = post_login(client, csrf_token, "wang", PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(client)


def test_wrong_password_is_refused_in_chinese(client, make_user, csrf_token):
    make_user("wang")
    response = post_login(client, csrf_token, "wang", "not the password")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_sign_in_follows_only_local_next_addresses(client, make_user, csrf_token):
    make_user("wang")
    data = {"username": "wang", "password": PASSWORD, "csrf_token": csrf_token()}
    response = client.post("/login?next=https://evil.example/", data=data)
    assert response.headers["Location"] == "/"


def login_from(client, address, username, password):
    """Sign in through a fresh page, as a browser at another network address would."""
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.decode()},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.fixture
def clock(monkeypatch):
    """A stopped clock for the sign-in services and views; `clock.advance(seconds)` moves it."""

    class Clock:
        now = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)

        def advance(self, seconds):
            self.now += timedelta(seconds=seconds)

    fake = Clock()
    for module in ("tracker.auth.services", "tracker.auth.views"):
        monkeypatch.setattr(f"{module}.now_utc", lambda: fake.now)
    return fake


def fail_five_times(client, address="10.0.0.66", username="wang"):
    for _attempt in range(5):
        assert login_from(client, address, username, "wrong password").status_code == 200


def test_right_password_from_another_address_works_while_one_address_waits(app, make_user, clock):
    make_user("wang")
    guesser = app.test_client()
    fail_five_times(guesser)
    response = login_from(guesser, "10.0.0.66", "wang", PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多，请 2 秒后再试" in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "2"
    owner = app.test_client()
    assert login_from(owner, "10.1.2.3", "wang", PASSWORD).status_code == 302
    assert is_signed_in(owner)


def test_each_further_failure_doubles_the_wait(app, make_user, clock):
    make_user("wang")
    client = app.test_client()
    fail_five_times(client)
    for wait in (2, 4, 8, 16):
        response = login_from(client, "10.0.0.66", "wang", "wrong password")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == str(wait)
        clock.advance(wait - 1)
        assert login_from(client, "10.0.0.66", "wang", PASSWORD).status_code == 429
        clock.advance(1)
        assert login_from(client, "10.0.0.66", "wang", "wrong password").status_code == 200
    clock.advance(32)
    assert login_from(client, "10.0.0.66", "wang", PASSWORD).status_code == 302


def test_long_waits_are_named_in_minutes(app, make_user, clock):
    app.config.update(SIGN_IN_FREE_FAILURES=1, SIGN_IN_MAX_DELAY_SECONDS=600)
    make_user("wang")
    client = app.test_client()
    assert login_from(client, "10.0.0.66", "wang", "wrong password").status_code == 200
    for wait in (2, 4, 8, 16, 32, 64, 128):
        clock.advance(wait)
        assert login_from(client, "10.0.0.66", "wang", "wrong password").status_code == 200
    response = login_from(client, "10.0.0.66", "wang", PASSWORD)
    assert response.status_code == 429 and response.headers["Retry-After"] == "256"
    assert "请 5 分钟后再试" in response.get_data(as_text=True)


def test_the_wait_never_exceeds_the_configured_maximum(app, make_user, clock):
    app.config.update(SIGN_IN_FREE_FAILURES=1, SIGN_IN_MAX_DELAY_SECONDS=10)
    make_user("wang")
    client = app.test_client()
    for _attempt in range(8):
        assert login_from(client, "10.0.0.66", "wang", "wrong password").status_code == 200
        clock.advance(10)
    response = login_from(client, "10.0.0.66", "wang", "wrong password")
    assert response.status_code == 200


def test_failures_are_forgotten_after_the_window(app, make_user, clock):
    make_user("wang")
    client = app.test_client()
    fail_five_times(client)
    clock.advance(15 * 60 + 1)
    fail_five_times(client)  # five free attempts again
    assert login_from(client, "10.0.0.66", "wang", PASSWORD).status_code == 429


def test_successful_sign_in_forgives_the_pairs_failures(app, make_user, clock):
    make_user("wang")
    client = app.test_client()
    for _attempt in range(4):
        login_from(client, "10.0.0.66", "wang", "wrong password")
    assert login_from(client, "10.0.0.66", "wang", PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": read_token(client, "/logout")})
    fail_five_times(client)


def read_token(client, path):
    page = client.get(path)
    return re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.data)[1]


def test_an_office_behind_one_address_is_never_locked_out(app, make_user, clock):
    """Thirty colleagues behind one NAT, each mistyping three times, all still sign in."""
    office = app.test_client()
    token = read_token(office, "/login").decode()
    for number in range(30):
        for _attempt in range(3):
            response = office.post(
                "/login",
                data={"username": f"colleague{number}", "password": "typo", "csrf_token": token},
                environ_base={"REMOTE_ADDR": "10.0.0.1"},
            )
            assert response.status_code == 200
    for number in (0, 29):
        colleague = make_user(f"colleague{number}")
        client = app.test_client()
        assert login_from(client, "10.0.0.1", colleague.username, PASSWORD).status_code == 302


def test_an_address_guessing_many_accounts_reaches_its_ceiling(app, make_user, clock):
    app.config["SIGN_IN_MAX_FAILURES_PER_ADDRESS"] = 3
    make_user("wang")
    guesser = app.test_client()
    for number in range(3):
        assert login_from(guesser, "10.0.0.66", f"guess{number}", "wrong").status_code == 200
    response = login_from(guesser, "10.0.0.66", "wang", PASSWORD)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(15 * 60)
    assert login_from(app.test_client(), "10.1.2.3", "wang", PASSWORD).status_code == 302
    clock.advance(15 * 60)
    assert login_from(app.test_client(), "10.0.0.66", "wang", PASSWORD).status_code == 302


def test_parallel_wrong_passwords_check_no_more_than_the_free_attempts(app, make_user, clock):
    """Forty simultaneous guesses at one account from one address: five are checked."""
    make_user("wang")
    clients = [app.test_client() for _number in range(40)]
    tokens = [read_token(client, "/login").decode() for client in clients]
    start = threading.Barrier(len(clients))

    def guess(client, token):
        start.wait()
        return client.post(
            "/login",
            data={"username": "wang", "password": f"guess {token[:6]}", "csrf_token": token},
            environ_base={"REMOTE_ADDR": "10.0.0.66"},
        ).status_code

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        codes = list(pool.map(guess, clients, tokens))
    assert sorted(set(codes)) == [200, 429]
    assert codes.count(200) == 5


def test_failures_are_shared_by_every_worker_process(app, make_user, app_settings, clock):
    """Another app instance on the same database (another gunicorn worker) sees the wait."""
    make_user("wang")
    fail_five_times(app.test_client(), address="127.0.0.1")
    other_worker = create_app({**app_settings, "SECRET_KEY": "another-key"})
    with other_worker.app_context():
        response = login_from(other_worker.test_client(), "127.0.0.1", "wang", PASSWORD)
        assert response.status_code == 429
        database.session.remove()
        database.engine.dispose()


def test_sign_in_page_names_no_account(client):
    text = client.get("/login").get_data(as_text=True)
    assert "admin" not in text and "user create" not in text


def test_disabled_account_cannot_sign_in(client, make_user, csrf_token, db):
    user = make_user("wang")
    user.is_enabled = False
    db.session.commit()
    assert post_login(client, csrf_token, "wang", PASSWORD).status_code == 200
    assert not is_signed_in(client)


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user("wang")
    response = client.post("/login", data={"username": "wang", "password": PASSWORD})
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_logout_link_shows_a_confirmation_and_post_signs_out(
    client, make_user, sign_in, csrf_token
):
    sign_in(make_user("wang"))
    page = client.get("/logout")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "退出登录？" in text and 'method="post"' in text
    assert is_signed_in(client)
    response = client.post("/logout", data={"csrf_token": csrf_token("/logout")})
    assert response.status_code == 302
    assert not is_signed_in(client)


def test_logout_without_token_keeps_the_user_signed_in(client, make_user, sign_in):
    sign_in(make_user("wang"))
    assert client.post("/logout").status_code == 400
    assert is_signed_in(client)


def test_account_page_shows_name_role_and_organization(
    client, make_user, make_organization, sign_in
):
    organization = make_organization(name="总工会")
    sign_in(make_user("wang", organization=organization))
    text = client.get("/account").get_data(as_text=True)
    assert "wang" in text and "协调员" in text and "总工会" in text
    assert 'href="/account"' in text


def test_account_page_requires_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_user_changes_own_password(client, make_user, sign_in, csrf_token, db):
    user = make_user("wang")
    sign_in(user)
    response = client.post(
        "/account",
        data={
            "current_password": "wrong one",
            "new_password": "a new secret 1",
            "confirm_password": "a new secret 1",
            "csrf_token": csrf_token("/account"),
        },
    )
    assert "当前密码不正确" in response.get_data(as_text=True)
    response = client.post(
        "/account",
        data={
            "current_password": PASSWORD,
            "new_password": "a new secret 1",
            "confirm_password": "a new secret 1",
            "csrf_token": csrf_token("/account"),
        },
    )
    assert response.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token("/logout")})
    assert post_login(client, csrf_token, "wang", "a new secret 1").status_code == 302


def test_account_errors_follow_the_page_language(client, make_user, sign_in, csrf_token):
    admin = make_user("admin", role="admin")
    sign_in(admin)
    client.get("/account?lang=en")
    response = client.post(
        "/account",
        data={
            "current_password": "wrong one",
            "new_password": "a new secret 1",
            "confirm_password": "a new secret 1",
            "csrf_token": csrf_token("/account"),
        },
    )
    assert "The current password is incorrect." in response.get_data(as_text=True)
    response = client.post(
        f"/admin/users/{admin.id}/edit",
        data={"role": "coordinator", "csrf_token": csrf_token(f"/admin/users/{admin.id}/edit")},
    )
    assert "You cannot disable your own account" in response.get_data(as_text=True)


def test_overlong_sign_in_name_is_refused_in_chinese(client, csrf_token):
    response = post_login(client, csrf_token, "w" * 81, PASSWORD)
    assert "不能超过 80 个字符" in response.get_data(as_text=True)


def test_new_passwords_are_hashed_with_the_configured_method(app, make_user):
    app.config["PASSWORD_HASH_METHOD"] = "scrypt:1024:8:1"
    assert make_user("wang").password_hash.startswith("scrypt:1024:8:1$")


def test_passwords_hashed_with_another_method_or_cost_still_sign_in(
    app, client, make_user, csrf_token, db
):
    """Hashes made before the method changed (here: the production default) keep working."""
    user = make_user("wang")
    user.password_hash = generate_password_hash(PASSWORD, DefaultConfig.PASSWORD_HASH_METHOD)
    db.session.commit()
    assert app.config["PASSWORD_HASH_METHOD"] != DefaultConfig.PASSWORD_HASH_METHOD
    assert post_login(client, csrf_token, "wang", PASSWORD).status_code == 302


# --- account administration ------------------------------------------------------------


def test_admin_lists_creates_and_disables_accounts(
    client, make_user, make_organization, sign_in, csrf_token, db
):
    organization = make_organization(name="安监局")
    sign_in(make_user("admin", role="admin"))
    assert "admin" in client.get("/admin/users/").get_data(as_text=True)
    response = client.post(
        "/admin/users/new",
        data={
            "username": "li",
            "password": "first password",
            "role": "coordinator",
            "organization": str(organization.id),
            "csrf_token": csrf_token("/admin/users/new"),
        },
    )
    assert response.status_code == 302
    li = db.session.scalar(select(User).where(User.username == "li"))
    assert li.organization_id == organization.id and li.role == "coordinator"
    assert li.password_hash != "first password"
    response = client.post(
        f"/admin/users/{li.id}/edit",
        data={
            "role": "coordinator",
            "organization": str(organization.id),
            "new_password": "",
            "csrf_token": csrf_token(f"/admin/users/{li.id}/edit"),
        },
    )
    assert response.status_code == 302
    db.session.refresh(li)
    assert li.is_enabled is False
    assert "已停用" in client.get("/admin/users/").get_data(as_text=True)
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "user", AuditEntry.entity_id == li.id)
    ).all()
    assert [entry.action for entry in entries] == ["create", "edit"]


def test_admin_cannot_disable_their_own_account(client, make_user, sign_in, csrf_token, db):
    admin = make_user("admin", role="admin")
    sign_in(admin)
    response = client.post(
        f"/admin/users/{admin.id}/edit",
        data={
            "role": "admin",
            "organization": "",
            "csrf_token": csrf_token(f"/admin/users/{admin.id}/edit"),
        },
    )
    assert "不能停用自己的账号" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.is_enabled


def test_duplicate_or_short_password_accounts_are_refused(
    client, make_user, sign_in, csrf_token, db
):
    sign_in(make_user("admin", role="admin"))
    for username, password, message in [
        ("admin", "long enough password", "该用户名已存在"),
        ("zhao", "short", "密码至少需要 8 个字符"),
    ]:
        response = client.post(
            "/admin/users/new",
            data={
                "username": username,
                "password": password,
                "role": "coordinator",
                "csrf_token": csrf_token("/admin/users/new"),
            },
        )
        assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_minimum_password_length_is_a_setting(app, client, make_user, sign_in, csrf_token, db):
    app.config["PASSWORD_MIN_LENGTH"] = 12
    sign_in(make_user("admin", role="admin"))
    data = {"role": "coordinator", "csrf_token": csrf_token("/admin/users/new")}
    response = client.post(
        "/admin/users/new", data={**data, "username": "zhao", "password": "eleven char"}
    )
    assert "密码至少需要 12 个字符" in response.get_data(as_text=True)
    response = client.post(
        "/admin/users/new", data={**data, "username": "zhao", "password": "twelve chars"}
    )
    assert response.status_code == 302


@pytest.mark.parametrize("path", ["/admin/users/", "/admin/users/new", "/admin/users/1/edit"])
def test_coordinator_cannot_manage_accounts(client, make_user, sign_in, path):
    sign_in(make_user("wang"))
    assert client.get(path).status_code == 403


def test_coordinator_posting_to_user_admin_creates_nothing(
    client, make_user, sign_in, csrf_token, db
):
    wang = make_user("wang")
    sign_in(wang)
    response = client.post(
        "/admin/users/new",
        data={
            "username": "intruder",
            "password": "long enough password",
            "role": "admin",
            "csrf_token": csrf_token("/account"),
        },
    )
    assert response.status_code == 403
    response = client.post(
        f"/admin/users/{wang.id}/edit",
        data={"role": "admin", "is_enabled": "y", "csrf_token": csrf_token("/account")},
    )
    assert response.status_code == 403
    db.session.refresh(wang)
    assert wang.role == "coordinator"
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_anonymous_visitor_is_sent_to_sign_in_for_admin_pages(client):
    response = client.get("/admin/users/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- command line ----------------------------------------------------------------------


def test_user_create_command_with_password(runner, db):
    result = runner.invoke(
        args=["user", "create", "admin", "--role", "admin", "--password", "a good password"]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "admin"))
    assert user.is_admin and user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_user_create_command_prompts_for_the_password(runner, db, client, csrf_token):
    result = runner.invoke(
        args=["user", "create", "li", "--role", "coordinator"],
        input="typed password\ntyped password\n",
    )
    assert result.exit_code == 0, result.output
    assert post_login(client, csrf_token, "li", "typed password").status_code == 302


def test_user_create_command_refuses_a_short_password_in_chinese(runner, db):
    result = runner.invoke(args=["user", "create", "li", "--password", "short"])
    assert result.exit_code == 1
    assert "密码至少需要 8 个字符" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_user_create_command_names_a_taken_username(runner, make_user):
    make_user("li")
    result = runner.invoke(args=["user", "create", "li", "--password", "a good password"])
    assert result.exit_code == 1
    assert "用户名“li”已存在" in result.output


def test_a_fresh_database_has_no_account_to_guess(db, client, csrf_token):
    assert db.session.scalar(select(func.count(User.id))) == 0
    for username, password in [("admin", "admin"), ("admin", "password"), ("root", "123456")]:
        assert post_login(client, csrf_token, username, password).status_code == 200
    assert not is_signed_in(client)
