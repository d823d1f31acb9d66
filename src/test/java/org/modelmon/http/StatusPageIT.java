package org.modelmon.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.within;
import static org.modelmon.topology.TopologyFixture.WALL_CLOCK_START;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.modelmon.TestConfigs;
import org.modelmon.detector.AlarmStatus;
import org.modelmon.detector.DetectorSettings;
import org.modelmon.testing.HeadlessChromium;
import org.modelmon.topology.TopologyFixture;
import org.modelmon.window.WindowResult;

/**
 * The status page of {@code GET /} as a person sees it: the real topology in a {@link
 * org.apache.kafka.streams.TopologyTestDriver}, served by {@link HttpApi}, loaded by headless
 * Chromium, which runs the page's scripts and charting library, then takes a screenshot ({@code
 * target/status-page.png}) and dumps the DOM the scripts built.
 *
 * <p>Two model versions, windows {@code 1m,5m}, grace 10s, 30 minutes of traffic from t0: {@code
 * churn@v3} with the reference p = {stay: 0.7, leave: 0.3}, whose label mix drifts from minute 12
 * and whose predictions turn overconfident from minute 18; {@code team/fraud} without version or
 * reference, which starts missing fraud at minute 20. The drift detector reads the 1m windows,
 * warm-up 10 windows, threshold h = 4, so that the screenshot shows it watching and, after the
 * models change, in ALARM. {@link #shouldBannerTheAlarmsAndShowEveryDetectorState} drives it
 * through every state with windows whose statistic is worked out by hand.
 */
class StatusPageIT {

  private static final List<String> WINDOWS = List.of("1m", "5m");
  private static final int MINUTES = 30;
  private static final int EVENTS_PER_MINUTE = 12;
  // The history ends at the driver's wall clock: events ahead of it would not close windows.
  private static final Instant NOW = WALL_CLOCK_START;
  private static final Instant T0 = NOW.minus(Duration.ofMinutes(MINUTES + 5)); // 1m, 5m aligned
  private static final Path SCREENSHOT = Path.of("target", "status-page.png");

  /** Two refreshes of the page (every 5 s) fit in the budget. */
  private static final Duration VIRTUAL_TIME = Duration.ofSeconds(10);

  private static final String REFERENCE_CHARTS = "kl, crossEntropy, labelDrift, predictionDrift";

  /** The detector of the thirty minutes: 1m windows, warm-up W = 10, k = 0.5, h = 4. */
  private static final DetectorSettings TRAFFIC_DETECTOR =
      new DetectorSettings("1m", 5, 10, 50, 0.5, 4);

  /** The detector of the hand-worked windows: as DriftDetectionTest's, W = 3, k = 0.5, h = 4. */
  private static final DetectorSettings DETECTOR = new DetectorSettings("1m", 5, 3, 1000, 0.5, 4);

