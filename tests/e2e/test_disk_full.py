"""Scenario 6: the data directory runs out of space, or turns read-only, under a running daemon.

Disk full: the data dir is a small tmpfs; a filler file takes the last byte. New webhooks must be
answered 503 (never 2xx for what could not be stored), ``/health`` must say why, and deliveries
in progress must go on and be recorded, in the space of the reserve payalert gives back, never
lost or repeated. Deleting the filler must be enough: the daemon accepts webhooks again without a
restart, and every 503'd webhook, sent again, alerts once.

Read-only: a tmpfs cannot be remounted read-only while SQLite holds its files open (the kernel
answers EBUSY), so the data dir is an ext4 image on a loop device, mounted ``errors=remount-ro``,
and the kernel is told to record a file-system error: it turns the mount read-only at once, as it
would on a failing disk. Only unmounting, checking and mounting again repairs that, so recovery is:
SIGTERM (must exit 0), a start that must refuse with one clear line, repair, start, resend.

A 2 MiB volume: payments until SQLite reports the disk full. The write-ahead log must be
checkpointed as it grows (not left to fill the volume while the database file stays empty); with
the disk full, deliveries still get recorded (payalert keeps a small reserve file for that) while
new webhooks get 503; deleting a file brings webhooks back within seconds, and the room it freed
really holds payments again. A daemon started on a disk with no byte left exits 75 (EX_TEMPFAIL),
which the systemd unit restarts on, and starts once space returns.

Mounting needs root. When it is not permitted the tests fail with a clear message, never skip.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from payalert_testing import DaemonFactory, DaemonProcess

from ..deploy_support import UNIT, parse_unit, unit_value
from ..webhook_client import webhook_source
from .mixed_sources import alert_keys, is_2xx, post_payment, wait_delivered, wait_outbox_empty
from .tallying import tally

TMPFS_SIZE = 4 * 1024 * 1024
SMALL_TMPFS_SIZE = 2 * 1024 * 1024
#: A file taking room on the small volume before payalert fills the rest, deleted later.
FILLER_SIZE = 640 * 1024
#: Upper bound on payments posted while filling the small volume (it holds a few thousand).
FILL_CAP = 20_000
EXT4_SIZE = 16 * 1024 * 1024
ACCEPTED_FIRST = 20
DURING_FAULT = 40
AFTER_RECOVERY = 10
SOURCE = "shop"
NEEDS_ROOT = "these fault tests need root (mount, loop devices), as in CI and the dev machines"


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def _unmount(path: Path) -> None:
    """Unmount ``path``; lazily if something still holds it (never leave a mount behind)."""
    if _run("umount", str(path)).returncode != 0:
        _run("umount", "-l", str(path))


def _mount_or_fail(*arguments: str) -> None:
    done = _run("mount", *arguments)
    if done.returncode != 0:
        pytest.fail(f"`mount {' '.join(arguments)}` failed ({done.stderr.strip()}); {NEEDS_ROOT}")


@contextlib.contextmanager
def _tmpfs(path: Path, size: int, payalert_daemon: DaemonFactory) -> Iterator[Path]:
    path.mkdir()
    _mount_or_fail("-t", "tmpfs", "-o", f"size={size},mode=0755", "payalert-test", str(path))
    try:
        yield path
    finally:
        payalert_daemon.stop_all()
        _unmount(path)


@pytest.fixture
def tmpfs_data_dir(tmp_path: Path, payalert_daemon: DaemonFactory) -> Iterator[Path]:
    """A 4 MiB tmpfs for the daemon's data dir; unmounted after the daemons are killed."""
    with _tmpfs(tmp_path / "data-tmpfs", TMPFS_SIZE, payalert_daemon) as path:
        yield path


@pytest.fixture
def small_tmpfs_data_dir(tmp_path: Path, payalert_daemon: DaemonFactory) -> Iterator[Path]:
    """A 2 MiB tmpfs for the daemon's data dir; unmounted after the daemons are killed."""
    with _tmpfs(tmp_path / "data-small", SMALL_TMPFS_SIZE, payalert_daemon) as path:
        yield path


