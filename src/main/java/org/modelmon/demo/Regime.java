package org.modelmon.demo;

import java.util.Arrays;

/**
 * How the synthetic world produces one model's traffic: the true label mix and how the features
 * depend on the label.
 *
 * <p>The features are one number per class, {@code x_c = signal·[c = y] + offset_c + noise·z_c}
 * with {@code z_c} standard normal: class-conditional Gaussians with equal covariance, for which
 * the Bayes posterior is the softmax of {@code ln p(c) + (signal/noise²)·(x_c − offset_c)}. A model
 * that knows its regime therefore predicts exactly the true posterior and is calibrated by
 * construction; when the world moves to another regime while the model keeps the old formula, its
 * calibration degrades in a known way.
 *
 * @param labelMix the true label distribution, one probability per class, summing to 1
 * @param signal how far the true class's feature stands out, in units of the features; larger is a
 *     more accurate model
 * @param noise the standard deviation of every feature, {@code > 0}
 * @param offset a shift of each class's feature regardless of the label (zero for none): features
 *     that look like a class they are not
 */
public record Regime(double[] labelMix, double signal, double noise, double[] offset) {

  private static final double SUM_TOLERANCE = 1e-9;

  /** Checks the values and copies the arrays, so that a regime never changes. */
  public Regime {
    labelMix = labelMix.clone();
    offset = offset.clone();
    if (labelMix.length < 2 || offset.length != labelMix.length) {
      throw new IllegalArgumentException(
          "need at least 2 classes and one offset per class: "
              + labelMix.length
              + " probabilities, "
              + offset.length
              + " offsets");
    }
    double sum = 0;
    for (final double p : labelMix) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException("label probability out of [0, 1]: " + p);
      }
      sum += p;
    }
    if (Math.abs(sum - 1) > SUM_TOLERANCE) {
      throw new IllegalArgumentException("label mix sums to " + sum + ", not 1");
    }
    if (!(signal >= 0 && Double.isFinite(signal)) || !(noise > 0 && Double.isFinite(noise))) {
      throw new IllegalArgumentException(
          "signal must be ≥ 0 and noise > 0, both finite: " + signal + ", " + noise);
    }
  }

  /** A regime without offsets. */
  public static Regime of(final double[] labelMix, final double signal, final double noise) {
    return new Regime(labelMix, signal, noise, new double[labelMix.length]);
  }

  /** The number of classes. */
  public int classes() {
    return labelMix.length;
  }

  /** A copy of the label mix. */
  @Override
  public double[] labelMix() {
    return labelMix.clone();
  }

  /** A copy of the offsets. */
  @Override
  public double[] offset() {
    return offset.clone();
  }

  @Override
  public boolean equals(final Object other) {
    return other instanceof Regime that
        && Arrays.equals(labelMix, that.labelMix)
        && Double.compare(signal, that.signal) == 0
        && Double.compare(noise, that.noise) == 0
        && Arrays.equals(offset, that.offset);
  }

  @Override
  public int hashCode() {
    return 31
            * (31 * (31 * Arrays.hashCode(labelMix) + Double.hashCode(signal))
                + Double.hashCode(noise))
        + Arrays.hashCode(offset);
  }

  @Override
  public String toString() {
    return "Regime[labelMix="
        + Arrays.toString(labelMix)
        + ", signal="
        + signal
        + ", noise="
        + noise
        + ", offset="
        + Arrays.toString(offset)
        + "]";
  }
}
