package org.modelmon.event;

/**
 * How a prediction event gives its classes (docs/reference.md#prediction-events), which decides
 * what an integer or boolean label means ({@link LabelValue#indexIn}).
 *
 * <p>A prediction waiting for a label that arrives later keeps its form, so that the label is
 * resolved as it would have been inline.
 */
public enum PredictionForm {

  /**
   * {@code probabilities} as an object {@code {class: p}}: an integer label names the class whose
   * name is its decimal form.
   */
  OBJECT,

  /**
   * {@code probabilities} as an array, its classes named by {@code classes} or {@code "0"}, {@code
   * "1"}, …: an integer label is an index into the classes.
   */
  ARRAY,

  /**
   * {@code score}: the classes {@code "0"} and {@code "1"}; an integer label is an index, and a
   * boolean label is allowed ({@code true} = {@code "1"}).
   */
  SCORE
}
