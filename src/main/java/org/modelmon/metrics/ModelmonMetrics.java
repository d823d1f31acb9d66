package org.modelmon.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.modelmon.event.InvalidReason;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ScoredPrediction;

/**
 * The process counters of docs/reference.md#counters, counted by each instance as it scores events;
 * Prometheus adds them up across instances.
 *
 * <p>Hot-path callers fetch a {@link ModelCounters} once per (model, version) and keep it, so that
 * scoring an event costs a few additions, not a label lookup per counter.
 */
public final class ModelmonMetrics {

  public static final String PREDICTIONS = "modelmon_predictions_total";
  public static final String LOG_LOSS = "modelmon_log_loss_nats_total";
  public static final String REFERENCED_PREDICTIONS = "modelmon_referenced_predictions_total";
  public static final String KL_DIVERGENCE = "modelmon_kl_divergence_nats_total";
  public static final String REFERENCE_CROSS_ENTROPY =
      "modelmon_reference_cross_entropy_nats_total";
  public static final String LABELS = "modelmon_labels_total";
  public static final String INVALID_EVENTS = "modelmon_invalid_events_total";
  public static final String INVALID_REFERENCES = "modelmon_invalid_references_total";
  public static final String LATE_EVENTS = "modelmon_late_events_total";
  public static final String LABELLED_PREDICTIONS = "modelmon_labelled_predictions_total";
  public static final String PREDICTION_ENTROPY = "modelmon_prediction_entropy_nats_total";
  public static final String LABELLED_PREDICTION_ENTROPY =
      "modelmon_labelled_prediction_entropy_nats_total";
  public static final String BRIER_SCORE = "modelmon_brier_score_total";
  public static final String CORRECT_PREDICTIONS = "modelmon_correct_predictions_total";
  public static final String CALIBRATION_LABELLED = "modelmon_calibration_labelled_total";
  public static final String CALIBRATION_CONFIDENCE = "modelmon_calibration_confidence_total";
  public static final String CALIBRATION_CORRECT = "modelmon_calibration_correct_total";

  private final int maxClassSeries;
  private final Counter predictions;
  private final Counter logLoss;
  private final Counter referencedPredictions;
  private final Counter klDivergence;
  private final Counter referenceCrossEntropy;
  private final Counter labels;
  private final Counter invalidEvents;
  private final Counter invalidReferences;
  private final Counter lateEvents;
  private final Counter labelledPredictions;
  private final Counter predictionEntropy;
  private final Counter labelledPredictionEntropy;
  private final Counter brierScore;
  private final Counter correctPredictions;
  private final Counter calibrationLabelled;
  private final Counter calibrationConfidence;
  private final Counter calibrationCorrect;
  private final List<String> binLabels;
  private final Map<ModelKey, ModelCounters> byModel = new ConcurrentHashMap<>();
  private final LabelJoinMetrics labelJoin;

