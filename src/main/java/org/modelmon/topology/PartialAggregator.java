package org.modelmon.topology;

import java.time.Duration;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.modelmon.window.AggregationMessage;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ScoredPrediction;
import org.modelmon.window.WatermarkTracker;

/**
 * Step 3: adds up scored predictions per (model, version, time bucket) within one input partition
 * ({@link PartialSums}), and every flush interval sends the partial sums, then the partition's
 * stream time, to the combining tasks.
 *
 * <p>This is what keeps a hot model from being funnelled through one partition event by event: each
 * input partition sends a few partials per second, however many events it scores.
 */
final class PartialAggregator
    implements Processor<ModelKey, ScoredPrediction, ModelKey, AggregationMessage> {

  private final PartialSums partials;
  private final Duration flushInterval;
  private ProcessorContext<ModelKey, AggregationMessage> context;
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
    this.partials = new PartialSums(bucketMillis, maxClasses, calibrationBins);
    this.flushInterval = flushInterval;
  }

  @Override
  public void init(final ProcessorContext<ModelKey, AggregationMessage> context) {
    this.context = context;
    this.partition = context.taskId().partition();
    // A task revived after corruption initialises this same instance again, on stores restored to
    // the last commit: its stream time must not run ahead of the events about to be redone.
    streamTimeMillis = WatermarkTracker.NONE;
    advanceStreamTime(partials.restore(context.getStateStore(ModelmonTopology.PARTIALS_STORE)));
    context.schedule(flushInterval, PunctuationType.WALL_CLOCK_TIME, this::flush);
  }

  @Override
  public void process(final Record<ModelKey, ScoredPrediction> record) {
    if (record.value() == null) {
      // An event that went to the label join: only its time, which the record carries.
      advanceStreamTime(record.timestamp());
      return;
    }
    partials.add(record.key(), record.value());
    advanceStreamTime(record.value().eventTimeMillis());
  }

  private void advanceStreamTime(final long eventTimeMillis) {
    // An event ahead of the wall clock (allowed up to modelmon.max.future.skew) is windowed at
    // its own time, but advances the partition's stream time only up to now: one skewed
    // producer must not drag the watermark ahead and make everyone else's events late.
    streamTimeMillis =
        Math.max(streamTimeMillis, Math.min(eventTimeMillis, context.currentSystemTimeMs()));
  }

  private void flush(final long nowMillis) {
    partials.flush(nowMillis, context::forward);
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
