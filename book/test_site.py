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
import time
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
# The widths a reader uses: a laptop, and a phone (iPhone 12-15: 390 CSS px).
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CODE_COLUMNS = 88  # the notebooks' code is formatted to at most 88 columns


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
  icon: (document.querySelector('link[rel~="icon"]') || {}).href || null,
  // Links whose text is a notebook's file name ("05_hidden_size") instead of its title.
  file_name_links: [...document.querySelectorAll('a[href]')]
           .filter(a => /^\s*\d\d[a-z]?_\w+(\.ipynb)?\s*$/.test(a.textContent))
           .map(a => a.textContent.trim()),
})"""

LAYOUT_JS = """(width) => {
  const wide = e => e.scrollWidth > e.clientWidth + 1;
  const scrolls = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
  const code = [...document.querySelectorAll('.bd-article div.highlight pre')].map(pre => ({
    input: !!pre.closest('.cell_input'),
    columns: Math.max(0, ...pre.textContent.split('\\n').map(l => l.length)),
    overflow: wide(pre),
    scrolls: scrolls(pre),
  }));
  // Display math and tables: wider than the column only inside a box that scrolls.
  const boxes = [...document.querySelectorAll('.bd-article div.math, .bd-article mjx-container[display="true"], .bd-article table')]
    .filter(e => e.getBoundingClientRect().width > 0)
    .map(e => {
      let box = e.closest('mjx-container[display="true"], .pst-scrollable-table-container, .table-wrapper, div.math, div.cell_output') || e.parentElement;
      const column = Math.min(width, document.querySelector('.bd-article').getBoundingClientRect().right);
      const r = e.getBoundingClientRect();
      return {what: e.tagName.toLowerCase(), sticks_out: r.right > column + 1 && !(wide(box) && scrolls(box))
              && !(e.scrollWidth > e.clientWidth && scrolls(e))};
    });
  const h1 = document.querySelector('.bd-article h1');
  return {
    code,
    boxes,
    wide_math: [...document.querySelectorAll('.bd-article mjx-container[display="true"]')].filter(wide).length,
    page_width: document.documentElement.scrollWidth,
    viewport: width,
    title_height: h1 ? h1.getBoundingClientRect().height : 0,
    figures: [...document.querySelectorAll('.bd-article div.cell_output img')].map(i => ({
      src: i.getAttribute('src'), link: i.closest('a') ? i.closest('a').getAttribute('href') : null})),
  };
}"""

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
    report = {"base": base, "pages": {}, "blocked": [], "bad_responses": [],
              "started": time.time()}
    profile = tempfile.mkdtemp(prefix="book-chromium-")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=exe, headless=True, args=CHROMIUM_ARGS,
            viewport=DESKTOP)

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
                info["layout"] = page.evaluate(LAYOUT_JS, DESKTOP["width"])
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
            report["desktop_menu"] = desktop_menu(context, base)
            report["search"] = search_summaries(context, base, "dropout")
            phone = touch_browser(p, exe, route, PHONE, mobile=True)
            try:
                report["phone"] = {rel: phone_page(phone, base, rel) for rel in pages(SITE)}
                report["toggles"] = {PHONE["width"]: toggles(phone, base, PHONE["width"])}
                report["figure_tap"] = figure_tap(phone, base)
            finally:
                phone.close()
            for width in TOGGLE_WIDTHS[1:]:
                touch = touch_browser(p, exe, route, {"width": width, "height": DESKTOP["height"]})
                try:
                    report["toggles"][width] = toggles(touch, base, width)
                finally:
                    touch.close()
            # Every internal link's target, including downloads and non-HTML files.
            targets = {urldefrag(u)[0] for info in report["pages"].values()
                       for u in info["links"] + [info["icon"] or ""] if u.startswith(base)}
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


def touch_browser(p, exe, route, viewport, mobile=False):
    """Another Chromium with a touch screen: a phone (mobile viewport, 390 px
    wide) or a tablet or touch laptop of ``viewport``."""
    browser = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
    context = browser.new_context(viewport=viewport, has_touch=True, is_mobile=mobile,
                                  device_scale_factor=2 if mobile else 1)
    context.route("**/*", route)
    context.on("close", lambda _: browser.close())
    return context


PHONE_SHOTS = {"index.html": "phone-front-page.png",
               f"notebooks/{SCREENSHOT_NOTEBOOK}.html": "phone-notebook-page.png",
               "notebooks/12_cdae_topn.html": "phone-notebook-12.png"}


def phone_page(context, base, rel):
    """The layout of page ``rel`` at phone width; screenshots of a few pages."""
    page = context.new_page()
    try:
        page.goto(base + rel, wait_until="load")
        page.evaluate(MATH_JS)
        layout = page.evaluate(LAYOUT_JS, PHONE["width"])
        if rel in PHONE_SHOTS:
            page.screenshot(path=str(SHOTS / PHONE_SHOTS[rel]))
        if rel == f"notebooks/{SCREENSHOT_NOTEBOOK}.html":
            figure = page.locator("div.cell_output img").first
            if figure.count():
                figure.scroll_into_view_if_needed()
                page.screenshot(path=str(SHOTS / "phone-notebook-figure.png"))
            math = page.locator("mjx-container[display='true']").first
            if math.count():
                math.scroll_into_view_if_needed()
                page.screenshot(path=str(SHOTS / "phone-notebook-math.png"))
        return layout
    finally:
        page.close()


OPEN_JS = "sel => { const d = document.querySelector(sel); return !!(d && d.open); }"
STATE_JS = """() => ({
  menu: !!(document.querySelector('#pst-primary-sidebar-modal') || {}).open,
  contents: !!(document.querySelector('#pst-secondary-sidebar-modal') || {}).open,
  folded: document.querySelector('#pst-primary-sidebar').classList.contains('pst-sidebar-hidden'),
  menu_links: document.querySelectorAll('#pst-primary-sidebar-modal a.reference.internal').length,
  contents_links: document.querySelectorAll('#pst-secondary-sidebar-modal a.nav-link').length,
  contents_shown: (() => { const s = document.querySelector('#pst-secondary-sidebar');
                           return !!s && s.getBoundingClientRect().width > 0
                                  && s.querySelectorAll('a.nav-link').length > 0; })(),
})"""
# The widths at which the buttons are pressed: a phone, a tablet, a laptop.
TOGGLE_WIDTHS = (PHONE["width"], 800, DESKTOP["width"])
MODAL_BELOW = 992  # the theme's breakpoint: below it the menu is a drawer


try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the crawl skips without Playwright
    PlaywrightTimeout = Exception


def _press(locator, how):
    locator.tap() if how == "tap" else locator.click()


def toggles(context, base, width):
    """Press the visible menu and contents buttons by touch ("tap") and by
    mouse ("click"), each on a freshly loaded page, as a reader does; in the
    opened chapter list, press a link to notebook 05 the same way."""
    url = base + f"notebooks/{SCREENSHOT_NOTEBOOK}.html"
    out = {}
    page = context.new_page()
    try:
        for how in ("tap", "click"):
            for which, selector in (("menu", ".primary-toggle"), ("contents", ".secondary-toggle")):
                page.goto(url, wait_until="load")
                before = page.evaluate(STATE_JS)
                button = page.locator(f"{selector}:visible")
                r = out[f"{which} by {how}"] = {"visible": button.count() > 0, "before": before}
                if not r["visible"]:
                    continue
                _press(button.first, how)
                page.wait_for_timeout(400)
                r["after"] = page.evaluate(STATE_JS)
                if width == PHONE["width"] and how == "tap":
                    page.screenshot(path=str(SHOTS / f"phone-{which}-open.png"))
                if which == "menu" and r["after"]["menu"]:
                    target = page.locator("#pst-primary-sidebar-modal a.reference.internal:visible",
                                          has_text="05 ·").first
                    if target.count():
                        r["pressed"] = target.get_attribute("href")
                        try:
                            with page.expect_navigation(wait_until="load", timeout=10_000):
                                _press(target, how)
                        except PlaywrightTimeout:
                            pass
                        r["after_press"] = page.url
    finally:
        page.close()
    return out


def figure_tap(context, base):
    """Tap the first figure of a notebook page on a phone: its image opens."""
    page = context.new_page()
    try:
        page.goto(base + f"notebooks/{SCREENSHOT_NOTEBOOK}.html", wait_until="load")
        figure = page.locator("div.cell_output img").first
        out = {"figures": figure.count()}
        if out["figures"]:
            out["src"] = figure.evaluate("i => i.src")
            figure.scroll_into_view_if_needed()
            try:
                with page.expect_navigation(wait_until="load", timeout=10_000):
                    figure.tap()
            except PlaywrightTimeout:
                pass
            out["after_tap"] = page.url
        return out
    finally:
        page.close()


def search_summaries(context, base, query):
    """The text of the search page's result summaries for ``query``."""
    page = context.new_page()
    try:
        page.goto(base + f"search.html?q={query}", wait_until="load")
        page.wait_for_selector("#search-results p.context", timeout=20_000)
        page.wait_for_timeout(1500)  # summaries arrive one page at a time
        page.screenshot(path=str(SHOTS / "search-results.png"))
        return page.eval_on_selector_all("#search-results p.context",
                                         "ps => ps.map(p => p.textContent)")
    finally:
        page.close()


