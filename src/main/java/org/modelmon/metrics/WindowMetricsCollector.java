package org.modelmon.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.modelmon.detector.DetectorState;
import org.modelmon.detector.DetectorStatus;
import org.modelmon.reference.Reference;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ModelSummary;
import org.modelmon.window.WindowResult;

/**
 * The gauges of docs/reference.md#gauges that describe final windows and models, read from this
 * instance's state stores at scrape time. A (model, version) this instance no longer owns
 * disappears from its output with the store, so no stale series lingers.
 */
public final class WindowMetricsCollector implements MultiCollector {

  public static final String WINDOW_PREDICTIONS = "modelmon_window_predictions";
  public static final String WINDOW_LOG_LOSS = "modelmon_window_log_loss_nats";
  public static final String WINDOW_LOG_LOSS_SUM = "modelmon_window_log_loss_nats_sum";
  public static final String WINDOW_KL = "modelmon_window_kl_divergence_nats";
  public static final String WINDOW_KL_SUM = "modelmon_window_kl_divergence_nats_sum";
  public static final String WINDOW_CROSS_ENTROPY = "modelmon_window_reference_cross_entropy_nats";
  public static final String WINDOW_CROSS_ENTROPY_SUM =
      "modelmon_window_reference_cross_entropy_nats_sum";
  public static final String WINDOW_LABEL_DRIFT = "modelmon_window_label_drift_nats";
  public static final String WINDOW_PREDICTION_DRIFT = "modelmon_window_prediction_drift_nats";
  public static final String WINDOW_CLASS_LOG_LOSS = "modelmon_window_class_log_loss_nats";
  public static final String WINDOW_END = "modelmon_window_end_timestamp_seconds";
  public static final String WINDOW_REFERENCED_PREDICTIONS =
      "modelmon_window_referenced_predictions";
  public static final String WINDOW_LABELLED_PREDICTIONS = "modelmon_window_labelled_predictions";
  public static final String WINDOW_PREDICTION_ENTROPY = "modelmon_window_prediction_entropy_nats";
  public static final String WINDOW_EXCESS_LOG_LOSS = "modelmon_window_excess_log_loss_nats";
  public static final String WINDOW_CALIBRATION_Z = "modelmon_window_calibration_z";
  public static final String WINDOW_BRIER_SCORE = "modelmon_window_brier_score";
  public static final String WINDOW_ACCURACY = "modelmon_window_accuracy_ratio";
  public static final String WINDOW_CONFIDENCE = "modelmon_window_confidence_ratio";
  public static final String WINDOW_CALIBRATION_ERROR = "modelmon_window_calibration_error_ratio";
  public static final String REFERENCE_ENTROPY = "modelmon_reference_entropy_nats";
  public static final String REFERENCE_PROBABILITY = "modelmon_reference_probability";
  public static final String DRIFT_STATISTIC = "modelmon_drift_statistic";
  public static final String DRIFT_THRESHOLD = "modelmon_drift_threshold";
  public static final String DRIFT_ALARM = "modelmon_drift_alarm";
  public static final String DRIFT_BASELINE = "modelmon_drift_baseline_excess_log_loss_nats";
  public static final String LAST_EVENT = "modelmon_last_event_timestamp_seconds";

  private static final Map<String, String> HELP = new LinkedHashMap<>();

