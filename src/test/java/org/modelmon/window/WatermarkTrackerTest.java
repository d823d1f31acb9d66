package org.modelmon.window;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.modelmon.window.WatermarkTracker.PartitionWatermark;

/**
 * The watermark rules, with explicit wall-clock times. Running tasks report every flush interval;
 * {@link #reportEverySecond} stands for that where a test needs a task to stay running.
 */
class WatermarkTrackerTest {

  private static final long IDLE = 60_000;
  private static final long REPORT_TIMEOUT = 10_000;

  private static WatermarkTracker tracker(final int partitions, final long startedAtMillis) {
    return new WatermarkTracker(partitions, IDLE, REPORT_TIMEOUT, startedAtMillis);
  }

  /** Partition {@code partition}'s task reports {@code streamTime} each second of [from, to]. */
  private static void reportEverySecond(
      final WatermarkTracker tracker,
      final int partition,
      final long streamTime,
      final long fromMillis,
      final long toMillis) {
    for (long at = fromMillis; at <= toMillis; at += 1_000) {
      tracker.report(partition, streamTime, at, at);
    }
  }

  @Test
  void shouldHaveNoWatermarkUntilEveryPartitionReportedOrFellIdle() {
    final WatermarkTracker tracker = tracker(2, 0);
    tracker.report(0, 5_000, 1_000, 1_000);
    // Partition 1 has not reported: nothing can be final.
    assertThat(tracker.watermark(30_000)).isEqualTo(WatermarkTracker.NONE);
    tracker.report(1, 3_000, 31_000, 31_000);
    assertThat(tracker.watermark(31_000)).isEqualTo(3_000);
  }

  @Test
  void shouldLeaveOutAPartitionThatNeverHadDataOnceItsRunningTaskReportedForTheIdlePeriod() {
    final WatermarkTracker tracker = tracker(2, 0);
    reportEverySecond(tracker, 0, 5_000, 1_000, 29_000);
    reportEverySecond(tracker, 0, 6_000, 30_000, 60_000);
    reportEverySecond(tracker, 1, WatermarkTracker.NONE, 1_000, 60_000);
    assertThat(tracker.watermark(60_000)).isEqualTo(WatermarkTracker.NONE);
    // Partition 1 has reported nothing for an idle-close period since its first report.
    tracker.report(0, 6_000, 61_000, 61_000);
    tracker.report(1, WatermarkTracker.NONE, 61_000, 61_000);
    assertThat(tracker.watermark(61_000)).isEqualTo(6_000);
  }

  @Test
  void shouldTakeTheMinimumOfActivePartitionsSoALaggingOneIsNeverOvertaken() {
    final WatermarkTracker tracker = tracker(3, 0);
    tracker.report(0, 600_000, 1_000, 1_000); // fast partition, minutes ahead
    tracker.report(1, 610_000, 1_000, 1_000);
    tracker.report(2, 60_000, 1_000, 1_000); // catching up on a backlog
    assertThat(tracker.watermark(2_000)).isEqualTo(60_000);
    tracker.report(2, 90_000, 20_000, 20_000);
    assertThat(tracker.watermark(20_000)).isEqualTo(90_000);
  }

  @Test
  void shouldLeaveOutAPartitionWhoseRunningTaskReportsNoNewDataForTheIdleClosePeriod() {
    final WatermarkTracker tracker = tracker(2, 0);
    tracker.report(0, 100_000, 1_000, 1_000);
    reportEverySecond(tracker, 1, 50_000, 1_000, 60_000); // running, no new data from 1 s on
    tracker.report(0, 200_000, 60_000, 60_000);
    assertThat(tracker.watermark(60_999)).as("partition 1 still active").isEqualTo(50_000);
    tracker.report(1, 50_000, 61_000, 61_000);
    assertThat(tracker.watermark(61_000)).as("partition 1 idle").isEqualTo(200_000);
  }

  @Test
  void shouldHoldTheWatermarkAtAPartitionWhoseTaskStoppedReporting() {
    // Given two partitions with live traffic, until partition 1's instance dies at 8 s,
    final WatermarkTracker tracker = tracker(2, 0);
    reportEverySecond(tracker, 1, 8_000, 8_000, 8_000);
    for (long at = 1_000; at <= 200_000; at += 1_000) {
      tracker.report(0, at, at, at); // partition 0 keeps up with the wall clock
    }
    // then however long the fail-over takes, partition 1 holds the watermark at its stream time:
    // its backlog is not late when its task comes back.
    assertThat(tracker.watermark(30_000)).isEqualTo(8_000);
    assertThat(tracker.watermark(200_000)).isEqualTo(8_000);
    // When its task runs again, elsewhere, and catches up, the watermark follows.
    tracker.report(1, 150_000, 200_000, 200_000);
    assertThat(tracker.watermark(200_000)).isEqualTo(150_000);
  }

