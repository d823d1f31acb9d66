package org.modelmon.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.modelmon.topology.TopologyFixture.EVENT_TIME_ORIGIN;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.modelmon.TestConfigs;
import org.modelmon.event.InvalidReason;
import org.modelmon.metrics.HealthGauges;
import org.modelmon.metrics.LabelJoinMetrics;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.metrics.WatermarkGauge;
import org.modelmon.metrics.WindowMetricsCollector;
import org.modelmon.testing.PrometheusText;
import org.modelmon.testing.WindowRecords;
import org.modelmon.topology.TopologyFixture;
import org.modelmon.window.WindowResult;

/**
 * {@link HttpApi} on a real port, answering from the stores of the real topology in a {@link
 * org.apache.kafka.streams.TopologyTestDriver}: {@code /metrics} as a scraper parses it, the health
 * checks, the {@code /api/v1} queries and the status page's files (what the page draws from them is
 * {@code StatusPageIT}'s part).
 *
 * <p>Three models, windows {@code 1m,5m}, grace 10s: {@code churn@v3} with the model-wide reference
 * p = {stay: 0.7, leave: 0.3}, and {@code fraud:eu.v2@1.0} and {@code team/fraud} (no version)
 * without one. Log losses by hand: −ln 0.8 = 0.2231435513142097, −ln 0.6 = 0.5108256237659907, −ln
 * 0.5 = 0.6931471805599453, −ln 0.9 = 0.10536051565782628, −ln 0.25 = 1.3862943611198906; H(p) =
 * −0.7 ln 0.7 − 0.3 ln 0.3 = 0.6108643020548935.
 */
class HttpApiTest {

  private static final Instant T0 = EVENT_TIME_ORIGIN; // 1795874400000 ms, aligned to 1m and 5m
  private static final long T0_MILLIS = T0.toEpochMilli();
  private static final Instant NOW = T0.plus(Duration.ofMinutes(10));
  private static final List<String> WINDOWS = List.of("1m", "5m");
  private static final double EXACT = 1e-12;

  private static final String CHURN = "churn";
  private static final String FRAUD = "fraud:eu.v2";
  private static final String TEAM = "team/fraud";

