"""Screenshots of the survey report for the README (`make screenshots`): the top of the report and its banner
table, at 390 px (a phone) and 1280 px (a desktop), taken in Debian's Chromium from a fresh run on the bundled
sample data. Writes docs/screenshots/*.png."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
BANNER = 'table[aria-label^="Ratings and reasons"]'


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "cfresearch.cli", "run", "survey", "--force", "-q", "--out", tmp],
                       cwd=ROOT, check=True)
        (report,) = Path(tmp, "survey").glob("*/report.html")
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            for width, height in ((390, 844), (1280, 800)):
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(report.as_uri(), wait_until="load")
                page.screenshot(path=str(OUT / f"report-top-{width}.png"))
                block = page.locator(BANNER).locator("xpath=ancestor::div[contains(@class, 'cfr-table-block')]")
                block.scroll_into_view_if_needed()
                block.screenshot(path=str(OUT / f"banner-{width}.png"))
                page.close()
            browser.close()
    for png in sorted(OUT.glob("*.png")):
        print(f"wrote {png.relative_to(ROOT)} ({png.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