  @Test
  void shouldDrawTheHistoryAndLatestWindowsOfEveryModelVersion() throws Exception {
    try (ServedTopology served = serve(true)) {
      final HeadlessChromium chromium = HeadlessChromium.of(1280, 2000, VIRTUAL_TIME);
      Files.createDirectories(SCREENSHOT.getParent());
      Files.deleteIfExists(SCREENSHOT);

      chromium.screenshot(served.uri("/"), SCREENSHOT);
      final String dom = chromium.dumpDom(served.uri("/"));

      final Map<String, String> body = attributes(firstTag(dom, "body"));
      assertThat(body).containsEntry("data-state", "ready");
      assertThat(Integer.parseInt(body.get("data-refreshes")))
          .as("refreshes, the first one full and the later ones only for newer windows")
          .isGreaterThanOrEqualTo(2);
      assertThat(optionsOf(dom, "window-size")).as("sizes in the data").containsExactly("1m", "5m");

      // Every chart drawn (uPlot's draw hook sets data-points) with one point per final 1m window;
      // the reliability diagram with one point per confidence bin that holds events.
      final Card churn = card(dom, "churn", "v3");
      final Map<Integer, Bin> churnBins = BINS.get("churn");
      assertThat(churn.points())
          .containsExactly(
              entry("logLoss", "30"),
              entry("excess", "30"),
              entry("calibrationZ", "30"),
              entry("reliability", String.valueOf(churnBins.size())),
              entry("kl", "30"),
              entry("crossEntropy", "30"),
              entry("labelDrift", "30"),
              entry("predictionDrift", "30"));
      assertThat(churn.canvases()).isGreaterThanOrEqualTo(7);
      final Card team = card(dom, "team/fraud", "");
      assertThat(team.points())
          .as("no " + REFERENCE_CHARTS)
          .containsExactly(
              entry("logLoss", "30"),
              entry("excess", "30"),
              entry("calibrationZ", "30"),
              entry("reliability", String.valueOf(BINS.get("team/fraud").size())));
      assertThat(team.canvases()).isGreaterThanOrEqualTo(3);
      assertThat(team.html()).contains("No reference distribution for this model version");

      // One table row per window size: the latest final window, as the history store holds it.
      for (final Card card : List.of(churn, team)) {
        assertThat(card.rows().keySet()).containsExactly("1m", "5m");
        for (final String window : WINDOWS) {
          assertThat(card.rows().get(window))
              .as(card.model() + " " + window)
              .containsExactlyElementsOf(expectedRow(latest(served, card, window)));
        }
      }
      assertThat(team.rows().get("1m")).endsWith("—", "—", "—", "—");
      // The label join's figures of this instance: two predictions still waiting, and every
      // delay 90 s, in the bucket (60 s, 600 s]: interpolated as histogram_quantile does,
      // p50 = 60 + 540 · 0.5 = 330 s, p90 = 60 + 540 · 0.9 = 546 s.
      assertThat(team.html())
          .contains(
              NEVER_LABELLED
                  + " waiting for their label · label delay p50 5.5 min, p90 9.1 min (this"
                  + " instance)");
      assertThat(churn.html()).doesNotContain("waiting for their label");
      // Accuracy of churn's latest 1m window (minute 29), counted from the events sent.
      assertThat(churn.rows().get("1m").get(5))
          .isEqualTo(js(LAST_MINUTE_CORRECT.get("churn") / (double) EVENTS_PER_MINUTE));

      // The detector's state on each card, as its store holds it; a banner line per ALARM, and
      // the time charts of a card in ALARM shaded from the change start.
      final List<AlarmStatus> statuses = served.queries.alarmsOrThrow();
      assertThat(statuses).hasSize(2);
      for (final AlarmStatus status : statuses) {
        final Card card = card(dom, status.model(), status.version());
        final boolean alarm = status.state().equals("ALARM");
        assertThat(detectorBadge(card))
            .as(card.model())
            .containsEntry("state", status.state())
            .containsEntry("text", badgeText(status));
        assertThat(sectionClasses(card)).as(card.model()).contains(alarm ? "alarm" : "model");
        assertThat(alarmFrom(card))
            .as(card.model())
            .isEqualTo(alarm ? shadedFrom(card, status.changeStartMillis()) : Map.of());
      }
      final List<AlarmStatus> alarms =
          statuses.stream().filter(status -> status.state().equals("ALARM")).toList();
      assertThat(alarmLines(dom))
          .containsExactlyElementsOf(
              alarms.stream().map(status -> status.model() + "@" + status.version()).toList());
      assertThat(text(element(dom, "div", "alarms")))
          .isEqualTo(
              String.join(
                  "",
                  alarms.stream()
                      .map(
                          status ->
                              "ALARM "
                                  + (status.model() + " " + status.version()).strip()
                                  + ": log loss above what the model expects, change from "
                                  + utc(status.changeStartMillis())
                                  + " ("
                                  + versus(status)
                                  + ", 1m windows)")
                      .toList()));

      // The reliability diagrams: every event of the thirty minutes is in a final 1m window, so
      // pooled over the windows shown the bins are those of all the events sent.
      for (final Card card : List.of(churn, team)) {
        assertDiagram(card, BINS.get(card.model()), latest(served, card, "1m"));
      }

      // The identity, with the numbers of churn's latest 1m window.
      final WindowResult last = latest(served, churn, "1m");
      assertThat(churn.html())
          .contains("H(p,q) = D(p‖q) + H(p)")
          .contains(
              js(last.referenceCrossEntropyMean())
                  + " = "
                  + js(last.klDivergenceMean())
                  + " + "
                  + js(last.referenceEntropy()));

      // The window size chosen, kept in the address: six final 5m windows, which hold the same
      // events and so pool to the same diagram.
      final String fiveMinutes = chromium.dumpDom(served.uri("/#window=5m"));
      final Card churnFive = card(fiveMinutes, "churn", "v3");
      assertThat(churnFive.points())
          .containsOnlyKeys(
              "logLoss",
              "excess",
              "calibrationZ",
              "reliability",
              "kl",
              "crossEntropy",
              "labelDrift",
              "predictionDrift")
          .allSatisfy(
              (chart, points) ->
                  assertThat(points)
                      .as(chart)
                      .isEqualTo(chart.equals("reliability") ? "" + churnBins.size() : "6"));
      assertDiagram(churnFive, churnBins, latest(served, churnFive, "5m"));

      // A picture with text and coloured lines on it, not a blank or an error page.
      final BufferedImage image = ImageIO.read(SCREENSHOT.toFile());
      assertThat(image.getWidth()).isEqualTo(1280);
      assertThat(distinctColours(image)).isGreaterThan(200);
    }
  }