def desktop_menu(context, base):
    """Click the visible menu button at desktop width: the sidebar folds away and back."""
    page = context.new_page()
    hidden_js = "() => document.querySelector('#pst-primary-sidebar').classList.contains('pst-sidebar-hidden')"
    try:
        page.goto(base + f"notebooks/{SCREENSHOT_NOTEBOOK}.html", wait_until="load")
        before = page.evaluate(hidden_js)
        page.locator(".primary-toggle:visible").first.click()
        page.wait_for_timeout(300)
        folded = page.evaluate(hidden_js)
        page.screenshot(path=str(SHOTS / "desktop-menu-folded.png"))
        page.locator(".primary-toggle:visible").first.click()
        page.wait_for_timeout(300)
        return {"before": before, "folded": folded, "after": page.evaluate(hidden_js)}
    finally:
        page.close()


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


def test_every_page_has_a_favicon(crawl):
    icons = {rel: info["icon"] for rel, info in crawl["pages"].items()}
    assert all(icons.values()), [rel for rel, icon in icons.items() if not icon]
    assert all(crawl["status"][icon] == 200 for icon in icons.values())


def test_links_show_titles_not_file_names(crawl):
    named = {rel: info["file_name_links"] for rel, info in crawl["pages"].items()
             if info["file_name_links"]}
    assert not named


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
    """Written by this run at both widths (a file left by an earlier run does
    not count)."""
    for name in ("front-page.png", "notebook-page.png", "notebook-page-figure.png",
                 "desktop-menu-folded.png", "search-results.png", "teachers.png",
                 "phone-front-page.png", "phone-notebook-page.png", "phone-notebook-figure.png",
                 "phone-notebook-math.png", "phone-menu-open.png", "phone-contents-open.png"):
        shot = SHOTS / name
        assert shot.exists(), name
        assert shot.stat().st_size > 10_000, name
        assert shot.stat().st_mtime >= crawl["started"] - 1, f"{name} is left from an earlier run"


