"""A small HTTP client for the status page: logs in, keeps its session cookie, sends its forms."""

import re
import urllib.parse
from http.cookies import SimpleCookie

#: The password of every test status page, and its hash (made once: scrypt takes its time).
PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


class PageClient:
    """One browser's view of a daemon's status page, over plain HTTP."""

    def __init__(self, daemon, headers=None):
        self.daemon = daemon
        self.headers = dict(headers or {})
        self.session = None

    def _headers(self, extra=None):
        headers = dict(self.headers)
        if self.session:
            headers["Cookie"] = f"payalert_status={self.session}"
        headers.update(extra or {})
        return headers

    def get(self, path="/status/", headers=None):
        return self.daemon.request("GET", path, headers=self._headers(headers))

    def post(self, path, fields, headers=None):
        body = urllib.parse.urlencode(fields).encode()
        form = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.daemon.request("POST", path, body, headers=self._headers(form))

    def login(self, password=PASSWORD, headers=None):
        answer = self.post("/status/login", {"password": password}, headers)
        cookie = SimpleCookie(answer.headers.get("Set-Cookie", ""))
        if "payalert_status" in cookie:
            self.session = cookie["payalert_status"].value
        return answer

    def csrf(self):
        page = self.get()
        assert page.status == 200, page
        return _CSRF.search(page.body.decode()).group(1)

    def page_text(self):
        page = self.get()
        assert page.status == 200, (page.status, page.body[:500])
        return page.body.decode()
