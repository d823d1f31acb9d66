package org.modelmon.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.modelmon.topology.TopologyFixture.EVENT_TIME_ORIGIN;
import static org.modelmon.topology.TopologyFixture.WALL_CLOCK_START;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.modelmon.TestConfigs;
import org.modelmon.event.InvalidReason;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ModelSummary;
import org.modelmon.window.OpenWindowKey;
import org.modelmon.window.WindowAggregate;
import org.modelmon.window.WindowResult;
import org.modelmon.window.WindowSerdes;

/**
 * The whole topology in a {@link org.apache.kafka.streams.TopologyTestDriver}: windows, lateness,
 * idle close, references and the dead-letter topic.
 *
 * <p>Expected values are worked out by hand (see the comments) with p = {stay: 0.7, leave: 0.3}:
 * −ln 0.8 = 0.2231435513142097, −ln 0.6 = 0.5108256237659907, D(p‖(0.8, 0.2)) =
 * 0.02816755759528336, D(p‖(0.4, 0.6)) = 0.18378689738681217, H(p) = 0.6108643020548935.
 */
class ModelmonTopologyTest {

  private static final Instant T0 = EVENT_TIME_ORIGIN; // aligned to 1m and 5m windows
  private static final String REFERENCE =
      "{\"model\": \"churn\", \"distribution\": {\"stay\": 0.7, \"leave\": 0.3}}";
  private static final double EXACT = 1e-12;

  private TopologyFixture fixture;

  private TopologyFixture start(final String windows) {
    fixture =
        new TopologyFixture(
            TestConfigs.config(windows, Duration.ofSeconds(10), Duration.ofMinutes(1)));
    return fixture;
  }