  @Test
  void shouldSaySoWhenNothingHasBeenScoredYet() throws Exception {
    try (ServedTopology served = serve(false)) {
      final String dom = HeadlessChromium.of(1280, 800, VIRTUAL_TIME).dumpDom(served.uri("/"));

      assertThat(attributes(firstTag(dom, "body"))).containsEntry("data-state", "empty");
      assertThat(dom).contains("No predictions scored yet.").doesNotContain("data-chart=");
    }
  }

  @Test
  void shouldSaySoWhileTheStateCannotBeQueried() throws Exception {
    try (ServedTopology served = serve(true)) {
      served.queries.ready(false);

      final String dom = HeadlessChromium.of(1280, 800, VIRTUAL_TIME).dumpDom(served.uri("/"));

      assertThat(attributes(firstTag(dom, "body"))).containsEntry("data-state", "not-ready");
      assertThat(text(element(dom, "p", "banner")))
          .startsWith("modelmon is not ready yet: state stores are not queryable yet: REBALANCING");
      assertThat(dom)
          .contains("Waiting for modelmon to become ready")
          .doesNotContain("data-chart=");
    }
  }

  /**
   * Three model versions whose every event predicts (0.8, 0.2) and whose 1m windows hold 10 events:
   * a window with 2 of them labelled with the second class has excess 0, one with 5 has z =
   * 2.371708245126284, one with 3 has z = 0.7905694150420945 (as in DriftDetectionTest). Eight
   * final windows from 13:55: digits v1 learns on 0–2 and drifts (5 of 10) from window 3, so S =
   * 1.87, 3.74, then 4 = h on window 5, ALARM, the change dated 13:58; fraud v1 stays calibrated
   * but for its last window, S = 0.7906 − 0.5 = 0.29; fraud v2 starts in window 6 and has learnt 2
   * of its 3 warm-up windows.
   */
  @Test
  void shouldBannerTheAlarmsAndShowEveryDetectorState() throws Exception {
    try (ServedTopology served = serveDetectorWindows()) {
      final String dom = HeadlessChromium.of(1280, 1600, VIRTUAL_TIME).dumpDom(served.uri("/"));

      assertThat(attributes(firstTag(dom, "body")))
          .containsEntry("data-state", "ready")
          .containsEntry("data-alarms", "current");
      assertThat(text(element(dom, "div", "alarms")))
          .isEqualTo(
              "ALARM digits v1: log loss above what the model expects, change from"
                  + " 2026-11-28 13:58:00 UTC (S 4.00 ≥ h 4.00, 1m windows)");
      assertThat(alarmLines(dom)).containsExactly("digits@v1");

      final Card digits = card(dom, "digits", "v1");
      assertThat(detectorBadge(digits))
          .containsEntry("state", "ALARM")
          .containsEntry("text", "ALARM · S 4.00 ≥ h 4.00 · from 2026-11-28 13:58:00 UTC");
      assertThat(sectionClasses(digits)).contains("alarm");
      assertThat(digits.points()).containsEntry("logLoss", "8");
      final long changeStart = Instant.parse("2026-11-28T13:58:00Z").toEpochMilli();
      assertThat(alarmFrom(digits))
          .containsExactly(
              entry("logLoss", "" + changeStart),
              entry("excess", "" + changeStart),
              entry("calibrationZ", "" + changeStart));

      final Card watching = card(dom, "fraud", "v1");
      assertThat(detectorBadge(watching))
          .containsEntry("state", "WATCHING")
          .containsEntry("text", "watching · S 0.29 / h 4.00");
      assertThat(sectionClasses(watching)).doesNotContain("alarm");
      assertThat(alarmFrom(watching)).as("S > 0, but no ALARM: nothing shaded").isEmpty();

      final Card warmingUp = card(dom, "fraud", "v2");
      assertThat(detectorBadge(warmingUp))
          .containsEntry("state", "WARMUP")
          .containsEntry("text", "warming up · 2 windows learnt");
      assertThat(sectionClasses(warmingUp)).doesNotContain("alarm");
      assertThat(warmingUp.points()).containsEntry("logLoss", "2");
      assertThat(alarmFrom(warmingUp)).isEmpty();
    }
  }

