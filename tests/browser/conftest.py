"""Browser tests: pytest-playwright driving Debian's Chromium against `live_server`.

`playwright install` downloads browsers from a CDN these machines cannot reach, so the tests
launch the system Chromium instead. A missing Chromium fails the tests; it never skips them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = chromium_path()
    if executable is None:
        pytest.fail(
            "Chromium not found (looked for $CHROMIUM, `chromium`, `chromium-browser`). "
            "Install it with `scripts/system-deps.sh --test` "
            "(apt-get install chromium); never `playwright install`.",
            pytrace=False,
        )
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def screenshot(page):
    """`screenshot("name")` saves a full-page PNG to $SCREENSHOT_DIR, when that is set."""
    directory = os.environ.get("SCREENSHOT_DIR")

    def _take(name: str) -> None:
        if directory:
            page.screenshot(path=Path(directory) / f"{name}.png", full_page=True)

    return _take
