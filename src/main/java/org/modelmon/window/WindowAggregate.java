package org.modelmon.window;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.modelmon.math.CompensatedSum;

/**
 * Additive sums over a set of scored predictions of one (model, version): counts, Σℓ, ΣD(p‖q),
 * ΣH(p,q), and per class the true-label count, Σq(c) and Σℓ of the events labelled c.
 *
 * <p>Every field is a sum, so partial aggregates from different input partitions {@link
 * #add(WindowAggregate) combine} exactly into the window's total; means are derived only when a
 * window is final. Classes are tracked by name, since events of one model may list their classes
 * in different orders.
 *
 * <p>Mutable: one instance accumulates many events on the per-event path. Instances are confined
 * to the stream thread that owns them.
 */
public final class WindowAggregate {

  private long count;
  private long referencedCount;
  private long maxEventTimeMillis = Long.MIN_VALUE;
  private final CompensatedSum logLoss = new CompensatedSum();
  private final CompensatedSum klDivergence = new CompensatedSum();
  private final CompensatedSum referenceCrossEntropy = new CompensatedSum();

  private final List<String> classes = new ArrayList<>();
  private final Map<String, Integer> indexByClass = new HashMap<>();
  private long[] labelCounts = new long[0];
  private CompensatedSum[] predictionSums = new CompensatedSum[0];
  private CompensatedSum[] classLogLossSums = new CompensatedSum[0];

  /** Adds one scored prediction. */
  public void add(final ScoredPrediction prediction) {
    count++;
    maxEventTimeMillis = Math.max(maxEventTimeMillis, prediction.eventTimeMillis());
    logLoss.add(prediction.logLoss());
    if (prediction.referenced()) {
      referencedCount++;
      klDivergence.add(prediction.klDivergence());
      referenceCrossEntropy.add(prediction.referenceCrossEntropy());
    }
    final List<String> eventClasses = prediction.classes();
    final double[] q = prediction.probabilities();
    final boolean sameOrder = eventClasses.equals(classes);
    for (int c = 0; c < q.length; c++) {
      final int index = sameOrder ? c : indexOf(eventClasses.get(c));
      predictionSums[index].add(q[c]);
      if (c == prediction.labelIndex()) {
        labelCounts[index]++;
        classLogLossSums[index].add(prediction.logLoss());
      }
    }
  }

  /** Adds every sum of {@code other} into this aggregate. */
  public void add(final WindowAggregate other) {
    count += other.count;
    referencedCount += other.referencedCount;
    maxEventTimeMillis = Math.max(maxEventTimeMillis, other.maxEventTimeMillis);
    logLoss.add(other.logLoss);
    klDivergence.add(other.klDivergence);
    referenceCrossEntropy.add(other.referenceCrossEntropy);
    for (int c = 0; c < other.classes.size(); c++) {
      final int index = indexOf(other.classes.get(c));
      labelCounts[index] += other.labelCounts[c];
      predictionSums[index].add(other.predictionSums[c]);
      classLogLossSums[index].add(other.classLogLossSums[c]);
    }
  }

  private int indexOf(final String className) {
    final Integer known = indexByClass.get(className);
    if (known != null) {
      return known;
    }
    final int index = classes.size();
    classes.add(className);
    indexByClass.put(className, index);
    labelCounts = Arrays.copyOf(labelCounts, index + 1);
    predictionSums = Arrays.copyOf(predictionSums, index + 1);
    predictionSums[index] = new CompensatedSum();
    classLogLossSums = Arrays.copyOf(classLogLossSums, index + 1);
    classLogLossSums[index] = new CompensatedSum();
    return index;
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

  /** Σℓ. */
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

  /** Class names seen, in first-seen order. */
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

  /** Serialises into the compact binary form read by {@link #fromBytes}. */
  public byte[] toBytes() {
    final byte[][] names = new byte[classes.size()][];
    int size = 8 * 3 + 8 * 6 + 4;
    for (int c = 0; c < names.length; c++) {
      names[c] = classes.get(c).getBytes(StandardCharsets.UTF_8);
      size += 4 + names[c].length + 8 + 8 * 4;
    }
    final ByteBuffer buffer = ByteBuffer.allocate(size);
    buffer.putLong(count).putLong(referencedCount).putLong(maxEventTimeMillis);
    putSum(buffer, logLoss);
    putSum(buffer, klDivergence);
    putSum(buffer, referenceCrossEntropy);
    buffer.putInt(names.length);
    for (int c = 0; c < names.length; c++) {
      buffer.putInt(names[c].length).put(names[c]);
      buffer.putLong(labelCounts[c]);
      putSum(buffer, predictionSums[c]);
      putSum(buffer, classLogLossSums[c]);
    }
    return buffer.array();
  }

  /** Reads the form written by {@link #toBytes()}. */
  public static WindowAggregate fromBytes(final byte[] bytes) {
    final ByteBuffer buffer = ByteBuffer.wrap(bytes);
    final WindowAggregate aggregate = new WindowAggregate();
    aggregate.count = buffer.getLong();
    aggregate.referencedCount = buffer.getLong();
    aggregate.maxEventTimeMillis = buffer.getLong();
    aggregate.logLoss.add(getSum(buffer));
    aggregate.klDivergence.add(getSum(buffer));
    aggregate.referenceCrossEntropy.add(getSum(buffer));
    final int classCount = buffer.getInt();
    for (int c = 0; c < classCount; c++) {
      final byte[] name = new byte[buffer.getInt()];
      buffer.get(name);
      final int index = aggregate.indexOf(new String(name, StandardCharsets.UTF_8));
      aggregate.labelCounts[index] = buffer.getLong();
      aggregate.predictionSums[index] = getSum(buffer);
      aggregate.classLogLossSums[index] = getSum(buffer);
    }
    return aggregate;
  }

  private static void putSum(final ByteBuffer buffer, final CompensatedSum sum) {
    buffer.putDouble(sum.sum()).putDouble(sum.compensation());
  }

  private static CompensatedSum getSum(final ByteBuffer buffer) {
    return CompensatedSum.of(buffer.getDouble(), buffer.getDouble());
  }
}