  @Test
  void shouldShowNoAlarmBannerWhileNoModelIsInAlarm() throws Exception {
    try (ServedTopology served = serve(false)) {
      final String dom = HeadlessChromium.of(1280, 800, VIRTUAL_TIME).dumpDom(served.uri("/"));

      final Matcher banner = Pattern.compile("<div\\b[^>]*\\bid=\"alarms\"[^>]*>").matcher(dom);
      assertThat(banner.find()).isTrue();
      assertThat(attributes(banner.group())).containsKey("hidden");
      assertThat(alarmLines(dom)).isEmpty();
    }
  }

  // --- the served topology ---

  /** The windows of {@link #shouldBannerTheAlarmsAndShowEveryDetectorState}. */
  private static ServedTopology serveDetectorWindows() throws IOException {
    final TopologyFixture fixture =
        new TopologyFixture(
            TestConfigs.withDetector(
                TestConfigs.config("1m,5m", Duration.ofSeconds(10), Duration.ofMinutes(1)),
                DETECTOR));
    try {
      final Instant t0 = NOW.minus(Duration.ofMinutes(15)); // 13:55, aligned to 1m and 5m
      for (int w = 0; w < 8; w++) {
        sendDetectorWindow(fixture, "digits", "v1", t0, w, w < 3 ? 2 : 5);
        sendDetectorWindow(fixture, "fraud", "v1", t0, w, w < 7 ? 2 : 3);
        if (w >= 6) {
          sendDetectorWindow(fixture, "fraud", "v2", t0, w, 2);
        }
        fixture.advanceWallClock(Duration.ofSeconds(1));
      }
      // Takes the watermark past the end of window 7 plus the grace: all eight are final.
      fixture.send(detectorEvent("digits", "v1", t0.plusSeconds(8 * 60 + 15), false));
      fixture.advanceWallClock(Duration.ofSeconds(1));
    } catch (RuntimeException e) {
      fixture.close();
      throw e;
    }
    return ServedTopology.serve(fixture, WINDOWS, NOW);
  }

  /** Window w's 10 events of {@code model@version}, {@code secondClass} of them labelled "b". */
  private static void sendDetectorWindow(
      final TopologyFixture fixture,
      final String model,
      final String version,
      final Instant t0,
      final int w,
      final int secondClass) {
    for (int i = 0; i < 10; i++) {
      fixture.send(detectorEvent(model, version, t0.plusSeconds(60L * w + 1 + i), i < secondClass));
    }
  }

  private static String detectorEvent(
      final String model, final String version, final Instant time, final boolean second) {
    return TopologyFixture.event(model, version, time, binary("a", 0.8, "b"), second ? "b" : "a");
  }

  private static ServedTopology serve(final boolean withTraffic) throws IOException {
    final TopologyFixture fixture =
        new TopologyFixture(
            TestConfigs.withDetector(
                TestConfigs.config("1m,5m", Duration.ofSeconds(10), Duration.ofMinutes(1)),
                TRAFFIC_DETECTOR));
    try {
      if (withTraffic) {
        sendTraffic(fixture);
      }
    } catch (RuntimeException e) {
      fixture.close();
      throw e;
    }
    return ServedTopology.serve(fixture, WINDOWS, NOW);
  }

  /**
   * The top-label confidence bins (B = 10, the default) of the events sent in the thirty minutes,
   * by model: what the diagram of either window size must show. Filled by {@link #sendTraffic}.
   */
  private static final Map<String, Map<Integer, Bin>> BINS = new LinkedHashMap<>();

  /** Correct predictions in the last minute of traffic, by model. */
  private static final Map<String, Integer> LAST_MINUTE_CORRECT = new LinkedHashMap<>();

  /** One bin: its events, how many were correct, their Σ confidence in thousandths. */
  private record Bin(int events, int correct, long confidenceThousandths) {
    Bin plus(final boolean isCorrect, final long confidence) {
      return new Bin(events + 1, correct + (isCorrect ? 1 : 0), confidenceThousandths + confidence);
    }
  }

  /**
   * Counts an event of the thirty minutes in its bin. It has two classes, the first of probability
   * {@code first} (rounded to thousandths, as {@link #binary} sends it): the confidence is the
   * larger probability, and the prediction is correct when the label is the class of larger
   * probability, the first one on a tie.
   */
  private static void record(
      final String model, final int minute, final double first, final boolean labelIsFirst) {
    if (minute >= MINUTES) {
      return; // in a window that is still open
    }
    final long firstThousandths = Math.round(first * 1000);
    final long confidence = Math.max(firstThousandths, 1000 - firstThousandths);
    final boolean correct = firstThousandths >= 500 == labelIsFirst;
    final int bin = (int) Math.min(confidence / 100, 9);
    BINS.computeIfAbsent(model, m -> new TreeMap<>())
        .merge(bin, new Bin(1, correct ? 1 : 0, confidence), (a, b) -> a.plus(correct, confidence));
    if (minute == MINUTES - 1 && correct) {
      LAST_MINUTE_CORRECT.merge(model, 1, Integer::sum);
    }
  }

