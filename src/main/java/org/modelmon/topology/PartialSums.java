package org.modelmon.topology;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.modelmon.window.AggregationMessage;
import org.modelmon.window.ModelKey;
import org.modelmon.window.OpenWindowKey;
import org.modelmon.window.ScoredPrediction;
import org.modelmon.window.WindowAggregate;

/**
 * Partial sums per (model, version, time bucket) of one task, sent to the combining tasks on {@link
 * #flush}. The bucket length is the greatest common divisor of the window sizes, so every window is
 * a whole number of buckets.
 *
 * <p>Partials live in a working map for speed and are written through to a changelogged store, so
 * that sums of events whose offsets are committed survive a crash even before they were sent. The
 * store's cache collapses the writes to one changelog record per bucket per commit.
 */
final class PartialSums {

  private final long bucketMillis;
  private final int maxClasses;
  private final int calibrationBins;
  private final Map<OpenWindowKey, WindowAggregate> partials = new HashMap<>();
  private KeyValueStore<OpenWindowKey, WindowAggregate> store;

  /**
   * @param bucketMillis the bucket length
   * @param maxClasses classes tracked per partial ({@code modelmon.max.classes})
   * @param calibrationBins confidence bins per partial ({@code modelmon.calibration.bins})
   */
  PartialSums(final long bucketMillis, final int maxClasses, final int calibrationBins) {
    this.bucketMillis = bucketMillis;
    this.maxClasses = maxClasses;
    this.calibrationBins = calibrationBins;
  }

  /**
   * Loads the partials {@code store} holds: those of the last commit. A task revived after
   * corruption initialises its processor again on stores restored to the last commit, so whatever
   * the aborted transaction left in the working map goes first, or its sums would be sent twice.
   *
   * @return the largest event time among the restored partials, or {@link Long#MIN_VALUE}
   */
  long restore(final KeyValueStore<OpenWindowKey, WindowAggregate> store) {
    this.store = store;
    partials.clear();
    long maxEventTime = Long.MIN_VALUE;
    try (KeyValueIterator<OpenWindowKey, WindowAggregate> restored = store.all()) {
      while (restored.hasNext()) {
        final KeyValue<OpenWindowKey, WindowAggregate> entry = restored.next();
        partials.put(entry.key, entry.value);
        maxEventTime = Math.max(maxEventTime, entry.value.maxEventTimeMillis());
      }
    }
    return maxEventTime;
  }

  /** Adds {@code scored} of {@code key}: its prediction side, and its outcome side if labelled. */
  void add(final ModelKey key, final ScoredPrediction scored) {
    final OpenWindowKey bucket = bucketOf(key, scored.eventTimeMillis());
    final WindowAggregate partial = partialOf(bucket);
    partial.add(scored);
    store.put(bucket, partial);
  }

  /** Adds the outcome side only of {@code scored}, see {@link WindowAggregate#addOutcome}. */
  void addOutcome(final ModelKey key, final ScoredPrediction scored) {
    final OpenWindowKey bucket = bucketOf(key, scored.eventTimeMillis());
    final WindowAggregate partial = partialOf(bucket);
    partial.addOutcome(scored);
    store.put(bucket, partial);
  }

  private OpenWindowKey bucketOf(final ModelKey key, final long eventTimeMillis) {
    final long bucketStart = Math.floorDiv(eventTimeMillis, bucketMillis) * bucketMillis;
    return new OpenWindowKey(bucketStart + bucketMillis, bucketMillis, key.model(), key.version());
  }

  private WindowAggregate partialOf(final OpenWindowKey bucket) {
    WindowAggregate partial = partials.get(bucket);
    if (partial == null) {
      partial = new WindowAggregate(maxClasses, calibrationBins);
      partials.put(bucket, partial);
    }
    return partial;
  }

  /** Sends every partial to {@code out} and forgets it. */
  void flush(final long now, final Consumer<Record<ModelKey, AggregationMessage>> out) {
    for (final Map.Entry<OpenWindowKey, WindowAggregate> entry : partials.entrySet()) {
      final OpenWindowKey bucket = entry.getKey();
      final WindowAggregate partial = entry.getValue();
      out.accept(
          new Record<>(
              new ModelKey(bucket.model(), bucket.version()),
              new AggregationMessage.Partial(bucket.startMillis(), partial),
              // Events ahead of the clock are windowed at their own time, but a record stamped
              // further ahead than the broker accepts would stop the stream.
              Math.min(partial.maxEventTimeMillis(), now)));
      store.delete(bucket);
    }
    partials.clear();
  }
}
