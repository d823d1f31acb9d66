package org.modelmon.bench;

import java.util.SplittableRandom;
import org.modelmon.math.CompensatedSum;
import org.modelmon.math.InformationTheory;

/**
 * Synthetic labelled traffic of one model for {@link DetectorBench}: a fixed pool of input types,
 * each with its true label distribution p and the model's prediction q, from which events are drawn
 * cheaply (pick a type, draw a label; every per-event quantity the windows add up is precomputed
 * per type with the production formulas of {@link InformationTheory}).
 *
 * <p>Two groups of {@value #TYPES_PER_GROUP} types: easy inputs (sharp p, mostly class 0) and hard
 * ones (flat p, leaning to class 2). The share of easy inputs is the knob of the daily cycle and of
 * "harder inputs"; the label mix follows it. The model predicts q = softmax(T·ln p): calibrated at
 * T = 1, over-confident above, under-confident below.
 */
final class DriftTraffic {

  static final int CLASSES = 4;
  static final int TYPES_PER_GROUP = 256;
  static final int BINS = 10;
  static final long MINUTE_MILLIS = 60_000L;
  static final int WINDOWS_PER_DAY = 1440;

  /** Least q(c): far above modelmon.epsilon, so that ℓ = −ln q(y) is never clipped. */
  private static final double FLOOR = 1e-9;

  final double temperature;
  final String[] classNames = {"c0", "c1", "c2", "c3"};

  /** q per type, normalised so that the parser's division by the sum leaves it unchanged. */
  final double[][] prediction;

  private final double[][] cdf;
  private final double[][] cdfRotated;
  private final double[][] cdfPriorShift;
  private final double[][] loss;
  private final double[] entropy;
  private final double[] nullVariance;
  private final int[] bin;

  /** The label prior shift the model does not know: these odds multiply p(c), renormalised. */
  static final double[] PRIOR_SHIFT = {0.25, 1.0, 1.0, 4.0};

  /**
   * @param temperature T of q = softmax(T·ln p)
   * @param poolSeed seed of the pool: the same model in every run
   */
  DriftTraffic(final double temperature, final long poolSeed) {
    this.temperature = temperature;
    final int types = 2 * TYPES_PER_GROUP;
    prediction = new double[types][];
    cdf = new double[types][];
    cdfRotated = new double[types][];
    cdfPriorShift = new double[types][];
    loss = new double[types][];
    entropy = new double[types];
    nullVariance = new double[types];
    bin = new int[types];
    final SplittableRandom random = new SplittableRandom(poolSeed);
    for (int t = 0; t < types; t++) {
      final boolean easy = t < TYPES_PER_GROUP;
      final double[] logits = new double[CLASSES];
      for (int c = 0; c < CLASSES; c++) {
        logits[c] = gaussian(random) * (easy ? 6.0 : 0.5);
      }
      logits[easy ? 0 : 2] += easy ? 3.0 : 0.5;
      final double[] p = softmax(logits, 1.0);
      final double[] q = exactlyNormalised(softmax(logits, temperature));
      prediction[t] = q;
      cdf[t] = cumulative(p);
      final double[] rotated = new double[CLASSES];
      final double[] shifted = new double[CLASSES];
      for (int c = 0; c < CLASSES; c++) {
        rotated[(c + 1) % CLASSES] = p[c];
        shifted[c] = p[c] * PRIOR_SHIFT[c];
      }
      cdfRotated[t] = cumulative(rotated);
      cdfPriorShift[t] = cumulative(scale(shifted));
      final double[] logs = new double[CLASSES];
      entropy[t] = InformationTheory.entropy(q, logs);
      nullVariance[t] = InformationTheory.nullVariance(q, logs, entropy[t]);
      loss[t] = new double[CLASSES];
      for (int c = 0; c < CLASSES; c++) {
        loss[t][c] = 0.0 - logs[c]; // as PredictionScorer: one logarithm serves H, V and ℓ
      }
      bin[t] = InformationTheory.calibrationBin(InformationTheory.confidence(q), BINS);
    }
  }

  /** Which label distribution the events of a window follow. */
  enum Labels {
    /** p: the model's world. */
    TRUE,
    /** A share ρ of events follow p with its classes rotated (concept drift). */
    ROTATED,
    /** Every event follows p re-weighted by {@link #PRIOR_SHIFT}. */
    PRIOR_SHIFT
  }

  /**
   * The mean log loss per event when a share {@code easyShare} of inputs are easy and the labels
   * follow {@code labels} (for ROTATED: all of them), computed exactly over the pool.
   */
  double meanLogLoss(final double easyShare, final Labels labels) {
    double easy = 0;
    double hard = 0;
    for (int t = 0; t < 2 * TYPES_PER_GROUP; t++) {
      final double[] cumulative =
          switch (labels) {
            case TRUE -> cdf[t];
            case ROTATED -> cdfRotated[t];
            case PRIOR_SHIFT -> cdfPriorShift[t];
          };
      double expected = 0;
      for (int c = 0; c < CLASSES; c++) {
        final double pc = cumulative[c] - (c == 0 ? 0.0 : cumulative[c - 1]);
        expected += pc * loss[t][c];
      }
      if (t < TYPES_PER_GROUP) {
        easy += expected;
      } else {
        hard += expected;
      }
    }
    return (easyShare * easy + (1 - easyShare) * hard) / TYPES_PER_GROUP;
  }