  private static void sendTraffic(final TopologyFixture fixture) {
    BINS.clear();
    LAST_MINUTE_CORRECT.clear();
    fixture.publishReference(
        "churn", "{\"model\": \"churn\", \"distribution\": {\"stay\": 0.7, \"leave\": 0.3}}");
    final Random random = new Random(42);
    for (int minute = 0; minute < MINUTES; minute++) {
      for (int i = 0; i < EVENTS_PER_MINUTE; i++) {
        // 1m window [t0+minute, t0+minute+1m), 5m window [t0+5·(minute/5)m, +5m).
        final Instant time = T0.plusSeconds(60L * minute + 2 + 5L * i);
        fixture.send(churn(random, minute, time));
        fixture.send(teamFraud(random, minute, time));
      }
      sendLabelLater(fixture, minute);
    }
    fixture.advanceWallClock(Duration.ofSeconds(1));
    // Stream time t0+31m: every window ending by t0+30m50s is final, so all thirty 1m and six 5m
    // windows; this event's own windows stay open.
    fixture.send(churn(random, MINUTES, T0.plus(Duration.ofMinutes(MINUTES + 1))));
    fixture.advanceWallClock(Duration.ofSeconds(1));
  }

  /** Predictions of team/fraud whose label comes later, joined 90 s after them. */
  private static final Duration LABEL_DELAY = Duration.ofSeconds(90);

  /** Predictions of team/fraud that never get their label. */
  private static final int NEVER_LABELLED = 2;

  /**
   * One prediction of team/fraud without its label, in minute {@code minute}, and its label a
   * {@link #LABEL_DELAY} later, in time with the traffic; in minute 3 also the predictions that
   * never get one. The label delay histogram then has every delay in (60 s, 600 s].
   */
  private static void sendLabelLater(final TopologyFixture fixture, final int minute) {
    final Instant time = T0.plusSeconds(60L * minute + 30);
    fixture.send(laterLabelled("late-" + minute, time));
    final Instant outcome = time.plus(LABEL_DELAY);
    fixture.sendLabel(
        "{\"model\": \"team/fraud\", \"id\": \"late-"
            + minute
            + "\", \"label\": \"ok\", \"timestamp\": \""
            + outcome
            + "\"}",
        NOW);
    // Its outcome side counts in the minute of the outcome: q(fraud) = 0.1, label ok, correct.
    record("team/fraud", (int) Duration.between(T0, outcome).toMinutes(), 0.1, false);
    if (minute == 3) {
      for (int i = 0; i < NEVER_LABELLED; i++) {
        fixture.send(laterLabelled("never-" + i, time.plusSeconds(1 + i)));
      }
    }
  }

  private static String laterLabelled(final String id, final Instant time) {
    return "{\"model\": \"team/fraud\", \"id\": \""
        + id
        + "\", \"timestamp\": \""
        + time
        + "\", \"probabilities\": {\"fraud\": 0.1, \"ok\": 0.9}}";
  }

  /** Calibrated at first; the label mix moves from minute 12, overconfidence from minute 18. */
  private static String churn(final Random random, final int minute, final Instant time) {
    final double leaveRate = minute < 12 ? 0.3 : Math.min(0.6, 0.3 + 0.02 * (minute - 12));
    final boolean leave = random.nextDouble() < leaveRate;
    double stay = leave ? 0.15 + 0.45 * random.nextDouble() : 0.6 + 0.35 * random.nextDouble();
    if (minute >= 18) {
      stay = Math.min(0.98, stay + 0.25);
    }
    record("churn", minute, stay, !leave);
    return TopologyFixture.event(
        "churn", "v3", time, binary("stay", stay, "leave"), leave ? "leave" : "stay");
  }

  /** No version, no reference; from minute 20 the model misses most fraud. */
  private static String teamFraud(final Random random, final int minute, final Instant time) {
    final boolean fraud = random.nextDouble() < 0.15;
    final double u = random.nextDouble();
    double pFraud = fraud ? 0.45 + 0.45 * u : 0.02 + 0.18 * u;
    if (minute >= 20 && fraud) {
      pFraud = 0.1 + 0.3 * u;
    }
    record("team/fraud", minute, pFraud, fraud);
    return TopologyFixture.event(
        "team/fraud", null, time, binary("fraud", pFraud, "ok"), fraud ? "fraud" : "ok");
  }

