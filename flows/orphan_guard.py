"""A guard that ends the processes a ``cgt-monitor run`` started when the run itself is killed
without a chance to clean up (SIGKILL, the OOM killer).

A run starts parse workers and, without PREFECT_API_URL, Prefect's temporary API server. On a
normal exit or an exception they are shut down; a SIGKILLed process runs no code, so they were
left running. ``start_orphan_guard()`` starts this module as a small child process that holds
the read end of a pipe whose write end only the run holds. It notes the run's descendants
every half second; when the pipe reports end-of-file (the run has ended, however it ended), it
terminates the descendants it last saw that are still alive (SIGTERM, then SIGKILL after
3 s), and exits. psutil compares process start times, so a reused PID is never hit.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys

import psutil

SNAPSHOT_SECONDS = 0.5
GRACE_SECONDS = 3.0


# Write ends of the guards' pipes, kept open (and not inherited: os.pipe fds are
# non-inheritable) until this process ends: the guard acts when its pipe closes.
_GUARD_PIPES: list[int] = []


def start_orphan_guard() -> subprocess.Popen[bytes]:
    """Start the guard for this process; it ends by itself when this process ends."""
    read_end, write_end = os.pipe()
    guard = subprocess.Popen(
        [sys.executable, "-m", "flows.orphan_guard", str(os.getpid()), str(read_end)],
        pass_fds=(read_end,),
        stdin=subprocess.DEVNULL,
        close_fds=True,
    )
    os.close(read_end)
    _GUARD_PIPES.append(write_end)
    return guard


def _descendants(parent: psutil.Process) -> list[psutil.Process]:
    try:
        return [p for p in parent.children(recursive=True) if p.pid != os.getpid()]
    except psutil.Error:
        return []


def guard(parent_pid: int, read_end: int) -> None:
    try:
        parent = psutil.Process(parent_pid)
    except psutil.Error:
        return
    seen: dict[int, psutil.Process] = {}
    while True:
        ready, _, _ = select.select([read_end], [], [], SNAPSHOT_SECONDS)
        if ready and not os.read(read_end, 1):  # end-of-file: the run has ended
            break
        for process in _descendants(parent):
            seen.setdefault(process.pid, process)
    alive = [p for p in seen.values() if p.is_running()]
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, still = psutil.wait_procs(alive, timeout=GRACE_SECONDS)
    for process in still:
        with contextlib.suppress(psutil.Error):
            process.kill()


if __name__ == "__main__":
    guard(int(sys.argv[1]), int(sys.argv[2]))
