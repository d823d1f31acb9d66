package org.modelmon.admission;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.modelmon.window.ModelKey;

/**
 * Admits the first {@code maxModels} pairs it is asked about, in memory: the decision {@link
 * AdmissionLog} takes for a whole application, for topology tests that run one task in one
 * process and have no broker to keep a log on.
 */
public final class FirstComeAdmission implements ModelAdmission {

  private final int maxModels;
  private final Set<ModelKey> admitted = ConcurrentHashMap.newKeySet();

  public FirstComeAdmission(final int maxModels) {
    this.maxModels = maxModels;
  }

  @Override
  public synchronized boolean admit(final ModelKey key) {
    if (admitted.contains(key)) {
      return true;
    }
    if (admitted.size() >= maxModels) {
      return false;
    }
    admitted.add(key);
    return true;
  }
}
