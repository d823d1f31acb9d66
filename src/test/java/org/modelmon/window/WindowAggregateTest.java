package org.modelmon.window;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * {@link WindowAggregate}: sums that combine exactly, and a class dictionary bounded by {@code
 * modelmon.max.classes} however many distinct class names a producer invents.
 *
 * <p>Probabilities and losses are dyadic fractions (0.5, 0.25, …), so every sum below is exact in
 * binary floating point and compared with {@code isEqualTo}.
 */
class WindowAggregateTest {

  /** Bytes of the fixed part of the binary form, and of one class with a name of n bytes. */
  private static final int FIXED_BYTES = 8 * 3 + 8 * 6 + 4;

  private static int classBytes(final int nameBytes) {
    return 4 + nameBytes + 8 + 8 * 4;
  }

  private static ScoredPrediction prediction(
      final List<String> classes, final double[] q, final int label, final double logLoss) {
    return new ScoredPrediction(1_000, classes, q, label, logLoss, false, Double.NaN, Double.NaN);
  }

  private static ScoredPrediction referenced(
      final List<String> classes, final double[] q, final int label, final double logLoss,
      final double kl, final double crossEntropy) {
    return new ScoredPrediction(1_000, classes, q, label, logLoss, true, kl, crossEntropy);
  }

  private static ScoredPrediction twoClasses(final String a, final String b, final double logLoss) {
    return prediction(List.of(a, b), new double[] {0.75, 0.25}, 0, logLoss);
  }

  /** A 128-character class name, the longest the parser lets through, unique per i. */
  private static String longName(final long i) {
    final String prefix = String.format(Locale.ROOT, "class-%019d-", i);
    return prefix + "x".repeat(128 - prefix.length());
  }

  @Test
  void shouldStayBoundedAfterOneHundredThousandDistinctClasses() {
    final int maxClasses = 50;
    final WindowAggregate aggregate = new WindowAggregate(maxClasses);

    // 100,000 valid events, each with two class names never seen before.
    for (long i = 0; i < 100_000; i++) {
      aggregate.add(twoClasses(longName(2 * i), longName(2 * i + 1), 0.25));
    }

    assertThat(aggregate.classes()).hasSize(maxClasses);
    assertThat(aggregate.classes().get(0)).isEqualTo(longName(0));
    assertThat(aggregate.classes().get(maxClasses - 1)).isEqualTo(longName(maxClasses - 1));
    assertThat(aggregate.toBytes().length)
        .isLessThanOrEqualTo(FIXED_BYTES + maxClasses * classBytes(128));
    // The serialised form, what the stores and the aggregation topic hold, is bounded as well.
    final WindowAggregate read = WindowAggregate.fromBytes(aggregate.toBytes(), maxClasses);
    assertThat(read.classes()).isEqualTo(aggregate.classes());
    // Every event still counts in every total.
    assertThat(aggregate.count()).isEqualTo(100_000);
    assertThat(aggregate.logLossSum()).isEqualTo(25_000.0);
  }

  @Test
  void shouldCountAnEventWithUntrackedClassesInEveryTotalButNoPerClassValue() {
    final WindowAggregate aggregate = new WindowAggregate(2);
    aggregate.add(referenced(List.of("a", "b"), new double[] {0.5, 0.5}, 0, 0.5, 0.25, 1.0));

    // Classes c and d arrive when the dictionary is full.
    aggregate.add(
        referenced(
            List.of("a", "c", "d"), new double[] {0.25, 0.5, 0.25}, 1, 0.75, 0.125, 0.875));

    assertThat(aggregate.classes()).containsExactly("a", "b");
    assertThat(aggregate.count()).isEqualTo(2);
    assertThat(aggregate.referencedCount()).isEqualTo(2);
    assertThat(aggregate.logLossSum()).isEqualTo(1.25);
    assertThat(aggregate.klDivergenceSum()).isEqualTo(0.375);
    assertThat(aggregate.referenceCrossEntropySum()).isEqualTo(1.875);
    assertThat(aggregate.maxEventTimeMillis()).isEqualTo(1_000);
    // A tracked class keeps its sums from every event; an untracked one has none.
    assertThat(aggregate.predictionSum("a")).isEqualTo(0.75);
    assertThat(aggregate.labelCount("a")).isEqualTo(1);
    assertThat(aggregate.classLogLossSum("a")).isEqualTo(0.5);
    assertThat(aggregate.labelCount("c")).isZero();
    assertThat(aggregate.predictionSum("c")).isZero();
    assertThat(aggregate.classLogLossSum("c")).isZero();
  }

