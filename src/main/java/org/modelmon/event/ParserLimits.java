package org.modelmon.event;

import org.modelmon.config.ModelmonConfig;

/**
 * The configurable bounds a prediction event is validated against
 * (docs/reference.md#prediction-events).
 *
 * @param maxClasses {@code modelmon.max.classes}: most classes an event may have, at least 2
 * @param probabilityTolerance {@code modelmon.probability.tolerance}: largest accepted |Σq − 1|, in
 *     [0, 1) so that a distribution of all zeros is always refused
 * @param maxFutureSkewMillis {@code modelmon.max.future.skew}: how far ahead of the wall clock an
 *     event time may be, ≥ 0
 */
public record ParserLimits(int maxClasses, double probabilityTolerance, long maxFutureSkewMillis) {

  /**
   * The defaults of docs/reference.md#configuration: 1000 classes, tolerance 1e-3, one hour of
   * future skew.
   */
  public static final ParserLimits DEFAULTS = new ParserLimits(1000, 1e-3, 3_600_000L);

  public ParserLimits {
    if (maxClasses < 2) {
      throw new IllegalArgumentException("maxClasses must be at least 2: " + maxClasses);
    }
    if (!(probabilityTolerance >= 0.0 && probabilityTolerance < 1.0)) {
      throw new IllegalArgumentException(
          "probabilityTolerance must be in [0, 1): " + probabilityTolerance);
    }
    if (maxFutureSkewMillis < 0) {
      throw new IllegalArgumentException(
          "maxFutureSkewMillis must not be negative: " + maxFutureSkewMillis);
    }
  }

  /** The limits configured in {@code config}. */
  public static ParserLimits from(final ModelmonConfig config) {
    return new ParserLimits(
        config.maxClasses(), config.probabilityTolerance(), config.maxFutureSkew().toMillis());
  }
}
