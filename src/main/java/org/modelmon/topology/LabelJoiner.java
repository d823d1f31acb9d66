package org.modelmon.topology;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.modelmon.config.LabelSettings;
import org.modelmon.config.ModelmonConfig;
import org.modelmon.event.InvalidReason;
import org.modelmon.join.AwaitingPrediction;
import org.modelmon.join.JoinDeadline;
import org.modelmon.join.JoinKey;
import org.modelmon.join.JoinMessage;
import org.modelmon.join.PendingPrediction;
import org.modelmon.join.SourceRecord;
import org.modelmon.metrics.LabelJoinMetrics;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.metrics.ScoreCounting;
import org.modelmon.window.AggregationMessage;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ScoredPrediction;
import org.modelmon.window.WatermarkTracker;
import org.modelmon.window.WatermarkTracker.PartitionWatermark;

/**
 * Joins labels that arrive on the labels topic to their predictions, by (model, id), in either
 * arrival order (docs/reference.md#label-events). One task per partition of the join topic, which
 * both are partitioned by.
 *
 * <p>A prediction without a label arrives here scored, and adds to the prediction side of the
 * window of its time at once, unless another prediction of its (model, id) already waits ({@code
 * DUPLICATE_ID}). It then waits for its label until the horizon has passed; a label that arrives
 * first waits for its prediction until {@code early} past its outcome time. A pair adds to the
 * outcome side of the window of the label's outcome time; the first label wins.
 *
 * <p>When time has passed is decided by a watermark of its own, made exactly as the combiner's
 * ({@link WatermarkTracker}) from the stream times every reading task sends of its predictions and
 * labels partitions: a partition that lags never makes another's labels unmatched or predictions
 * expired. The watermark this task reports to the combiners is that one, held back to the outcome
 * time of the earliest label still waiting for its prediction, so that the window a pair adds to is
 * never final before the pair is scored.
 *
 * <p>Prediction-side and outcome-side sums travel to the combiners as separate partials, so that a
 * late one counts its predictions or its labels. Everything lives in changelogged stores; under
 * exactly-once a crash redoes the join from the last commit and scores each pair once.
 */
final class LabelJoiner implements Processor<String, JoinMessage, Object, Object> {

  /**
   * The child towards the combiners: records of {@link ModelKey} and {@link AggregationMessage}.
   */
  static final String TO_AGGREGATION = "join-to-aggregation";

  /** The child towards the dead-letter topic: the input records, byte-identical. */
  static final String TO_DEAD_LETTERS = "join-dead-letters";

  private final LabelSettings labels;
  private final long graceMillis;
  private final long idleCloseMillis;
  private final long reportTimeoutMillis;
  private final int predictionPartitions;
  private final double epsilon;
  private final Duration flushInterval;
  private final ModelmonMetrics metrics;
  private final LabelJoinMetrics joinMetrics;
  private final PartialSums predictionSides;
  private final PartialSums outcomeSides;
  private final ScoreCounting counting;
  private final Map<ModelKey, Long> awaitingByModel = new HashMap<>();

  private ProcessorContext<Object, Object> context;
  private KeyValueStore<String, byte[]> pending;
  private KeyValueStore<String, byte[]> earlyLabels;
  private KeyValueStore<Bytes, byte[]> deadlines;
  private KeyValueStore<Integer, PartitionWatermark> watermarks;
  private WatermarkTracker tracker;
  // The join's watermark only moves forward, as the combiner's: when every input partition was
  // idle it ran on with the wall clock, and a partition that wakes with an older stream time must
  // not make expired predictions wait again.
  private long watermark = WatermarkTracker.NONE;
  private long reportedWatermark = WatermarkTracker.NONE;

