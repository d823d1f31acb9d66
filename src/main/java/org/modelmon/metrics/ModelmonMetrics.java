package org.modelmon.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.modelmon.event.InvalidReason;
import org.modelmon.window.ModelKey;

/**
 * The process counters of docs/reference.md#counters, counted by each instance as it scores events;
 * Prometheus adds them up across instances.
 *
 * <p>Hot-path callers fetch a {@link ModelCounters} once per (model, version) and keep it, so
 * that scoring an event costs a few additions, not a label lookup per counter.
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
  private final Map<ModelKey, ModelCounters> byModel = new ConcurrentHashMap<>();

  private ModelmonMetrics(final PrometheusRegistry registry, final int maxClassSeries) {
    this.maxClassSeries = maxClassSeries;
    predictions = counter(registry, PREDICTIONS, "Valid prediction events scored", "model", "version");
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
    invalidReferences =
        counter(registry, INVALID_REFERENCES, "Invalid reference records ignored");
    lateEvents =
        counter(
            registry,
            LATE_EVENTS,
            "Events whose window was already final when they arrived",
            "model",
            "version");
    for (final InvalidReason reason : InvalidReason.values()) {
      invalidEvents.labelValues(reason.name());
    }
  }

  /**
   * Registers modelmon's counters.
   *
   * @param registry where the counters are exported from
   * @param maxClassSeries {@code modelmon.metrics.max.classes}: per-class series per model
   */
  public static ModelmonMetrics register(
      final PrometheusRegistry registry, final int maxClassSeries) {
    return new ModelmonMetrics(registry, maxClassSeries);
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
    private final CounterDataPoint logLossSum;
    // Created on the first referenced event: a model without a reference has no such series.
    private volatile ReferenceCounters referenceCounters;
    private final Map<String, CounterDataPoint> labelCounts = new ConcurrentHashMap<>();

    private ModelCounters(final ModelKey key) {
      this.key = key;
      predictionCount = predictions.labelValues(key.model(), key.version());
      logLossSum = logLoss.labelValues(key.model(), key.version());
    }

    /** Counts one scored prediction without a reference. */
    public void scored(final double logLoss, final String label) {
      predictionCount.inc();
      logLossSum.inc(logLoss);
      countLabel(label);
    }

    /** Counts one scored prediction of a model with a reference. */
    public void scoredWithReference(
        final double logLoss,
        final String label,
        final double klDivergence,
        final double referenceCrossEntropy) {
      scored(logLoss, label);
      ReferenceCounters counters = referenceCounters;
      if (counters == null) {
        counters = referenceCountersOf(key);
        referenceCounters = counters;
      }
      counters.predictions().inc();
      counters.klDivergence().inc(klDivergence);
      counters.crossEntropy().inc(referenceCrossEntropy);
    }

    private void countLabel(final String label) {
      CounterDataPoint counter = labelCounts.get(label);
      if (counter == null) {
        if (labelCounts.size() >= maxClassSeries) {
          return; // per-class series are capped per model; totals above still count the event
        }
        counter = labelCounts.computeIfAbsent(
            label, l -> labels.labelValues(key.model(), key.version(), l));
      }
      counter.inc();
    }
  }
}
