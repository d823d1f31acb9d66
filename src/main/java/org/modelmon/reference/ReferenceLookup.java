package org.modelmon.reference;

/**
 * Finds the reference that applies to a (model, version) at a time: the version-specific one if
 * one is in force then, else the model-wide one. A reference is in force from its record's
 * timestamp until the next reference or tombstone of the same record key.
 *
 * <p>Called once per valid event, so implementations should be a map lookup, not I/O.
 */
@FunctionalInterface
public interface ReferenceLookup {

  /** A lookup for a world without references. */
  ReferenceLookup NONE = (model, version, timeMillis) -> null;

  /**
   * The effective reference of {@code model} at {@code version} at {@code timeMillis}.
   *
   * @param model a valid model name
   * @param version a valid version, {@code ""} when the event has none
   * @param timeMillis the event time, or the last millisecond of a window
   * @return the reference, or {@code null} when the model has none in force then
   */
  Reference find(String model, String version, long timeMillis);
}
