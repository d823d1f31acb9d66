package org.modelmon.metrics;

import java.util.HashMap;
import java.util.Map;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ScoredPrediction;

/**
 * A stream task's counting of the events it scores: per (model, version) a {@link ScoreTally},
 * added to the process counters on {@link #flush()} — once a second, and when the task closes — and
 * the true label's per-class counter, counted at once.
 *
 * <p>The counters are the process's own count of what it scored, not exactly-once: a task that dies
 * loses at most the second it had not flushed, as it may count twice the events it scores again
 * after a crash. Confined to the stream thread of its task.
 */
public final class ScoreCounting {

  private final ModelmonMetrics metrics;
  private final Map<ModelKey, Pending> byModel = new HashMap<>();

  private record Pending(ModelmonMetrics.ModelCounters counters, ScoreTally tally) {}

  public ScoreCounting(final ModelmonMetrics metrics) {
    this.metrics = metrics;
  }

  /**
   * Counts one scored prediction of {@code key} whose true label is {@code label}, {@code null} for
   * an unlabelled one.
   */
  public void count(final ModelKey key, final ScoredPrediction scored, final String label) {
    final Pending pending = pendingOf(key);
    pending.tally().add(scored);
    if (label != null) {
      pending.counters().countLabel(label);
    }
  }

  /**
   * Counts the outcome side only of a prediction of {@code key} joined with its true label {@code
   * label}, which came later; its prediction side was counted when it arrived.
   */
  public void countOutcome(final ModelKey key, final ScoredPrediction scored, final String label) {
    final Pending pending = pendingOf(key);
    pending.tally().addOutcome(scored);
    pending.counters().countLabel(label);
  }

  private Pending pendingOf(final ModelKey key) {
    Pending pending = byModel.get(key);
    if (pending == null) {
      pending = new Pending(metrics.forModel(key), metrics.newTally());
      byModel.put(key, pending);
    }
    return pending;
  }

  /** Adds every tally to the process counters and starts them afresh. */
  public void flush() {
    for (final Pending pending : byModel.values()) {
      if (!pending.tally().isEmpty()) {
        pending.counters().add(pending.tally());
        pending.tally().clear();
      }
    }
  }
}
