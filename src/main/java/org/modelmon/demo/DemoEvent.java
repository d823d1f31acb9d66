package org.modelmon.demo;

/**
 * One synthetic prediction record, ready to produce.
 *
 * @param model the model it was generated for
 * @param kind whether it is valid, and if not, how it is broken
 * @param key the record key (the event id, so that records spread over partitions)
 * @param value the record value, UTF-8 JSON (or, for {@link Kind#TRUNCATED_JSON}, a prefix of it)
 * @param laterLabel the label event that follows it on the labels topic, or {@code null} when the
 *     event carries its label inline
 */
public record DemoEvent(
    SyntheticModel model, Kind kind, byte[] key, byte[] value, LaterLabel laterLabel) {

  /**
   * A label event, due at its outcome time.
   *
   * @param outcomeTimeMillis its {@code timestamp}, and when to send it
   * @param key the record key (the event id)
   * @param value the label event, UTF-8 JSON
   */
  public record LaterLabel(long outcomeTimeMillis, byte[] key, byte[] value) {}

  /**
   * What a generated event is meant to be; all but {@link #VALID} belong on the dead-letter topic.
   */
  public enum Kind {
    /** A well-formed event. */
    VALID,
    /** The JSON cut off part-way: {@code MALFORMED_JSON}. */
    TRUNCATED_JSON,
    /** A label that is none of the classes: {@code UNKNOWN_LABEL}. */
    UNKNOWN_LABEL,
    /** Probabilities that sum to 0.9: {@code PROBABILITY_SUM}. */
    PROBABILITY_SUM
  }
}
