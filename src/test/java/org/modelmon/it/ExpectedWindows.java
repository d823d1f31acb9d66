package org.modelmon.it;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The window results a test expects, computed straight from the events it produced with plain
 * arithmetic — independently of modelmon's scoring, aggregation and summation code.
 */
final class ExpectedWindows {

  /** Expected sums of one (model, version, window, start). */
  static final class Expected {
    long predictions;
    double logLossSum;
    double klDivergenceSum;
    boolean referenced;
    final Map<String, Long> labelCounts = new TreeMap<>();
  }

  /** One generated event, as the test knows it. */
  record Event(
      String model,
      String version,
      long timeMillis,
      List<String> classes,
      double[] q,
      int label) {}

  private final Map<String, Double[]> references = new HashMap<>();
  private final Map<String, List<String>> referenceClasses = new HashMap<>();
  private final Map<String, Long> windowSizes;
  private final Map<String, Expected> byKey = new TreeMap<>();
  private final Map<String, Long> predictionsByModel = new TreeMap<>();

  ExpectedWindows(final Map<String, Long> windowSizes) {
    this.windowSizes = windowSizes;
  }

  void reference(final String model, final List<String> classes, final double[] p) {
    final Double[] boxed = new Double[p.length];
    for (int i = 0; i < p.length; i++) {
      boxed[i] = p[i];
    }
    references.put(model, boxed);
    referenceClasses.put(model, classes);
  }

  void add(final Event event) {
    predictionsByModel.merge(event.model() + "@" + event.version(), 1L, Long::sum);
    final double logLoss = -Math.log(event.q()[event.label()]);
    Double kl = null;
    final Double[] p = references.get(event.model());
    if (p != null) {
      double sum = 0;
      final List<String> classes = referenceClasses.get(event.model());
      for (int c = 0; c < p.length; c++) {
        final double q = event.q()[event.classes().indexOf(classes.get(c))];
        sum += p[c] * Math.log(p[c] / q);
      }
      kl = sum;
    }
    for (final Map.Entry<String, Long> window : windowSizes.entrySet()) {
      final long size = window.getValue();
      final long start = Math.floorDiv(event.timeMillis(), size) * size;
      final String key =
          event.model() + "@" + event.version() + "@" + window.getKey() + "@" + start;
      final Expected expected = byKey.computeIfAbsent(key, k -> new Expected());
      expected.predictions++;
      expected.logLossSum += logLoss;
      if (kl != null) {
        expected.klDivergenceSum += kl;
        expected.referenced = true;
      }
      expected.labelCounts.merge(event.classes().get(event.label()), 1L, Long::sum);
    }
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
}