  @AfterEach
  void closeDriver() {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static String event(
      final String version, final Instant time, final double stay, final String label) {
    return String.format(
        java.util.Locale.ROOT,
        "{\"model\": \"churn\", \"version\": \"%s\", \"timestamp\": \"%s\", "
            + "\"probabilities\": {\"stay\": %s, \"leave\": %s}, \"label\": \"%s\"}",
        version,
        time,
        stay,
        Math.round((1 - stay) * 1e9) / 1e9,
        label);
  }

  private void flush() {
    fixture.advanceWallClock(Duration.ofSeconds(1));
  }

  private static String unlabelled(final Instant time, final double stay) {
    return TopologyFixture.event(
        "churn",
        null,
        time,
        Map.of("stay", stay, "leave", Math.round((1 - stay) * 1e9) / 1e9),
        null);
  }

  @Test
  void shouldCountEventsWithoutALabelOnThePredictionSideOnly() {
    start("1m");
    fixture.publishReference("churn", REFERENCE);
    fixture.send(event("", T0.plusSeconds(1), 0.8, "stay"));
    fixture.send(event("", T0.plusSeconds(2), 0.4, "leave"));
    fixture.send(unlabelled(T0.plusSeconds(3), 0.9));
    fixture.send(unlabelled(T0.plusSeconds(4), 0.3));
    fixture.send(unlabelled(T0.plusSeconds(61), 0.6)); // a window of unlabelled events only
    fixture.send(unlabelled(T0.plusSeconds(62), 0.5));
    fixture.send(unlabelled(T0.plusSeconds(130), 0.5)); // closes both
    flush();

    final List<TestRecord<String, String>> records = fixture.windows.readRecordsToList();
    assertThat(records).hasSize(2);
    final JsonNode mixed = TopologyFixture.parse(records.get(0).value());
    assertThat(mixed.get("predictions").asLong()).isEqualTo(4);
    assertThat(mixed.get("referencedPredictions").asLong()).isEqualTo(4);
    assertThat(mixed.get("labelled").asLong()).isEqualTo(2);
    // Prediction side over all four (scipy.stats.entropy): ΣH(q), ΣD(p‖q), mean q(stay).
    assertThat(mixed.get("predictionEntropySum").asDouble())
        .isCloseTo(2.109361365993786, within(EXACT));
    assertThat(mixed.get("klDivergenceSum").asDouble())
        .isCloseTo(0.7045371859407756, within(EXACT));
    assertThat(mixed.get("meanPrediction").get("stay").asDouble()).isCloseTo(0.6, within(EXACT));
    // Outcome side over the two labelled (sklearn log_loss(normalize=False), Σ Brier).
    assertThat(mixed.get("logLossSum").asDouble()).isCloseTo(0.7339691750802004, within(EXACT));
    assertThat(mixed.get("logLossMean").asDouble())
        .isCloseTo(0.7339691750802004 / 2, within(EXACT));
    assertThat(mixed.get("brierScoreSum").asDouble()).isCloseTo(0.4, within(EXACT));
    assertThat(mixed.get("excessLogLossSum").asDouble())
        .isCloseTo(0.7339691750802004 - 1.1734140905474444, within(EXACT));
    assertThat(mixed.get("labelCounts").get("stay").asLong()).isEqualTo(1);
    assertThat(mixed.get("labelCounts").get("leave").asLong()).isEqualTo(1);
    long binned = 0;
    for (final JsonNode bin : mixed.get("calibrationBins")) {
      binned += bin.get("labelled").asLong();
    }
    assertThat(binned).isEqualTo(2);

    final JsonNode predictionsOnly = TopologyFixture.parse(records.get(1).value());
    assertThat(predictionsOnly.get("predictions").asLong()).isEqualTo(2);
    assertThat(predictionsOnly.get("labelled").asLong()).isZero();
    assertThat(predictionsOnly.get("klDivergenceSum").asDouble())
        .isCloseTo(0.10388373264859832, within(EXACT));
    assertThat(predictionsOnly.get("predictionEntropySum").asDouble())
        .isCloseTo(1.366158847569202, within(EXACT));
    for (final String outcomeOnly :
        List.of(
            "logLossMean",
            "excessLogLossMean",
            "brierScoreMean",
            "accuracy",
            "calibrationZ",
            "calibrationError",
            "labelDrift")) {
      assertThat(predictionsOnly.has(outcomeOnly)).as(outcomeOnly).isFalse();
    }
    assertThat(predictionsOnly.get("logLossSum").asDouble()).isZero();

    fixture.awaitCounters();
    final String[] churn = {"model", "churn", "version", ""};
    assertThat(fixture.counter(ModelmonMetrics.PREDICTIONS, churn)).isEqualTo(7.0);
    assertThat(fixture.counter(ModelmonMetrics.LABELLED_PREDICTIONS, churn)).isEqualTo(2.0);
    assertThat(fixture.counter(ModelmonMetrics.LOG_LOSS, churn))
        .isCloseTo(0.7339691750802004, within(EXACT));
    assertThat(fixture.counter(ModelmonMetrics.LABELLED_PREDICTION_ENTROPY, churn))
        .isCloseTo(1.1734140905474444, within(EXACT));
    assertThat(fixture.counter(ModelmonMetrics.BRIER_SCORE, churn)).isCloseTo(0.4, within(EXACT));
    assertThat(
            fixture.counter(
                ModelmonMetrics.LABELS, "model", "churn", "version", "", "class", "stay"))
        .isEqualTo(1.0);
    assertThat(fixture.windows.isEmpty()).isTrue();
  }

  @Test
  void shouldEmitExactWindowRecordOnceWatermarkPassesEndPlusGrace() {
    start("1m");
    fixture.publishReference("churn", REFERENCE);
    fixture.send(
        event("v3", T0.plusSeconds(5), 0.8, "stay")); // stream time t0+5s, window [t0, t0+1m)
    fixture.send(event("v3", T0.plusMillis(59_999), 0.4, "leave")); // last ms of [t0, t0+1m)
    fixture.send(event("v3", T0.plusSeconds(60), 0.5, "stay")); // first ms of [t0+1m, t0+2m)
    flush();
    // Watermark t0+1m < end + grace = t0+1m10s: nothing final yet.
    assertThat(fixture.windows.isEmpty()).isTrue();

    fixture.send(event("v3", T0.plusSeconds(70), 0.5, "stay")); // stream time t0+1m10s
    flush();

    final List<TestRecord<String, String>> records = fixture.windows.readRecordsToList();
    assertThat(records).hasSize(1);
    assertThat(records.get(0).key()).isEqualTo("churn@v3@1m@" + T0.toEpochMilli());
    final JsonNode window = TopologyFixture.parse(records.get(0).value());
    final List<String> fields = new ArrayList<>();
    window.fieldNames().forEachRemaining(fields::add);
    assertThat(fields)
        .containsExactly(
            "model",
            "version",
            "window",
            "start",
            "end",
            "startMillis",
            "endMillis",
            "predictions",
            "referencedPredictions",
            "klDivergenceSum",
            "klDivergenceMean",
            "referenceCrossEntropySum",
            "referenceCrossEntropyMean",
            "referenceEntropy",
            "predictionDrift",
            "predictionEntropySum",
            "predictionEntropyMean",
            "meanConfidence",
            "meanPrediction",
            "labelled",
            "logLossSum",
            "logLossMean",
            "excessLogLossSum",
            "excessLogLossMean",
            "calibrationZ",
            "brierScoreSum",
            "brierScoreMean",
            "correct",
            "accuracy",
            "calibrationError",
            "calibrationBins",
            "labelDrift",
            "labelCounts",
            "classLogLoss");
    assertThat(window.get("model").asText()).isEqualTo("churn");
    assertThat(window.get("version").asText()).isEqualTo("v3");
    assertThat(window.get("window").asText()).isEqualTo("1m");
    assertThat(window.get("start").asText()).isEqualTo("2026-11-28T14:00:00Z");
    assertThat(window.get("end").asText()).isEqualTo("2026-11-28T14:01:00Z");
    assertThat(window.get("startMillis").asLong()).isEqualTo(T0.toEpochMilli());
    assertThat(window.get("endMillis").asLong()).isEqualTo(T0.toEpochMilli() + 60_000);
    assertThat(window.get("predictions").asLong()).isEqualTo(2);
    // −ln 0.8 − ln 0.6
    assertThat(window.get("logLossSum").asDouble()).isCloseTo(0.7339691750802004, within(EXACT));
    assertThat(window.get("logLossMean").asDouble()).isCloseTo(0.3669845875401002, within(EXACT));
    // D(p‖q1) + D(p‖q2)
    assertThat(window.get("klDivergenceSum").asDouble())
        .isCloseTo(0.21195445498209553, within(EXACT));
    assertThat(window.get("klDivergenceMean").asDouble())
        .isCloseTo(0.10597722749104777, within(EXACT));
    // Identity: ΣH(p,q) = ΣD(p‖q) + 2·H(p)
    assertThat(window.get("referenceCrossEntropySum").asDouble())
        .isCloseTo(1.4336830590918825, within(EXACT));
    assertThat(window.get("referenceCrossEntropyMean").asDouble())
        .isCloseTo(0.7168415295459413, within(EXACT));
    assertThat(window.get("referenceEntropy").asDouble())
        .isCloseTo(0.6108643020548935, within(EXACT));
    // p̂ = ((1 + 0.5) / 3, (1 + 0.5) / 3)
    assertThat(window.get("labelDrift").asDouble()).isCloseTo(0.08228287850505178, within(EXACT));
    // q̄ = (0.6, 0.4)
    assertThat(window.get("predictionDrift").asDouble())
        .isCloseTo(0.0216008541435464, within(EXACT));
    assertThat(window.get("labelCounts").get("stay").asLong()).isEqualTo(1);
    assertThat(window.get("labelCounts").get("leave").asLong()).isEqualTo(1);
    assertThat(window.get("meanPrediction").get("stay").asDouble()).isCloseTo(0.6, within(EXACT));
    assertThat(window.get("meanPrediction").get("leave").asDouble()).isCloseTo(0.4, within(EXACT));
    assertThat(window.get("classLogLoss").get("stay").asDouble())
        .isCloseTo(0.2231435513142097, within(EXACT));
    assertThat(window.get("classLogLoss").get("leave").asDouble())
        .isCloseTo(0.5108256237659907, within(EXACT));
    // What the model expects of itself, by SciPy: entropy(q1) + entropy(q2), and the excess
    // Σℓ − ΣH(q) over √ΣV(q), V(q) = Σ q (ln q)² − H(q)².
    assertThat(window.get("referencedPredictions").asLong()).isEqualTo(2);
    assertThat(window.get("labelled").asLong()).isEqualTo(2);
    assertThat(window.get("predictionEntropySum").asDouble())
        .isCloseTo(1.1734140905474444, within(EXACT));
    assertThat(window.get("predictionEntropyMean").asDouble())
        .isCloseTo(0.5867070452737222, within(EXACT));
    assertThat(window.get("excessLogLossSum").asDouble())
        .isCloseTo(-0.43944491546724396, within(EXACT));
    assertThat(window.get("excessLogLossMean").asDouble())
        .isCloseTo(-0.21972245773362198, within(EXACT));
    assertThat(window.get("calibrationZ").asDouble()).isCloseTo(-0.7460591351851776, within(EXACT));
    // Brier (0.8−1)² + 0.2² = 0.08 and 0.4² + (0.6−1)² = 0.32; both top classes are the label.
    assertThat(window.get("brierScoreSum").asDouble()).isCloseTo(0.4, within(EXACT));
    assertThat(window.get("brierScoreMean").asDouble()).isCloseTo(0.2, within(EXACT));
    assertThat(window.get("correct").asLong()).isEqualTo(2);
    assertThat(window.get("accuracy").asDouble()).isEqualTo(1.0);
    assertThat(window.get("meanConfidence").asDouble()).isCloseTo(0.7, within(EXACT));
    // Confidence 0.8 in bin 8, 0.6 in bin 6, both correct: ECE = (0.2 + 0.4) / 2.
    assertThat(window.get("calibrationError").asDouble()).isCloseTo(0.3, within(EXACT));
    final JsonNode bins = window.get("calibrationBins");
    assertThat(bins).hasSize(10);
    for (int b = 0; b < 10; b++) {
      final JsonNode bin = bins.get(b);
      assertThat(bin.get("upper").asDouble()).isEqualTo((b + 1) / 10.0);
      final long expected = b == 6 || b == 8 ? 1 : 0;
      assertThat(bin.get("labelled").asLong()).as("bin %d", b).isEqualTo(expected);
      assertThat(bin.get("correct").asLong()).as("bin %d", b).isEqualTo(expected);
    }
    assertThat(bins.get(8).get("confidenceSum").asDouble()).isCloseTo(0.8, within(EXACT));
    assertThat(bins.get(8).get("excessLogLossSum").asDouble())
        .isCloseTo(-Math.log(0.8) - 0.5004024235381879, within(EXACT));

    // The latest-window store holds the same result, for the gauges.
    final KeyValueStore<String, byte[]> latest =
        fixture.driver.getKeyValueStore(ModelmonTopology.LATEST_WINDOWS_STORE);
    final WindowResult stored = WindowSerdes.windowResultFromJson(latest.get("churn@v3@1m"));
    assertThat(stored.startMillis()).isEqualTo(T0.toEpochMilli());
    assertThat(stored.predictions()).isEqualTo(2);
    // The windows topic and both window stores' changelogs carry the very same bytes.
    final byte[] json = records.get(0).value().getBytes(StandardCharsets.UTF_8);
    assertThat(changelogValues(ModelmonTopology.LATEST_WINDOWS_STORE)).containsExactly(json);
    assertThat(changelogValues(ModelmonTopology.WINDOW_HISTORY_STORE)).containsExactly(json);

    // Emitted once: more time passing adds only the next window.
    fixture.advanceWallClock(Duration.ofSeconds(5));
    assertThat(fixture.emittedWindows())
        .allSatisfy(w -> assertThat(w.get("startMillis").asLong()).isNotEqualTo(T0.toEpochMilli()));
  }

  @Test
  void shouldCloseEveryConfiguredWindowSizeAtItsOwnBoundary() {
    start("1m,5m");
    fixture.send(event("", T0.plusSeconds(10), 0.8, "stay")); // [t0, t0+1m) and [t0, t0+5m)
    fixture.send(event("", T0.plusSeconds(130), 0.8, "stay")); // [t0+2m, t0+3m)
    fixture.send(event("", T0.plusSeconds(290), 0.4, "leave")); // [t0+4m, t0+5m)
    flush();
    fixture.send(event("", T0.plusSeconds(310), 0.8, "stay")); // stream time t0+5m10s
    flush();

    final Map<String, Long> predictionsByKey = new HashMap<>();
    for (final JsonNode window : fixture.emittedWindows()) {
      predictionsByKey.put(
          window.get("window").asText()
              + "@"
              + (window.get("startMillis").asLong() - T0.toEpochMilli()) / 1000,
          window.get("predictions").asLong());
      assertThat(window.has("klDivergenceSum")).as("no reference, no KL").isFalse();
    }
    assertThat(predictionsByKey)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("1m@0", 1L, "1m@120", 1L, "1m@240", 1L, "5m@0", 3L));
  }

