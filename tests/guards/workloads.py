"""Module-level functions the bounded runner's tests send to a child (they must be importable
without Django)."""

import os
import sys
import time


def allocate(size: int) -> int:
    return len(bytearray(size))


def spin() -> None:
    while True:
        pass


def fail() -> None:
    raise ValueError("hỏng")


def allocate_then_abort(size: int) -> None:
    """Like a C library that aborts on a failed allocation: the child dies without a word."""
    block = bytearray(size)
    time.sleep(0.3)  # long enough for the parent to look at the child at least once
    del block
    os.abort()


def imported(name: str) -> bool:
    """Whether the child started with `name` already imported (preloaded by its server)."""
    return name in sys.modules


def niceness() -> int:
    return os.nice(0)
