package org.modelmon.demo;

import java.time.Duration;
import java.util.Objects;

/**
 * How long after its prediction a demo model's true label becomes known: uniformly between {@code
 * min} and {@code max}. Such a model's predictions carry no label; the label follows as a label
 * event on the labels topic once it is due (docs/reference.md#label-events).
 *
 * @param min the shortest delay, ≥ 0
 * @param max the longest delay, ≥ min
 */
public record LabelDelay(Duration min, Duration max) {

  /** Checks the bounds. */
  public LabelDelay {
    Objects.requireNonNull(min, "min");
    Objects.requireNonNull(max, "max");
    if (min.isNegative() || max.compareTo(min) < 0) {
      throw new IllegalArgumentException("label delay bounds out of order: " + min + ", " + max);
    }
  }
}
