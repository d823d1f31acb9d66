package org.modelmon.window;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.modelmon.math.CompensatedSum;

/**
 * Additive sums over a set of scored predictions of one (model, version). On the prediction side:
 * counts, ΣD(p‖q), ΣH(p,q), ΣH(q), Σ confidence and per class Σq(c). On the outcome side, over
 * labelled events: Σℓ, Σ(ℓ − H(q)), ΣV(q), Σ Brier, the correct ones, the {@link CalibrationBins
 * calibration bins}, and per class the true-label count and Σℓ of the events labelled c.
 *
 * <p>Every field is a sum, so partial aggregates from different input partitions {@link
 * #add(WindowAggregate) combine} exactly into the window's total; means are derived only when a
 * window is final. Classes are tracked by name, since events of one model may list their classes in
 * different orders.
 *
 * <p><b>At most {@code maxClasses} classes</b> ({@code modelmon.max.classes}) are tracked per
 * aggregate, so that a producer inventing class names cannot make state, the aggregation topic or
 * window records grow without limit. A class is tracked from the first event or partial that brings
 * it while there is room, in first-seen order; a class that comes later is not tracked per class
 * (no label count, mean prediction or class log loss), but its event still counts in every total:
 * the count, Σℓ, ΣD(p‖q), ΣH(p,q) and the largest event time. Hence:
 *
 * <ul>
 *   <li>while a window sees at most {@code maxClasses} distinct classes, every per-class sum is
 *       exact, and combining partials gives the same sums in any order;
 *   <li>the classes of an aggregate's first event are always tracked. A class that every event
 *       lists is therefore tracked in every partial and stays exact: above all each class of the
 *       model's reference with p(c) &gt; 0, which every event must list ({@code CLASS_MISMATCH}),
 *       and on which label and prediction drift rest;
 *   <li>beyond the bound, which other classes are tracked depends on arrival order, and their sums
 *       are lower bounds: a partial that had no room for a class cannot pass on its share.
 * </ul>
 *
 * <p>Mutable: one instance accumulates many events on the per-event path, which allocates nothing
 * once an event's classes are tracked or the bound is reached. Instances are confined to the stream
 * thread that owns them.
 */
public final class WindowAggregate {

  /** Returned by {@link #track} for a class there is no room for. */
  private static final int UNTRACKED = -1;

  /**
   * First byte of the binary form. Format 2 had no ΣV(q) per bin; the form before it (format 1)
   * began with the big-endian count, whose first byte is 0 for any count below 2^56, so none can be
   * confused.
   */
  private static final byte FORMAT = 3;

  private static final byte FORMAT_WITHOUT_BIN_VARIANCE = 2;

  /** Bytes before the bins: format, 5 longs, 8 sums, the bin count. */
  private static final int HEADER_BYTES = 1 + 8 * 5 + 16 * 8 + 4;

  /** Bytes of one class besides its name: name length, label count, 2 sums. */
  private static final int PER_CLASS_BYTES = 4 + 8 + 8 * 4;

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final int maxClasses;
  private long count;
  private long referencedCount;
  private long maxEventTimeMillis = Long.MIN_VALUE;
  private final CompensatedSum klDivergence = new CompensatedSum();
  private final CompensatedSum referenceCrossEntropy = new CompensatedSum();
  private final CompensatedSum predictionEntropy = new CompensatedSum();
  private final CompensatedSum confidence = new CompensatedSum();

  private long labelled;
  private long correct;
  private final CompensatedSum logLoss = new CompensatedSum();
  private final CompensatedSum excessLogLoss = new CompensatedSum();
  private final CompensatedSum nullVariance = new CompensatedSum();
  private final CompensatedSum brierScore = new CompensatedSum();
  private CalibrationBins bins;

  private final List<String> classes = new ArrayList<>();
  private final Map<String, Integer> indexByClass = new HashMap<>();

  /**
   * The UTF-8 form of each tracked class name, kept because the partials store serialises the
   * aggregate on every event.
   */
  private byte[][] encodedClasses = new byte[0][];

  /**
   * The binary form with the class count and every class name in place and all numbers zero, or
   * {@code null} after a class was tracked. {@link #toBytes} copies it and fills in the numbers:
   * one bulk copy instead of zeroing a new array and copying each name.
   */
  private byte[] layout;

  private long[] labelCounts = new long[0];
  private CompensatedSum[] predictionSums = new CompensatedSum[0];
  private CompensatedSum[] classLogLossSums = new CompensatedSum[0];

