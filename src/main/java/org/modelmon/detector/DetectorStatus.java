package org.modelmon.detector;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the drift detector knows of one (model, version), as its state store keeps it.
 *
 * @param state where it stands
 * @param statistic S, the CUSUM statistic (0 in warm-up)
 * @param warmup the evidence windows of the warm-up so far; empty once it is over
 * @param baseline what the warm-up learnt, or {@code null} during it
 * @param changeStartMillis the start of the first window of the current run of S above 0, or {@link
 *     #NONE} while S = 0
 * @param lastStartMillis the start of the last window seen, evidence or not, or {@link #NONE}
 * @param lastEndMillis its end, or {@link #NONE}
 */
public record DetectorStatus(
    DetectorState state,
    double statistic,
    List<WindowEvidence> warmup,
    Baseline baseline,
    long changeStartMillis,
    long lastStartMillis,
    long lastEndMillis) {

  private static final byte FORMAT = 1;

  /** No such time. */
  public static final long NONE = Long.MIN_VALUE;

  /** The status of a (model, version) before its first window. */
  public static final DetectorStatus INITIAL =
      new DetectorStatus(DetectorState.WARMUP, 0.0, List.of(), null, NONE, NONE, NONE);

  public DetectorStatus {
    warmup = List.copyOf(warmup);
  }

  /** This status, having seen the window of {@code evidence} without learning from it. */
  DetectorStatus seen(final WindowEvidence evidence) {
    return new DetectorStatus(
        state,
        statistic,
        warmup,
        baseline,
        changeStartMillis,
        evidence.startMillis(),
        evidence.endMillis());
  }

  /**
   * The binary form of the detector store: a format byte, the state's ordinal, S, the change start,
   * the last window's start and end, the warm-up windows (count, then each: labelled, E, V, B, the
   * B bin counts and bin excesses), then a flag for the baseline and, if set, μ, φ, B and the B
   * values μ_b.
   */
  public byte[] toBytes() {
    int size = 1 + 1 + 8 * 4 + 4 + 1;
    for (final WindowEvidence window : warmup) {
      size += 8 * 5 + 4 + window.bins() * 16;
    }
    if (baseline != null) {
      size += 8 * 2 + 4 + baseline.byBin().length * 8;
    }
    final ByteBuffer buffer = ByteBuffer.allocate(size);
    buffer.put(FORMAT).put((byte) state.ordinal()).putDouble(statistic);
    buffer.putLong(changeStartMillis).putLong(lastStartMillis).putLong(lastEndMillis);
    buffer.putInt(warmup.size());
    for (final WindowEvidence window : warmup) {
      buffer.putLong(window.startMillis()).putLong(window.endMillis()).putLong(window.labelled());
      buffer.putDouble(window.excess()).putDouble(window.nullVariance()).putInt(window.bins());
      for (int b = 0; b < window.bins(); b++) {
        buffer.putLong(window.binLabelled()[b]).putDouble(window.binExcess()[b]);
      }
    }
    buffer.put((byte) (baseline == null ? 0 : 1));
    if (baseline != null) {
      buffer.putDouble(baseline.pooled()).putDouble(baseline.dispersion());
      buffer.putInt(baseline.byBin().length);
      for (final double mean : baseline.byBin()) {
        buffer.putDouble(mean);
      }
    }
    return buffer.array();
  }

  /** Reads the form written by {@link #toBytes()}. */
  public static DetectorStatus fromBytes(final byte[] bytes) {
    final ByteBuffer buffer = ByteBuffer.wrap(bytes);
    final byte format = buffer.get();
    if (format != FORMAT) {
      throw new IllegalArgumentException("unknown detector status format " + format);
    }
    final DetectorState state = DetectorState.values()[buffer.get()];
    final double statistic = buffer.getDouble();
    final long changeStart = buffer.getLong();
    final long lastStart = buffer.getLong();
    final long lastEnd = buffer.getLong();
    final int windows = buffer.getInt();
    final List<WindowEvidence> warmup = new ArrayList<>(windows);
    for (int w = 0; w < windows; w++) {
      final long start = buffer.getLong();
      final long end = buffer.getLong();
      final long labelled = buffer.getLong();
      final double excess = buffer.getDouble();
      final double nullVariance = buffer.getDouble();
      final int bins = buffer.getInt();
      final long[] binLabelled = new long[bins];
      final double[] binExcess = new double[bins];
      for (int b = 0; b < bins; b++) {
        binLabelled[b] = buffer.getLong();
        binExcess[b] = buffer.getDouble();
      }
      warmup.add(
          new WindowEvidence(start, end, labelled, excess, nullVariance, binLabelled, binExcess));
    }
    Baseline baseline = null;
    if (buffer.get() == 1) {
      final double pooled = buffer.getDouble();
      final double dispersion = buffer.getDouble();
      final double[] byBin = new double[buffer.getInt()];
      for (int b = 0; b < byBin.length; b++) {
        byBin[b] = buffer.getDouble();
      }
      baseline = new Baseline(pooled, byBin, dispersion);
    }
    return new DetectorStatus(state, statistic, warmup, baseline, changeStart, lastStart, lastEnd);
  }
}