def _layout(crawl):
    """(width, page, layout) over every page at both widths."""
    for rel, info in crawl["pages"].items():
        yield DESKTOP["width"], rel, info["layout"]
    for rel, layout in crawl["phone"].items():
        yield PHONE["width"], rel, layout


def overflow_counts(crawl) -> dict:
    """Per width: code blocks that scroll sideways (inputs, and inputs of at most
    88 columns), pages wider than the screen, math or tables sticking out, and
    (for the record) outputs and display math that scroll in their box."""
    counts = {}
    for width, rel, layout in _layout(crawl):
        c = counts.setdefault(width, {"code blocks": 0, "code overflowing": 0,
                                      "code <= 88 columns overflowing": 0,
                                      "pages scrolling sideways": 0, "boxes sticking out": 0,
                                      "output blocks": 0, "outputs scrolling sideways": 0,
                                      "display math scrolling sideways": 0})
        inputs = [b for b in layout["code"] if b["input"]]
        c["code blocks"] += len(inputs)
        c["code overflowing"] += sum(b["overflow"] for b in inputs)
        c["code <= 88 columns overflowing"] += sum(
            b["overflow"] for b in inputs if b["columns"] <= CODE_COLUMNS)
        c["pages scrolling sideways"] += layout["page_width"] > layout["viewport"]
        c["boxes sticking out"] += sum(b["sticks_out"] for b in layout["boxes"])
        outputs = [b for b in layout["code"] if not b["input"]]
        c["output blocks"] += len(outputs)
        c["outputs scrolling sideways"] += sum(b["overflow"] for b in outputs)
        c["display math scrolling sideways"] += layout["wide_math"]
    return counts


def test_report_overflow_counts(crawl):
    counts = overflow_counts(crawl)
    (SHOTS / "overflow.json").write_text(json.dumps(counts, indent=1))
    print("overflow at each width:", json.dumps(counts))
    assert set(counts) == {DESKTOP["width"], PHONE["width"]}


