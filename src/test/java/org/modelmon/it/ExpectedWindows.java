package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.modelmon.testing.PrometheusText;
import org.modelmon.testing.WindowRecords;

/**
 * The window records a test expects, computed straight from the events it produced with plain
 * arithmetic on the definitions of the window record — independently of modelmon's scoring,
 * aggregation, summation and information-theory code, none of which this class calls.
 *
 * <p>{@link #assertMatches} compares a whole record field by field, and fails on a field the
 * expected record does not have: a field added to the window record later fails every
 * multi-partition test until {@link Expected#record()} computes it, so it cannot go unchecked.
 * {@code ExpectedWindowsTest} holds this class against scikit-learn and SciPy.
 */
final class ExpectedWindows {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** {@code modelmon.calibration.bins} at its default. */
  private static final int BINS = 10;

  /** The sums of one (model, version, window, start), and the record they make. */
  static final class Expected {
    final String model;
    final String version;
    final String window;
    final long startMillis;
    final long endMillis;
    // The prediction side, over every prediction of the window's time.
    long predictions;
    long referenced;
    double klDivergenceSum;
    double crossEntropySum;
    double predictionEntropySum;
    double confidenceSum;
    // The outcome side, over the labelled events of the window's time (a joined pair counts at
    // its outcome time).
    long labelled;
    double logLossSum;
    double labelledEntropySum;
    double nullVarianceSum;
    double brierScoreSum;
    long correct;

    /** Per top-label confidence bin b = min(⌊confidence·10⌋, 9). */
    final long[] binLabelled = new long[BINS];

    final double[] binConfidence = new double[BINS];
    final long[] binCorrect = new long[BINS];
    final double[] binExcess = new double[BINS];

    /**
     * The classes the window tracked: every class a prediction of the window listed, and the label
     * of every labelled event, labelled or not.
     */
    final Map<String, Long> labelCounts = new LinkedHashMap<>();

    final Map<String, Double> predictionSums = new LinkedHashMap<>();
    final Map<String, Double> classLogLossSums = new LinkedHashMap<>();
    Reference reference;

    Expected(
        final String model,
        final String version,
        final String window,
        final long startMillis,
        final long sizeMillis) {
      this.model = model;
      this.version = version;
      this.window = window;
      this.startMillis = startMillis;
      this.endMillis = startMillis + sizeMillis;
    }

