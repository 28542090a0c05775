"""Start a daemon with demo data and save the status page at phone and desktop widths into docs/.

Run through ``scripts/screenshots``. The demo: a webhook shop and a GitHub-like feed, 30 days of
payments in three currencies, a notice, and a Telegram notifier (the local Bot API test server)
that refused two alerts, so the page shows failed deliveries and their retry button.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from payalert_testing.browser import DESKTOP, PHONE, chromium, save_page_screenshot
from payalert_testing.daemon import DaemonFactory, DaemonProcess
from payalert_testing.telegram_api import TOKEN, Fault, TelegramAPI
from selenium.webdriver.common.by import By

from payalert_core import sign_sha256
from payalert_core.sources.webhook import SIGNATURE_HEADER
from payalert_core.statuspage.passwords import hash_password

DOCS = Path(__file__).resolve().parent.parent / "docs"
SECRET = "screenshot-secret-0123456789"
PASSWORD = "screenshot password"
#: The pictures show the top of the page: its sections and the first payments.
MAX_HEIGHT = {"phone": 1800, "desktop": 1300}
CUSTOMERS = ["Asha K", "Ravi Traders", "M. Fernandes", "Priya S", "Studio Nine", "J. Okafor"]


def demo_payments(now: datetime) -> list[dict[str, object]]:
    """Webhook bodies: about two orders a day for 30 days, a few refunds, a few in USDT and USD."""
    pick = random.Random(19)
    bodies: list[dict[str, object]] = []
    for number in range(40):
        when = now - timedelta(hours=number * 17 + pick.randint(0, 8))
        currency = "USDT" if number % 9 == 4 else "USD" if number % 11 == 6 else "INR"
        amount = (
            pick.choice([499, 1250, 2999, 750, 3499]) if currency == "INR" else pick.choice([25, 40, 120])
        )
        refund = number % 13 == 7
        bodies.append(
            {
                "id": f"order-{1100 - number}",
                "amount": f"{amount}.00",
                "currency": currency,
                "direction": "out" if refund else "in",
                "occurred_at": when.isoformat(timespec="seconds"),
                "title": f"Refund of order #{1100 - number}" if refund else f"Order #{1100 - number}",
                "counterparty": CUSTOMERS[number % len(CUSTOMERS)],
            }
        )
    return bodies


def post_payments(daemon: DaemonProcess, bodies: list[dict[str, object]]) -> None:
    """Post each body, oldest first, as a signed webhook."""
    for body in reversed(bodies):
        raw = json.dumps(body).encode()
        headers = {SIGNATURE_HEADER: sign_sha256(SECRET, raw), "Content-Type": "application/json"}
        answer = daemon.post("/hooks/shop/", raw, headers)
        if answer.status != 202:
            raise RuntimeError(f"a demo payment was answered {answer.status}: {answer.body!r}")


def settled(daemon: DaemonProcess) -> bool:
    """True once every alert went out but the two Telegram refused."""
    telegram = daemon.health().json()["notifiers"]["telegram"]
    return telegram["pending"] == 0 and telegram["failed"] == 2


def log_in(session, daemon: DaemonProcess) -> None:
    """Log the browser in with the demo password."""
    session.get(daemon.url + "/status/login")
    session.find_element(By.ID, "password").send_keys(PASSWORD)
    session.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def main() -> int:
    """Start, fill, photograph, stop."""
    with tempfile.TemporaryDirectory() as folder, TelegramAPI() as api:
        api.fail("sendMessage", Fault.forbidden(), times=2)
        feed = Path(folder) / "github.jsonl"
        now = datetime.now(UTC)
        sponsor = {"id": "sponsor-1", "amount": "25", "currency": "USD", "counterparty": "a private sponsor"}
        notice = {"id": "sponsor-2", "kind": "github.sponsorship.cancelled", "counterparty": "@octo-fan"}
        feed.write_text(
            json.dumps({**sponsor, "title": "New monthly sponsor, $25", "occurred_at": now.isoformat()})
            + "\n"
            + json.dumps({**notice, "title": "A sponsorship ends at the end of the month"})
            + "\n"
        )
        factory = DaemonFactory(Path(folder))
        try:
            daemon = factory.start(
                sources={
                    "shop": {"type": "webhook", "secret": SECRET},
                    "github": {"type": "feed-poll", "path": str(feed), "interval": "5m", "jitter": 0},
                },
                notifiers={
                    "telegram": {
                        "type": "telegram",
                        "token": TOKEN,
                        "destinations": [111],
                        "base_url": api.url,
                        "poll_timeout": "1s",
                    }
                },
                settings={
                    "log_level": "WARNING",
                    "status_page": {
                        "enabled": True,
                        "password_hash": hash_password(PASSWORD),
                        "timezone": "Asia/Kolkata",
                    },
                },
            )
            post_payments(daemon, demo_payments(now))
            daemon.wait_for(lambda: settled(daemon), timeout=120)
            for name, (width, height) in (("phone", PHONE), ("desktop", DESKTOP)):
                with chromium(width, height) as session:
                    log_in(session, daemon)
                    path = DOCS / f"status-page-{name}.png"
                    save_page_screenshot(session, path, width, height, max_height=MAX_HEIGHT[name])
                    print(f"wrote {path.relative_to(DOCS.parent)} ({path.stat().st_size // 1024} KiB)")
        finally:
            factory.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
