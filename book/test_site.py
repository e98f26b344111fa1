"""The built book in a real browser: headless Chromium, driven by Playwright.

``make book-test`` serves ``book/_build/html`` on 127.0.0.1, opens every page
in the system's Chromium (Debian's ``chromium``; Playwright's own browser
downloads are never used) and checks what a reader would see: no console
errors, every image loaded, every formula typeset by MathJax (served by the
site itself), every internal link and anchor resolves, no "0%" progress bar,
a Colab link and a download link of the unchanged notebook on every notebook
page, check cells folded and bookkeeping cells gone, and the front page's
results table equal to ``results/``. Screenshots land in
``book/_build/screenshots/`` (not committed). Requests to any other host are
blocked and reported.

Without Chromium the tests are skipped with a message (in CI, where
``.ci/run`` installs it, they fail instead).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest

BOOK = Path(__file__).resolve().parent
REPO = BOOK.parent
sys.path.insert(0, str(BOOK))
import prepare  # noqa: E402

SITE = Path(os.environ.get("BOOK_SITE", BOOK / "_build" / "html"))
SHOTS = Path(os.environ.get("BOOK_SCREENSHOTS", BOOK / "_build" / "screenshots"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PROGRESS_ZERO = re.compile(r"(?<![\d.])0%\|")
SCREENSHOT_NOTEBOOK = "03_autorec_pytorch"


def chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _skip_or_fail(message: str):
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def pages(site: Path) -> list:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if p.relative_to(site).parts[0] not in ("_static", "_sources"))


TEXT_JS = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const out = [];
  while (walker.nextNode()) {
    const p = walker.currentNode.parentElement;
    if (p && !p.closest('script, style, noscript')) out.push(walker.currentNode.nodeValue);
  }
  return out.join('');
}"""

IMAGES_JS = """async () => {
  const imgs = [...document.images];
  await Promise.all(imgs.map(i => { i.loading = 'eager';
    return i.complete ? null : new Promise(r => { i.onload = i.onerror = r; }); }));
  return imgs.map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0}));
}"""

