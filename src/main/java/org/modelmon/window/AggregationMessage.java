package org.modelmon.window;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What the scoring tasks send to the combining tasks over the aggregation topic: partial sums of
 * one time bucket, or the stream time of one input partition.
 *
 * <p>Both travel on one topic so that, per combining partition, a task's partials always arrive
 * before the watermark that covers them.
 */
public sealed interface AggregationMessage {

  /**
   * Partial sums of one (model, version) over one time bucket, from one input partition.
   *
   * @param bucketStartMillis start of the bucket, a multiple of the bucket length
   * @param aggregate the sums
   */
  record Partial(long bucketStartMillis, WindowAggregate aggregate) implements AggregationMessage {}

  /**
   * An input partition's stream time: the largest event time read from it so far.
   *
   * @param sourcePartition the input partition
   * @param streamTimeMillis its stream time
   */
  record Watermark(int sourcePartition, long streamTimeMillis) implements AggregationMessage {}

  /** Binary form: a tag byte, then the message's fields. */
  static byte[] toBytes(final AggregationMessage message) {
    if (message instanceof Partial partial) {
      final byte[] aggregate = partial.aggregate().toBytes();
      return ByteBuffer.allocate(1 + 8 + aggregate.length)
          .put((byte) 'P')
          .putLong(partial.bucketStartMillis())
          .put(aggregate)
          .array();
    }
    final Watermark watermark = (Watermark) message;
    return ByteBuffer.allocate(1 + 4 + 8)
        .put((byte) 'W')
        .putInt(watermark.sourcePartition())
        .putLong(watermark.streamTimeMillis())
        .array();
  }

  /**
   * Reads the form written by {@link #toBytes}.
   *
   * @param maxClasses the bound of the partial aggregates read ({@code modelmon.max.classes})
   * @param calibrationBins {@code modelmon.calibration.bins}, for aggregates written without bins
   */
  static AggregationMessage fromBytes(
      final byte[] bytes, final int maxClasses, final int calibrationBins) {
    final ByteBuffer buffer = ByteBuffer.wrap(bytes);
    final byte tag = buffer.get();
    return switch (tag) {
      case 'P' ->
          new Partial(
              buffer.getLong(),
              WindowAggregate.fromBytes(
                  Arrays.copyOfRange(bytes, 9, bytes.length), maxClasses, calibrationBins));
      case 'W' -> new Watermark(buffer.getInt(), buffer.getLong());
      default -> throw new IllegalArgumentException("unknown aggregation message tag " + tag);
    };
  }
}
