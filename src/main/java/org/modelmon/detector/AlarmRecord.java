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
 * @param baselineExcessLogLoss μ, the pooled baseline
 * @param baselineExcessLogLossByBin the B values μ_b used (μ where a bin had too few events)
 * @param dispersion φ
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
    Long changeStartMillis) {

  /** The record of the change {@code step} made on the window of {@code evidence}. */
  public static AlarmRecord of(
      final ModelKey key,
      final DetectorSettings settings,
      final WindowEvidence evidence,
      final DetectorStatus status) {
    final Baseline baseline = status.baseline();
    final List<Double> byBin = new ArrayList<>(baseline.byBin().length);
    for (final double mean : baseline.byBin()) {
      byBin.add(mean);
    }
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
        baseline.pooled(),
        List.copyOf(byBin),
        baseline.dispersion(),
        status.changeStartMillis() == DetectorStatus.NONE ? null : status.changeStartMillis());
  }

  /** The key of this record on the alarms topic: {@code model@version}. */
  public String topicKey() {
    return model + "@" + version;
  }
}
