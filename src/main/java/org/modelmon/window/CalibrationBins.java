package org.modelmon.window;

import java.nio.ByteBuffer;
import org.modelmon.math.CompensatedSum;
import org.modelmon.math.InformationTheory;

/**
 * Additive per-bin sums of top-label confidence, the stuff of a reliability diagram and of the
 * expected calibration error, and of the drift detector's baseline: per bin b = min(⌊confidence·B⌋,
 * B − 1) the labelled events, Σ confidence, the correct ones, Σ(ℓ − H(q)) and ΣV(q).
 *
 * <p>Mutable and confined to the stream thread that owns its {@link WindowAggregate}.
 */
final class CalibrationBins {

  /** Bytes of one bin: labelled and correct counts, then three compensated sums. */
  static final int BYTES_PER_BIN = 8 * 2 + 16 * 3;

  /** Bytes of one bin in the form before ΣV(q) per bin (window aggregate format 2). */
  static final int LEGACY_BYTES_PER_BIN = 8 * 2 + 16 * 2;

  /**
   * The most bins a stored aggregate is believed to have: far above what the configuration allows,
   * it only keeps a corrupt value from allocating without bound.
   */
  private static final int MAX_BINS = 1000;

  private final long[] labelled;
  private final long[] correct;
  private final CompensatedSum[] confidence;
  private final CompensatedSum[] excessLogLoss;
  private final CompensatedSum[] nullVariance;

  /**
   * Empty bins.
   *
   * @param bins B, at least 1
   */
  CalibrationBins(final int bins) {
    this(checked(bins), true);
  }

  private CalibrationBins(final int bins, final boolean zeroSums) {
    labelled = new long[bins];
    correct = new long[bins];
    confidence = new CompensatedSum[bins];
    excessLogLoss = new CompensatedSum[bins];
    nullVariance = new CompensatedSum[bins];
    if (zeroSums) {
      for (int b = 0; b < bins; b++) {
        confidence[b] = new CompensatedSum();
        excessLogLoss[b] = new CompensatedSum();
        nullVariance[b] = new CompensatedSum();
      }
    }
  }

  private static int checked(final int bins) {
    if (bins < 1 || bins > MAX_BINS) {
      throw new IllegalArgumentException(
          "calibration bins must be from 1 to " + MAX_BINS + ", got " + bins);
    }
    return bins;
  }

  /** B. */
  int size() {
    return labelled.length;
  }

  /** Adds one labelled event with its confidence, correctness, ℓ − H(q) and V(q). */
  void add(
      final double eventConfidence,
      final boolean eventCorrect,
      final double excess,
      final double variance) {
    final int b = InformationTheory.calibrationBin(eventConfidence, labelled.length);
    labelled[b]++;
    if (eventCorrect) {
      correct[b]++;
    }
    confidence[b].add(eventConfidence);
    excessLogLoss[b].add(excess);
    nullVariance[b].add(variance);
  }

  /**
   * Adds {@code other}'s bins into these.
   *
   * @return false, adding nothing, when {@code other} has a different number of bins (written
   *     before {@code modelmon.calibration.bins} changed): its events cannot be re-binned
   */
  boolean add(final CalibrationBins other) {
    if (other.size() != size()) {
      return false;
    }
    for (int b = 0; b < labelled.length; b++) {
      labelled[b] += other.labelled[b];
      correct[b] += other.correct[b];
      confidence[b].add(other.confidence[b]);
      excessLogLoss[b].add(other.excessLogLoss[b]);
      nullVariance[b].add(other.nullVariance[b]);
    }
    return true;
  }

  long labelled(final int bin) {
    return labelled[bin];
  }

  long correct(final int bin) {
    return correct[bin];
  }

  double confidenceSum(final int bin) {
    return confidence[bin].value();
  }

  double excessLogLossSum(final int bin) {
    return excessLogLoss[bin].value();
  }

  /** ΣV(q) in the bin; NaN when events of the bin were added before this sum was kept. */
  double nullVarianceSum(final int bin) {
    return nullVariance[bin].value();
  }

  /** The expected calibration error over these bins, NaN when they are all empty. */
  double expectedCalibrationError() {
    final double[] confidenceSums = new double[labelled.length];
    for (int b = 0; b < labelled.length; b++) {
      confidenceSums[b] = confidence[b].value();
    }
    return InformationTheory.expectedCalibrationError(labelled, confidenceSums, correct);
  }

  /** Writes the bins at {@code at}; returns the offset after them. */
  int writeTo(final byte[] bytes, final int at) {
    int offset = at;
    for (int b = 0; b < labelled.length; b++) {
      if (labelled[b] == 0) {
        // An empty bin's numbers are all 0, as the zeroed layout already holds them: most bins
        // of a partial are empty, and the partials store serialises the aggregate per event.
        offset += BYTES_PER_BIN;
        continue;
      }
      offset = WindowAggregate.putLong(bytes, offset, labelled[b]);
      offset = WindowAggregate.putLong(bytes, offset, correct[b]);
      offset = WindowAggregate.putSum(bytes, offset, confidence[b]);
      offset = WindowAggregate.putSum(bytes, offset, excessLogLoss[b]);
      offset = WindowAggregate.putSum(bytes, offset, nullVariance[b]);
    }
    return offset;
  }

  /**
   * Reads {@code bins} bins as {@link #writeTo} wrote them, or in the form before ΣV(q) per bin
   * ({@code legacy}). A legacy bin that holds events gets ΣV(q) = NaN, unknown, which every later
   * sum of the window keeps: the drift detector then scores the window without its bins, rather
   * than with a variance of 0 that was never measured.
   *
   * @throws IllegalArgumentException when the count is out of bounds or the buffer too short
   */
  static CalibrationBins readFrom(final ByteBuffer buffer, final int bins, final boolean legacy) {
    checked(bins);
    if (buffer.remaining() < bins * (legacy ? LEGACY_BYTES_PER_BIN : BYTES_PER_BIN)) {
      throw new IllegalArgumentException(
          bins + " calibration bins announced, " + buffer.remaining() + " bytes left");
    }
    final CalibrationBins read = new CalibrationBins(bins, false);
    for (int b = 0; b < bins; b++) {
      read.labelled[b] = buffer.getLong();
      read.correct[b] = buffer.getLong();
      read.confidence[b] = WindowAggregate.getSum(buffer);
      read.excessLogLoss[b] = WindowAggregate.getSum(buffer);
      read.nullVariance[b] =
          !legacy
              ? WindowAggregate.getSum(buffer)
              : read.labelled[b] == 0 ? new CompensatedSum() : CompensatedSum.of(Double.NaN, 0.0);
    }
    return read;
  }
}