  @Test
  void shouldCountOutOfOrderEventWithinGraceAndLateEventPastGrace() {
    start("1m");
    fixture.send(event("", T0.plusSeconds(65), 0.8, "stay")); // stream time t0+1m5s
    flush();
    fixture.send(event("", T0.plusSeconds(55), 0.4, "leave")); // out of order, within grace
    flush();
    fixture.send(event("", T0.plusSeconds(70), 0.8, "stay")); // stream time t0+1m10s: final
    flush();
    final List<JsonNode> first = fixture.emittedWindows();
    assertThat(first).hasSize(1);
    assertThat(first.get(0).get("predictions").asLong()).isEqualTo(1);
    assertThat(first.get(0).get("labelCounts").get("leave").asLong()).isEqualTo(1);
    assertThat(fixture.counter(ModelmonMetrics.LATE_EVENTS, "model", "churn", "version", ""))
        .isZero();

    fixture.send(event("", T0.plusSeconds(30), 0.8, "stay")); // [t0, t0+1m) is final: late
    flush();
    assertThat(fixture.counter(ModelmonMetrics.LATE_EVENTS, "model", "churn", "version", ""))
        .isEqualTo(1.0);
    assertThat(fixture.emittedWindows()).as("a final window is never emitted again").isEmpty();
    // Scored all the same: process counters count every valid event.
    assertThat(fixture.counter(ModelmonMetrics.PREDICTIONS, "model", "churn", "version", ""))
        .isEqualTo(4.0);
  }

