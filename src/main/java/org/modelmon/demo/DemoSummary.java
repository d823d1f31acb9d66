package org.modelmon.demo;

import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.TreeMap;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.metrics.WindowMetricsCollector;

/**
 * The demo's live summary: one table row per model and version, read from a scrape of the running
 * instance's own metrics, so that the terminal alone shows the drift.
 *
 * @param window the window whose latest final values are shown ({@code 10s})
 * @param rows one per (model, version), by model then version
 * @param deadLetters invalid events by reason code, by reason; reasons that never occurred are left
 *     out
 */
public record DemoSummary(String window, List<Row> rows, Map<String, Long> deadLetters) {

  /**
   * One (model, version).
   *
   * @param events valid events scored ({@code modelmon_predictions_total})
   * @param logLoss mean log loss of the latest final window, if there is one yet
   * @param excessLogLoss its mean excess log loss ℓ − H(q), likewise
   * @param calibrationZ its calibration z-score, likewise
   * @param klDivergence its mean D(p‖q), if there is one and the model has a reference
   * @param labelDrift its label drift, likewise
   * @param predictionDrift its prediction drift, likewise
   */
  public record Row(
      String model,
      String version,
      long events,
      Optional<Double> logLoss,
      Optional<Double> excessLogLoss,
      Optional<Double> calibrationZ,
      Optional<Double> klDivergence,
      Optional<Double> labelDrift,
      Optional<Double> predictionDrift) {}

  private static final String ROW_FORMAT = "%6s  %-8s %-7s %9s %9s %8s %7s %8s %12s %11s";

  /** Copies the collections, keeping the dead letters sorted by reason. */
  public DemoSummary {
    rows = List.copyOf(rows);
    deadLetters = Collections.unmodifiableMap(new TreeMap<>(deadLetters));
  }

  /** Reads the summary of {@code window} from a scrape of modelmon's metrics. */
  public static DemoSummary of(final MetricSnapshots snapshots, final String window) {
    final Map<List<String>, RowBuilder> rows = new TreeMap<>(DemoSummary::compareKeys);
    final Map<String, Long> deadLetters = new TreeMap<>();
    for (final MetricSnapshot snapshot : snapshots) {
      final String name = snapshot.getMetadata().getName();
      for (final DataPointSnapshot point : snapshot.getDataPoints()) {
        final Labels labels = point.getLabels();
        final double value = valueOf(point);
        if (isCounter(name, ModelmonMetrics.INVALID_EVENTS)) {
          // Every reason is exported from the start, at 0; only those that occurred are news.
          if (value > 0) {
            deadLetters.merge(labels.get("reason"), Math.round(value), Long::sum);
          }
          continue;
        }
        if (!labels.contains("model") || !labels.contains("version")) {
          continue;
        }
        if (labels.contains("window") && !window.equals(labels.get("window"))) {
          continue;
        }
        final RowBuilder row =
            rows.computeIfAbsent(
                List.of(labels.get("model"), labels.get("version")), key -> new RowBuilder());
        if (isCounter(name, ModelmonMetrics.PREDICTIONS)) {
          row.events = Math.round(value);
        } else if (name.equals(WindowMetricsCollector.WINDOW_LOG_LOSS)) {
          row.logLoss = value;
        } else if (name.equals(WindowMetricsCollector.WINDOW_EXCESS_LOG_LOSS)) {
          row.excessLogLoss = value;
        } else if (name.equals(WindowMetricsCollector.WINDOW_CALIBRATION_Z)) {
          row.calibrationZ = value;
        } else if (name.equals(WindowMetricsCollector.WINDOW_KL)) {
          row.kl = value;
        } else if (name.equals(WindowMetricsCollector.WINDOW_LABEL_DRIFT)) {
          row.labelDrift = value;
        } else if (name.equals(WindowMetricsCollector.WINDOW_PREDICTION_DRIFT)) {
          row.predictionDrift = value;
        }
      }
    }
    final List<Row> built = new ArrayList<>();
    rows.forEach((key, row) -> built.add(row.build(key.get(0), key.get(1))));
    return new DemoSummary(window, built, deadLetters);
  }

  /** The column headings, aligned with {@link #lines}. */
  public String header() {
    return String.format(
            Locale.ROOT,
            ROW_FORMAT,
            "time",
            "model",
            "version",
            "events",
            "log loss",
            "excess",
            "z",
            "KL",
            "label drift",
            "pred drift")
        + "   (means of the latest final "
        + window
        + " window, nats; excess = log loss − H(q), z its calibration z-score)";
  }

  /**
   * The summary as lines: a row per model and version, then the dead letters, each starting with
   * {@code elapsed} as {@code m:ss}.
   */
  public List<String> lines(final Duration elapsed) {
    final String time = clock(elapsed);
    final List<String> lines = new ArrayList<>();
    for (final Row row : rows) {
      lines.add(
          String.format(
              Locale.ROOT,
              ROW_FORMAT,
              time,
              row.model(),
              row.version(),
              row.events(),
              number(row.logLoss()),
              number(row.excessLogLoss()),
              oneDecimal(row.calibrationZ()),
              number(row.klDivergence()),
              number(row.labelDrift()),
              number(row.predictionDrift())));
    }
    final StringJoiner reasons = new StringJoiner(", ", " (", ")").setEmptyValue("");
    deadLetters.forEach((reason, count) -> reasons.add(reason + " " + count));
    final long total = deadLetters.values().stream().mapToLong(Long::longValue).sum();
    lines.add(String.format(Locale.ROOT, "%6s  dead letters: %d%s", time, total, reasons));
    return lines;
  }

  /** {@code m:ss}, or {@code h:mm:ss} from an hour on. */
  static String clock(final Duration elapsed) {
    final long seconds = elapsed.toSeconds();
    return seconds >= 3600
        ? String.format(
            Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
        : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
  }

  private static String number(final Optional<Double> value) {
    return value.map(v -> String.format(Locale.ROOT, "%.3f", v)).orElse("-");
  }

  private static String oneDecimal(final Optional<Double> value) {
    return value.map(v -> String.format(Locale.ROOT, "%.1f", v)).orElse("-");
  }

  // Prometheus' model drops a counter's "_total" suffix from the metric's name.
  private static boolean isCounter(final String name, final String counterName) {
    return name.equals(counterName) || (name + "_total").equals(counterName);
  }

  private static double valueOf(final DataPointSnapshot point) {
    if (point instanceof CounterDataPointSnapshot counter) {
      return counter.getValue();
    }
    if (point instanceof GaugeDataPointSnapshot gauge) {
      return gauge.getValue();
    }
    return Double.NaN;
  }

  private static int compareKeys(final List<String> a, final List<String> b) {
    final int byModel = a.get(0).compareTo(b.get(0));
    return byModel != 0 ? byModel : a.get(1).compareTo(b.get(1));
  }

  /** Collects one row's values as the scrape yields them. */
  private static final class RowBuilder {
    private long events;
    private Double logLoss;
    private Double excessLogLoss;
    private Double calibrationZ;
    private Double kl;
    private Double labelDrift;
    private Double predictionDrift;

    Row build(final String model, final String version) {
      return new Row(
          model,
          version,
          events,
          Optional.ofNullable(logLoss),
          Optional.ofNullable(excessLogLoss),
          Optional.ofNullable(calibrationZ),
          Optional.ofNullable(kl),
          Optional.ofNullable(labelDrift),
          Optional.ofNullable(predictionDrift));
    }
  }
}
