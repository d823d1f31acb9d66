package org.modelmon.admission;

import org.modelmon.window.ModelKey;

/**
 * Decides which (model, version) pairs the application scores, so that a producer inventing
 * model names cannot make metric cardinality or state grow without limit ({@code
 * modelmon.max.models}). Shared by the stream threads of an instance; every instance of an
 * application must come to the same decision for a pair, and keep it across restarts.
 */
@FunctionalInterface
public interface ModelAdmission {

  /**
   * Whether {@code key} is, or may now become, one of the admitted pairs.
   *
   * @throws org.apache.kafka.common.errors.RetriableException when the decision cannot be reached
   *     in time; the event is then processed again, as after any failure of the Kafka cluster
   */
  boolean admit(ModelKey key);
}