    /** The whole window record, every field of it. */
    ObjectNode record() {
      final ObjectNode record = JSON.createObjectNode();
      record.put("model", model);
      record.put("version", version);
      record.put("window", window);
      record.put("start", Instant.ofEpochMilli(startMillis).toString());
      record.put("end", Instant.ofEpochMilli(endMillis).toString());
      record.put("startMillis", startMillis);
      record.put("endMillis", endMillis);
      record.put("predictions", predictions);
      record.put("referencedPredictions", referenced);
      record.put("logLossSum", logLossSum);
      putMean(record, "logLossMean", logLossSum, labelled);
      record.put("predictionEntropySum", predictionEntropySum);
      putMean(record, "predictionEntropyMean", predictionEntropySum, predictions);
      putMean(record, "meanConfidence", confidenceSum, predictions);
      record.put("labelled", labelled);
      // Excess log loss ℓ − H(q) over the labelled events, whose H(q) is summed apart: a joined
      // pair's prediction entropy counts on its prediction side in another window.
      final double excess = logLossSum - labelledEntropySum;
      record.put("excessLogLossSum", excess);
      putMean(record, "excessLogLossMean", excess, labelled);
      if (nullVarianceSum > 0) {
        record.put("calibrationZ", excess / Math.sqrt(nullVarianceSum));
      }
      record.put("brierScoreSum", brierScoreSum);
      putMean(record, "brierScoreMean", brierScoreSum, labelled);
      record.put("correct", correct);
      putMean(record, "accuracy", correct, labelled);
      double gaps = 0;
      final ArrayNode bins = record.putArray("calibrationBins");
      for (int b = 0; b < BINS; b++) {
        gaps += Math.abs(binCorrect[b] - binConfidence[b]);
        bins.addObject()
            .put("upper", (b + 1) / (double) BINS)
            .put("labelled", binLabelled[b])
            .put("confidenceSum", binConfidence[b])
            .put("correct", binCorrect[b])
            .put("excessLogLossSum", binExcess[b]);
      }
      // ECE = Σ_b (n_b/n)·|correct_b/n_b − Σconfidence_b/n_b| = Σ_b |correct_b − Σconfidence_b| / n
      putMean(record, "calibrationError", gaps, labelled);
      final ObjectNode counts = record.putObject("labelCounts");
      final ObjectNode meanPrediction = record.putObject("meanPrediction");
      final ObjectNode classLogLoss = record.putObject("classLogLoss");
      for (final Map.Entry<String, Long> labelledClass : labelCounts.entrySet()) {
        final String className = labelledClass.getKey();
        counts.put(className, labelledClass.getValue());
        if (predictions > 0) {
          meanPrediction.put(className, predictionSums.get(className) / predictions);
        }
        if (labelledClass.getValue() > 0) {
          classLogLoss.put(className, classLogLossSums.get(className) / labelledClass.getValue());
        }
      }
      if (referenced > 0) {
        record.put("klDivergenceSum", klDivergenceSum);
        record.put("klDivergenceMean", klDivergenceSum / referenced);
        record.put("referenceCrossEntropySum", crossEntropySum);
        record.put("referenceCrossEntropyMean", crossEntropySum / referenced);
        // Prediction drift D(p ‖ q̄), q̄ the window's mean prediction.
        final double[] mean = new double[reference.classes().size()];
        for (int c = 0; c < mean.length; c++) {
          mean[c] = predictionSums.getOrDefault(reference.classes().get(c), 0.0) / predictions;
        }
        record.put("predictionDrift", reference.divergenceTo(mean));
      }
      // The reference's fields of the outcome side: of the labels the window holds, also when
      // they came later than the predictions they label, which are in other windows. No labels,
      // no label drift.
      if (reference != null && (referenced > 0 || labelled > 0)) {
        record.put("referenceEntropy", reference.entropy());
      }
      if (reference != null && labelled > 0) {
        // Label drift D(p ‖ p̂), p̂(c) = (n_c + 0.5) / (n + 0.5·K) over the K reference
        // classes.
        final int k = reference.classes().size();
        long n = 0;
        for (final String className : reference.classes()) {
          n += labelCounts.getOrDefault(className, 0L);
        }
        final double[] observed = new double[k];
        for (int c = 0; c < k; c++) {
          observed[c] =
              (labelCounts.getOrDefault(reference.classes().get(c), 0L) + 0.5) / (n + 0.5 * k);
        }
        record.put("labelDrift", reference.divergenceTo(observed));
      }
      return record;
    }

    /** Puts {@code sum / count}, or leaves the mean out when its count is 0. */
    private static void putMean(
        final ObjectNode record, final String field, final double sum, final long count) {
      if (count > 0) {
        record.put(field, sum / count);
      }
    }
  }

  /** A model's reference distribution p over its classes. */
  record Reference(List<String> classes, double[] p) {

    /** H(p) = −Σ p ln p, with 0 ln 0 = 0. */
    double entropy() {
      double sum = 0;
      for (final double pc : p) {
        if (pc > 0) {
          sum -= pc * Math.log(pc);
        }
      }
      return sum;
    }

    /** D(p ‖ q) = Σ p ln(p/q) over the classes where p > 0; q is never 0 in these tests. */
    double divergenceTo(final double[] q) {
      double sum = 0;
      for (int c = 0; c < p.length; c++) {
        if (p[c] > 0) {
          sum += p[c] * Math.log(p[c] / q[c]);
        }
      }
      return sum;
    }
  }

