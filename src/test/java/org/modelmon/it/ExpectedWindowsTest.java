package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.modelmon.testing.PrometheusText;
import org.modelmon.testing.WindowRecords;

/**
 * {@link ExpectedWindows}, on which every multi-partition integration test rests, against whole
 * window records computed with scikit-learn and SciPy ({@code fixtures/window-fixtures.json}, made
 * by {@code generate_window_fixtures.py}); and its comparison, which must be able to fail.
 */
class ExpectedWindowsTest {

  private static final long T0 = 1795874400000L;

  private static final JsonNode CASE = WindowRecords.fixtures().get("expectedWindowsTest");

  private static ExpectedWindows fromFixtureEvents() {
    final ExpectedWindows expected = new ExpectedWindows(Map.of("1m", 60_000L, "5m", 300_000L));
    final JsonNode reference = CASE.get("reference");
    expected.reference("churn", strings(reference.get("classes")), doubles(reference.get("p")));
    CASE.get("events")
        .fields()
        .forEachRemaining(
            model -> {
              for (final JsonNode event : model.getValue()) {
                expected.add(
                    new ExpectedWindows.Event(
                        model.getKey(),
                        "",
                        T0 + event.get("offsetMillis").asLong(),
                        strings(event.get("classes")),
                        doubles(event.get("q")),
                        event.get("label").asInt()));
              }
            });
    return expected;
  }

  @Test
  void shouldComputeEveryFieldAsScikitLearnAndSciPyDo() {
    final ExpectedWindows expected = fromFixtureEvents();
    final JsonNode windows = CASE.get("windows");

    final List<String> keys = new ArrayList<>();
    windows.fieldNames().forEachRemaining(keys::add);
    assertThat(expected.byKey().keySet()).containsExactlyInAnyOrderElementsOf(keys);
    for (final String key : keys) {
      // The fixture's records have every field, referencedPredictions included.
      final JsonNode fromLibraries = windows.get(key);
      ExpectedWindows.assertMatches(key, fromLibraries, expected.byKey().get(key));
      assertThat(fromLibraries.has("referencedPredictions")).isTrue();
    }
  }

  @Test
  void shouldComputeBothSidesApartAsScikitLearnAndSciPyDo() {
    // Predictions that are never labelled, labels inline, and labels joined later at an outcome
    // time in another window, before the prediction's too: windows with outcomes only and with
    // predictions only among them.
    final JsonNode sides = WindowRecords.fixtures().get("expectedWindowsSidesTest");
    final ExpectedWindows expected = new ExpectedWindows(Map.of("1m", 60_000L, "5m", 300_000L));
    final JsonNode reference = sides.get("reference");
    expected.reference("churn", strings(reference.get("classes")), doubles(reference.get("p")));
    sides
        .get("events")
        .fields()
        .forEachRemaining(
            model -> {
              for (final JsonNode event : model.getValue()) {
                final boolean labelled = !event.get("label").isNull();
                final ExpectedWindows.Event prediction =
                    new ExpectedWindows.Event(
                        model.getKey(),
                        "",
                        T0 + event.get("offsetMillis").asLong(),
                        strings(event.get("classes")),
                        doubles(event.get("q")),
                        labelled ? event.get("label").asInt() : -1);
                if (!labelled) {
                  expected.addPrediction(prediction);
                } else if (event.get("outcomeOffsetMillis").isNull()) {
                  expected.add(prediction);
                } else {
                  expected.addPrediction(prediction);
                  expected.addOutcome(prediction, T0 + event.get("outcomeOffsetMillis").asLong());
                }
              }
            });
    final JsonNode windows = sides.get("windows");

    final List<String> keys = new ArrayList<>();
    windows.fieldNames().forEachRemaining(keys::add);
    assertThat(expected.byKey().keySet()).containsExactlyInAnyOrderElementsOf(keys);
    for (final String key : keys) {
      ExpectedWindows.assertMatches(key, windows.get(key), expected.byKey().get(key));
    }
    // Both kinds of one-sided window are among them.
    assertThat(keys)
        .anySatisfy(key -> assertThat(windows.get(key).get("predictions").asLong()).isZero())
        .anySatisfy(key -> assertThat(windows.get(key).get("labelled").asLong()).isZero());
  }

  @Test
  void shouldFailOnAFieldTheExpectedRecordDoesNotKnow() {
    final ExpectedWindows.Expected churn = fromFixtureEvents().byKey().get("churn@@1m@" + T0);
    final ObjectNode actual = churn.record();
    actual.put("brierScoreSum", 0.25);

    assertThatThrownBy(() -> ExpectedWindows.assertMatches("churn", actual, churn))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("brierScoreSum");
  }

  @Test
  void shouldFailOnAMissingField() {
    final ExpectedWindows.Expected churn = fromFixtureEvents().byKey().get("churn@@1m@" + T0);
    final ObjectNode actual = churn.record();
    actual.remove("predictionDrift");

    assertThatThrownBy(() -> ExpectedWindows.assertMatches("churn", actual, churn))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("predictionDrift");
  }

  @Test
  void shouldFailOnAValueOffByMoreThanTheTolerance() {
    final ExpectedWindows.Expected churn = fromFixtureEvents().byKey().get("churn@@1m@" + T0);
    final ObjectNode actual = churn.record();
    final double drift = actual.get("labelDrift").doubleValue();
    actual.put("labelDrift", drift * (1 + 1e-8));

    assertThatThrownBy(() -> ExpectedWindows.assertMatches("churn", actual, churn))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("labelDrift");
  }

