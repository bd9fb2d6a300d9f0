"""What the browser tests share: Debian's Chromium driven by Playwright, and the accessibility
check, axe-core (npm ``axe-core``, installed into node_modules/ by ``npm ci``, which .ci/run
does) injected into a page.

axe is evaluated through the DevTools protocol (``page.evaluate``), which the page's strict
Content-Security-Policy does not govern, so the page is checked exactly as the app serves it,
CSP and all (``add_script_tag`` would be refused by ``script-src 'self'``).

    from tests.browser import CHROMIUM, FLAGS, assert_accessible
    assert_accessible(page, "front page")        # zero serious or critical violations
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

CHROMIUM = (
    os.environ.get("STORYBRIEF_CHROMIUM")
    or shutil.which("chromium")
    or shutil.which("chromium-browser")
)
# what a closed network needs: no background calls home, no sandbox as root in CI
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
#: the impacts that fail the check (axe's scale: minor, moderate, serious, critical)
FAILING = ("serious", "critical")
#: WCAG 2.0/2.1/2.2 A and AA rules, and axe's best practices
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, with the flags above, closed again afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


needs_axe = pytest.mark.skipif(
    not AXE.is_file(),
    reason="the accessibility check needs axe-core: run `npm ci` in the repository "
    "(node_modules/axe-core/axe.min.js is missing)",
)


def axe_results(page: Any, *, tags: list[str] | None = None) -> dict[str, Any]:
    """Run axe-core on the page as it is now; its full results (violations, passes, ...)."""
    if not AXE.is_file():
        pytest.skip(f"the accessibility check needs axe-core: run `npm ci` ({AXE} is missing)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    options = {"runOnly": {"type": "tag", "values": tags or TAGS}, "resultTypes": ["violations"]}
    return page.evaluate("options => window.axe.run(document, options)", options)  # type: ignore[no-any-return]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v.get("nodes", [])[:5]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = " ".join(str(node.get("failureSummary", "")).split())
            lines.append(f"    {target}: {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page: Any, what: str, *, tags: list[str] | None = None) -> list[dict]:
    """Zero serious or critical axe-core violations on the page; returns every violation
    found (the minor and moderate ones too) for a report."""
    violations = axe_results(page, tags=tags)["violations"]
    failing = [v for v in violations if v.get("impact") in FAILING]
    assert not failing, f"axe-core on the {what}: {len(failing)} serious/critical\n" + describe(
        failing
    )
    return list(violations)