@dataclass
class Ext4Disk:
    """An ext4 image on a loop device, mounted with ``errors=remount-ro``."""

    image: Path
    path: Path

    def mount(self) -> None:
        """Mount the image (fails the test when mounting is not permitted)."""
        _mount_or_fail("-o", "loop,errors=remount-ro", str(self.image), str(self.path))

    def device(self) -> str:
        """The loop device it is mounted from, e.g. ``loop3``."""
        for line in Path("/proc/mounts").read_text().splitlines():
            fields = line.split()
            if len(fields) > 1 and fields[1] == str(self.path):
                return Path(fields[0]).name
        raise AssertionError(f"{self.path} is not mounted")

    def break_(self) -> None:
        """Record a file-system error: the kernel makes the mount read-only at once."""
        trigger = Path("/sys/fs/ext4") / self.device() / "trigger_fs_error"
        if not trigger.exists():
            pytest.fail(f"{trigger} is missing: this kernel cannot simulate an ext4 error; {NEEDS_ROOT}")
        trigger.write_text("payalert fault test\n")

    def repair(self) -> int:
        """Unmount, check and fix (``e2fsck -fy``), mount again; returns e2fsck's exit code."""
        done = _run("umount", str(self.path))
        assert done.returncode == 0, f"umount failed: {done.stderr}"
        check = _run("e2fsck", "-fy", str(self.image))
        assert check.returncode in (0, 1), f"e2fsck could not repair it ({check.returncode}): {check.stdout}"
        self.mount()
        return check.returncode


@pytest.fixture
def ext4_data_dir(tmp_path: Path, payalert_daemon: DaemonFactory) -> Iterator[Ext4Disk]:
    """A 16 MiB ext4 file system for the daemon's data dir; unmounted after the daemons are killed."""
    disk = Ext4Disk(tmp_path / "data.img", tmp_path / "data-ext4")
    disk.path.mkdir()
    with disk.image.open("wb") as image:
        image.truncate(EXT4_SIZE)
    made = _run("mkfs.ext4", "-q", "-F", str(disk.image))
    if made.returncode != 0:
        pytest.fail(f"mkfs.ext4 failed ({made.stderr.strip()}): install e2fsprogs; {NEEDS_ROOT}")
    disk.mount()
    try:
        yield disk
    finally:
        payalert_daemon.stop_all()
        _unmount(disk.path)


def _fill(folder: Path) -> Path:
    """Write a filler file until the file system has no byte left; returns it."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (65536, 4096, 512, 1):
            for _ in range(TMPFS_SIZE // chunk + 1):  # bounded: the mount is TMPFS_SIZE bytes
                try:
                    os.write(descriptor, b"\0" * chunk)
                except OSError as error:
                    assert error.errno == errno.ENOSPC, error
                    break
    finally:
        os.close(descriptor)
    return filler


def _recorded_as_sent(daemon: DaemonProcess) -> int:
    """Deliveries the daemon has recorded as sent (from ``/metrics``)."""
    found = re.search(r'payalert_deliveries_total\{[^}]*outcome="sent"[^}]*\} ([0-9.e+]+)', daemon.metrics())
    return int(float(found.group(1))) if found else 0


def _post_all(daemon: DaemonProcess, keys: list[str]) -> dict[str, int]:
    """Post ``keys`` from four client threads; the status each got."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(keys, pool.map(lambda key: post_payment(daemon, SOURCE, key), keys), strict=True))


def _start(
    payalert_daemon: DaemonFactory,
    data_dir: Path,
    delay: str = "0.05s",
    wait_healthy: bool = True,
    **settings: object,
) -> DaemonProcess:
    return payalert_daemon.start(
        sources={SOURCE: webhook_source()},
        recorder={"delay": delay},  # a slow notifier: deliveries are in progress when the fault hits
        settings={"data_dir": str(data_dir), **settings},
        wait_healthy=wait_healthy,
    )


