package org.modelmon.window;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.modelmon.math.InformationTheory;

/**
 * {@link WindowAggregate}: sums that combine exactly, and a class dictionary bounded by {@code
 * modelmon.max.classes} however many distinct class names a producer invents.
 *
 * <p>Probabilities and losses are dyadic fractions (0.5, 0.25, …), so every sum below is exact in
 * binary floating point and compared with {@code isEqualTo}.
 */
class WindowAggregateTest {

  private static final int BINS = 10;

  /**
   * Bytes of the fixed part of the binary form (format byte, 5 longs, 8 sums, bin count, the bins
   * of 2 longs and 3 sums each, class count), and of one class with a name of n bytes.
   */
  private static final int FIXED_BYTES = 1 + 8 * 5 + 16 * 8 + 4 + BINS * (8 * 2 + 16 * 3) + 4;

  private static int classBytes(final int nameBytes) {
    return 4 + nameBytes + 8 + 8 * 4;
  }

  private static ScoredPrediction prediction(
      final List<String> classes, final double[] q, final int label, final double logLoss) {
    return new ScoredPrediction(
        1_000,
        classes,
        q,
        label,
        logLoss,
        false,
        Double.NaN,
        Double.NaN,
        InformationTheory.entropy(q),
        InformationTheory.nullVariance(q),
        InformationTheory.brierScore(q, label),
        InformationTheory.confidence(q),
        InformationTheory.isCorrect(q, label));
  }

  private static ScoredPrediction referenced(
      final List<String> classes,
      final double[] q,
      final int label,
      final double logLoss,
      final double kl,
      final double crossEntropy) {
    return new ScoredPrediction(
        1_000,
        classes,
        q,
        label,
        logLoss,
        true,
        kl,
        crossEntropy,
        InformationTheory.entropy(q),
        InformationTheory.nullVariance(q),
        InformationTheory.brierScore(q, label),
        InformationTheory.confidence(q),
        InformationTheory.isCorrect(q, label));
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
    final WindowAggregate aggregate = new WindowAggregate(maxClasses, BINS);

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
    final WindowAggregate read = WindowAggregate.fromBytes(aggregate.toBytes(), maxClasses, BINS);
    assertThat(read.classes()).isEqualTo(aggregate.classes());
    // Every event still counts in every total.
    assertThat(aggregate.count()).isEqualTo(100_000);
    assertThat(aggregate.logLossSum()).isEqualTo(25_000.0);
  }

  @Test
  void shouldCountAnEventWithUntrackedClassesInEveryTotalButNoPerClassValue() {
    final WindowAggregate aggregate = new WindowAggregate(2, BINS);
    aggregate.add(referenced(List.of("a", "b"), new double[] {0.5, 0.5}, 0, 0.5, 0.25, 1.0));

    // Classes c and d arrive when the dictionary is full.
    aggregate.add(
        referenced(List.of("a", "c", "d"), new double[] {0.25, 0.5, 0.25}, 1, 0.75, 0.125, 0.875));

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

    final WindowAggregate leftThenRight = new WindowAggregate(3, BINS);
    leftThenRight.add(left);
    leftThenRight.add(right);
    final WindowAggregate rightThenLeft = new WindowAggregate(3, BINS);
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
      final WindowAggregate partial = new WindowAggregate(3, BINS);
      for (int i = 0; i < 10; i++, n++) {
        partial.add(
            prediction(List.of("stay", "x" + n, "y" + n), new double[] {0.5, 0.25, 0.25}, 0, 0.5));
      }
      partials.add(partial);
    }
    final WindowAggregate window = new WindowAggregate(3, BINS);
    partials.forEach(window::add);