  @Test
  void shouldCombineExactlyInEitherOrderWithinTheBound() {
    final List<ScoredPrediction> first =
        List.of(
            prediction(List.of("a", "b"), new double[] {0.5, 0.5}, 0, 0.5),
            prediction(List.of("b", "a"), new double[] {0.75, 0.25}, 1, 1.5));
    final List<ScoredPrediction> second =
        List.of(
            prediction(List.of("c", "b"), new double[] {0.25, 0.75}, 0, 2.0),
            prediction(List.of("a", "c"), new double[] {0.5, 0.5}, 1, 0.5));
    final WindowAggregate left = aggregateOf(3, first);
    final WindowAggregate right = aggregateOf(3, second);
    final WindowAggregate all = aggregateOf(3, concat(first, second));

    final WindowAggregate leftThenRight = new WindowAggregate(3);
    leftThenRight.add(left);
    leftThenRight.add(right);
    final WindowAggregate rightThenLeft = new WindowAggregate(3);
    rightThenLeft.add(right);
    rightThenLeft.add(left);

    for (final WindowAggregate combined : List.of(leftThenRight, rightThenLeft)) {
      assertThat(combined.classes()).containsExactlyInAnyOrder("a", "b", "c");
      assertSameSums(combined, all);
    }
  }

  @Test
  void shouldKeepTheFirstSeenClassesWhenACombineGoesBeyondTheBound() {
    final WindowAggregate window = aggregateOf(3, List.of(twoClasses("a", "b", 0.5)));
    final WindowAggregate partial =
        aggregateOf(3, List.of(twoClasses("b", "a", 0.25), twoClasses("c", "d", 0.25)));
    assertThat(partial.classes()).containsExactly("b", "a", "c");

    window.add(partial);

    // a, b from the window, then c, the first of the partial's classes that fits.
    assertThat(window.classes()).containsExactly("a", "b", "c");
    assertThat(window.count()).isEqualTo(3);
    assertThat(window.logLossSum()).isEqualTo(1.0);
    assertThat(window.labelCount("a")).isEqualTo(1);
    assertThat(window.labelCount("b")).isEqualTo(1);
    assertThat(window.labelCount("c")).isEqualTo(1);
    assertThat(window.predictionSum("a")).isEqualTo(1.0);
    assertThat(window.predictionSum("c")).isEqualTo(0.75);
    assertThat(window.labelCount("d")).isZero();
  }

  @Test
  void shouldLeaveOutTheShareOfAPartialThatHadNoRoomForAClass() {
    // Beyond the bound, per-class values are lower bounds: this partial filled up with c, d
    // before it saw b, so the window's b misses that event's share. Totals stay exact.
    final WindowAggregate window = aggregateOf(2, List.of(twoClasses("a", "b", 0.5)));
    final WindowAggregate partial =
        aggregateOf(2, List.of(twoClasses("c", "d", 0.25), twoClasses("b", "c", 0.25)));

    window.add(partial);

    assertThat(window.classes()).containsExactly("a", "b");
    assertThat(window.count()).isEqualTo(3);
    assertThat(window.logLossSum()).isEqualTo(1.0);
    assertThat(window.labelCount("b")).isZero();
    assertThat(window.predictionSum("b")).isEqualTo(0.25);
  }

