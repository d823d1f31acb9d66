package org.modelmon.event;

/**
 * One valid label event, as parsed and validated from the labels topic
 * (docs/reference.md#label-events): the true label of the prediction with the same model and id,
 * which may arrive before or after it.
 *
 * @param model the model name
 * @param id the request id, with {@code model} the key the label joins its prediction by
 * @param label the label as read; resolved against the classes of the prediction it joins, by that
 *     prediction's form ({@link LabelValue#indexIn})
 * @param outcomeTimeMillis when the outcome became known, in epoch milliseconds (the {@code
 *     timestamp} field, or the record timestamp when absent)
 */
public record LabelEvent(String model, String id, LabelValue label, long outcomeTimeMillis) {}