  /**
   * An empty aggregate.
   *
   * @param maxClasses most classes tracked per class ({@code modelmon.max.classes}), at least 1
   * @param calibrationBins B, the confidence bins ({@code modelmon.calibration.bins}), at least 1
   */
  public WindowAggregate(final int maxClasses, final int calibrationBins) {
    if (maxClasses < 1) {
      throw new IllegalArgumentException("maxClasses must be at least 1, got " + maxClasses);
    }
    this.maxClasses = maxClasses;
    this.bins = new CalibrationBins(calibrationBins);
  }

  /**
   * Adds one scored prediction to the prediction side and, when it carries its label, to the
   * outcome side too.
   */
  public void add(final ScoredPrediction prediction) {
    count++;
    maxEventTimeMillis = Math.max(maxEventTimeMillis, prediction.eventTimeMillis());
    if (prediction.referenced()) {
      referencedCount++;
      klDivergence.add(prediction.klDivergence());
      referenceCrossEntropy.add(prediction.referenceCrossEntropy());
    }
    predictionEntropy.add(prediction.predictionEntropy());
    confidence.add(prediction.confidence());
    if (prediction.labelled()) {
      addOutcomeScores(prediction);
    }
    final List<String> eventClasses = prediction.classes();
    final double[] q = prediction.probabilities();
    final boolean sameOrder = sameClasses(eventClasses);
    for (int c = 0; c < q.length; c++) {
      final int index = sameOrder ? c : track(eventClasses.get(c));
      if (index == UNTRACKED) {
        continue;
      }
      predictionSums[index].add(q[c]);
      if (c == prediction.labelIndex()) { // never for an unlabelled one
        labelCounts[index]++;
        classLogLossSums[index].add(prediction.logLoss());
      }
    }
  }

  /**
   * Adds the outcome side only of a labelled prediction whose prediction side was added apart: a
   * prediction joined with a label that came later, at the label's outcome time ({@link
   * ScoredPrediction#eventTimeMillis()}).
   *
   * @throws IllegalArgumentException for an unlabelled prediction
   */
  public void addOutcome(final ScoredPrediction prediction) {
    if (!prediction.labelled()) {
      throw new IllegalArgumentException("an unlabelled prediction has no outcome side");
    }
    maxEventTimeMillis = Math.max(maxEventTimeMillis, prediction.eventTimeMillis());
    addOutcomeScores(prediction);
    // Every class of the prediction, in its order, as its prediction side tracks them: the
    // window's class order then does not depend on which side's partial reaches it first.
    final List<String> eventClasses = prediction.classes();
    for (int c = 0; c < eventClasses.size(); c++) {
      final int index = track(eventClasses.get(c));
      if (index != UNTRACKED && c == prediction.labelIndex()) {
        labelCounts[index]++;
        classLogLossSums[index].add(prediction.logLoss());
      }
    }
  }

  private void addOutcomeScores(final ScoredPrediction prediction) {
    labelled++;
    logLoss.add(prediction.logLoss());
    final double excess = prediction.excessLogLoss();
    excessLogLoss.add(excess);
    nullVariance.add(prediction.nullVariance());
    brierScore.add(prediction.brierScore());
    if (prediction.correct()) {
      correct++;
    }
    bins.add(prediction.confidence(), prediction.correct(), excess, prediction.nullVariance());
  }

  /** Adds every sum of {@code other} into this aggregate. */
  public void add(final WindowAggregate other) {
    count += other.count;
    referencedCount += other.referencedCount;
    maxEventTimeMillis = Math.max(maxEventTimeMillis, other.maxEventTimeMillis);
    klDivergence.add(other.klDivergence);
    referenceCrossEntropy.add(other.referenceCrossEntropy);
    predictionEntropy.add(other.predictionEntropy);
    confidence.add(other.confidence);
    labelled += other.labelled;
    correct += other.correct;
    logLoss.add(other.logLoss);
    excessLogLoss.add(other.excessLogLoss);
    nullVariance.add(other.nullVariance);
    brierScore.add(other.brierScore);
    bins.add(other.bins);
    for (int c = 0; c < other.classes.size(); c++) {
      final int index = track(other.classes.get(c));
      if (index == UNTRACKED) {
        continue;
      }
      labelCounts[index] += other.labelCounts[c];
      predictionSums[index].add(other.predictionSums[c]);
      classLogLossSums[index].add(other.classLogLossSums[c]);
    }
  }