  @Test
  void shouldKeepAClassThatEveryEventListsExactBeyondTheBound() {
    // As a reference class with p(c) > 0 is listed by every event of its model.
    final List<WindowAggregate> partials = new ArrayList<>();
    long n = 0;
    for (int p = 0; p < 3; p++) {
      final WindowAggregate partial = new WindowAggregate(3);
      for (int i = 0; i < 10; i++, n++) {
        partial.add(
            prediction(
                List.of("stay", "x" + n, "y" + n), new double[] {0.5, 0.25, 0.25}, 0, 0.5));
      }
      partials.add(partial);
    }
    final WindowAggregate window = new WindowAggregate(3);
    partials.forEach(window::add);

    assertThat(window.classes()).containsExactly("stay", "x0", "y0");
    assertThat(window.labelCount("stay")).isEqualTo(30);
    assertThat(window.predictionSum("stay")).isEqualTo(15.0);
    assertThat(window.classLogLossSum("stay")).isEqualTo(15.0);
  }

  @Test
  void shouldReadOnlyAsManyClassesAsTheReadersBound() {
    final WindowAggregate wide = new WindowAggregate(4);
    wide.add(prediction(List.of("a", "b", "c", "d"), new double[] {0.25, 0.25, 0.25, 0.25}, 2, 1));

    final WindowAggregate narrow = WindowAggregate.fromBytes(wide.toBytes(), 2);
    narrow.add(prediction(List.of("e", "a"), new double[] {0.5, 0.5}, 0, 0.5));

    assertThat(narrow.classes()).containsExactly("a", "b");
    assertThat(narrow.count()).isEqualTo(2);
    assertThat(narrow.logLossSum()).isEqualTo(1.5);
    assertThat(narrow.predictionSum("a")).isEqualTo(0.75);
    assertThat(narrow.labelCount("c")).isZero();
  }

  @Test
  void shouldRoundTripThroughItsBinaryForm() {
    final WindowAggregate aggregate = new WindowAggregate(10);
    aggregate.add(referenced(List.of("a", "b"), new double[] {0.5, 0.5}, 0, 0.5, 0.25, 1.0));
    aggregate.add(prediction(List.of("b", "c"), new double[] {0.25, 0.75}, 1, 0.125));

    final WindowAggregate read = WindowAggregate.fromBytes(aggregate.toBytes(), 10);

    assertThat(read.classes()).containsExactly("a", "b", "c");
    assertSameSums(read, aggregate);
    assertThat(read.toBytes()).isEqualTo(aggregate.toBytes());
  }

  @Test
  void shouldWriteTheDocumentedBinaryFormAsClassesAreTracked() {
    final WindowAggregate aggregate = new WindowAggregate(3);
    aggregate.add(referenced(List.of("a", "b"), new double[] {0.5, 0.5}, 0, 1.0, 0.25, 1.0));

    assertThat(aggregate.toBytes())
        .isEqualTo(
            form(
                1, 1, new double[] {1.0, 0, 0.25, 0, 1.0, 0},
                new Object[] {"a", 1L, 0.5, 0.0, 1.0, 0.0},
                new Object[] {"b", 0L, 0.5, 0.0, 0.0, 0.0}));

    // A class tracked after a serialisation, with a name of several UTF-8 bytes; a log loss too
    // small to change the sum, so it lands in the compensation; then a class beyond the bound.
    aggregate.add(prediction(List.of("chat ✓", "a"), new double[] {0.75, 0.25}, 0, 1e-17));
    aggregate.add(prediction(List.of("y", "a"), new double[] {0.5, 0.5}, 0, 0.5));

    assertThat(aggregate.toBytes())
        .isEqualTo(
            form(
                3, 1, new double[] {1.5, 1e-17, 0.25, 0, 1.0, 0},
                new Object[] {"a", 1L, 1.25, 0.0, 1.0, 0.0},
                new Object[] {"b", 0L, 0.5, 0.0, 0.0, 0.0},
                new Object[] {"chat ✓", 1L, 0.75, 0.0, 1e-17, 0.0}));
  }