  @Test
  void shouldNotLetAnEventAheadOfTheWallClockCloseOtherWindows() {
    start("1m");
    final Instant now = WALL_CLOCK_START; // t0+10m
    // An event 50 minutes ahead of the wall clock is within the 1 h skew, so it is valid …
    fixture.send(event("", now.plus(Duration.ofMinutes(50)), 0.8, "stay"));
    flush();
    // … but it must not drag the watermark 50 minutes ahead: these live events, seconds old,
    // are on time for [t0+9m, t0+10m), not late.
    fixture.send(event("", now.minusSeconds(10), 0.8, "stay"));
    fixture.send(event("", now.minusSeconds(5), 0.4, "leave"));
    flush();
    assertThat(fixture.counter(ModelmonMetrics.LATE_EVENTS, "model", "churn", "version", ""))
        .isZero();
    assertThat(fixture.emittedWindows()).as("watermark ≤ now < end + grace").isEmpty();
    assertThat(fixture.watermarkGauge.watermarkMillis().getAsLong())
        .isLessThanOrEqualTo(now.plusSeconds(2).toEpochMilli());
    fixture.advanceWallClock(Duration.ofSeconds(15));
    fixture.send(event("", now.plusSeconds(16), 0.8, "stay")); // stream time t0+10m16s
    flush();
    final List<JsonNode> windows = fixture.emittedWindows();
    assertThat(windows).hasSize(1);
    final JsonNode window = windows.get(0);
    assertThat(window.get("startMillis").asLong()).isEqualTo(T0.toEpochMilli() + 540_000);
    // Not corrupted either: exactly the two live events, −ln 0.8 − ln 0.6.
    assertThat(window.get("predictions").asLong()).isEqualTo(2);
    assertThat(window.get("logLossSum").asDouble()).isCloseTo(0.7339691750802004, within(EXACT));
    assertThat(window.get("labelCounts").get("stay").asLong()).isEqualTo(1);
    assertThat(window.get("labelCounts").get("leave").asLong()).isEqualTo(1);
    // The future event waits in its own window, [t0+60m, t0+61m), until its time comes.
    assertThat(openWindowCounts())
        .containsExactlyInAnyOrderEntriesOf(Map.of("churn@@1m@+3600s", 1L, "churn@@1m@+600s", 1L));
  }

