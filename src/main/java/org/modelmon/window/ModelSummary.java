package org.modelmon.window;

import java.nio.ByteBuffer;

/**
 * What the application knows of one (model, version) overall: for {@code /api/v1/models} and the
 * {@code modelmon_last_event_timestamp_seconds} gauge.
 *
 * @param lastEventMillis the largest event time seen
 * @param predictions valid predictions aggregated so far
 */
public record ModelSummary(long lastEventMillis, long predictions) {

  /** This summary with {@code aggregate} added. */
  public ModelSummary plus(final WindowAggregate aggregate) {
    return new ModelSummary(
        Math.max(lastEventMillis, aggregate.maxEventTimeMillis()),
        predictions + aggregate.count());
  }

  byte[] toBytes() {
    return ByteBuffer.allocate(16).putLong(lastEventMillis).putLong(predictions).array();
  }

  static ModelSummary fromBytes(final byte[] bytes) {
    final ByteBuffer buffer = ByteBuffer.wrap(bytes);
    return new ModelSummary(buffer.getLong(), buffer.getLong());
  }
}
