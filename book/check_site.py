"""Check a built site without a browser: every local link and image resolves.

``python book/check_site.py book/_build/html`` reads every HTML page and fails
(exit 1, naming page and target) when an ``href`` or ``src`` inside the site
names a missing file or a missing ``#anchor``, when a page loads a script,
style sheet or image from another host (the site must work offline), or when
a page shows a "0%" progress bar. ``make book`` runs it after Sphinx.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

PROGRESS_ZERO = re.compile(r"(?<![\d.])0%\|")


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links, self.loads, self.text = set(), [], [], []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag in ("img", "script") and a.get("src"):
            self.loads.append(a["src"])
        if tag == "link" and a.get("href") and (a.get("rel") or "") in ("stylesheet", "preload"):
            self.loads.append(a["href"])

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def check(site: Path) -> list:
    pages = {p: parse(p) for p in sorted(site.rglob("*.html"))
             if p.relative_to(site).parts[0] not in ("_static", "_sources")}
    problems = []
    for path, page in pages.items():
        name = path.relative_to(site)
        for url in page.loads:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                if parts.scheme != "data":
                    problems.append(f"{name}: loads {url} from another host")
                continue
            if not (path.parent / unquote(parts.path)).exists():
                problems.append(f"{name}: missing {url}")
        for url in page.links:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path.resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{name}: broken link {url}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{name}: link {url}: no #{parts.fragment} there")
        text = "".join(page.text)
        if PROGRESS_ZERO.search(text):
            problems.append(f"{name}: shows a 0% progress bar")
    if not pages:
        problems.append(f"{site}: no HTML pages")
    return problems


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    site = Path(argv[0] if argv else "book/_build/html")
    problems = check(site)
    for p in problems:
        print(p, file=sys.stderr)
    print(f"{site}: every page's links and images checked, "
          f"{'OK' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