def test_disk_full_answers_503_and_recovers_when_space_returns(
    payalert_daemon: DaemonFactory, tmpfs_data_dir: Path, reliability
) -> None:
    started = time.monotonic()
    daemon = _start(payalert_daemon, tmpfs_data_dir)
    first = _post_all(daemon, [f"before-{n}" for n in range(ACCEPTED_FIRST)])
    assert set(first.values()) == {202}, first

    pending_at_fill = daemon.health().json()["deliveries"]["pending"]
    filler = _fill(tmpfs_data_dir)
    during = _post_all(daemon, [f"full-{n}" for n in range(DURING_FAULT)])
    health = daemon.health()
    refused = [key for key, status in during.items() if status == 503]
    # Deliveries go on while the disk is full, and each outcome is recorded (in the freed reserve).
    wait_delivered(daemon, {(SOURCE, key) for key, status in first.items() if is_2xx(status)}, timeout=30)
    daemon.wait_for(lambda: _recorded_as_sent(daemon) == len(daemon.alerts()), timeout=30)
    recorded_while_full = _recorded_as_sent(daemon)
    still_full = daemon.health()

    filler.unlink()
    daemon.wait_for(lambda: daemon.health().status == 200, timeout=20)
    resent = _post_all(daemon, refused)
    after = _post_all(daemon, [f"after-{n}" for n in range(AFTER_RECOVERY)])
    acknowledged = [key for key, status in {**first, **during, **after}.items() if is_2xx(status)]
    expected = {(SOURCE, key) for key in acknowledged + refused}
    wait_delivered(daemon, expected, timeout=60)
    wait_outbox_empty(daemon)
    result = tally(expected, alert_keys(daemon.alerts()))
    reliability.record_tally(
        "6a disk full (tmpfs), recovery without restart",
        result,
        note=(
            f"{len(refused)} of {DURING_FAULT} answered 503 while full and resent, "
            f"{DURING_FAULT - len(refused)} stored anyway; {pending_at_fill} deliveries pending at the fill, "
            f"{recorded_while_full} recorded as sent while still full; "
            f"wall {time.monotonic() - started:.1f}s"
        ),
    )
    assert pending_at_fill > 0, "every delivery was done before the disk filled: nothing was tested"
    assert set(during.values()) <= {202, 503}, during
    assert refused, "no webhook was refused: the disk never filled up for SQLite"
    assert health.status == 503, health.body
    store = health.json()["store"]
    assert store["writable"] is False and "full" in store["problem"], store
    assert still_full.status == 503 and recorded_while_full >= ACCEPTED_FIRST, still_full.body
    assert set(resent.values()) == {202} and set(after.values()) == {202}, (resent, after)
    assert daemon.health().json()["store"]["writable"] is True
    assert result.unexpected == [] and result.lost == [], result
    assert result.duplicated == {}, f"no process died, so nothing may repeat: {result.duplicated}"
    assert "Traceback" not in daemon.output(), daemon.output()[-3000:]


