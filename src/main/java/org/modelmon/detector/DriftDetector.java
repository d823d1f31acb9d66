package org.modelmon.detector;

import java.util.ArrayList;
import java.util.List;

/**
 * The drift detector of docs/reference.md#drift-detector: a one-sided CUSUM over each final
 * window's excess log loss, standardised against a baseline the (model, version) learnt from its
 * own first windows.
 *
 * <p>Pure: {@link #next} maps a status and a window to the next status, so that the stream task
 * that keeps the status in a changelogged store continues exactly after a crash, and a replay of
 * the same windows gives the same statistics bit for bit.
 */
public final class DriftDetector {

  private final DetectorSettings settings;

  public DriftDetector(final DetectorSettings settings) {
    this.settings = settings;
  }

  /** The settings. */
  public DetectorSettings settings() {
    return settings;
  }

  /**
   * One window's step.
   *
   * @param next the status after the window
   * @param changed whether the state changed, which is published as an alarm record
   * @param z the window's standardised excess z_w, or NaN when it was not scored (no evidence, or
   *     warm-up)
   */
  public record Step(DetectorStatus next, boolean changed, double z) {}

  /** Whether a window carries evidence: enough labelled events, and a null variance above 0. */
  public boolean isEvidence(final WindowEvidence window) {
    return window.labelled() >= settings.minLabelled() && window.nullVariance() > 0.0;
  }

  /**
   * The status after the final window of {@code evidence}, the next in window order. A status
   * learnt under other settings ({@link DetectorSettings#basis()}: the window size, W, the least
   * events of a bin changed) starts its warm-up again.
   */
  public Step next(final DetectorStatus previous, final WindowEvidence evidence) {
    final String basis = settings.basis();
    final DetectorStatus status =
        previous.basis().equals(basis) ? previous : DetectorStatus.initial(basis);
    if (!isEvidence(evidence)) {
      return new Step(status.seen(evidence), false, Double.NaN);
    }
    if (status.state() == DetectorState.WARMUP) {
      final List<WindowEvidence> warmup = new ArrayList<>(status.warmup());
      warmup.add(evidence);
      if (warmup.size() < settings.warmup()) {
        return new Step(
            new DetectorStatus(
                basis,
                DetectorState.WARMUP,
                0.0,
                warmup,
                null,
                DetectorStatus.NONE,
                evidence.startMillis(),
                evidence.endMillis()),
            false,
            Double.NaN);
      }
      final Baseline baseline = Baseline.learn(warmup, settings.minBin());
      return new Step(
          new DetectorStatus(
              basis,
              DetectorState.WATCHING,
              0.0,
              List.of(),
              baseline,
              DetectorStatus.NONE,
              evidence.startMillis(),
              evidence.endMillis()),
          true,
          Double.NaN);
    }
    final double z = status.baseline().standardise(evidence);
    final double statistic =
        Math.min(settings.h(), Math.max(0.0, status.statistic() + z - settings.k()));
    final long changeStart =
        statistic <= 0.0
            ? DetectorStatus.NONE
            : status.statistic() > 0.0 ? status.changeStartMillis() : evidence.startMillis();
    DetectorState state = status.state();
    if (state == DetectorState.WATCHING && statistic >= settings.h()) {
      state = DetectorState.ALARM;
    } else if (state == DetectorState.ALARM && statistic <= 0.0) {
      state = DetectorState.WATCHING;
    }
    return new Step(
        new DetectorStatus(
            basis,
            state,
            statistic,
            List.of(),
            status.baseline(),
            changeStart,
            evidence.startMillis(),
            evidence.endMillis()),
        state != status.state(),
        z);
  }
}
