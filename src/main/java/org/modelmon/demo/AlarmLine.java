package org.modelmon.demo;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.modelmon.detector.AlarmRecord;
import org.modelmon.detector.DetectorState;

/**
 * The demo's console line for one change of a drift detector's state, as the alarms topic carries
 * it: one line per change, never one per window or event.
 */
final class AlarmLine {

  private static final DateTimeFormatter UTC_TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  private AlarmLine() {}

  /**
   * The line, e.g. {@code " 4:37 ALARM digits v1: log loss above what the model expects (S 12.0 ≥ h
   * 9.0), change from 4:05"}.
   *
   * @param change the record of the change
   * @param previous the state before it, or {@code null} if the demo has not seen one: a WATCHING
   *     change is then taken for the end of the warm-up, the only change a detector starts with
   * @param elapsed the demo's time since traffic started, when the change was read
   * @param trafficStartMillis when traffic started, in epoch milliseconds: times after it are
   *     written as the summary writes its times, earlier ones (a demo restarted on a kept data
   *     directory) in UTC
   */
  static String format(
      final AlarmRecord change,
      final DetectorState previous,
      final Duration elapsed,
      final long trafficStartMillis) {
    final String name =
        change.version().isEmpty() ? change.model() : change.model() + " " + change.version();
    final String head =
        String.format(
            Locale.ROOT, "%6s  %s %s: ", DemoSummary.clock(elapsed), change.state(), name);
    if (change.state().equals(DetectorState.ALARM.name())) {
      return head
          + String.format(
              Locale.ROOT,
              "log loss above what the model expects (S %.1f ≥ h %.1f)",
              change.statistic(),
              change.threshold())
          + (change.changeStartMillis() == null
              ? ""
              : ", change from " + time(change.changeStartMillis(), trafficStartMillis));
    }
    if (change.state().equals(DetectorState.WATCHING.name())) {
      if (previous == DetectorState.ALARM) {
        return head
            + String.format(
                Locale.ROOT,
                "log loss back to what the model expects (S %.1f), alarm over",
                change.statistic());
      }
      return head
          + String.format(
              Locale.ROOT,
              "watching its log loss (warm-up over, baseline %+.3f nats)",
              change.baselineExcessLogLoss());
    }
    return head
        + String.format(Locale.ROOT, "S %.1f, h %.1f", change.statistic(), change.threshold());
  }

  private static String time(final long millis, final long trafficStartMillis) {
    return millis >= trafficStartMillis
        ? DemoSummary.clock(Duration.ofMillis(millis - trafficStartMillis))
        : UTC_TIME.format(Instant.ofEpochMilli(millis));
  }
}
