package org.modelmon.event;

/**
 * Why a prediction or label event was rejected, in the order the rules are checked
 * (docs/reference.md#dead-letters-and-reason-codes).
 *
 * <p>An invalid event carries the reason of the first rule that fails; its name is the value of the
 * {@code modelmon.error.reason} header on the dead-letter record and of the {@code reason} label of
 * {@code modelmon_invalid_events_total} (prediction events) or {@code
 * modelmon_invalid_labels_total} (label events).
 */
public enum InvalidReason {
  MALFORMED_JSON,
  MISSING_FIELD,
  INVALID_FIELD,
  INVALID_PROBABILITY,
  PROBABILITY_SUM,
  DUPLICATE_CLASS,
  TOO_MANY_CLASSES,
  UNKNOWN_LABEL,
  CLASS_MISMATCH,
  INVALID_TIMESTAMP,
  /** A prediction without a label whose (model, id) already waits for one: found at the join. */
  DUPLICATE_ID,
  TOO_MANY_MODELS,
  /**
   * A label for a prediction that a label already joined, or that arrives while an earlier label of
   * its (model, id) waits for the prediction: the first label to arrive wins.
   */
  DUPLICATE_LABEL,
  /** A label that no prediction joined by the end of its join window. */
  UNMATCHED_LABEL;

  /** Whether a prediction event can be rejected for this reason. */
  public boolean appliesToPredictions() {
    return this != DUPLICATE_LABEL && this != UNMATCHED_LABEL;
  }

  /**
   * Whether a label event can be rejected for this reason: the rules of its fields, then at the
   * join {@link #UNKNOWN_LABEL}, {@link #DUPLICATE_LABEL} and {@link #UNMATCHED_LABEL}.
   */
  public boolean appliesToLabels() {
    return switch (this) {
      case MALFORMED_JSON,
          MISSING_FIELD,
          INVALID_FIELD,
          INVALID_TIMESTAMP,
          UNKNOWN_LABEL,
          DUPLICATE_LABEL,
          UNMATCHED_LABEL ->
          true;
      default -> false;
    };
  }
}
