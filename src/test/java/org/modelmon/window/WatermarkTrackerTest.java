package org.modelmon.window;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.modelmon.window.WatermarkTracker.PartitionWatermark;

class WatermarkTrackerTest {

  private static final long IDLE = 60_000;

  @Test
  void shouldHaveNoWatermarkUntilEveryPartitionReportedOrFellIdle() {
    final WatermarkTracker tracker = new WatermarkTracker(2, IDLE, 0);
    tracker.advance(0, 5_000, 1_000);
    // Partition 1 has not reported and is not idle yet: nothing can be final.
    assertThat(tracker.watermark(30_000)).isEqualTo(WatermarkTracker.NONE);
    tracker.advance(1, 3_000, 31_000);
    assertThat(tracker.watermark(31_000)).isEqualTo(3_000);
  }

  @Test
  void shouldTakeTheMinimumOfActivePartitionsSoALaggingOneIsNeverOvertaken() {
    final WatermarkTracker tracker = new WatermarkTracker(3, IDLE, 0);
    tracker.advance(0, 600_000, 1_000); // fast partition, minutes ahead
    tracker.advance(1, 610_000, 1_000);
    tracker.advance(2, 60_000, 1_000); // catching up on a backlog
    assertThat(tracker.watermark(2_000)).isEqualTo(60_000);
    tracker.advance(2, 90_000, 20_000);
    assertThat(tracker.watermark(20_000)).isEqualTo(90_000);
  }

  @Test
  void shouldLeaveOutAPartitionIdleForTheIdleClosePeriod() {
    final WatermarkTracker tracker = new WatermarkTracker(2, IDLE, 0);
    tracker.advance(0, 100_000, 1_000);
    tracker.advance(1, 50_000, 1_000); // then silent
    tracker.advance(0, 200_000, 60_000);
    assertThat(tracker.watermark(60_999)).as("partition 1 still active").isEqualTo(50_000);
    assertThat(tracker.watermark(61_000)).as("partition 1 idle").isEqualTo(200_000);
  }

  @Test
  void shouldAdvanceWithTheWallClockFromTheLastMoveWhenEveryPartitionIsIdle() {
    final WatermarkTracker tracker = new WatermarkTracker(2, IDLE, 0);
    tracker.advance(0, 100_000, 1_000);
    tracker.advance(1, 120_000, 5_000); // the last move, at wall clock 5 s
    assertThat(tracker.watermark(60_999)).isEqualTo(100_000);
    assertThat(tracker.watermark(64_999)).as("partition 0 idle, 1 not yet").isEqualTo(120_000);
    // All idle from 65 s: max stream time + wall clock since the last move.
    assertThat(tracker.watermark(65_000)).isEqualTo(120_000 + 60_000);
    assertThat(tracker.watermark(75_000)).isEqualTo(120_000 + 70_000);
  }

  @Test
  void shouldIgnoreAStreamTimeThatDoesNotAdvance() {
    final WatermarkTracker tracker = new WatermarkTracker(1, IDLE, 0);
    assertThat(tracker.advance(0, 100_000, 1_000)).isNotNull();
    assertThat(tracker.advance(0, 90_000, 2_000)).isNull();
    assertThat(tracker.advance(0, 100_000, 3_000)).isNull();
    // Still idle from the first move, not refreshed by the stale reports.
    assertThat(tracker.watermark(61_000)).isEqualTo(100_000 + 60_000);
  }

  @Test
  void shouldNotCountTheTimeTheApplicationWasDownTowardIdleness() {
    // Before a crash partition 0 last moved at wall clock 10 s; the restart comes at 10 min.
    final WatermarkTracker restarted = new WatermarkTracker(2, IDLE, 600_000);
    restarted.restore(0, new PartitionWatermark(100_000, 10_000));
    restarted.restore(1, new PartitionWatermark(90_000, 10_000));
    // Not idle: each partition has a whole idle-close period after the restart to report.
    assertThat(restarted.watermark(600_001)).isEqualTo(90_000);
    restarted.advance(1, 95_000, 610_000);
    assertThat(restarted.watermark(610_000)).isEqualTo(95_000);
    assertThat(restarted.watermark(660_000)).as("partition 0 silent since the restart").isEqualTo(95_000);
  }
}