  /**
   * The binary form as {@link WindowAggregate#toBytes} documents it, written field by field: every
   * event at time 1000, the event sums as (sum, compensation) pairs, and per class its name, label
   * count and the (sum, compensation) pairs of Σq and Σℓ.
   */
  private static byte[] form(
      final long count,
      final long referencedCount,
      final double[] sums,
      final Object[]... classes) {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeLong(count);
      out.writeLong(referencedCount);
      out.writeLong(1_000);
      for (final double part : sums) {
        out.writeDouble(part);
      }
      out.writeInt(classes.length);
      for (final Object[] entry : classes) {
        final byte[] name = ((String) entry[0]).getBytes(StandardCharsets.UTF_8);
        out.writeInt(name.length);
        out.write(name);
        out.writeLong((Long) entry[1]);
        for (int part = 2; part < 6; part++) {
          out.writeDouble((Double) entry[part]);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  @Test
  void shouldAddAnEventWithoutAllocatingOnceItsClassesAreKnownOrTheBoundIsReached() {
    final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    final WindowAggregate sameOrder = new WindowAggregate(3);
    final WindowAggregate full = new WindowAggregate(3);
    full.add(prediction(List.of("x", "y", "z"), new double[] {0.5, 0.25, 0.25}, 0, 0.5));
    final List<ScoredPrediction> events = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      events.add(prediction(List.of("a", "b", "c"), new double[] {0.5, 0.25, 0.25}, i % 3, 0.5));
      events.add(
          prediction(List.of("n" + i, "x"), new double[] {0.5, 0.5}, 0, 0.5)); // n_i untracked
    }
    addAll(sameOrder, events, 1_000); // warm-up: every known class is in the dictionary

    final long before = threads.getCurrentThreadAllocatedBytes();
    addAll(sameOrder, events, 500);
    addAll(full, events, 500);
    final long allocated = threads.getCurrentThreadAllocatedBytes() - before;

    // 200,000 additions; a single object per addition would be several megabytes.
    assertThat(allocated).isLessThan(64 * 1024);
    assertThat(full.classes()).containsExactly("x", "y", "z");
  }

  private static void addAll(
      final WindowAggregate aggregate, final List<ScoredPrediction> events, final int rounds) {
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < events.size(); i++) {
        aggregate.add(events.get(i));
      }
    }
  }

  private static WindowAggregate aggregateOf(
      final int maxClasses, final List<ScoredPrediction> predictions) {
    final WindowAggregate aggregate = new WindowAggregate(maxClasses);
    predictions.forEach(aggregate::add);
    return aggregate;
  }

  private static <T> List<T> concat(final List<T> first, final List<T> second) {
    final List<T> all = new ArrayList<>(first);
    all.addAll(second);
    return all;
  }

  private static void assertSameSums(final WindowAggregate actual, final WindowAggregate expected) {
    assertThat(actual.count()).isEqualTo(expected.count());
    assertThat(actual.referencedCount()).isEqualTo(expected.referencedCount());
    assertThat(actual.maxEventTimeMillis()).isEqualTo(expected.maxEventTimeMillis());
    assertThat(actual.logLossSum()).isEqualTo(expected.logLossSum());
    assertThat(actual.klDivergenceSum()).isEqualTo(expected.klDivergenceSum());
    assertThat(actual.referenceCrossEntropySum()).isEqualTo(expected.referenceCrossEntropySum());
    assertThat(actual.classes()).containsExactlyInAnyOrderElementsOf(expected.classes());
    for (final String className : expected.classes()) {
      assertThat(actual.labelCount(className))
          .as(className)
          .isEqualTo(expected.labelCount(className));
      assertThat(actual.predictionSum(className))
          .as(className)
          .isEqualTo(expected.predictionSum(className));
      assertThat(actual.classLogLossSum(className))
          .as(className)
          .isEqualTo(expected.classLogLossSum(className));
    }
  }
}