  @Test
  void shouldDeadLetterAnEventBeyondTheFutureSkewAndLeaveWindowsUntouched() {
    start("1m");
    fixture.send(event("", T0.plusSeconds(570), 0.8, "stay")); // [t0+9m, t0+10m)
    flush();
    final Instant now = WALL_CLOCK_START.plusSeconds(1); // t0+10m1s, after one flush
    final Map<String, Long> openBefore = openWindowCounts();
    final long watermarkBefore = fixture.watermarkGauge.watermarkMillis().getAsLong();
    final KeyValueStore<ModelKey, ModelSummary> models =
        fixture.driver.getKeyValueStore(ModelmonTopology.MODELS_STORE);
    final ModelSummary summaryBefore = models.get(new ModelKey("churn", ""));

    final List<String> beyondSkew =
        List.of(
            // 1 ms past modelmon.max.future.skew (1h)
            event("", now.plus(Duration.ofHours(1)).plusMillis(1), 0.8, "stay"),
            event("", Instant.parse("9999-12-31T23:59:59.999Z"), 0.8, "stay"),
            "{\"model\": \"churn\", \"timestamp\": 9223372036854775807,"
                + " \"probabilities\": {\"stay\": 0.8, \"leave\": 0.2}, \"label\": \"stay\"}",
            "{\"model\": \"churn\", \"timestamp\": 92233720368547758070,"
                + " \"probabilities\": {\"stay\": 0.8, \"leave\": 0.2}, \"label\": \"stay\"}",
            "{\"model\": \"churn\", \"timestamp\": \"+999999999-12-31T23:59:59Z\","
                + " \"probabilities\": {\"stay\": 0.8, \"leave\": 0.2}, \"label\": \"stay\"}");
    for (final String json : beyondSkew) {
      fixture.send(json);
    }
    // No timestamp field: the record's own timestamp, two hours ahead, is the event time.
    final String untimed =
        "{\"model\": \"churn\", \"probabilities\": {\"stay\": 0.8, \"leave\": 0.2},"
            + " \"label\": \"stay\"}";
    fixture.send(untimed, now.plus(Duration.ofHours(2)));
    flush();

    final List<TestRecord<byte[], byte[]>> deadLetters = fixture.deadLetters.readRecordsToList();
    assertThat(deadLetters).hasSize(beyondSkew.size() + 1);
    for (int i = 0; i < deadLetters.size(); i++) {
      final String sent = i < beyondSkew.size() ? beyondSkew.get(i) : untimed;
      assertThat(new String(deadLetters.get(i).value(), StandardCharsets.UTF_8)).isEqualTo(sent);
      assertThat(header(deadLetters.get(i), DeadLetterHandler.REASON_HEADER))
          .isEqualTo("INVALID_TIMESTAMP");
    }
    assertThat(fixture.counter(ModelmonMetrics.INVALID_EVENTS, "reason", "INVALID_TIMESTAMP"))
        .isEqualTo(beyondSkew.size() + 1);
    // Windows untouched: no new window, no sum changed, the watermark and the model's last
    // event time where they were, nothing counted.
    assertThat(openWindowCounts()).isEqualTo(openBefore);
    assertThat(fixture.watermarkGauge.watermarkMillis().getAsLong()).isEqualTo(watermarkBefore);
    assertThat(models.get(new ModelKey("churn", ""))).isEqualTo(summaryBefore);
    assertThat(fixture.counter(ModelmonMetrics.PREDICTIONS, "model", "churn", "version", ""))
        .isEqualTo(1.0);
    assertThat(fixture.emittedWindows()).isEmpty();

    fixture.advanceWallClock(Duration.ofSeconds(15));
    fixture.send(event("", T0.plusSeconds(615), 0.8, "stay")); // stream time t0+10m15s
    flush();
    final List<JsonNode> windows = fixture.emittedWindows();
    assertThat(windows).hasSize(1);
    assertThat(windows.get(0).get("startMillis").asLong()).isEqualTo(T0.toEpochMilli() + 540_000);
    assertThat(windows.get(0).get("predictions").asLong()).isEqualTo(1);
    assertThat(windows.get(0).get("logLossSum").asDouble())
        .isCloseTo(0.2231435513142097, within(EXACT));
  }

  @Test
  void shouldCountAnEventFarInThePastLateWithoutDisturbingOpenWindows() {
    start("1m");
    fixture.send(event("", T0.plusSeconds(80), 0.8, "stay")); // stream time t0+1m20s
    flush();
    fixture.send(event("", Instant.parse("2001-01-01T00:00:00Z"), 0.8, "stay"));
    fixture.send(event("", Instant.EPOCH, 0.8, "stay")); // the earliest valid event time
    fixture.send(event("", T0.plusSeconds(90), 0.4, "leave"));
    flush();
    assertThat(openWindowCounts())
        .as("a late event opens no window and adds to none")
        .containsExactlyInAnyOrderEntriesOf(Map.of("churn@@1m@+60s", 2L));
    fixture.send(event("", T0.plusSeconds(135), 0.8, "stay")); // stream time t0+2m15s
    flush();
    assertThat(fixture.counter(ModelmonMetrics.LATE_EVENTS, "model", "churn", "version", ""))
        .isEqualTo(2.0);
    final List<JsonNode> windows = fixture.emittedWindows();
    assertThat(windows).hasSize(1);
    final JsonNode window = windows.get(0);
    assertThat(window.get("startMillis").asLong()).isEqualTo(T0.toEpochMilli() + 60_000);
    // Exactly the two on-time events, −ln 0.8 − ln 0.6.
    assertThat(window.get("predictions").asLong()).isEqualTo(2);
    assertThat(window.get("logLossSum").asDouble()).isCloseTo(0.7339691750802004, within(EXACT));
    assertThat(window.get("labelCounts").get("stay").asLong()).isEqualTo(1);
    assertThat(window.get("labelCounts").get("leave").asLong()).isEqualTo(1);
    assertThat(openWindowCounts())
        .containsExactlyInAnyOrderEntriesOf(Map.of("churn@@1m@+120s", 1L));
  }

