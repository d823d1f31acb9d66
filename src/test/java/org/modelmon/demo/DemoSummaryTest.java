package org.modelmon.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.modelmon.event.InvalidReason;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.metrics.WindowMetricsCollector;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ScoredPrediction;

/** The live summary, read from a registry with modelmon's own counters and window gauges. */
class DemoSummaryTest {

  @Test
  void shouldShowEventsAndTheLatestWindowPerModelAndVersion() {
    final PrometheusRegistry registry = new PrometheusRegistry();
    final ModelmonMetrics metrics = ModelmonMetrics.register(registry, 50, 10);
    for (int i = 0; i < 3; i++) {
      metrics.forModel(new ModelKey("fraud", "v1")).scored(referenced(0.1, 0.2, 0.3), "0");
    }
    metrics.forModel(new ModelKey("digits", "v1")).scored(referenced(0.5, 1.0, 2.0), "7");
    metrics.invalidEvent(InvalidReason.UNKNOWN_LABEL);
    metrics.invalidEvent(InvalidReason.MALFORMED_JSON);
    metrics.invalidEvent(InvalidReason.MALFORMED_JSON);
    metrics.invalidEvent(InvalidReason.PROBABILITY_SUM);
    gauge(registry, WindowMetricsCollector.WINDOW_LOG_LOSS)
        .labelValues("digits", "v1", "10s")
        .set(0.5625);
    gauge(registry, WindowMetricsCollector.WINDOW_KL).labelValues("digits", "v1", "10s").set(3.9);
    gauge(registry, WindowMetricsCollector.WINDOW_EXCESS_LOG_LOSS)
        .labelValues("digits", "v1", "10s")
        .set(0.1875);
    gauge(registry, WindowMetricsCollector.WINDOW_CALIBRATION_Z)
        .labelValues("digits", "v1", "10s")
        .set(4.25);
    gauge(registry, WindowMetricsCollector.WINDOW_LABEL_DRIFT)
        .labelValues("digits", "v1", "10s")
        .set(0.0021);
    // The 1m window is not the one shown.
    gauge(registry, WindowMetricsCollector.WINDOW_PREDICTION_DRIFT)
        .labelValues("digits", "v1", "1m")
        .set(9);

    final DemoSummary summary = DemoSummary.of(registry.scrape(), "10s");

    assertThat(summary.rows())
        .containsExactly(
            new DemoSummary.Row(
                "digits",
                "v1",
                1,
                Optional.of(0.5625),
                Optional.of(0.1875),
                Optional.of(4.25),
                Optional.of(3.9),
                Optional.of(0.0021),
                Optional.empty()),
            new DemoSummary.Row(
                "fraud",
                "v1",
                3,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty()));
    assertThat(summary.deadLetters())
        .containsExactly(
            Map.entry("MALFORMED_JSON", 2L),
            Map.entry("PROBABILITY_SUM", 1L),
            Map.entry("UNKNOWN_LABEL", 1L));
    assertThat(summary.lines(Duration.ofSeconds(75)))
        .containsExactly(
            "  1:15  digits   v1              1     0.563    0.188     4.3    3.900        0.002"
                + "           -",
            "  1:15  fraud    v1              3         -        -       -        -            -"
                + "           -",
            "  1:15  dead letters: 4 (MALFORMED_JSON 2, PROBABILITY_SUM 1, UNKNOWN_LABEL 1)");
    assertThat(summary.header())
        .startsWith(
            "  time  model    version    events  log loss   excess       z       KL  label drift"
                + "  pred drift");
  }

  @Test
  void shouldShowNoModelsAndNoDeadLettersBeforeTheFirstEvent() {
    final DemoSummary summary = DemoSummary.of(new PrometheusRegistry().scrape(), "10s");

    assertThat(summary.rows()).isEmpty();
    assertThat(summary.lines(Duration.ofSeconds(5))).containsExactly("  0:05  dead letters: 0");
  }

  @Test
  void shouldWriteHoursOnlyFromTheFirstHourOn() {
    assertThat(DemoSummary.clock(Duration.ofSeconds(59 * 60 + 59))).isEqualTo("59:59");
    assertThat(DemoSummary.clock(Duration.ofSeconds(3600 + 62))).isEqualTo("1:01:02");
  }

  private static Gauge gauge(final PrometheusRegistry registry, final String name) {
    return Gauge.builder().name(name).labelNames("model", "version", "window").register(registry);
  }

  /** A scored two-class prediction with the given log loss, KL divergence and cross entropy. */
  private static ScoredPrediction referenced(
      final double logLoss, final double klDivergence, final double crossEntropy) {
    return new ScoredPrediction(
        0L,
        List.of("0", "1"),
        new double[] {0.5, 0.5},
        0,
        logLoss,
        true,
        klDivergence,
        crossEntropy,
        Math.log(2),
        0.0,
        0.5,
        0.5,
        true);
  }
}