  /**
   * @param config label bounds, grace, idle close, class and bin bounds, epsilon
   * @param predictionPartitions N, the predictions topic's partitions; the labels topic has as
   *     many, so the watermark is made of 2N input partitions
   * @param bucketMillis the pre-aggregation's bucket length
   * @param reportTimeout silence after which an input partition's task is taken as not running
   * @param flushInterval how often partials are sent on and deadlines looked at (wall clock)
   */
  LabelJoiner(
      final ModelmonConfig config,
      final int predictionPartitions,
      final long bucketMillis,
      final Duration reportTimeout,
      final Duration flushInterval,
      final ModelmonMetrics metrics) {
    this.labels = config.labels();
    this.graceMillis = config.grace().toMillis();
    this.idleCloseMillis = config.idleClose().toMillis();
    this.reportTimeoutMillis = reportTimeout.toMillis();
    this.predictionPartitions = predictionPartitions;
    this.epsilon = config.epsilon();
    this.flushInterval = flushInterval;
    this.metrics = metrics;
    this.joinMetrics = metrics.labelJoin();
    this.predictionSides =
        new PartialSums(bucketMillis, config.maxClasses(), config.calibrationBins());
    this.outcomeSides =
        new PartialSums(bucketMillis, config.maxClasses(), config.calibrationBins());
    this.counting = new ScoreCounting(metrics);
  }

  @Override
  public void init(final ProcessorContext<Object, Object> context) {
    this.context = context;
    pending = context.getStateStore(ModelmonTopology.AWAITING_LABEL_STORE);
    earlyLabels = context.getStateStore(ModelmonTopology.EARLY_LABELS_STORE);
    deadlines = context.getStateStore(ModelmonTopology.JOIN_DEADLINES_STORE);
    watermarks = context.getStateStore(ModelmonTopology.JOIN_WATERMARKS_STORE);
    // As in PartialAggregator: a revived task starts again from the stores, not from the fields.
    predictionSides.restore(context.getStateStore(ModelmonTopology.JOIN_PREDICTIONS_STORE));
    outcomeSides.restore(context.getStateStore(ModelmonTopology.JOIN_OUTCOMES_STORE));
    tracker =
        new WatermarkTracker(
            2 * predictionPartitions,
            2 * predictionPartitions,
            predictionPartitions, // a labels partition that never held a label holds nothing up
            idleCloseMillis,
            reportTimeoutMillis,
            context.currentSystemTimeMs());
    watermark = WatermarkTracker.NONE;
    try (KeyValueIterator<Integer, PartitionWatermark> restored = watermarks.all()) {
      while (restored.hasNext()) {
        final KeyValue<Integer, PartitionWatermark> entry = restored.next();
        if (entry.key == WindowCombiner.APPLICATION_WATERMARK_KEY) {
          watermark = entry.value.streamTimeMillis();
        } else {
          tracker.restore(entry.key, entry.value);
        }
      }
    }
    reportedWatermark = WatermarkTracker.NONE;
    awaitingByModel.clear();
    try (KeyValueIterator<String, byte[]> restored = pending.all()) {
      while (restored.hasNext()) {
        final KeyValue<String, byte[]> entry = restored.next();
        if (PendingPrediction.fromBytes(entry.value) instanceof PendingPrediction.Awaiting a) {
          countAwaiting(modelKey(entry.key, a.prediction()), 1);
        }
      }
    }
    joinMetrics.awaiting(context.taskId(), awaitingByModel);
    context.schedule(flushInterval, PunctuationType.WALL_CLOCK_TIME, this::flush);
  }

  @Override
  public void process(final Record<String, JoinMessage> record) {
    final JoinMessage message = record.value();
    if (message instanceof JoinMessage.StreamTime streamTime) {
      final long now = context.currentSystemTimeMs();
      final PartitionWatermark advanced =
          tracker.report(
              streamTime.source(), streamTime.streamTimeMillis(), record.timestamp(), now);
      if (advanced != null) {
        watermarks.put(streamTime.source(), advanced);
        // Passed on at once rather than at the next flush, so that the join adds no second to
        // when a window is final.
        // Only when the least of the reports moved, which one report a second does.
        if (advanceWatermark(now) > reportedWatermark) {
          flush(now);
        }
      }
    } else if (message instanceof JoinMessage.Prediction prediction) {
      onPrediction(record.key(), prediction);
    } else {
      onLabel(record.key(), (JoinMessage.Label) message);
    }
  }

