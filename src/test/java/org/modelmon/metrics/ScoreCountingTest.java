package org.modelmon.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ScoredPrediction;

/** A task's counting in batches adds up to what counting each event at once gives. */
class ScoreCountingTest {

  private static final ModelKey CHURN = new ModelKey("churn", "v3");

  @Test
  void shouldAddEachTallyToTheCountersOnFlushAndCountLabelsAtOnce() {
    final PrometheusRegistry batched = new PrometheusRegistry();
    final PrometheusRegistry direct = new PrometheusRegistry();
    final ScoreCounting counting = new ScoreCounting(ModelmonMetrics.register(batched, 50, 10));
    final ModelmonMetrics.ModelCounters eachEvent =
        ModelmonMetrics.register(direct, 50, 10).forModel(CHURN);
    // q = (0.8, 0.2) labelled stay (bin up to 0.9, correct), q = (0.4, 0.6) labelled stay
    // (bin up to 0.7, wrong), with a reference; by hand: H, V, Brier as below.
    final List<ScoredPrediction> events =
        List.of(
            event(new double[] {0.8, 0.2}, 0.2231435513142097, 0.5004024235381879, 0.08, true),
            event(new double[] {0.4, 0.6}, 0.916290731874155, 0.6730116670092565, 0.72, false));

    for (final ScoredPrediction event : events) {
      counting.count(CHURN, event, "stay");
      eachEvent.scored(event, "stay");
    }

    // Before the flush only the label counts are there,
    assertThat(value(batched, "modelmon_labels", "stay")).isEqualTo(2.0);
    assertThat(value(batched, "modelmon_predictions", null)).isZero();
    // after it every counter equals counting each event at once.
    counting.flush();
    for (final String counter :
        List.of(
            "modelmon_predictions",
            "modelmon_log_loss_nats",
            "modelmon_referenced_predictions",
            "modelmon_kl_divergence_nats",
            "modelmon_reference_cross_entropy_nats",
            "modelmon_labelled_predictions",
            "modelmon_prediction_entropy_nats",
            "modelmon_labelled_prediction_entropy_nats",
            "modelmon_brier_score",
            "modelmon_correct_predictions")) {
      assertThat(value(batched, counter, null)).as(counter).isEqualTo(value(direct, counter, null));
    }
    assertThat(value(batched, "modelmon_predictions", null)).isEqualTo(2.0);
    assertThat(value(batched, "modelmon_correct_predictions", null)).isEqualTo(1.0);
    assertThat(value(batched, "modelmon_brier_score", null)).isEqualTo(0.08 + 0.72);
    assertThat(bin(batched, "modelmon_calibration_labelled", "0.9")).isEqualTo(1.0);
    assertThat(bin(batched, "modelmon_calibration_labelled", "0.7")).isEqualTo(1.0);
    assertThat(bin(batched, "modelmon_calibration_correct", "0.7")).isZero();
    assertThat(bin(batched, "modelmon_calibration_confidence", "0.7")).isEqualTo(0.6);
    // A second flush adds nothing more.
    counting.flush();
    assertThat(value(batched, "modelmon_predictions", null)).isEqualTo(2.0);
  }

  private static ScoredPrediction event(
      final double[] q,
      final double logLoss,
      final double entropy,
      final double brier,
      final boolean correct) {
    return new ScoredPrediction(
        0L,
        List.of("stay", "leave"),
        q,
        0,
        logLoss,
        true,
        0.01,
        0.62,
        entropy,
        0.1,
        brier,
        Math.max(q[0], q[1]),
        correct);
  }

  /** The value of counter {@code name} of churn@v3 (and {@code class} when given). */
  private static double value(
      final PrometheusRegistry registry, final String name, final String className) {
    for (final MetricSnapshot snapshot : registry.scrape()) {
      if (snapshot.getMetadata().getName().equals(name)) {
        for (final CounterSnapshot.CounterDataPointSnapshot point :
            ((CounterSnapshot) snapshot).getDataPoints()) {
          if (className == null || className.equals(point.getLabels().get("class"))) {
            return point.getValue();
          }
        }
      }
    }
    return 0.0;
  }

  private static double bin(
      final PrometheusRegistry registry, final String name, final String bin) {
    for (final MetricSnapshot snapshot : registry.scrape()) {
      if (snapshot.getMetadata().getName().equals(name)) {
        for (final CounterSnapshot.CounterDataPointSnapshot point :
            ((CounterSnapshot) snapshot).getDataPoints()) {
          if (bin.equals(point.getLabels().get("bin"))) {
            return point.getValue();
          }
        }
      }
    }
    throw new AssertionError("no " + name + " for bin " + bin);
  }
}
