package org.modelmon.detector;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.modelmon.window.ModelKey;

/**
 * A change of a (model, version)'s detector state, as the alarms topic carries it
 * (docs/reference.md#alarm-records): the window that caused it and the detector's figures then.
 *
 * @param state the new state
 * @param window the detector's window size
 * @param labelled the window's labelled events
 * @param excessLogLossMean the window's mean excess log loss E_w / n_w
 * @param statistic S after the window (0 when the warm-up ends)
 * @param threshold h
 * @param baselineExcessLogLoss μ, the pooled baseline excess per labelled event
 * @param baselineExcessLogLossByBin the B values μ_b (μ where a bin had too few events)
 * @param dispersion φ
 * @param baselineExcessPerNullVariance β, the pooled baseline excess per unit of null variance
 * @param baselineExcessPerNullVarianceByBin the B values β_b that score the windows (β where a bin
 *     had too few events or too little null variance)
 * @param changeStartMillis the start of the first window of the current run of S above 0, the
 *     estimated start of the change; {@code null}, and left out, while S = 0
 */
@JsonPropertyOrder({
  "model",
  "version",
  "state",
  "window",
  "start",
  "end",
  "startMillis",
  "endMillis",
  "labelled",
  "excessLogLossMean",
  "statistic",
  "threshold",
  "baselineExcessLogLoss",
  "baselineExcessLogLossByBin",
  "dispersion",
  "baselineExcessPerNullVariance",
  "baselineExcessPerNullVarianceByBin",
  "changeStartMillis"
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AlarmRecord(
    String model,
    String version,
    String state,
    String window,
    String start,
    String end,
    long startMillis,
    long endMillis,
    long labelled,
    double excessLogLossMean,
    double statistic,
    double threshold,
    double baselineExcessLogLoss,
    List<Double> baselineExcessLogLossByBin,
    double dispersion,
    double baselineExcessPerNullVariance,
    List<Double> baselineExcessPerNullVarianceByBin,
    Long changeStartMillis) {

  /** The record of the change {@code step} made on the window of {@code evidence}. */
  public static AlarmRecord of(
      final ModelKey key,
      final DetectorSettings settings,
      final WindowEvidence evidence,
      final DetectorStatus status) {
    final Baseline baseline = status.baseline();
    return new AlarmRecord(
        key.model(),
        key.version(),
        status.state().name(),
        settings.window(),
        Instant.ofEpochMilli(evidence.startMillis()).toString(),
        Instant.ofEpochMilli(evidence.endMillis()).toString(),
        evidence.startMillis(),
        evidence.endMillis(),
        evidence.labelled(),
        evidence.excess() / evidence.labelled(),
        status.statistic(),
        settings.h(),
        baseline.meanExcess(),
        boxed(baseline.meanExcessByBin()),
        baseline.dispersion(),
        baseline.excessPerVariance(),
        boxed(baseline.excessPerVarianceByBin()),
        status.changeStartMillis() == DetectorStatus.NONE ? null : status.changeStartMillis());
  }

  private static List<Double> boxed(final double[] values) {
    final List<Double> boxed = new ArrayList<>(values.length);
    for (final double value : values) {
      boxed.add(value);
    }
    return List.copyOf(boxed);
  }

  /** The key of this record on the alarms topic: {@code model@version}. */
  public String topicKey() {
    return model + "@" + version;
  }
}
