package org.modelmon.reference;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.modelmon.math.InformationTheory;

/**
 * A model's reference label distribution p (e.g. the training prior), validated and renormalised.
 *
 * <p>Built once per update of the references topic and shared read-only by every scoring thread,
 * so its derived values (entropy, class index) are computed here and never per event.
 */
public final class Reference {

  private final String model;
  private final String version;
  private final List<String> classes;
  private final double[] distribution;
  private final double entropy;
  private final Map<String, Integer> indexByClass;

  /**
   * @param model the model the reference is for
   * @param version the version, or {@code ""} for the model-wide reference
   * @param classes class names
   * @param distribution p over {@code classes}, summing to 1
   */
  public Reference(
      final String model,
      final String version,
      final List<String> classes,
      final double[] distribution) {
    if (classes.size() != distribution.length) {
      throw new IllegalArgumentException("classes and distribution differ in length");
    }
    this.model = model;
    this.version = version;
    this.classes = List.copyOf(classes);
    this.distribution = distribution.clone();
    this.entropy = InformationTheory.entropy(this.distribution);
    this.indexByClass = new HashMap<>(classes.size() * 2);
    for (int i = 0; i < classes.size(); i++) {
      indexByClass.put(classes.get(i), i);
    }
  }

  public String model() {
    return model;
  }

  /** The version this reference is specific to, or {@code ""} for the model-wide one. */
  public String version() {
    return version;
  }

  public List<String> classes() {
    return classes;
  }

  /** Number of classes K. */
  public int size() {
    return distribution.length;
  }

  /** p(c) of the class at {@code index}. */
  public double probability(final int index) {
    return distribution[index];
  }

  /** A copy of p. */
  public double[] distribution() {
    return distribution.clone();
  }

  /**
   * D(p‖q) from this reference p to {@code q}, given over this reference's classes.
   *
   * @see InformationTheory#klDivergence
   */
  public double klDivergenceTo(final double[] q, final double epsilon) {
    return InformationTheory.klDivergence(distribution, q, epsilon);
  }

  /** Index of {@code className}, or -1 when the reference does not list it. */
  public int indexOf(final String className) {
    final Integer index = indexByClass.get(className);
    return index == null ? -1 : index;
  }

  /** H(p) in nats. */
  public double entropy() {
    return entropy;
  }

  @Override
  public String toString() {
    return "Reference[" + model + (version.isEmpty() ? "" : "@" + version) + ", " + classes + "]";
  }
}