  /** The window record of docs/reference.md#window-records, field by field in order. */
  private static final List<String> WINDOW_RECORD_FIELDS =
      List.of(
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

  private static final List<String> REFERENCE_ONLY_FIELDS =
      List.of(
          "klDivergenceSum",
          "klDivergenceMean",
          "referenceCrossEntropySum",
          "referenceCrossEntropyMean",
          "referenceEntropy",
          "labelDrift",
          "predictionDrift");

  private static final List<String> REFERENCE_ONLY_GAUGES =
      List.of(
          WindowMetricsCollector.WINDOW_KL,
          WindowMetricsCollector.WINDOW_KL_SUM,
          WindowMetricsCollector.WINDOW_CROSS_ENTROPY,
          WindowMetricsCollector.WINDOW_CROSS_ENTROPY_SUM,
          WindowMetricsCollector.WINDOW_LABEL_DRIFT,
          WindowMetricsCollector.WINDOW_PREDICTION_DRIFT);

  private static final ObjectMapper JSON = new ObjectMapper();

  private TopologyFixture fixture;
  private ServedTopology served;
  private DriverStateQueries queries;

  @BeforeEach
  void startTopologyAndServer() throws IOException {
    fixture =
        new TopologyFixture(
            TestConfigs.config("1m,5m", Duration.ofSeconds(10), Duration.ofMinutes(1)));
    fixture.publishReference(
        CHURN, "{\"model\": \"churn\", \"distribution\": {\"stay\": 0.7, \"leave\": 0.3}}");
    fixture.send(churn(T0.plusSeconds(5), 0.8, "stay")); // 1m [t0, t0+1m), 5m [t0, t0+5m)
    fixture.send(churn(T0.plusMillis(59_999), 0.4, "leave")); // the same windows
    fixture.send(churn(T0.plusSeconds(130), 0.5, "stay")); // 1m [t0+2m, t0+3m), 5m [t0, t0+5m)
    fixture.send(fraud(T0.plusSeconds(10), 0.9, "ok")); // 1m [t0, t0+1m), 5m [t0, t0+5m)
    fixture.send(fraud(T0.plusSeconds(20), 0.75, "fraud")); // the same windows
    // Class names with a quote and a backslash, escaped in metric labels.
    fixture.send(
        "{\"model\": \"team/fraud\", \"timestamp\": \""
            + T0.plusSeconds(30)
            + "\", "
            + "\"probabilities\": {\"a\\\"b\": 0.5, \"c\\\\d\": 0.5}, \"label\": \"a\\\"b\"}");
    fixture.send("{\"model\": "); // MALFORMED_JSON
    flush();
    // Stream time t0+6m40s: every window ending at or before t0+6m30s is final, [t0+6m, t0+7m)
    // and [t0+5m, t0+10m) stay open.
    fixture.send(churn(T0.plusSeconds(400), 0.8, "stay"));
    flush();
    fixture.send(churn(T0.plusSeconds(15), 0.8, "stay")); // late: [t0, t0+1m), [t0, t0+5m) final
    flush();

    served = ServedTopology.serve(fixture, WINDOWS, NOW);
    queries = served.queries;
  }

  @AfterEach
  void stopServerAndTopology() {
    if (served != null) {
      served.close();
    } else if (fixture != null) {
      fixture.close();
    }
  }

  private void flush() {
    fixture.advanceWallClock(Duration.ofSeconds(1));
  }

  private static String churn(final Instant time, final double stay, final String label) {
    return String.format(
        Locale.ROOT,
        "{\"model\": \"churn\", \"version\": \"v3\", \"timestamp\": \"%s\", "
            + "\"probabilities\": {\"stay\": %s, \"leave\": %s}, \"label\": \"%s\"}",
        time,
        stay,
        Math.round((1 - stay) * 1e9) / 1e9,
        label);
  }

  private static String fraud(final Instant time, final double ok, final String label) {
    return String.format(
        Locale.ROOT,
        "{\"model\": \"fraud:eu.v2\", \"version\": \"1.0\", \"timestamp\": \"%s\", "
            + "\"probabilities\": {\"ok\": %s, \"fraud\": %s}, \"label\": \"%s\"}",
        time,
        ok,
        Math.round((1 - ok) * 1e9) / 1e9,
        label);
  }

  // --- HTTP helpers ---

  private HttpResponse<String> get(final String pathAndQuery, final String... headers)
      throws IOException, InterruptedException {
    return served.get(pathAndQuery, headers);
  }

  private PrometheusText scrape() throws IOException, InterruptedException {
    final HttpResponse<String> response = get("/metrics");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
    return PrometheusText.parse(response.body());
  }

  private static JsonNode json(final HttpResponse<String> response) throws IOException {
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    return JSON.readTree(response.body());
  }

  private static List<String> fieldNames(final JsonNode node) {
    final List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static String[] windowLabels(final WindowResult window, final String... more) {
    final List<String> labels =
        new ArrayList<>(
            List.of(
                "model", window.model(), "version", window.version(), "window", window.window()));
    labels.addAll(List.of(more));
    return labels.toArray(String[]::new);
  }

  /** A gauge against a field of the expected window record, to 1e-9 relative. */
  private static void assertGauge(
      final PrometheusText metrics,
      final String gauge,
      final String[] labels,
      final JsonNode expected,
      final String field) {
    final JsonNode expectedValue = expected.get(field);
    if (expectedValue == null) {
      assertThat(metrics.value(gauge, labels))
          .as("%s %s: the record has no %s", gauge, String.join(",", labels), field)
          .isEmpty();
      return;
    }
    final double value = expectedValue.doubleValue();
    assertThat(metrics.value(gauge, labels))
        .as("%s %s", gauge, String.join(",", labels))
        .hasValueSatisfying(
            v ->
                assertThat(v)
                    .isCloseTo(
                        value, within(Math.max(1e-12, WindowRecords.RELATIVE * Math.abs(value)))));
  }

  // --- /metrics ---

  @Test
  void shouldExportEveryWindowGaugeAsTheLatestFinalWindowHoldsIt() throws Exception {
    final PrometheusText metrics = scrape();

    final List<WindowResult> latest = queries.latestWindows();
    assertThat(latest)
        .extracting(w -> w.model() + "@" + w.version() + "@" + w.window() + "@" + w.startMillis())
        .containsExactlyInAnyOrder(
            "churn@v3@1m@" + (T0_MILLIS + 120_000), // [t0+2m, t0+3m) is churn's latest 1m window
            "churn@v3@5m@" + T0_MILLIS,
            "fraud:eu.v2@1.0@1m@" + T0_MILLIS,
            "fraud:eu.v2@1.0@5m@" + T0_MILLIS,
            "team/fraud@@1m@" + T0_MILLIS,
            "team/fraud@@5m@" + T0_MILLIS);
    // Each gauge against the window record scikit-learn and SciPy give for these events.
    final JsonNode expectedWindows = WindowRecords.fixtures().get("httpApiTest");
    for (final WindowResult window : latest) {
      final String[] labels = windowLabels(window);
      final JsonNode expected = expectedWindows.get(window.topicKey());
      assertThat(expected).as(window.topicKey()).isNotNull();
      assertThat(metrics.value(WindowMetricsCollector.WINDOW_PREDICTIONS, labels))
          .hasValue(expected.get("predictions").doubleValue());
      assertGauge(metrics, WindowMetricsCollector.WINDOW_LOG_LOSS, labels, expected, "logLossMean");
      assertGauge(
          metrics, WindowMetricsCollector.WINDOW_LOG_LOSS_SUM, labels, expected, "logLossSum");
      // The calibration gauges, the names of docs/reference.md#gauges written out.
      final Map<String, String> calibrationGauges = new LinkedHashMap<>();
      calibrationGauges.put("modelmon_window_referenced_predictions", "referencedPredictions");
      calibrationGauges.put("modelmon_window_labelled_predictions", "labelled");
      calibrationGauges.put("modelmon_window_prediction_entropy_nats", "predictionEntropyMean");
      calibrationGauges.put("modelmon_window_excess_log_loss_nats", "excessLogLossMean");
      calibrationGauges.put("modelmon_window_calibration_z", "calibrationZ");
      calibrationGauges.put("modelmon_window_brier_score", "brierScoreMean");
      calibrationGauges.put("modelmon_window_accuracy_ratio", "accuracy");
      calibrationGauges.put("modelmon_window_confidence_ratio", "meanConfidence");
      calibrationGauges.put("modelmon_window_calibration_error_ratio", "calibrationError");
      calibrationGauges.forEach(
          (gauge, field) -> assertGauge(metrics, gauge, labels, expected, field));
      assertThat(metrics.value(WindowMetricsCollector.WINDOW_END, labels))
          .hasValue(expected.get("endMillis").longValue() / 1000.0);
      final JsonNode classLogLoss = expected.get("classLogLoss");
      assertThat(
              metrics.samples(WindowMetricsCollector.WINDOW_CLASS_LOG_LOSS).stream()
                  .filter(s -> s.labels().get("model").equals(window.model()))
                  .filter(s -> s.labels().get("version").equals(window.version()))
                  .filter(s -> s.labels().get("window").equals(window.window())))
          .as("one class series per labelled class")
          .hasSize(classLogLoss.size());
      final List<String> labelledClasses = new ArrayList<>();
      classLogLoss.fieldNames().forEachRemaining(labelledClasses::add);
      for (final String className : labelledClasses) {
        assertGauge(
            metrics,
            WindowMetricsCollector.WINDOW_CLASS_LOG_LOSS,
            windowLabels(window, "class", className),
            classLogLoss,
            className);
      }
      if (window.model().equals(CHURN)) {
        assertGauge(
            metrics, WindowMetricsCollector.WINDOW_KL, labels, expected, "klDivergenceMean");
        assertGauge(
            metrics, WindowMetricsCollector.WINDOW_KL_SUM, labels, expected, "klDivergenceSum");
        assertGauge(
            metrics,
            WindowMetricsCollector.WINDOW_CROSS_ENTROPY,
            labels,
            expected,
            "referenceCrossEntropyMean");
        assertGauge(
            metrics,
            WindowMetricsCollector.WINDOW_CROSS_ENTROPY_SUM,
            labels,
            expected,
            "referenceCrossEntropySum");
        assertGauge(
            metrics, WindowMetricsCollector.WINDOW_LABEL_DRIFT, labels, expected, "labelDrift");
        assertGauge(
            metrics,
            WindowMetricsCollector.WINDOW_PREDICTION_DRIFT,
            labels,
            expected,
            "predictionDrift");
      }
    }
    // The class with a quote in its name survives the label escaping; the unlabelled one has no
    // class log loss.
    assertThat(
            metrics.value(
                WindowMetricsCollector.WINDOW_CLASS_LOG_LOSS,
                "model",
                TEAM,
                "version",
                "",
                "window",
                "1m",
                "class",
                "a\"b"))
        .hasValueSatisfying(v -> assertThat(v).isCloseTo(0.6931471805599453, within(EXACT)));
    // By hand for churn's latest 5m window [t0, t0+5m): −ln 0.8 − ln 0.6 − ln 0.5.
    assertThat(
            metrics.value(
                WindowMetricsCollector.WINDOW_LOG_LOSS_SUM,
                "model",
                CHURN,
                "version",
                "v3",
                "window",
                "5m"))
        .hasValueSatisfying(v -> assertThat(v).isCloseTo(1.4271163556401458, within(EXACT)));
  }

  @Test
  void shouldLeaveOutReferenceOnlyGaugesForModelsWithoutReference() throws Exception {
    final PrometheusText metrics = scrape();

    for (final String gauge : REFERENCE_ONLY_GAUGES) {
      assertThat(metrics.samples(gauge))
          .as(gauge)
          .isNotEmpty()
          .allSatisfy(sample -> assertThat(sample.labels()).containsEntry("model", CHURN));
    }
    assertThat(metrics.samples(WindowMetricsCollector.REFERENCE_ENTROPY))
        .singleElement()
        .satisfies(sample -> assertThat(sample.labels()).containsEntry("model", CHURN));
  }

  @Test
  void shouldExportCountersAsCountedByHand() throws Exception {
    final PrometheusText metrics = scrape();

    // churn@v3: five valid events (one of them late), labels stay ×4 and leave ×1;
    // Σ log loss = 3·(−ln 0.8) − ln 0.6 − ln 0.5.
    assertThat(metrics.value(ModelmonMetrics.PREDICTIONS, "model", CHURN, "version", "v3"))
        .hasValue(5.0);
    assertThat(metrics.value(ModelmonMetrics.LOG_LOSS, "model", CHURN, "version", "v3"))
        .hasValueSatisfying(v -> assertThat(v).isCloseTo(1.873403458268565, within(EXACT)));
    assertThat(
            metrics.value(ModelmonMetrics.LABELS, "model", CHURN, "version", "v3", "class", "stay"))
        .hasValue(4.0);
    assertThat(
            metrics.value(
                ModelmonMetrics.LABELS, "model", CHURN, "version", "v3", "class", "leave"))
        .hasValue(1.0);
    assertThat(
            metrics.value(ModelmonMetrics.REFERENCED_PREDICTIONS, "model", CHURN, "version", "v3"))
        .hasValue(5.0);
    assertThat(metrics.value(ModelmonMetrics.LATE_EVENTS, "model", CHURN, "version", "v3"))
        .hasValue(1.0);

    // fraud:eu.v2@1.0: −ln 0.9 − ln 0.25.
    assertThat(metrics.value(ModelmonMetrics.PREDICTIONS, "model", FRAUD, "version", "1.0"))
        .hasValue(2.0);
    assertThat(metrics.value(ModelmonMetrics.LOG_LOSS, "model", FRAUD, "version", "1.0"))
        .hasValueSatisfying(v -> assertThat(v).isCloseTo(1.491654876777717, within(EXACT)));
    assertThat(
            metrics.value(ModelmonMetrics.LABELS, "model", FRAUD, "version", "1.0", "class", "ok"))
        .hasValue(1.0);
    assertThat(
            metrics.value(
                ModelmonMetrics.LABELS, "model", FRAUD, "version", "1.0", "class", "fraud"))
        .hasValue(1.0);

    // team/fraud: −ln 0.5, one label of the class a"b and none of c\d.
    assertThat(metrics.value(ModelmonMetrics.PREDICTIONS, "model", TEAM, "version", ""))
        .hasValue(1.0);
    assertThat(metrics.value(ModelmonMetrics.LOG_LOSS, "model", TEAM, "version", ""))
        .hasValueSatisfying(v -> assertThat(v).isCloseTo(0.6931471805599453, within(EXACT)));
    assertThat(metrics.value(ModelmonMetrics.LABELS, "model", TEAM, "version", "", "class", "a\"b"))
        .hasValue(1.0);
    assertThat(metrics.value(ModelmonMetrics.LABELS, "model", TEAM, "version", "", "class", "c\\d"))
        .isEmpty();

    for (final InvalidReason reason : InvalidReason.values()) {
      if (reason.appliesToPredictions()) {
        assertThat(metrics.value(ModelmonMetrics.INVALID_EVENTS, "reason", reason.name()))
            .as(reason.name())
            .hasValue(reason == InvalidReason.MALFORMED_JSON ? 1.0 : 0.0);
      } else {
        assertThat(metrics.value(ModelmonMetrics.INVALID_EVENTS, "reason", reason.name()))
            .as("a reason of labels only: " + reason.name())
            .isEmpty();
      }
      if (reason.appliesToLabels()) {
        assertThat(metrics.value(LabelJoinMetrics.INVALID_LABELS, "reason", reason.name()))
            .as(reason.name())
            .hasValue(0.0);
      }
    }
    assertThat(metrics.value(ModelmonMetrics.INVALID_REFERENCES)).hasValue(0.0);
  }

  @Test
  void shouldExportCalibrationCountersAsCountedByHand() throws Exception {
    final PrometheusText metrics = scrape();
    final String[] fraud = {"model", FRAUD, "version", "1.0"};

    // fraud:eu.v2@1.0: q = (0.9, 0.1) labelled ok, q = (0.75, 0.25) labelled fraud.
    assertThat(metrics.value("modelmon_labelled_predictions_total", fraud)).hasValue(2.0);
    // H(0.9, 0.1) + H(0.75, 0.25), by scipy.stats.entropy, over all and over labelled events.
    for (final String entropy :
        List.of(
            "modelmon_prediction_entropy_nats_total",
            "modelmon_labelled_prediction_entropy_nats_total")) {
      assertThat(metrics.value(entropy, fraud))
          .as(entropy)
          .hasValueSatisfying(v -> assertThat(v).isCloseTo(0.8874181180102565, within(EXACT)));
    }
    // Brier 0.1² + 0.1² and 0.75² + 0.75²; only the first top class is the label.
    assertThat(metrics.value("modelmon_brier_score_total", fraud))
        .hasValueSatisfying(v -> assertThat(v).isCloseTo(1.145, within(EXACT)));
    assertThat(metrics.value("modelmon_correct_predictions_total", fraud)).hasValue(1.0);
    // Confidence 0.9 in the bin up to 1, 0.75 in the bin up to 0.8; every bin has a series.
    final Map<String, Double> labelled = new TreeMap<>();
    final Map<String, Double> confidence = new TreeMap<>();
    final Map<String, Double> correct = new TreeMap<>();
    for (final String bin :
        List.of("0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1")) {
      final String[] binLabels = {"model", FRAUD, "version", "1.0", "bin", bin};
      labelled.put(bin, metrics.value("modelmon_calibration_labelled_total", binLabels).get());
      confidence.put(bin, metrics.value("modelmon_calibration_confidence_total", binLabels).get());
      correct.put(bin, metrics.value("modelmon_calibration_correct_total", binLabels).get());
    }
    assertThat(labelled).containsEntry("1", 1.0).containsEntry("0.8", 1.0);
    assertThat(labelled.values().stream().mapToDouble(Double::doubleValue).sum()).isEqualTo(2.0);
    assertThat(confidence).containsEntry("1", 0.9).containsEntry("0.8", 0.75);
    assertThat(correct).containsEntry("1", 1.0).containsEntry("0.8", 0.0);
    assertThat(
            metrics.samples("modelmon_calibration_labelled_total").stream()
                .filter(s -> s.labels().get("model").equals(FRAUD)))
        .hasSize(10);
  }

  @Test
  void shouldExportTheReferenceDistributionPerClass() throws Exception {
    final PrometheusText metrics = scrape();

    // churn's reference p = {stay: 0.7, leave: 0.3}; the models without one have no series.
    assertThat(
            metrics.value(
                "modelmon_reference_probability", "model", CHURN, "version", "v3", "class", "stay"))
        .hasValue(0.7);
    assertThat(
            metrics.value(
                "modelmon_reference_probability",
                "model",
                CHURN,
                "version",
                "v3",
                "class",
                "leave"))
        .hasValue(0.3);
    assertThat(metrics.samples("modelmon_reference_probability")).hasSize(2);
  }

  @Test
  void shouldExportReferenceEntropyLastEventTimeAndWatermark() throws Exception {
    final PrometheusText metrics = scrape();

    assertThat(
            metrics.value(
                WindowMetricsCollector.REFERENCE_ENTROPY, "model", CHURN, "version", "v3"))
        .hasValueSatisfying(v -> assertThat(v).isCloseTo(0.6108643020548935, within(EXACT)));
    // The largest event time, not the last one read: the late event at t0+15s came after.
    assertThat(metrics.value(WindowMetricsCollector.LAST_EVENT, "model", CHURN, "version", "v3"))
        .hasValue((T0_MILLIS + 400_000) / 1000.0);
    assertThat(metrics.value(WindowMetricsCollector.LAST_EVENT, "model", FRAUD, "version", "1.0"))
        .hasValue((T0_MILLIS + 20_000) / 1000.0);
    assertThat(metrics.value(WindowMetricsCollector.LAST_EVENT, "model", TEAM, "version", ""))
        .hasValue((T0_MILLIS + 30_000) / 1000.0);
    assertThat(metrics.value(WatermarkGauge.NAME)).hasValue((T0_MILLIS + 400_000) / 1000.0);
  }

  @Test
  void shouldDescribeEveryModelmonMetricWithHelpAndType() throws Exception {
    final PrometheusText metrics = scrape();

    final List<String> counters =
        List.of(
            ModelmonMetrics.PREDICTIONS,
            ModelmonMetrics.LOG_LOSS,
            ModelmonMetrics.REFERENCED_PREDICTIONS,
            ModelmonMetrics.KL_DIVERGENCE,
            ModelmonMetrics.REFERENCE_CROSS_ENTROPY,
            ModelmonMetrics.LABELS,
            ModelmonMetrics.INVALID_EVENTS,
            ModelmonMetrics.INVALID_REFERENCES,
            ModelmonMetrics.LATE_EVENTS,
            // The calibration counters, as the reference documents them.
            "modelmon_labelled_predictions_total",
            "modelmon_prediction_entropy_nats_total",
            "modelmon_labelled_prediction_entropy_nats_total",
            "modelmon_brier_score_total",
            "modelmon_correct_predictions_total",
            "modelmon_calibration_labelled_total",
            "modelmon_calibration_confidence_total",
            "modelmon_calibration_correct_total",
            // Of labels that come later, every reason at 0 from the start.
            LabelJoinMetrics.INVALID_LABELS);
    final List<String> gauges =
        List.of(
            WindowMetricsCollector.WINDOW_PREDICTIONS,
            WindowMetricsCollector.WINDOW_LOG_LOSS,
            WindowMetricsCollector.WINDOW_LOG_LOSS_SUM,
            WindowMetricsCollector.WINDOW_KL,
            WindowMetricsCollector.WINDOW_KL_SUM,
            WindowMetricsCollector.WINDOW_CROSS_ENTROPY,
            WindowMetricsCollector.WINDOW_CROSS_ENTROPY_SUM,
            WindowMetricsCollector.WINDOW_LABEL_DRIFT,
            WindowMetricsCollector.WINDOW_PREDICTION_DRIFT,
            WindowMetricsCollector.WINDOW_CLASS_LOG_LOSS,
            WindowMetricsCollector.WINDOW_END,
            WindowMetricsCollector.REFERENCE_ENTROPY,
            WindowMetricsCollector.LAST_EVENT,
            "modelmon_window_referenced_predictions",
            "modelmon_window_labelled_predictions",
            "modelmon_window_prediction_entropy_nats",
            "modelmon_window_excess_log_loss_nats",
            "modelmon_window_calibration_z",
            "modelmon_window_brier_score",
            "modelmon_window_accuracy_ratio",
            "modelmon_window_confidence_ratio",
            "modelmon_window_calibration_error_ratio",
            "modelmon_reference_probability",
            // The detector's, while every model warms up (no baseline gauge yet).
            "modelmon_drift_statistic",
            "modelmon_drift_threshold",
            "modelmon_drift_alarm",
            WatermarkGauge.NAME,
            HealthGauges.READY,
            HealthGauges.BROKER_REACHABLE);
    for (final String counter : counters) {
      assertThat(metrics.type()).as(counter).containsEntry(counter, "counter");
    }
    for (final String gauge : gauges) {
      assertThat(metrics.type()).as(gauge).containsEntry(gauge, "gauge");
    }
    final List<String> exported =
        metrics.samples().stream()
            .map(PrometheusText.Sample::name)
            .filter(name -> name.startsWith("modelmon_"))
            .distinct()
            .toList();
    assertThat(exported)
        .containsExactlyInAnyOrderElementsOf(
            Stream.concat(counters.stream(), gauges.stream()).toList());
    for (final String name : exported) {
      assertThat(metrics.help()).as(name).hasEntrySatisfying(name, h -> assertThat(h).isNotBlank());
    }
  }

  @Test
  void shouldAnswerOpenMetricsWhenAskedForIt() throws Exception {
    final HttpResponse<String> response =
        get("/metrics", "Accept", "application/openmetrics-text; version=1.0.0");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(
            type -> assertThat(type).startsWith("application/openmetrics-text; version=1.0.0"));
    assertThat(response.body()).endsWith("# EOF\n");
    assertThat(response.body())
        .contains("# TYPE modelmon_predictions counter")
        .contains("modelmon_predictions_total{model=\"churn\",version=\"v3\"} 5.0");
  }

  // --- health ---

  @Test
  void shouldAnswerLiveWhileTheProcessIsUp() throws Exception {
    served.streamState.set("REBALANCING");

    final HttpResponse<String> response = get("/health/live");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response)).isEqualTo(JSON.readTree("{\"status\": \"UP\"}"));
  }

