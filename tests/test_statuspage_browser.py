"""The status page in a real browser (headless Chromium driven by Selenium) against a real daemon.

The daemon has a webhook source, a polled source that fails its first polls (so it goes failing,
then stale, then comes back) and a telegram notifier pointed at the local Bot API server.
"""

import struct

import pytest
from payalert_testing.browser import DESKTOP, PHONE, chromium, save_page_screenshot
from payalert_testing.telegram_api import TOKEN, Fault
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from .statuspage_client import PASSWORD
from .test_statuspage import HOSTILE_TITLE, password_hash
from .webhook_client import signed_post, webhook_source

CHAT = 111


@pytest.fixture
def daemon(payalert_daemon, telegram_api, tmp_path):
    feed = tmp_path / "bank.jsonl"
    feed.touch()
    return payalert_daemon.start(
        sources={
            "shop": webhook_source(),
            "bank": {
                "type": "feed-poll",
                "path": str(feed),
                "interval": "0.5s",
                "jitter": 0,
                "fail_polls": 3,
            },
        },
        notifiers={
            "tg": {
                "type": "telegram",
                "token": TOKEN,
                "destinations": [CHAT],
                "base_url": telegram_api.url,
                "poll_timeout": "1s",
            }
        },
        settings={
            "status_page": {"enabled": True, "password_hash": password_hash()},
            "delivery": {"retry_initial": "0.2s", "retry_max": "1s"},
        },
    )


@pytest.fixture
def browser():
    with chromium() as session:
        yield session


def log_in(browser, daemon):
    browser.get(daemon.url + "/status/")
    assert browser.current_url.endswith("/status/login")  # no page without a login
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 15).until(lambda b: b.current_url.endswith("/status/"))


def reload_until(browser, condition, timeout=20):
    """Reload the page (as its own refresh would) until ``condition(browser)`` holds."""

    def reloaded(session):
        session.refresh()
        return condition(session)

    return WebDriverWait(browser, timeout, poll_frequency=0.3).until(reloaded)


def source_state(browser, name):
    return browser.find_element(By.CSS_SELECTOR, f'tr[data-source="{name}"] .state').text


def payment_titles(browser):
    return [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "#payments td.title")]


def test_a_payment_appears_after_a_reload_and_a_source_goes_stale_and_comes_back(browser, daemon):
    log_in(browser, daemon)
    assert payment_titles(browser) == []
    payment = {"id": "order-7", "amount": "1250.50", "currency": "INR", "title": "Order #7"}
    assert signed_post(daemon, "shop", payment).status == 202
    reload_until(browser, lambda b: payment_titles(b) == ["Order #7"])
    row = browser.find_element(By.CSS_SELECTOR, "#payments tr.payment")
    assert "+1,250.50 INR" in row.text and "completed" in row.text
    received = browser.find_element(By.CSS_SELECTOR, 'tr[data-currency="INR"] td.received-today')
    assert received.text == "1,250.50 INR"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#totals svg rect")) == 30

    reload_until(browser, lambda b: source_state(b, "bank") == "stale")
    reason = browser.find_element(By.CSS_SELECTOR, 'tr[data-source="bank"] .reason').text
    assert reason.startswith("no success for")
    reload_until(browser, lambda b: source_state(b, "bank") == "ok")
    assert source_state(browser, "shop") == "ok"


def test_a_failed_delivery_is_retried_by_a_click_and_a_forged_form_is_refused(browser, daemon, telegram_api):
    telegram_api.fail("sendMessage", Fault.forbidden())
    log_in(browser, daemon)
    assert signed_post(daemon, "shop", {"id": "order-8", "amount": "99", "currency": "INR"}).status == 202
    reload_until(browser, lambda b: b.find_elements(By.CSS_SELECTOR, 'tr[data-notifier="tg"] button.retry'))
    assert browser.find_element(By.CSS_SELECTOR, 'tr[data-notifier="tg"] .failed').text == "1"
    assert "Forbidden" in browser.find_element(By.CSS_SELECTOR, 'tr[data-notifier="tg"]').text

    browser.execute_script(
        "document.querySelector('tr[data-notifier=\"tg\"] input[name=csrf]').value = 'f'.repeat(64)"
    )
    browser.find_element(By.CSS_SELECTOR, 'tr[data-notifier="tg"] button.retry').click()
    WebDriverWait(browser, 15).until(lambda b: b.current_url.endswith("/status/retry"))  # the answer came
    assert "out of date" in browser.find_element(By.TAG_NAME, "body").text  # 403, nothing queued
    assert telegram_api.sent(CHAT) == []

    browser.get(daemon.url + "/status/")
    browser.find_element(By.CSS_SELECTOR, 'tr[data-notifier="tg"] button.retry').click()
    WebDriverWait(browser, 15).until(lambda b: "?queued=" in b.current_url)  # the form's redirect came
    assert browser.find_element(By.ID, "queued").text == "1 failed deliveries queued again."
    (message,) = telegram_api.wait_for_messages(1, CHAT, timeout=20)
    assert "99.00 INR" in message.text
    reload_until(
        browser, lambda b: b.find_element(By.CSS_SELECTOR, 'tr[data-notifier="tg"] .failed').text == "0"
    )

    browser.delete_all_cookies()
    browser.get(daemon.url + "/status/")
    assert browser.current_url.endswith("/status/login")


def test_a_hostile_title_is_shown_as_text_and_runs_nothing(browser, daemon):
    log_in(browser, daemon)
    hostile = {
        "id": "x-1",
        "amount": "1",
        "currency": "INR",
        "title": HOSTILE_TITLE,
        "counterparty": "<b>bold</b>",
    }
    assert signed_post(daemon, "shop", hostile).status == 202
    reload_until(browser, lambda b: payment_titles(b) == [HOSTILE_TITLE])
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is what raises
    assert browser.find_elements(By.CSS_SELECTOR, "#payments b") == []
    assert browser.find_elements(By.CSS_SELECTOR, "#payments script") == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_page_fits_phone_and_desktop_screens(browser, daemon, tmp_path, viewport):
    log_in(browser, daemon)
    width, height = viewport
    shot = tmp_path / "status.png"
    save_page_screenshot(browser, shot, width, height)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    shot_width, shot_height = struct.unpack(">II", png[16:24])
    assert shot_width == width and shot_height >= browser.execute_script("return innerHeight")