  static {
    HELP.put(WINDOW_PREDICTIONS, "Events in the latest final window");
    HELP.put(WINDOW_LOG_LOSS, "Mean log loss of the latest final window, nats");
    HELP.put(WINDOW_LOG_LOSS_SUM, "Summed log loss of the latest final window, nats");
    HELP.put(WINDOW_KL, "Mean KL divergence D(p||q) of the latest final window, nats");
    HELP.put(WINDOW_KL_SUM, "Summed KL divergence D(p||q) of the latest final window, nats");
    HELP.put(
        WINDOW_CROSS_ENTROPY,
        "Mean reference cross entropy H(p,q) = D(p||q) + H(p) of the latest final window, nats");
    HELP.put(
        WINDOW_CROSS_ENTROPY_SUM,
        "Summed reference cross entropy H(p,q) of the latest final window, nats");
    HELP.put(WINDOW_LABEL_DRIFT, "Label drift D(p || observed label mix), nats");
    HELP.put(WINDOW_PREDICTION_DRIFT, "Prediction drift D(p || mean prediction), nats");
    HELP.put(WINDOW_CLASS_LOG_LOSS, "Mean log loss of events whose true label is the class, nats");
    HELP.put(WINDOW_END, "End of the window the window gauges describe");
    HELP.put(
        WINDOW_REFERENCED_PREDICTIONS,
        "Predictions of the latest final window scored against a reference");
    HELP.put(WINDOW_LABELLED_PREDICTIONS, "Labelled events of the latest final window");
    HELP.put(
        WINDOW_PREDICTION_ENTROPY,
        "Mean prediction entropy H(q) of the latest final window, nats: the log loss the model"
            + " expects of itself");
    HELP.put(
        WINDOW_EXCESS_LOG_LOSS,
        "Mean excess log loss (log loss - H(q)) of the latest final window, nats: 0 for a"
            + " calibrated model");
    HELP.put(
        WINDOW_CALIBRATION_Z,
        "Calibration z-score sum(log loss - H(q)) / sqrt(sum V(q)) of the latest final window:"
            + " about N(0,1) for a calibrated model");
    HELP.put(WINDOW_BRIER_SCORE, "Mean Brier score of the latest final window");
    HELP.put(WINDOW_ACCURACY, "Accuracy (top class = label) of the latest final window");
    HELP.put(WINDOW_CONFIDENCE, "Mean top-label confidence of the latest final window");
    HELP.put(
        WINDOW_CALIBRATION_ERROR,
        "Expected calibration error (top label, confidence bins) of the latest final window");
    HELP.put(REFERENCE_ENTROPY, "Entropy H(p) of the model's reference distribution, nats");
    HELP.put(REFERENCE_PROBABILITY, "Probability p(class) of the model's reference distribution");
    HELP.put(
        DRIFT_STATISTIC,
        "Drift detector statistic S: CUSUM of the standardised excess log loss per window");
    HELP.put(DRIFT_THRESHOLD, "Drift detector threshold h: ALARM when the statistic reaches it");
    HELP.put(DRIFT_ALARM, "1 while the drift detector is in ALARM, else 0");
    HELP.put(
        DRIFT_BASELINE,
        "Excess log loss per labelled event the model had in the detector's warm-up, nats");
    HELP.put(LAST_EVENT, "Largest event time seen for the model");
  }

  private final LocalModelState state;
  private final int maxClassSeries;
  private final double driftThreshold;

  private WindowMetricsCollector(
      final LocalModelState state, final int maxClassSeries, final double driftThreshold) {
    this.state = state;
    this.maxClassSeries = maxClassSeries;
    this.driftThreshold = driftThreshold;
  }

  /**
   * Registers the collector.
   *
   * @param registry where to export
   * @param state this instance's model state
   * @param maxClassSeries {@code modelmon.metrics.max.classes}
   * @param driftThreshold {@code modelmon.detector.h}
   */
  public static WindowMetricsCollector register(
      final PrometheusRegistry registry,
      final LocalModelState state,
      final int maxClassSeries,
      final double driftThreshold) {
    final WindowMetricsCollector collector =
        new WindowMetricsCollector(state, maxClassSeries, driftThreshold);
    registry.register(collector);
    return collector;
  }

  @Override
  public List<String> getPrometheusNames() {
    return List.copyOf(HELP.keySet());
  }

