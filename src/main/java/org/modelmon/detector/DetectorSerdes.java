package org.modelmon.detector;

import org.apache.kafka.common.serialization.Serde;
import org.modelmon.window.WindowSerdes;

/** The serdes of the drift detector's types, built as {@link WindowSerdes} builds the others. */
public final class DetectorSerdes {

  private DetectorSerdes() {}

  /** Drift detector statuses, in their binary form. */
  public static Serde<DetectorStatus> detectorStatus() {
    return WindowSerdes.binary(DetectorStatus::toBytes, DetectorStatus::fromBytes);
  }

  /** Alarm records as the JSON of docs/reference.md#alarm-records. */
  public static Serde<AlarmRecord> alarmRecord() {
    return WindowSerdes.binary(
        WindowSerdes::json, bytes -> WindowSerdes.fromJson(bytes, AlarmRecord.class));
  }
}