  /**
   * Whether the event's classes are this aggregate's, in the same order: the common case of a model
   * whose producers list classes alike. By index, so that no iterator is allocated.
   */
  private boolean sameClasses(final List<String> eventClasses) {
    final int size = eventClasses.size();
    if (size != classes.size()) {
      return false;
    }
    for (int c = 0; c < size; c++) {
      if (!eventClasses.get(c).equals(classes.get(c))) {
        return false;
      }
    }
    return true;
  }

  /** The index of {@code className}, tracking it if there is room; else {@link #UNTRACKED}. */
  private int track(final String className) {
    final Integer known = indexByClass.get(className);
    if (known != null) {
      return known;
    }
    if (classes.size() >= maxClasses) {
      return UNTRACKED;
    }
    final int index = classes.size();
    classes.add(className);
    indexByClass.put(className, index);
    encodedClasses = Arrays.copyOf(encodedClasses, index + 1);
    encodedClasses[index] = className.getBytes(StandardCharsets.UTF_8);
    layout = null;
    labelCounts = Arrays.copyOf(labelCounts, index + 1);
    predictionSums = Arrays.copyOf(predictionSums, index + 1);
    predictionSums[index] = new CompensatedSum();
    classLogLossSums = Arrays.copyOf(classLogLossSums, index + 1);
    classLogLossSums[index] = new CompensatedSum();
    return index;
  }

  /** Most classes tracked per class. */
  public int maxClasses() {
    return maxClasses;
  }

  /** Number of predictions. */
  public long count() {
    return count;
  }

  /** Number of predictions scored against a reference. */
  public long referencedCount() {
    return referencedCount;
  }

  /** The largest event time added, or {@link Long#MIN_VALUE} when empty. */
  public long maxEventTimeMillis() {
    return maxEventTimeMillis;
  }

  /** Σℓ over labelled events. */
  public double logLossSum() {
    return logLoss.value();
  }

  /** ΣD(p‖q) over referenced predictions. */
  public double klDivergenceSum() {
    return klDivergence.value();
  }

  /** ΣH(p,q) over referenced predictions. */
  public double referenceCrossEntropySum() {
    return referenceCrossEntropy.value();
  }

  /** ΣH(q) over all predictions. */
  public double predictionEntropySum() {
    return predictionEntropy.value();
  }

  /** Σ confidence over all predictions. */
  public double confidenceSum() {
    return confidence.value();
  }

  /** Number of labelled events: the outcome side's count. */
  public long labelled() {
    return labelled;
  }

  /** Labelled events whose top class is the label. */
  public long correct() {
    return correct;
  }

  /** Σ(ℓ − H(q)) over labelled events. */
  public double excessLogLossSum() {
    return excessLogLoss.value();
  }

  /** ΣV(q) over labelled events. */
  public double nullVarianceSum() {
    return nullVariance.value();
  }

  /** Σ Brier score over labelled events. */
  public double brierScoreSum() {
    return brierScore.value();
  }

  /** B, the number of calibration bins. */
  public int calibrationBins() {
    return bins.size();
  }

  /** Labelled events in confidence bin {@code bin}. */
  public long binLabelled(final int bin) {
    return bins.labelled(bin);
  }

  /** Correct predictions in confidence bin {@code bin}. */
  public long binCorrect(final int bin) {
    return bins.correct(bin);
  }

  /** Σ confidence in confidence bin {@code bin}. */
  public double binConfidenceSum(final int bin) {
    return bins.confidenceSum(bin);
  }

  /** Σ(ℓ − H(q)) in confidence bin {@code bin}. */
  public double binExcessLogLossSum(final int bin) {
    return bins.excessLogLossSum(bin);
  }

  /**
   * ΣV(q) in confidence bin {@code bin}; NaN when the window holds events summed before this
   * release kept it (window aggregate format 2).
   */
  public double binNullVarianceSum(final int bin) {
    return bins.nullVarianceSum(bin);
  }

  /** The expected calibration error over the bins; NaN when they are empty. */
  public double expectedCalibrationError() {
    return bins.expectedCalibrationError();
  }

  /** Class names tracked, in first-seen order: at most {@link #maxClasses()}. */
  public List<String> classes() {
    return List.copyOf(classes);
  }

  /** Number of events whose true label is {@code className}. */
  public long labelCount(final String className) {
    final Integer index = indexByClass.get(className);
    return index == null ? 0 : labelCounts[index];
  }

  /** Σq(c) over all events, 0 for a class never predicted. */
  public double predictionSum(final String className) {
    final Integer index = indexByClass.get(className);
    return index == null ? 0.0 : predictionSums[index].value();
  }