  /** Two classes whose probabilities, at three decimals, sum to exactly 1. */
  private static Map<String, Double> binary(
      final String first, final double p, final String other) {
    final long thousandths = Math.round(p * 1000);
    final Map<String, Double> probabilities = new LinkedHashMap<>();
    probabilities.put(first, thousandths / 1000.0);
    probabilities.put(other, (1000 - thousandths) / 1000.0);
    return probabilities;
  }

  private static WindowResult latest(
      final ServedTopology served, final Card card, final String window) {
    return served.queries.latestWindows().stream()
        .filter(w -> w.model().equals(card.model()) && w.version().equals(card.version()))
        .filter(w -> w.window().equals(window))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no latest " + window + " window of " + card));
  }

  /** The cells of a table row as the page writes them. */
  private static List<String> expectedRow(final WindowResult w) {
    return List.of(
        w.window(),
        w.start().replace("T", " ").replace("Z", ""),
        String.format(Locale.US, "%,d", w.predictions()),
        w.predictions() > 0
            ? String.format(
                Locale.US,
                "%,d (%d%%)",
                w.labelled(),
                Math.round(100.0 * w.labelled() / w.predictions()))
            : String.format(Locale.US, "%,d", w.labelled()),
        js(w.logLossMean()),
        js(w.accuracy()),
        js(w.brierScoreMean()),
        js(w.klDivergenceMean()),
        js(w.labelDrift()),
        js(w.predictionDrift()),
        js(w.referenceEntropy()));
  }

  /**
   * The card's reliability diagram: a dot per non-empty bin of {@code bins} at (mean confidence,
   * accuracy), drawn where the unit square puts it, the diagonal y = x across that square, the ECE
   * of the latest window and the ECE of the pooled bins beside it.
   */
  private static void assertDiagram(
      final Card card, final Map<Integer, Bin> bins, final WindowResult latest) {
    final Matcher line =
        Pattern.compile("<line\\b[^>]*\\bclass=\"diagonal\"[^>]*>").matcher(card.html());
    assertThat(line.find()).as(card.model() + "'s diagonal").isTrue();
    final Map<String, String> diagonal = attributes(line.group());
    final double x0 = Double.parseDouble(diagonal.get("x1"));
    final double y0 = Double.parseDouble(diagonal.get("y1"));
    final double x1 = Double.parseDouble(diagonal.get("x2"));
    final double y1 = Double.parseDouble(diagonal.get("y2"));
    assertThat(x1 - x0)
        .as("a diagonal up and to the right, at 45°")
        .isPositive()
        .isEqualTo(y0 - y1);

    final List<Map<String, String>> dots = new ArrayList<>();
    final Matcher circle = Pattern.compile("<circle\\b[^>]*>").matcher(card.html());
    while (circle.find()) {
      dots.add(attributes(circle.group()));
    }
    assertThat(dots).as(card.model() + "'s dots").hasSameSizeAs(bins.keySet());
    int i = 0;
    long events = 0;
    double gaps = 0;
    for (final Map.Entry<Integer, Bin> entry : bins.entrySet()) {
      final Bin bin = entry.getValue();
      final double confidence = bin.confidenceThousandths() / 1000.0 / bin.events();
      final double accuracy = bin.correct() / (double) bin.events();
      events += bin.events();
      gaps += Math.abs(bin.correct() - bin.confidenceThousandths() / 1000.0);
      final Map<String, String> dot = dots.get(i++);
      assertThat(Double.parseDouble(dot.get("data-upper"))).isEqualTo((entry.getKey() + 1) / 10.0);
      assertThat(dot.get("data-count")).isEqualTo(String.valueOf(bin.events()));
      assertThat(Double.parseDouble(dot.get("data-confidence")))
          .isCloseTo(confidence, within(1e-9));
      assertThat(Double.parseDouble(dot.get("data-accuracy"))).isCloseTo(accuracy, within(1e-12));
      assertThat((Double.parseDouble(dot.get("cx")) - x0) / (x1 - x0))
          .as("x of the dot of bin " + entry.getKey())
          .isCloseTo(confidence, within(1e-6));
      assertThat((y0 - Double.parseDouble(dot.get("cy"))) / (y0 - y1))
          .as("y of the dot of bin " + entry.getKey())
          .isCloseTo(accuracy, within(1e-6));
    }
    assertThat(text(element(card.html(), "p", "ece-latest", "class")))
        .isEqualTo(js(latest.calibrationError()));
    assertThat(text(element(card.html(), "p", "ece-pooled", "class"))).isEqualTo(js(gaps / events));
  }

