package org.modelmon.http;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.modelmon.detector.AlarmStatus;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ModelSummary;
import org.modelmon.window.WindowResult;

/** The queries the {@code /api/v1} endpoints answer from. */
public interface ModelQueries {

  /**
   * Every known (model, version) with its summary.
   *
   * @throws NotReadyException while the state cannot be queried
   */
  Map<ModelKey, ModelSummary> modelsOrThrow();

  /**
   * Final windows of one (model, version, window) series whose start lies in [{@code from}, {@code
   * to}], oldest first, at most {@code limit} of them.
   *
   * @throws NotReadyException while the state cannot be queried
   */
  List<WindowResult> windows(ModelKey key, String window, Instant from, Instant to, int limit);

  /**
   * The drift detector's status of every (model, version) that has had a window of the detector's
   * size, in no particular order.
   *
   * @throws NotReadyException while the state cannot be queried
   */
  List<AlarmStatus> alarmsOrThrow();

  /**
   * The same queries answered from this instance's state stores alone: what a peer asks for when it
   * forwards a query here ({@code local=true}), so that forwarding never loops.
   */
  default ModelQueries local() {
    return this;
  }
}