  private void onPrediction(final String key, final JoinMessage.Prediction message) {
    final byte[] known = pending.get(key);
    if (known != null && PendingPrediction.fromBytes(known) instanceof PendingPrediction.Awaiting) {
      metrics.invalidEvent(InvalidReason.DUPLICATE_ID);
      deadLetter(message.source(), InvalidReason.DUPLICATE_ID);
      return;
    }
    final AwaitingPrediction prediction = message.prediction();
    final ModelKey modelKey = modelKey(key, prediction);
    final ScoredPrediction predictionSide = prediction.predictionSide();
    predictionSides.add(modelKey, predictionSide);
    counting.count(modelKey, predictionSide, null);

    final byte[] early = earlyLabels.get(key);
    if (early != null) {
      final JoinMessage.Label label = (JoinMessage.Label) JoinMessage.fromBytes(early);
      if (labels.joins(prediction.predictionTimeMillis(), label.outcomeTimeMillis())) {
        removeEarlyLabel(key, label);
        if (join(key, modelKey, prediction, label)) {
          return;
        }
      }
      // A label outside this prediction's bounds stays until its own deadline, then is
      // unmatched: no other prediction of this (model, id) can come while this one waits.
    }
    await(key, modelKey, prediction);
  }

  private void onLabel(final String key, final JoinMessage.Label label) {
    final byte[] known = pending.get(key);
    if (known != null) {
      final PendingPrediction prediction = PendingPrediction.fromBytes(known);
      if (prediction instanceof PendingPrediction.Awaiting awaiting) {
        final AwaitingPrediction waiting = awaiting.prediction();
        // The reasons in their documented order: the class before the bounds.
        if (label.label().indexIn(waiting.classes(), waiting.form()) < 0) {
          reject(label, InvalidReason.UNKNOWN_LABEL);
        } else if (!labels.joins(waiting.predictionTimeMillis(), label.outcomeTimeMillis())) {
          reject(label, InvalidReason.UNMATCHED_LABEL);
        } else if (join(key, modelKey(key, waiting), waiting, label)) {
          countAwaiting(modelKey(key, waiting), -1);
        }
      } else {
        reject(label, InvalidReason.DUPLICATE_LABEL);
      }
      return;
    }
    if (earlyLabels.get(key) != null) {
      reject(label, InvalidReason.DUPLICATE_LABEL);
      return;
    }
    final long deadline = label.outcomeTimeMillis() + labels.earlyMillis();
    if (hasPassed(deadline, advanceWatermark(context.currentSystemTimeMs()))) {
      reject(label, InvalidReason.UNMATCHED_LABEL);
      return;
    }
    earlyLabels.put(key, JoinMessage.toBytes(label));
    deadlines.put(
        deadlineKey(JoinDeadline.Kind.LABEL, deadline, key), timeBytes(label.outcomeTimeMillis()));
  }

  /**
   * Scores {@code prediction} with {@code label} on the outcome side, or rejects the label as
   * {@code UNKNOWN_LABEL} when it is none of the prediction's classes.
   *
   * @return whether the pair was joined
   */
  private boolean join(
      final String key,
      final ModelKey modelKey,
      final AwaitingPrediction prediction,
      final JoinMessage.Label label) {
    final int labelIndex = label.label().indexIn(prediction.classes(), prediction.form());
    if (labelIndex < 0) {
      reject(label, InvalidReason.UNKNOWN_LABEL);
      return false;
    }
    final ScoredPrediction outcome =
        prediction.outcome(labelIndex, label.outcomeTimeMillis(), epsilon);
    outcomeSides.addOutcome(modelKey, outcome);
    counting.countOutcome(modelKey, outcome, prediction.classes().get(labelIndex));
    joinMetrics.joined(modelKey, label.outcomeTimeMillis() - prediction.predictionTimeMillis());
    // Kept until the horizon passes, so that a second label is known for a duplicate.
    pending.put(
        key,
        PendingPrediction.toBytes(
            new PendingPrediction.Joined(prediction.predictionTimeMillis(), prediction.version())));
    if (!deadlineExists(key, prediction)) {
      deadlines.put(
          deadlineKey(JoinDeadline.Kind.PREDICTION, predictionDeadline(prediction), key),
          timeBytes(prediction.predictionTimeMillis()));
    }
    return true;
  }

