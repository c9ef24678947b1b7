"""Take the screenshots of the example site that README.md and docs/pages.md show, in headless Chromium
(Debian's chromium package).

    make screenshots        # builds the example site first, then writes docs/img/*.png

Each page at 1400 px (a desktop window) and 375 px (a phone), in the light and the dark scheme: the release
page (what holds 3.2.0 back), the dashboard, the compare page (3.1.0 against 3.2.0) and the checklist's item
history; plus the trends page. Each shot is the top of the page, or of the part named, one screen high.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = {"desktop": (1400, 900), "phone": (375, 812)}
# (file name stem, page, element to scroll to the top or None, what to wait for or None)
PAGES = [
    ("release", "releases/3.2.0/index.html", None, None),
    ("dashboard", "index.html", None, None),
    ("compare", "compare/index.html#from=3.1.0&to=3.2.0", None, "#rd-compare-out[data-pair]"),
    ("item-history", "checklists/production/index.html", "testing", None),
]
EXTRA = [("trends", "trends/index.html", None, None, "desktop", "light")]


def shots():
    """Every (file name, page, scroll target, wait for, width, scheme)."""
    for stem, page, target, wait in PAGES:
        for width in WIDTHS:
            for scheme in ("light", "dark"):
                yield f"{stem}-{width}-{scheme}.png", page, target, wait, width, scheme
    for stem, page, target, wait, width, scheme in EXTRA:
        yield f"{stem}-{width}-{scheme}.png", page, target, wait, width, scheme


def main(site: Path = ROOT / "site", out: Path = ROOT / "docs" / "img") -> None:
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for name, page_path, target, wait, width, scheme in shots():
            w, h = WIDTHS[width]
            page = browser.new_page(viewport={"width": w, "height": h}, color_scheme=scheme,
                                    is_mobile=width == "phone")
            path, _, fragment = page_path.partition("#")
            page.goto((site / path).resolve().as_uri() + (f"#{fragment}" if fragment else ""))
            if wait:
                page.wait_for_selector(wait, state="attached")
            if target:
                # Below the sticky header, so the part's heading shows.
                page.evaluate("id => window.scrollTo(0, document.getElementById(id).getBoundingClientRect().top"
                              " + window.scrollY - 60)", target)
            page.wait_for_timeout(300)
            page.screenshot(path=str(out / name))
            page.close()
            count += 1
        browser.close()
    print(f"wrote {count} screenshots to {out}")


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:]))