  /**
   * One generated event, as the test knows it: {@code label} is the index of its true class in
   * {@code classes}, which {@link #addPrediction} does not look at.
   */
  record Event(
      String model, String version, long timeMillis, List<String> classes, double[] q, int label) {}

  private final Map<String, Reference> references = new HashMap<>();
  private final Map<String, Long> windowSizes;
  private final Map<String, Expected> byKey = new TreeMap<>();
  private final Map<String, Long> predictionsByModel = new TreeMap<>();

  ExpectedWindows(final Map<String, Long> windowSizes) {
    this.windowSizes = windowSizes;
  }

  /** The model-wide reference of {@code model}, in force for every event the test adds after. */
  void reference(final String model, final List<String> classes, final double[] p) {
    references.put(model, new Reference(List.copyOf(classes), p.clone()));
  }

  /** An event with its label inline: both sides, in the window of its event time. */
  void add(final Event event) {
    addPrediction(event);
    addOutcome(event, event.timeMillis());
  }

  /**
   * The prediction side only of {@code event} (its label, if any, is not looked at), in the window
   * of its event time: a prediction without a label, that may be joined later.
   */
  void addPrediction(final Event event) {
    predictionsByModel.merge(event.model() + "@" + event.version(), 1L, Long::sum);
    final double[] q = renormalised(event);
    double entropy = 0;
    int top = 0;
    for (int c = 0; c < q.length; c++) {
      if (q[c] > 0) {
        entropy -= q[c] * Math.log(q[c]);
      }
      if (q[c] > q[top]) {
        top = c;
      }
    }
    final double confidence = q[top];
    final Reference reference = references.get(event.model());
    double kl = 0;
    double crossEntropy = 0;
    if (reference != null) {
      for (int c = 0; c < reference.p().length; c++) {
        final double p = reference.p()[c];
        final double qc = q[event.classes().indexOf(reference.classes().get(c))];
        kl += p * Math.log(p / qc);
        crossEntropy -= p * Math.log(qc);
      }
    }
    for (final Expected expected : windowsOf(event, event.timeMillis())) {
      expected.predictions++;
      expected.predictionEntropySum += entropy;
      expected.confidenceSum += confidence;
      if (reference != null) {
        expected.referenced++;
        expected.klDivergenceSum += kl;
        expected.crossEntropySum += crossEntropy;
        expected.reference = reference;
      }
      for (int c = 0; c < q.length; c++) {
        final String className = event.classes().get(c);
        expected.labelCounts.merge(className, 0L, Long::sum);
        expected.predictionSums.merge(className, q[c], Double::sum);
      }
    }
  }

  /**
   * The outcome side only of {@code event} with its label, in the window of {@code
   * outcomeTimeMillis}: a prediction joined with a label that came later, whose prediction side was
   * added apart.
   */
  void addOutcome(final Event event, final long outcomeTimeMillis) {
    final double[] q = renormalised(event);
    final double logLoss = -Math.log(q[event.label()]);
    // H(q), V(q) = Σ q (ln q)² − H(q)², Brier Σ (q − onehot)², confidence, first argmax.
    double entropy = 0;
    double secondMoment = 0;
    double brier = 0;
    int top = 0;
    for (int c = 0; c < q.length; c++) {
      if (q[c] > 0) {
        entropy -= q[c] * Math.log(q[c]);
        secondMoment += q[c] * Math.log(q[c]) * Math.log(q[c]);
      }
      final double miss = q[c] - (c == event.label() ? 1 : 0);
      brier += miss * miss;
      if (q[c] > q[top]) {
        top = c;
      }
    }
    final double variance = secondMoment - entropy * entropy;
    final double confidence = q[top];
    final boolean correct = top == event.label();
    final int bin = Math.min((int) (confidence * BINS), BINS - 1);
    final String labelClass = event.classes().get(event.label());
    final Reference reference = references.get(event.model());
    for (final Expected expected : windowsOf(event, outcomeTimeMillis)) {
      if (reference != null) {
        expected.reference = reference; // its label drift and H(p), for outcomes alone too
      }
      expected.labelled++;
      expected.logLossSum += logLoss;
      expected.labelledEntropySum += entropy;
      expected.nullVarianceSum += variance;
      expected.brierScoreSum += brier;
      expected.correct += correct ? 1 : 0;
      expected.binLabelled[bin]++;
      expected.binConfidence[bin] += confidence;
      expected.binCorrect[bin] += correct ? 1 : 0;
      expected.binExcess[bin] += logLoss - entropy;
      // Every class of the prediction, in its order, as modelmon tracks an outcome side; it
      // brings no prediction of any of them.
      for (final String className : event.classes()) {
        expected.labelCounts.merge(className, 0L, Long::sum);
        expected.predictionSums.merge(className, 0.0, Double::sum);
      }
      expected.labelCounts.merge(labelClass, 1L, Long::sum);
      expected.classLogLossSums.merge(labelClass, logLoss, Double::sum);
    }
  }