  @Test
  void shouldCloseWindowsOfAnIdleStreamByWallClock() {
    start("1m");
    fixture.send(event("", T0.plusSeconds(5), 0.8, "stay")); // stream time t0+5s
    flush();
    fixture.advanceWallClock(Duration.ofSeconds(30));
    assertThat(fixture.windows.isEmpty()).as("not idle yet").isTrue();
    // Idle after 1m of wall clock; then the watermark runs with the wall clock from the last move:
    // it needs t0+1m10s, i.e. 65s after the last move at t0+1s.
    fixture.advanceWallClock(Duration.ofSeconds(40));
    final List<JsonNode> windows = fixture.emittedWindows();
    assertThat(windows).hasSize(1);
    assertThat(windows.get(0).get("startMillis").asLong()).isEqualTo(T0.toEpochMilli());
    assertThat(fixture.watermarkGauge.watermarkMillis()).isPresent();
    assertThat(fixture.watermarkGauge.watermarkMillis().getAsLong())
        .isGreaterThanOrEqualTo(T0.toEpochMilli() + 70_000);
  }

  @Test
  void shouldScoreAgainstTheReferenceInForceAndPreferTheVersionSpecificOne() {
    start("1m");
    fixture.publishReference("churn", REFERENCE);
    fixture.send(event("v3", T0.plusSeconds(1), 0.8, "stay"));
    fixture.awaitCounters();
    assertThat(fixture.counter(ModelmonMetrics.KL_DIVERGENCE, "model", "churn", "version", "v3"))
        .isCloseTo(0.02816755759528336, within(EXACT));

    // A version-specific reference p = (0.5, 0.5) wins for v3 only: D(p‖(0.8, 0.2)) = −½ ln 0.64.
    fixture.publishReference(
        "churn@v3",
        "{\"model\": \"churn\", \"version\": \"v3\", \"distribution\": {\"stay\": 0.5, \"leave\":"
            + " 0.5}}");
    fixture.send(event("v3", T0.plusSeconds(2), 0.8, "stay"));
    fixture.send(event("v2", T0.plusSeconds(2), 0.8, "stay"));
    fixture.awaitCounters();
    assertThat(fixture.counter(ModelmonMetrics.KL_DIVERGENCE, "model", "churn", "version", "v3"))
        .isCloseTo(0.02816755759528336 + 0.22314355131420976, within(EXACT));
    assertThat(fixture.counter(ModelmonMetrics.KL_DIVERGENCE, "model", "churn", "version", "v2"))
        .isCloseTo(0.02816755759528336, within(EXACT));
    // H(p,q) = D(p‖q) + H(p), with H((0.5, 0.5)) = ln 2.
    assertThat(
            fixture.counter(
                ModelmonMetrics.REFERENCE_CROSS_ENTROPY, "model", "churn", "version", "v3"))
        .isCloseTo(
            0.02816755759528336 + 0.6108643020548935 + 0.22314355131420976 + 0.6931471805599453,
            within(EXACT));
  }

  @Test
  void shouldExportNoReferenceSeriesForAModelWithoutReference() {
    start("1m");
    fixture.send(event("v1", T0.plusSeconds(1), 0.8, "stay"));
    fixture.awaitCounters();
    assertThat(fixture.counter(ModelmonMetrics.PREDICTIONS, "model", "churn", "version", "v1"))
        .isEqualTo(1.0);
    // Reference quantities are absent, never 0, for a model without reference.
    for (final String name :
        List.of(
            ModelmonMetrics.KL_DIVERGENCE,
            ModelmonMetrics.REFERENCE_CROSS_ENTROPY,
            ModelmonMetrics.REFERENCED_PREDICTIONS)) {
      assertThat(fixture.hasCounter(name, "model", "churn", "version", "v1")).as(name).isFalse();
    }
  }

  @Test
  void shouldDropAReferenceOnTombstoneAndIgnoreAnInvalidOne() {
    start("1m");
    fixture.publishReference("churn", REFERENCE);
    fixture.publishReference("churn", "{\"model\": \"churn\", \"distribution\": {\"stay\": 0.9}}");
    assertThat(fixture.counter(ModelmonMetrics.INVALID_REFERENCES)).isEqualTo(1.0);
    fixture.send(event("", T0.plusSeconds(1), 0.8, "stay")); // previous reference still in force
    fixture.awaitCounters();
    assertThat(fixture.counter(ModelmonMetrics.KL_DIVERGENCE, "model", "churn", "version", ""))
        .isCloseTo(0.02816755759528336, within(EXACT));

    fixture.publishReference("churn", null);
    fixture.send(event("", T0.plusSeconds(2), 0.8, "stay"));
    fixture.send(event("", T0.plusSeconds(70), 0.8, "stay"));
    flush();
    assertThat(
            fixture.counter(
                ModelmonMetrics.REFERENCED_PREDICTIONS, "model", "churn", "version", ""))
        .isEqualTo(1.0);
    final List<JsonNode> windows = fixture.emittedWindows();
    assertThat(windows).hasSize(1);
    assertThat(windows.get(0).has("klDivergenceSum")).as("reference deleted").isFalse();
    assertThat(windows.get(0).has("labelDrift")).isFalse();
    assertThat(windows.get(0).get("predictions").asLong()).isEqualTo(2);
  }