def test_code_of_88_columns_is_not_cut_off_at_desktop_width(crawl):
    cut = [(rel, b["columns"]) for width, rel, layout in _layout(crawl)
           if width == DESKTOP["width"]
           for b in layout["code"] if b["overflow"] and b["columns"] <= CODE_COLUMNS]
    assert not cut, f"code blocks of at most {CODE_COLUMNS} columns cut off at 1280 px: {cut}"
    widest = [b["columns"] for info in crawl["pages"].values() for b in info["layout"]["code"]
              if not b["overflow"]]
    assert max(widest) >= CODE_COLUMNS - 4  # long lines were measured at all


def test_code_scrolls_inside_its_box(crawl):
    stuck = [(width, rel) for width, rel, layout in _layout(crawl)
             for b in layout["code"] if b["overflow"] and not b["scrolls"]]
    assert not stuck


def test_no_page_scrolls_sideways(crawl):
    wide = [(width, rel, layout["page_width"]) for width, rel, layout in _layout(crawl)
            if layout["page_width"] > layout["viewport"]]
    assert not wide


def test_math_and_tables_scroll_inside_their_box(crawl):
    out = [(width, rel, b["what"]) for width, rel, layout in _layout(crawl)
           for b in layout["boxes"] if b["sticks_out"]]
    assert not out


def test_titles_leave_room_on_the_first_phone_screen(crawl):
    tall = {rel: layout["title_height"] for rel, layout in crawl["phone"].items()
            if layout["title_height"] > PHONE["height"] / 5}
    assert not tall


def test_figures_open_full_size(crawl):
    for width, rel, layout in _layout(crawl):
        for figure in layout["figures"]:
            assert figure["link"] and figure["link"] == figure["src"], (width, rel, figure)


def test_menu_and_contents_buttons_work_by_touch_and_by_mouse(crawl):
    """At 390, 800 and 1280 px, tapped and clicked: below the theme's breakpoint
    the menu opens the chapter list, and a link in it (tapped or clicked)
    navigates; above it the menu folds the sidebar. The contents button opens
    the page's contents wherever it is shown (at 1280 px they stand beside the
    text, and the button is hidden)."""
    notebooks = len(list((REPO / "notebooks").glob("*.ipynb")))
    assert set(crawl["toggles"]) == set(TOGGLE_WIDTHS)
    problems = []
    for width, results in crawl["toggles"].items():
        assert set(results) == {f"{w} by {h}" for w in ("menu", "contents")
                                for h in ("tap", "click")}, results
        for key, r in results.items():
            which = key.split()[0]
            if not r["visible"]:
                if not (which == "contents" and width >= 1200 and r["before"]["contents_shown"]):
                    problems.append((width, key, "no visible button"))
                continue
            before, after = r["before"], r["after"]
            if which == "contents":
                ok = after["contents"] and after["contents_links"] >= 3
            elif width < MODAL_BELOW:
                ok = (after["menu"] and after["menu_links"] >= notebooks
                      and r.get("pressed", "").split("#")[0].endswith("05_hidden_size.html")
                      and r.get("after_press", "").split("#")[0]
                      .endswith("/notebooks/05_hidden_size.html"))
            else:
                ok = after["folded"] != before["folded"]
            if not ok:
                problems.append((width, key, r))
    assert not problems


def test_a_figure_opens_full_size_on_a_tap(crawl):
    tap = crawl["figure_tap"]
    assert tap["figures"] and tap["after_tap"] == tap["src"], tap
    assert tap["src"].endswith(".png"), tap


def test_menu_button_folds_the_sidebar_on_a_desktop(crawl):
    assert crawl["desktop_menu"] == {"before": False, "folded": True, "after": False}


def test_search_summaries_show_no_tex(crawl):
    summaries = crawl["search"]
    assert len(summaries) >= 3, summaries
    tex = [s for s in summaries
           if re.search(r"\\[()\[\]]|\\(?:mathbf|lambda|frac|text|boldsymbol)\b", s)]
    assert not tex, tex


def test_front_page_says_whether_the_badges_work(crawl):
    ok, message = prepare.load_project_module().ref_status(REPO)
    text = crawl["pages"]["index.html"]["text"]
    assert ("The Colab badges do not work yet" in text) == (not ok)
    assert ("The Colab badges and setup cells open" in text) == ok
