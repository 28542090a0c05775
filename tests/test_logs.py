"""The log: identical records counted instead of repeated, secrets redacted in the counts too."""

import io
import logging

from payalert_core.logs import RedactingFilter, RepeatLimiter, RepeatLimitingHandler


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_logger(clock: Clock, secrets=()) -> tuple[logging.Logger, io.StringIO, RepeatLimitingHandler]:
    stream = io.StringIO()
    handler = RepeatLimitingHandler(stream, RepeatLimiter(window=60, clock=clock))
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    logger = logging.getLogger(f"payalert.test-logs-{id(stream)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream, handler


def test_identical_records_are_written_once_per_window_then_counted():
    clock = Clock()
    logger, stream, _ = make_logger(clock)
    for _ in range(500):
        logger.info("a client hung up before sending its whole request to %s", "/hooks/shop/")
    logger.warning("something else")
    assert stream.getvalue().splitlines() == [
        "INFO a client hung up before sending its whole request to /hooks/shop/",
        "WARNING something else",
    ]
    clock.now += 61
    logger.info("a client hung up before sending its whole request to %s", "/hooks/shop/")
    assert stream.getvalue().splitlines()[2:] == [
        "INFO repeated 499 more times in the last 61s: a client hung up before sending its whole request to /hooks/shop/",
        "INFO a client hung up before sending its whole request to /hooks/shop/",
    ]


def test_records_that_differ_are_all_written_and_tracebacks_only_with_the_first():
    clock = Clock()
    logger, stream, _ = make_logger(clock)
    for number in range(3):
        logger.warning("delivery %d failed", number)
    for _ in range(3):
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("notifier raised")
    text = stream.getvalue()
    assert [f"delivery {n} failed" in text for n in range(3)] == [True] * 3
    assert text.count("Traceback") == 1 and text.count("notifier raised") == 1


def test_counts_still_open_are_written_at_close_with_secrets_redacted():
    clock = Clock()
    logger, stream, handler = make_logger(clock, secrets={"hunter2-secret-value"})
    for _ in range(4):
        logger.error("login refused for hunter2-secret-value")
    clock.now += 5
    handler.close()
    lines = stream.getvalue().splitlines()
    assert lines == [
        "ERROR login refused for [redacted]",
        "ERROR repeated 3 more times in the last 5s: login refused for [redacted]",
    ]