def test_read_only_data_dir_answers_503_then_refuses_to_start_until_repaired(
    payalert_daemon: DaemonFactory, ext4_data_dir: Ext4Disk, reliability
) -> None:
    started = time.monotonic()
    daemon = _start(payalert_daemon, ext4_data_dir.path, server={"shutdown_grace": "2s"})
    assert daemon.process is not None
    first = _post_all(daemon, [f"before-{n}" for n in range(ACCEPTED_FIRST)])
    assert set(first.values()) == {202}, first

    ext4_data_dir.break_()
    during = _post_all(daemon, [f"ro-{n}" for n in range(DURING_FAULT)])
    health = daemon.health()
    refused = [key for key, status in during.items() if status == 503]
    exit_code = daemon.stop(timeout=30)

    daemon.start(wait_healthy=False)
    assert daemon.process is not None
    try:
        refused_start = daemon.process.wait(30)
    except subprocess.TimeoutExpired:
        daemon.kill()
        pytest.fail(f"payalert kept running on a read-only data dir:\n{daemon.output()[-2000:]}")
    complaint = daemon.output().strip().splitlines()[-1].replace(str(ext4_data_dir.path), "<data_dir>")

    fsck = ext4_data_dir.repair()
    daemon.start()
    resent = _post_all(daemon, refused)
    after = _post_all(daemon, [f"after-{n}" for n in range(AFTER_RECOVERY)])
    acknowledged = [key for key, status in {**first, **during, **after}.items() if is_2xx(status)]
    expected = {(SOURCE, key) for key in acknowledged + refused}
    wait_delivered(daemon, expected, timeout=60)
    wait_outbox_empty(daemon)
    result = tally(expected, alert_keys(daemon.alerts()))
    reliability.record_tally(
        "6b read-only data dir (ext4 error), repair",
        result,
        note=(
            f"{len(refused)} of {DURING_FAULT} answered 503 while read-only and resent; "
            f"sent-not-recorded {result.extra_copies} (the send whose outcome the disk refused); "
            f"SIGTERM exit {exit_code}; start while read-only exit {refused_start} ({complaint!r}); "
            f"e2fsck exit {fsck}; wall {time.monotonic() - started:.1f}s"
        ),
    )
    assert set(during.values()) <= {202, 503}, during
    assert refused, "no webhook was refused: the file system never turned read-only for SQLite"
    assert health.status == 503, health.body
    store = health.json()["store"]
    assert store["writable"] is False and store["problem"], store
    assert exit_code == 0, daemon.output()[-3000:]
    assert refused_start != 0 and "data_dir" in complaint, complaint
    assert set(resent.values()) == {202} and set(after.values()) == {202}, (resent, after)
    assert result.unexpected == [] and result.lost == [], result
    # The lane sent one alert while the disk refused to record it; after the restart it goes again.
    assert result.extra_copies <= 1, f"repeated beyond the sent-not-recorded window: {result.duplicated}"


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _post_until_full(daemon: DaemonProcess, prefix: str) -> tuple[list[str], list[str], set[int]]:
    """Post payments from four threads until a whole round of them is refused.

    Returns the keys accepted, the keys refused, and every status seen.
    """
    accepted: list[str] = []
    refused: list[str] = []
    seen: set[int] = set()
    with ThreadPoolExecutor(max_workers=4) as pool:
        for start in range(0, FILL_CAP, 40):
            keys = [f"{prefix}-{n}" for n in range(start, start + 40)]
            statuses = list(pool.map(lambda key: post_payment(daemon, SOURCE, key), keys))
            seen.update(statuses)
            for key, status in zip(keys, statuses, strict=True):
                (accepted if is_2xx(status) else refused).append(key)
            if not any(is_2xx(status) for status in statuses):
                break
    return accepted, refused, seen


