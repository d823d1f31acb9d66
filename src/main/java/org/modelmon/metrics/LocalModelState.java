package org.modelmon.metrics;

import java.util.List;
import java.util.Map;
import org.modelmon.detector.DetectorStatus;
import org.modelmon.reference.Reference;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ModelSummary;
import org.modelmon.window.WindowResult;

/**
 * What this instance's combining tasks hold, read at scrape time. Only the (model, version) pairs
 * whose windows this instance owns appear, so every series is exported by exactly one instance.
 */
public interface LocalModelState {

  /** The latest final window of every owned (model, version, window); empty while not ready. */
  List<WindowResult> latestWindows();

  /** Summary of every owned (model, version); empty while not ready. */
  Map<ModelKey, ModelSummary> models();

  /** The drift detector's status of every owned (model, version); empty while not ready. */
  Map<ModelKey, DetectorStatus> detectorStatuses();

  /** The reference in force now for {@code key}, or null. */
  Reference reference(ModelKey key);
}