  /** Σℓ over the events whose true label is {@code className}. */
  public double classLogLossSum(final String className) {
    final Integer index = indexByClass.get(className);
    return index == null ? 0.0 : classLogLossSums[index].value();
  }

  /**
   * Serialises into the compact binary form read by {@link #fromBytes}, big-endian: the format
   * byte; the count, referenced count, largest event time, labelled count and correct count; the
   * sums Σℓ, ΣD(p‖q), ΣH(p,q), ΣH(q), Σ confidence, Σ(ℓ − H(q)), ΣV(q) and Σ Brier (each its sum
   * and compensation); the number of bins and each bin; the number of classes, then per class the
   * length and UTF-8 bytes of its name, its label count and its two sums.
   */
  public byte[] toBytes() {
    if (layout == null) {
      layout = buildLayout();
    }
    final byte[] bytes = Arrays.copyOf(layout, layout.length);
    int at = 1; // the format, in the layout
    at = putLong(bytes, at, count);
    at = putLong(bytes, at, referencedCount);
    at = putLong(bytes, at, maxEventTimeMillis);
    at = putLong(bytes, at, labelled);
    at = putLong(bytes, at, correct);
    at = putSum(bytes, at, logLoss);
    at = putSum(bytes, at, klDivergence);
    at = putSum(bytes, at, referenceCrossEntropy);
    at = putSum(bytes, at, predictionEntropy);
    at = putSum(bytes, at, confidence);
    at = putSum(bytes, at, excessLogLoss);
    at = putSum(bytes, at, nullVariance);
    at = putSum(bytes, at, brierScore);
    at += Integer.BYTES; // the bin count, in the layout
    at = bins.writeTo(bytes, at);
    at += Integer.BYTES; // the class count, in the layout
    final byte[][] names = encodedClasses;
    for (int c = 0; c < names.length; c++) {
      at += Integer.BYTES + names[c].length; // the name, in the layout
      at = putLong(bytes, at, labelCounts[c]);
      at = putSum(bytes, at, predictionSums[c]);
      at = putSum(bytes, at, classLogLossSums[c]);
    }
    return bytes;
  }

  private byte[] buildLayout() {
    final byte[][] names = encodedClasses;
    final int binBytes = bins.size() * CalibrationBins.BYTES_PER_BIN;
    int size = HEADER_BYTES + binBytes + Integer.BYTES;
    for (final byte[] name : names) {
      size += PER_CLASS_BYTES + name.length;
    }
    final ByteBuffer buffer = ByteBuffer.allocate(size);
    buffer.put(FORMAT);
    buffer.position(HEADER_BYTES - Integer.BYTES);
    buffer.putInt(bins.size());
    buffer.position(buffer.position() + binBytes);
    buffer.putInt(names.length);
    for (final byte[] name : names) {
      buffer.putInt(name.length).put(name);
      buffer.position(buffer.position() + PER_CLASS_BYTES - Integer.BYTES);
    }
    return buffer.array();
  }

  static int putLong(final byte[] bytes, final int at, final long value) {
    LONGS.set(bytes, at, value);
    return at + Long.BYTES;
  }

  /** As {@link ByteBuffer#putDouble}: the raw bits, so that the form is the same as it was. */
  static int putSum(final byte[] bytes, final int at, final CompensatedSum sum) {
    LONGS.set(bytes, at, Double.doubleToRawLongBits(sum.sum()));
    LONGS.set(bytes, at + Long.BYTES, Double.doubleToRawLongBits(sum.compensation()));
    return at + 2 * Long.BYTES;
  }

