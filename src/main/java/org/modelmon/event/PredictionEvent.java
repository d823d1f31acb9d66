package org.modelmon.event;

import java.util.List;
import org.modelmon.reference.Reference;

/**
 * One valid prediction event, as parsed and validated from the input topic.
 *
 * @param model the model name
 * @param version the model version, {@code ""} when the event has none
 * @param id the caller's request id, or {@code null}; never a metric label
 * @param eventTimeMillis the event time in epoch milliseconds (the {@code timestamp} field, or the
 *     record timestamp when absent)
 * @param form how the event gave its classes, which decides what a label that arrives later means
 *     ({@link LabelValue#indexIn})
 * @param classes the class names, in the order of {@code probabilities}
 * @param probabilities the predicted distribution q over {@code classes}, renormalised to sum 1
 * @param labelIndex index of the true label in {@code classes}, or {@link #UNLABELLED} for an event
 *     without one, which counts on the prediction side only
 * @param reference the model's effective reference the event was validated against (every class it
 *     gives p(c) &gt; 0 is among {@code classes}), or {@code null} when the model had none; the
 *     event is scored against this one, so a reference updated meanwhile cannot break that rule
 * @param referenceIndexes for each of {@code classes}, its index in {@code reference} or -1 where
 *     the reference lacks it; {@code null} without a reference
 */
public record PredictionEvent(
    String model,
    String version,
    String id,
    long eventTimeMillis,
    PredictionForm form,
    List<String> classes,
    double[] probabilities,
    int labelIndex,
    Reference reference,
    int[] referenceIndexes) {

  /** The {@link #labelIndex} of an event without a label. */
  public static final int UNLABELLED = -1;

  /** Whether the event carries its true label. */
  public boolean labelled() {
    return labelIndex >= 0;
  }

  /** The true label's class name, or {@code null} for an unlabelled event. */
  public String label() {
    return labelled() ? classes.get(labelIndex) : null;
  }
}
