package org.modelmon.topology;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.modelmon.window.ModelKey;

/**
 * Bounds the number of distinct (model, version) pairs this instance scores
 * ({@code modelmon.max.models}), so that a producer inventing model names cannot make metric
 * cardinality or state grow without limit. Shared by the stream threads of one instance.
 */
final class ModelAdmission {

  private final int maxModels;
  private final Set<ModelKey> admitted = ConcurrentHashMap.newKeySet();

  ModelAdmission(final int maxModels) {
    this.maxModels = maxModels;
  }

  /** Whether {@code key} is, or may now become, one of the admitted models. */
  boolean admit(final ModelKey key) {
    if (admitted.contains(key)) {
      return true;
    }
    synchronized (admitted) {
      if (admitted.size() >= maxModels) {
        return admitted.contains(key);
      }
      admitted.add(key);
      return true;
    }
  }
}
