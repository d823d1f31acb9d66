package org.modelmon.topology;

import org.modelmon.window.OpenWindowKey;
import org.modelmon.window.WindowAggregate;
import org.modelmon.window.WindowResult;
import org.modelmon.window.WindowSerdes;

/**
 * A window the combining task has just made final: its record for the windows topic, and its sums
 * for the drift detector, which needs ΣV(q) and the per-bin excess the record does not carry.
 * Passed between processors of one task, never serialised.
 *
 * @param key the window
 * @param sums its sums
 * @param result its record
 * @param json the record's JSON ({@link WindowSerdes#windowResultJson}), written once for the
 *     windows topic and the latest-windows and history stores; not to be modified
 */
record FinalWindow(OpenWindowKey key, WindowAggregate sums, WindowResult result, byte[] json) {}
