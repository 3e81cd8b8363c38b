"""The demo page (functions/http_service/web/, served by libsearch-service at /)
in real headless Chromium, against the real service on the bundled catalogue.

Every number the page shows is checked against the API answering the same
request, fetched directly with urllib: totals, hits in order, facet counts,
the suggestion and the next page. Chromium and chromedriver are Debian's
(/usr/bin/chromium, /usr/bin/chromedriver; LIBSEARCH_CHROMIUM and
LIBSEARCH_CHROMEDRIVER override), given to Selenium explicitly, so Selenium
Manager never runs and nothing is downloaded. The last test writes a
screenshot to $LIBSEARCH_BUILD_DIR/functions/demo.png (docs/demo.png is a copy).
"""

from __future__ import annotations

import json
import os
import pathlib
import time
from typing import Any, Dict, Iterator, List, Optional

import pytest

from conftest import BUILD, HttpSurface, http, require

CHROMIUM = pathlib.Path(os.environ.get("LIBSEARCH_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = pathlib.Path(os.environ.get("LIBSEARCH_CHROMEDRIVER", "/usr/bin/chromedriver"))
SCREENSHOT = BUILD / "functions" / "demo.png"
WAIT = 15.0

# What the page asks for (app.js): the catalogue's keyword fields as
# disjunctive facets of 8 values, search-as-you-type with typos, 10 a page.
FACETS = ["nutrition_band", "is_healthy", "country"]
PAGE = 10

# Everything the page shows, read in one round trip.
SNAPSHOT_JS = """
const hits = [...document.querySelectorAll('#hits .hit')];
const total = document.getElementById('total');
const sugar = (h) => {
  const dd = h.querySelector('dd[data-field="sugars_100g"]');
  return dd && dd.dataset.value !== '' ? Number(dd.dataset.value) : null;
};
return {
  rendered: window.__demo ? window.__demo.rendered : 0,
  busy: document.body.classList.contains('busy'),
  query: document.getElementById('hits').dataset.query,
  input: document.getElementById('q').value,
  total: total ? Number(total.dataset.total) : null,
  ids: hits.map((h) => h.dataset.id),
  titles: hits.map((h) => h.querySelector('.title').textContent),
  sugars: hits.map(sugar),
  marks: [...document.querySelectorAll('#hits mark')].map((m) => m.textContent),
  facets: Object.fromEntries([...document.querySelectorAll('[data-facet]')].map((s) => [
    s.dataset.facet,
    [...s.querySelectorAll('li[data-value]')].map((li) => [
      li.dataset.value, Number(li.querySelector('.count').dataset.count),
      li.querySelector('input').checked])])),
  suggestion: document.getElementById('suggestion').hidden ? null
      : document.getElementById('suggestion-link').textContent,
  more: !document.getElementById('more').hidden,
  error: document.getElementById('error').hidden ? null : document.getElementById('error').textContent,
  took: (document.getElementById('took') || {}).textContent,
  request: window.__demo ? window.__demo.lastRequest : null,
};
"""


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        require(False, "the selenium package")
    require(CHROMIUM.exists(), f"Chromium at {CHROMIUM} (apt-get install chromium)")
    require(CHROMEDRIVER.exists(), f"chromedriver at {CHROMEDRIVER} (apt-get install chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,960", "--force-device-scale-factor=1", "--hide-scrollbars",
                "--lang=en-US", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # A driver path in the Service skips Selenium Manager (no lookup, no download).
    d = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    d.set_page_load_timeout(WAIT)
    yield d
    d.quit()


def api(service: HttpSurface, request: Dict[str, Any]) -> Dict[str, Any]:
    status, body = service.post(request)
    assert status == 200, body
    return json.loads(body)


def page_request(query: str, **extra: Any) -> Dict[str, Any]:
    """The request the page sends for `query` with facets (extra keys added)."""
    return {"query": query, "k": PAGE, "prefix": True, "typos": True,
            "facets": [f"{f}:8" for f in FACETS], "disjunctive": FACETS, **extra}


def snapshot(d: Any) -> Dict[str, Any]:
    return d.execute_script(SNAPSHOT_JS)


def wait_for(d: Any, what: str, cond, timeout: float = WAIT) -> Dict[str, Any]:
    """Polls the page until cond(snapshot) holds; the failure names `what`
    and shows the last snapshot and the browser's console."""
    deadline = time.monotonic() + timeout
    while True:
        snap = snapshot(d)
        if cond(snap):
            return snap
        if time.monotonic() > deadline:
            logs = [e["message"] for e in d.get_log("browser")]
            pytest.fail(f"timed out waiting for {what}: {json.dumps(snap)[:2000]}\nconsole: {logs}")
        time.sleep(0.03)


def settled(d: Any, after: int, query: Optional[str] = None) -> Dict[str, Any]:
    """The page once it rendered a newer answer than `after` and is idle."""
    return wait_for(d, f"a render after #{after}" + (f" for {query!r}" if query is not None else ""),
                    lambda s: s["rendered"] > after and not s["busy"]
                    and (query is None or s["query"] == query))


def open_page(d: Any, service: HttpSurface) -> Dict[str, Any]:
    d.get(service.url("/"))
    return settled(d, 0, "")  # The first render: every document.


def type_slowly(d: Any, text: str) -> None:
    """One key event per character, as a person types."""
    box = d.find_element("id", "q")
    for ch in text:
        box.send_keys(ch)


def facet_counts(snap: Dict[str, Any]) -> Dict[str, Dict[str, int]]:
    return {f: {v: n for v, n, _ in values} for f, values in snap["facets"].items()}


def api_facet_counts(result: Dict[str, Any]) -> Dict[str, Dict[str, int]]:
    return {f: {v["value"]: v["count"] for v in values} for f, values in result["facets"].items()}


def assert_matches_api(snap: Dict[str, Any], result: Dict[str, Any]) -> None:
    assert snap["error"] is None
    assert snap["total"] == result["total"]
    assert snap["ids"] == [h["id"] for h in result["hits"]]
    if result["facets"]:
        assert facet_counts(snap) == api_facet_counts(result)


def click(d: Any, css: str) -> None:
    d.find_element("css selector", css).click()


def test_page_is_served_from_the_binary(service: HttpSurface) -> None:
    status, headers, body = http("GET", service.url("/"))
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-cache" and b'<script src="app.js">' in body
    status, again, _ = http("GET", service.url("/"), headers={"if-none-match": headers["etag"]})
    assert status == 304 and again["etag"] == headers["etag"]
    for path, kind in (("/app.js", "text/javascript"), ("/style.css", "text/css")):
        status, headers, body = http("GET", service.url(path))
        assert status == 200 and headers["content-type"].startswith(kind) and len(body) > 1000
        assert "no-cache" in headers["cache-control"]
    status, headers, body = http("GET", service.url("/schema"))
    schema = json.loads(body)
    assert status == 200 and schema["id"] == "barcode"
    assert {f for f, s in schema["fields"].items() if s["type"] == "keyword" and s["indexed"]} == {"barcode", *FACETS}
    status, headers, _ = http("POST", service.url("/"), b"{}")
    assert status == 405
    status, _, body = http("GET", service.url("/app.css"))
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"


def test_typing_choc_shows_chocolate(driver: Any, service: HttpSurface) -> None:
    first = open_page(driver, service)
    assert first["total"] == 10000 and len(first["ids"]) == PAGE
    type_slowly(driver, "choc")
    snap = settled(driver, first["rendered"], "choc")
    result = api(service, page_request("choc"))
    assert_matches_api(snap, result)
    assert snap["request"]["prefix"] is True and snap["request"]["typos"] is True
    # Chocolate products, with the matched words marked, safely.
    assert sum("choco" in t.lower() for t in snap["titles"]) >= PAGE // 2, snap["titles"]
    assert any("chocolate" in t.lower() for t in snap["titles"]), snap["titles"]
    assert snap["marks"] and all(m.lower().startswith("cho") for m in snap["marks"]), snap["marks"]
    assert "\ue000" not in driver.find_element("id", "hits").text
    assert snap["took"].startswith(" · ") and ("µs" in snap["took"] or "ms" in snap["took"])
    # Nothing older shows up later.
    time.sleep(0.3)
    assert snapshot(driver)["ids"] == snap["ids"]


def test_a_stale_answer_never_overwrites_a_newer_one(driver: Any, service: HttpSurface) -> None:
    """The answer for "cho" is held back 800 ms (and cannot be aborted), so
    it arrives after the one for "choc": the page keeps showing "choc"."""
    first = open_page(driver, service)
    driver.execute_script("""
      const original = window.fetch;
      window.fetch = (url, init) => {
        const body = init && init.body ? JSON.parse(init.body) : {};
        const answer = original(url, Object.assign({}, init, {signal: undefined}));
        if (body.query !== 'cho') return answer;
        window.__demo.heldBack = (window.__demo.heldBack || 0) + 1;
        return new Promise((resolve) => setTimeout(() => {
          window.__demo.released = true;
          resolve(answer);
        }, 800));
      };""")
    type_slowly(driver, "cho")
    wait_for(driver, "the request for 'cho'", lambda s: s["request"]["query"] == "cho")
    type_slowly(driver, "c")
    snap = settled(driver, first["rendered"], "choc")
    wait_for(driver, "the held-back answer", lambda s: driver.execute_script("return !!window.__demo.released"))
    time.sleep(0.2)
    after = snapshot(driver)
    assert driver.execute_script("return window.__demo.heldBack") == 1
    assert after["query"] == "choc" and after["rendered"] == snap["rendered"]
    assert_matches_api(after, api(service, page_request("choc")))


def test_facets_narrow_with_disjunctive_counts(driver: Any, service: HttpSurface) -> None:
    first = open_page(driver, service)
    type_slowly(driver, "choc")
    before = settled(driver, first["rendered"], "choc")
    assert set(before["facets"]) == set(FACETS)

    click(driver, '[data-facet="country"] li[data-value="France"] input')
    snap = settled(driver, before["rendered"], "choc")
    result = api(service, page_request("choc", filters=['country:("France")']))
    assert snap["request"]["filters"] == ['country:("France")']
    assert_matches_api(snap, result)
    assert 0 < snap["total"] < before["total"]
    assert snap["total"] == facet_counts(before)["country"]["France"]
    # Disjunctive: the other countries keep their counts; other facets narrow.
    assert facet_counts(snap)["country"] == facet_counts(before)["country"]
    assert sum(facet_counts(snap)["nutrition_band"].values()) == snap["total"]
    checked = [v for v, _, on in snap["facets"]["country"] if on]
    assert checked == ["France"]

    # A second value of another field: both filters apply (AND across fields).
    click(driver, '[data-facet="is_healthy"] li[data-value="true"] input')
    both = settled(driver, snap["rendered"], "choc")
    result = api(service, page_request("choc", filters=['is_healthy:("true")', 'country:("France")']))
    assert both["request"]["filters"] == ['is_healthy:("true")', 'country:("France")']
    assert_matches_api(both, result)
    assert 0 < both["total"] < snap["total"]
    # A second value of the same field widens (OR within a field).
    click(driver, '[data-facet="country"] li[data-value="Switzerland"] input')
    wider = settled(driver, both["rendered"], "choc")
    result = api(service, page_request("choc", filters=['is_healthy:("true")',
                                                        'country:("France" OR "Switzerland")']))
    assert_matches_api(wider, result)
    assert wider["total"] > both["total"]


def test_did_you_mean(driver: Any, service: HttpSurface) -> None:
    first = open_page(driver, service)
    # Zero matches even with typos ("oyl" has three letters: no typos).
    type_slowly(driver, "olive oyl")
    snap = settled(driver, first["rendered"], "olive oyl")
    result = api(service, page_request("olive oyl"))
    assert result["total"] == 0
    # The engine's facet path does not suggest (yet): the page asks the plain
    # request for the correction, as here.
    plain = api(service, {"query": "olive oyl", "k": 0, "prefix": True, "typos": True})
    assert plain["suggestion"] == "olive oil"
    assert result["suggestion"] in (None, plain["suggestion"])
    assert snap["total"] == 0 and snap["ids"] == [] and snap["suggestion"] == "olive oil"
    click(driver, "#suggestion-link")
    fixed = settled(driver, snap["rendered"], "olive oil")
    assert fixed["input"] == "olive oil" and fixed["suggestion"] is None
    assert_matches_api(fixed, api(service, page_request("olive oil")))
    assert fixed["total"] > 0


def test_sort_changes_order(driver: Any, service: HttpSurface) -> None:
    from selenium.webdriver.support.ui import Select

    first = open_page(driver, service)
    type_slowly(driver, "choc")
    relevance = settled(driver, first["rendered"], "choc")
    Select(driver.find_element("id", "sort")).select_by_value("sugars_100g:desc")
    desc = settled(driver, relevance["rendered"], "choc")
    assert_matches_api(desc, api(service, page_request("choc", sort="sugars_100g:desc")))
    assert desc["ids"] != relevance["ids"] and desc["total"] == relevance["total"]
    assert None not in desc["sugars"] and desc["sugars"] == sorted(desc["sugars"], reverse=True)
    Select(driver.find_element("id", "sort")).select_by_value("sugars_100g:asc")
    asc = settled(driver, desc["rendered"], "choc")
    assert_matches_api(asc, api(service, page_request("choc", sort="sugars_100g:asc")))
    assert None not in asc["sugars"] and asc["sugars"] == sorted(asc["sugars"])
    assert asc["sugars"][0] < desc["sugars"][-1]


def next_pages(service: HttpSurface, request: Dict[str, Any], pages: int) -> List[str]:
    """Ids of `pages` pages through the API's cursor (no facets: the page
    leaves them out of "more")."""
    request = {k: v for k, v in request.items() if k not in ("facets", "disjunctive")}
    ids: List[str] = []
    for _ in range(pages):
        result = api(service, request)
        ids += [h["id"] for h in result["hits"]]
        request = {**request, "search_after": result["next_cursor"]}
    return ids


def test_more_appends_the_next_page(driver: Any, service: HttpSurface) -> None:
    from selenium.webdriver.support.ui import Select

    first = open_page(driver, service)
    type_slowly(driver, "choc")
    page1 = settled(driver, first["rendered"], "choc")
    assert page1["more"]
    click(driver, "#more")
    page2 = wait_for(driver, "20 hits", lambda s: len(s["ids"]) == 2 * PAGE and s["more"])
    assert page2["ids"][:PAGE] == page1["ids"] and len(set(page2["ids"])) == 2 * PAGE
    assert page2["ids"] == next_pages(service, page_request("choc"), 2)

    # Sorted: the engine's cursor carries on in sort order across pages.
    Select(driver.find_element("id", "sort")).select_by_value("sugars_100g:desc")
    sorted1 = settled(driver, page2["rendered"], "choc")
    assert len(sorted1["ids"]) == PAGE
    for n in (2, 3):
        click(driver, "#more")
        snap = wait_for(driver, f"{n * PAGE} hits", lambda s, n=n: len(s["ids"]) == n * PAGE)
    assert snap["ids"][:PAGE] == sorted1["ids"] and len(set(snap["ids"])) == 3 * PAGE
    assert snap["sugars"] == sorted(snap["sugars"], reverse=True)
    assert snap["ids"] == next_pages(service, page_request("choc", sort="sugars_100g:desc"), 3)


def test_range_filter_narrows(driver: Any, service: HttpSurface) -> None:
    first = open_page(driver, service)
    type_slowly(driver, "choc")
    before = settled(driver, first["rendered"], "choc")
    driver.find_element("id", "range-min").send_keys("5")
    driver.find_element("id", "range-max").send_keys("20")
    snap = wait_for(driver, "the range filter", lambda s: s["rendered"] > before["rendered"] and not s["busy"]
                    and s["request"].get("filters") == ["sugars_100g:[5 TO 20]"])
    assert_matches_api(snap, api(service, page_request("choc", filters=["sugars_100g:[5 TO 20]"])))
    assert 0 < snap["total"] < before["total"]
    assert all(s is not None and 5 <= s <= 20 for s in snap["sugars"]), snap["sugars"]


def test_snippets_are_escaped(driver: Any, service: HttpSurface) -> None:
    """Stored text holding markup ("<strong>blé</strong>" in an ingredient
    list) shows as text: only the highlight markers become <mark>."""
    first = open_page(driver, service)
    type_slowly(driver, "fève orge")
    snap = settled(driver, first["rendered"], "fève orge")
    assert snap["ids"] == ["3242272981251"]
    hit = driver.find_element("css selector", '.hit[data-id="3242272981251"] .snippet')
    assert "(<strong>blé</strong>, fève, <strong>orge</strong> malté" in hit.text
    assert hit.find_elements("css selector", "strong") == []
    assert [m.text for m in hit.find_elements("css selector", "mark")] == ["fève", "orge"]
    assert driver.execute_script("return window.__demo.markup('<b>&</b>\\ue000x\\ue001')") == \
        "&lt;b&gt;&amp;&lt;/b&gt;<mark>x</mark>"


def test_screenshot(driver: Any, service: HttpSurface) -> None:
    """The README's picture: a query, a ticked facet, highlights."""
    first = open_page(driver, service)
    type_slowly(driver, "chocolate")
    snap = settled(driver, first["rendered"], "chocolate")
    click(driver, '[data-facet="country"] li[data-value="Switzerland"] input')
    snap = settled(driver, snap["rendered"], "chocolate")
    assert snap["total"] > 0 and snap["marks"]
    driver.execute_script("document.activeElement.blur()")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 20000
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