  /** The detector badge the page writes for {@code status}. */
  private static String badgeText(final AlarmStatus status) {
    return switch (status.state()) {
      case "WARMUP" -> "warming up · " + status.warmupWindows() + " windows learnt";
      case "WATCHING" ->
          "watching · S " + fixed2(status.statistic()) + " / h " + fixed2(status.threshold());
      default -> "ALARM · " + versus(status) + " · from " + utc(status.changeStartMillis());
    };
  }

  /** S against h, "≥" once S has reached h: in ALARM S may since have fallen below it. */
  private static String versus(final AlarmStatus status) {
    return "S "
        + fixed2(status.statistic())
        + (status.statistic() >= status.threshold() ? " ≥ " : " < ")
        + "h "
        + fixed2(status.threshold());
  }

  /** A time as the page writes epoch milliseconds. */
  private static String utc(final long millis) {
    return Instant.ofEpochMilli(millis).toString().replace("T", " ").replace("Z", "") + " UTC";
  }

  /** JavaScript's toFixed(2): the double's exact value rounded half up. */
  private static String fixed2(final double value) {
    return new BigDecimal(value).setScale(2, RoundingMode.HALF_UP).toPlainString();
  }

  /** A number as the page's {@code fmt} writes it: four decimals, tiny ones in e-notation. */
  private static String js(final Double value) {
    if (value == null) {
      return "—";
    }
    if (value != 0 && Math.abs(value) < 1e-4) {
      // JavaScript's toExponential(2) writes "5.00e-5" where Java writes "5.00e-05".
      return String.format(Locale.ROOT, "%.2e", value).replaceFirst("e([+-])0*(\\d)", "e$1$2");
    }
    // toFixed(4) rounds the double's exact binary value, half away from zero; Java's %.4f rounds
    // its shortest decimal form, which differs when that form ends in 5 (0.34325 for 0.343249…).
    return new BigDecimal(value).setScale(4, RoundingMode.HALF_UP).toPlainString();
  }

  // --- reading the dumped DOM ---

  /** One model version's card: its chart points by chart, its table cells by window size. */
  private record Card(
      String model,
      String version,
      String html,
      Map<String, String> points,
      Map<String, List<String>> rows,
      int canvases) {}

  private static final Pattern SECTION = Pattern.compile("<section\\b[^>]*>");
  private static final Pattern CHART =
      Pattern.compile("<div\\b[^>]*\\bdata-chart=\"[^\"]*\"[^>]*>");
  private static final Pattern ROW =
      Pattern.compile("(<tr\\b[^>]*\\bdata-window=\"[^\"]*\"[^>]*>)(.*?)</tr>", Pattern.DOTALL);
  private static final Pattern CELL = Pattern.compile("<td\\b[^>]*>(.*?)</td>", Pattern.DOTALL);
  private static final Pattern ATTRIBUTE =
      Pattern.compile("([A-Za-z_:][-A-Za-z0-9_:.]*)=\"([^\"]*)\"");

  private static Card card(final String dom, final String model, final String version) {
    final Matcher section = SECTION.matcher(dom);
    while (section.find()) {
      final Map<String, String> attributes = attributes(section.group());
      if (model.equals(attributes.get("data-model"))
          && version.equals(attributes.get("data-version"))) {
        final int end = dom.indexOf("</section>", section.end());
        final String html = dom.substring(section.start(), end);
        final Map<String, String> points = new LinkedHashMap<>();
        final Matcher chart = CHART.matcher(html);
        while (chart.find()) {
          final Map<String, String> chartAttributes = attributes(chart.group());
          points.put(chartAttributes.get("data-chart"), chartAttributes.get("data-points"));
        }
        final Map<String, List<String>> rows = new LinkedHashMap<>();
        final Matcher row = ROW.matcher(html);
        while (row.find()) {
          final Map<String, String> rowAttributes = attributes(row.group(1));
          assertThat(rowAttributes)
              .containsEntry("data-model", model)
              .containsEntry("data-version", version);
          final List<String> cells = new ArrayList<>();
          final Matcher cell = CELL.matcher(row.group(2));
          while (cell.find()) {
            cells.add(text(cell.group(1)));
          }
          rows.put(rowAttributes.get("data-window"), cells);
        }
        final int canvases = html.split("<canvas\\b", -1).length - 1;
        return new Card(model, version, html, points, rows, canvases);
      }
    }
    throw new AssertionError("no card for " + model + "@" + version + " in the page:\n" + dom);
  }