MATH_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const math = [...document.querySelectorAll('.math')];
  return {total: math.length,
          typeset: math.filter(e => e.querySelector('mjx-container')).length,
          errors: document.querySelectorAll('mjx-merror').length,
          mathjax: !!(window.MathJax && MathJax.version) ? MathJax.version : null};
}"""

PAGE_JS = """() => ({
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  ids: [...document.querySelectorAll('[id]')].map(e => e.id),
  colab: [...document.querySelectorAll('a[href^="https://colab.research.google.com/github/"]')]
           .map(a => a.href),
  downloads: [...document.querySelectorAll('a.download[href$=".ipynb"]')].map(a => a.href),
  check_cells: document.querySelectorAll('.cell.tag_check').length,
  check_cells_open: [...document.querySelectorAll('.cell.tag_check')]
           .filter(c => !c.classList.contains('toggle-hidden')
                        && !c.querySelector('details:not([open]), .toggle-hidden')).length,
  removed_cells: document.querySelectorAll('.cell.tag_setup, .cell.tag_record').length,
})"""

RESULTS_JS = """() => {
  const section = document.querySelector('section#results');
  const table = section && section.querySelector('table');
  if (!table) return null;
  return [...table.querySelectorAll('tr')].map(tr => [...tr.cells].map(c => c.innerText.trim()));
}"""


@pytest.fixture(scope="module")
def crawl():
    """Every page of the site, loaded once; what each check needs, recorded."""
    if not (SITE / "index.html").exists():
        pytest.fail(f"{SITE}/index.html is missing: run `make book` first")
    exe = chromium()
    if exe is None:
        _skip_or_fail("Chromium not found (Debian: apt-get install chromium; or set CHROMIUM=/path): "
                      "the browser test of the book is skipped")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("Playwright is not installed (make book-test installs requirements-book.txt)")

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    SHOTS.mkdir(parents=True, exist_ok=True)
    report = {"base": base, "pages": {}, "blocked": [], "bad_responses": []}
    profile = tempfile.mkdtemp(prefix="book-chromium-")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=exe, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900})

        def route(r):
            if urlsplit(r.request.url).hostname == "127.0.0.1" or r.request.url.startswith("data:"):
                r.continue_()
            else:
                report["blocked"].append(r.request.url)
                r.abort()

        context.route("**/*", route)
        try:
            for rel in pages(SITE):
                page = context.new_page()
                errors = []
                page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
                page.on("response", lambda r: report["bad_responses"].append(f"{r.status} {r.url}")
                        if r.status >= 400 else None)
                page.goto(base + rel, wait_until="load")
                info = page.evaluate(PAGE_JS)
                info["images"] = page.evaluate(IMAGES_JS)
                info["math"] = page.evaluate(MATH_JS)
                info["text"] = page.evaluate(TEXT_JS)
                if rel == "index.html":
                    info["results"] = page.evaluate(RESULTS_JS)
                    page.screenshot(path=str(SHOTS / "front-page.png"))
                    page.screenshot(path=str(SHOTS / "front-page-full.png"), full_page=True)
                if rel == "teachers.html":
                    page.screenshot(path=str(SHOTS / "teachers.png"), full_page=True)
                if rel == f"notebooks/{SCREENSHOT_NOTEBOOK}.html":
                    page.screenshot(path=str(SHOTS / "notebook-page.png"))
                    figure = page.locator("div.cell_output img").first
                    if figure.count():
                        figure.scroll_into_view_if_needed()
                        page.evaluate("() => window.scrollBy(0, -250)")
                        page.screenshot(path=str(SHOTS / "notebook-page-figure.png"))
                page.wait_for_timeout(100)
                info["console_errors"] = errors
                report["pages"][rel] = info
                page.close()
            # Every internal link's target, including downloads and non-HTML files.
            targets = {urldefrag(u)[0] for info in report["pages"].values() for u in info["links"]
                       if u.startswith(base)}
            report["status"] = {u: context.request.get(u).status for u in sorted(targets)}
            report["downloads"] = {}
            for rel, info in report["pages"].items():
                for u in info["downloads"]:
                    report["downloads"][u] = context.request.get(u).body()
        finally:
            context.close()
            server.shutdown()
            shutil.rmtree(profile, ignore_errors=True)
    return report


def notebook_pages(crawl):
    return {rel: info for rel, info in crawl["pages"].items() if rel.startswith("notebooks/")}


def test_every_notebook_has_a_page(crawl):
    expected = {f"notebooks/{p.stem}.html" for p in (REPO / "notebooks").glob("*.ipynb")}
    assert expected and expected == set(notebook_pages(crawl))


def test_no_console_errors(crawl):
    errors = {rel: info["console_errors"] for rel, info in crawl["pages"].items()
              if info["console_errors"]}
    assert not errors
    assert not crawl["bad_responses"]


def test_nothing_is_loaded_from_another_host(crawl):
    assert not crawl["blocked"]


def test_every_image_loads(crawl):
    broken = {rel: [i["src"][:80] for i in info["images"] if not i["ok"]]
              for rel, info in crawl["pages"].items()}
    assert not {k: v for k, v in broken.items() if v}
    # The notebooks' figures are there at all.
    assert sum(len(info["images"]) for info in notebook_pages(crawl).values()) >= 12


def test_math_is_typeset(crawl):
    for rel, info in crawl["pages"].items():
        m = info["math"]
        assert m["typeset"] == m["total"], f"{rel}: {m}"
        assert m["errors"] == 0, f"{rel}: MathJax errors {m}"
    with_math = [rel for rel, info in crawl["pages"].items() if info["math"]["total"]]
    assert len(with_math) >= 3, with_math
    assert all(crawl["pages"][rel]["math"]["mathjax"] for rel in with_math)


def test_every_internal_link_resolves(crawl):
    base = crawl["base"]
    bad = {u: s for u, s in crawl["status"].items() if s != 200}
    assert not bad
    ids = {base + rel: set(info["ids"]) for rel, info in crawl["pages"].items()}
    missing = []
    for rel, info in crawl["pages"].items():
        for u in info["links"]:
            url, frag = urldefrag(u)
            if url.startswith(base) and frag and url in ids and frag not in ids[url]:
                missing.append(f"{rel} -> {u}")
    assert not missing


def test_no_zero_percent_progress_bar(crawl):
    shown = [rel for rel, info in crawl["pages"].items() if PROGRESS_ZERO.search(info["text"])]
    assert not shown


def _markdown_text(cell: str) -> str:
    """What a table cell of the README's Markdown reads as on the page."""
    cell = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", cell)
    cell = re.sub(r"`([^`]*)`", r"\1", cell)
    cell = re.sub(r"\*\*([^*]+)\*\*|\*([^*]+)\*", lambda m: m.group(1) or m.group(2), cell)
    return cell.replace("\\|", "|")


def test_results_table_matches_results(crawl):
    rows = crawl["pages"]["index.html"]["results"]
    assert rows, "no results table on the front page"
    expected = []
    for line in prepare.results_table().splitlines():
        if re.match(r"^\|[-:|]+\|$", line):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        expected.append([_markdown_text(c) for c in cells])
    # Sphinx sets apostrophes and quotes typographically; nothing else may differ.
    typeset = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
    assert [[c.translate(typeset) for c in row] for row in rows] == expected


def test_every_notebook_page_has_colab_and_download_links(crawl):
    for rel, info in notebook_pages(crawl).items():
        stem = Path(rel).stem
        assert any(u.endswith(f"/notebooks/{stem}.ipynb") for u in info["colab"]), rel
        assert info["downloads"], f"{rel}: no download link"
        for u in info["downloads"]:
            assert crawl["downloads"][u] == (REPO / "notebooks" / f"{stem}.ipynb").read_bytes(), u


def test_check_cells_folded_and_bookkeeping_removed(crawl):
    for rel, info in notebook_pages(crawl).items():
        nb = json.loads((REPO / "notebooks" / (Path(rel).stem + ".ipynb")).read_text())
        tagged = [set(c.get("metadata", {}).get("tags", [])) for c in nb["cells"]]
        assert info["check_cells"] == sum("check" in t for t in tagged), rel
        assert info["check_cells_open"] == 0, rel
        assert info["removed_cells"] == 0, rel


def test_screenshots_saved(crawl):
    for name in ("front-page.png", "notebook-page.png"):
        assert (SHOTS / name).stat().st_size > 10_000, name