  /** Receives each sampled event. */
  interface EventSink {
    void event(int type, int label);
  }

  /**
   * Draws {@code events} events into {@code sums} (and {@code sink}, unless null).
   *
   * @param easyShare probability that an event's input is of the easy group
   * @param labels which label distribution
   * @param rotatedShare ρ, for {@link Labels#ROTATED}
   */
  void sample(
      final SplittableRandom random,
      final int events,
      final double easyShare,
      final Labels labels,
      final double rotatedShare,
      final WindowSums sums,
      final EventSink sink) {
    for (int i = 0; i < events; i++) {
      final int type =
          (random.nextDouble() < easyShare ? 0 : TYPES_PER_GROUP) + random.nextInt(TYPES_PER_GROUP);
      final double[] cumulative =
          switch (labels) {
            case TRUE -> cdf[type];
            case ROTATED -> random.nextDouble() < rotatedShare ? cdfRotated[type] : cdf[type];
            case PRIOR_SHIFT -> cdfPriorShift[type];
          };
      final double u = random.nextDouble();
      int label = 0;
      while (label < CLASSES - 1 && u >= cumulative[label]) {
        label++;
      }
      final double logLoss = loss[type][label];
      final double excess = logLoss - entropy[type];
      sums.add(logLoss, excess, nullVariance[type], bin[type]);
      if (sink != null) {
        sink.event(type, label);
      }
    }
  }

  /**
   * A Poisson draw with mean {@code mean} (product method when small, normal approximation else).
   */
  static int poisson(final SplittableRandom random, final double mean) {
    if (mean < 50) {
      final double limit = Math.exp(-mean);
      int k = 0;
      double product = random.nextDouble();
      while (product > limit) {
        k++;
        product *= random.nextDouble();
      }
      return k;
    }
    return Math.max(0, (int) Math.round(mean + Math.sqrt(mean) * gaussian(random)));
  }

  static double gaussian(final SplittableRandom random) {
    // Box–Muller; one of the pair is enough here.
    final double u = 1.0 - random.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
  }

  private static double[] softmax(final double[] logits, final double temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (final double z : logits) {
      max = Math.max(max, temperature * z);
    }
    final double[] p = new double[logits.length];
    for (int c = 0; c < logits.length; c++) {
      p[c] = Math.exp(temperature * logits[c] - max);
    }
    return scale(p);
  }

  private static double[] scale(final double[] weights) {
    double total = 0;
    for (final double w : weights) {
      total += w;
    }
    final double[] p = new double[weights.length];
    for (int c = 0; c < weights.length; c++) {
      p[c] = weights[c] / total;
    }
    return p;
  }

  /**
   * q floored at {@link #FLOOR} and adjusted until its compensated sum is exactly 1, so that the
   * parser's division by the sum leaves every q(c) as it is and an event sent through the topology
   * scores exactly as the direct feed does.
   */
  private static double[] exactlyNormalised(final double[] raw) {
    final double[] q = raw.clone();
    for (int c = 0; c < q.length; c++) {
      q[c] = Math.max(q[c], FLOOR);
    }
    int top = 0;
    for (int c = 1; c < q.length; c++) {
      if (q[c] > q[top]) {
        top = c;
      }
    }
    for (int round = 0; round < 20; round++) {
      final CompensatedSum sum = new CompensatedSum();
      for (final double qc : q) {
        sum.add(qc);
      }
      final double total = sum.value();
      if (total == 1.0) {
        return q;
      }
      q[top] += 1.0 - total;
    }
    throw new IllegalStateException("could not normalise a prediction exactly");
  }

  private static double[] cumulative(final double[] p) {
    final double[] cumulative = new double[p.length];
    double running = 0;
    for (int c = 0; c < p.length; c++) {
      running += p[c];
      cumulative[c] = running;
    }
    cumulative[p.length - 1] = 1.0;
    return cumulative;
  }

  /** One window's sums, as the topology's window aggregate keeps them (compensated). */
  static final class WindowSums {
    int labelled;
    double logLoss;
    final CompensatedSum excess = new CompensatedSum();
    final CompensatedSum nullVariance = new CompensatedSum();
    final long[] binLabelled = new long[BINS];
    final CompensatedSum[] binExcess = new CompensatedSum[BINS];
    final CompensatedSum[] binNullVariance = new CompensatedSum[BINS];

    WindowSums() {
      for (int b = 0; b < BINS; b++) {
        binExcess[b] = new CompensatedSum();
        binNullVariance[b] = new CompensatedSum();
      }
    }

    void add(
        final double eventLogLoss, final double eventExcess, final double variance, final int b) {
      labelled++;
      logLoss += eventLogLoss;
      excess.add(eventExcess);
      nullVariance.add(variance);
      binLabelled[b]++;
      binExcess[b].add(eventExcess);
      binNullVariance[b].add(variance);
    }
  }
}