  /** The card's detector badge: its data-state as "state", its text as "text". */
  private static Map<String, String> detectorBadge(final Card card) {
    final Matcher badge =
        Pattern.compile("(<span\\b[^>]*\\bclass=\"detector\"[^>]*>)(.*?)</span>", Pattern.DOTALL)
            .matcher(card.html());
    assertThat(badge.find()).as(card.model() + "'s detector badge").isTrue();
    return Map.of(
        "state", attributes(badge.group(1)).get("data-state"), "text", text(badge.group(2)));
  }

  private static List<String> sectionClasses(final Card card) {
    return List.of(attributes(firstTag(card.html(), "section")).get("class").split(" "));
  }

  /** The card's time charts shaded from a change start, by chart: when each was shaded from. */
  private static Map<String, String> alarmFrom(final Card card) {
    final Map<String, String> shaded = new LinkedHashMap<>();
    final Matcher chart = CHART.matcher(card.html());
    while (chart.find()) {
      final Map<String, String> chartAttributes = attributes(chart.group());
      if (chartAttributes.containsKey("data-alarm-from")) {
        shaded.put(chartAttributes.get("data-chart"), chartAttributes.get("data-alarm-from"));
      }
    }
    return shaded;
  }

  /** What {@link #alarmFrom} reads of a card in ALARM: each time chart shaded from the start. */
  private static Map<String, String> shadedFrom(final Card card, final long changeStartMillis) {
    final Map<String, String> shaded = new LinkedHashMap<>();
    card.points().keySet().stream()
        .filter(chart -> !chart.equals("reliability"))
        .forEach(chart -> shaded.put(chart, String.valueOf(changeStartMillis)));
    return shaded;
  }

  /** The alarm banner's lines, as model@version. */
  private static List<String> alarmLines(final String dom) {
    final List<String> lines = new ArrayList<>();
    final Matcher line = Pattern.compile("<p\\b[^>]*\\bclass=\"alarm-line\"[^>]*>").matcher(dom);
    while (line.find()) {
      final Map<String, String> lineAttributes = attributes(line.group());
      lines.add(lineAttributes.get("data-model") + "@" + lineAttributes.get("data-version"));
    }
    return lines;
  }

  private static String firstTag(final String dom, final String name) {
    final Matcher tag = Pattern.compile("<" + name + "\\b[^>]*>").matcher(dom);
    assertThat(tag.find()).as("<" + name + "> in the page").isTrue();
    return tag.group();
  }

  /** The inner HTML of the element with that id. */
  private static String element(final String dom, final String name, final String id) {
    return element(dom, name, id, "id");
  }

  /** The inner HTML of the first element whose attribute {@code attribute} is {@code value}. */
  private static String element(
      final String dom, final String name, final String value, final String attribute) {
    final Matcher element =
        Pattern.compile(
                "<"
                    + name
                    + "\\b[^>]*\\b"
                    + attribute
                    + "=\""
                    + value
                    + "\"[^>]*>(.*?)</"
                    + name
                    + ">",
                Pattern.DOTALL)
            .matcher(dom);
    assertThat(element.find()).as(attribute + "=" + value + " in the page").isTrue();
    return element.group(1);
  }

  private static List<String> optionsOf(final String dom, final String selectId) {
    final String select = element(dom, "select", selectId);
    final List<String> options = new ArrayList<>();
    final Matcher option = Pattern.compile("<option\\b[^>]*>(.*?)</option>").matcher(select);
    while (option.find()) {
      options.add(text(option.group(1)));
    }
    return options;
  }

  private static Map<String, String> attributes(final String tag) {
    final Map<String, String> attributes = new LinkedHashMap<>();
    final Matcher attribute = ATTRIBUTE.matcher(tag);
    while (attribute.find()) {
      attributes.put(attribute.group(1), unescape(attribute.group(2)));
    }
    return attributes;
  }

  /** The text of an HTML fragment: tags dropped, entities decoded. */
  private static String text(final String html) {
    return unescape(html.replaceAll("<[^>]*>", "")).trim();
  }

  private static String unescape(final String html) {
    return html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", "\u00a0")
        .replace("&amp;", "&");
  }

  private static int distinctColours(final BufferedImage image) {
    final Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 2) {
      for (int x = 0; x < image.getWidth(); x += 2) {
        colours.add(image.getRGB(x, y));
      }
    }
    return colours.size();
  }
}
