"""Render several HTML documents to PDF at once, one in this process and the others in a
warm worker process, so that the report and its appendix take as long as the longer of the
two rather than both. WeasyPrint is pure Python layout: threads would queue on the GIL.

The worker is started with "spawn" (a clean interpreter, no copy of Django's connections),
imports WeasyPrint once and lays out a tiny page to load Pango and the fonts; it only ever
receives HTML strings and returns bytes, so it needs no database. With RENDER_WORKERS = 0
(or if the worker cannot start) everything is rendered here, one after the other.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)
_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()
PX_TO_PT = 0.75


def _warm() -> None:
    import weasyprint  # noqa: PLC0415 (about a second to import: paid by the worker only)

    weasyprint.HTML(string="<p>x</p>").write_pdf()


def _walk(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _walk(child)


def render(html: str, base_url: str, find_class: str | None = None) -> tuple[bytes, dict]:
    """One PDF, and where the (last) element with `find_class` landed, in PDF points with
    the origin bottom-left: {"page", "box", "page_size"} (empty when not asked or absent)."""
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
    return document.write_pdf(), found


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
                    initializer=_warm,
                )
            except (OSError, ValueError):
                log.warning("No PDF worker process; rendering in this process", exc_info=True)
                return None
        return _pool


def warm_up() -> None:
    """Start the worker now (e.g. when the report page opens), not on the first download."""
    pool = _worker_pool()
    if pool is not None:
        pool.submit(_warm)


def render_all(jobs: list[tuple[str, str, str | None]]) -> list[tuple[bytes, dict]]:
    """Render (html, base_url, find_class) jobs; the first here, the others in the worker."""
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
