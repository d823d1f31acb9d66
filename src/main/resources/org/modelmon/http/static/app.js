// The modelmon status page: polls the JSON API of the server that served it and draws each model
// version's window history with uPlot. Data reaches the DOM only as text nodes and attribute
// values, never as markup, so a model or class name can never become HTML.
(function () {
  "use strict";

  const REFRESH_MS = 5000;
  // Between full fetches only windows newer than those seen are asked for; a full fetch once a
  // minute picks up window sizes that turned final since (an hour window after an hour) and drops
  // windows that left the API's default range of 24 hours.
  const FULL_FETCH_EVERY = 12;
  // Each card holds five charts: past this many model versions the page would stop being useful.
  const MAX_CARDS = 40;
  const CHART_HEIGHT = 170;
  const LOOK_AHEAD_MS = 2 * 24 * 3600 * 1000;

  /** The charts of a card; reference charts exist only for a model version with a reference. */
  const CHARTS = [
    {
      id: "logLoss",
      title: "Log loss −ln q(y)",
      note: "mean per prediction",
      reference: false,
      series: [{ label: "log loss", field: "logLossMean", color: "#2563eb" }],
    },
    {
      id: "kl",
      title: "KL divergence D(p‖q)",
      note: "mean per prediction, p the reference",
      reference: true,
      series: [{ label: "D(p‖q)", field: "klDivergenceMean", color: "#7c3aed" }],
    },
    {
      id: "crossEntropy",
      title: "Cross entropy H(p,q) = D(p‖q) + H(p)",
      note: "grey: H(p), violet band: D(p‖q), line: H(p,q)",
      reference: true,
      series: [
        { label: "H(p)", field: "referenceEntropy", color: "#9aa5b1", area: true, dash: [4, 3] },
        { label: "H(p,q)", field: "referenceCrossEntropyMean", color: "#7c3aed" },
      ],
      bands: [{ series: [2, 1], fill: "rgba(124, 58, 237, 0.22)" }],
    },
    {
      id: "labelDrift",
      title: "Label drift D(p‖p̂)",
      note: "reference vs the window's observed labels",
      reference: true,
      series: [{ label: "label drift", field: "labelDrift", color: "#d97706" }],
    },
    {
      id: "predictionDrift",
      title: "Prediction drift D(p‖q̄)",
      note: "reference vs the window's mean prediction",
      reference: true,
      series: [{ label: "prediction drift", field: "predictionDrift", color: "#0d9488" }],
    },
  ];

  const state = {
    series: new Map(), // "model\u0000version" -> {model, version, summary, windows, fetched, card}
    order: [], // keys in the API's order: by model, then version
    total: 0,
    size: readHashSize(),
    refreshes: 0,
  };

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // --- fetching ---

  async function getJson(path) {
    let response;
    try {
      response = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
    } catch (e) {
      throw new ApiError(0, "modelmon is not reachable");
    }
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (!response.ok) {
      const message =
        body && typeof body.error === "string" ? body.error : "HTTP " + response.status;
      throw new ApiError(response.status, message);
    }
    return body;
  }

  function windowsPath(series, full) {
    let path =
      "api/v1/models/" +
      encodeURIComponent(series.model) +
      "/windows?version=" +
      encodeURIComponent(series.version);
    const from = full ? null : nextStart(series);
    if (from !== null) {
      // An explicit end too: a producer's clock ahead of the server's can make a final window
      // start after the server's now, the default end, and from after to is an error.
      path += "&from=" + from + "&to=" + (from + LOOK_AHEAD_MS);
    }
    return path;
  }

  /** The earliest start a window not yet seen can have: after the last one of every size. */
  function nextStart(series) {
    let from = null;
    for (const bySize of series.windows.values()) {
      const last = Math.max(...bySize.keys());
      from = from === null ? last + 1 : Math.min(from, last + 1);
    }
    return from;
  }

  async function loadWindows(series, full) {
    let windows;
    try {
      windows = await getJson(windowsPath(series, full));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        return; // gone since the model list was read; the next refresh drops its card
      }
      throw e;
    }
    const bySize = full ? new Map() : series.windows;
    for (const w of windows) {
      // An empty version parameter means "any version", so other versions may come back too.
      if (w.version !== series.version) {
        continue;
      }
      if (!bySize.has(w.window)) {
        bySize.set(w.window, new Map());
      }
      bySize.get(w.window).set(w.startMillis, w);
    }
    series.windows = bySize;
    series.fetched = true;
  }

  function syncModels(models) {
    const seen = new Set();
    state.order = [];
    for (const item of models) {
      const key = item.model + "\u0000" + item.version;
      seen.add(key);
      state.order.push(key);
      let series = state.series.get(key);
      if (!series) {
        series = {
          model: item.model,
          version: item.version,
          windows: new Map(),
          fetched: false,
          card: null,
        };
        state.series.set(key, series);
      }
      series.summary = item;
    }
    for (const [key, series] of state.series) {
      if (!seen.has(key)) {
        destroyCard(series);
        state.series.delete(key);
      }
    }
    state.total = models.length;
  }

  async function refresh() {
    try {
      // A hidden tab skips its turn: nobody looks, and the server is spared the queries.
      if (!document.hidden) {
        const models = await getJson("api/v1/models");
        syncModels(models);
        const full = state.refreshes % FULL_FETCH_EVERY === 0;
        await Promise.all(
          shownSeries().map((series) => loadWindows(series, full || !series.fetched))
        );
        render();
        setBanner(null);
        document.body.dataset.state = models.length === 0 ? "empty" : "ready";
        document.getElementById("updated").textContent =
          "updated " + new Date().toISOString().slice(11, 19) + " UTC";
      }
    } catch (e) {
      const notReady = e instanceof ApiError && e.status === 503;
      const message = e instanceof ApiError ? e.message : String(e);
      setBanner(
        (notReady ? "modelmon is not ready yet: " : "Could not load the data: ") +
          message +
          (state.order.length > 0 ? ". Showing the data last received; " : ". ") +
          "retrying every " +
          REFRESH_MS / 1000 +
          " s.",
        !notReady
      );
      document.body.dataset.state = notReady ? "not-ready" : "error";
      if (state.order.length === 0) {
        showEmpty(notReady ? "Waiting for modelmon to become ready…" : "No data to show.");
      }
    } finally {
      state.refreshes++;
      document.body.dataset.refreshes = String(state.refreshes);
      setTimeout(refresh, REFRESH_MS);
    }
  }

  function shownSeries() {
    return state.order.slice(0, MAX_CARDS).map((key) => state.series.get(key));
  }

  // --- rendering ---

  function render() {
    const shown = shownSeries();
    const sizes = windowSizes(shown);
    updateSizeSelector(sizes);
    if (state.total === 0) {
      showEmpty(
        "No predictions scored yet. A card appears here for each model version once modelmon " +
          "has scored its events, and its charts once its first window is final."
      );
      return;
    }
    const main = document.getElementById("models");
    for (const node of main.querySelectorAll(":scope > .empty")) {
      node.remove();
    }
    for (const series of shown) {
      if (!series.card) {
        series.card = createCard(series);
      }
      main.appendChild(series.card.root); // appending again keeps the API's order
      updateCard(series, sizes);
    }
    let more = main.querySelector(":scope > .more");
    if (state.total > shown.length) {
      if (!more) {
        more = el("p", { className: "more muted" });
      }
      more.textContent =
        "Showing the first " + shown.length + " of " + state.total + " model versions.";
      main.appendChild(more);
    } else if (more) {
      more.remove();
    }
  }

  /** The window sizes present in the data, shortest first. */
  function windowSizes(shown) {
    const lengths = new Map();
    for (const series of shown) {
      for (const [size, bySize] of series.windows) {
        const any = bySize.values().next().value;
        if (any) {
          lengths.set(size, any.endMillis - any.startMillis);
        }
      }
    }
    return [...lengths.entries()].sort((a, b) => a[1] - b[1]).map((entry) => entry[0]);
  }

  function updateSizeSelector(sizes) {
    const select = document.getElementById("window-size");
    if (!sizes.includes(state.size)) {
      state.size = sizes.length > 0 ? sizes[0] : null;
    }
    const current = [...select.options].map((option) => option.value);
    if (current.join("\u0000") !== sizes.join("\u0000")) {
      select.replaceChildren(...sizes.map((size) => el("option", { value: size }, size)));
    }
    select.disabled = sizes.length === 0;
    if (state.size !== null) {
      select.value = state.size;
    }
  }

  function showEmpty(message) {
    const main = document.getElementById("models");
    for (const series of state.series.values()) {
      destroyCard(series);
    }
    main.replaceChildren(el("p", { className: "empty" }, message));
  }

  function setBanner(message, isError) {
    const banner = document.getElementById("banner");
    banner.hidden = message === null;
    banner.textContent = message === null ? "" : message;
    banner.classList.toggle("error", Boolean(isError));
  }

  function createCard(series) {
    const summary = el("span", { className: "summary muted" });
    const tbody = el("tbody");
    const table = el(
      "table",
      { className: "latest" },
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          ...[
            "window",
            "start (UTC)",
            "predictions",
            "log loss",
            "KL D(p‖q)",
            "label drift",
            "prediction drift",
            "H(p)",
          ].map((heading) => el("th", {}, heading))
        )
      ),
      tbody
    );
    const body = el("div", { className: "card-body" });
    const root = el(
      "section",
      { className: "model" },
      el(
        "div",
        { className: "model-head" },
        el("h2", {}, series.model),
        el("span", { className: "version" }, series.version === "" ? "no version" : series.version),
        summary
      ),
      table,
      body
    );
    root.dataset.model = series.model;
    root.dataset.version = series.version;
    return { root, summary, tbody, body, charts: [], layout: null };
  }

  function destroyCard(series) {
    if (series.card) {
      for (const chart of series.card.charts) {
        chart.plot.destroy();
      }
      series.card.root.remove();
      series.card = null;
    }
  }

  function updateCard(series, sizes) {
    const card = series.card;
    const item = series.summary;
    card.summary.textContent =
      Number(item.predictions).toLocaleString("en-US") +
      " predictions · last event " +
      formatTime(item.lastEventTime);

    const rows = [];
    for (const size of sizes) {
      const windows = sortedWindows(series, size);
      if (windows.length === 0) {
        continue;
      }
      const w = windows[windows.length - 1];
      const row = el(
        "tr",
        { className: size === state.size ? "selected" : "" },
        el("td", {}, w.window),
        el("td", {}, formatTime(w.start)),
        el("td", {}, Number(w.predictions).toLocaleString("en-US")),
        el("td", {}, fmt(w.logLossMean)),
        el("td", {}, fmt(w.klDivergenceMean)),
        el("td", {}, fmt(w.labelDrift)),
        el("td", {}, fmt(w.predictionDrift)),
        el("td", {}, fmt(w.referenceEntropy))
      );
      row.dataset.model = series.model;
      row.dataset.version = series.version;
      row.dataset.window = w.window;
      rows.push(row);
    }
    if (rows.length === 0) {
      const row = el("tr", {}, el("td", { colSpan: 8 }, "No final window yet."));
      row.dataset.model = series.model;
      row.dataset.version = series.version;
      rows.push(row);
    }
    card.tbody.replaceChildren(...rows);

    const windows = state.size === null ? [] : sortedWindows(series, state.size);
    const hasReference = windows.some((w) => w.klDivergenceMean != null);
    const layout = windows.length === 0 ? "none" : state.size + "|" + hasReference;
    if (layout !== card.layout) {
      buildCharts(card, windows, hasReference);
      card.layout = layout;
    } else {
      for (const chart of card.charts) {
        chart.plot.setData(chartData(chart.def, windows));
      }
    }
    if (card.identity) {
      updateIdentity(card.identity, windows);
    }
  }

  function sortedWindows(series, size) {
    const bySize = series.windows.get(size);
    return bySize ? [...bySize.values()].sort((a, b) => a.startMillis - b.startMillis) : [];
  }

  function buildCharts(card, windows, hasReference) {
    for (const chart of card.charts) {
      chart.plot.destroy();
    }
    card.charts = [];
    card.identity = null;
    if (windows.length === 0) {
      card.body.replaceChildren(
        el("p", { className: "muted" }, "No final " + state.size + " window yet.")
      );
      return;
    }
    const grid = el("div", { className: "charts" });
    card.body.replaceChildren(grid);
    for (const def of CHARTS) {
      if (def.reference && !hasReference) {
        continue;
      }
      const target = el("div", { className: "chart" });
      target.dataset.chart = def.id;
      grid.appendChild(
        el(
          "div",
          { className: "panel" },
          el("h3", {}, def.title),
          el("p", { className: "note" }, def.note),
          target
        )
      );
      const plot = makePlot(def, target, chartData(def, windows));
      if (plot) {
        card.charts.push({ def, target, plot });
      }
    }
    if (hasReference) {
      card.identity = el("div", { className: "identity" });
      grid.appendChild(card.identity);
    } else {
      grid.appendChild(
        el(
          "p",
          { className: "no-reference" },
          "No reference distribution for this model version, so no KL divergence, cross " +
            "entropy or drift. Publish one to the references topic to see them."
        )
      );
    }
  }

  function updateIdentity(box, windows) {
    const latest = [...windows].reverse().find((w) => w.klDivergenceMean != null);
    if (!latest) {
      box.replaceChildren();
      return;
    }
    const sum = latest.klDivergenceMean + latest.referenceEntropy;
    box.replaceChildren(
      el("p", { className: "muted" }, "Latest " + latest.window + " window, " +
        formatTime(latest.start)),
      el("p", { className: "formula" }, "H(p,q) = D(p‖q) + H(p)"),
      el(
        "p",
        { className: "formula" },
        fmt(latest.referenceCrossEntropyMean) +
          " = " +
          fmt(latest.klDivergenceMean) +
          " + " +
          fmt(latest.referenceEntropy)
      ),
      el(
        "p",
        { className: "muted" },
        "difference " + Math.abs(latest.referenceCrossEntropyMean - sum).toExponential(1) + " nats"
      )
    );
  }

  function chartData(def, windows) {
    const data = [windows.map((w) => w.startMillis / 1000)];
    for (const s of def.series) {
      data.push(windows.map((w) => (w[s.field] == null ? null : w[s.field])));
    }
    return data;
  }

  function makePlot(def, target, data) {
    if (typeof uPlot === "undefined") {
      target.textContent = "The charting library did not load.";
      return null;
    }
    const axis = {
      stroke: "#616e7c",
      grid: { stroke: "#eef0f3", width: 1 },
      ticks: { stroke: "#e4e7eb", width: 1 },
    };
    const opts = {
      width: chartWidth(target),
      height: CHART_HEIGHT,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      cursor: { drag: { x: false, y: false } },
      scales: {
        // Every quantity here is a non-negative number of nats: keep zero in sight.
        y: { range: (u, min, max) => [0, max > 0 ? max * 1.15 : 1] },
      },
      axes: [
        Object.assign({}, axis, {
          values: (u, splits, axisIdx, space, incr) => splits.map((ts) => timeTick(ts, incr)),
        }),
        Object.assign({}, axis, {
          size: 54,
          values: (u, splits) => splits.map((v) => (v == null ? "" : String(+v.toPrecision(3)))),
        }),
      ],
      series: [{ label: "start", value: "{HH}:{mm}" }].concat(
        def.series.map((s) => {
          const series = {
            label: s.label,
            stroke: s.color,
            width: s.area ? 1.5 : 2,
            value: (u, v) => fmt(v),
            points: { size: 5 },
          };
          // Only options that apply: uPlot takes an explicit undefined over its own default.
          if (s.dash) {
            series.dash = s.dash;
          }
          if (s.area) {
            series.fill = "rgba(154, 165, 177, 0.25)";
          }
          return series;
        })
      ),
      bands: def.bands || [],
      hooks: {
        draw: [
          (u) => {
            // Set once uPlot has drawn, so that a test (or a person) can tell drawn charts apart.
            target.dataset.points = String(countPoints(u));
            showLatestInLegend(u);
          },
        ],
        setCursor: [showLatestInLegend],
      },
    };
    return new uPlot(opts, data, target);
  }

  /** Away from the cursor the legend shows the latest window's values rather than blanks. */
  function showLatestInLegend(u) {
    const last = u.data[0].length - 1;
    if (u.cursor.idx == null && last >= 0) {
      u.setLegend({ idx: last }, false);
    }
  }

  /** A time axis label in UTC: the date for day steps, seconds only for sub-minute steps. */
  function timeTick(ts, incr) {
    const iso = new Date(ts * 1000).toISOString();
    if (incr >= 86400) {
      return iso.slice(5, 10);
    }
    return incr < 60 ? iso.slice(11, 19) : iso.slice(11, 16);
  }

  function countPoints(u) {
    let count = 0;
    for (let i = 0; i < u.data[0].length; i++) {
      if (u.data.slice(1).some((ys) => ys[i] != null)) {
        count++;
      }
    }
    return count;
  }

  function chartWidth(target) {
    return Math.max(220, Math.floor(target.getBoundingClientRect().width));
  }

  function resizeCharts() {
    for (const series of state.series.values()) {
      if (series.card) {
        for (const chart of series.card.charts) {
          chart.plot.setSize({ width: chartWidth(chart.target), height: CHART_HEIGHT });
        }
      }
    }
  }

  // --- small helpers ---

  /** An element with properties set and children appended; strings become text nodes. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children) {
      node.append(child); // a string is appended as a text node, never parsed
    }
    return node;
  }

  function fmt(v) {
    if (v === null || v === undefined || !Number.isFinite(v)) {
      return "—";
    }
    const magnitude = Math.abs(v);
    return magnitude !== 0 && magnitude < 0.0001 ? v.toExponential(2) : v.toFixed(4);
  }

  function formatTime(iso) {
    return typeof iso === "string" ? iso.replace("T", " ").replace(/Z$/, "") : "—";
  }

  function readHashSize() {
    const match = /^#window=([^&]+)$/.exec(window.location.hash);
    return match ? decodeURIComponent(match[1]) : null;
  }

  // --- start ---

  document.getElementById("window-size").addEventListener("change", (event) => {
    state.size = event.target.value;
    history.replaceState(null, "", "#window=" + encodeURIComponent(state.size));
    render();
  });
  let resizePending = false;
  window.addEventListener("resize", () => {
    if (!resizePending) {
      resizePending = true;
      requestAnimationFrame(() => {
        resizePending = false;
        resizeCharts();
      });
    }
  });
  refresh();
})();
