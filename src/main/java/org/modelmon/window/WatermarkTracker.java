package org.modelmon.window;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The application watermark: the minimum, over all input partitions, of each partition's own stream
 * time, leaving out partitions that are idle; when every partition is idle it advances with the
 * wall clock from the moment the last one moved.
 *
 * <p>Taking the minimum rather than the largest event time seen anywhere is what lets a lagging
 * partition (a slow producer, an instance catching up on a backlog) be windowed exactly as it would
 * have been live.
 *
 * <p>Idle means: the partition's task is running — a report arrived within the report timeout — and
 * it has kept reporting, without its stream time advancing, for the idle-close period. A partition
 * whose task does not report (its instance died, a rebalance or a restore is under way, or it never
 * reported since this tracker started) holds the watermark at its stream time until it reports
 * again: silence is not idleness, or a crashed instance's backlog would arrive late once fail-over
 * took longer than idle close. A task that reports again after such a gap — revived elsewhere,
 * still catching up — gets a whole idle-close period before it can count as idle.
 *
 * <p>Liveness is judged on this tracker's clock, by when reports arrive, so clock skew between
 * instances does not matter. A report sent before this tracker started (a backlog read after a
 * restart) proves nothing about the task now and does not count as one.
 *
 * <p>Pure and single-threaded; the combining processor persists the stream times, not the reports,
 * so after a restart every partition holds the watermark until its task reports.
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
  private final int mayIdle;
  private final int idleUntilDataFrom;
  private final long idleCloseMillis;
  private final long reportTimeoutMillis;
  private final long startedAtMillis;
  private final Map<Integer, PartitionWatermark> partitions = new HashMap<>();
  private final Map<Integer, Reports> reports = new HashMap<>();

  /**
   * When a partition's task has been reporting: since {@code sinceMillis} without a gap longer than
   * the report timeout, the latest at {@code lastMillis} (both on this tracker's clock).
   */
  private record Reports(long sinceMillis, long lastMillis) {}

  /**
   * @param inputPartitions number of input partitions known when the topology was built
   * @param idleCloseMillis wall-clock time without a rise of its stream time after which a
   *     partition whose task still reports is left out
   * @param reportTimeoutMillis wall-clock time without a report after which a partition's task is
   *     taken as not running
   * @param startedAtMillis wall-clock time this tracker started
   */
  public WatermarkTracker(
      final int inputPartitions,
      final long idleCloseMillis,
      final long reportTimeoutMillis,
      final long startedAtMillis) {
    this(
        inputPartitions,
        inputPartitions,
        inputPartitions,
        idleCloseMillis,
        reportTimeoutMillis,
        startedAtMillis);
  }

  /**
   * A tracker of which only the partitions below {@code mayIdle} can be left out as idle; the
   * others always hold the watermark at their stream time: they report a watermark that already
   * leaves out idle partitions of its own (the label join's), so that leaving them out again would
   * only let a report that came first overtake theirs.
   *
   * @param inputPartitions number of input partitions known when the topology was built
   * @param mayIdle the partitions below this one may be left out as idle
   * @param idleUntilDataFrom the partitions from this one on (below {@code mayIdle}) are left out
   *     at once while their running task has read nothing ever, rather than after the idle-close
   *     period: the labels topic's, which many applications never use, and whose first label would
   *     otherwise hold every window for that period after each start
   * @param idleCloseMillis see {@link #WatermarkTracker(int, long, long, long)}
   * @param reportTimeoutMillis see {@link #WatermarkTracker(int, long, long, long)}
   * @param startedAtMillis wall-clock time this tracker started
   */
  public WatermarkTracker(
      final int inputPartitions,
      final int mayIdle,
      final int idleUntilDataFrom,
      final long idleCloseMillis,
      final long reportTimeoutMillis,
      final long startedAtMillis) {
    this.inputPartitions = inputPartitions;
    this.mayIdle = mayIdle;
    this.idleUntilDataFrom = idleUntilDataFrom;
    this.idleCloseMillis = idleCloseMillis;
    this.reportTimeoutMillis = reportTimeoutMillis;
    this.startedAtMillis = startedAtMillis;
  }

  /**
   * Restores what was known of a partition after a restart. Wall-clock time while the application
   * was down does not count toward idleness: the partition gets a whole idle-close period from this
   * tracker's start, so that the backlog a restart leaves is windowed as it would have been live
   * instead of being made late by a watermark that ran on with the wall clock. Until its task
   * reports, the partition holds the watermark.
   */
  public void restore(final int partition, final PartitionWatermark watermark) {
    partitions.put(
        partition,
        new PartitionWatermark(
            watermark.streamTimeMillis(), Math.max(watermark.advancedAtMillis(), startedAtMillis)));
  }

  /**
   * Records a report of a partition's task: its stream time ({@link #NONE} when it has read nothing
   * yet), sent at {@code sentAtMillis} by the sender's clock and received now, at {@code
   * receivedAtMillis}. Running tasks report every flush interval, whether or not their stream time
   * advanced.
   *
   * @return the partition's new state if its stream time advanced, else {@code null}
   */
  public PartitionWatermark report(
      final int partition,
      final long streamTimeMillis,
      final long sentAtMillis,
      final long receivedAtMillis) {
    if (sentAtMillis >= startedAtMillis - reportTimeoutMillis) {
      final Reports known = reports.get(partition);
      reports.put(
          partition,
          known == null || receivedAtMillis - known.lastMillis() > reportTimeoutMillis
              ? new Reports(receivedAtMillis, receivedAtMillis)
              : new Reports(known.sinceMillis(), Math.max(known.lastMillis(), receivedAtMillis)));
    }
    final PartitionWatermark known = partitions.get(partition);
    if (streamTimeMillis == NONE
        || (known != null && streamTimeMillis <= known.streamTimeMillis())) {
      return null;
    }
    final PartitionWatermark advanced = new PartitionWatermark(streamTimeMillis, receivedAtMillis);
    partitions.put(partition, advanced);
    return advanced;
  }

  /** The watermark at wall-clock time {@code nowMillis}, or {@link #NONE}. */
  public long watermark(final long nowMillis) {
    final TreeSet<Integer> all = new TreeSet<>(partitions.keySet());
    for (int p = 0; p < inputPartitions; p++) {
      all.add(p);
    }
    long minHolding = Long.MAX_VALUE;
    boolean anyHolding = false;
    long maxStreamTime = NONE;
    long lastMove = NONE;
    for (final int partition : all) {
      final PartitionWatermark known = partitions.get(partition);
      final long streamTime = known == null ? NONE : known.streamTimeMillis();
      final long advancedAt = known == null ? startedAtMillis : known.advancedAtMillis();
      maxStreamTime = Math.max(maxStreamTime, streamTime);
      lastMove = Math.max(lastMove, advancedAt);
      if (!isIdle(partition, streamTime, advancedAt, nowMillis)) {
        anyHolding = true;
        minHolding = Math.min(minHolding, streamTime);
      }
    }
    if (anyHolding) {
      return minHolding;
    }
    if (maxStreamTime == NONE) {
      return NONE;
    }
    return maxStreamTime + (nowMillis - lastMove);
  }

  private boolean isIdle(
      final int partition,
      final long streamTimeMillis,
      final long advancedAtMillis,
      final long nowMillis) {
    if (partition >= mayIdle) {
      return false;
    }
    final Reports known = reports.get(partition);
    if (known == null || nowMillis - known.lastMillis() > reportTimeoutMillis) {
      return false; // not running: holds the watermark
    }
    if (partition >= idleUntilDataFrom && streamTimeMillis == NONE) {
      return true;
    }
    final long quietSince = Math.max(advancedAtMillis, known.sinceMillis());
    return known.lastMillis() - quietSince >= idleCloseMillis;
  }
}
