package org.modelmon;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.LongSupplier;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TransactionAbortableException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides what becomes of a stream thread that died.
 *
 * <p>A thread killed by the Kafka cluster being unreachable or too slow (a retriable error such
 * as a timeout, or a transaction aborted because of one: a broker outage longer than the
 * producer's {@code max.block.ms} ends this way) is replaced. Its tasks are closed dirty and,
 * under exactly-once, restored to their last commit and redone from the committed offsets, so
 * the totals stay exact. Anything else (a bug, a setting the broker refuses, lost authorisation)
 * shuts the client down, which ends the process with the cause in its log. So does a thread
 * that keeps dying faster than {@code maxReplacements} per {@code period}: whatever kills it is
 * not a passing outage.
 */
final class StreamThreadFailures implements StreamsUncaughtExceptionHandler {

  private static final Logger LOG = LoggerFactory.getLogger(StreamThreadFailures.class);
  private static final int MAX_CAUSE_DEPTH = 32;

  private final int maxReplacements;
  private final long periodNanos;
  private final LongSupplier nanoTime;
  private final Deque<Long> recentReplacements = new ArrayDeque<>();

  /**
   * @param maxReplacements how many threads may be replaced within {@code period}
   * @param period the span over which replacements are counted
   * @param nanoTime a monotonic clock, {@link System#nanoTime} outside tests
   */
  StreamThreadFailures(
      final int maxReplacements, final Duration period, final LongSupplier nanoTime) {
    this.maxReplacements = maxReplacements;
    this.periodNanos = period.toNanos();
    this.nanoTime = nanoTime;
  }

  @Override
  public synchronized StreamThreadExceptionResponse handle(final Throwable exception) {
    if (!causedByTheCluster(exception)) {
      LOG.atError().setCause(exception).log("Stream thread failed; shutting down");
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    final long now = nanoTime.getAsLong();
    while (!recentReplacements.isEmpty() && now - recentReplacements.peekFirst() >= periodNanos) {
      recentReplacements.removeFirst();
    }
    if (recentReplacements.size() >= maxReplacements) {
      LOG.atError()
          .setCause(exception)
          .addKeyValue("replacements", recentReplacements.size())
          .addKeyValue("period", Duration.ofNanos(periodNanos))
          .log("Stream thread keeps failing on the Kafka cluster; shutting down");
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    recentReplacements.addLast(now);
    LOG.atWarn()
        .setCause(exception)
        .log("Stream thread failed on an unreachable or slow Kafka cluster; replacing it, its"
            + " tasks resume from their last commit");
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }

  /** Whether a retriable Kafka error, or a transaction aborted by one, is among the causes. */
  static boolean causedByTheCluster(final Throwable exception) {
    Throwable cause = exception;
    // Bounded: a cause chain may loop.
    for (int depth = 0; cause != null && depth < MAX_CAUSE_DEPTH; depth++) {
      if (cause instanceof Error) {
        return false;
      }
      if (cause instanceof RetriableException || cause instanceof TransactionAbortableException) {
        return true;
      }
      cause = cause.getCause();
    }
    return false;
  }
}