  @Test
  void shouldSendInvalidEventsByteIdenticalToTheDeadLetterTopicAndKeepGoing() {
    start("1m");
    final byte[] key = {0, 1, 2, (byte) 0xff};
    final byte[] malformed = "{\"model\": \"churn\",".getBytes(StandardCharsets.UTF_8);
    final RecordHeaders headers = new RecordHeaders();
    headers.add("trace-id", "abc".getBytes(StandardCharsets.UTF_8));
    fixture.predictions.pipeInput(new TestRecord<>(key, malformed, headers, T0));
    final byte[] missingModel =
        "{\"probabilities\": [0.5, 0.5], \"label\": 0}".getBytes(StandardCharsets.UTF_8);
    fixture.predictions.pipeInput(new TestRecord<>(null, missingModel, T0));
    fixture.send(event("", T0.plusSeconds(1), 0.8, "stay"));

    final List<TestRecord<byte[], byte[]>> deadLetters = fixture.deadLetters.readRecordsToList();
    assertThat(deadLetters).hasSize(2);
    final TestRecord<byte[], byte[]> first = deadLetters.get(0);
    assertThat(first.key()).isEqualTo(key);
    assertThat(first.value()).isEqualTo(malformed);
    assertThat(header(first, "trace-id")).isEqualTo("abc");
    assertThat(header(first, DeadLetterHandler.REASON_HEADER)).isEqualTo("MALFORMED_JSON");
    assertThat(header(first, DeadLetterHandler.TOPIC_HEADER)).isEqualTo("predictions");
    assertThat(header(first, DeadLetterHandler.PARTITION_HEADER)).isEqualTo("0");
    assertThat(header(first, DeadLetterHandler.OFFSET_HEADER)).isEqualTo("0");
    assertThat(deadLetters.get(1).value()).isEqualTo(missingModel);
    assertThat(header(deadLetters.get(1), DeadLetterHandler.REASON_HEADER))
        .isEqualTo("MISSING_FIELD");
    assertThat(header(deadLetters.get(1), DeadLetterHandler.OFFSET_HEADER)).isEqualTo("1");

    assertThat(fixture.counter(ModelmonMetrics.INVALID_EVENTS, "reason", "MALFORMED_JSON"))
        .isEqualTo(1.0);
    assertThat(fixture.counter(ModelmonMetrics.INVALID_EVENTS, "reason", "MISSING_FIELD"))
        .isEqualTo(1.0);
    fixture.awaitCounters();
    assertThat(fixture.counter(ModelmonMetrics.PREDICTIONS, "model", "churn", "version", ""))
        .as("the valid event after them is scored")
        .isEqualTo(1.0);
  }

  @Test
  void shouldRejectModelsBeyondTheLimitWithTooManyModels() {
    fixture =
        new TopologyFixture(
            TestConfigs.config("1m", Duration.ofSeconds(10), Duration.ofMinutes(1), 1));
    fixture.send(event("v1", T0.plusSeconds(1), 0.8, "stay"));
    final String secondModel = event("v2", T0.plusSeconds(1), 0.8, "stay");
    fixture.send(secondModel);
    fixture.send(event("v1", T0.plusSeconds(2), 0.8, "stay"));

    final List<TestRecord<byte[], byte[]>> deadLetters = fixture.deadLetters.readRecordsToList();
    assertThat(deadLetters).hasSize(1);
    assertThat(new String(deadLetters.get(0).value(), StandardCharsets.UTF_8))
        .isEqualTo(secondModel);
    assertThat(header(deadLetters.get(0), DeadLetterHandler.REASON_HEADER))
        .isEqualTo("TOO_MANY_MODELS");
    fixture.awaitCounters();
    assertThat(fixture.counter(ModelmonMetrics.PREDICTIONS, "model", "churn", "version", "v1"))
        .isEqualTo(2.0);
    assertThat(fixture.counter(ModelmonMetrics.PREDICTIONS, "model", "churn", "version", "v2"))
        .isZero();
  }

