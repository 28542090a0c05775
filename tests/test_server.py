"""How push sources' routes are served: under /hooks/<name>, each source apart from the others."""

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from payalert_core import PushSource, SourceConfig
from payalert_core.server import build_app


class Shop(PushSource):
    """A source with a root route, a dynamic route and a GET route."""

    type_name = "shop"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/", self.answer)
        app.router.add_post("/orders/{order}", self.answer)
        app.router.add_get("/status", self.answer)

    async def answer(self, request: web.Request) -> web.Response:
        return web.json_response({"source": self.name, "path": request.path, **request.match_info})


async def _status():
    return 200, {"status": "ok"}


async def _metrics():
    return b"payalert_up 1\n"


@pytest.fixture
async def client():
    sources = [Shop(name, SourceConfig(type="shop"), None) for name in ("eu", "in")]
    async with TestClient(TestServer(build_app(_status, _metrics, sources, 1024))) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/hooks/eu/", {"source": "eu", "path": "/hooks/eu/"}),
        ("POST", "/hooks/eu", {"source": "eu", "path": "/hooks/eu"}),
        ("POST", "/hooks/in/", {"source": "in", "path": "/hooks/in/"}),
        ("POST", "/hooks/in/orders/42", {"source": "in", "path": "/hooks/in/orders/42", "order": "42"}),
        ("GET", "/hooks/eu/status", {"source": "eu", "path": "/hooks/eu/status"}),
    ],
)
async def test_each_route_is_served_under_its_sources_prefix(client, method, path, expected):
    answer = await client.request(method, path)
    assert answer.status == 200
    assert await answer.json() == expected


async def test_head_follows_get_and_unknown_paths_and_methods_are_refused(client):
    assert (await client.head("/hooks/eu/status")).status == 200
    assert (await client.get("/hooks/eu/")).status == 405
    assert (await client.post("/hooks/eu/nothing-here")).status == 404
    assert (await client.post("/hooks/other/")).status == 404


async def test_health_and_metrics_sit_beside_the_hooks(client):
    # Without a token configured, /health shows only the status and the kinds of problem.
    assert await (await client.get("/health")).json() == {"status": "ok", "problems": []}
    assert await (await client.get("/metrics")).text() == "payalert_up 1\n"


TOKEN = "health-token-for-tests"


async def _degraded():
    return 503, {
        "status": "degraded",
        "problems": ["notifier_failing"],
        "unhealthy": ["tg"],
        "notifiers": {"tg": {"last_error": "Forbidden: bot was blocked by chat 5551234"}},
    }


@pytest.fixture
async def guarded():
    sources = [Shop("eu", SourceConfig(type="shop"), None)]
    app = build_app(_degraded, _metrics, sources, 1024, token=TOKEN, protect_metrics=True)
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_health_details_need_the_token(guarded):
    anonymous = await guarded.get("/health")
    assert anonymous.status == 503  # probes still see the status
    assert await anonymous.json() == {"status": "degraded", "problems": ["notifier_failing"]}
    trusted = await guarded.get("/health", headers={"Authorization": f"Bearer {TOKEN}"})
    assert trusted.status == 503 and (await trusted.json())["unhealthy"] == ["tg"]
    wrong = await guarded.get("/health", headers={"Authorization": "Bearer guess"})
    assert wrong.status == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
    assert "tg" not in await wrong.text()


async def test_protected_metrics_need_the_token(guarded):
    assert (await guarded.get("/metrics")).status == 401
    assert (await guarded.get("/metrics", headers={"Authorization": "Bearer nope"})).status == 401
    answer = await guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status == 200 and await answer.text() == "payalert_up 1\n"


async def test_metrics_stay_open_when_asked(tmp_path):
    app = build_app(_degraded, _metrics, [], 1024, token=TOKEN, protect_metrics=False)
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/metrics")).status == 200
        assert (await client.get("/health")).status == 503


async def test_a_body_that_arrives_too_slowly_gets_408_and_the_source_never_sees_it():
    seen = []

    class Counting(Shop):
        async def answer(self, request: web.Request) -> web.Response:
            seen.append(await request.read())
            return web.json_response({"ok": True})

    app = build_app(
        _status, _metrics, [Counting("eu", SourceConfig(type="shop"), None)], 1024, body_timeout=0.2
    )

    async def trickle():
        yield b"{"
        await asyncio.sleep(2)
        yield b"}"

    async with TestClient(TestServer(app)) as client:
        slow = await client.post("/hooks/eu/", data=trickle(), headers={"Content-Length": "2"})
        assert slow.status == 408
        fast = await client.post("/hooks/eu/", data=b"{}")
        assert fast.status == 200
    assert seen == [b"{}"]
