package org.modelmon.event;

/**
 * Why a prediction event was rejected, in the order the rules are checked
 * (docs/reference.md#dead-letters-and-reason-codes).
 *
 * <p>An invalid event carries the reason of the first rule that fails; its name is the value of
 * the {@code modelmon.error.reason} header on the dead-letter record and of the {@code reason}
 * label of {@code modelmon_invalid_events_total}.
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
  TOO_MANY_MODELS
}
