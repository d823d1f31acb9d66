package org.modelmon.metrics;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.BooleanSupplier;

/**
 * {@code modelmon_ready} and {@code modelmon_broker_reachable}: the instance's readiness and the
 * broker probe's latest answer as 1/0 gauges, read at scrape time, so that alerts and dashboards
 * see a broker outage or a stream that is not running without probing {@code /health/ready}.
 */
public final class HealthGauges {

  /** 1 exactly when {@code GET /health/ready} answers 200, else 0. */
  public static final String READY = "modelmon_ready";

  /** 1 while the Kafka cluster answers the broker probe, else 0 (also before the first probe). */
  public static final String BROKER_REACHABLE = "modelmon_broker_reachable";

  private HealthGauges() {}

  /**
   * Registers both gauges.
   *
   * @param registry where they are exported from
   * @param ready the very decision {@code /health/ready} answers with, so the two never disagree
   * @param brokerReachable whether the latest broker probe got an answer
   */
  public static void register(
      final PrometheusRegistry registry,
      final BooleanSupplier ready,
      final BooleanSupplier brokerReachable) {
    GaugeWithCallback.builder()
        .name(READY)
        .help(
            "1 when this instance is ready (GET /health/ready answers 200: the stream is RUNNING"
                + " and the Kafka cluster answers), else 0")
        .callback(callback -> callback.call(ready.getAsBoolean() ? 1 : 0))
        .register(registry);
    GaugeWithCallback.builder()
        .name(BROKER_REACHABLE)
        .help("1 when the Kafka cluster answered this instance's latest broker probe, else 0")
        .callback(callback -> callback.call(brokerReachable.getAsBoolean() ? 1 : 0))
        .register(registry);
  }
}
