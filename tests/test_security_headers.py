"""Every answer carries the security headers: a CSP without inline code, no framing, no MIME
sniffing, no referrer to other sites, HSTS over HTTPS, and no caching of personal pages."""

import pytest


@pytest.mark.parametrize("path", ["/", "/events/", "/login", "/feeds/", "/no-such-page"])
def test_pages_carry_the_security_headers(client, path):
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("no-referrer", "same-origin")
    assert headers["Cache-Control"] == "no-store"


def test_signed_in_pages_are_not_stored(client, make_user, sign_in, make_event):
    event = make_event()
    sign_in(make_user())
    for path in ("/", "/events/new", f"/events/{event.id}", "/feeds/tokens", "/people/"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path


def test_public_feed_stays_cacheable_and_gets_nosniff(client, make_event):
    make_event()
    headers = client.get("/calendar.ics").headers
    assert headers["Cache-Control"] == "public, no-cache"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://calendar.example.org")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_static_files_get_nosniff_and_keep_their_own_caching(client):
    response = client.get("/static/js/colors.js")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()
