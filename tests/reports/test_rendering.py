"""The PDF worker processes end with the server that started them: on a normal exit, on
SIGTERM, and when the server is killed outright (SIGKILL), where no exit handler runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

# A server in miniature: renders two documents (the second in a worker), prints the
# workers' pids, then exits or waits to be stopped. With "thread", the pool is started
# from a short-lived thread, as a request thread of runserver or gunicorn starts it.
SERVER = """
import sys, threading, time
import django
django.setup()
from reports import rendering

def work():
    rendering.render_all([("<p>một</p>", ".", None), ("<p>hai</p>", ".", None)])

if sys.argv[1] == "thread":
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    time.sleep(2)  # the thread that started the worker is gone by now
else:
    work()
from multiprocessing import resource_tracker
tracker = resource_tracker._resource_tracker._pid  # started with the worker, ends with it
print(" ".join(map(str, rendering.worker_pids())), tracker or "", flush=True)
if sys.argv[1] == "exit":
    sys.exit(0)
time.sleep(300)
"""


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for whichever process adopted it does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    return [pid for pid in pids if alive(pid)]


def start_server(mode: str) -> tuple[subprocess.Popen, list[int]]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chinhquyen.settings",
        "DJANGO_DEBUG": "1",
        "RENDER_WORKERS": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, mode],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = server.stdout.readline()  # the server prints once its worker has rendered
    pids = [int(pid) for pid in line.split()]
    return server, pids  # the worker, then multiprocessing's resource tracker


@pytest.mark.parametrize(
    "stop",
    [None, signal.SIGTERM, signal.SIGKILL],
    ids=["normal exit", "SIGTERM", "SIGKILL"],
)
def test_stopping_the_server_stops_its_pdf_workers(stop):
    server, pids = start_server("exit" if stop is None else "wait")
    try:
        assert len(pids) == 2 and all(alive(pid) for pid in pids)
        if stop is not None:
            server.send_signal(stop)
        server.wait(timeout=30)

        assert wait_until_gone(pids, seconds=5) == []
    finally:
        server.kill()
        server.wait()
        for pid in pids:  # only if the test failed: leave nothing behind
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_workers_outlive_the_thread_that_started_them():
    server, pids = start_server("thread")
    try:
        assert len(pids) == 2 and all(alive(pid) for pid in pids)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        left = wait_until_gone(pids, seconds=5)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
    assert left == []
