package org.modelmon.topology;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.modelmon.window.AggregationMessage;
import org.modelmon.window.ModelKey;
import org.modelmon.window.OpenWindowKey;
import org.modelmon.window.ScoredPrediction;
import org.modelmon.window.WatermarkTracker;
import org.modelmon.window.WindowAggregate;

/**
 * Step 3: adds up scored predictions per (model, version, time bucket) within one input partition,
 * and every flush interval sends the partial sums, then the partition's stream time, to the
 * combining tasks.
 *
 * <p>This is what keeps a hot model from being funnelled through one partition event by event: each
 * input partition sends a few partials per second, however many events it scores. The bucket length
 * is the greatest common divisor of the window sizes, so every window is a whole number of buckets.
 *
 * <p>Partials live in a working map for speed and are written through to a changelogged store, so
 * that sums of events whose offsets are committed survive a crash even before they were sent. The
 * store's cache collapses the writes to one changelog record per bucket per commit.
 */
final class PartialAggregator
    implements Processor<ModelKey, ScoredPrediction, ModelKey, AggregationMessage> {

  private final long bucketMillis;
  private final int maxClasses;
  private final int calibrationBins;
  private final Duration flushInterval;
  private final Map<OpenWindowKey, WindowAggregate> partials = new HashMap<>();
  private ProcessorContext<ModelKey, AggregationMessage> context;
  private KeyValueStore<OpenWindowKey, WindowAggregate> store;
  private int partition;
  private long streamTimeMillis = WatermarkTracker.NONE;

  /**
   * @param bucketMillis the bucket length
   * @param maxClasses classes tracked per partial ({@code modelmon.max.classes})
   * @param calibrationBins confidence bins per partial ({@code modelmon.calibration.bins})
   * @param flushInterval how often partials are sent on (wall clock)
   */
  PartialAggregator(
      final long bucketMillis,
      final int maxClasses,
      final int calibrationBins,
      final Duration flushInterval) {
    this.bucketMillis = bucketMillis;
    this.maxClasses = maxClasses;
    this.calibrationBins = calibrationBins;
    this.flushInterval = flushInterval;
  }

  @Override
  public void init(final ProcessorContext<ModelKey, AggregationMessage> context) {
    this.context = context;
    this.partition = context.taskId().partition();
    this.store = context.getStateStore(ModelmonTopology.PARTIALS_STORE);
    // A task revived after corruption initialises this same instance again, on stores restored to
    // the last commit: what the aborted transaction left in the fields must go, or its sums would
    // be sent twice and its stream time would run ahead of the events about to be redone.
    partials.clear();
    streamTimeMillis = WatermarkTracker.NONE;
    try (KeyValueIterator<OpenWindowKey, WindowAggregate> restored = store.all()) {
      while (restored.hasNext()) {
        final KeyValue<OpenWindowKey, WindowAggregate> entry = restored.next();
        partials.put(entry.key, entry.value);
        advanceStreamTime(entry.value.maxEventTimeMillis());
      }
    }
    context.schedule(flushInterval, PunctuationType.WALL_CLOCK_TIME, this::flush);
  }

  @Override
  public void process(final Record<ModelKey, ScoredPrediction> record) {
    final long eventTime = record.value().eventTimeMillis();
    final long bucketStart = Math.floorDiv(eventTime, bucketMillis) * bucketMillis;
    final OpenWindowKey bucket =
        new OpenWindowKey(
            bucketStart + bucketMillis, bucketMillis, record.key().model(), record.key().version());
    WindowAggregate partial = partials.get(bucket);
    if (partial == null) {
      partial = new WindowAggregate(maxClasses, calibrationBins);
      partials.put(bucket, partial);
    }
    partial.add(record.value());
    store.put(bucket, partial);
    advanceStreamTime(eventTime);
  }

  private void advanceStreamTime(final long eventTimeMillis) {
    // An event ahead of the wall clock (allowed up to modelmon.max.future.skew) is windowed at
    // its own time, but advances the partition's stream time only up to now: one skewed
    // producer must not drag the watermark ahead and make everyone else's events late.
    streamTimeMillis =
        Math.max(streamTimeMillis, Math.min(eventTimeMillis, context.currentSystemTimeMs()));
  }

  private void flush(final long nowMillis) {
    for (final Map.Entry<OpenWindowKey, WindowAggregate> entry : partials.entrySet()) {
      final OpenWindowKey bucket = entry.getKey();
      final WindowAggregate partial = entry.getValue();
      context.forward(
          new Record<>(
              new ModelKey(bucket.model(), bucket.version()),
              new AggregationMessage.Partial(bucket.startMillis(), partial),
              // Events ahead of the clock are windowed at their own time, but a record stamped
              // further ahead than the broker accepts would stop the stream.
              Math.min(partial.maxEventTimeMillis(), nowMillis)));
      store.delete(bucket);
    }
    partials.clear();
    // After the partials: per combining partition, records of one task arrive in order, so the
    // watermark never overtakes the sums it covers. Sent every flush, advanced or not: it is also
    // the report that this task is running, without which the combiners hold the watermark at
    // this partition's stream time instead of taking a silent partition for an idle one.
    context.forward(
        new Record<>(
            ModelKey.WATERMARK,
            new AggregationMessage.Watermark(partition, streamTimeMillis),
            nowMillis));
  }
}