  /** q of {@code event} divided by its sum, as modelmon renormalises before scoring. */
  private static double[] renormalised(final Event event) {
    double total = 0;
    for (final double qc : event.q()) {
      total += qc;
    }
    final double[] q = new double[event.q().length];
    for (int c = 0; c < q.length; c++) {
      q[c] = event.q()[c] / total;
    }
    return q;
  }

  /** The expected window of every size that holds {@code timeMillis}, for {@code event}'s model. */
  private List<Expected> windowsOf(final Event event, final long timeMillis) {
    final List<Expected> windows = new ArrayList<>();
    for (final Map.Entry<String, Long> window : windowSizes.entrySet()) {
      final long size = window.getValue();
      final long start = Math.floorDiv(timeMillis, size) * size;
      final String key =
          event.model() + "@" + event.version() + "@" + window.getKey() + "@" + start;
      windows.add(
          byKey.computeIfAbsent(
              key,
              k -> new Expected(event.model(), event.version(), window.getKey(), start, size)));
    }
    return windows;
  }

  /** Expected windows by topic key {@code model@version@window@startMillis}. */
  Map<String, Expected> byKey() {
    return byKey;
  }

  /** Expected valid predictions per {@code model@version}. */
  Map<String, Long> predictionsByModel() {
    return predictionsByModel;
  }

  /** For each series {@code model@version@window}, the key of its latest window. */
  Map<String, String> latestBySeries() {
    final Map<String, String> latest = new TreeMap<>();
    for (final String key : byKey.keySet()) {
      latest.merge(
          key.substring(0, key.lastIndexOf('@')), key, (a, b) -> startOf(a) >= startOf(b) ? a : b);
    }
    return latest;
  }

  /** The start of a window given by its topic key. */
  static long startOf(final String windowKey) {
    return Long.parseLong(windowKey.substring(windowKey.lastIndexOf('@') + 1));
  }

  /**
   * The gauges of the latest final window of each series and the record field each shows; the names
   * written out, not taken from modelmon's constants.
   */
  private static final Map<String, String> WINDOW_GAUGES =
      Map.ofEntries(
          Map.entry("modelmon_window_referenced_predictions", "referencedPredictions"),
          Map.entry("modelmon_window_labelled_predictions", "labelled"),
          Map.entry("modelmon_window_prediction_entropy_nats", "predictionEntropyMean"),
          Map.entry("modelmon_window_excess_log_loss_nats", "excessLogLossMean"),
          Map.entry("modelmon_window_calibration_z", "calibrationZ"),
          Map.entry("modelmon_window_brier_score", "brierScoreMean"),
          Map.entry("modelmon_window_accuracy_ratio", "accuracy"),
          Map.entry("modelmon_window_confidence_ratio", "meanConfidence"),
          Map.entry("modelmon_window_calibration_error_ratio", "calibrationError"),
          Map.entry("modelmon_window_predictions", "predictions"),
          Map.entry("modelmon_window_log_loss_nats", "logLossMean"),
          Map.entry("modelmon_window_log_loss_nats_sum", "logLossSum"),
          Map.entry("modelmon_window_kl_divergence_nats", "klDivergenceMean"),
          Map.entry("modelmon_window_kl_divergence_nats_sum", "klDivergenceSum"),
          Map.entry("modelmon_window_reference_cross_entropy_nats", "referenceCrossEntropyMean"),
          Map.entry("modelmon_window_reference_cross_entropy_nats_sum", "referenceCrossEntropySum"),
          Map.entry("modelmon_window_label_drift_nats", "labelDrift"),
          Map.entry("modelmon_window_prediction_drift_nats", "predictionDrift"));