  @Test
  void shouldFailOnAClassTooManyOrACountOffByOne() {
    final ExpectedWindows.Expected digits = fromFixtureEvents().byKey().get("digits@@1m@" + T0);
    final ObjectNode extraClass = digits.record();
    ((ObjectNode) extraClass.get("meanPrediction")).put("3", 0.0);
    final ObjectNode wrongCount = digits.record();
    ((ObjectNode) wrongCount.get("labelCounts")).put("2", 1);
    final ObjectNode doubleCount = digits.record();
    doubleCount.put("predictions", 2.0);

    assertThatThrownBy(() -> ExpectedWindows.assertMatches("digits", extraClass, digits))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("meanPrediction");
    assertThatThrownBy(() -> ExpectedWindows.assertMatches("digits", wrongCount, digits))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("labelCounts.2");
    assertThatThrownBy(() -> ExpectedWindows.assertMatches("digits", doubleCount, digits))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("predictions");
  }

  @Test
  void shouldCheckEveryWindowGaugeOfTheLatestWindows() {
    final ExpectedWindows expected = fromFixtureEvents();
    final String scrape = scrapeOf(expected);

    expected.assertLatestWindowGauges(PrometheusText.parse(scrape));
    // A value off by 1e-8, a drift gauge missing, a reference-only gauge for the model without
    // a reference, a class series too many: each fails.
    final String kl =
        "modelmon_window_kl_divergence_nats{model=\"churn\",version=\"\",window=\"5m\"} ";
    final String klLine =
        scrape.lines().filter(line -> line.startsWith(kl)).findFirst().orElseThrow();
    final double value = Double.parseDouble(klLine.substring(kl.length()));
    for (final String broken :
        List.of(
            scrape.replace(klLine, kl + value * (1 + 1e-8)),
            scrape.replace(klLine + "\n", ""),
            scrape
                + "modelmon_window_label_drift_nats{model=\"digits\",version=\"\",window=\"1m\"}"
                + " 0.1\n",
            scrape
                + "modelmon_window_class_log_loss_nats{model=\"digits\",version=\"\","
                + "window=\"1m\",class=\"2\"} 0.5\n")) {
      assertThatThrownBy(() -> expected.assertLatestWindowGauges(PrometheusText.parse(broken)))
          .isInstanceOf(AssertionError.class);
    }
  }

  /** The window gauges a correct instance would export, written from the expected records. */
  private static String scrapeOf(final ExpectedWindows expected) {
    final Map<String, String> gauges =
        Map.ofEntries(
            Map.entry("predictions", "modelmon_window_predictions"),
            Map.entry("logLossMean", "modelmon_window_log_loss_nats"),
            Map.entry("logLossSum", "modelmon_window_log_loss_nats_sum"),
            Map.entry("klDivergenceMean", "modelmon_window_kl_divergence_nats"),
            Map.entry("klDivergenceSum", "modelmon_window_kl_divergence_nats_sum"),
            Map.entry("referenceCrossEntropyMean", "modelmon_window_reference_cross_entropy_nats"),
            Map.entry(
                "referenceCrossEntropySum", "modelmon_window_reference_cross_entropy_nats_sum"),
            Map.entry("labelDrift", "modelmon_window_label_drift_nats"),
            Map.entry("predictionDrift", "modelmon_window_prediction_drift_nats"),
            Map.entry("referencedPredictions", "modelmon_window_referenced_predictions"),
            Map.entry("labelled", "modelmon_window_labelled_predictions"),
            Map.entry("predictionEntropyMean", "modelmon_window_prediction_entropy_nats"),
            Map.entry("excessLogLossMean", "modelmon_window_excess_log_loss_nats"),
            Map.entry("calibrationZ", "modelmon_window_calibration_z"),
            Map.entry("brierScoreMean", "modelmon_window_brier_score"),
            Map.entry("accuracy", "modelmon_window_accuracy_ratio"),
            Map.entry("meanConfidence", "modelmon_window_confidence_ratio"),
            Map.entry("calibrationError", "modelmon_window_calibration_error_ratio"));
    final StringBuilder text = new StringBuilder();
    for (final String key : expected.latestBySeries().values()) {
      final ObjectNode record = expected.byKey().get(key).record();
      final String labels =
          "model=\""
              + record.get("model").asText()
              + "\",version=\"\",window=\""
              + record.get("window").asText()
              + "\"";
      gauges.forEach(
          (field, gauge) -> {
            if (record.has(field)) {
              text.append(gauge).append('{').append(labels).append("} ");
              text.append(record.get(field).asDouble()).append('\n');
            }
          });
      text.append("modelmon_window_end_timestamp_seconds{").append(labels).append("} ");
      text.append(record.get("endMillis").asLong() / 1000.0).append('\n');
      record
          .get("classLogLoss")
          .fields()
          .forEachRemaining(
              f ->
                  text.append("modelmon_window_class_log_loss_nats{")
                      .append(labels)
                      .append(",class=\"")
                      .append(f.getKey())
                      .append("\"} ")
                      .append(f.getValue().asDouble())
                      .append('\n'));
    }
    return text.toString();
  }

  private static List<String> strings(final JsonNode array) {
    final List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }

  private static double[] doubles(final JsonNode array) {
    final double[] values = new double[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = array.get(i).asDouble();
    }
    return values;
  }
}
