package org.modelmon.metrics;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.processor.TaskId;

/**
 * {@code modelmon_watermark_timestamp_seconds}: the application watermark as seen by this
 * instance's combining tasks (the least of them, so the gauge never claims more is final than
 * is).
 */
public final class WatermarkGauge {

  public static final String NAME = "modelmon_watermark_timestamp_seconds";

  private final Map<TaskId, Long> watermarkByTask = new ConcurrentHashMap<>();

  private WatermarkGauge() {}

  /** Registers the gauge; it reads the tasks' watermarks at scrape time. */
  public static WatermarkGauge register(final PrometheusRegistry registry) {
    final WatermarkGauge gauge = new WatermarkGauge();
    GaugeWithCallback.builder()
        .name(NAME)
        .help("Application watermark: windows ending at or before it minus grace are final")
        .unit(null)
        .callback(
            callback -> gauge.watermarkMillis().ifPresent(w -> callback.call(w / 1000.0)))
        .register(registry);
    return gauge;
  }

  /** Records the watermark of a combining task; {@code Long.MIN_VALUE} means none yet. */
  public void update(final TaskId task, final long watermarkMillis) {
    if (watermarkMillis == Long.MIN_VALUE) {
      watermarkByTask.remove(task);
    } else {
      watermarkByTask.put(task, watermarkMillis);
    }
  }

  /** Forgets a task this instance no longer runs. */
  public void remove(final TaskId task) {
    watermarkByTask.remove(task);
  }

  /** The least watermark of this instance's combining tasks, if any has one. */
  public OptionalLong watermarkMillis() {
    return watermarkByTask.values().stream().mapToLong(Long::longValue).min();
  }
}
