package org.modelmon.math;

/**
 * A running sum with Kahan–Neumaier compensation, so that summing millions of log losses of very
 * different magnitudes loses no more than one rounding of the final result.
 *
 * <p>Mutable by design: it sits on the per-event path, where allocating a value per addition would
 * cost more than the addition.
 */
public final class CompensatedSum {

  private double sum;
  private double compensation;

  public CompensatedSum() {}

  private CompensatedSum(final double sum, final double compensation) {
    this.sum = sum;
    this.compensation = compensation;
  }

  /**
   * Restores a sum from its two parts, as written by {@link #sum()} and {@link #compensation()}.
   */
  public static CompensatedSum of(final double sum, final double compensation) {
    return new CompensatedSum(sum, compensation);
  }

  /**
   * Makes this sum {@code other}'s two parts as they are: restoring a stored sum by adding it to an
   * empty one would split the same value into other parts, and later additions could round
   * differently from those of the sum never stored.
   */
  public void set(final CompensatedSum other) {
    sum = other.sum;
    compensation = other.compensation;
  }

  /** Adds {@code value}. */
  public void add(final double value) {
    final double total = sum + value;
    if (Math.abs(sum) >= Math.abs(value)) {
      compensation += (sum - total) + value;
    } else {
      compensation += (value - total) + sum;
    }
    sum = total;
  }

  /** Adds another compensated sum, keeping both its parts. */
  public void add(final CompensatedSum other) {
    add(other.sum);
    add(other.compensation);
  }

  /** The compensated value of the sum. */
  public double value() {
    return sum + compensation;
  }

  /** The uncompensated running total (for serialisation). */
  public double sum() {
    return sum;
  }

  /** The accumulated rounding error (for serialisation). */
  public double compensation() {
    return compensation;
  }

  /** An independent copy. */
  public CompensatedSum copy() {
    return new CompensatedSum(sum, compensation);
  }

  @Override
  public String toString() {
    return Double.toString(value());
  }
}
