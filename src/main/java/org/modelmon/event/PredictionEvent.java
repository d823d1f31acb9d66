package org.modelmon.event;

import java.util.List;

/**
 * One valid prediction event, as parsed and validated from the input topic.
 *
 * @param model the model name
 * @param version the model version, {@code ""} when the event has none
 * @param id the caller's request id, or {@code null}; never a metric label
 * @param eventTimeMillis the event time in epoch milliseconds (the {@code timestamp} field, or the
 *     record timestamp when absent)
 * @param classes the class names, in the order of {@code probabilities}
 * @param probabilities the predicted distribution q over {@code classes}, renormalised to sum 1
 * @param labelIndex index of the true label in {@code classes}
 */
public record PredictionEvent(
    String model,
    String version,
    String id,
    long eventTimeMillis,
    List<String> classes,
    double[] probabilities,
    int labelIndex) {

  /** The true label's class name. */
  public String label() {
    return classes.get(labelIndex);
  }
}