  private void await(
      final String key, final ModelKey modelKey, final AwaitingPrediction prediction) {
    pending.put(key, PendingPrediction.toBytes(new PendingPrediction.Awaiting(prediction)));
    deadlines.put(
        deadlineKey(JoinDeadline.Kind.PREDICTION, predictionDeadline(prediction), key),
        timeBytes(prediction.predictionTimeMillis()));
    countAwaiting(modelKey, 1);
  }

  /**
   * Adds {@code change} to the predictions of {@code key} waiting here. A model that has had some
   * keeps its series at 0 when none waits, while this task runs.
   */
  private void countAwaiting(final ModelKey key, final long change) {
    awaitingByModel.merge(key, change, Long::sum);
  }

  private boolean deadlineExists(final String key, final AwaitingPrediction prediction) {
    return deadlines.get(
            deadlineKey(JoinDeadline.Kind.PREDICTION, predictionDeadline(prediction), key))
        != null;
  }

  private long predictionDeadline(final AwaitingPrediction prediction) {
    return prediction.predictionTimeMillis() + labels.horizonMillis();
  }

  private void removeEarlyLabel(final String key, final JoinMessage.Label label) {
    earlyLabels.delete(key);
    deadlines.delete(
        deadlineKey(
            JoinDeadline.Kind.LABEL, label.outcomeTimeMillis() + labels.earlyMillis(), key));
  }

  /** The join's watermark, advanced to what the input partitions' reports allow by now. */
  private long advanceWatermark(final long nowMillis) {
    final long tracked = tracker.watermark(nowMillis);
    if (tracked > watermark) {
      watermark = tracked;
      watermarks.put(
          WindowCombiner.APPLICATION_WATERMARK_KEY, new PartitionWatermark(tracked, nowMillis));
    }
    return watermark;
  }

  private void flush(final long nowMillis) {
    advanceWatermark(nowMillis);
    expirePredictions(watermark);
    expireLabels(watermark);
    counting.flush();
    predictionSides.flush(nowMillis, this::toAggregation);
    outcomeSides.flush(nowMillis, this::toAggregation);
    // After the partials, as in PartialAggregator; also the report that this task is running.
    reportedWatermark = watermark;
    toAggregation(
        new Record<>(
            ModelKey.WATERMARK,
            new AggregationMessage.Watermark(
                predictionPartitions + context.taskId().partition(), heldBack()),
            nowMillis));
    joinMetrics.awaiting(context.taskId(), awaitingByModel);
  }

  /**
   * {@code watermark}, or the outcome time of the earliest label still waiting for its prediction
   * if that is earlier: the prediction may yet come, and the pair then adds to that time's window.
   */
  private long heldBack() {
    try (KeyValueIterator<Bytes, byte[]> waiting =
        deadlines.range(
            Bytes.wrap(JoinDeadline.lowerBound(JoinDeadline.Kind.LABEL, Long.MIN_VALUE)),
            Bytes.wrap(JoinDeadline.lowerBound(JoinDeadline.Kind.LABEL, Long.MAX_VALUE)))) {
      if (!waiting.hasNext() || watermark == WatermarkTracker.NONE) {
        return watermark;
      }
      // The earliest deadline is the earliest outcome time while modelmon.labels.early stays as
      // it was when the labels were stored.
      return Math.min(watermark, timeOf(waiting.next().value));
    }
  }

  private void expirePredictions(final long watermark) {
    for (final KeyValue<JoinDeadline, Long> passed :
        passed(JoinDeadline.Kind.PREDICTION, watermark)) {
      final String key = passed.key.joinKey();
      final byte[] known = pending.get(key);
      if (known != null) {
        final PendingPrediction prediction = PendingPrediction.fromBytes(known);
        // Only the prediction this deadline was set for, by its time rather than by the horizon
        // now configured: the key may since hold a later prediction, or the horizon be another.
        if (prediction.predictionTimeMillis() == passed.value) {
          pending.delete(key);
          if (prediction instanceof PendingPrediction.Awaiting awaiting) {
            final ModelKey modelKey = modelKey(key, awaiting.prediction());
            joinMetrics.expired(modelKey);
            countAwaiting(modelKey, -1);
          }
        }
      }
      deadlines.delete(Bytes.wrap(passed.key.toBytes()));
    }
  }

