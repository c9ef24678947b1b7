"""Shared fixtures: paths, a fixed evaluation date and a browser when one is installed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CHROMIUM = os.environ.get("READINESS_CHROMIUM", "/usr/bin/chromium")
# 2026-11-28 00:00 UTC: unlaunched releases in fixtures are evaluated on this date.
FIXED_EPOCH = "1795824000"


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("readiness-cache")


@pytest.fixture(autouse=True)
def fixed_date(monkeypatch, cache_root):
    """Every test evaluates unlaunched releases on the same day, so results do not change with the calendar;
    build caches go to a directory of the test session instead of the user's."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FIXED_EPOCH)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    monkeypatch.setenv("READINESS_CACHE_DIR", str(cache_root))


@pytest.fixture
def project(tmp_path) -> Path:
    """A writable copy of the small fixture project."""
    dest = tmp_path / "project"
    shutil.copytree(FIXTURES / "project", dest)
    return dest


def browser_available() -> bool:
    return Path(CHROMIUM).exists()


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium from the system; skipped locally without one, a failure in CI (READINESS_REQUIRE_BROWSER)."""
    if not browser_available():
        if os.environ.get("READINESS_REQUIRE_BROWSER"):
            pytest.fail(f"READINESS_REQUIRE_BROWSER is set but there is no browser at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}; install Debian's chromium package to run browser tests")
    from playwright.sync_api import sync_playwright

    args = ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run",
            "--disable-sync"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield b
        b.close()
