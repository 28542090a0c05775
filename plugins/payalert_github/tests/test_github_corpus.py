"""Every real GitHub payload in the shared corpus, through a running daemon, with real signatures."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from payalert_testing.github import counter

from payalert_core import Direction
from payalert_core import sign_sha256 as sign_body

SPONSORSHIP_FILES = {
    "sponsorship.created.payload.json": ("created", Decimal("5.00"), Direction.IN),
    "sponsorship.cancelled.zulip.json": ("cancelled", None, Direction.NONE),
    "sponsorship.edited.zulip.json": ("edited", None, Direction.NONE),
    "sponsorship.tier_changed.zulip.json": ("tier_changed", None, Direction.NONE),
    "sponsorship.pending_cancellation.zulip.json": ("pending_cancellation", None, Direction.NONE),
    "sponsorship.pending_tier_change.downgraded.payload.json": ("pending_tier_change", None, Direction.NONE),
}
TITLES = {
    "created": "New sponsor: @monalisa, $5.00 a month",
    "cancelled": "Sponsorship cancelled: @monalisa ($5.00 a month)",
    "edited": "Sponsorship now private: @monalisa",
    "tier_changed": "Sponsorship downgraded: @monalisa, $10.00 → $5.00 a month",
    "pending_cancellation": "Sponsorship ending on 5 Jan 2020: @monalisa ($5.00 a month)",
    "pending_tier_change": "Sponsorship downgrade on 30 Dec 2019: @monalisa, $10.00 → $5.00 a month",
}


def test_corpus_holds_what_these_tests_expect(corpus_github: Path) -> None:
    sponsorships = {path.name for path in corpus_github.glob("sponsorship.*.json")}
    assert sponsorships == set(SPONSORSHIP_FILES), "a new corpus payload needs an expectation here"
    assert {json.loads((corpus_github / name).read_text())["action"] for name in sponsorships} == set(TITLES)


@pytest.mark.parametrize("content_type", ["json", "form"])
def test_every_sponsorship_payload_alerts_once(start_github, corpus_github: Path, content_type: str) -> None:
    daemon, poster = start_github()
    for index, name in enumerate(sorted(SPONSORSHIP_FILES)):
        text = (corpus_github / name).read_text(encoding="utf-8")
        answer = poster.send(text, delivery=f"corpus-{index}", content_type=content_type)
        assert answer.status == 200, (name, answer.body)
        assert answer.json()["status"] == "stored"
    alerts = daemon.wait_for_alerts(len(SPONSORSHIP_FILES))
    by_kind = {alert.payment.kind: alert.payment for alert in alerts}
    assert len(alerts) == len(SPONSORSHIP_FILES) == len(by_kind)
    for name, (action, amount, direction) in SPONSORSHIP_FILES.items():
        payment = by_kind[f"github.sponsorship.{action}"]
        assert payment.source == "gh"
        assert payment.amount == amount, name
        assert payment.currency == ("USD" if amount is not None else None)
        assert payment.direction is direction, name
        assert payment.title == TITLES[action]
        assert payment.counterparty == "monalisa"
        assert payment.link == "https://github.com/monalisa"
        original = json.loads((corpus_github / name).read_text(encoding="utf-8"))
        assert payment.details["Privacy"] == original["sponsorship"]["privacy_level"]
        assert payment.external_id.startswith("corpus-")
        assert payment.raw == original


def test_pings_connect_and_alert_nobody(start_github, corpus_github: Path) -> None:
    daemon, poster = start_github()
    pings = sorted(corpus_github.glob("ping*.json"))
    assert len(pings) >= 2
    for index, path in enumerate(pings):
        payload = json.loads(path.read_text(encoding="utf-8"))
        answer = poster.send(payload, event="ping", delivery=f"ping-{index}")
        assert answer.status == 200, path.name
        assert answer.json()["status"] == "pong"
    log = daemon.wait_for(
        lambda: daemon.output().count("webhook connected") == len(pings) and daemon.output()
    )
    assert "webhook connected: hook 624672630 (SponsorsListing), events sponsorship" in log
    # A repository webhook can never deliver sponsorships: the log says where to add it instead.
    assert "add the webhook in your GitHub Sponsors dashboard" in log
    assert counter(daemon, "ping") == len(pings)
    assert daemon.alerts() == []


def test_masking_on_real_payloads(start_github, corpus_github: Path) -> None:
    """The corpus holds a public (created) and private (cancelled) sponsorship by the same sponsor."""
    daemon, poster = start_github(mask_private_sponsors=True)
    for name in ("sponsorship.created.payload.json", "sponsorship.cancelled.zulip.json"):
        assert poster.send((corpus_github / name).read_text(encoding="utf-8"), delivery=name).status == 200
    alerts = {alert.payment.kind: alert.payment for alert in daemon.wait_for_alerts(2)}
    public = alerts["github.sponsorship.created"]
    assert public.title == "New sponsor: @monalisa, $5.00 a month"
    private = alerts["github.sponsorship.cancelled"]
    assert private.title == "Sponsorship cancelled: a private sponsor ($5.00 a month)"
    assert private.counterparty is None and private.link is None
    assert "monalisa" not in private.to_json()
    assert private.details["Sponsored account"] == "@octocat"


def test_github_example_delivery_headers_are_accepted(start_github, corpus_github: Path) -> None:
    """GitHub's documented example delivery (an issues event): headers as sent, body signed by us."""
    example = json.loads((corpus_github / "example-delivery-headers.github-docs.json").read_text())
    daemon, poster = start_github()
    headers = {
        key: value
        for key, value in example["headers"].items()
        if key.lower() not in ("host", "content-length", "x-hub-signature", "x-hub-signature-256")
    }
    body = b'{"action": "opened", "issue": {"number": 1}}'
    headers["X-Hub-Signature-256"] = sign_body(poster.secret, body)
    answer = poster.raw(body, headers)
    assert answer.status == 200
    assert answer.json() == {
        "status": "ignored",
        "delivery": example["headers"]["X-GitHub-Delivery"],
        "reason": "event",
    }
    # Its own signature was made with a secret we do not have: rejected.
    headers["X-Hub-Signature-256"] = example["headers"]["X-Hub-Signature-256"]
    assert poster.raw(body, headers).status == 401
    assert counter(daemon, "event_ignored") == 1
    assert counter(daemon, "signature_rejected") == 1