  @Test
  void shouldAnswerReadyOnlyWhileTheStreamIsRunning() throws Exception {
    served.streamState.set("REBALANCING");
    final HttpResponse<String> rebalancing = get("/health/ready");
    assertThat(rebalancing.statusCode()).isEqualTo(503);
    assertThat(json(rebalancing))
        .isEqualTo(JSON.readTree("{\"status\": \"REBALANCING\", \"broker\": \"reachable\"}"));

    served.streamState.set("RUNNING");
    final HttpResponse<String> running = get("/health/ready");
    assertThat(running.statusCode()).isEqualTo(200);
    assertThat(fieldNames(json(running))).containsExactly("status", "broker");
    assertThat(json(running))
        .isEqualTo(JSON.readTree("{\"status\": \"RUNNING\", \"broker\": \"reachable\"}"));
  }

  @ParameterizedTest(name = "stream {0}, broker unreachable -> 503")
  @ValueSource(strings = {"RUNNING", "REBALANCING", "STARTING"})
  void shouldAnswerNotReadyWhileTheBrokerIsUnreachable(final String state) throws Exception {
    // Kafka Streams stays RUNNING through a broker outage: only the probe tells.
    served.streamState.set(state);
    served.brokerReachable.set(false);

    final HttpResponse<String> response = get("/health/ready");

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(json(response))
        .isEqualTo(JSON.readTree("{\"status\": \"" + state + "\", \"broker\": \"unreachable\"}"));
  }

