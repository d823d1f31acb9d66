package org.modelmon.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.processor.TaskId;
import org.modelmon.event.InvalidReason;
import org.modelmon.window.ModelKey;

/**
 * The metrics of labels that arrive after their predictions (docs/reference.md#label-metrics):
 * labels joined and their delay, invalid labels by reason, predictions that expired without one,
 * and the predictions awaiting a label in this instance's joining tasks.
 */
public final class LabelJoinMetrics {

  public static final String LABELS_JOINED = "modelmon_labels_joined_total";
  public static final String INVALID_LABELS = "modelmon_invalid_labels_total";
  public static final String PREDICTIONS_EXPIRED = "modelmon_predictions_expired_total";
  public static final String LABEL_DELAY = "modelmon_label_delay_seconds";

  /** The histogram's bucket series, which dashboards read quantiles from. */
  public static final String LABEL_DELAY_BUCKET = LABEL_DELAY + "_bucket";

  public static final String AWAITING = "modelmon_predictions_awaiting_label";

  /** Upper bounds of the label delay buckets: 1s, 10s, 1m, 10m, 1h, 6h, 1d, 3d, 7d, 30d. */
  static final double[] DELAY_BUCKETS_SECONDS = {
    1, 10, 60, 600, 3_600, 21_600, 86_400, 259_200, 604_800, 2_592_000
  };

  private final Counter joined;
  private final Counter invalidLabels;
  private final Counter expired;
  private final Histogram delay;
  private final Map<TaskId, Map<ModelKey, Long>> awaitingByTask = new ConcurrentHashMap<>();

  private LabelJoinMetrics(final PrometheusRegistry registry) {
    joined =
        Counter.builder()
            .name(LABELS_JOINED)
            .help("Labels from the labels topic joined to their prediction")
            .labelNames("model", "version")
            .withoutExemplars()
            .register(registry);
    invalidLabels =
        Counter.builder()
            .name(INVALID_LABELS)
            .help("Label events sent to the dead-letter topic")
            .labelNames("reason")
            .withoutExemplars()
            .register(registry);
    for (final InvalidReason reason : InvalidReason.values()) {
      if (reason.appliesToLabels()) {
        invalidLabels.labelValues(reason.name());
      }
    }
    expired =
        Counter.builder()
            .name(PREDICTIONS_EXPIRED)
            .help("Predictions that waited past the label horizon without a label")
            .labelNames("model", "version")
            .withoutExemplars()
            .register(registry);
    delay =
        Histogram.builder()
            .name(LABEL_DELAY)
            .help("Outcome time minus prediction time of joined labels")
            .labelNames("model", "version")
            .classicOnly()
            .classicUpperBounds(DELAY_BUCKETS_SECONDS)
            .withoutExemplars()
            .register(registry);
    GaugeWithCallback.builder()
        .name(AWAITING)
        .help("Predictions with an id and no label yet, waiting for one within the horizon")
        .labelNames("model", "version")
        .callback(
            callback ->
                awaitingTotals()
                    .forEach((key, count) -> callback.call(count, key.model(), key.version())))
        .register(registry);
  }

  static LabelJoinMetrics register(final PrometheusRegistry registry) {
    return new LabelJoinMetrics(registry);
  }

  /**
   * Counts a label joined to a prediction of {@code key}, {@code delayMillis} after it; a label
   * whose outcome time is before its prediction's (within {@code modelmon.labels.early}) counts as
   * a delay of 0, so that the histogram's sum never decreases.
   */
  public void joined(final ModelKey key, final long delayMillis) {
    joined.labelValues(key.model(), key.version()).inc();
    delay.labelValues(key.model(), key.version()).observe(Math.max(0L, delayMillis) / 1000.0);
  }

  /** Counts one invalid label event. */
  public void invalidLabel(final InvalidReason reason) {
    invalidLabels.labelValues(reason.name()).inc();
  }

  /** Counts a prediction of {@code key} that expired without a label. */
  public void expired(final ModelKey key) {
    expired.labelValues(key.model(), key.version()).inc();
  }

  /**
   * Publishes how many predictions of each (model, version) a joining task holds waiting for their
   * label; the gauge adds up this instance's tasks.
   */
  public void awaiting(final TaskId task, final Map<ModelKey, Long> countsByModel) {
    awaitingByTask.put(task, Map.copyOf(countsByModel));
  }

  /** Forgets a joining task this instance no longer runs. */
  public void remove(final TaskId task) {
    awaitingByTask.remove(task);
  }

  private Map<ModelKey, Long> awaitingTotals() {
    final Map<ModelKey, Long> totals = new HashMap<>();
    awaitingByTask
        .values()
        .forEach(counts -> counts.forEach((key, count) -> totals.merge(key, count, Long::sum)));
    return totals;
  }
}
