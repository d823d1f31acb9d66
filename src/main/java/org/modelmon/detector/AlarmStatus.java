package org.modelmon.detector;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import org.modelmon.window.ModelKey;

/**
 * The drift detector's current state of one (model, version): an item of {@code GET /api/v1/alarms}
 * (docs/reference.md#http-api).
 *
 * @param state {@code WARMUP}, {@code WATCHING} or {@code ALARM}
 * @param window the detector's window size
 * @param statistic S
 * @param threshold h
 * @param baselineExcessLogLoss μ; {@code null}, and left out, during the warm-up
 * @param dispersion φ; likewise
 * @param warmupWindows evidence windows learnt so far; {@code null} once the warm-up is over
 * @param changeStartMillis the estimated start of the change while S &gt; 0, else {@code null}
 * @param lastWindowStartMillis the start of the last window the detector saw, or {@code null}
 * @param lastWindowEndMillis its end, or {@code null}
 */
@JsonPropertyOrder({
  "model",
  "version",
  "state",
  "window",
  "statistic",
  "threshold",
  "baselineExcessLogLoss",
  "dispersion",
  "warmupWindows",
  "changeStartMillis",
  "lastWindowStart",
  "lastWindowEnd",
  "lastWindowStartMillis",
  "lastWindowEndMillis"
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AlarmStatus(
    String model,
    String version,
    String state,
    String window,
    double statistic,
    double threshold,
    Double baselineExcessLogLoss,
    Double dispersion,
    Integer warmupWindows,
    Long changeStartMillis,
    String lastWindowStart,
    String lastWindowEnd,
    Long lastWindowStartMillis,
    Long lastWindowEndMillis) {

  /** The status of {@code key}'s detector. */
  public static AlarmStatus of(
      final ModelKey key, final DetectorStatus status, final DetectorSettings settings) {
    final Baseline baseline = status.baseline();
    final boolean seen = status.lastStartMillis() != DetectorStatus.NONE;
    return new AlarmStatus(
        key.model(),
        key.version(),
        status.state().name(),
        settings.window(),
        status.statistic(),
        settings.h(),
        baseline == null ? null : baseline.meanExcess(),
        baseline == null ? null : baseline.dispersion(),
        baseline == null ? status.warmup().size() : null,
        status.changeStartMillis() == DetectorStatus.NONE ? null : status.changeStartMillis(),
        seen ? Instant.ofEpochMilli(status.lastStartMillis()).toString() : null,
        seen ? Instant.ofEpochMilli(status.lastEndMillis()).toString() : null,
        seen ? status.lastStartMillis() : null,
        seen ? status.lastEndMillis() : null);
  }
}
