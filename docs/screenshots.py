"""Take the README's screenshots of the example site in headless Chromium (Debian's chromium package).

    make screenshots        # builds the example site first, then writes docs/img/*.png

Small PNGs (1000 px wide, the top of each page) of the dashboard, a release page and the trends page,
in the light scheme; the trends page also in the dark scheme.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SHOTS = [
    ("dashboard.png", "index.html", "light"),
    ("release.png", "releases/2.0.0/index.html", "light"),
    ("trends.png", "trends/index.html", "light"),
    ("trends-dark.png", "trends/index.html", "dark"),
]


def main(site: Path = ROOT / "site", out: Path = ROOT / "docs" / "img") -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for name, page_path, scheme in SHOTS:
            page = browser.new_page(viewport={"width": 1000, "height": 700}, color_scheme=scheme)
            page.goto((site / page_path).resolve().as_uri())
            page.wait_for_timeout(300)
            page.screenshot(path=str(out / name))
            page.close()
        browser.close()
    print(f"wrote {len(SHOTS)} screenshots to {out}")


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:]))
