"""Debian's Chromium, headless, driven by Selenium: for tests and screenshots of the status page.

``scripts/test`` installs ``chromium`` and ``chromium-driver``; Selenium is in ``payalert-core[test]``
and is imported only when a browser is asked for.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

#: Viewports (CSS pixels) of the screenshots: a common phone, and a laptop.
PHONE = (390, 844)
DESKTOP = (1280, 900)


@contextmanager
def chromium(width: int = DESKTOP[0], height: int = DESKTOP[1]) -> Iterator[WebDriver]:
    """A headless Chromium with a ``width`` × ``height`` viewport, quit on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver is None:
        raise RuntimeError(
            "Chromium is not installed: run scripts/test, or apt-get install chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",  # the tests may run as root, in a container
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    session = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        session.set_page_load_timeout(30)
        yield session
    finally:
        session.quit()


def save_page_screenshot(
    session: WebDriver, path: Path, width: int, min_height: int, max_height: int = 4000
) -> None:
    """A PNG of the page at ``width`` CSS pixels, as tall as the page (within the bounds given)."""
    session.set_window_size(width, min_height)
    height = session.execute_script("return document.documentElement.scrollHeight")
    session.set_window_size(width, max(min_height, min(int(height), max_height)))
    path.parent.mkdir(parents=True, exist_ok=True)
    session.save_screenshot(str(path))