  @Test
  void shouldHoldTheWatermarkAtAnIdlePartitionOnceItsTaskStopsReporting() {
    final WatermarkTracker tracker = tracker(2, 0);
    reportEverySecond(tracker, 1, 5_000, 1_000, 70_000); // no new data, reports until 70 s
    for (long at = 1_000; at <= 80_000; at += 1_000) {
      tracker.report(0, at, at, at);
    }
    assertThat(tracker.watermark(80_000)).as("reported 10 s ago: still idle").isEqualTo(80_000);
    tracker.report(0, 80_001, 80_001, 80_001);
    assertThat(tracker.watermark(80_001)).as("no report for too long: holds").isEqualTo(5_000);
  }

  @Test
  void shouldNotTakeReportsSentBeforeItStartedForARunningTask() {
    // A combining task restarted at 200 s reads a backlog of reports sent before, from a task
    // that has died since: they prove nothing about that task now.
    final WatermarkTracker tracker = tracker(2, 200_000);
    tracker.restore(1, new PartitionWatermark(5_000, 1_000));
    for (long sent = 100_000; sent <= 180_000; sent += 1_000) {
      tracker.report(1, 5_000, sent, 201_000);
    }
    for (long at = 201_000; at <= 300_000; at += 1_000) {
      tracker.report(0, at, at, at);
    }
    assertThat(tracker.watermark(300_000)).isEqualTo(5_000);
  }

  @Test
  void shouldGiveATaskThatReportsAgainAfterAGapAWholeIdlePeriodBeforeItCountsAsIdle() {
    // Partition 1's instance dies at 8 s; its task runs again elsewhere from 200 s, restored to
    // its last commit and so with no stream time yet, and catches up on a backlog whose events
    // are no later than what it had read (out of order), so its stream time does not advance.
    final WatermarkTracker tracker = tracker(2, 0);
    reportEverySecond(tracker, 1, 8_000, 1_000, 8_000);
    for (long at = 1_000; at <= 259_000; at += 1_000) {
      tracker.report(0, at, at, at);
    }
    reportEverySecond(tracker, 1, WatermarkTracker.NONE, 200_000, 259_000);
    assertThat(tracker.watermark(259_000)).as("running again, not idle yet").isEqualTo(8_000);
    tracker.report(0, 260_000, 260_000, 260_000);
    tracker.report(1, WatermarkTracker.NONE, 260_000, 260_000);
    assertThat(tracker.watermark(260_000))
        .as("a whole idle-close period of reports with nothing new")
        .isEqualTo(260_000);
  }

  @Test
  void shouldJudgeLivenessByArrivalSoThatASenderClockBehindDoesNotMatter() {
    final WatermarkTracker tracker = tracker(2, 0);
    for (long at = 1_000; at <= 80_000; at += 1_000) {
      tracker.report(0, at, at, at);
      tracker.report(1, 500, at - 30_000, at); // its clock runs 30 s behind ours
    }
    // Its reports count from 20 s on (those stamped more than the report timeout before this
    // tracker started do not); a minute of them later, it is idle.
    assertThat(tracker.watermark(80_000)).as("partition 1 running and idle").isEqualTo(80_000);
  }

  @Test
  void shouldAdvanceWithTheWallClockFromTheLastMoveWhenEveryPartitionIsIdle() {
    final WatermarkTracker tracker = tracker(2, 0);
    tracker.report(0, 100_000, 1_000, 1_000);
    tracker.report(1, 120_000, 5_000, 5_000); // the last move, at wall clock 5 s
    reportEverySecond(tracker, 0, 100_000, 2_000, 61_000);
    reportEverySecond(tracker, 1, 120_000, 6_000, 61_000);
    assertThat(tracker.watermark(61_000)).as("partition 0 idle, 1 not yet").isEqualTo(120_000);
    reportEverySecond(tracker, 0, 100_000, 62_000, 65_000);
    reportEverySecond(tracker, 1, 120_000, 62_000, 65_000);
    // All idle from 65 s: max stream time + wall clock since the last move.
    assertThat(tracker.watermark(65_000)).isEqualTo(120_000 + 60_000);
    assertThat(tracker.watermark(75_000)).isEqualTo(120_000 + 70_000);
  }