  /**
   * Reads the form written by {@link #toBytes()}, or an earlier one that state and the aggregation
   * topic may still hold after an upgrade: format 2, whose bins have no ΣV(q) (unknown, NaN, where
   * a bin holds events), or the form before calibration (format 1), whose events count as labelled,
   * with no calibration sums.
   *
   * @param maxClasses the bound of the aggregate read: of the stored classes, those beyond it
   *     (stored under a larger bound, before the configuration changed) are left out
   * @param calibrationBins B ({@code modelmon.calibration.bins}): an aggregate stored with another
   *     number of bins, or with none (format 1), gets B empty ones, its other sums kept
   * @throws IllegalArgumentException for a form this release does not know, or a corrupt one
   */
  public static WindowAggregate fromBytes(
      final byte[] bytes, final int maxClasses, final int calibrationBins) {
    final ByteBuffer buffer = ByteBuffer.wrap(bytes);
    if (bytes.length > 0 && (bytes[0] == FORMAT || bytes[0] == FORMAT_WITHOUT_BIN_VARIANCE)) {
      return readCalibrated(buffer, maxClasses, calibrationBins, buffer.get() != FORMAT);
    }
    if (bytes.length == 0 || bytes[0] != 0) {
      // Format 1 began with a count below 2^56; anything else is a form this release does not
      // know (written by a later one) and must not be read as sums.
      throw new IllegalArgumentException(
          "unknown window aggregate format " + (bytes.length == 0 ? "(empty)" : bytes[0]));
    }
    final WindowAggregate aggregate = new WindowAggregate(maxClasses, calibrationBins);
    aggregate.count = buffer.getLong();
    aggregate.referencedCount = buffer.getLong();
    aggregate.maxEventTimeMillis = buffer.getLong();
    aggregate.labelled = aggregate.count;
    aggregate.logLoss.set(getSum(buffer));
    aggregate.klDivergence.set(getSum(buffer));
    aggregate.referenceCrossEntropy.set(getSum(buffer));
    readClasses(buffer, aggregate);
    return aggregate;
  }

  private static WindowAggregate readCalibrated(
      final ByteBuffer buffer,
      final int maxClasses,
      final int calibrationBins,
      final boolean withoutBinVariance) {
    final long count = buffer.getLong();
    final long referencedCount = buffer.getLong();
    final long maxEventTimeMillis = buffer.getLong();
    final long labelled = buffer.getLong();
    final long correct = buffer.getLong();
    final CompensatedSum logLoss = getSum(buffer);
    final CompensatedSum klDivergence = getSum(buffer);
    final CompensatedSum referenceCrossEntropy = getSum(buffer);
    final CompensatedSum predictionEntropy = getSum(buffer);
    final CompensatedSum confidence = getSum(buffer);
    final CompensatedSum excessLogLoss = getSum(buffer);
    final CompensatedSum nullVariance = getSum(buffer);
    final CompensatedSum brierScore = getSum(buffer);
    final CalibrationBins stored =
        CalibrationBins.readFrom(buffer, buffer.getInt(), withoutBinVariance);
    // Bins written before modelmon.calibration.bins changed cannot be re-binned: the aggregate
    // starts the configured bins afresh, so that every aggregate of a window has the same ones.
    final CalibrationBins bins =
        stored.size() == calibrationBins ? stored : new CalibrationBins(calibrationBins);
    final WindowAggregate aggregate = new WindowAggregate(maxClasses, bins.size());
    aggregate.count = count;
    aggregate.referencedCount = referencedCount;
    aggregate.maxEventTimeMillis = maxEventTimeMillis;
    aggregate.labelled = labelled;
    aggregate.correct = correct;
    aggregate.logLoss.set(logLoss);
    aggregate.klDivergence.set(klDivergence);
    aggregate.referenceCrossEntropy.set(referenceCrossEntropy);
    aggregate.predictionEntropy.set(predictionEntropy);
    aggregate.confidence.set(confidence);
    aggregate.excessLogLoss.set(excessLogLoss);
    aggregate.nullVariance.set(nullVariance);
    aggregate.brierScore.set(brierScore);
    aggregate.bins = bins;
    readClasses(buffer, aggregate);
    return aggregate;
  }

  private static void readClasses(final ByteBuffer buffer, final WindowAggregate aggregate) {
    final int classCount = buffer.getInt();
    if (classCount < 0 || classCount > buffer.remaining() / PER_CLASS_BYTES) {
      throw new IllegalArgumentException(classCount + " classes announced, too many to fit");
    }
    for (int c = 0; c < classCount; c++) {
      final int nameBytes = buffer.getInt();
      if (nameBytes < 0 || nameBytes > buffer.remaining()) {
        throw new IllegalArgumentException("a class name of " + nameBytes + " bytes announced");
      }
      final byte[] name = new byte[nameBytes];
      buffer.get(name);
      final int index = aggregate.track(new String(name, StandardCharsets.UTF_8));
      final long labelCount = buffer.getLong();
      final CompensatedSum predictionSum = getSum(buffer);
      final CompensatedSum classLogLossSum = getSum(buffer);
      if (index != UNTRACKED) {
        aggregate.labelCounts[index] = labelCount;
        aggregate.predictionSums[index] = predictionSum;
        aggregate.classLogLossSums[index] = classLogLossSum;
      }
    }
  }

  static CompensatedSum getSum(final ByteBuffer buffer) {
    return CompensatedSum.of(buffer.getDouble(), buffer.getDouble());
  }
}
