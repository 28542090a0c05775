"""The status page inside a real ``payalert run``: who gets in, what it shows and what it never shows."""

import functools
import re
from http.cookies import SimpleCookie

import pytest

from payalert_core.statuspage.access import LOGIN_FAILURES_ALLOWED
from payalert_core.statuspage.passwords import hash_password

from .statuspage_client import PASSWORD, PageClient
from .webhook_client import SECRET, signed_post, webhook_source

HOSTILE_TITLE = "<script>alert(1)</script>"


@functools.cache
def password_hash():
    return hash_password(PASSWORD)


def status_page(**options):
    return {"status_page": {"enabled": True, "password_hash": password_hash(), **options}}


@pytest.fixture
def daemon(payalert_daemon):
    return payalert_daemon.start(
        sources={"shop": webhook_source()},
        settings={
            **status_page(trusted_header="X-Forwarded-User", trusted_proxies=["127.0.0.1/32"]),
            "delivery": {"retry_initial": "0.1s", "retry_max": "0.1s", "give_up_after": "0.05s"},
        },
        recorder={"fail_first": 1},
    )


def as_client(address):
    """Headers of a request the (trusted) local proxy forwards for ``address``."""
    return {"X-Forwarded-For": address}


def test_the_page_is_off_unless_enabled(payalert_daemon):
    daemon = payalert_daemon.start(sources={"shop": webhook_source()})
    assert daemon.request("GET", "/status/").status == 404
    assert daemon.request("GET", "/status/login").status == 404


def test_without_login_the_page_sends_to_the_form_and_refuses_every_form(daemon):
    visitor = PageClient(daemon)
    answer = visitor.get()
    assert answer.status == 303 and answer.headers["Location"] == "/status/login"
    assert visitor.get("/status").headers["Location"] == "/status/"
    login = visitor.get("/status/login")
    assert login.status == 200 and b'type="password"' in login.body
    assert visitor.post("/status/retry", {"notifier": "recorder", "csrf": "0" * 64}).status == 403
    assert visitor.post("/status/logout", {"csrf": "0" * 64}).status == 403
    visitor.session = "made-up-session-id"
    assert visitor.get().status == 303


def test_a_login_opens_a_strict_http_only_session_and_a_logout_ends_it(daemon):
    visitor = PageClient(daemon, as_client("192.0.2.1"))
    assert visitor.login("wrong password").status == 401
    answer = visitor.login()
    assert answer.status == 303 and answer.headers["Location"] == "/status/"
    cookie = SimpleCookie(answer.headers["Set-Cookie"])["payalert_status"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/status/"
    assert not cookie["secure"]  # plain HTTP: a Secure cookie would never come back
    page = visitor.get()
    assert page.status == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'none': no script
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    text = page.body.decode()
    assert 'http-equiv="refresh" content="30"' in text
    assert 'data-source="shop"' in text and 'data-notifier="recorder"' in text
    assert visitor.post("/status/logout", {"csrf": visitor.csrf()}).status == 303
    assert visitor.get().status == 303


def test_the_cookie_is_secure_when_a_trusted_proxy_says_the_browser_used_https(daemon):
    visitor = PageClient(daemon, {**as_client("192.0.2.2"), "X-Forwarded-Proto": "https"})
    cookie = SimpleCookie(visitor.login().headers["Set-Cookie"])["payalert_status"]
    assert cookie["secure"]


def test_wrong_passwords_make_that_client_wait_and_no_other(daemon):
    guesser = PageClient(daemon, as_client("198.51.100.7"))
    for _ in range(LOGIN_FAILURES_ALLOWED):
        assert guesser.login("not the password").status == 401
    refused = guesser.login()  # even the right password, until the window has passed
    assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0
    assert guesser.session is None
    assert PageClient(daemon, as_client("198.51.100.8")).login().status == 303
    assert "a wrong password from 198.51.100.7" in daemon.output()
    assert PASSWORD not in daemon.output()


def test_forms_need_the_visitors_csrf_token_and_the_same_site(daemon):
    visitor = PageClient(daemon, as_client("192.0.2.3"))
    visitor.login()
    other = PageClient(daemon, as_client("192.0.2.4"))
    other.login()
    assert visitor.post("/status/retry", {"notifier": "recorder", "csrf": "f" * 64}).status == 403
    assert visitor.post("/status/retry", {"notifier": "recorder", "csrf": other.csrf()}).status == 403
    cross = visitor.post(
        "/status/retry", {"notifier": "recorder", "csrf": visitor.csrf()}, {"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status == 403
    assert visitor.login(headers={"Sec-Fetch-Site": "cross-site"}).status == 403
    assert visitor.post("/status/retry", {"notifier": "nobody", "csrf": visitor.csrf()}).status == 400


def test_retry_puts_a_notifiers_failed_deliveries_back_and_they_are_sent(daemon):
    visitor = PageClient(daemon, as_client("192.0.2.5"))
    visitor.login()
    assert signed_post(daemon, "shop", {"id": "order-1", "amount": "250.00", "currency": "INR"}).status == 202
    daemon.wait_for(lambda: daemon.health().json()["notifiers"]["recorder"]["failed"] == 1)
    assert re.search(r'class="num failed">1<', visitor.page_text())
    answer = visitor.post("/status/retry", {"notifier": "recorder", "csrf": visitor.csrf()})
    assert answer.status == 303 and answer.headers["Location"] == "/status/?queued=1"
    assert [alert.payment.external_id for alert in daemon.wait_for_alerts(1)] == ["order-1"]
    assert "1 failed deliveries queued again" in visitor.get(answer.headers["Location"]).body.decode()


def test_titles_are_shown_as_text_and_no_secret_or_payload_is_on_the_page(daemon):
    visitor = PageClient(daemon, as_client("192.0.2.6"))
    visitor.login()
    payload = {
        "id": "evil-1",
        "amount": "1.00",
        "currency": "INR",
        "title": HOSTILE_TITLE,
        "counterparty": '"><img src=x onerror=alert(2)>',
        "only_in_the_payload": "raw-payload-marker",
    }
    assert signed_post(daemon, "shop", payload).status == 202
    text = visitor.page_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script" not in text and "<img" not in text
    for secret in (SECRET, daemon.health_token, password_hash(), "raw-payload-marker"):
        assert secret not in text


def test_a_proxys_user_header_counts_only_from_a_trusted_proxy(daemon, payalert_daemon):
    proxied = PageClient(daemon, {"X-Forwarded-User": "asha"})
    assert signed_post(daemon, "shop", {"id": "order-2", "amount": "5", "currency": "INR"}).status == 202
    daemon.wait_for(lambda: daemon.health().json()["notifiers"]["recorder"]["failed"] == 1)
    text = proxied.page_text()
    assert "Log out" not in text and ">asha<" in text
    token = proxied.csrf()
    bob = PageClient(daemon, {"X-Forwarded-User": "bob"})
    assert bob.post("/status/retry", {"notifier": "recorder", "csrf": token}).status == 403  # bound to asha
    assert proxied.post("/status/retry", {"notifier": "recorder", "csrf": token}).status == 303
    daemon.wait_for_alerts(1)
    elsewhere = payalert_daemon.start(
        settings=status_page(trusted_header="X-Forwarded-User", trusted_proxies=["10.0.0.0/8"])
    )
    assert PageClient(elsewhere, {"X-Forwarded-User": "asha"}).get().status == 303
