"""Render several HTML documents to PDF at once, one in this process and the others in a
warm worker process, so that the report and its appendix take as long as the longer of the
two rather than both. WeasyPrint is pure Python layout: threads would queue on the GIL.

The worker is started with "spawn" (a clean interpreter, no copy of Django's connections),
imports WeasyPrint once and lays out a tiny page to load Pango and the fonts; it only ever
receives HTML strings and returns bytes, so it needs no database. With RENDER_WORKERS = 0
(or if the worker cannot start) everything is rendered here, one after the other.

The workers end with the server: at exit the pool is shut down and its processes stopped,
and each worker watches its parent (a daemon thread polling os.getppid()), so a server
killed by SIGTERM's default action or SIGKILL, where no exit handler runs, leaves none
behind. (PR_SET_PDEATHSIG would not do: it fires when the *thread* that started the worker
ends, and the pool starts its workers from whichever request thread submits first.)

An issued document is rendered with its own PDF identifier (the trailer's /ID), so that its
bytes, and its SHA-256 that the verification page looks up, never equal a draft's.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)
_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()
PX_TO_PT = 0.75
PARENT_POLL_SECONDS = 0.5
# (html, base_url, class to locate or None[, PDF identifier or None])
Job = tuple[str, str, str | None] | tuple[str, str, str | None, str | None]


def _warm() -> None:
    import weasyprint  # noqa: PLC0415 (about a second to import: paid by the worker only)

    weasyprint.HTML(string="<p>x</p>").write_pdf()


def _watch_parent(parent: int) -> None:
    """End this worker as soon as the process that started it is gone (it is then adopted
    by another process, so the parent pid changes)."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(0)


def _start_worker(parent: int) -> None:
    """The pool's initializer: watch the parent, then load WeasyPrint and the fonts."""
    threading.Thread(target=_watch_parent, args=(parent,), name="watch-parent", daemon=True).start()
    _warm()


def _walk(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _walk(child)


def render(
    html: str, base_url: str, find_class: str | None = None, identifier: str | None = None
) -> tuple[bytes, dict]:
    """One PDF, and where the (last) element with `find_class` landed, in PDF points with
    the origin bottom-left: {"page", "box", "page_size"} (empty when not asked or absent).
    `identifier` becomes the PDF's /ID (WeasyPrint's own otherwise)."""
    import weasyprint  # noqa: PLC0415 (about a second to import: paid by PDF pages only)

    document = weasyprint.HTML(string=html, base_url=base_url).render()
    found = {}
    if find_class:
        for index, page in enumerate(document.pages):
            for box in _walk(page._page_box):
                element = getattr(box, "element", None)
                if element is not None and find_class in (element.get("class") or "").split():
                    x, y = box.border_box_x(), box.border_box_y()
                    width, height = box.border_width(), box.border_height()
                    found = {
                        "page": index,
                        "box": [
                            round(x * PX_TO_PT, 2),
                            round((page.height - y - height) * PX_TO_PT, 2),
                            round((x + width) * PX_TO_PT, 2),
                            round((page.height - y) * PX_TO_PT, 2),
                        ],
                        "page_size": [
                            round(page.width * PX_TO_PT, 2),
                            round(page.height * PX_TO_PT, 2),
                        ],
                    }
    options = {"pdf_identifier": identifier.encode()} if identifier else {}
    return document.write_pdf(**options), found


def _worker_pool() -> ProcessPoolExecutor | None:
    global _pool
    if settings.RENDER_WORKERS <= 0:
        return None
    with _lock:
        if _pool is None:
            try:
                _pool = ProcessPoolExecutor(
                    max_workers=settings.RENDER_WORKERS,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(os.getpid(),),
                )
            except (OSError, ValueError):
                log.warning("No PDF worker process; rendering in this process", exc_info=True)
                return None
        return _pool


def worker_pids() -> list[int]:
    """The process ids of the running PDF workers (for the shutdown test and diagnostics)."""
    with _lock:
        processes = getattr(_pool, "_processes", None) or {}
        return [pid for pid, process in processes.items() if process.is_alive()]


@atexit.register
def shutdown() -> None:
    """Stop the workers now: queued renderings are cancelled, a running one is abandoned."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is None:
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=2)


def warm_up() -> None:
    """Start the worker now (e.g. when the report page opens), not on the first download."""
    pool = _worker_pool()
    if pool is not None:
        pool.submit(_warm)


def render_all(jobs: list[Job]) -> list[tuple[bytes, dict]]:
    """Render (html, base_url, find_class[, identifier]) jobs; the first here, the others in
    the worker."""
    pool = _worker_pool()
    if pool is None or len(jobs) < 2:
        return [render(*job) for job in jobs]
    futures = [pool.submit(render, *job) for job in jobs[1:]]
    first = render(*jobs[0])
    results = [first]
    for future in futures:
        try:
            results.append(future.result(timeout=120))
        except Exception:  # a dead worker must not lose the document: render it here
            log.warning("PDF worker failed; rendering in this process", exc_info=True)
            results.append(render(*jobs[len(results)]))
    return results
