package org.modelmon.demo;

import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * One model of the demo's synthetic world: what it is called, how its events look, how much of the
 * traffic it gets, and the {@link Regime} its traffic follows before and after the drift.
 *
 * <p>The model itself always predicts with the formula of its {@code before} regime, which is also
 * its published reference label distribution (the training prior). Before the drift it is therefore
 * calibrated; a model whose {@code after} regime differs becomes miscalibrated from the drift on,
 * and its label mix moves away from the reference.
 *
 * @param name the {@code model} field
 * @param version the {@code version} field
 * @param form how events carry the prediction
 * @param share this model's weight in the traffic, {@code > 0}; shares are relative to each other
 * @param before the regime until the drift, and the model's own belief
 * @param after the regime from the drift on; equal to {@code before} for a model that stays stable
 * @param labelDelay how much later than its predictions its labels come, on the labels topic;
 *     {@code null} for a model whose predictions carry their label inline
 */
public record SyntheticModel(
    String name,
    String version,
    EventForm form,
    double share,
    Regime before,
    Regime after,
    LabelDelay labelDelay) {

  /** A model whose predictions carry their label inline. */
  public SyntheticModel(
      final String name,
      final String version,
      final EventForm form,
      final double share,
      final Regime before,
      final Regime after) {
    this(name, version, form, share, before, after, null);
  }

  /** Checks that the regimes have the same classes and the form fits them. */
  public SyntheticModel {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(form, "form");
    Objects.requireNonNull(before, "before");
    Objects.requireNonNull(after, "after");
    if (!(share > 0 && Double.isFinite(share))) {
      throw new IllegalArgumentException("share must be positive: " + share);
    }
    if (before.classes() != after.classes()) {
      throw new IllegalArgumentException(
          "the regimes of "
              + name
              + " have different classes: "
              + before.classes()
              + " and "
              + after.classes());
    }
    if (form == EventForm.SCORE && before.classes() != 2) {
      throw new IllegalArgumentException(
          "the score form is binary, but " + name + " has " + before.classes() + " classes");
    }
  }

  /** A model whose traffic never drifts. */
  public static SyntheticModel stable(
      final String name,
      final String version,
      final EventForm form,
      final double share,
      final Regime regime) {
    return new SyntheticModel(name, version, form, share, regime, regime);
  }

  /** This model with its labels coming {@code delay} after its predictions. */
  public SyntheticModel withLabelsLater(final LabelDelay delay) {
    return new SyntheticModel(name, version, form, share, before, after, delay);
  }

  /** Whether its traffic changes at the drift. */
  public boolean drifts() {
    return !before.equals(after);
  }

  /** The class names its events use: {@code "0"}, {@code "1"}, … (the forms' default names). */
  public List<String> classes() {
    return IntStream.range(0, before.classes()).mapToObj(Integer::toString).toList();
  }

  /** {@code name version}, as the summary shows it. */
  public String displayName() {
    return version.isEmpty() ? name : name + " " + version;
  }
}