    assertThat(window.classes()).containsExactly("stay", "x0", "y0");
    assertThat(window.labelCount("stay")).isEqualTo(30);
    assertThat(window.predictionSum("stay")).isEqualTo(15.0);
    assertThat(window.classLogLossSum("stay")).isEqualTo(15.0);
  }

  @Test
  void shouldReadOnlyAsManyClassesAsTheReadersBound() {
    final WindowAggregate wide = new WindowAggregate(4, BINS);
    wide.add(prediction(List.of("a", "b", "c", "d"), new double[] {0.25, 0.25, 0.25, 0.25}, 2, 1));

    final WindowAggregate narrow = WindowAggregate.fromBytes(wide.toBytes(), 2, BINS);
    narrow.add(prediction(List.of("e", "a"), new double[] {0.5, 0.5}, 0, 0.5));

    assertThat(narrow.classes()).containsExactly("a", "b");
    assertThat(narrow.count()).isEqualTo(2);
    assertThat(narrow.logLossSum()).isEqualTo(1.5);
    assertThat(narrow.predictionSum("a")).isEqualTo(0.75);
    assertThat(narrow.labelCount("c")).isZero();
  }

  @Test
  void shouldRoundTripThroughItsBinaryForm() {
    final WindowAggregate aggregate = new WindowAggregate(10, BINS);
    aggregate.add(referenced(List.of("a", "b"), new double[] {0.5, 0.5}, 0, 0.5, 0.25, 1.0));
    aggregate.add(prediction(List.of("b", "c"), new double[] {0.25, 0.75}, 1, 0.125));

    final WindowAggregate read = WindowAggregate.fromBytes(aggregate.toBytes(), 10, BINS);

    assertThat(read.classes()).containsExactly("a", "b", "c");
    assertSameSums(read, aggregate);
    assertThat(read.toBytes()).isEqualTo(aggregate.toBytes());
  }

  @Test
  void shouldRestoreEachCompensatedSumExactlyAsItWasWritten() {
    // 1e16 then three 1.0s: each 1.0 is below half an ulp of 1e16 (2), so the running total stays
    // 1e16 and the compensation holds 3.0. Re-adding the stored pair (1e16, 3.0) into a fresh sum
    // would re-split it as (1e16 + 4, -1.0): the same value, other bytes, and a task restored from
    // its changelog would then add later events to another pair than a task that never stopped.
    final WindowAggregate aggregate = new WindowAggregate(10, BINS);
    for (final double logLoss : new double[] {1e16, 1.0, 1.0, 1.0}) {
      aggregate.add(prediction(List.of("a", "b"), new double[] {0.5, 0.5}, 0, logLoss));
    }

    final WindowAggregate read = WindowAggregate.fromBytes(aggregate.toBytes(), 10, BINS);

    assertThat(read.toBytes()).isEqualTo(aggregate.toBytes());
    read.add(prediction(List.of("a", "b"), new double[] {0.5, 0.5}, 0, 1.0));
    aggregate.add(prediction(List.of("a", "b"), new double[] {0.5, 0.5}, 0, 1.0));
    assertThat(read.toBytes()).isEqualTo(aggregate.toBytes());
  }

  @Test
  void shouldReadTheFormWrittenBeforeCalibrationAsLabelledEventsWithoutCalibrationSums() {
    // The form of the previous release, as an open window or partial of an upgraded application
    // holds it: count 2, referenced 0, time 1000, Σℓ 1.5, ΣD 0, ΣH(p,q) 0, class "a" labelled
    // twice with Σq 1.25 and Σℓ 1.5.
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeLong(2);
      out.writeLong(0);
      out.writeLong(1_000);
      for (final double part : new double[] {1.5, 0, 0, 0, 0, 0}) {
        out.writeDouble(part);
      }
      out.writeInt(1);
      out.writeInt(1);
      out.write('a');
      out.writeLong(2);
      for (final double part : new double[] {1.25, 0, 1.5, 0}) {
        out.writeDouble(part);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }

    final WindowAggregate read = WindowAggregate.fromBytes(bytes.toByteArray(), 10, BINS);

    assertThat(read.count()).isEqualTo(2);
    assertThat(read.labelled()).isEqualTo(2);
    assertThat(read.logLossSum()).isEqualTo(1.5);
    assertThat(read.labelCount("a")).isEqualTo(2);
    assertThat(read.classLogLossSum("a")).isEqualTo(1.5);
    assertThat(read.predictionEntropySum()).isZero();
    assertThat(read.calibrationBins()).isEqualTo(BINS);
    assertThat(read.expectedCalibrationError()).isNaN();
    // Written again, it takes the current form.
    assertSameSums(WindowAggregate.fromBytes(read.toBytes(), 10, BINS), read);
  }

  @Test
  void shouldReadTheFormWithoutNullVarianceByBinWithThatSumUnknownWhereABinHoldsEvents() {
    // Given the format 2 form of one event: ℓ 1, H(q) 0.75, V 0.5, confidence 0.5 (bin 5),
    final byte[] legacy =
        form(
            2,
            new long[] {1, 1, 1, 1},
            new double[] {1.0, 0, 0.25, 0, 1.0, 0, 0.75, 0, 0.5, 0, 0.25, 0, 0.5, 0, 0.5, 0},
            Map.of(5, new Object[] {1L, 1L, 0.5, 0.0, 0.25, 0.0}),
            new Object[] {"a", 1L, 0.5, 0.0, 1.0, 0.0},
            new Object[] {"b", 0L, 0.5, 0.0, 0.0, 0.0});

    final WindowAggregate read = WindowAggregate.fromBytes(legacy, 10, BINS);

    // every sum it had is read, ΣV of the bin that holds the event is unknown, of the others 0,
    assertThat(read.labelled()).isEqualTo(1);
    assertThat(read.nullVarianceSum()).isEqualTo(0.5);
    assertThat(read.binLabelled(5)).isEqualTo(1);
    assertThat(read.binExcessLogLossSum(5)).isEqualTo(0.25);
    assertThat(read.binNullVarianceSum(5)).isNaN();
    assertThat(read.binNullVarianceSum(4)).isZero();
    // and stays unknown in the window's later sums and stored forms.
    final WindowAggregate window = new WindowAggregate(10, BINS);
    window.add(prediction(List.of("a", "b"), new double[] {0.5, 0.5}, 0, 1.0));
    window.add(read);
    final WindowAggregate stored = WindowAggregate.fromBytes(window.toBytes(), 10, BINS);
    assertThat(stored.binLabelled(5)).isEqualTo(2);
    assertThat(stored.binNullVarianceSum(5)).isNaN();
  }

  @Test
  void shouldStartTheConfiguredBinsAfreshForAnAggregateWrittenWithOtherBins() {
    // Given a partial written while modelmon.calibration.bins was 4, read with 10 configured,
    final WindowAggregate partial = new WindowAggregate(10, 4);
    partial.add(prediction(List.of("a", "b"), new double[] {0.9, 0.1}, 0, -Math.log(0.9)));
    final WindowAggregate read = WindowAggregate.fromBytes(partial.toBytes(), 10, BINS);
    // then it keeps its totals but has the configured bins, empty: its event cannot be re-binned,
    assertThat(read.calibrationBins()).isEqualTo(BINS);
    assertThat(read.labelled()).isEqualTo(1);
    assertThat(read.confidenceSum()).isEqualTo(0.9);
    assertThat(read.binLabelled(9)).isZero();

    // and added to a window of 10 bins, every total counts both events, the bins only the one
    // binned with 10: confidence 0.6 in bin 6.
    final WindowAggregate window = new WindowAggregate(10, BINS);
    window.add(prediction(List.of("a", "b"), new double[] {0.6, 0.4}, 1, -Math.log(0.4)));
    window.add(read);
    assertThat(window.labelled()).isEqualTo(2);
    assertThat(window.correct()).isEqualTo(1);
    assertThat(window.confidenceSum()).isEqualTo(1.5);
    assertThat(window.binLabelled(6)).isEqualTo(1);
    assertThat(window.binLabelled(9)).isZero();
    // ECE over the binned event only: |0 correct − 0.6| / 1.
    assertThat(window.expectedCalibrationError()).isEqualTo(0.6);
  }

  @Test
  void shouldRefuseAFormItDoesNotKnowOrACorruptOne() {
    final byte[] valid = new WindowAggregate(10, BINS).toBytes();
    final byte[] later = valid.clone();
    later[0] = 4; // a format of a later release
    final byte[] tooManyBins = valid.clone();
    // the bin count, after the format byte, 5 longs and 8 sums
    ByteBuffer.wrap(tooManyBins).putInt(1 + 8 * 5 + 16 * 8, Integer.MAX_VALUE);
    final byte[] truncated = Arrays.copyOf(valid, valid.length - 100);

    for (final byte[] bytes : List.of(later, tooManyBins, truncated, new byte[0])) {
      assertThatThrownBy(() -> WindowAggregate.fromBytes(bytes, 10, BINS))
          .isInstanceOfAny(IllegalArgumentException.class, BufferUnderflowException.class);
    }
  }

  @Test
  void shouldWriteTheDocumentedBinaryFormAsClassesAreTracked() {
    final WindowAggregate aggregate = new WindowAggregate(3, BINS);
    // ℓ 1, D 0.25, H(p,q) 1; H(q) 0.75, V 0.5, Brier 0.5, confidence 0.5 (bin 5), correct.
    aggregate.add(
        new ScoredPrediction(
            1_000,
            List.of("a", "b"),
            new double[] {0.5, 0.5},
            0,
            1.0,
            true,
            0.25,
            1.0,
            0.75,
            0.5,
            0.5,
            0.5,
            true));

    assertThat(aggregate.toBytes())
        .isEqualTo(
            form(
                3,
                new long[] {1, 1, 1, 1},
                new double[] {1.0, 0, 0.25, 0, 1.0, 0, 0.75, 0, 0.5, 0, 0.25, 0, 0.5, 0, 0.5, 0},
                Map.of(5, new Object[] {1L, 1L, 0.5, 0.0, 0.25, 0.0, 0.5, 0.0}),
                new Object[] {"a", 1L, 0.5, 0.0, 1.0, 0.0},
                new Object[] {"b", 0L, 0.5, 0.0, 0.0, 0.0}));

    // A class tracked after a serialisation, with a name of several UTF-8 bytes; a log loss too
    // small to change the sum, so it lands in the compensation; then a class beyond the bound.
    // ℓ 1e-17, H(q) 0.5, V 0.25, Brier 0.125, confidence 0.75 (bin 7), correct.
    aggregate.add(
        new ScoredPrediction(
            1_000,
            List.of("chat ✓", "a"),
            new double[] {0.75, 0.25},
            0,
            1e-17,
            false,
            Double.NaN,
            Double.NaN,
            0.5,
            0.25,
            0.125,
            0.75,
            true));
    // ℓ 0.5, H(q) 0.5, V 0, Brier 0.5, confidence 0.5 (bin 5), not correct.
    aggregate.add(
        new ScoredPrediction(
            1_000,
            List.of("y", "a"),
            new double[] {0.5, 0.5},
            0,
            0.5,
            false,
            Double.NaN,
            Double.NaN,
            0.5,
            0.0,
            0.5,
            0.5,
            false));

    assertThat(aggregate.toBytes())
        .isEqualTo(
            form(
                3,
                new long[] {3, 1, 3, 2},
                new double[] {
                  1.5, 1e-17, 0.25, 0, 1.0, 0, 1.75, 0, 1.75, 0, -0.25, 0, 0.75, 0, 1.125, 0
                },
                Map.of(
                    5, new Object[] {2L, 1L, 1.0, 0.0, 0.25, 0.0, 0.5, 0.0},
                    7, new Object[] {1L, 1L, 0.75, 0.0, -0.5, 0.0, 0.25, 0.0}),
                new Object[] {"a", 1L, 1.25, 0.0, 1.0, 0.0},
                new Object[] {"b", 0L, 0.5, 0.0, 0.0, 0.0},
                new Object[] {"chat ✓", 1L, 0.75, 0.0, 1e-17, 0.0}));
  }

  /**
   * The binary form as {@link WindowAggregate#toBytes} documents it, written field by field: the
   * format byte; count, referenced count, every event at time 1000, labelled and correct counts;
   * the sums Σℓ, ΣD, ΣH(p,q), ΣH(q), Σ confidence, Σ excess, ΣV and Σ Brier as (sum, compensation)
   * pairs; {@value #BINS} bins of labelled, correct and the pairs of Σ confidence, Σ excess and (in
   * format 3) ΣV (zero unless given); per class its name, label count and the pairs of Σq and Σℓ.
   *
   * @param format 3, or 2 for the form before ΣV per bin
   * @param counts count, referenced count, labelled, correct
   */
  private static byte[] form(
      final int format,
      final long[] counts,
      final double[] sums,
      final Map<Integer, Object[]> bins,
      final Object[]... classes) {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(format);
      out.writeLong(counts[0]);
      out.writeLong(counts[1]);
      out.writeLong(1_000);
      out.writeLong(counts[2]);
      out.writeLong(counts[3]);
      for (final double part : sums) {
        out.writeDouble(part);
      }
      out.writeInt(BINS);
      for (int b = 0; b < BINS; b++) {
        final Object[] empty = {0L, 0L, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
        final Object[] bin = bins.getOrDefault(b, Arrays.copyOf(empty, format == 3 ? 8 : 6));
        out.writeLong((Long) bin[0]);
        out.writeLong((Long) bin[1]);
        for (int part = 2; part < bin.length; part++) {
          out.writeDouble((Double) bin[part]);
        }
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
    final WindowAggregate sameOrder = new WindowAggregate(3, BINS);
    final WindowAggregate full = new WindowAggregate(3, BINS);
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
    final WindowAggregate aggregate = new WindowAggregate(maxClasses, BINS);
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
    assertThat(actual.predictionEntropySum()).isEqualTo(expected.predictionEntropySum());
    assertThat(actual.confidenceSum()).isEqualTo(expected.confidenceSum());
    assertThat(actual.labelled()).isEqualTo(expected.labelled());
    assertThat(actual.correct()).isEqualTo(expected.correct());
    assertThat(actual.excessLogLossSum()).isEqualTo(expected.excessLogLossSum());
    assertThat(actual.nullVarianceSum()).isEqualTo(expected.nullVarianceSum());
    assertThat(actual.brierScoreSum()).isEqualTo(expected.brierScoreSum());
    assertThat(actual.calibrationBins()).isEqualTo(expected.calibrationBins());
    for (int b = 0; b < expected.calibrationBins(); b++) {
      assertThat(actual.binLabelled(b)).as("bin %d", b).isEqualTo(expected.binLabelled(b));
      assertThat(actual.binCorrect(b)).as("bin %d", b).isEqualTo(expected.binCorrect(b));
      assertThat(actual.binConfidenceSum(b))
          .as("bin %d", b)
          .isEqualTo(expected.binConfidenceSum(b));
      assertThat(actual.binExcessLogLossSum(b))
          .as("bin %d", b)
          .isEqualTo(expected.binExcessLogLossSum(b));
    }
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
