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
  // Each card holds up to eight charts and a diagram: past this many model versions the page
  // would stop being useful.
  const MAX_CARDS = 40;
  const CHART_HEIGHT = 170;
  const LOOK_AHEAD_MS = 2 * 24 * 3600 * 1000;

  /**
   * The time charts of a card; reference charts exist only for a model version with a reference.
   * range "nonNegative" keeps zero at the bottom (nats, never negative), "signed" keeps zero in the
   * middle ground; guides are horizontal reference lines.
   */
  const CHARTS = [
    {
      id: "logLoss",
      title: "Log loss ℓ = H(q) + excess",
      note: "mean per labelled event; grey: H(q), red: excess > 0",
      reference: false,
      range: "nonNegative",
      series: [
        {
          label: "H(q)",
          // H(q) over the labelled events, as ℓ and the excess are: the prediction side's
          // predictionEntropyMean also counts predictions whose label has not come yet.
          value: (w) =>
            w.logLossMean == null || w.excessLogLossMean == null
              ? null
              : w.logLossMean - w.excessLogLossMean,
          color: "#9aa5b1",
          area: true,
          dash: [4, 3],
        },
        { label: "log loss ℓ", field: "logLossMean", color: "#2563eb" },
      ],
      // Red where the model does worse than it expects: the excess of an overconfident model.
      bands: [{ series: [2, 1], fill: "rgba(220, 38, 38, 0.20)" }],
    },
    {
      id: "excess",
      title: "Excess log loss ℓ − H(q)",
      note: "mean per labelled event; ≈ 0 when calibrated, > 0 overconfident",
      reference: false,
      range: "signed",
      guides: [{ value: 0 }],
      series: [{ label: "ℓ − H(q)", field: "excessLogLossMean", color: "#dc2626" }],
    },
    {
      id: "calibrationZ",
      title: "Calibration z = Σ(ℓ − H(q)) / √ΣV(q)",
      note: "≈ N(0, 1) when calibrated; dashed: ±2 and ±3",
      reference: false,
      range: "signed",
      guides: [{ value: 0 }, { value: 2 }, { value: -2 }, { value: 3 }, { value: -3 }],
      minSpan: 3.5,
      series: [{ label: "z", field: "calibrationZ", color: "#b45309" }],
    },
    {
      id: "kl",
      title: "KL divergence D(p‖q)",
      note: "mean per prediction, p the reference",
      reference: true,
      range: "nonNegative",
      series: [{ label: "D(p‖q)", field: "klDivergenceMean", color: "#7c3aed" }],
    },
    {
      id: "crossEntropy",
      title: "Cross entropy H(p,q) = D(p‖q) + H(p)",
      note: "grey: H(p), violet band: D(p‖q), line: H(p,q)",
      reference: true,
      range: "nonNegative",
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
      range: "nonNegative",
      series: [{ label: "label drift", field: "labelDrift", color: "#d97706" }],
    },
    {
      id: "predictionDrift",
      title: "Prediction drift D(p‖q̄)",
      note: "reference vs the window's mean prediction",
      reference: true,
      range: "nonNegative",
      series: [{ label: "prediction drift", field: "predictionDrift", color: "#0d9488" }],
    },
  ];

  /** The reliability diagram comes after this chart, ending the row of calibration charts. */
  const RELIABILITY_AFTER = "calibrationZ";
  const SVG_NS = "http://www.w3.org/2000/svg";

  const state = {
    series: new Map(), // "model\u0000version" -> {model, version, summary, windows, fetched, card}
    order: [], // keys in the API's order: by model, then version
    total: 0,
    size: readHashSize(),
    refreshes: 0,
    // "model\u0000version" -> the drift detector's status, as GET /api/v1/alarms last answered;
    // kept through answers that are errors, as the windows are.
    alarms: new Map(),
    // "model\u0000version" -> this instance's label join figures, from /metrics.
    labelJoin: new Map(),
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

  /**
   * Reads the detectors' states. An error (not ready yet, a peer unreachable) keeps the states last
   * received rather than failing the refresh: the windows may still be current.
   */
  async function loadAlarms() {
    let alarms;
    try {
      alarms = await getJson("api/v1/alarms");
    } catch (e) {
      document.body.dataset.alarms = "stale";
      return;
    }
    if (!Array.isArray(alarms)) {
      document.body.dataset.alarms = "stale";
      return;
    }
    state.alarms = new Map(alarms.map((a) => [a.model + "\u0000" + a.version, a]));
    document.body.dataset.alarms = "current";
  }

  /**
   * Reads the label join's figures of this instance from its /metrics: per (model, version), the
   * predictions waiting for their label and the label delay histogram. Only this instance's
   * joining tasks: with several instances each shows its share. A failure keeps what was read.
   */
  async function loadLabelJoin() {
    let text;
    try {
      const response = await fetch("metrics", { cache: "no-store" });
      if (!response.ok) {
        return;
      }
      text = await response.text();
    } catch (e) {
      return;
    }
    state.labelJoin = parseLabelJoin(text);
  }

  /** Per "model\0version": {awaiting, buckets: [[le, cumulative count]]}, from Prometheus text. */
  function parseLabelJoin(text) {
    const figures = new Map();
    const line = /^(modelmon_predictions_awaiting_label|modelmon_label_delay_seconds_bucket)\{([^}]*)\} (\S+)/;
    const labelPair = /(\w+)="((?:[^"\\]|\\.)*)"/g;
    for (const row of text.split("\n")) {
      const match = line.exec(row);
      if (!match) {
        continue;
      }
      const labels = {};
      for (const pair of match[2].matchAll(labelPair)) {
        labels[pair[1]] = pair[2].replace(/\\(.)/g, (all, c) => (c === "n" ? "\n" : c));
      }
      const key = labels.model + "\u0000" + labels.version;
      const entry = figures.get(key) || { awaiting: null, buckets: [] };
      if (match[1] === "modelmon_predictions_awaiting_label") {
        entry.awaiting = Number(match[3]);
      } else {
        entry.buckets.push([labels.le === "+Inf" ? Infinity : Number(labels.le), Number(match[3])]);
      }
      figures.set(key, entry);
    }
    return figures;
  }

  /**
   * The q-quantile of a cumulative histogram, interpolated linearly within its bucket as
   * Prometheus' histogram_quantile does; null without observations.
   */
  function histogramQuantile(q, buckets) {
    const sorted = buckets.slice().sort((a, b) => a[0] - b[0]);
    if (sorted.length === 0 || sorted[sorted.length - 1][1] === 0) {
      return null;
    }
    const rank = q * sorted[sorted.length - 1][1];
    let lower = 0;
    let below = 0;
    for (const [le, count] of sorted) {
      if (count >= rank) {
        if (le === Infinity) {
          return lower;
        }
        return lower + ((le - lower) * (rank - below)) / Math.max(count - below, 1e-300);
      }
      lower = le;
      below = count;
    }
    return lower;
  }

  function formatDelay(seconds) {
    if (seconds === null) {
      return "—";
    }
    if (seconds < 60) {
      return seconds.toFixed(1) + " s";
    }
    if (seconds < 3600) {
      return (seconds / 60).toFixed(1) + " min";
    }
    if (seconds < 86400) {
      return (seconds / 3600).toFixed(1) + " h";
    }
    return (seconds / 86400).toFixed(1) + " d";
  }

  /** The card's words on labels that come later, or "" for a model whose labels come inline. */
  function labelJoinText(series) {
    const figures = state.labelJoin.get(series.model + "\u0000" + series.version);
    if (!figures) {
      return "";
    }
    const parts = [];
    if (figures.awaiting !== null) {
      parts.push(figures.awaiting.toLocaleString("en-US") + " waiting for their label");
    }
    const p50 = histogramQuantile(0.5, figures.buckets);
    if (p50 !== null) {
      parts.push(
        "label delay p50 " +
          formatDelay(p50) +
          ", p90 " +
          formatDelay(histogramQuantile(0.9, figures.buckets))
      );
    }
    return parts.length === 0 ? "" : " · " + parts.join(" · ") + " (this instance)";
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
          shownSeries()
            .map((series) => loadWindows(series, full || !series.fetched))
            .concat([loadAlarms(), loadLabelJoin()])
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
    renderAlarmBanner();
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

  /** The table's columns: heading and, where the heading alone is terse, a tooltip. */
  const TABLE_COLUMNS = [
    ["window", ""],
    ["start (UTC)", ""],
    ["predictions", ""],
    [
      "labelled",
      "labelled events (the outcome side), and the label coverage: their share of the window's " +
        "predictions. A label that comes later counts in the window of its outcome time",
    ],
    ["log loss", "mean −ln q(y) per labelled event"],
    ["accuracy", "share of labelled events whose top class is the label"],
    ["Brier", "mean Σ_c (q(c) − [c = y])² per labelled event"],
    ["KL D(p‖q)", "mean per prediction, p the reference"],
    ["label drift", "D(p‖p̂), p̂ the window's observed labels"],
    ["prediction drift", "D(p‖q̄), q̄ the window's mean prediction"],
    ["H(p)", "entropy of the reference"],
  ];

  /** The labelled events of window w, with their share of its predictions (label coverage). */
  function labelledText(w) {
    const labelled = Number(w.labelled).toLocaleString("en-US");
    return w.predictions > 0
      ? labelled + " (" + Math.round((100 * w.labelled) / w.predictions) + "%)"
      : labelled;
  }

  function createCard(series) {
    const summary = el("span", { className: "summary muted" });
    const detector = el("span", { className: "detector" });
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
          ...TABLE_COLUMNS.map(([heading, title]) =>
            el("th", title ? { title: title, scope: "col" } : { scope: "col" }, heading)
          )
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
        detector,
        summary
      ),
      table,
      body
    );
    root.dataset.model = series.model;
    root.dataset.version = series.version;
    return {
      root,
      summary,
      detector,
      tbody,
      body,
      charts: [],
      layout: null,
      // Where the time charts shade the change from: the change start while in ALARM, else null.
      alarmFromMillis: null,
    };
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
    updateDetector(card, state.alarms.get(series.model + "\u0000" + series.version));
    card.summary.textContent =
      Number(item.predictions).toLocaleString("en-US") +
      " predictions · last event " +
      formatTime(item.lastEventTime) +
      labelJoinText(series);

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
        el("td", {}, labelledText(w)),
        el("td", {}, fmt(w.logLossMean)),
        el("td", {}, fmt(w.accuracy)),
        el("td", {}, fmt(w.brierScoreMean)),
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
      const row = el("tr", {}, el("td", { colSpan: TABLE_COLUMNS.length }, "No final window yet."));
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
    if (card.reliability) {
      updateReliability(card.reliability, series, windows);
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
    card.reliability = null;
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
      const plot = makePlot(def, target, chartData(def, windows), card);
      if (plot) {
        card.charts.push({ def, target, plot });
      }
      if (def.id === RELIABILITY_AFTER) {
        card.reliability = createReliability();
        grid.appendChild(card.reliability.panel);
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

  // --- the drift detector ---

  /**
   * The banner of the model versions in ALARM: which, since when the change is estimated to have
   * started, and the statistic against its threshold. Hidden while none is.
   */
  function renderAlarmBanner() {
    const banner = document.getElementById("alarms");
    const inAlarm = [...state.alarms.values()].filter((a) => a.state === "ALARM");
    banner.hidden = inAlarm.length === 0;
    banner.replaceChildren(
      ...inAlarm.map((a) => {
        const line = el(
          "p",
          { className: "alarm-line" },
          el("strong", {}, "ALARM"),
          " " + displayName(a.model, a.version) + ": log loss above what the model expects",
          a.changeStartMillis == null ? "" : ", change from " + formatMillis(a.changeStartMillis),
          " (" + versus(a) + ", " + a.window + " windows)"
        );
        line.dataset.model = a.model;
        line.dataset.version = a.version;
        return line;
      })
    );
  }

  /** The card's detector badge and ALARM highlight, and where its charts shade the change. */
  function updateDetector(card, alarm) {
    const badge = card.detector;
    let text;
    let title;
    if (!alarm) {
      text = "detector: no window yet";
      title = "The drift detector has not seen a final window of this model version yet.";
    } else if (alarm.state === "WARMUP") {
      // The warm-up's length (modelmon.detector.warmup) is not in the API: the count only.
      const learnt = alarm.warmupWindows == null ? 0 : alarm.warmupWindows;
      text = "warming up · " + learnt + (learnt === 1 ? " window" : " windows") + " learnt";
      title =
        "The drift detector is learning this model version's usual excess log loss from its " +
        "first " + alarm.window + " windows; it watches once the warm-up is over.";
    } else if (alarm.state === "ALARM") {
      const from = alarm.changeStartMillis;
      text = "ALARM · " + versus(alarm) + (from == null ? "" : " · from " + formatMillis(from));
      title =
        "The log loss is above what the model expects of itself: the drift detector's CUSUM " +
        "statistic S reached its threshold h. The alarm holds until S is back at 0.";
    } else {
      text = "watching · S " + stat(alarm.statistic) + " / h " + stat(alarm.threshold);
      title =
        "The drift detector's CUSUM statistic S over " + alarm.window + " windows; ALARM when it " +
        "reaches h." +
        (alarm.baselineExcessLogLoss == null
          ? ""
          : " Baseline excess log loss " + fmt(alarm.baselineExcessLogLoss) + " nats.");
    }
    badge.textContent = text;
    badge.title = title;
    badge.dataset.state = alarm ? alarm.state : "NONE";
    const inAlarm = Boolean(alarm) && alarm.state === "ALARM";
    card.root.classList.toggle("alarm", inAlarm);
    card.alarmFromMillis =
      inAlarm && Number.isFinite(alarm.changeStartMillis) ? alarm.changeStartMillis : null;
  }

  /**
   * Shades a time chart from the change start to its right edge, with a line at the start: drawn
   * under the guides and series. The chart's element records the start it shaded, for whoever
   * reads the DOM (a test).
   */
  function drawAlarm(u, target, fromMillis) {
    const xs = u.data[0];
    if (fromMillis === null || xs.length === 0 || fromMillis / 1000 > u.scales.x.max) {
      delete target.dataset.alarmFrom;
      return;
    }
    const left = u.bbox.left;
    const right = u.bbox.left + u.bbox.width;
    const x = Math.max(left, Math.round(u.valToPos(fromMillis / 1000, "x", true)));
    const ctx = u.ctx;
    ctx.save();
    ctx.fillStyle = "rgba(220, 38, 38, 0.08)";
    ctx.fillRect(x, u.bbox.top, right - x, u.bbox.height);
    if (x > left) {
      ctx.strokeStyle = "#dc2626";
      ctx.lineWidth = 1.5;
      ctx.setLineDash([6, 3]);
      ctx.beginPath();
      ctx.moveTo(x + 0.5, u.bbox.top);
      ctx.lineTo(x + 0.5, u.bbox.top + u.bbox.height);
      ctx.stroke();
    }
    ctx.restore();
    target.dataset.alarmFrom = String(fromMillis);
  }

  // --- the reliability diagram ---

  /** The diagram's size in CSS pixels; the margins leave a square for the unit square. */
  const DIAGRAM = { width: 230, height: 222, left: 44, right: 12, top: 10, bottom: 38 };

  function createReliability() {
    const target = el("div", { className: "chart reliability-plot" });
    target.dataset.chart = "reliability";
    const side = el("div", { className: "reliability-side" });
    const panel = el(
      "div",
      { className: "panel reliability" },
      el("h3", {}, "Reliability diagram"),
      el(
        "p",
        { className: "note" },
        "accuracy vs mean confidence per bin, the windows shown pooled"
      ),
      el("div", { className: "reliability-body" }, target, side)
    );
    return { panel, target, side };
  }

  /**
   * Sums the calibration bins of the windows: sums are additive, so the pooled bins are those of
   * all their labelled events. Windows with another number of bins than the latest (written before
   * modelmon.calibration.bins changed) cannot be re-binned and are left out.
   */
  function pooledBins(windows) {
    const withBins = windows.filter(
      (w) => Array.isArray(w.calibrationBins) && w.calibrationBins.length > 0
    );
    if (withBins.length === 0) {
      return null;
    }
    const size = withBins[withBins.length - 1].calibrationBins.length;
    const bins = withBins[withBins.length - 1].calibrationBins.map((b) => ({
      upper: b.upper,
      labelled: 0,
      confidenceSum: 0,
      correct: 0,
    }));
    let pooled = 0;
    for (const w of withBins) {
      if (w.calibrationBins.length !== size) {
        continue;
      }
      pooled++;
      w.calibrationBins.forEach((b, i) => {
        bins[i].labelled += b.labelled;
        bins[i].confidenceSum += b.confidenceSum;
        bins[i].correct += b.correct;
      });
    }
    return { size, bins, pooled, skipped: windows.length - pooled };
  }

  function updateReliability(box, series, windows) {
    const pooled = pooledBins(windows);
    const points = [];
    let labelled = 0;
    let gaps = 0;
    if (pooled) {
      for (const b of pooled.bins) {
        if (b.labelled > 0) {
          labelled += b.labelled;
          gaps += Math.abs(b.correct - b.confidenceSum);
          points.push({
            lower: b.upper - 1 / pooled.size,
            upper: b.upper,
            count: b.labelled,
            confidence: b.confidenceSum / b.labelled,
            accuracy: b.correct / b.labelled,
          });
        }
      }
    }
    box.target.dataset.points = String(points.length);
    box.target.dataset.windows = String(pooled ? pooled.pooled : 0);
    if (points.length === 0) {
      box.target.replaceChildren(
        el("p", { className: "muted" }, "No labelled events with calibration bins yet.")
      );
    } else {
      box.target.replaceChildren(diagram(series, points));
    }

    const latest = [...windows].reverse().find((w) => w.calibrationError != null);
    const ece = el("p", { className: "ece-latest" }, fmt(latest ? latest.calibrationError : null));
    const side = [
      el("p", { className: "muted" }, "ECE, latest window"),
      ece,
      el("p", { className: "muted" }, latest ? formatTime(latest.start) : "no labelled window"),
    ];
    if (labelled > 0) {
      side.push(
        el("p", { className: "muted" }, "ECE of the diagram"),
        el("p", { className: "ece-pooled" }, fmt(gaps / labelled)),
        el(
          "p",
          { className: "muted" },
          labelled.toLocaleString("en-US") +
            " labelled events in " +
            pooled.pooled +
            " windows, " +
            pooled.size +
            " bins"
        ),
        el("p", { className: "muted" }, "dot area ∝ events; red: the gap to the diagonal")
      );
    }
    if (pooled && pooled.skipped > 0) {
      side.push(
        el(
          "p",
          { className: "muted" },
          pooled.skipped + " windows without these " + pooled.size + " bins left out"
        )
      );
    }
    box.side.replaceChildren(...side);
  }

  /** The SVG: the unit square, its diagonal, and a dot per non-empty bin with its gap. */
  function diagram(series, points) {
    const d = DIAGRAM;
    const w = d.width - d.left - d.right;
    const h = d.height - d.top - d.bottom;
    const px = (v) => d.left + v * w;
    const py = (v) => d.top + (1 - v) * h;
    const description =
      "Reliability diagram of " +
      series.model +
      (series.version === "" ? "" : " " + series.version) +
      ": " +
      points
        .map(
          (p) =>
            "confidence " + fmt(p.confidence) + ", accuracy " + fmt(p.accuracy) + ", " +
            p.count + " events"
        )
        .join("; ");
    const root = svg("svg", {
      width: d.width,
      height: d.height,
      viewBox: "0 0 " + d.width + " " + d.height,
      role: "img",
      "aria-label": description,
    });
    root.append(svg("title", {}, description));
    for (let i = 0; i <= 5; i++) {
      const v = i / 5;
      const label = v.toFixed(1);
      root.append(
        svg("line", { class: "grid", x1: px(v), x2: px(v), y1: py(0), y2: py(1) }),
        svg("line", { class: "grid", x1: px(0), x2: px(1), y1: py(v), y2: py(v) }),
        svg("text", { class: "tick", x: px(v), y: py(0) + 14, "text-anchor": "middle" }, label),
        svg("text", { class: "tick", x: px(0) - 5, y: py(v) + 4, "text-anchor": "end" }, label)
      );
    }
    root.append(
      svg("rect", { class: "frame", x: px(0), y: py(1), width: w, height: h }),
      svg("line", { class: "diagonal", x1: px(0), y1: py(0), x2: px(1), y2: py(1) }),
      svg(
        "text",
        { class: "axis-label", x: px(0.5), y: d.height - 6, "text-anchor": "middle" },
        "mean confidence"
      ),
      svg(
        "text",
        {
          class: "axis-label",
          x: 0,
          y: 0,
          "text-anchor": "middle",
          transform: "translate(11 " + py(0.5) + ") rotate(-90)",
        },
        "accuracy"
      )
    );
    const most = Math.max(...points.map((p) => p.count));
    for (const p of points) {
      root.append(
        svg("line", {
          class: "gap",
          x1: px(p.confidence),
          x2: px(p.confidence),
          y1: py(p.confidence),
          y2: py(p.accuracy),
        })
      );
    }
    for (const p of points) {
      const dot = svg(
        "circle",
        {
          class: "bin",
          cx: px(p.confidence),
          cy: py(p.accuracy),
          // Area in proportion to the bin's events, so a bin of few events catches no eye.
          r: (2 + 7 * Math.sqrt(p.count / most)).toFixed(2),
          // Unrounded, for whoever reads the page's DOM (a test, a script).
          "data-upper": String(p.upper),
          "data-count": String(p.count),
          "data-confidence": String(p.confidence),
          "data-accuracy": String(p.accuracy),
        },
        svg(
          "title",
          {},
          "confidence [" + p.lower.toFixed(2) + ", " + p.upper.toFixed(2) +
            (p.upper >= 1 ? "]" : ")") + ": " + p.count.toLocaleString("en-US") +
            " events, mean confidence " + fmt(p.confidence) + ", accuracy " + fmt(p.accuracy)
        )
      );
      root.append(dot);
    }
    return root;
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
      data.push(
        windows.map((w) => (s.value ? s.value(w) : w[s.field] == null ? null : w[s.field]))
      );
    }
    return data;
  }

  function makePlot(def, target, data, card) {
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
      scales: { y: { range: yRange(def) } },
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
        // After the grid, before the series: the guides stay under the lines.
        drawAxes: [
          (u) => {
            drawAlarm(u, target, card.alarmFromMillis);
            drawGuides(u, def.guides || []);
          },
        ],
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

  /** The y range of a chart, zero always in sight. */
  function yRange(def) {
    if (def.range === "signed") {
      // Zero and the guides in sight, with room for the data on either side of zero.
      const span = def.minSpan || 0;
      return (u, min, max) => {
        const low = Math.min(-span, min == null ? 0 : min * 1.15);
        const high = Math.max(span, max == null ? 0 : max * 1.15);
        return low === high ? [-1, 1] : [low, high];
      };
    }
    // A non-negative number of nats: zero at the bottom.
    return (u, min, max) => [0, max > 0 ? max * 1.15 : 1];
  }

  /** Horizontal reference lines: solid at zero, dashed elsewhere, under the series. */
  function drawGuides(u, guides) {
    const ctx = u.ctx;
    const scale = u.scales.y;
    ctx.save();
    ctx.lineWidth = 1;
    ctx.strokeStyle = "#7b8794";
    for (const guide of guides) {
      if (guide.value < scale.min || guide.value > scale.max) {
        continue;
      }
      const y = Math.round(u.valToPos(guide.value, "y", true)) + 0.5;
      ctx.setLineDash(guide.value === 0 ? [] : [5, 4]);
      ctx.beginPath();
      ctx.moveTo(u.bbox.left, y);
      ctx.lineTo(u.bbox.left + u.bbox.width, y);
      ctx.stroke();
    }
    ctx.restore();
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

  /** An SVG element with attributes set and children appended; strings become text nodes. */
  function svg(tag, attributes, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes)) {
      node.setAttribute(name, String(value));
    }
    for (const child of children) {
      node.append(child);
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

  /** Epoch milliseconds as formatTime writes an API time, to the second unless there are millis. */
  function formatMillis(millis) {
    return formatTime(new Date(millis).toISOString().replace(".000Z", "Z")) + " UTC";
  }

  /**
   * S against h: "≥" when S is at h; in ALARM S may have fallen below h since, as the alarm holds
   * until S is back at 0.
   */
  function versus(alarm) {
    return (
      "S " + stat(alarm.statistic) + (alarm.statistic >= alarm.threshold ? " ≥ " : " < ") + "h " +
      stat(alarm.threshold)
    );
  }

  /** A detector statistic or threshold: two decimals. */
  function stat(v) {
    return Number.isFinite(v) ? v.toFixed(2) : "—";
  }

  function displayName(model, version) {
    return version === "" ? model : model + " " + version;
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
