"""The page list: every output of the site, page type by page type (pages.py and index_pages.py make them)."""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

from generator.index_pages import (audit_page, audit_rules_page, product_audit, product_signoffs, releases_index,
                                   signoffs_page)
from generator.pages import (Output, SiteData, badges, checklist_pages, compare_page, dashboard, data_exports,
                             release_pages, trends_page)

PAGES: list[Callable[[SiteData], Iterable[Output]]] = [
    dashboard,
    releases_index,
    release_pages,
    trends_page,
    signoffs_page,
    product_signoffs,
    checklist_pages,
    compare_page,
    audit_page,
    product_audit,
    audit_rules_page,
    data_exports,
    badges,
]


def site_outputs(site: SiteData) -> Iterator[Output]:
    """Every output of every page type, in a stable order; made one at a time, so a page's context is
    dropped once the page is written instead of every release's rows staying in memory together."""
    for page in PAGES:
        yield from page(site)