def test_a_small_full_disk_keeps_recording_deliveries_and_takes_payments_again_when_space_returns(
    payalert_daemon: DaemonFactory, small_tmpfs_data_dir: Path, reliability
) -> None:
    started = time.monotonic()
    filler = small_tmpfs_data_dir / "filler"
    filler.write_bytes(b"\0" * FILLER_SIZE)
    database = small_tmpfs_data_dir / "payalert.sqlite3"
    wal = small_tmpfs_data_dir / "payalert.sqlite3-wal"
    daemon = _start(payalert_daemon, small_tmpfs_data_dir, delay="0.01s")

    accepted, refused, seen = _post_until_full(daemon, "fill")
    database_at_full, wal_at_full = _size(database), _size(wal)
    health_at_full = daemon.health()
    pending_at_full = health_at_full.json()["deliveries"]["pending"]
    # New payments are refused, but the alerts already accepted go out and are recorded as sent.
    wait_delivered(daemon, {(SOURCE, key) for key in accepted}, timeout=120)
    wait_outbox_empty(daemon, timeout=60)
    while_full = post_payment(daemon, SOURCE, "while-full")

    filler.unlink()
    freed_at = time.monotonic()
    daemon.wait_for(lambda: post_payment(daemon, SOURCE, "after-freeing") == 202, timeout=30, interval=0.1)
    recovery = time.monotonic() - freed_at
    resent = {key: post_payment(daemon, SOURCE, key) for key in [*refused, "while-full"]}
    more, _, seen_after = _post_until_full(daemon, "freed")
    expected = {(SOURCE, key) for key in [*accepted, "after-freeing", *resent, *more]}
    wait_delivered(daemon, expected, timeout=120)
    wait_outbox_empty(daemon, timeout=60)
    result = tally(expected, alert_keys(daemon.alerts()))
    reliability.record_tally(
        "6c 2 MiB volume filled up, then 640 KiB freed",
        result,
        note=(
            f"{len(accepted)} payments stored until full (database {database_at_full // 1024} KiB, "
            f"WAL {wal_at_full // 1024} KiB); {pending_at_full} deliveries pending then, all recorded "
            f"as sent while still full; webhooks accepted again {recovery:.1f}s after the filler went; "
            f"{len(more)} more payments fitted in the freed space; {len(resent)} refused ones resent; "
            f"wall {time.monotonic() - started:.1f}s"
        ),
    )
    assert (seen | seen_after) <= {202, 503}, seen | seen_after
    assert refused, "the disk never filled up for SQLite"
    assert database_at_full > wal_at_full, "the write-ahead log was not checkpointed into the database"
    assert health_at_full.status == 503, health_at_full.body
    assert "full" in health_at_full.json()["store"]["problem"], health_at_full.body
    assert pending_at_full > 0, "every delivery was done before the disk filled: nothing was tested"
    assert while_full == 503
    assert set(resent.values()) == {202}, resent
    assert len(more) >= 200, f"the freed {FILLER_SIZE // 1024} KiB held only {len(more)} payments"
    assert result.lost == [] and result.unexpected == [] and result.duplicated == {}, result
    assert "Traceback" not in daemon.output(), daemon.output()[-3000:]


def test_a_start_on_a_full_disk_exits_75_which_the_unit_restarts_on(
    payalert_daemon: DaemonFactory, small_tmpfs_data_dir: Path, reliability
) -> None:
    started = time.monotonic()
    filler = _fill(small_tmpfs_data_dir)
    daemon = _start(payalert_daemon, small_tmpfs_data_dir, wait_healthy=False)
    assert daemon.process is not None
    try:
        exit_code = daemon.process.wait(30)
    except subprocess.TimeoutExpired:
        daemon.kill()
        pytest.fail(f"payalert kept running on a full disk:\n{daemon.output()[-2000:]}")
    complaint = daemon.output().strip().splitlines()[-1].replace(str(small_tmpfs_data_dir), "<data_dir>")
    unit = parse_unit(UNIT.read_text())
    not_restarted = unit_value(unit, "Service", "RestartPreventExitStatus").split()

    filler.unlink()
    daemon.start()
    status = post_payment(daemon, SOURCE, "after-space-returned")
    wait_delivered(daemon, {(SOURCE, "after-space-returned")}, timeout=30)
    reliability.record(
        "6d start on a full disk, then space freed",
        tried=1,
        delivered=len(daemon.alerts()),
        lost=0,
        duplicated=len(daemon.alerts()) - 1,
        note=(
            f"start exit {exit_code} ({complaint!r}); the unit restarts on it (Restart="
            f"{unit_value(unit, 'Service', 'Restart')}, RestartPreventExitStatus={' '.join(not_restarted)}, "
            f"StartLimitIntervalSec={unit_value(unit, 'Unit', 'StartLimitIntervalSec')}); once space was "
            f"freed the next start took a payment ({status}); wall {time.monotonic() - started:.1f}s"
        ),
    )
    assert exit_code == 75, daemon.output()[-2000:]
    assert "data_dir" in complaint and "full" in complaint and "Traceback" not in daemon.output(), complaint
    assert unit_value(unit, "Service", "Restart") == "on-failure" and str(exit_code) not in not_restarted
    # systemd must not give up while the disk stays full for a long time.
    assert unit_value(unit, "Unit", "StartLimitIntervalSec") == "0"
    assert status == 202 and len(daemon.alerts()) == 1
