// libsearch-service's demo page: search-as-you-type, disjunctive facets, a
// numeric range filter, sorting, highlighted snippets, "did you mean" and
// cursor pagination, all through POST /search (the API's JSON model) of the
// service that served this file. GET /schema tells which fields exist:
// keyword fields become facets, numeric fields the range filter and the sort
// options. No framework, no build step.
"use strict";

(() => {
  const PAGE_SIZE = 10;
  const FACET_SIZE = 8;
  const TYPE_DEBOUNCE_MS = 40;   // Light: every keystroke still searches.
  const RANGE_DEBOUNCE_MS = 250;
  // Highlight markers: private-use characters that product text does not
  // hold. The snippet is HTML-escaped first, then only these become <mark>.
  const PRE = "\uE000";
  const POST = "\uE001";

  // Presentation hints for the bundled catalogue (examples/products); any
  // other index works too, with field names as labels.
  const LABELS = {
    product_name: "Product", ingredients: "Ingredients", country: "Barcode country",
    nutrition_band: "Nutrition band", is_healthy: "Healthy",
    fat_100g: "Fat", saturated_fat_100g: "Saturated fat", carbohydrates_100g: "Carbohydrates",
    sugars_100g: "Sugars", fiber_100g: "Fibre", proteins_100g: "Protein", salt_100g: "Salt",
    sodium_100g: "Sodium", alcohol_100g: "Alcohol",
  };
  const VALUE_LABELS = { is_healthy: { true: "Yes", false: "No" } };
  const FACET_ORDER = ["nutrition_band", "is_healthy", "country"];
  // Values shown in this order (others by count, as the API sends them).
  const VALUE_ORDER = { nutrition_band: ["green", "amber", "red", "unknown"], is_healthy: ["true", "false"] };
  const TITLE_FIELDS = ["product_name", "name", "title"];
  const FACT_FIELDS = ["sugars_100g", "fat_100g", "proteins_100g", "salt_100g"];
  const RANGE_DEFAULT = "sugars_100g";
  const SORTS = [
    ["sugars_100g:asc", "Sugars: low to high"], ["sugars_100g:desc", "Sugars: high to low"],
    ["proteins_100g:desc", "Protein: high to low"], ["fat_100g:asc", "Fat: low to high"],
    ["salt_100g:asc", "Salt: low to high"],
  ];

  const $ = (id) => document.getElementById(id);
  const el = {
    q: $("q"), typos: $("typos"), spinner: $("spinner"), info: $("index-info"),
    facets: $("facets"), rangeField: $("range-field"), rangeMin: $("range-min"),
    rangeMax: $("range-max"), rangeHint: $("range-hint"), clear: $("clear"),
    summary: $("summary"), sort: $("sort"), suggestion: $("suggestion"),
    suggestionLink: $("suggestion-link"), error: $("error"), hits: $("hits"),
    empty: $("empty"), more: $("more"),
  };

  const state = {
    fields: {},            // name -> schema spec
    idField: "id",
    titleField: null,
    snippetFields: [],     // stored text fields other than the title
    facetFields: [],
    numericFields: [],
    factFields: [],
    selected: new Map(),   // facet field -> Set of ticked values
    generation: 0,         // bumped by every new search; older answers are dropped
    controller: null,      // aborts the request of an older generation
    cursor: null,          // next_cursor of the last page shown
    shown: new Set(),      // ids on the page (pagination never repeats one)
  };
  // For tests and the curious: the last request sent and answer shown.
  const debug = (window.__demo = { lastRequest: null, lastResponse: null, searches: 0, rendered: 0 });

  // ---------------------------------------------------------------- helpers

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  // A highlighted snippet as safe HTML: escape everything, then turn only
  // the markers into <mark> (an unpaired marker is dropped).
  function markup(snippet) {
    let html = "";
    let open = false;
    for (const part of String(snippet).split(/([\uE000\uE001])/)) {
      if (part === PRE) {
        if (!open) html += "<mark>";
        open = true;
      } else if (part === POST) {
        if (open) html += "</mark>";
        open = false;
      } else {
        html += escapeHtml(part);
      }
    }
    return open ? html + "</mark>" : html;
  }

  function label(field) {
    if (LABELS[field]) return LABELS[field];
    const words = field.replace(/_100g$/, "").replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function valueLabel(field, value) {
    return (VALUE_LABELS[field] && VALUE_LABELS[field][value]) || value;
  }

  function unit(field) {
    return /_100g$/.test(field) ? " g" : "";
  }

  function formatNumber(x) {
    if (typeof x !== "number") return "";
    const abs = Math.abs(x);
    const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
    return x.toLocaleString("en", { maximumFractionDigits: digits });
  }

  function formatMicros(us) {
    if (us < 1000) return `${us} µs`;
    return `${(us / 1000).toFixed(us < 10000 ? 1 : 0)} ms`;
  }

  // A keyword value inside a filter: quoted, so spaces and slashes are kept.
  function quote(value) {
    return `"${String(value).replace(/["\\]/g, " ")}"`;
  }

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "html") node.innerHTML = v;
      else if (k === "style") for (const [p, x] of Object.entries(v)) node.style.setProperty(p, x);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) {
      if (c !== null && c !== undefined && c !== false) node.append(c);
    }
    return node;
  }

  // ------------------------------------------------------------- requests

  async function api(path, body, signal) {
    const init = body === undefined ? { signal } : {
      method: "POST", signal, body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
    };
    const res = await fetch(path, init);
    const text = await res.text();
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      throw new Error(`${res.status} ${res.statusText}: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const e = data && data.error;
      throw new Error(e ? `${e.code}: ${e.message}` : `HTTP ${res.status}`);
    }
    return data;
  }

  function filters() {
    const out = [];
    for (const field of state.facetFields) {
      const values = state.selected.get(field);
      if (values && values.size) out.push(`${field}:(${[...values].map(quote).join(" OR ")})`);
    }
    const field = el.rangeField.value;
    const lo = parseFloat(el.rangeMin.value);
    const hi = parseFloat(el.rangeMax.value);
    if (field && (Number.isFinite(lo) || Number.isFinite(hi))) {
      out.push(`${field}:[${Number.isFinite(lo) ? lo : "*"} TO ${Number.isFinite(hi) ? hi : "*"}]`);
    }
    return out;
  }

  // The request for the current controls; `page` adds the cursor and leaves
  // the facets out (they do not change between pages).
  function buildRequest(cursor) {
    const req = { query: el.q.value, k: PAGE_SIZE, prefix: true, typos: el.typos.checked };
    const f = filters();
    if (f.length) req.filters = f;
    if (!cursor && state.facetFields.length) {
      req.facets = state.facetFields.map((field) => `${field}:${FACET_SIZE}`);
      req.disjunctive = state.facetFields.slice();
    }
    if (el.sort.value) req.sort = el.sort.value;
    const hl = [state.titleField, ...state.snippetFields].filter(Boolean);
    if (hl.length) req.highlight = { fields: hl, pre_tag: PRE, post_tag: POST, fragment_bytes: 180 };
    if (cursor) req.search_after = cursor;
    return req;
  }

  let typeTimer = 0;
  function scheduleSearch(delay) {
    clearTimeout(typeTimer);
    typeTimer = setTimeout(search, delay);
  }

  // A new search: newest wins. The older request is aborted, and an answer
  // that still arrives for an older generation is ignored.
  async function search() {
    clearTimeout(typeTimer);
    const generation = ++state.generation;
    if (state.controller) state.controller.abort();
    const controller = (state.controller = new AbortController());
    const req = buildRequest(null);
    debug.lastRequest = req;
    debug.searches++;
    setBusy(true);
    let data;
    try {
      data = await api("search", req, controller.signal);
    } catch (err) {
      if (generation !== state.generation) return;
      setBusy(false);
      showError(err);
      return;
    }
    if (generation !== state.generation) return;
    if (data.total === 0 && !data.suggestion && req.query.trim() && (req.facets || req.sort)) {
      // The engine's facet and sort path does not look for a correction
      // (libsearch/search/index.cc, SearchVisitingAll); the plain top-k
      // path does, so ask it, counting only.
      try {
        const plain = { query: req.query, k: 0, prefix: req.prefix, typos: req.typos };
        if (req.filters) plain.filters = req.filters;
        data.suggestion = (await api("search", plain, controller.signal)).suggestion;
      } catch {
        // No suggestion, then.
      }
      if (generation !== state.generation) return;
    }
    setBusy(false);
    debug.lastResponse = data;
    render(req, data);
    syncUrl();
  }

  async function more() {
    if (!state.cursor) return;
    const generation = state.generation;
    const req = buildRequest(state.cursor);
    el.more.disabled = true;
    el.more.textContent = "Loading…";
    let data;
    try {
      data = await api("search", req, state.controller ? state.controller.signal : undefined);
    } catch (err) {
      if (generation !== state.generation) return;
      showError(err);
      el.more.disabled = false;
      el.more.textContent = "More results";
      return;
    }
    if (generation !== state.generation) return;
    appendHits(data.hits);
    state.cursor = data.hits.length ? data.next_cursor : null;
    updateMore(data.total, data.total_exact);
    el.hits.dataset.rendered = ++debug.rendered;
  }

  // --------------------------------------------------------------- render

  function setBusy(busy) {
    el.spinner.hidden = !busy;
    document.body.classList.toggle("busy", busy);
  }

  function showError(err) {
    el.error.hidden = false;
    el.error.textContent = `Search failed: ${err.message}`;
  }

  function render(req, data) {
    el.error.hidden = true;
    el.hits.replaceChildren();
    state.shown.clear();
    el.hits.dataset.query = req.query;

    const total = data.total.toLocaleString("en");
    const count = `${total}${data.total_exact ? "" : "+"} ${data.total === 1 ? "product" : "products"}`;
    const what = req.query.trim() ? h("span", {}, " for ", h("q", { class: "query" }, req.query.trim())) : null;
    el.summary.replaceChildren(
      h("strong", { id: "total", "data-total": data.total }, count), what || "",
      h("span", { class: "took", id: "took", title: "time spent in the engine (took_us)" },
        ` · ${formatMicros(data.took_us)}`));

    el.suggestion.hidden = !data.suggestion;
    if (data.suggestion) el.suggestionLink.textContent = data.suggestion;

    el.empty.hidden = data.hits.length > 0;
    if (!data.hits.length) {
      const filtered = (req.filters || []).length > 0;
      el.empty.textContent = data.suggestion ? "" :
        `No products match${req.query.trim() ? ` “${req.query.trim()}”` : ""}` +
        (filtered ? " with these filters." : ".");
      el.empty.hidden = !el.empty.textContent;
    }
    appendHits(data.hits);
    state.cursor = data.hits.length ? data.next_cursor : null;
    updateMore(data.total, data.total_exact);
    renderFacets(data.facets || {});
    el.clear.hidden = filters().length === 0;
    el.hits.dataset.rendered = ++debug.rendered;
  }

  function updateMore(total, exact) {
    const left = state.cursor && (!exact || state.shown.size < total);
    el.more.hidden = !left;
    el.more.disabled = false;
    el.more.textContent = exact ? `More results (${(total - state.shown.size).toLocaleString("en")} left)`
                                : "More results";
  }

  function appendHits(hits) {
    const frag = document.createDocumentFragment();
    for (const hit of hits) {
      if (state.shown.has(hit.id)) continue;
      state.shown.add(hit.id);
      frag.append(renderHit(hit, state.shown.size));
    }
    el.hits.append(frag);
  }

  function initials(text) {
    const words = String(text || "?").match(/[\p{L}\p{N}]+/gu) || ["?"];
    return words.slice(0, 2).map((w) => w[0].toUpperCase()).join("");
  }

  function hue(text) {
    let x = 0;
    for (const c of String(text)) x = (x * 31 + c.codePointAt(0)) >>> 0;
    return x % 360;
  }

  function renderHit(hit, rank) {
    const doc = hit.doc || {};
    const hl = hit.highlights || {};
    const titleText = (state.titleField && doc[state.titleField]) || hit.id;
    const title = state.titleField && hl[state.titleField] ? markup(hl[state.titleField]) : escapeHtml(titleText);

    const chips = [];
    for (const field of state.facetFields) {
      const v = doc[field];
      if (v === undefined || v === null || v === "") continue;
      const value = String(v);
      if (field === "nutrition_band") {
        chips.push(h("span", { class: `chip band band-${value.replace(/[^a-z]/g, "")}`, title: label(field) }, `${value}`));
      } else if (field === "is_healthy") {
        if (value === "true") chips.push(h("span", { class: "chip healthy", title: label(field) }, "healthy"));
      } else {
        chips.push(h("span", { class: "chip", title: label(field) }, valueLabel(field, value)));
      }
    }

    let snippet = null;
    for (const field of state.snippetFields) {
      if (hl[field]) {
        snippet = h("p", { class: "snippet", "data-field": field, html: markup(hl[field]) });
        break;
      }
    }
    if (!snippet) {
      const field = state.snippetFields.find((f) => doc[f]);
      if (field) {
        const text = String(doc[field]);
        snippet = h("p", { class: "snippet", "data-field": field },
          text.length > 180 ? text.slice(0, 180).replace(/\s+\S*$/, "") + "…" : text);
      }
    }

    const facts = h("dl", { class: "facts" });
    for (const field of state.factFields) {
      const v = doc[field];
      facts.append(h("div", { class: "fact" },
        h("dt", {}, label(field)),
        h("dd", { "data-field": field, "data-value": typeof v === "number" ? v : "" },
          typeof v === "number" ? `${formatNumber(v)}${unit(field)}` : "–")));
    }

    return h("li", { class: "hit", "data-id": hit.id, "data-rank": rank },
      h("div", { class: "thumb", style: { "--hue": hue(titleText) }, "aria-hidden": "true" }, initials(titleText)),
      h("div", { class: "hit-body" },
        h("h2", { class: "title", html: title }),
        h("div", { class: "meta" }, h("span", { class: "id" }, hit.id), ...chips),
        snippet),
      facts);
  }

  function renderFacets(facets) {
    el.facets.replaceChildren();
    for (const field of state.facetFields) {
      const values = (facets[field] || []).slice();
      const selected = state.selected.get(field) || new Set();
      for (const v of selected) {
        if (!values.some((x) => x.value === v)) values.push({ value: v, count: 0 });
      }
      const order = VALUE_ORDER[field];
      if (order) {
        const rank = (v) => (order.includes(v) ? order.indexOf(v) : order.length);
        values.sort((a, b) => rank(a.value) - rank(b.value));
      }
      const list = h("ul", { class: "facet-values" });
      for (const { value, count } of values) {
        const id = `f-${field}-${value}`.replace(/[^\w-]/g, "_");
        const checked = selected.has(value);
        list.append(h("li", { class: count === 0 && !checked ? "zero" : null, "data-field": field, "data-value": value },
          h("input", {
            type: "checkbox", id, checked,
            onchange: (e) => toggle(field, value, e.target.checked),
          }),
          h("label", { for: id },
            field === "nutrition_band" ? h("span", { class: `dot band-${value.replace(/[^a-z]/g, "")}` }) : null,
            h("span", { class: "value" }, valueLabel(field, value))),
          h("span", { class: "count", "data-count": count }, count.toLocaleString("en"))));
      }
      if (!values.length) list.append(h("li", { class: "none" }, "no values"));
      el.facets.append(h("section", { class: "filter-group", "data-facet": field },
        h("h3", {}, label(field)), list));
    }
  }

  function toggle(field, value, on) {
    if (!state.selected.has(field)) state.selected.set(field, new Set());
    const set = state.selected.get(field);
    if (on) set.add(value);
    else set.delete(value);
    search();
  }

  function syncUrl() {
    const url = new URL(window.location.href);
    if (el.q.value) url.searchParams.set("q", el.q.value);
    else url.searchParams.delete("q");
    window.history.replaceState(null, "", url);
  }

  // ---------------------------------------------------------------- setup

  function setupFields(schema) {
    state.fields = schema.fields || {};
    state.idField = schema.id || "id";
    const names = Object.keys(state.fields);
    const of = (pred) => names.filter((n) => pred(state.fields[n]));
    const text = of((f) => f.type === "text" && f.stored);
    state.titleField = TITLE_FIELDS.find((n) => text.includes(n)) || text[0] || null;
    state.snippetFields = text.filter((n) => n !== state.titleField);
    const keywords = of((f) => f.type === "keyword" && f.indexed !== false)
      .filter((n) => n !== state.idField);
    state.facetFields = [...FACET_ORDER.filter((n) => keywords.includes(n)),
                         ...keywords.filter((n) => !FACET_ORDER.includes(n))];
    state.numericFields = of((f) => f.type === "int" || f.type === "float" || f.type === "double");
    state.factFields = FACT_FIELDS.filter((n) => state.numericFields.includes(n) && state.fields[n].stored);
    if (!state.factFields.length) {
      state.factFields = state.numericFields.filter((n) => state.fields[n].stored).slice(0, 4);
    }

    el.sort.replaceChildren(h("option", { value: "" }, "Relevance"));
    let sorts = SORTS.filter(([spec]) => state.numericFields.includes(spec.split(":")[0]));
    if (!sorts.length) {
      sorts = state.numericFields.slice(0, 3).flatMap((n) => [
        [`${n}:asc`, `${label(n)}: low to high`], [`${n}:desc`, `${label(n)}: high to low`]]);
    }
    for (const [spec, text] of sorts) el.sort.append(h("option", { value: spec }, text));

    el.rangeField.replaceChildren();
    for (const n of state.numericFields) {
      el.rangeField.append(h("option", { value: n }, `${label(n)}${/_100g$/.test(n) ? " (g per 100 g)" : ""}`));
    }
    if (state.numericFields.includes(RANGE_DEFAULT)) el.rangeField.value = RANGE_DEFAULT;
    document.getElementById("range").hidden = state.numericFields.length === 0;
    el.rangeHint.textContent = "Inclusive; leave one side empty for an open range.";
  }

  function bind() {
    el.q.addEventListener("input", () => scheduleSearch(TYPE_DEBOUNCE_MS));
    el.q.addEventListener("keydown", (e) => {
      if (e.key === "Enter") search();
    });
    el.typos.addEventListener("change", search);
    el.sort.addEventListener("change", search);
    for (const input of [el.rangeMin, el.rangeMax]) {
      input.addEventListener("input", () => scheduleSearch(RANGE_DEBOUNCE_MS));
    }
    el.rangeField.addEventListener("change", () => {
      if (el.rangeMin.value || el.rangeMax.value) search();
    });
    el.suggestionLink.addEventListener("click", (e) => {
      e.preventDefault();
      el.q.value = el.suggestionLink.textContent;
      search();
      el.q.focus();
    });
    el.more.addEventListener("click", more);
    el.clear.addEventListener("click", () => {
      state.selected.clear();
      el.rangeMin.value = "";
      el.rangeMax.value = "";
      search();
    });
  }

  async function start() {
    bind();
    const initial = new URL(window.location.href).searchParams.get("q");
    if (initial) el.q.value = initial;
    try {
      const [schema, health] = await Promise.all([api("schema"), api("healthz").catch(() => null)]);
      setupFields(schema);
      if (health && typeof health.num_docs === "number") {
        el.info.textContent = `${health.num_docs.toLocaleString("en")} documents in the index`;
        el.q.placeholder = `Search ${health.num_docs.toLocaleString("en")} products, e.g. choc, peanut butter, organic tea`;
      }
    } catch (err) {
      showError(err);
    }
    document.body.dataset.ready = "true";
    await search();
  }

  debug.markup = markup;
  start();
})();
