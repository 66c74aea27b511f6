"""A walk through the pages of one role's day, each page checked as it is
reached: no console error or uncaught script error, no failed request and
no answer of 400 or more from the site, nothing that scrolls sideways, no
English on the Chinese page, no date broken over two lines, and no axe-core
violation of impact critical or serious. Each step is a full-page
screenshot, walk-<role>-<nn>-<page>.png."""

from pathlib import Path

from ..web.english import english

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SERIOUS = ("critical", "serious")

# The elements wider than the page, when the page scrolls sideways.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 0.5 && getComputedStyle(e).position !== 'fixed')
    .slice(0, 6)
    .map(e => `${e.tagName.toLowerCase()}#${e.id}.${[...e.classList].join('.')}`
              + ` right=${Math.round(e.getBoundingClientRect().right)} of ${width}`);
}"""

# Every YYYY-MM-DD date shown whose characters lie on more than one line.
BROKEN_DATES = """() => {
  const date = /\\d{4}-\\d{2}-\\d{2}/g;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const broken = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement || node.parentElement.closest('script, style, template, option')) continue;
    for (const match of node.data.matchAll(date)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      const where = node.parentElement;
      if (tops.size > 1) broken.push(`${match[0]} in ${where.tagName.toLowerCase()}.${[...where.classList].join('.')}`);
    }
  }
  return broken;
}"""

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => ['critical', 'serious'].includes(v.impact))
    .map(v => ({id: v.id, impact: v.impact, count: v.nodes.length,
                targets: v.nodes.slice(0, 4).map(n => n.target.join(' ')),
                summary: v.nodes[0] && v.nodes[0].failureSummary.split('\\n').slice(0, 2).join(' ')}));
}"""


class Walk:
    """One role's page, watched from the start; `step` checks the page as it is now."""

    def __init__(self, page, *, role, origin, screenshot, data=frozenset()):
        self.page, self.role, self.origin, self.screenshot = page, role, origin, screenshot
        self.data = data  # words that are data (user names), not English
        self.number = 0
        self.events: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.events.append(f"script error: {e}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, message):
        if message.type == "error":
            where = message.location
            self.events.append(f"console: {message.text} at {where['url']}:{where['lineNumber']}")

    def _ours(self, url: str) -> bool:
        return url.startswith(self.origin + "/")

    def _failed(self, request):
        # A request the browser dropped because the walk moved on (an htmx poll
        # of the page being left) is no fault of the site.
        if request.failure == "net::ERR_ABORTED" and not request.is_navigation_request():
            return
        if self._ours(request.url):
            self.events.append(f"request failed: {request.method} {request.url} {request.failure}")

    def _response(self, response):
        if self._ours(response.url) and response.status >= 400:
            self.events.append(f"{response.status}: {response.request.method} {response.url}")

    def go(self, path: str, name: str):
        """Open `path` and check it."""
        response = self.page.goto(self.origin + path)
        assert response.status == 200, f"{path}: {response.status}"
        return self.step(name)

    def step(self, name: str, *, sent_back: bool = False):
        """Check the page as it stands (after htmx has settled) and take its
        screenshot. `sent_back`: a form answered 400 with what to put right or
        answer first, which is the point of the step, not a fault."""
        page = self.page
        page.wait_for_load_state("networkidle")
        self.number += 1
        label = f"walk-{self.role}-{self.number:02d}-{name}"
        self.screenshot(page, label)
        problems = [
            event
            for event in self.events
            if not (sent_back and (event.startswith("400: POST") or "status of 400 (Bad Request)" in event))
        ]
        self.events.clear()
        problems += [f"scrolls sideways: {wide}" for wide in page.evaluate(OVERFLOW)]
        problems += [f"English: {text!r}" for text in english(page.content(), self.data)]
        problems += [f"date on two lines: {where}" for where in page.evaluate(BROKEN_DATES)]
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            # Through the DevTools protocol, as Playwright evaluates: the page's
            # content security policy would refuse it as an inline script.
            page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
        for v in page.evaluate(RUN_AXE):
            problems.append(f"axe {v['id']} ({v['impact']}, {v['count']} nodes): {v['targets']} {v['summary']}")
        assert not problems, f"{label} ({page.url}):\n  " + "\n  ".join(problems)
        return page
