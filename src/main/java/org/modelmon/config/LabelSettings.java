package org.modelmon.config;

import java.time.Duration;

/**
 * Where labels that arrive after their predictions come from, and when one joins its prediction
 * (docs/reference.md#label-events).
 *
 * @param topic {@code modelmon.topic.labels}: the label events
 * @param horizon {@code modelmon.labels.horizon}: how long after its prediction's time a label's
 *     outcome time may lie; a prediction waits this long for its label, then counts as expired
 * @param early {@code modelmon.labels.early}: how long before its prediction's time a label's
 *     outcome time may lie, for clocks that disagree
 */
public record LabelSettings(String topic, Duration horizon, Duration early) {

  /** {@link #horizon} in milliseconds. */
  public long horizonMillis() {
    return horizon.toMillis();
  }

  /** {@link #early} in milliseconds. */
  public long earlyMillis() {
    return early.toMillis();
  }

  /**
   * Whether a label with outcome time {@code outcomeTimeMillis} may join a prediction made at
   * {@code predictionTimeMillis}: within [prediction time − early, prediction time + horizon].
   */
  public boolean joins(final long predictionTimeMillis, final long outcomeTimeMillis) {
    return outcomeTimeMillis >= predictionTimeMillis - earlyMillis()
        && outcomeTimeMillis - predictionTimeMillis <= horizonMillis();
  }
}
