package org.modelmon.topology;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.modelmon.detector.AlarmRecord;
import org.modelmon.detector.DetectorStatus;
import org.modelmon.detector.DriftDetector;
import org.modelmon.detector.WindowEvidence;
import org.modelmon.window.ModelKey;

/**
 * Step 5: runs each (model, version)'s drift detector on its final windows of the detector's window
 * size, in the order the combining task makes them final, and publishes every change of state on
 * the alarms topic.
 *
 * <p>It runs in the combining task, after it, so the detector's status lives in a changelogged
 * store of the same task and commits in the same transaction as the windows it has seen: a crash at
 * any moment continues exactly, and no window is counted twice.
 */
final class DriftDetection implements Processor<String, FinalWindow, String, AlarmRecord> {

  private final DriftDetector detector;
  private ProcessorContext<String, AlarmRecord> context;
  private KeyValueStore<ModelKey, DetectorStatus> statuses;

  DriftDetection(final DriftDetector detector) {
    this.detector = detector;
  }

  @Override
  public void init(final ProcessorContext<String, AlarmRecord> context) {
    this.context = context;
    statuses = context.getStateStore(ModelmonTopology.DETECTOR_STORE);
  }

  @Override
  public void process(final Record<String, FinalWindow> record) {
    final FinalWindow window = record.value();
    if (!window.result().window().equals(detector.settings().window())) {
      return;
    }
    final ModelKey key = new ModelKey(window.key().model(), window.key().version());
    final DetectorStatus status = statuses.get(key);
    if (status != null && window.key().endMillis() <= status.lastEndMillis()) {
      // Seen already: a window emitted again after a crash under at_least_once.
      return;
    }
    final WindowEvidence evidence =
        WindowEvidence.of(window.key().startMillis(), window.key().endMillis(), window.sums());
    final DriftDetector.Step step =
        detector.next(status == null ? DetectorStatus.INITIAL : status, evidence);
    statuses.put(key, step.next());
    if (step.changed()) {
      final AlarmRecord alarm = AlarmRecord.of(key, detector.settings(), evidence, step.next());
      context.forward(record.withKey(alarm.topicKey()).withValue(alarm));
    }
  }
}