  private ModelmonMetrics(
      final PrometheusRegistry registry, final int maxClassSeries, final int calibrationBins) {
    this.maxClassSeries = maxClassSeries;
    this.binLabels = binLabels(calibrationBins);
    predictions =
        counter(registry, PREDICTIONS, "Valid prediction events scored", "model", "version");
    logLoss =
        counter(
            registry,
            LOG_LOSS,
            "Sum of log loss -ln q(y) in nats (the cross entropy against the one-hot label)",
            "model",
            "version");
    referencedPredictions =
        counter(
            registry,
            REFERENCED_PREDICTIONS,
            "Valid prediction events of models with a reference distribution",
            "model",
            "version");
    klDivergence =
        counter(
            registry,
            KL_DIVERGENCE,
            "Sum of KL divergence D(p||q) from the reference p to the prediction q, in nats",
            "model",
            "version");
    referenceCrossEntropy =
        counter(
            registry,
            REFERENCE_CROSS_ENTROPY,
            "Sum of reference cross entropy H(p,q) = D(p||q) + H(p), in nats",
            "model",
            "version");
    labels = counter(registry, LABELS, "True labels seen", "model", "version", "class");
    invalidEvents =
        counter(registry, INVALID_EVENTS, "Invalid events sent to the dead-letter topic", "reason");
    invalidReferences = counter(registry, INVALID_REFERENCES, "Invalid reference records ignored");
    lateEvents =
        counter(
            registry,
            LATE_EVENTS,
            "Events whose window was already final when they arrived",
            "model",
            "version");
    labelledPredictions =
        counter(
            registry,
            LABELLED_PREDICTIONS,
            "Labelled prediction events scored (the outcome side)",
            "model",
            "version");
    predictionEntropy =
        counter(
            registry,
            PREDICTION_ENTROPY,
            "Sum of prediction entropy H(q) over all predictions, in nats: the log loss the model"
                + " expects of itself",
            "model",
            "version");
    labelledPredictionEntropy =
        counter(
            registry,
            LABELLED_PREDICTION_ENTROPY,
            "Sum of prediction entropy H(q) over labelled events, in nats; rate(log loss) minus"
                + " rate(this) is the excess log loss rate",
            "model",
            "version");
    brierScore =
        counter(
            registry,
            BRIER_SCORE,
            "Sum of Brier score sum_c (q(c) - [c = y])^2 over labelled events",
            "model",
            "version");
    correctPredictions =
        counter(
            registry,
            CORRECT_PREDICTIONS,
            "Labelled events whose top predicted class is the label",
            "model",
            "version");
    calibrationLabelled =
        counter(
            registry,
            CALIBRATION_LABELLED,
            "Labelled events per top-label confidence bin (bin = the bin's upper edge)",
            "model",
            "version",
            "bin");
    calibrationConfidence =
        counter(
            registry,
            CALIBRATION_CONFIDENCE,
            "Sum of top-label confidence max_c q(c) per confidence bin",
            "model",
            "version",
            "bin");
    calibrationCorrect =
        counter(
            registry,
            CALIBRATION_CORRECT,
            "Labelled events whose top class is the label, per confidence bin",
            "model",
            "version",
            "bin");
    for (final InvalidReason reason : InvalidReason.values()) {
      if (reason.appliesToPredictions()) {
        invalidEvents.labelValues(reason.name());
      }
    }
    labelJoin = LabelJoinMetrics.register(registry);
  }

  /** The metrics of labels that arrive after their predictions. */
  public LabelJoinMetrics labelJoin() {
    return labelJoin;
  }

  /** The label of each bin: its upper edge (b + 1)/B, shortest decimal ("0.1" … "1"). */
  private static List<String> binLabels(final int bins) {
    final List<String> labels = new ArrayList<>(bins);
    for (int b = 0; b < bins; b++) {
      labels.add(BigDecimal.valueOf((b + 1) / (double) bins).stripTrailingZeros().toPlainString());
    }
    return List.copyOf(labels);
  }

  /**
   * Registers modelmon's counters.
   *
   * @param registry where the counters are exported from
   * @param maxClassSeries {@code modelmon.metrics.max.classes}: per-class series per model
   * @param calibrationBins {@code modelmon.calibration.bins}: per-bin series per model
   */
  public static ModelmonMetrics register(
      final PrometheusRegistry registry, final int maxClassSeries, final int calibrationBins) {
    return new ModelmonMetrics(registry, maxClassSeries, calibrationBins);
  }

  private static Counter counter(
      final PrometheusRegistry registry,
      final String name,
      final String help,
      final String... labelNames) {
    // No exemplars: modelmon has no traces to link, and the exemplar sampler costs a scheduler
    // hand-off on every increment of the per-event hot path.
    return Counter.builder()
        .name(name)
        .help(help)
        .labelNames(labelNames)
        .withoutExemplars()
        .register(registry);
  }

  /** An empty tally with this registry's number of calibration bins. */
  public ScoreTally newTally() {
    return new ScoreTally(binLabels.size());
  }

  /** The counters of one (model, version). */
  public ModelCounters forModel(final ModelKey key) {
    return byModel.computeIfAbsent(key, ModelCounters::new);
  }

  /** Counts one invalid event. */
  public void invalidEvent(final InvalidReason reason) {
    invalidEvents.labelValues(reason.name()).inc();
  }

  /** Counts one invalid reference record. */
  public void invalidReference() {
    invalidReferences.inc();
  }

  /** Counts {@code count} late events of a model. */
  public void lateEvents(final ModelKey key, final long count) {
    lateEvents.labelValues(key.model(), key.version()).inc(count);
  }

  private ReferenceCounters referenceCountersOf(final ModelKey key) {
    return new ReferenceCounters(
        referencedPredictions.labelValues(key.model(), key.version()),
        klDivergence.labelValues(key.model(), key.version()),
        referenceCrossEntropy.labelValues(key.model(), key.version()));
  }

