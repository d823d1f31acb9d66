package org.modelmon.demo;

/**
 * How a synthetic model writes its predicted distribution into an event: one of the forms of
 * docs/reference.md#prediction-events.
 */
public enum EventForm {
  /** Binary shorthand: {@code "score": q("1")}, classes {@code "0"} and {@code "1"}. */
  SCORE,
  /**
   * {@code "probabilities": [q0, q1, …]} with the default class names {@code "0"}, {@code "1"}, ….
   */
  ARRAY
}
