package org.modelmon.reference;

/**
 * Finds the reference that applies to a (model, version): the version-specific one if there is one,
 * else the model-wide one (docs/reference.md#references).
 *
 * <p>Called once per valid event, so implementations should be a map lookup, not I/O.
 */
@FunctionalInterface
public interface ReferenceLookup {

  /** A lookup for a world without references. */
  ReferenceLookup NONE = (model, version) -> null;

  /**
   * The effective reference of {@code model} at {@code version}.
   *
   * @param model a valid model name
   * @param version a valid version, {@code ""} when the event has none
   * @return the reference, or {@code null} when the model has none
   */
  Reference find(String model, String version);
}