  private void expireLabels(final long watermark) {
    for (final KeyValue<JoinDeadline, Long> passed : passed(JoinDeadline.Kind.LABEL, watermark)) {
      final byte[] early = earlyLabels.get(passed.key.joinKey());
      if (early != null) {
        final JoinMessage.Label label = (JoinMessage.Label) JoinMessage.fromBytes(early);
        if (label.outcomeTimeMillis() == passed.value) {
          earlyLabels.delete(passed.key.joinKey());
          reject(label, InvalidReason.UNMATCHED_LABEL);
        }
      }
      deadlines.delete(Bytes.wrap(passed.key.toBytes()));
    }
  }

  /**
   * The deadlines of {@code kind} that have passed by {@code watermark}, earliest first, each with
   * the time of what it was set for: the prediction's, or the label's outcome time.
   */
  private List<KeyValue<JoinDeadline, Long>> passed(
      final JoinDeadline.Kind kind, final long watermark) {
    final List<KeyValue<JoinDeadline, Long>> passed = new ArrayList<>();
    if (watermark == WatermarkTracker.NONE) {
      return passed;
    }
    try (KeyValueIterator<Bytes, byte[]> entries =
        deadlines.range(
            Bytes.wrap(JoinDeadline.lowerBound(kind, Long.MIN_VALUE)),
            Bytes.wrap(JoinDeadline.lowerBound(kind, Long.MAX_VALUE)))) {
      while (entries.hasNext()) {
        final KeyValue<Bytes, byte[]> entry = entries.next();
        final JoinDeadline deadline = JoinDeadline.fromBytes(entry.key.get());
        if (!hasPassed(deadline.deadlineMillis(), watermark)) {
          break;
        }
        passed.add(KeyValue.pair(deadline, timeOf(entry.value)));
      }
    }
    return passed;
  }

  /**
   * Whether the watermark is past {@code deadlineMillis} by more than the grace period, as a window
   * end is when the window becomes final: what arrives for an earlier time is out of order by more
   * than the grace, and late in the windows of the smallest size.
   */
  private boolean hasPassed(final long deadlineMillis, final long watermark) {
    return watermark != WatermarkTracker.NONE && deadlineMillis + graceMillis < watermark;
  }

  private void reject(final JoinMessage.Label label, final InvalidReason reason) {
    joinMetrics.invalidLabel(reason);
    deadLetter(label.source(), reason);
  }

  /** Sends {@code source} to the dead-letter topic as {@link DeadLetterHandler} would. */
  private void deadLetter(final SourceRecord source, final InvalidReason reason) {
    context.forward(
        new Record<Object, Object>(
            source.key(),
            source.value(),
            source.timestampMillis(),
            DeadLetterHandler.deadLetterHeaders(
                SourceRecords.headersOf(source),
                reason,
                source.topic(),
                source.partition(),
                source.offset())),
        TO_DEAD_LETTERS);
  }

  private void toAggregation(final Record<ModelKey, AggregationMessage> record) {
    context.forward(record, TO_AGGREGATION);
  }

  private static byte[] timeBytes(final long millis) {
    return ByteBuffer.allocate(Long.BYTES).putLong(millis).array();
  }

  private static long timeOf(final byte[] bytes) {
    return ByteBuffer.wrap(bytes).getLong();
  }

  private static Bytes deadlineKey(
      final JoinDeadline.Kind kind, final long deadlineMillis, final String key) {
    return Bytes.wrap(new JoinDeadline(kind, deadlineMillis, key).toBytes());
  }

  private static ModelKey modelKey(final String key, final AwaitingPrediction prediction) {
    return new ModelKey(JoinKey.modelOf(key), prediction.version());
  }

  @Override
  public void close() {
    counting.flush();
    joinMetrics.remove(context.taskId());
  }
}
