"""A pool of threads per process (guards/pools.py): made once, made again after a fork."""

from __future__ import annotations

import os
import threading

from guards.pools import ProcessPool


def test_the_pool_is_made_once_with_its_size_and_initializer():
    names = []
    pool = ProcessPool("probe", lambda: 3, initializer=lambda: names.append("ready"))

    first = pool.get()
    assert pool.get() is first
    assert first._max_workers == 3
    assert first.submit(lambda: threading.current_thread().name).result().startswith("probe")
    assert names == ["ready"]


def test_a_forked_process_makes_its_own_pool():
    pool = ProcessPool("probe", lambda: 1)
    parent = pool.get()
    assert parent.submit(lambda: 1).result() == 1

    child = os.fork()
    if child == 0:  # the child: a new pool whose thread runs
        ok = pool.get() is not parent and pool.get().submit(os.getpid).result() == os.getpid()
        os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert pool.get() is parent