  @Override
  public MetricSnapshots collect() {
    final Map<String, GaugeSnapshot.Builder> gauges = new LinkedHashMap<>();
    for (final WindowResult window : state.latestWindows()) {
      final Labels labels =
          Labels.of(
              "model", window.model(), "version", window.version(), "window", window.window());
      point(gauges, WINDOW_PREDICTIONS, labels, window.predictions());
      point(gauges, WINDOW_REFERENCED_PREDICTIONS, labels, window.referencedPredictions());
      point(gauges, WINDOW_LABELLED_PREDICTIONS, labels, window.labelled());
      pointIfPresent(gauges, WINDOW_LOG_LOSS, labels, window.logLossMean());
      point(gauges, WINDOW_LOG_LOSS_SUM, labels, window.logLossSum());
      pointIfPresent(gauges, WINDOW_PREDICTION_ENTROPY, labels, window.predictionEntropyMean());
      pointIfPresent(gauges, WINDOW_EXCESS_LOG_LOSS, labels, window.excessLogLossMean());
      pointIfPresent(gauges, WINDOW_CALIBRATION_Z, labels, window.calibrationZ());
      pointIfPresent(gauges, WINDOW_BRIER_SCORE, labels, window.brierScoreMean());
      pointIfPresent(gauges, WINDOW_ACCURACY, labels, window.accuracy());
      pointIfPresent(gauges, WINDOW_CONFIDENCE, labels, window.meanConfidence());
      pointIfPresent(gauges, WINDOW_CALIBRATION_ERROR, labels, window.calibrationError());
      if (window.hasReference()) {
        point(gauges, WINDOW_KL, labels, window.klDivergenceMean());
        point(gauges, WINDOW_KL_SUM, labels, window.klDivergenceSum());
        point(gauges, WINDOW_CROSS_ENTROPY, labels, window.referenceCrossEntropyMean());
        point(gauges, WINDOW_CROSS_ENTROPY_SUM, labels, window.referenceCrossEntropySum());
        pointIfPresent(gauges, WINDOW_LABEL_DRIFT, labels, window.labelDrift());
        point(gauges, WINDOW_PREDICTION_DRIFT, labels, window.predictionDrift());
      }
      int classSeries = 0;
      for (final Map.Entry<String, Double> classLoss : window.classLogLoss().entrySet()) {
        if (classSeries++ >= maxClassSeries) {
          break;
        }
        point(
            gauges,
            WINDOW_CLASS_LOG_LOSS,
            labels.add("class", classLoss.getKey()),
            classLoss.getValue());
      }
      point(gauges, WINDOW_END, labels, window.endMillis() / 1000.0);
    }
    for (final Map.Entry<ModelKey, ModelSummary> model : state.models().entrySet()) {
      final ModelKey key = model.getKey();
      final Labels labels = Labels.of("model", key.model(), "version", key.version());
      point(gauges, LAST_EVENT, labels, model.getValue().lastEventMillis() / 1000.0);
      final Reference reference = state.reference(key);
      if (reference != null) {
        point(gauges, REFERENCE_ENTROPY, labels, reference.entropy());
        final int classSeries = Math.min(reference.size(), maxClassSeries);
        for (int c = 0; c < classSeries; c++) {
          point(
              gauges,
              REFERENCE_PROBABILITY,
              labels.add("class", reference.classes().get(c)),
              reference.probability(c));
        }
      }
    }
    for (final Map.Entry<ModelKey, DetectorStatus> detector : state.detectorStatuses().entrySet()) {
      final ModelKey key = detector.getKey();
      final DetectorStatus status = detector.getValue();
      final Labels labels = Labels.of("model", key.model(), "version", key.version());
      point(gauges, DRIFT_STATISTIC, labels, status.statistic());
      point(gauges, DRIFT_THRESHOLD, labels, driftThreshold);
      point(gauges, DRIFT_ALARM, labels, status.state() == DetectorState.ALARM ? 1 : 0);
      if (status.baseline() != null) {
        point(gauges, DRIFT_BASELINE, labels, status.baseline().meanExcess());
      }
    }
    final List<io.prometheus.metrics.model.snapshots.MetricSnapshot> snapshots = new ArrayList<>();
    for (final GaugeSnapshot.Builder gauge : gauges.values()) {
      snapshots.add(gauge.build());
    }
    return new MetricSnapshots(snapshots);
  }

  /** A data point for a value the window record leaves out when absent (null): none then. */
  private static void pointIfPresent(
      final Map<String, GaugeSnapshot.Builder> gauges,
      final String name,
      final Labels labels,
      final Double value) {
    if (value != null) {
      point(gauges, name, labels, value);
    }
  }

  private static void point(
      final Map<String, GaugeSnapshot.Builder> gauges,
      final String name,
      final Labels labels,
      final double value) {
    gauges
        .computeIfAbsent(name, n -> GaugeSnapshot.builder().name(n).help(HELP.get(n)))
        .dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(value).build());
  }
}
