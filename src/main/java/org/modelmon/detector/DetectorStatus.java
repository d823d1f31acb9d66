package org.modelmon.detector;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the drift detector knows of one (model, version), as its state store keeps it.
 *
 * @param basis the {@link DetectorSettings#basis() settings} it learnt under; empty initially
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
    String basis,
    DetectorState state,
    double statistic,
    List<WindowEvidence> warmup,
    Baseline baseline,
    long changeStartMillis,
    long lastStartMillis,
    long lastEndMillis) {

  private static final byte FORMAT = 2;

  /** The form whose bins and baseline had no null variance: read only to start a new warm-up. */
  private static final byte FORMAT_PER_EVENT = 1;

  /** Bytes of a warm-up window before its bins: start, end, labelled, E, V and the bin count. */
  private static final int WINDOW_BYTES = 8 * 5 + 4;

  /** Bytes of one bin of a warm-up window: its count, excess and null variance. */
  private static final int BIN_BYTES = 8 * 3;

  /** Bytes the stored status takes per warm-up window of {@code bins} calibration bins. */
  public static int warmupWindowBytes(final int bins) {
    return WINDOW_BYTES + bins * BIN_BYTES;
  }

  /** No such time. */
  public static final long NONE = Long.MIN_VALUE;

  /** The status of a (model, version) before its first window. */
  public static final DetectorStatus INITIAL = initial("");

  /** A status at the start of a warm-up under the settings {@code basis}. */
  static DetectorStatus initial(final String basis) {
    return new DetectorStatus(basis, DetectorState.WARMUP, 0.0, List.of(), null, NONE, NONE, NONE);
  }

  public DetectorStatus {
    warmup = List.copyOf(warmup);
  }

  /** This status, having seen the window of {@code evidence} without learning from it. */
  DetectorStatus seen(final WindowEvidence evidence) {
    return new DetectorStatus(
        basis,
        state,
        statistic,
        warmup,
        baseline,
        changeStartMillis,
        evidence.startMillis(),
        evidence.endMillis());
  }

  /**
   * The binary form of the detector store: a format byte, the basis (length and UTF-8 bytes), the
   * state's ordinal, S, the change start, the last window's start and end, the warm-up windows
   * (count, then each: start, end, labelled, E, V, B, then per bin its count, excess and null
   * variance), then a flag for the baseline and, if set, μ, β, φ, B, the B values μ_b and the B
   * values β_b.
   */
  public byte[] toBytes() {
    final byte[] basisBytes = basis.getBytes(StandardCharsets.UTF_8);
    int size = 1 + 4 + basisBytes.length + 1 + 8 * 4 + 4 + 1;
    for (final WindowEvidence window : warmup) {
      size += WINDOW_BYTES + window.bins() * BIN_BYTES;
    }
    if (baseline != null) {
      size += 8 * 3 + 4 + baseline.meanExcessByBin().length * 8 * 2;
    }
    final ByteBuffer buffer = ByteBuffer.allocate(size);
    buffer.put(FORMAT).putInt(basisBytes.length).put(basisBytes);
    buffer.put((byte) state.ordinal()).putDouble(statistic);
    buffer.putLong(changeStartMillis).putLong(lastStartMillis).putLong(lastEndMillis);
    buffer.putInt(warmup.size());
    for (final WindowEvidence window : warmup) {
      buffer.putLong(window.startMillis()).putLong(window.endMillis()).putLong(window.labelled());
      buffer.putDouble(window.excess()).putDouble(window.nullVariance()).putInt(window.bins());
      for (int b = 0; b < window.bins(); b++) {
        buffer.putLong(window.binLabelled()[b]).putDouble(window.binExcess()[b]);
        buffer.putDouble(window.binNullVariance()[b]);
      }
    }
    buffer.put((byte) (baseline == null ? 0 : 1));
    if (baseline != null) {
      buffer.putDouble(baseline.meanExcess()).putDouble(baseline.excessPerVariance());
      buffer.putDouble(baseline.dispersion()).putInt(baseline.meanExcessByBin().length);
      for (final double mean : baseline.meanExcessByBin()) {
        buffer.putDouble(mean);
      }
      for (final double perVariance : baseline.excessPerVarianceByBin()) {
        buffer.putDouble(perVariance);
      }
    }
    return buffer.array();
  }

  /**
   * Reads the form written by {@link #toBytes()}. Of the form before it, whose baseline was per
   * event (format 1), only the last window seen is kept: the status starts its warm-up again at the
   * next window, as under changed settings.
   *
   * @throws IllegalArgumentException for a form this release does not know, or a corrupt one
   */
  public static DetectorStatus fromBytes(final byte[] bytes) {
    final ByteBuffer buffer = ByteBuffer.wrap(bytes);
    final byte format = bytes.length == 0 ? 0 : buffer.get();
    if (format != FORMAT && format != FORMAT_PER_EVENT) {
      throw new IllegalArgumentException("unknown detector status format " + format);
    }
    final byte[] basis = new byte[count(buffer, buffer.getInt(), 1)];
    buffer.get(basis);
    final int ordinal = buffer.get();
    if (ordinal < 0 || ordinal >= DetectorState.values().length) {
      throw new IllegalArgumentException("unknown detector state " + ordinal);
    }
    final DetectorState state = DetectorState.values()[ordinal];
    final double statistic = buffer.getDouble();
    final long changeStart = buffer.getLong();
    final long lastStart = buffer.getLong();
    final long lastEnd = buffer.getLong();
    if (format == FORMAT_PER_EVENT) {
      return new DetectorStatus(
          "", DetectorState.WARMUP, 0.0, List.of(), null, NONE, lastStart, lastEnd);
    }
    final int windows = count(buffer, buffer.getInt(), WINDOW_BYTES);
    final List<WindowEvidence> warmup = new ArrayList<>(windows);
    for (int w = 0; w < windows; w++) {
      final long start = buffer.getLong();
      final long end = buffer.getLong();
      final long labelled = buffer.getLong();
      final double excess = buffer.getDouble();
      final double nullVariance = buffer.getDouble();
      final int bins = count(buffer, buffer.getInt(), BIN_BYTES);
      final long[] binLabelled = new long[bins];
      final double[] binExcess = new double[bins];
      final double[] binNullVariance = new double[bins];
      for (int b = 0; b < bins; b++) {
        binLabelled[b] = buffer.getLong();
        binExcess[b] = buffer.getDouble();
        binNullVariance[b] = buffer.getDouble();
      }
      warmup.add(
          new WindowEvidence(
              start, end, labelled, excess, nullVariance, binLabelled, binExcess, binNullVariance));
    }
    Baseline baseline = null;
    if (buffer.get() == 1) {
      final double meanExcess = buffer.getDouble();
      final double excessPerVariance = buffer.getDouble();
      final double dispersion = buffer.getDouble();
      final int bins = count(buffer, buffer.getInt(), 2 * Double.BYTES);
      final double[] meanExcessByBin = new double[bins];
      final double[] excessPerVarianceByBin = new double[bins];
      for (int b = 0; b < bins; b++) {
        meanExcessByBin[b] = buffer.getDouble();
      }
      for (int b = 0; b < bins; b++) {
        excessPerVarianceByBin[b] = buffer.getDouble();
      }
      baseline =
          new Baseline(
              meanExcess, meanExcessByBin, excessPerVariance, excessPerVarianceByBin, dispersion);
    }
    return new DetectorStatus(
        new String(basis, StandardCharsets.UTF_8),
        state,
        statistic,
        warmup,
        baseline,
        changeStart,
        lastStart,
        lastEnd);
  }

  /** {@code count}, if that many items of {@code itemBytes} fit in the rest of the buffer. */
  private static int count(final ByteBuffer buffer, final int count, final int itemBytes) {
    if (count < 0 || count > buffer.remaining() / itemBytes) {
      throw new IllegalArgumentException(count + " items announced, too many to fit");
    }
    return count;
  }
}