  private record ReferenceCounters(
      CounterDataPoint predictions, CounterDataPoint klDivergence, CounterDataPoint crossEntropy) {}

  /** Handles on the counters of one (model, version). */
  public final class ModelCounters {

    private final ModelKey key;
    private final CounterDataPoint predictionCount;
    private final CounterDataPoint predictionEntropySum;
    private final CounterDataPoint labelledCount;
    private final CounterDataPoint logLossSum;
    private final CounterDataPoint labelledPredictionEntropySum;
    private final CounterDataPoint brierScoreSum;
    private final CounterDataPoint correctCount;
    private final CounterDataPoint[] binLabelled;
    private final CounterDataPoint[] binConfidence;
    private final CounterDataPoint[] binCorrect;
    // Created on the first referenced event: a model without a reference has no such series.
    private volatile ReferenceCounters referenceCounters;
    private final Map<String, CounterDataPoint> labelCounts = new ConcurrentHashMap<>();

    private ModelCounters(final ModelKey key) {
      this.key = key;
      final String model = key.model();
      final String version = key.version();
      predictionCount = predictions.labelValues(model, version);
      predictionEntropySum = predictionEntropy.labelValues(model, version);
      labelledCount = labelledPredictions.labelValues(model, version);
      logLossSum = logLoss.labelValues(model, version);
      labelledPredictionEntropySum = labelledPredictionEntropy.labelValues(model, version);
      brierScoreSum = brierScore.labelValues(model, version);
      correctCount = correctPredictions.labelValues(model, version);
      final int bins = binLabels.size();
      binLabelled = new CounterDataPoint[bins];
      binConfidence = new CounterDataPoint[bins];
      binCorrect = new CounterDataPoint[bins];
      // Every bin from the start, so that a reliability diagram has its empty bins as 0.
      for (int b = 0; b < bins; b++) {
        final String bin = binLabels.get(b);
        binLabelled[b] = calibrationLabelled.labelValues(model, version, bin);
        binConfidence[b] = calibrationConfidence.labelValues(model, version, bin);
        binCorrect[b] = calibrationCorrect.labelValues(model, version, bin);
      }
    }

    /**
     * Counts one scored prediction with its label at once: on the prediction side, and on the
     * outcome side with its calibration. Stream tasks count through a {@link ScoreCounting}
     * instead, in batches.
     *
     * @param scored the scores
     * @param label the true label's class name, or {@code null} for an unlabelled event
     */
    public void scored(final ScoredPrediction scored, final String label) {
      final ScoreTally tally = newTally();
      tally.add(scored);
      add(tally);
      if (label != null) {
        countLabel(label);
      }
    }

    /** Adds a batch of scored predictions: every counter but the per-class label counts. */
    public void add(final ScoreTally tally) {
      predictionCount.inc(tally.predictions);
      predictionEntropySum.inc(tally.predictionEntropy);
      if (tally.referenced > 0) {
        ReferenceCounters counters = referenceCounters;
        if (counters == null) {
          counters = referenceCountersOf(key);
          referenceCounters = counters;
        }
        counters.predictions().inc(tally.referenced);
        counters.klDivergence().inc(tally.klDivergence);
        counters.crossEntropy().inc(tally.referenceCrossEntropy);
      }
      labelledCount.inc(tally.labelled);
      logLossSum.inc(tally.logLoss);
      labelledPredictionEntropySum.inc(tally.labelledPredictionEntropy);
      brierScoreSum.inc(tally.brierScore);
      correctCount.inc(tally.correct);
      for (int b = 0; b < binLabelled.length; b++) {
        if (tally.binLabelled[b] > 0) {
          binLabelled[b].inc(tally.binLabelled[b]);
          binConfidence[b].inc(tally.binConfidence[b]);
          binCorrect[b].inc(tally.binCorrect[b]);
        }
      }
    }

    /** Counts one true label of class {@code label}, within the per-class series cap. */
    void countLabel(final String label) {
      CounterDataPoint counter = labelCounts.get(label);
      if (counter == null) {
        if (labelCounts.size() >= maxClassSeries) {
          return; // per-class series are capped per model; totals above still count the event
        }
        counter =
            labelCounts.computeIfAbsent(
                label, l -> labels.labelValues(key.model(), key.version(), l));
      }
      counter.inc();
    }
  }
}
