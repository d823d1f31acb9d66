package org.modelmon.window;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The application watermark (docs/reference.md#windows-and-the-watermark): the minimum, over all
 * input partitions, of each partition's own stream time, leaving out partitions whose stream time
 * has not advanced for the idle-close period of wall-clock time; when every partition is idle it
 * advances with the wall clock from the moment the last one moved.
 *
 * <p>Taking the minimum rather than the largest event time seen anywhere is what lets a lagging
 * partition (a slow producer, an instance catching up on a backlog) be windowed exactly as it
 * would have been live. A partition that has never reported counts as active with no stream time
 * until it has been silent for the idle-close period since this tracker started, so nothing is
 * finalised before every partition had its chance to speak.
 *
 * <p>Pure and single-threaded; the combining processor persists its state.
 */
public final class WatermarkTracker {

  /** No watermark yet: nothing can be final. */
  public static final long NONE = Long.MIN_VALUE;

  /**
   * What is known of one input partition.
   *
   * @param streamTimeMillis its stream time
   * @param advancedAtMillis wall-clock time at which the stream time last advanced
   */
  public record PartitionWatermark(long streamTimeMillis, long advancedAtMillis) {}

  private final int inputPartitions;
  private final long idleCloseMillis;
  private final long startedAtMillis;
  private final Map<Integer, PartitionWatermark> partitions = new HashMap<>();

  /**
   * @param inputPartitions number of input partitions known when the topology was built
   * @param idleCloseMillis wall-clock silence after which a partition is left out
   * @param startedAtMillis wall-clock time this tracker started
   */
  public WatermarkTracker(
      final int inputPartitions, final long idleCloseMillis, final long startedAtMillis) {
    this.inputPartitions = inputPartitions;
    this.idleCloseMillis = idleCloseMillis;
    this.startedAtMillis = startedAtMillis;
  }

  /**
   * Restores what was known of a partition after a restart. Wall-clock time while the
   * application was down does not count toward idleness: the partition gets a whole idle-close
   * period from this tracker's start to report again, so that the backlog a restart leaves is
   * windowed as it would have been live instead of being made late by a watermark that ran on
   * with the wall clock.
   */
  public void restore(final int partition, final PartitionWatermark watermark) {
    partitions.put(
        partition,
        new PartitionWatermark(
            watermark.streamTimeMillis(),
            Math.max(watermark.advancedAtMillis(), startedAtMillis)));
  }

  /**
   * Records a partition's stream time.
   *
   * @return the partition's new state if its stream time advanced, else {@code null}
   */
  public PartitionWatermark advance(
      final int partition, final long streamTimeMillis, final long nowMillis) {
    final PartitionWatermark known = partitions.get(partition);
    if (known != null && streamTimeMillis <= known.streamTimeMillis()) {
      return null;
    }
    final PartitionWatermark advanced = new PartitionWatermark(streamTimeMillis, nowMillis);
    partitions.put(partition, advanced);
    return advanced;
  }

  /** The watermark at wall-clock time {@code nowMillis}, or {@link #NONE}. */
  public long watermark(final long nowMillis) {
    final TreeSet<Integer> all = new TreeSet<>(partitions.keySet());
    for (int p = 0; p < inputPartitions; p++) {
      all.add(p);
    }
    long minActive = Long.MAX_VALUE;
    boolean anyActive = false;
    long maxStreamTime = NONE;
    long lastMove = NONE;
    for (final int partition : all) {
      final PartitionWatermark known = partitions.get(partition);
      final long streamTime = known == null ? NONE : known.streamTimeMillis();
      final long advancedAt = known == null ? startedAtMillis : known.advancedAtMillis();
      maxStreamTime = Math.max(maxStreamTime, streamTime);
      lastMove = Math.max(lastMove, advancedAt);
      if (nowMillis - advancedAt < idleCloseMillis) {
        anyActive = true;
        minActive = Math.min(minActive, streamTime);
      }
    }
    if (anyActive) {
      return minActive;
    }
    if (maxStreamTime == NONE) {
      return NONE;
    }
    return maxStreamTime + (nowMillis - lastMove);
  }
}