  @Test
  void shouldSendAnInputOfEveryReasonToTheDeadLetterTopicCountedAndByteIdentical() {
    fixture =
        new TopologyFixture(
            TestConfigs.config("1m", Duration.ofSeconds(10), Duration.ofMinutes(1), 1));
    fixture.publishReference("churn", REFERENCE);
    fixture.send("{\"model\": \"m\", \"probabilities\": [0.5, 0.5], \"label\": 0}");
    fixture.send("{\"model\": \"m\", \"id\": \"r1\", \"probabilities\": [0.5, 0.5]}");
    final Map<InvalidReason, String> inputs = new EnumMap<>(InvalidReason.class);
    inputs.put(InvalidReason.MALFORMED_JSON, "{\"model\": \"m\", ");
    inputs.put(InvalidReason.MISSING_FIELD, "{\"probabilities\": [0.5, 0.5], \"label\": 0}");
    inputs.put(
        InvalidReason.INVALID_FIELD,
        "{\"model\": \"no spaces\", \"probabilities\": [0.5, 0.5], \"label\": 0}");
    inputs.put(
        InvalidReason.INVALID_PROBABILITY,
        "{\"model\": \"m\", \"probabilities\": [1.5, -0.5], \"label\": 0}");
    inputs.put(
        InvalidReason.PROBABILITY_SUM,
        "{\"model\": \"m\", \"probabilities\": [0.5, 0.6], \"label\": 0}");
    inputs.put(
        InvalidReason.DUPLICATE_CLASS,
        "{\"model\": \"m\", \"probabilities\": [0.5, 0.5], \"classes\": [\"a\", \"a\"], \"label\":"
            + " 0}");
    inputs.put(
        InvalidReason.TOO_MANY_CLASSES,
        "{\"model\": \"m\", \"probabilities\": [1.0], \"label\": 0}");
    inputs.put(
        InvalidReason.UNKNOWN_LABEL,
        "{\"model\": \"m\", \"probabilities\": [0.5, 0.5], \"label\": 2}");
    inputs.put(
        InvalidReason.CLASS_MISMATCH,
        "{\"model\": \"churn\", \"probabilities\": {\"stay\": 0.5, \"gone\": 0.5}, \"label\":"
            + " \"stay\"}");
    inputs.put(
        InvalidReason.INVALID_TIMESTAMP,
        "{\"model\": \"m\", \"timestamp\": \"yesterday\", \"probabilities\": [0.5, 0.5], \"label\":"
            + " 0}");
    inputs.put(
        InvalidReason.DUPLICATE_ID,
        "{\"model\": \"m\", \"id\": \"r1\", \"probabilities\": [0.6, 0.4]}");
    inputs.put(
        InvalidReason.TOO_MANY_MODELS,
        "{\"model\": \"second\", \"probabilities\": [0.5, 0.5], \"label\": 0}");
    assertThat(inputs.keySet())
        .containsExactlyElementsOf(
            Arrays.stream(InvalidReason.values())
                .filter(InvalidReason::appliesToPredictions)
                .toList());

    for (final Map.Entry<InvalidReason, String> input : inputs.entrySet()) {
      final byte[] key = input.getKey().name().getBytes(StandardCharsets.UTF_8);
      final RecordHeaders headers = new RecordHeaders();
      headers.add("origin", key);
      fixture.predictions.pipeInput(
          new TestRecord<>(key, input.getValue().getBytes(StandardCharsets.UTF_8), headers, T0));
    }

    final List<TestRecord<byte[], byte[]>> deadLetters = fixture.deadLetters.readRecordsToList();
    assertThat(deadLetters).hasSize(inputs.size());
    for (final TestRecord<byte[], byte[]> deadLetter : deadLetters) {
      final InvalidReason reason =
          InvalidReason.valueOf(new String(deadLetter.key(), StandardCharsets.UTF_8));
      assertThat(header(deadLetter, DeadLetterHandler.REASON_HEADER)).isEqualTo(reason.name());
      assertThat(header(deadLetter, "origin")).isEqualTo(reason.name());
      assertThat(deadLetter.value()).isEqualTo(inputs.get(reason).getBytes(StandardCharsets.UTF_8));
      assertThat(header(deadLetter, DeadLetterHandler.TOPIC_HEADER))
          .as("the input's own coordinates, also for a reason found at the join")
          .isEqualTo(fixture.config.predictionsTopic());
      assertThat(deadLetter.timestamp()).isEqualTo(T0.toEpochMilli());
      assertThat(fixture.counter(ModelmonMetrics.INVALID_EVENTS, "reason", reason.name()))
          .as(reason.name())
          .isEqualTo(1.0);
    }
    fixture.awaitCounters();
    assertThat(fixture.counter(ModelmonMetrics.PREDICTIONS, "model", "m", "version", ""))
        .as("nothing invalid is scored")
        .isEqualTo(2.0);
  }

  /** The event count of every open window, by {@code model@version@size@+start}, start from t0. */
  private Map<String, Long> openWindowCounts() {
    final KeyValueStore<OpenWindowKey, WindowAggregate> open =
        fixture.driver.getKeyValueStore(ModelmonTopology.OPEN_WINDOWS_STORE);
    final Map<String, Long> counts = new HashMap<>();
    try (KeyValueIterator<OpenWindowKey, WindowAggregate> all = open.all()) {
      all.forEachRemaining(
          entry ->
              counts.put(
                  entry.key.model()
                      + "@"
                      + entry.key.version()
                      + "@"
                      + Duration.ofMillis(entry.key.sizeMillis()).toMinutes()
                      + "m@+"
                      + (entry.key.startMillis() - T0.toEpochMilli()) / 1000
                      + "s",
                  entry.value.count()));
    }
    return counts;
  }

  private List<byte[]> changelogValues(final String store) {
    return fixture
        .driver
        .createOutputTopic(
            fixture.config.applicationId() + "-" + store + "-changelog",
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())
        .readValuesToList();
  }

  private static String header(final TestRecord<byte[], byte[]> record, final String name) {
    final Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
