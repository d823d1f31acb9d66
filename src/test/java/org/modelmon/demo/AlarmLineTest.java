package org.modelmon.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.modelmon.detector.AlarmRecord;
import org.modelmon.detector.DetectorState;

/** The console line the demo prints for a change of a drift detector's state. */
class AlarmLineTest {

  /** Traffic started at 12:00:00 UTC; 4:05 into the demo is 12:04:05. */
  private static final long TRAFFIC_START = Instant.parse("2026-11-28T12:00:00Z").toEpochMilli();

  private static final Duration AT_4_37 = Duration.ofSeconds(4 * 60 + 37);

  @Test
  void shouldSayWhenTheAlarmCameAndWhenTheChangeStarted() {
    final AlarmRecord alarm = change("digits", "v1", "ALARM", 9.0, 0.0012, at("12:04:05"));

    assertThat(AlarmLine.format(alarm, DetectorState.WATCHING, AT_4_37, TRAFFIC_START))
        .isEqualTo(
            "  4:37  ALARM digits v1: log loss above what the model expects (S 9.0 ≥ h 9.0),"
                + " change from 4:05");
  }

  @Test
  void shouldSayTheWarmUpIsOverWithTheBaselineItLearnt() {
    final AlarmRecord watching = change("fraud", "v2", "WATCHING", 0.0, 0.0012, null);

    final String expected =
        "  2:11  WATCHING fraud v2: watching its log loss (warm-up over, baseline +0.001 nats)";
    final Duration at = Duration.ofSeconds(131);
    assertThat(AlarmLine.format(watching, DetectorState.WARMUP, at, TRAFFIC_START))
        .isEqualTo(expected);
    assertThat(AlarmLine.format(watching, null, at, TRAFFIC_START))
        .as("a detector's first change is the end of its warm-up")
        .isEqualTo(expected);
    assertThat(
            AlarmLine.format(
                change("fraud", "v2", "WATCHING", 0.0, -0.0416, null), null, at, TRAFFIC_START))
        .endsWith("(warm-up over, baseline -0.042 nats)");
  }

  @Test
  void shouldSayTheAlarmIsOverWhenTheStatisticIsBackAtZero() {
    final AlarmRecord over = change("digits", "v1", "WATCHING", 0.0, 0.0012, null);

    assertThat(AlarmLine.format(over, DetectorState.ALARM, Duration.ofMinutes(61), TRAFFIC_START))
        .isEqualTo(
            "1:01:00  WATCHING digits v1: log loss back to what the model expects (S 0.0),"
                + " alarm over");
  }

  @Test
  void shouldWriteAChangeFromBeforeThisDemoInUtcAndAModelWithoutVersionByItsName() {
    // A demo restarted on a kept data directory: the change began before its traffic did.
    final AlarmRecord alarm = change("team/fraud", "", "ALARM", 9.0, 0.0, at("11:58:30"));

    assertThat(AlarmLine.format(alarm, null, Duration.ofSeconds(42), TRAFFIC_START))
        .isEqualTo(
            "  0:42  ALARM team/fraud: log loss above what the model expects (S 9.0 ≥ h 9.0),"
                + " change from 11:58:30 UTC");
  }

  private static long at(final String utcTime) {
    return Instant.parse("2026-11-28T" + utcTime + "Z").toEpochMilli();
  }

  private static AlarmRecord change(
      final String model,
      final String version,
      final String state,
      final double statistic,
      final double baseline,
      final Long changeStart) {
    return new AlarmRecord(
        model,
        version,
        state,
        "10s",
        "2026-11-28T12:04:30Z",
        "2026-11-28T12:04:40Z",
        at("12:04:30"),
        at("12:04:40"),
        1000,
        0.25,
        statistic,
        9.0,
        baseline,
        List.of(baseline),
        1.0,
        baseline,
        List.of(baseline),
        changeStart);
  }
}