  @Test
  void shouldIgnoreAStreamTimeThatDoesNotAdvance() {
    final WatermarkTracker tracker = tracker(1, 0);
    assertThat(tracker.report(0, 100_000, 1_000, 1_000)).isNotNull();
    assertThat(tracker.report(0, 90_000, 2_000, 2_000)).isNull();
    assertThat(tracker.report(0, 100_000, 3_000, 3_000)).isNull();
    reportEverySecond(tracker, 0, 100_000, 4_000, 61_000);
    // Idle from the first move, not refreshed by the reports that did not advance.
    assertThat(tracker.watermark(61_000)).isEqualTo(100_000 + 60_000);
  }

  @Test
  void shouldNotCountTheTimeTheApplicationWasDownTowardIdleness() {
    // Before a crash partition 0 last moved at wall clock 10 s; the restart comes at 10 min.
    final WatermarkTracker restarted = tracker(2, 600_000);
    restarted.restore(0, new PartitionWatermark(100_000, 10_000));
    restarted.restore(1, new PartitionWatermark(90_000, 10_000));
    // Not idle: each partition holds until its task reports, then has a whole idle-close period
    // after the restart to show new data.
    assertThat(restarted.watermark(600_001)).isEqualTo(90_000);
    reportEverySecond(restarted, 0, 100_000, 601_000, 610_000);
    restarted.report(1, 95_000, 610_000, 610_000);
    assertThat(restarted.watermark(610_000)).isEqualTo(95_000);
    reportEverySecond(restarted, 0, 100_000, 611_000, 659_000);
    reportEverySecond(restarted, 1, 95_000, 611_000, 659_000);
    // Not idle although it last moved 10 min before: the downtime does not count.
    assertThat(restarted.watermark(659_000)).isEqualTo(95_000);
    reportEverySecond(restarted, 0, 100_000, 660_000, 671_000);
    reportEverySecond(restarted, 1, 95_000, 660_000, 671_000);
    assertThat(restarted.watermark(671_000))
        .as("partition 1 idle a minute after it moved, 0 a minute after the restart")
        .isEqualTo(100_000 + (671_000 - 610_000));
  }

  @Test
  void shouldHoldEveryPartitionAfterARestartUntilItsTaskReports() {
    final WatermarkTracker restarted = tracker(2, 600_000);
    restarted.restore(0, new PartitionWatermark(100_000, 10_000));
    restarted.restore(1, new PartitionWatermark(90_000, 10_000));
    reportEverySecond(restarted, 0, 100_000, 601_000, 900_000);
    // Partition 0 falls idle a minute after the restart; 1 never reports and holds.
    assertThat(restarted.watermark(900_000)).isEqualTo(90_000);
  }

  @Test
  void shouldNeverLeaveOutAPartitionAtOrAboveMayIdleHoweverLongItsWatermarkStands() {
    // Partition 1 stands for a joining task: its watermark stood still while a label waited for
    // its prediction, which must keep the label's window open however long that takes.
    final WatermarkTracker tracker = new WatermarkTracker(2, 1, 1, IDLE, REPORT_TIMEOUT, 0);
    reportEverySecond(tracker, 0, 500_000, 1_000, 200_000);
    reportEverySecond(tracker, 1, 55_000, 1_000, 200_000);
    assertThat(tracker.watermark(200_000)).isEqualTo(55_000);

    // Partition 0, below mayIdle, is left out as before once it stands still as long.
    final WatermarkTracker plain = tracker(2, 0);
    reportEverySecond(plain, 0, 500_000, 1_000, 200_000);
    reportEverySecond(plain, 1, 55_000, 1_000, 200_000);
    assertThat(plain.watermark(200_000)).isEqualTo(500_000 + 199_000);
  }

  @Test
  void shouldLeaveOutAtOnceAPartitionFromIdleUntilDataFromThatHasReadNothingYet() {
    // Partition 1 stands for a labels partition: while its running task has read nothing it
    // holds nothing up; once it has, it holds the watermark as any other.
    final WatermarkTracker tracker = new WatermarkTracker(2, 2, 1, IDLE, REPORT_TIMEOUT, 0);
    tracker.report(0, 50_000, 1_000, 1_000);
    tracker.report(1, WatermarkTracker.NONE, 1_000, 1_000);
    assertThat(tracker.watermark(1_000)).isEqualTo(50_000);
    tracker.report(1, 20_000, 2_000, 2_000);
    assertThat(tracker.watermark(2_000)).isEqualTo(20_000);

    // Silence is still not idleness: a partition whose task never reported holds.
    final WatermarkTracker silent = new WatermarkTracker(2, 2, 1, IDLE, REPORT_TIMEOUT, 0);
    silent.report(0, 50_000, 1_000, 1_000);
    assertThat(silent.watermark(1_000)).isEqualTo(WatermarkTracker.NONE);
  }
}
