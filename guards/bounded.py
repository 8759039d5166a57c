"""Run a function on untrusted input in a child process with limits on memory, CPU and time.

Image decoders, PDF renderers and signature parsers cannot be told how much memory a
hostile file may cost them: a 444-byte PDF with a very tall page or a 34-byte WebP asks for
gigabytes. Here the work runs in a child forked from a small, clean server process
(multiprocessing's "forkserver": no copy of Django, its connections or the request's
memory), under RLIMIT_AS (address space) and RLIMIT_CPU, and is killed when it overruns its
wall time. A child that runs out of memory fails alone; the server process only reads the
outcome.

`func` must be a module-level function whose module imports no Django settings: the child
never configures Django. Arguments and results cross a pipe, so keep them to bytes, str,
numbers and small containers.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from typing import Any

MB = 1024 * 1024
# Modules the server process imports once, so that each child starts warm.
PRELOAD = ["guards.bounded", "PIL.Image", "PIL.ImageOps", "pypdfium2", "pypdf", "guards.pdfscript"]

# How often the parent reads a running child's peak memory (see `_wait`).
SAMPLE_SECONDS = 0.05

_context: ForkServerContext | None = None
_context_lock = threading.Lock()
# At most this many children at once per server process, whatever the number of threads:
# each may use its whole memory budget.
_slots: threading.BoundedSemaphore | None = None


@dataclass(frozen=True)
class Limits:
    # Memory the work may add to the child's resident size at its start. The child's address
    # space is capped at that total (see `_ceiling`).
    memory: int = 512 * MB
    cpu_seconds: int = 10
    wall_seconds: float = 20.0
    # Added to the child's nice value: work nobody waits for (a thumbnail) yields the CPU to
    # the requests of the same machine. 0 for work a request waits for.
    nice: int = 0


@dataclass(frozen=True)
class Outcome:
    """What happened in the child. `status` is "ok", "memory", "timeout", "error" or "crash";
    `peak_rss` is the child's peak resident memory in bytes (as last seen by the parent when
    the child was killed before it could tell)."""

    status: str
    value: Any = None
    error: str = ""
    peak_rss: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _get_context() -> ForkServerContext:
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            _context = context
        return _context


def preload(*modules: str) -> None:
    """Have the server process import `modules` once, so each child starts with them (call
    from an AppConfig.ready(): it counts only before the first child is started)."""
    with _context_lock:
        if _context is not None:
            raise RuntimeError("bounded.preload() after the first child was started")
        PRELOAD.extend(module for module in modules if module not in PRELOAD)


# Fields of /proc/self/statm.
VIRTUAL, RESIDENT = 0, 1


def _statm(field: int) -> int:
    """A size of this process (VIRTUAL or RESIDENT) from /proc/self/statm, in bytes."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[field])
    return pages * os.sysconf("SC_PAGE_SIZE")


def _ceiling(memory: int) -> int:
    """The address space this child may reach so that its resident memory grows by at most
    `memory`. Counted from the resident size, not the virtual one: the child starts with
    mappings it has not touched (libraries, an allocator's reserved arenas; about 40 MB),
    which a decoder can fill without growing the address space: counted from the virtual
    size, a flate bomb's child grew by 379 to 384 MB on a 384 MB budget (and once, on a busy
    machine, past it); counted from the resident size, by 341 MB. At least a little above the
    current size, so that a budget smaller than those mappings still lets the child start."""
    return max(_statm(RESIDENT) + memory, _statm(VIRTUAL) + MB)


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def _child(
    conn: Connection,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    memory: int,
    cpu_seconds: int,
    nice: int = 0,
) -> None:
    try:
        if nice:
            os.nice(nice)
        ceiling = _ceiling(memory)
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (OSError, ValueError) as error:  # never run unbounded
        conn.send(("error", None, f"limits: {error}", _peak_rss()))
        return
    try:
        value = func(*args, **kwargs)
    except MemoryError:
        conn.send(("memory", None, "MemoryError", _peak_rss()))
    except BaseException as error:  # noqa: BLE001 - report anything, the parent decides
        message = f"{type(error).__name__}: {error}"[:500]
        # A C library that cannot allocate often says so in its own words.
        status = "memory" if "memory" in message.lower() or "alloc" in message.lower() else "error"
        conn.send((status, None, message, _peak_rss()))
    else:
        conn.send(("ok", value, "", _peak_rss()))
    finally:
        conn.close()


def _semaphore() -> threading.BoundedSemaphore:
    global _slots
    with _context_lock:
        if _slots is None:
            # Not at the top: the forkserver imports this module, and its children stay
            # free of Django.
            from django.conf import settings  # noqa: PLC0415

            _slots = threading.BoundedSemaphore(getattr(settings, "BOUNDED_MAX_PARALLEL", 2))
        return _slots


def _died(exitcode: int | None, peak: int) -> Outcome:
    """A child that ended without a word: killed by the CPU limit, or crashed in C code
    (often an allocation that failed where the library does not check)."""
    if exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
        return Outcome("timeout", error=f"killed by signal {-exitcode}", peak_rss=peak)
    return Outcome("crash", error=f"exit code {exitcode}", peak_rss=peak)


def _high_water(pid: int | None) -> int:
    """The peak resident memory of a running process, in bytes; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _wait(receiver: Connection, process: BaseProcess, wall_seconds: float) -> tuple[bool, int]:
    """(whether the child spoke or ended within `wall_seconds`, its peak memory as last seen).

    The parent reads the child's peak now and then, so that a child killed in C code (a
    library that aborts when an allocation fails) still tells how high it went."""
    deadline = time.monotonic() + wall_seconds
    seen = 0
    while True:
        seen = max(seen, _high_water(process.pid))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False, seen
        if receiver.poll(min(SAMPLE_SECONDS, remaining)):
            return True, seen


def run(func: Callable[..., Any], *args: Any, limits: Limits = Limits(), **kwargs: Any) -> Outcome:
    """`func(*args, **kwargs)` in a bounded child; never raises for what the child does."""
    with _semaphore():
        context = _get_context()
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=_child,
            args=(sender, func, args, kwargs, limits.memory, limits.cpu_seconds, limits.nice),
            daemon=True,
        )
        try:
            process.start()
        except OSError as error:
            return Outcome("crash", error=f"could not start: {error}")
        finally:
            sender.close()
        try:
            answered, seen = _wait(receiver, process, limits.wall_seconds)
            if answered:
                try:
                    status, value, reason, peak = receiver.recv()
                except (EOFError, OSError):
                    process.join(5)
                    return _died(process.exitcode, seen)
                process.join(5)
                return Outcome(status, value, reason, max(peak, seen))
            process.kill()
            process.join(5)
            return Outcome("timeout", error=f"over {limits.wall_seconds:g} s", peak_rss=seen)
        finally:
            receiver.close()
            if process.is_alive():
                process.kill()
                process.join(1)
