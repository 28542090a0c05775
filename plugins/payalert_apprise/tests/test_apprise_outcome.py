"""Reading a failure from the lines Apprise's services log, in the wording they really use."""

from __future__ import annotations

import pytest
from payalert_apprise.outcome import failure_for, http_status, retry_after

from payalert_core import PermanentFailure, RetryLater

T = "slack://T...2"


@pytest.mark.parametrize(
    ("line", "status"),
    [
        ("Failed to send Slack notification: Forbidden, error=403.", 403),
        ("Failed to send Discord notification: Too Many Requests, error=429.", 429),
        ("Failed to send ntfy notification to topic: error=502.", 502),
        ("A Connection error occurred sending Slack notification.", None),
    ],
)
def test_status_is_read_from_error_equals(line, status):
    assert http_status([line]) == status


def test_the_last_status_wins_when_a_service_made_several_requests():
    lines = ["Failed to send Slack User Lookup: error=500.", "Failed to send to Slack: Forbidden, error=403."]
    assert http_status(lines) == 403


@pytest.mark.parametrize(
    ("line", "seconds"),
    [
        ("Trigv asked to retry after 5 second(s).", 5.0),
        ("Rate limited; retry_after=1500ms", 1.5),
        ("Failed to send: error=429.", None),
    ],
)
def test_retry_after_when_a_service_says_it(line, seconds):
    assert retry_after([line]) == seconds


def test_mapping_of_statuses_and_outcomes():
    assert failure_for(T, "SUCCESS", [], 30) is None
    timed_out = failure_for(T, "TIMEOUT", [], 2.5)
    assert isinstance(timed_out, RetryLater) and str(timed_out) == f"{T}: no answer within 2.5s"
    limited = failure_for(T, "FAILURE", ["Failed: error=429.", "Trigv asked to retry after 9 second(s)."], 30)
    assert isinstance(limited, RetryLater) and limited.retry_after == 9.0
    gone = failure_for(T, "FAILURE", ["Failed to send Slack notification: error=410."], 30)
    assert isinstance(gone, PermanentFailure) and str(gone) == (
        f"{T}: HTTP 410 Gone: the destination no longer exists; update the URL"
    )
    teapot = failure_for(T, "FAILURE", ["error=418."], 30)
    assert isinstance(teapot, PermanentFailure) and "the service refused the request" in str(teapot)
    assert isinstance(failure_for(T, "FAILURE", ["error=408."], 30), RetryLater)
    assert isinstance(failure_for(T, "NOMATCH", [], 30), PermanentFailure)


def test_failures_without_a_status_are_retried():
    smtp = failure_for(
        "mailtos://mail.example.com", "FAILURE", ['Connection error while submitting email to "x"'], 30
    )
    assert isinstance(smtp, RetryLater) and "cannot reach the service" in str(smtp)
    silent = failure_for(T, "FAILURE", [], 30)
    assert (
        isinstance(silent, RetryLater)
        and str(silent) == f"{T}: the service did not accept the alert (no detail given)"
    )
