"""A full disk under the SQLite stores of one machine (a small tmpfs), in the middle of a
conversation: the citizen gets a clear answer with a phone number within 3 seconds
(bot/channels/failsafe.py), the log names the fault, and once there is room again the
conversation goes on: no turn lost, none stored twice.

Its own module: the stack of test_stores.py (PostgreSQL, Redis) is stopped first.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.faults.mid_conversation import through_a_fault
from tests.support.binaries import missing_binary
from tests.support.stack import Citizen, running_stack

pytestmark = pytest.mark.stack
DISK_BYTES = 64 * 1024 * 1024  # room for the conversations and call-back requests


@pytest.fixture(scope="module")
def small_disk(tmp_path_factory):
    """A 64 MB tmpfs for the conversations and call-back requests (mounting needs root, as
    `make test` runs here)."""
    mountpoint = tmp_path_factory.mktemp("small-disk")
    if os.geteuid() != 0:
        missing_binary("mounting a small tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        missing_binary(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        # The stores on the small disk; the logs elsewhere, where they can still be written.
        with running_stack(
            tmp_path_factory.mktemp("var-full-disk"),
            TRACKER_DB=str(mountpoint / "tracker.db"),
            CALLBACK_DATABASE_URL=f"sqlite:///{mountpoint / 'callbacks.db'}",
        ) as stack:
            yield stack, mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def fill(mountpoint: Path) -> Path:
    """Take every free byte of the disk; returns the file to delete to free them."""
    filler = mountpoint / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1024 * 1024, 4096, 1):  # big pieces, then the last bytes
            while True:
                try:
                    os.write(descriptor, b"\0" * size)
                except OSError:
                    break
    finally:
        os.close(descriptor)
    return filler


def sqlite_user_turns(stack, sender: str) -> list[str]:  # noqa: ANN001
    events = Citizen(stack, sender=sender).stored_events()
    return [e["text"] for e in events if e.get("event") == "user"]


def test_a_full_disk_under_the_sqlite_stores(small_disk):
    stack, mountpoint = small_disk
    filler = mountpoint / "filler"
    # Room again: the citizen sends the message again, as asked, and the search goes on.
    through_a_fault(
        stack,
        Citizen(stack),
        lambda: fill(mountpoint),
        filler.unlink,
        "database or disk is full",
        lambda sender: sqlite_user_turns(stack, sender),
    )