  /**
   * Every window gauge of one instance's scrape against the expected latest window of its series:
   * each gauge of the record's fields with its value to 1e-9 relative, none for a field the record
   * leaves out, one class log loss series per labelled class, and the window's end.
   */
  void assertLatestWindowGauges(final PrometheusText scrape) {
    for (final Map.Entry<String, String> series : latestBySeries().entrySet()) {
      final Expected latest = byKey.get(series.getValue());
      final ObjectNode record = latest.record();
      final String[] labels = {
        "model", latest.model, "version", latest.version, "window", latest.window
      };
      final String where = series.getValue();
      for (final Map.Entry<String, String> gauge : WINDOW_GAUGES.entrySet()) {
        final Optional<Double> value = scrape.value(gauge.getKey(), labels);
        if (record.has(gauge.getValue())) {
          final double expected = record.get(gauge.getValue()).doubleValue();
          assertThat(value)
              .as("%s %s", where, gauge.getKey())
              .hasValueSatisfying(
                  v ->
                      assertThat(v)
                          .isCloseTo(
                              expected,
                              within(
                                  Math.max(1e-12, WindowRecords.RELATIVE * Math.abs(expected)))));
        } else {
          assertThat(value).as("%s %s", where, gauge.getKey()).isEmpty();
        }
      }
      assertThat(scrape.value("modelmon_window_end_timestamp_seconds", labels))
          .as("%s end", where)
          .hasValue(latest.endMillis / 1000.0);
      final Map<String, Double> classLogLoss = new TreeMap<>();
      for (final PrometheusText.Sample sample :
          scrape.samples("modelmon_window_class_log_loss_nats")) {
        if (sample.labels().get("model").equals(latest.model)
            && sample.labels().get("version").equals(latest.version)
            && sample.labels().get("window").equals(latest.window)) {
          classLogLoss.put(sample.labels().get("class"), sample.value());
        }
      }
      final Map<String, Double> expectedClassLogLoss = new TreeMap<>();
      record
          .get("classLogLoss")
          .fields()
          .forEachRemaining(f -> expectedClassLogLoss.put(f.getKey(), f.getValue().doubleValue()));
      assertThat(classLogLoss.keySet())
          .as("%s class log loss series", where)
          .isEqualTo(expectedClassLogLoss.keySet());
      for (final Map.Entry<String, Double> expected : expectedClassLogLoss.entrySet()) {
        assertThat(classLogLoss.get(expected.getKey()))
            .as("%s class log loss of %s", where, expected.getKey())
            .isCloseTo(expected.getValue(), within(WindowRecords.RELATIVE * expected.getValue()));
      }
    }
  }

  /**
   * One window record, as read from the windows topic or the API, against the expected one, field
   * by field as {@link WindowRecords#assertMatches} compares them: a field the expected record
   * lacks fails.
   */
  static void assertMatches(final String key, final JsonNode actual, final Expected expected) {
    assertThat(actual).as("%s: no such window record", key).isNotNull();
    assertThat(expected).as("%s: no such window expected", key).isNotNull();
    WindowRecords.assertMatches(key, actual, expected.record());
  }
}
