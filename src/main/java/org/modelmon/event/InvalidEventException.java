package org.modelmon.event;

import java.util.Objects;

/**
 * Thrown when a prediction or label event breaks a rule of docs/reference.md#prediction-events or
 * docs/reference.md#label-events.
 *
 * <p>Invalid input is expected traffic, not a programming error, so the exception carries no stack
 * trace: building one per bad record would make a flood of bad records expensive.
 */
public final class InvalidEventException extends RuntimeException {

  private final InvalidReason reason;

  public InvalidEventException(final InvalidReason reason, final String detail) {
    super(reason + ": " + detail, null, false, false);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** The rule that failed. */
  public InvalidReason reason() {
    return reason;
  }
}