  @Test
  void shouldAnswerReadyAgainOnceTheBrokerAnswers() throws Exception {
    served.brokerReachable.set(false);
    assertThat(get("/health/ready").statusCode()).isEqualTo(503);

    served.brokerReachable.set(true);
    final HttpResponse<String> response = get("/health/ready");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response).get("broker").asText()).isEqualTo("reachable");
    // Liveness never depends on the broker: a restart would not bring the cluster back.
    served.brokerReachable.set(false);
    assertThat(get("/health/live").statusCode()).isEqualTo(200);
  }

  // --- /api/v1 ---

  @Test
  void shouldListModelsSortedByModelAndVersion() throws Exception {
    final HttpResponse<String> response = get("/api/v1/models");

    assertThat(response.statusCode()).isEqualTo(200);
    final JsonNode models = json(response);
    assertThat(models.isArray()).isTrue();
    assertThat(models).hasSize(3);
    models.forEach(
        model ->
            assertThat(fieldNames(model))
                .containsExactly(
                    "model", "version", "lastEventTime", "lastEventMillis", "predictions"));
    // Predictions count every valid event, the late one included.
    assertThat(models)
        .isEqualTo(
            JSON.readTree(
                "["
                    + "{\"model\": \"churn\", \"version\": \"v3\","
                    + " \"lastEventTime\": \"2026-11-28T14:06:40Z\","
                    + " \"lastEventMillis\": 1795874800000, \"predictions\": 5},"
                    + "{\"model\": \"fraud:eu.v2\", \"version\": \"1.0\","
                    + " \"lastEventTime\": \"2026-11-28T14:00:20Z\","
                    + " \"lastEventMillis\": 1795874420000, \"predictions\": 2},"
                    + "{\"model\": \"team/fraud\", \"version\": \"\","
                    + " \"lastEventTime\": \"2026-11-28T14:00:30Z\","
                    + " \"lastEventMillis\": 1795874430000, \"predictions\": 1}"
                    + "]"));
  }

  /**
   * Asks for windows and checks each item, field by field, against the record scikit-learn and
   * SciPy give for its events.
   */
  private List<String> windows(final String pathAndQuery) throws Exception {
    final HttpResponse<String> response = get(pathAndQuery);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    final JsonNode items = json(response);
    assertThat(items.isArray()).isTrue();
    final List<String> found = new ArrayList<>();
    for (final JsonNode item : items) {
      final WindowResult result = JSON.treeToValue(item, WindowResult.class);
      final List<String> expectedFields = new ArrayList<>(WINDOW_RECORD_FIELDS);
      if (!result.model().equals(CHURN)) {
        expectedFields.removeAll(REFERENCE_ONLY_FIELDS);
      }
      final JsonNode expected = WindowRecords.fixtures().get("httpApiTest").get(result.topicKey());
      if (!expected.has("calibrationZ")) {
        expectedFields.remove("calibrationZ"); // ΣV(q) = 0: every prediction 50/50
      }
      assertThat(fieldNames(item)).containsExactlyElementsOf(expectedFields);
      WindowRecords.assertMatches(result.topicKey(), item, expected);
      found.add(
          result.model()
              + "@"
              + result.version()
              + "@"
              + result.window()
              + "@+"
              + (result.startMillis() - T0_MILLIS) / 1000
              + "s");
    }
    return found;
  }

  @Test
  void shouldListTheWindowsOfAModelOrderedByStart() throws Exception {
    assertThat(windows("/api/v1/models/churn/windows"))
        .containsExactly("churn@v3@1m@+0s", "churn@v3@5m@+0s", "churn@v3@1m@+120s");
  }

  @Test
  void shouldLeaveOutReferenceFieldsInWindowsOfAModelWithoutReference() throws Exception {
    assertThat(windows("/api/v1/models/fraud:eu.v2/windows"))
        .containsExactly("fraud:eu.v2@1.0@1m@+0s", "fraud:eu.v2@1.0@5m@+0s");
  }

  @Test
  void shouldFilterWindowsByVersionWindowAndTime() throws Exception {
    assertThat(windows("/api/v1/models/churn/windows?version=v3&window=1m"))
        .containsExactly("churn@v3@1m@+0s", "churn@v3@1m@+120s");
    assertThat(windows("/api/v1/models/churn/windows?window=5m"))
        .containsExactly("churn@v3@5m@+0s");
    // from and to bound the window start, both inclusive.
    assertThat(windows("/api/v1/models/churn/windows?from=" + (T0_MILLIS + 1)))
        .containsExactly("churn@v3@1m@+120s");
    assertThat(windows("/api/v1/models/churn/windows?from=2026-11-28T14:02:00Z"))
        .containsExactly("churn@v3@1m@+120s");
    assertThat(windows("/api/v1/models/churn/windows?to=" + T0_MILLIS))
        .containsExactly("churn@v3@1m@+0s", "churn@v3@5m@+0s");
    assertThat(
            windows(
                "/api/v1/models/churn/windows?from=2026-11-28T14:00:00.001Z"
                    + "&to=2026-11-28T14:01:59.999Z"))
        .isEmpty();
    // Without from, the last 24 hours before to.
    assertThat(windows("/api/v1/models/churn/windows?to=2026-11-29T14:01:00Z"))
        .containsExactly("churn@v3@1m@+120s");
  }

  @Test
  void shouldReturnTheEarliestWindowsWhenLimited() throws Exception {
    // The earliest by start across both window sizes, not the first ones of the 1m series.
    assertThat(windows("/api/v1/models/churn/windows?limit=2"))
        .containsExactly("churn@v3@1m@+0s", "churn@v3@5m@+0s");
    assertThat(windows("/api/v1/models/churn/windows?limit=1")).containsExactly("churn@v3@1m@+0s");
  }

  @Test
  void shouldDecodeModelNamesInThePath() throws Exception {
    assertThat(windows("/api/v1/models/fraud%3Aeu.v2/windows?version=1.0&window=5m"))
        .containsExactly("fraud:eu.v2@1.0@5m@+0s");
    assertThat(windows("/api/v1/models/team%2Ffraud/windows"))
        .containsExactly("team/fraud@@1m@+0s", "team/fraud@@5m@+0s");
  }

  @Test
  void shouldSelectTheEmptyVersionWithAnEmptyVersionParameter() throws Exception {
    assertThat(windows("/api/v1/models/team%2Ffraud/windows?version="))
        .containsExactly("team/fraud@@1m@+0s", "team/fraud@@5m@+0s");
    // churn has only v3: an empty version is a version it does not have, not "any version".
    assertThat(get("/api/v1/models/churn/windows?version=").statusCode()).isEqualTo(404);
  }

  @Test
  void shouldListTheDetectorStateOfEveryModelAndVersion() throws Exception {
    // Every (model, version) with a final 1m window (the detector's): none has 20 labelled events
    // in a window, so each is still warming up, with no evidence window learnt yet.
    for (final String path :
        List.of("/api/v1/alarms", "/api/v1/alarms/", "/api/v1/alarms?local=true")) {
      final HttpResponse<String> response = get(path);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      final JsonNode alarms = json(response);
      assertThat(alarms)
          .extracting(a -> a.get("model").asText() + "@" + a.get("version").asText())
          .as(path)
          .containsExactly(CHURN + "@v3", FRAUD + "@1.0", TEAM + "@");
      for (final JsonNode alarm : alarms) {
        assertThat(fieldNames(alarm))
            .containsExactly(
                "model",
                "version",
                "state",
                "window",
                "statistic",
                "threshold",
                "warmupWindows",
                "lastWindowStart",
                "lastWindowEnd",
                "lastWindowStartMillis",
                "lastWindowEndMillis");
        assertThat(alarm.get("state").asText()).isEqualTo("WARMUP");
        assertThat(alarm.get("window").asText()).isEqualTo("1m");
        assertThat(alarm.get("statistic").asDouble()).isZero();
        assertThat(alarm.get("threshold").asDouble()).isEqualTo(9.0);
        assertThat(alarm.get("warmupWindows").asInt()).isZero();
      }
      // churn's last final 1m window is [t0+2m, t0+3m).
      assertThat(alarms.get(0).get("lastWindowStartMillis").asLong())
          .isEqualTo(T0_MILLIS + 120_000);
      assertThat(alarms.get(0).get("lastWindowEnd").asText()).isEqualTo("2026-11-28T14:03:00Z");
    }
  }

  @ParameterizedTest(name = "GET {0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "/api/v1/models/nope/windows | 404",
        "/api/v1/models/churn/windows?version=v9 | 404",
        "/api/v1/models/team/fraud/windows | 404",
        "/api/v1/models/churn/windows?window=2m | 400",
        "/api/v1/models/churn/windows?from=yesterday | 400",
        "/api/v1/models/churn/windows?from=1795874400001&to=1795874400000 | 400",
        "/api/v1/models/churn/windows?limit=0 | 400",
        "/api/v1/models/churn/windows?limit=ten | 400",
        "/api/v1/models/churn/windows?window=1m&window=5m | 400",
        "/api/v1/models/churn | 404",
        "/api/v1/models/churn/windows/extra | 404",
        "/api/v1/modelsXchurn/windows | 404",
        "/api/v1/alarmsX | 404",
        "/api/v1/alarms/churn | 404",
        "/api/v1/nothing | 404",
        "/health/live/deeper | 404",
        "/no/such/path | 404"
      })
  void shouldAnswerErrorsAsJson(final String pathAndQuery, final int status) throws Exception {
    final HttpResponse<String> response = get(pathAndQuery);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    final JsonNode body = json(response);
    assertThat(fieldNames(body)).containsExactly("error");
    assertThat(body.get("error").asText()).isNotBlank();
  }

  @Test
  void shouldRefuseOtherMethodsThanGet() throws Exception {
    for (final String path :
        List.of("/api/v1/models", "/api/v1/models/churn/windows", "/health/live")) {
      final HttpResponse<String> response = served.send(path, "POST");

      assertThat(response.statusCode()).as(path).isEqualTo(405);
      assertThat(fieldNames(json(response))).containsExactly("error");
    }
  }

  @Test
  void shouldAnswer503WhileTheStateCannotBeQueried() throws Exception {
    queries.ready(false);

    for (final String path : List.of("/api/v1/models", "/api/v1/models/churn/windows")) {
      final HttpResponse<String> response = get(path);

      assertThat(response.statusCode()).as(path).isEqualTo(503);
      assertThat(fieldNames(json(response))).containsExactly("error");
    }
  }

  // --- the status page's files ---

  @ParameterizedTest(name = "GET {0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "/ | text/html; charset=utf-8 | <script src=\"static/app.js\" defer></script>",
        "/static/app.js | text/javascript; charset=utf-8 | textContent",
        "/static/style.css | text/css; charset=utf-8 | .chart",
        "/static/favicon.svg | image/svg+xml | <svg",
        "/static/vendor/uplot/dist/uPlot.iife.min.js | text/javascript; charset=utf-8 | uPlot",
        "/static/vendor/uplot/dist/uPlot.min.css | text/css; charset=utf-8 | .uplot",
        "/static/app.js?v=2 | text/javascript; charset=utf-8 | textContent"
      })
  void shouldServeTheStatusPageFilesFromTheClasspath(
      final String path, final String contentType, final String excerpt) throws Exception {
    final HttpResponse<String> response = get(path);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue(contentType);
    assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-cache");
    assertThat(response.headers().firstValue("ETag"))
        .hasValueSatisfying(etag -> assertThat(etag).matches("\"[0-9a-f]{32}\""));
    assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(response.body()).contains(excerpt);
  }

  @Test
  void shouldForbidScriptsFromElsewhereOnThePage() throws Exception {
    final HttpResponse<String> response = get("/");

    assertThat(response.headers().firstValue("Content-Security-Policy"))
        .hasValueSatisfying(policy -> assertThat(policy).startsWith("default-src 'self';"));
    // Everything the page loads comes from this server.
    assertThat(response.body()).doesNotContain("http:", "https:", "//cdn");
  }

  @Test
  void shouldAnswerNotModifiedWhenTheBrowserHoldsTheSameFile() throws Exception {
    final String etag = get("/static/app.js").headers().firstValue("ETag").orElseThrow();

    final HttpResponse<String> same = get("/static/app.js", "If-None-Match", etag);
    final HttpResponse<String> other = get("/static/app.js", "If-None-Match", "\"0\"");

    assertThat(same.statusCode()).isEqualTo(304);
    assertThat(same.body()).isEmpty();
    assertThat(other.statusCode()).isEqualTo(200);
  }

  @Test
  void shouldAnswerHeadWithoutBody() throws Exception {
    final HttpResponse<String> response = served.send("/", "HEAD");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(response.body()).isEmpty();
  }

  @ParameterizedTest(name = "GET {0} -> 404")
  @ValueSource(
      strings = {
        "/index.html",
        "/static",
        "/static/",
        "/static/nope.js",
        "/static/.app.js",
        "/static//app.js",
        "/static/app.js/",
        "/static/../HttpApi.class",
        "/static/./app.js",
        "/static/%2e%2e/HttpApi.class",
        "/static/..%2fHttpApi.class",
        "/static/app%2ejs",
        "/static/vendor",
        "/static/vendor/uplot/dist",
        "/static/vendor/uplot/package.json",
        "/static/vendor/uplot/dist/uPlot.d.ts",
        "/static/vendor/uplot/../../../../../logback.xml",
        "/static/vendor/uplot/..%2f..%2fuplot/pom.properties",
        "/static/vendor/other/app.js",
        "/static/org/modelmon/http/static/app.js",
        "/logback.xml",
        "/org/modelmon/http/static/app.js"
      })
  void shouldServeNoFileOutsideTheStaticFolders(final String path) throws Exception {
    final HttpResponse<String> response = get(path);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(404);
    assertThat(fieldNames(json(response))).containsExactly("error");
  }

  @Test
  void shouldRefuseOtherMethodsOnTheStatusPage() throws Exception {
    for (final String path : List.of("/", "/static/app.js")) {
      final HttpResponse<String> response = served.send(path, "POST");

      assertThat(response.statusCode()).as(path).isEqualTo(405);
      assertThat(fieldNames(json(response))).containsExactly("error");
    }
  }
}
