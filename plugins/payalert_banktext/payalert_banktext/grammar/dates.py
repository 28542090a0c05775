"""The date part: when the transaction happened, as the banks write it.

Dates are read day first (``02-06-26``, ``23/05/26``, ``21.03.25``, ``15-OCT-24``, ``03Dec23``,
``01 Jun, 2026``, ``Jun 02, 2026``, ``2025-06-22``); a date without a year (``17-12``) takes the
year that puts it on or before the alert. Times: ``13:36:21``, ``01:05 PM``, ``2025-06-22:08:01:24``.
The date after the amount is preferred to one before it (a header's or a footer's). A date that
cannot be read, or that lies after the alert was sent, is not used: the transaction takes the time
the alert was sent, and says so in its details.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..values import IST, find_date, occurred_at, parse_time

_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
#: ``{DATE}``: a date as the banks write it (the forms above).
DATE = (
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    rf"|[0-9]{{1,2}}[-/ ]?{_MONTHS}[-/ ,]*(?:[0-9]{{4}}|[0-9]{{2}})(?![0-9])"
    rf"|{_MONTHS} [0-9]{{1,2}},? [0-9]{{4}}"
    r"|[0-9]{1,2}[-/.][0-9]{1,2}(?:[-/.](?:[0-9]{4}|[0-9]{2}))?(?![0-9])"
)
#: ``{TIME}``: a clock time, ``13:36:21`` or ``01:05 PM``.
TIME = r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?: ?[AP]M)?"

#: How far after the alert's own time a transaction date may lie before it is taken for a misreading.
FUTURE_SLACK = timedelta(days=2)


def transaction_time(text: str, after: int, sent_at: datetime | None) -> tuple[datetime, str | None]:
    """When the transaction at ``text[after:]`` happened, and a note when the text's own date was not used."""
    fallback = sent_at or datetime.now(IST)
    for part in (text[after:], text[:after]):
        day, end = find_date(part, reference=fallback)
        if day is None:
            continue
        when = occurred_at(day, parse_time(part[end : end + 30]), fallback)
        if when > fallback + FUTURE_SLACK:
            return fallback, f"the text's date {day.isoformat()} lies after the alert was sent"
        return when, None
    return fallback.astimezone(IST), None
