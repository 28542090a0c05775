"""Turning what the grammar found into values: amounts, currencies, dates and times, names."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from decimal import Context, Decimal, InvalidOperation

from .lazyre import LazyPattern

#: India Standard Time; every date an Indian bank writes is in it.
IST = timezone(timedelta(hours=5, minutes=30), "IST")

#: Foreign currencies a card spend abroad may be billed in (ISO-4217), as banks print them.
FOREIGN_CURRENCIES = frozenset(
    [
        "USD",
        "EUR",
        "GBP",
        "AED",
        "SGD",
        "MYR",
        "THB",
        "JPY",
        "AUD",
        "CAD",
        "CHF",
        "CNY",
        "HKD",
        "NZD",
        "SAR",
        "QAR",
        "OMR",
        "KWD",
        "BHD",
        "LKR",
        "NPR",
        "BDT",
        "IDR",
        "PHP",
        "VND",
        "KRW",
        "ZAR",
        "SEK",
        "NOK",
        "DKK",
        "TRY",
        "RUB",
        "BRL",
        "MXN",
        "TWD",
        "ILS",
        "EGP",
        "KES",
        "MUR",
        "MVR",
    ]
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}
_MONTH_NAMES = r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"


def parse_amount(text: str) -> Decimal:
    """``"1,23,456.00"`` as ``Decimal("123456.00")``; raises ValueError on anything else."""
    cleaned = text.replace(",", "").strip()
    if cleaned.startswith("."):
        cleaned = "0" + cleaned  # "INR .05"
    if not re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        raise ValueError(f"not an amount: {text!r}")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:  # pragma: no cover - the regex above rules this out
        raise ValueError(f"not an amount: {text!r}") from error
    if "." not in cleaned:  # exact however many digits: the payment's bounds judge the size
        value = value.quantize(Decimal("0.01"), context=Context(prec=len(cleaned) + 2))
    return value


def normalise_currency(marker: str | None) -> str | None:
    """``Rs.``/``INR``/``₹`` → ``INR``; an ISO code stays itself; a non-currency word → None."""
    if marker is None or not marker.strip():
        return "INR"
    token = re.sub(r"[\s.:]", "", marker)
    if token.upper() in {"RS", "INR", "RSINR", "INRRS", "₹"}:
        return "INR"
    if token in FOREIGN_CURRENCIES:  # as printed: upper case only, so "for" is never "FOR"
        return token
    return None


def clean_name(text: str | None) -> str | None:
    """A counterparty as written, without decoration (``..MC DONALDS_`` → ``MC DONALDS``)."""
    if text is None:
        return None
    name = re.sub(r"\s+", " ", text).strip()
    name = name.strip(" .,;:-_()[]")
    name = re.sub(r"\.{2,}$", "", name).strip()
    return name or None


def _year(value: str) -> int:
    year = int(value)
    return 2000 + year if year < 100 else year


def _month(value: str) -> int:
    if value.isdigit():
        return int(value)
    return _MONTHS[value[:3].lower()]


_DATE_FORMS: list[tuple[LazyPattern, str]] = [
    # 2025-06-22 or 2024-11-13:17:18:38
    (LazyPattern(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"), "ymd"),
    # 22-Jun-2025, 15-OCT-24, 02/JUN/2024, 15 Jan 2025, 01 Jun, 2026, 03Dec23
    (
        LazyPattern(
            rf"(?P<d>\d{{1,2}})[\s/\-]?(?P<m>{_MONTH_NAMES})[\s/\-,]*(?P<y>\d{{4}}|\d{{2}})(?!\d)", re.I
        ),
        "dmy",
    ),
    # Jun 02, 2026
    (LazyPattern(rf"(?P<m>{_MONTH_NAMES})\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}})", re.I), "dmy"),
    # 02-06-26, 23/05/26, 01-07-2025, 21.03.25
    (LazyPattern(r"(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4}|\d{2})(?!\d)"), "dmy"),
    # 17-12, 02-11 (no year)
    (LazyPattern(r"(?P<d>\d{1,2})[-/](?P<m>\d{1,2})(?![\d/-])"), "dm"),
]
_TIME = LazyPattern(r"(?<!\d)(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?(?:\s*(?P<ampm>[AP]M))?", re.I)


def parse_date(text: str, reference: datetime | None = None) -> date | None:
    """The first date in ``text`` (day before month, as Indian banks write); None if there is none.

    A date without a year takes the year that puts it on or before ``reference`` (the mail's date).
    """
    return find_date(text, reference)[0]


def find_date(text: str, reference: datetime | None = None) -> tuple[date | None, int]:
    """:func:`parse_date`, and where in ``text`` the date ends (0 when there is none)."""
    named_month = any(month in text.lower() for month in _MONTHS)
    for pattern, form in _DATE_FORMS:
        if pattern.pattern.find("(?P<m>jan") >= 0 and not named_month:
            continue  # no month name in the text: spare the forms that need one
        match = pattern.search(text)
        if not match:
            continue
        try:
            day, month = int(match["d"]), _month(match["m"])
            if form == "dm":
                anchor = (reference or datetime.now(IST)).astimezone(IST).date()
                candidate = date(anchor.year, month, day)
                found = (
                    candidate
                    if candidate <= anchor + timedelta(days=1)
                    else date(anchor.year - 1, month, day)
                )
                return found, match.end()
            return date(_year(match["y"]), month, day), match.end()
        except (ValueError, KeyError):
            return None, 0
    return None, 0


def parse_time(text: str) -> time | None:
    """The first clock time in ``text`` (``13:36:21``, ``01:05 PM``), or None."""
    match = _TIME.search(text)
    if not match:
        return None
    hour, minute, second = int(match["h"]), int(match["mi"]), int(match["s"] or 0)
    ampm = (match["ampm"] or "").upper()
    if ampm == "PM" and hour < 12:
        hour += 12
    elif ampm == "AM" and hour == 12:
        hour = 0
    try:
        return time(hour, minute, second)
    except ValueError:
        return None


def occurred_at(day: date | None, clock: time | None, fallback: datetime) -> datetime:
    """When it happened, in IST: the text's date and time, completed from ``fallback`` (the mail's date).

    A date without a time takes the fallback's time when both fall on the same IST day, else midnight.
    """
    local_fallback = fallback.astimezone(IST)
    if day is None:
        return local_fallback
    if clock is None:
        clock = local_fallback.timetz().replace(tzinfo=None) if local_fallback.date() == day else time(0, 0)
    return datetime.combine(day, clock, IST)
