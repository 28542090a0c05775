"""Watching one folder: connect, catch up from the cursor, IDLE (or poll), reconnect with backoff.

The cursor of a folder is ``{"uidvalidity", "last_uid", "since"}``, stored with the payments of
each batch in one transaction (``ingest(..., cursors={folder: cursor})``). ``since`` is when the
sync that last advanced it began; after a UIDVALIDITY change, mail that arrived since then (less
:data:`REREAD_MARGIN`) is read again (the store drops what it already has), older mail is not.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from payalert_banktext import ParserChain

from payalert_core import Payment, backoff_delay

from .connection import FolderStatus, ImapError, LoginRefused, MailboxConnection, TlsFailure
from .message import read_message
from .trust import TrustResult
from .verdict import ReadSettings, Verdict, classify_mail

if TYPE_CHECKING:
    from .source import ImapSource

T = TypeVar("T")
#: Messages fetched and stored per transaction.
BATCH = 25
#: After a UIDVALIDITY change, mail stamped up to this long before the last sync is read again too:
#: INTERNALDATE comes from the mail server's clock, which may be behind payalert's. Reading more is
#: harmless (the store drops payments it already has).
REREAD_MARGIN = timedelta(minutes=15)


@dataclass(frozen=True)
class Cursor:
    """Where reading resumes in one folder."""

    uidvalidity: int
    last_uid: int
    since: datetime

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {"uidvalidity": self.uidvalidity, "last_uid": self.last_uid, "since": self.since.isoformat()}

    @classmethod
    def from_json(cls, value: Any) -> Cursor | None:
        """Read a stored cursor; None for a missing or unreadable one."""
        try:
            since = datetime.fromisoformat(value["since"])
            return cls(int(value["uidvalidity"]), int(value["last_uid"]), since)
        except (TypeError, KeyError, ValueError):
            return None


class FolderWatcher:
    """One folder of one mailbox, with its own connection and its own worker thread."""

    def __init__(self, source: ImapSource, folder: str, chain: ParserChain, settings: ReadSettings) -> None:
        self.source = source
        self.folder = folder
        self.chain = chain
        self.settings = settings
        self.config = source.config
        self.log = logging.getLogger(f"payalert.source.{source.name}.{folder}")
        self.conn = MailboxConnection(source.config)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"imap-{source.name}")
        self.closing = False
        self.attempts = 0
        self.complaints = 0
        self.status: FolderStatus | None = None

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run a blocking call in this folder's worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(function, *args))

    # -- lifecycle -----------------------------------------------------------------------------
    async def run(self) -> None:
        """Connect, sync, wait for news, sync … until closed; on errors reconnect with backoff."""
        ceiling = self.config.reconnect_max.total_seconds()
        while not self.closing:
            try:
                await self._session()
                return
            except (LoginRefused, TlsFailure) as error:
                state = "login_failed" if isinstance(error, LoginRefused) else "tls_failed"
                self.source.runtime.count(state)
                self.log.error("%s; retrying in %.0fs", error, ceiling)
                self.source.report(self.folder, state, str(error))
                delay = ceiling
            except ImapError as error:
                self.attempts += 1
                delay = reconnect_delay(self.attempts, ceiling)
                self.source.runtime.count("reconnect")
                self.log.warning("%s; reconnecting in %.1fs", error, delay)
                self.source.report(self.folder, "reconnecting", str(error))
            await self.call(self.conn.close)
            if self.closing:
                return
            await self.call(self.conn.wait, delay)

    async def _session(self) -> None:
        await self.call(self.conn.connect)
        self.status = await self.call(self.conn.open_folder, self.folder)
        await self.sync()
        self.attempts = 0
        mode = "idle" if self.config.idle and self.conn.supports_idle else "polling"
        self.log.info("watching %s on %s (%s)", self.folder, self.conn.where, mode)
        self.source.report(self.folder, mode)
        renew = self.config.idle_renew.total_seconds()
        interval = self.config.poll_interval.total_seconds()
        while not self.closing:
            if mode == "idle":
                outcome = await self.call(self.conn.idle, renew)
                if outcome.complaint:
                    await self._after_complaint(outcome.complaint)
                else:
                    self.complaints = 0
            else:
                await self.call(self.conn.wait, interval)
            if self.closing:
                return
            await self.sync()

    async def _after_complaint(self, complaint: str) -> None:
        """The server said NO or BAD during IDLE: select the folder again (waiting if it keeps saying so)."""
        self.complaints += 1
        self.source.runtime.count("idle_complaint")
        self.status = None  # sync selects again: a recreated folder shows its new UIDVALIDITY only then
        if self.complaints == 1:
            self.log.warning(
                "%s: the server said %r while idling; selecting the folder again", self.folder, complaint
            )
            return
        # Complaining again at once: never spin on a server that says NO to every IDLE.
        delay = reconnect_delay(self.complaints - 1, self.config.reconnect_max.total_seconds())
        self.log.warning(
            "%s: the server said %r again while idling; selecting the folder again in %.1fs",
            self.folder,
            complaint,
            delay,
        )
        await self.call(self.conn.wait, delay)

    async def close(self) -> None:
        """Stop at the next wake-up, log out, release the thread."""
        self.closing = True
        self.conn.interrupt()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.call(self.conn.close), timeout=5)
        self.executor.shutdown(wait=False)

    # -- reading -------------------------------------------------------------------------------
    async def sync(self) -> None:
        """Read what is new since the cursor (first run: start from now, or ``backfill``)."""
        started = datetime.now(UTC)
        if self.status is None:
            status = await self.call(self.conn.open_folder, self.folder)
        else:
            status = await self.call(self.conn.status, self.folder)
            if status.uidvalidity != self.status.uidvalidity:
                status = await self.call(self.conn.open_folder, self.folder)
        self.status = status
        cursor = Cursor.from_json(await self.source.load_state(self.folder))
        if cursor is not None:
            self.source.record_cursor(self.folder, cursor.to_json())
        if cursor is None:
            await self._first_run(status, started)
        elif cursor.uidvalidity != status.uidvalidity:
            since = cursor.since - REREAD_MARGIN
            self.log.warning(
                "%s: UIDVALIDITY changed (%s → %s); re-reading mail that arrived since %s",
                self.folder,
                cursor.uidvalidity,
                status.uidvalidity,
                since.isoformat(timespec="seconds"),
            )
            self.source.runtime.count("uidvalidity_changed")
            uids = await self.call(self.conn.uids_arrived_since, since)
            await self._read(uids, status, started, floor=status.uidnext - 1)
        else:
            uids = await self.call(self.conn.uids_after, cursor.last_uid)
            if uids:
                await self._read(uids, status, started, floor=cursor.last_uid)
        self.source.runtime.health.succeeded()

    async def _first_run(self, status: FolderStatus, started: datetime) -> None:
        backfill = self.config.backfill
        if backfill:
            uids = await self.call(self.conn.uids_arrived_since, started - backfill)
            self.log.info(
                "%s: first run, reading %d messages of the last %s", self.folder, len(uids), backfill
            )
            await self._read(uids, status, started, floor=status.uidnext - 1)
            return
        cursor = Cursor(status.uidvalidity, status.uidnext - 1, started)
        await self.source.ingest([], cursors={self.folder: cursor.to_json()})
        self.source.record_cursor(self.folder, cursor.to_json())
        self.log.info(
            "%s: first run, starting after UID %d (the %d messages already there are left alone)",
            self.folder,
            cursor.last_uid,
            status.messages,
        )

    async def _read(self, uids: list[int], status: FolderStatus, started: datetime, floor: int) -> None:
        """Fetch, judge and store ``uids`` in batches; the cursor advances with each batch."""
        last_uid = floor
        if not uids:
            cursor = Cursor(status.uidvalidity, last_uid, started)
            await self.source.ingest([], cursors={self.folder: cursor.to_json()})
            self.source.record_cursor(self.folder, cursor.to_json())
            return
        for start in range(0, len(uids), BATCH):
            batch = uids[start : start + BATCH]
            payments, outcomes = await self.call(self._fetch_and_judge, batch, status.uidvalidity)
            last_uid = max(last_uid, *batch)
            cursor = Cursor(status.uidvalidity, last_uid, started)
            result = await self.source.ingest(payments, cursors={self.folder: cursor.to_json()})
            self.source.record_cursor(self.folder, cursor.to_json())
            for outcome, count in outcomes.items():
                for _ in range(count):
                    self.source.runtime.count(f"mail_{outcome}")
            self.log.info(
                "%s: read %d messages up to UID %d: %s; stored %d, duplicates %d",
                self.folder,
                len(batch),
                last_uid,
                ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())) or "nothing",
                result.stored,
                result.duplicates,
            )
            if self.config.mark_seen:
                await self.call(self.conn.mark_seen, batch)

    def _fetch_and_judge(self, uids: list[int], uidvalidity: int) -> tuple[list[Payment], Counter[str]]:
        """In the worker thread: fetch raw mail and turn each into at most one payment or notice."""
        payments: list[Payment] = []
        outcomes: Counter[str] = Counter()
        for mail in self.conn.fetch(uids, self.config.max_message_size):
            if mail.raw is None:
                outcomes["oversized"] += 1
                self.log.warning(
                    "%s: UID %d is %d bytes, over max_message_size; skipped", self.folder, mail.uid, mail.size
                )
                continue
            context = {
                "source": self.source.name,
                "folder": self.folder,
                "uid": mail.uid,
                "uidvalidity": uidvalidity,
            }
            verdict = self.judge(mail.raw, mail.uid)
            outcomes[verdict.outcome] += 1
            payment = verdict.to_payment(context, self.settings.repeat_window)
            if payment is not None:
                payments.append(payment)
        return payments, outcomes

    def judge(self, raw: bytes, uid: int) -> Verdict:
        """The verdict on one raw message; a crash in parsing becomes a logged 'unparsed' verdict."""
        try:
            facts = read_message(raw)
            verdict = classify_mail(facts, self.chain, self.settings)
        except Exception as error:  # never stop on one odd mail: log it with its traceback, move on
            self.log.exception("%s: UID %d could not be read", self.folder, uid)
            trust = TrustResult("not_checked", "the message could not be read")
            return Verdict("ignored", trust, reason=f"could not be read ({type(error).__name__})")
        if verdict.outcome in ("ignored", "not_bank", "filtered"):
            self.log.debug("%s: UID %d %s: %s", self.folder, uid, verdict.outcome, verdict.reason)
        elif verdict.outcome != "payment":
            self.log.warning(
                "%s: UID %d %s: %s (%s)", self.folder, uid, verdict.outcome, verdict.reason, facts.subject
            )
        return verdict


def reconnect_delay(attempt: int, ceiling: float) -> float:
    """Seconds before reconnect attempt ``attempt``: 1, 2, 4 … (±20%), never more than ``ceiling``."""
    return min(ceiling, backoff_delay(attempt, 1.0, ceiling))
